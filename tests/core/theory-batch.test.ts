/**
 * Batch norm's mean field (src/core/theory-batch.ts, theoryFor's "mean-field-batchnorm") against its
 * closed forms, its large-batch limit, a direct simulation of its definitions, and wide nets measured by
 * the float64 reference.
 */
import { describe, expect, it } from "vitest";
import { ACTIVATIONS, type ActivationName } from "../../src/core/activations";
import { type PartialConfig, validateConfig } from "../../src/core/config";
import { normalEntry } from "../../src/core/random";
import { runReference } from "../../src/core/reference";
import { gaussianExpectation } from "../../src/core/theory";
import { batchNormLayer } from "../../src/core/theory-batch";
import { theoryFor } from "../../src/core/theory-models";

/** λ, the gradient's mean-square gain per layer below the top, at batch B. */
function gain(name: ActivationName, batch: number): number {
  const layer = batchNormLayer(name, batch);
  return layer.gradientGain / (layer.spread * (batch - 3));
}

const rms = (meanSquare: number) => 0.5 * Math.log10(meanSquare);

describe("batch norm's layer in mean field", () => {
  it("gives a linear chain its closed forms: λ = (B − 2)/(B − 3), κ = B/(B − 1), and Π·ẑ = 0", () => {
    for (const batch of [4, 6, 7, 10, 33, 500, 4096]) {
      const layer = batchNormLayer("linear", batch);
      expect(gain("linear", batch), `B = ${batch}`).toBeCloseTo((batch - 2) / (batch - 3), 12);
      expect(layer.output).toBeCloseTo(1, 12);
      // κ holds the pair moment E[ẑ₁ẑ₂] = −1/(B − 1); Π·ẑ = 0 holds E[ẑ₁⁴] and E[ẑ₁²ẑ₂²].
      expect(layer.spread).toBeCloseTo(batch / (batch - 1), 12);
      expect(layer.topOutput).toBe(0);
      expect(layer.topTarget).toBeCloseTo(batch - 2, 11);
    }
    // ReLU and leaky ReLU keep half of a symmetric ẑ's mean square (leaky: plus 0.01² of the other half).
    expect(batchNormLayer("relu", 9).output).toBeCloseTo(0.5, 12);
    expect(batchNormLayer("leaky_relu", 9).output).toBeCloseTo((1 + 0.01 ** 2) / 2, 12);
  });

  it("reaches the large-batch limit λ = E[g'(z)²]/Var g(z) (π/(π − 1) for ReLU) as 1/B", () => {
    // Leaky ReLU of slope k: E[g] = (1 − k)/√(2π), E[g²] = E[g'²] = (1 + k²)/2; ReLU at k = 0.
    const piecewise = (k: number) => (1 + k * k) / 2 / ((1 + k * k) / 2 - (1 - k) ** 2 / (2 * Math.PI));
    expect(piecewise(0)).toBeCloseTo(Math.PI / (Math.PI - 1), 14);
    for (const name of ["relu", "leaky_relu", "tanh", "sigmoid"] as const) {
      const g = ACTIVATIONS[name];
      const der = (z: number) => g.derFromOutput(g.output(z));
      const smooth = () => {
        const mean = gaussianExpectation(g.output, Math.PI / 2);
        const variance = gaussianExpectation((z) => g.output(z) ** 2, Math.PI / 2) - mean * mean;
        return gaussianExpectation((z) => der(z) ** 2, Math.PI / 2) / variance;
      };
      const limit = name === "relu" ? piecewise(0) : name === "leaky_relu" ? piecewise(0.01) : smooth();
      const gaps = [256, 4096].map((batch) => Math.abs(gain(name, batch) - limit) / limit);
      expect(gaps[1], name).toBeLessThan(4 / 4096);
      // The gap closes as 1/B: 16 times the batch, a sixteenth of the gap (within 20%).
      expect((gaps[0] as number) / (gaps[1] as number), name).toBeGreaterThan(16 / 1.2);
      expect((gaps[0] as number) / (gaps[1] as number), name).toBeLessThan(16 * 1.2);
    }
  });

  it("equals its definitions simulated on random batches: E[T], κ and the top layer's parts, within 4 standard errors", {
    timeout: 60_000,
  }, () => {
    const samples = 40_000;
    for (const [name, batch] of [
      ["tanh", 6],
      ["relu", 7],
      ["sigmoid", 12],
    ] as const) {
      const g = ACTIVATIONS[name];
      const sums = { trace: [0, 0], spread: [0, 0], topOutput: [0, 0], topTarget: [0, 0] };
      const add = (key: keyof typeof sums, value: number) => {
        sums[key][0] = (sums[key][0] as number) + value;
        sums[key][1] = (sums[key][1] as number) + value * value;
      };
      for (let s = 0; s < samples; s++) {
        // ẑ: a Gaussian batch, centred and scaled to mean square 1, uniform on its sphere.
        const h = Array.from({ length: batch }, (_, i) => normalEntry(7, 0, s, i, 0));
        const mu = h.reduce((a, b) => a + b, 0) / batch;
        const sd = Math.sqrt(h.reduce((a, b) => a + (b - mu) ** 2, 0) / batch);
        const z = h.map((v) => (v - mu) / sd);
        const a = z.map(g.output);
        const d = a.map(g.derFromOutput);
        // Π·v: v less its mean and its component along ẑ (‖ẑ‖² = B).
        const project = (v: number[]) => {
          const m = v.reduce((x, y) => x + y, 0) / batch;
          const along = v.reduce((x, y, i) => x + y * (z[i] as number), 0) / batch;
          return v.map((y, i) => y - m - along * (z[i] as number));
        };
        const centred = (v: number[]) => {
          const m = v.reduce((x, y) => x + y, 0) / batch;
          return v.map((y) => y - m);
        };
        const squared = (v: number[]) => v.reduce((x, y) => x + y * y, 0);
        // T = tr(Π·D·P·D·Π) = Σ_k ‖Π·D·P·e_k‖², P the centring.
        let trace = 0;
        for (let k = 0; k < batch; k++) {
          const column = centred(Array.from({ length: batch }, (_, i) => (i === k ? 1 : 0)));
          trace += squared(project(column.map((v, i) => v * (d[i] as number))));
        }
        add("trace", trace);
        add("spread", squared(centred(a)) / (batch - 1));
        add("topOutput", squared(project(a.map((v, i) => v * (d[i] as number)))));
        let target = 0;
        for (let k = 0; k < batch; k++)
          target += squared(project(Array.from({ length: batch }, (_, i) => (i === k ? (d[i] as number) : 0))));
        add("topTarget", target);
      }
      const layer = batchNormLayer(name, batch);
      const expected = {
        trace: (layer.gradientGain * (batch - 1)) / batch,
        spread: layer.spread,
        topOutput: layer.topOutput,
        topTarget: layer.topTarget,
      };
      for (const key of Object.keys(sums) as (keyof typeof sums)[]) {
        const [sum, square] = sums[key] as [number, number];
        const mean = sum / samples;
        const error = Math.sqrt((square / samples - mean * mean) / samples);
        expect(Math.abs(mean - expected[key]), `${name} B = ${batch} ${key}: ${mean} ± ${error}`).toBeLessThan(
          4 * error + 1e-12,
        );
      }
    }
  });
});

