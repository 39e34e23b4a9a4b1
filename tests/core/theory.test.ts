/**
 * The mean-field theory (src/core/theory.ts) against closed forms, the tanh chain's order-to-chaos
 * boundary, and wide nets measured by the float64 reference.
 */
import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES } from "../../src/core/activations";
import { validateConfig } from "../../src/core/config";
import { runReference } from "../../src/core/reference";
import {
  criticalSigmaW,
  gaussianExpectation,
  layerMoments,
  meanField,
  meanSquareDerivative,
  meanSquareOutput,
  predictedLog10ActRms,
  sinhGaussianRule,
  weightVariance,
} from "../../src/core/theory";
import { theoryFor } from "../../src/core/theory-models";

/** E[f(z)] by a much finer trapezoid rule on [−12, 12] (step h), independent of the module's choice of step. */
function fine(f: (z: number) => number, h: number): number {
  let sum = 0;
  const steps = Math.ceil(12 / h);
  for (let i = -steps; i <= steps; i++) sum += f(i * h) * Math.exp(-((i * h) ** 2) / 2);
  return (sum * h) / Math.sqrt(2 * Math.PI);
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("the Gaussian expectation", () => {
  it("gives the Gaussian's moments: E[z²ᵏ] = (2k − 1)!! to 1e-10", () => {
    let doubleFactorial = 1;
    for (let k = 0; k <= 8; k++) {
      if (k > 0) doubleFactorial *= 2 * k - 1;
      expect(
        relative(
          gaussianExpectation((z) => z ** (2 * k)),
          doubleFactorial,
        ),
      ).toBeLessThan(1e-10);
    }
  });

  it("gives E[tanh(√q z)²], E[tanh'(√q z)²] and E[sigmoid'(√q z)²] to 1e-9 relative for q from 0.01 to 1000", () => {
    for (const q of [0.01, 0.3, 1, 2.5, 10, 100, 1000]) {
      const root = Math.sqrt(q);
      const reference = (f: (z: number) => number) => fine(f, Math.min(1e-3, 0.05 / root));
      expect(
        relative(
          meanSquareOutput("tanh", q),
          reference((z) => Math.tanh(root * z) ** 2),
        ),
      ).toBeLessThan(1e-9);
      const tanhDer = (z: number) => (1 - Math.tanh(root * z) ** 2) ** 2;
      expect(relative(meanSquareDerivative("tanh", q), reference(tanhDer))).toBeLessThan(1e-9);
      const s = (z: number) => 1 / (1 + Math.exp(-z));
      const sigmoidDer = (z: number) => (s(root * z) * (1 - s(root * z))) ** 2;
      expect(relative(meanSquareDerivative("sigmoid", q), reference(sigmoidDer))).toBeLessThan(1e-9);
    }
  });
});

describe("the sinh-graded rule", () => {
  it("gives E[x²ᵏ] to 1e-9 up to x⁴, and E[c²/(x² + c²)] (poles at ±ic) at c = 0.01 to 1e-12 in under 50 nodes on x ≥ 0", () => {
    const h = Math.PI ** 2 / 60;
    const expectation = (f: (x: number) => number, c: number) => {
      const { nodes, weights } = sinhGaussianRule(c, h);
      return nodes.reduce((sum, x, i) => sum + (weights[i] as number) * f(x), 0);
    };
    // Its step in x grows like x·h: integrands whose mass lies far out lose digits (E[x¹⁶] 1e-6), and
    // the s·I chains' grow no faster than x².
    for (const c of [0.01, 0.5, 1]) {
      for (const [k, moment] of [
        [0, 1],
        [1, 1],
        [2, 3],
      ] as const)
        expect(
          relative(
            expectation((x) => x ** (2 * k), c),
            moment,
          ),
        ).toBeLessThan(1e-9);
    }
    const c = 0.01;
    const narrow = (x: number) => (c * c) / (x * x + c * c);
    expect(relative(expectation(narrow, c), fine(narrow, c / 20))).toBeLessThan(1e-12);
    expect(sinhGaussianRule(c, h).nodes.filter((x) => x >= 0).length).toBeLessThan(50);
  });
});

describe("tanh's moments at small q", () => {
  it("meet the quadrature where the series takes over, to 1e-12 relative", () => {
    const q = 0.99e-6;
    const series = layerMoments("tanh", q);
    const root = Math.sqrt(q);
    const t = (z: number) => Math.tanh(root * z);
    expect(
      relative(
        series.output,
        gaussianExpectation((z) => t(z) ** 2),
      ),
    ).toBeLessThan(1e-12);
    expect(
      relative(
        series.derivative,
        gaussianExpectation((z) => (1 - t(z) ** 2) ** 2),
      ),
    ).toBeLessThan(1e-12);
    expect(
      relative(
        series.outputDerivative,
        gaussianExpectation((z) => (t(z) * (1 - t(z) ** 2)) ** 2),
      ),
    ).toBeLessThan(1e-12);
    expect(relative(series.coherentGain, gaussianExpectation((z) => z * t(z) * (1 - t(z) ** 2)) / root)).toBeLessThan(
      1e-12,
    );
  });
});

describe("χ₁ and q* in closed form", () => {
  it("linear: χ₁ = σ_w²; ReLU: χ₁ = σ_w²/2; leaky ReLU: χ₁ = σ_w²(1 + 0.01²)/2", () => {
    for (const sigmaW2 of [0.5, 1, 2, 3]) {
      expect(meanField("linear", sigmaW2, 0.1).chi1).toBeCloseTo(sigmaW2, 14);
      expect(meanField("relu", sigmaW2, 0.1).chi1).toBeCloseTo(sigmaW2 / 2, 14);
      expect(meanField("leaky_relu", sigmaW2, 0.1).chi1).toBeCloseTo((sigmaW2 * (1 + 1e-4)) / 2, 14);
    }
    // He's init (σ_w² = 2) is ReLU's critical point; its q* with σ_b² = 0.04 is σ_b²/(1 − σ_w²/2), here 0.08 at σ_w² = 1.
    expect(meanField("relu", 2, 0).phase).toBe("critical");
    expect(meanField("relu", 1, 0.04).qStar).toBeCloseTo(0.08, 14);
  });

  it("tanh without biases: q* = 0 and χ₁ = σ_w² up to σ_w = 1 (ordered), chaotic past it", () => {
    expect(meanField("tanh", 0.81, 0)).toMatchObject({ qStar: 0, phase: "ordered" });
    expect(meanField("tanh", 0.81, 0).chi1).toBeCloseTo(0.81, 14);
    expect(meanField("tanh", 1, 0).phase).toBe("critical");
    const chaotic = meanField("tanh", 2.25, 0);
    expect(chaotic.qStar).toBeGreaterThan(0);
    expect(chaotic.chi1).toBeGreaterThan(1);
    // q* solves its own map.
    expect(relative(2.25 * meanSquareOutput("tanh", chaotic.qStar), chaotic.qStar)).toBeLessThan(1e-12);
  });

  it("tanh's order-to-chaos boundary starts at σ_w = 1 and rises with σ_b", () => {
    const boundary = [0, 0.05, 0.1, 0.3, 0.5].map((sigmaB) => criticalSigmaW("tanh", sigmaB) as number);
    // The sigmoid's χ₁ ≤ σ_w²/16 stays below 1 on [0.5, 4]: no crossing there, and none is made up.
    expect(criticalSigmaW("sigmoid", 0.3)).toBeNull();
    expect(criticalSigmaW("sigmoid", 0.3, 5, 20)).toBeGreaterThan(10);
    expect(boundary[0]).toBeCloseTo(1, 6);
    for (let i = 1; i < boundary.length; i++) expect(boundary[i] as number).toBeGreaterThan(boundary[i - 1] as number);
    for (const [i, sigmaB] of [0.05, 0.1, 0.3, 0.5].entries()) {
      const sigmaW = boundary[i + 1] as number;
      expect(meanField("tanh", sigmaW * sigmaW, sigmaB * sigmaB).chi1).toBeCloseTo(1, 6);
    }
  });

  it("σ_w² of each Gaussian-family init, and none for s·I or orthogonal weights", () => {
    const n = 64;
    expect(weightVariance({ scheme: "gaussian", sigma: 1.5 }, n)).toBeCloseTo(2.25, 12);
    expect(weightVariance({ scheme: "normal", sigma: 0.1 }, n)).toBeCloseTo(0.64, 12);
    expect(weightVariance({ scheme: "xavier_normal", gain: 1 }, n)).toBeCloseTo(1, 12);
    expect(weightVariance({ scheme: "xavier_uniform", gain: 1 }, n)).toBeCloseTo(1, 12);
    expect(weightVariance({ scheme: "he_normal", gain: 1 }, n)).toBeCloseTo(2, 12);
    expect(weightVariance({ scheme: "he_uniform", gain: 1 }, n)).toBeCloseTo(2, 12);
    expect(weightVariance({ scheme: "lecun_normal", gain: 1 }, n)).toBeCloseTo(1, 12);
    expect(weightVariance({ scheme: "identity", scale: 1 }, n)).toBeNull();
    expect(weightVariance({ scheme: "orthogonal", gain: 1 }, n)).toBeNull();
  });

  it("computes the fixed point of every activation in a few ms", () => {
    const started = performance.now();
    for (const name of ACTIVATION_NAMES) meanField(name, 1.7, 0.05);
    predictedLog10ActRms("tanh", 1.7, 0.05, 4096);
    // Not a benchmark: a bound far above what this takes, against a loop that would not end.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("wide nets follow the predicted length map", { timeout: 60_000 }, () => {
  // n = 512, batch 16. Each layer's realized W changes the mean square of a_l by a relative amount of
  // order √((κ − 1)/n), κ the kurtosis of g(z) over units (its rows are shared by the whole batch, and
  // after a ReLU or sigmoid the examples are correlated, so the batch averages little of it away);
  // κ − 1 = 2 for a Gaussian, 5 for relu(z): at most 10 % at n = 512. Where the map does not contract,
  // these deviations add up like a random walk, √(5l/n) after l layers. The tolerance at layer l is
  // three of those, in log10 of the RMS: ½·log10(1 + 3√(5l/n)), from 0.07 at layer 1 to 0.15 at 12.
  // ReLU at He's init (the map's slope is 1) tells a σ_w² off by 10 % from the right one by layer 12.
  const cases = [
    { activation: "tanh", init: { scheme: "gaussian", sigma: 1.5 }, biasSigma: 0.3 },
    { activation: "tanh", init: { scheme: "gaussian", sigma: 0.8 }, biasSigma: 0 },
    { activation: "relu", init: { scheme: "he_normal", gain: 1 }, biasSigma: 0.1 },
    { activation: "sigmoid", init: { scheme: "xavier_normal", gain: 2 }, biasSigma: 0.2 },
  ] as const;
  for (const c of cases) {
    it(`${c.activation}, ${JSON.stringify(c.init)}, σ_b = ${c.biasSigma}`, () => {
      const config = validateConfig({ depth: 12, width: 512, batch: 16, ...c, input: "gaussian", numerics: "tracked" });
      const measured = runReference(config).log10ActRms;
      const sigmaW2 = weightVariance(config.init, config.width) as number;
      const qIn = 10 ** (2 * (measured[0] as number));
      const predicted = predictedLog10ActRms(c.activation, sigmaW2, c.biasSigma ** 2, config.depth, qIn);
      const tolerance = (l: number) => 0.5 * Math.log10(1 + 3 * Math.sqrt((5 * l) / config.width));
      for (let l = 1; l <= config.depth; l++) {
        expect(Math.abs((measured[l] as number) - (predicted[l] as number)), `layer ${l}`).toBeLessThan(tolerance(l));
      }
      if (c.activation === "relu") {
        const off = predictedLog10ActRms(c.activation, sigmaW2 * 1.1, c.biasSigma ** 2, config.depth, qIn);
        const L = config.depth;
        expect(Math.abs((off[L] as number) - (measured[L] as number))).toBeGreaterThan(tolerance(L));
      }
    });
  }
});

describe("theoryFor: the result's theory", () => {
  /** log10 of a mean square's RMS. */
  const rms = (meanSquare: number) => 0.5 * Math.log10(meanSquare);

  /**
   * A wide net (n = 512, batch 16) measured by the reference against the prediction: activations within
   * the random-walk bound of the length-map test above, the gradient within that bound over the 2L − l + 1
   * layers its value compounds (the forward pass to a_L, then back down to a_l).
   */
  function expectFollows(partial: Record<string, unknown>, model: string) {
    const config = validateConfig({ depth: 12, width: 512, batch: 16, numerics: "tracked", ...partial });
    const measured = runReference(config);
    const theory = theoryFor(config, measured.log10ActRms[0] ?? null);
    expect(theory?.model).toBe(model);
    const tolerance = (layers: number) => 0.5 * Math.log10(1 + 3 * Math.sqrt((5 * layers) / config.width));
    const L = config.depth;
    for (let l = 0; l <= L; l++) {
      const act = measured.log10ActRms[l] as number;
      const grad = measured.log10GradRms[l] as number;
      // At l = 0 the s·I chains' exact expectation over the input's law meets the batch's sample of it.
      expect(Math.abs(act - (theory?.log10ActRms[l] as number)), `a_${l}`).toBeLessThan(tolerance(Math.max(l, 1)));
      expect(Math.abs(grad - (theory?.log10GradRms[l] as number)), `∂ℓ/∂a_${l}`).toBeLessThan(tolerance(2 * L - l + 1));
    }
  }

  it("predicts a wide plain net's gradient, whose component along the activations the independence assumption misses", {
    timeout: 60_000,
  }, () => {
    // ReLU at He's init with y = 0: ∂ℓ/∂a_L = a_L has mean square E[a²]; one layer down it is a_{L−1} plus a fresh
    // part of 2·E[a²], and each layer down adds 2·E[a²]: 25·E[a²] at layer 0. The gradient-independence
    // assumption predicts a flat curve, off by ½·log10(25) = 0.70 there, well past the tolerance (0.19).
    expectFollows({ activation: "relu", init: { scheme: "he_normal", gain: 1 }, target: "zeros" }, "mean-field");
    const he = theoryFor(
      validateConfig({ depth: 12, activation: "relu", init: { scheme: "he_normal", gain: 1 }, target: "zeros" }),
      0,
    );
    for (let l = 0; l <= 12; l++) expect(he?.log10GradRms[l]).toBeCloseTo(rms(2 * (12 - l) + 1), 9);
    expectFollows(
      { activation: "relu", init: { scheme: "he_normal", gain: 1 }, biasSigma: 0.1, target: "gaussian" },
      "mean-field",
    );
    expectFollows({ activation: "tanh", init: { scheme: "gaussian", sigma: 1.5 }, biasSigma: 0.3 }, "mean-field");
    expectFollows({ activation: "tanh", init: { scheme: "gaussian", sigma: 1.5 }, target: "teacher" }, "mean-field");
    expectFollows({ activation: "sigmoid", init: { scheme: "gaussian", sigma: 3 } }, "mean-field");
    expectFollows({ activation: "linear", init: { scheme: "gaussian", sigma: 1 }, target: "input" }, "mean-field");
  });

  it("gives a linear chain at σ_w = 1 with y = 0 the Wishart product's second moment: (L − l + 1)·E[a²]", () => {
    const config = validateConfig({
      depth: 30,
      activation: "linear",
      init: { scheme: "gaussian", sigma: 1 },
      target: "zeros",
    });
    const theory = theoryFor(config, 0);
    for (let l = 0; l <= 30; l++) expect(theory?.log10GradRms[l]).toBeCloseTo(rms(31 - l), 10);
    expect(theory?.log10ActRms.every((v) => Math.abs(v as number) < 1e-12)).toBe(true);
  });

  it("predicts residual chains of odd activations: linear a mean square (1 + α²σ_w²)^l, tanh by its length map", {
    timeout: 60_000,
  }, () => {
    expectFollows(
      { activation: "linear", init: { scheme: "gaussian", sigma: 1 }, residual: 0.3, biasSigma: 0.2 },
      "mean-field-residual",
    );
    expectFollows(
      { activation: "tanh", init: { scheme: "gaussian", sigma: 1.5 }, residual: 0.5, biasSigma: 0.1 },
      "mean-field-residual",
    );
    const config = validateConfig({
      depth: 40,
      activation: "linear",
      init: { scheme: "gaussian", sigma: 2 },
      residual: 0.25,
    });
    const theory = theoryFor(config, 0);
    for (let l = 0; l <= 40; l++)
      expect(theory?.log10ActRms[l]).toBeCloseTo(0.5 * l * Math.log10(1 + 0.25 ** 2 * 4), 10);
  });

  it("is exact for s·I and orthogonal linear chains and for s·I chains of every activation within its reach", {
    timeout: 60_000,
  }, () => {
    const lecture = validateConfig({
      depth: 300,
      activation: "linear",
      init: { scheme: "identity", scale: 1.5 },
      target: "zeros",
    });
    const theory = theoryFor(lecture, 0);
    expect(theory).toMatchObject({ model: "exact", chi1: 2.25, phase: "chaotic" });
    for (const l of [0, 1, 100, 300]) expect(theory?.log10ActRms[l]).toBeCloseTo(l * Math.log10(1.5), 9);
    expect(theory?.log10GradRms[0]).toBeCloseTo(600 * Math.log10(1.5), 9);
    expectFollows({ activation: "linear", init: { scheme: "orthogonal", gain: 1.1 }, biasSigma: 0.3 }, "exact");
    expectFollows({ activation: "relu", init: { scheme: "identity", scale: 0.9 } }, "exact");
    expectFollows({ activation: "leaky_relu", init: { scheme: "identity", scale: -1.1 }, target: "input" }, "exact");
    expectFollows({ activation: "tanh", init: { scheme: "identity", scale: 0.95 }, target: "input" }, "exact");
    expectFollows({ activation: "sigmoid", init: { scheme: "identity", scale: 3.9 } }, "exact");
  });

  it("takes s·I chains' expectations over a Gaussian input to 1e-10, against a fine uniform rule, at depths up to 4096", () => {
    for (const [activation, scale, depth, layers] of [
      ["tanh", 0.99, 300, [0, 1, 10, 100, 300]],
      ["sigmoid", 4, 300, [0, 1, 10, 100, 300]],
      ["tanh", -0.9, 300, [0, 1, 10, 100, 300]],
      ["tanh", 0.999, 300, [0, 1, 10, 100, 300]],
      ["tanh", -0.995, 300, [0, 1, 10, 100, 300]],
      ["tanh", 0.999, 4096, [0, 1, 500, 2000, 4096]],
    ] as const) {
      const config = validateConfig({ depth, activation, init: { scheme: "identity", scale }, target: "input" });
      const theory = theoryFor(config, 0);
      const g = (z: number) => (activation === "tanh" ? Math.tanh(z) : 1 / (1 + Math.exp(-z)));
      const der = (a: number) => (activation === "tanh" ? 1 - a * a : a * (1 - a));
      const act = new Array(depth + 1).fill(0);
      const grad = new Array(depth + 1).fill(0);
      // A step of 0.01, below a quarter of tanh's paths' scale near x = 0 (√(1 − s²) ≥ 0.045 here): to 2e-12.
      const h = 0.01;
      const path = new Float64Array(depth + 1);
      for (let i = -1000; i <= 1000; i++) {
        const x = i * h;
        const w = (h * Math.exp((-x * x) / 2)) / Math.sqrt(2 * Math.PI);
        path[0] = x;
        for (let l = 1; l <= depth; l++) path[l] = g(scale * (path[l - 1] as number));
        let back = ((path[depth] as number) - x) ** 2;
        for (let l = depth; l >= 0; l--) {
          act[l] += w * (path[l] as number) ** 2;
          grad[l] += w * back;
          if (l > 0) back *= (scale * der(path[l] as number)) ** 2;
        }
      }
      // Where the reference's mean square underflows (the sigmoid's gradient shrinks ×0.07 a layer), null.
      const expected = (meanSquare: number) => (meanSquare > 0 ? rms(meanSquare) : null);
      for (const l of layers) {
        for (const [got, want, name] of [
          [theory?.log10ActRms[l], expected(act[l]), "a"],
          [theory?.log10GradRms[l], expected(grad[l]), "∂ℓ/∂a"],
        ] as const) {
          const label = `${activation} ${scale} at depth ${depth}: ${name}_${l}`;
          if (want === null) expect(got, label).toBeNull();
          else expect(got, label).toBeCloseTo(want, 10);
        }
      }
    }
  });

  it("is null where no model applies: layer norm, residual chains of relu or sigmoid, curved s·I chains past their reach", () => {
    const base = validateConfig({ depth: 5 });
    expect(theoryFor({ ...base, norm: "layer" }, 0)).toBeNull();
    // Batch norm's own cases: tests/core/theory-batch.test.ts.
    expect(theoryFor({ ...base, norm: "batch", residual: 0.5 }, 0)).toBeNull();
    expect(theoryFor({ ...base, activation: "relu", residual: 0.5 }, 0)).toBeNull();
    expect(theoryFor({ ...base, activation: "tanh", init: { scheme: "identity", scale: 1.2 } }, 0)).toBeNull();
    expect(theoryFor({ ...base, activation: "tanh", init: { scheme: "identity", scale: -1 } }, 0)).toBeNull();
    expect(theoryFor({ ...base, activation: "sigmoid", init: { scheme: "identity", scale: 4.5 } }, 0)).toBeNull();
    expect(
      theoryFor({ ...base, activation: "tanh", init: { scheme: "identity", scale: 0.9 }, biasSigma: 0.1 }, 0),
    ).toBeNull();
    expect(theoryFor({ ...base, activation: "relu", init: { scheme: "orthogonal", gain: 1 } }, 0)).toBeNull();
    expect(theoryFor(base, null)).toBeNull();
  });

  it("reads the phase and depth scales: ξ_c = −1/ln χ₁ on the ordered side, ∞ (null) at criticality", () => {
    const ordered = theoryFor(
      validateConfig({ depth: 5, activation: "tanh", init: { scheme: "gaussian", sigma: 0.8 } }),
      0,
    );
    expect(ordered).toMatchObject({ phase: "ordered", qStar: 0 });
    expect(ordered?.xiC).toBeCloseTo(-1 / Math.log(0.64), 6);
    const critical = theoryFor(
      validateConfig({ depth: 5, activation: "relu", init: { scheme: "he_normal", gain: 1 } }),
      0,
    );
    expect(critical).toMatchObject({ phase: "critical", xiC: null });
    const sigmaW = criticalSigmaW("tanh", 0.3) as number;
    const scales = [0.9, 0.97, 0.995].map(
      (f) =>
        theoryFor(validateConfig({ depth: 5, init: { scheme: "gaussian", sigma: f * sigmaW }, biasSigma: 0.3 }), 0)
          ?.xiC as number,
    );
    // Approaching the order-to-chaos boundary from the ordered side, ξ_c grows without bound.
    expect(scales[1]).toBeGreaterThan(2 * (scales[0] as number));
    expect(scales[2]).toBeGreaterThan(4 * (scales[1] as number));
    const chaotic = theoryFor(validateConfig({ depth: 5, init: { scheme: "gaussian", sigma: 2 }, biasSigma: 0.3 }), 0);
    expect(chaotic?.phase).toBe("chaotic");
    expect(chaotic?.xiC).toBeGreaterThan(0);
  });

  it("costs the layers before the fixed point only: depth 4096 of tanh", () => {
    const config = validateConfig({ depth: 4096, width: 64, init: { scheme: "gaussian", sigma: 1.3 }, biasSigma: 0.1 });
    const started = performance.now();
    const theory = theoryFor(config, 0);
    // Not a benchmark (bench/ times it): a bound far above what it takes, against a cost per layer.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(theory?.log10ActRms).toHaveLength(4097);
    const qStar = theory?.qStar as number;
    // The curves interpolate a table of moments (about 1e-9 relative); q* is computed directly.
    expect(theory?.log10ActRms[4096]).toBeCloseTo(0.5 * Math.log10(meanSquareOutput("tanh", qStar)), 8);
  });

  it("is in every result, the same on both backends' assembly", () => {
    const result = runReference(validateConfig({ depth: 8, width: 16, batch: 4 }));
    expect(result.theory).toEqual(theoryFor(result.config, result.log10ActRms[0] ?? null));
  });
});