describe("theoryFor with batch norm", () => {
  it("is what a wide batch-normalized net measures: the mean square of a_l and ∂ℓ/∂a_l", { timeout: 60_000 }, () => {
    const cases: PartialConfig[] = [
      { activation: "relu", batch: 16, init: { scheme: "gaussian", sigma: 1.4 }, biasSigma: 0.3, target: "zeros" },
      { activation: "tanh", batch: 8, init: { scheme: "gaussian", sigma: 2 }, target: "input" },
      {
        activation: "sigmoid",
        batch: 32,
        init: { scheme: "xavier_normal", gain: 1 },
        biasSigma: 0.5,
        target: "teacher",
      },
      { activation: "linear", batch: 16, init: { scheme: "he_uniform", gain: 1 } },
      { activation: "leaky_relu", batch: 12, init: { scheme: "gaussian", sigma: 0.5 } },
    ];
    for (const partial of cases) {
      const config = validateConfig({ depth: 12, width: 512, norm: "batch", numerics: "tracked", ...partial });
      const measured = runReference(config);
      const theory = theoryFor(config, measured.log10ActRms[0] ?? null);
      expect(theory?.model).toBe("mean-field-batchnorm");
      const label = JSON.stringify(partial);
      // The random-walk tolerance of theory.test.ts's wide nets, ½·log10(1 + 3√(5l/n)).
      const tolerance = (layers: number) => 0.5 * Math.log10(1 + 3 * Math.sqrt((5 * layers) / config.width));
      const L = config.depth;
      for (let l = 0; l <= L; l++) {
        const act = Math.abs((measured.log10ActRms[l] as number) - (theory?.log10ActRms[l] as number));
        const grad = Math.abs((measured.log10GradRms[l] as number) - (theory?.log10GradRms[l] as number));
        expect(act, `${label} a_${l}`).toBeLessThan(tolerance(Math.max(l, 1)));
        expect(grad, `${label} ∂ℓ/∂a_${l}`).toBeLessThan(tolerance(2 * L - l + 1));
      }
    }
  });

  it("explodes the gradient at any σ_w: λ per layer above layer 1, the same for σ_w 0.3 and 3, with or without biases", () => {
    const theories = [
      { sigma: 0.3, biasSigma: 0 },
      { sigma: 3, biasSigma: 0.7 },
    ].map(({ sigma, biasSigma }) =>
      theoryFor(
        validateConfig({
          depth: 40,
          batch: 16,
          activation: "tanh",
          norm: "batch",
          init: { scheme: "gaussian", sigma },
          biasSigma,
        }),
        0,
      ),
    );
    const lambda = gain("tanh", 16);
    for (const theory of theories) {
      expect(theory).toMatchObject({ model: "mean-field-batchnorm", phase: "chaotic", qStar: null });
      expect(theory?.chi1).toBeCloseTo(lambda, 12);
      const grad = theory?.log10GradRms as number[];
      for (let l = 2; l < 39; l++) expect((grad[l - 1] as number) - (grad[l] as number)).toBeCloseTo(rms(lambda), 12);
    }
    expect(theories[0]?.log10GradRms).toEqual(theories[1]?.log10GradRms);
  });

  it("gives a linear chain's top layer in closed form: (B − 1)(B − 2)/(B(B − 3))·E[y²], and 0 for y = 0", () => {
    const batch = 10;
    const base = { depth: 6, batch, activation: "linear", norm: "batch" } as const;
    const gaussian = theoryFor(validateConfig({ ...base, target: "gaussian" }), 0);
    expect(gaussian?.log10GradRms[6]).toBeCloseTo(rms(2), 12);
    expect(gaussian?.log10GradRms[5]).toBeCloseTo(rms(((batch - 1) * (batch - 2)) / (batch * (batch - 3))), 10);
    // Π takes a_L = ẑ_L out of ∂ℓ/∂z_L exactly: nothing reaches the layers below.
    const zeros = theoryFor(validateConfig({ ...base, target: "zeros" }), 0);
    expect(zeros?.log10GradRms.slice(0, 6)).toEqual([null, null, null, null, null, null]);
  });

  it("is null outside the model: residual chains, s·I or orthogonal weights, equal examples, B < 6, σ_w under ε's reach, layer norm", () => {
    const base = validateConfig({ depth: 5, batch: 16, norm: "batch" });
    expect(theoryFor(base, 0)?.model).toBe("mean-field-batchnorm");
    expect(theoryFor({ ...base, residual: 0.5 }, 0)).toBeNull();
    expect(theoryFor({ ...base, init: { scheme: "identity", scale: 1 } }, 0)).toBeNull();
    expect(theoryFor({ ...base, init: { scheme: "orthogonal", gain: 1 } }, 0)).toBeNull();
    expect(theoryFor({ ...base, input: "ones" }, 0)).toBeNull();
    expect(theoryFor({ ...base, batch: 5 }, 0)).toBeNull();
    expect(theoryFor({ ...base, batch: 6 }, 0)).not.toBeNull();
    expect(theoryFor({ ...base, activation: "linear", init: { scheme: "gaussian", sigma: 0.09 } }, 0)).toBeNull();
    expect(theoryFor({ ...base, activation: "linear", init: { scheme: "gaussian", sigma: 0.1 } }, 0)).not.toBeNull();
    expect(theoryFor({ ...base, norm: "layer" }, 0)).toBeNull();
  });
});
