/**
 * The lab's reading of the theory (src/core/theory-reading.ts): why no model applies, held together
 * with theoryFor; the critical line against criticalSigmaW and meanField; a config's diagram point.
 */
import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES } from "../../src/core/activations";
import { type InitConfig, type PartialConfig, validateConfig } from "../../src/core/config";
import { criticalSigmaW, meanField } from "../../src/core/theory";
import { theoryFor } from "../../src/core/theory-models";
import {
  configPoint,
  criticalLine,
  DIAGRAM_RANGE,
  diagramNotes,
  lineExtent,
  modelWords,
  phaseAt,
  phaseWords,
  theoryAbsence,
  theoryFacts,
} from "../../src/core/theory-reading";

describe("theoryAbsence", () => {
  it("gives a reason exactly where theoryFor gives no prediction", () => {
    const inits: InitConfig[] = [
      { scheme: "gaussian", sigma: 1.2 },
      { scheme: "he_uniform", gain: 1 },
      { scheme: "identity", scale: 0.9 },
      { scheme: "identity", scale: -1 },
      { scheme: "identity", scale: 1.2 },
      { scheme: "identity", scale: 4 },
      { scheme: "identity", scale: 3.5 },
      { scheme: "orthogonal", gain: 1 },
    ];
    let absent = 0;
    let configs = 0;
    const check = (config: ReturnType<typeof validateConfig>, label: string) => {
      const reason = theoryAbsence(config);
      expect(reason === null, `${label}: ${reason}`).toBe(theoryFor(config, 0) !== null);
      if (reason !== null) absent++;
      configs++;
    };
    for (const activation of ACTIVATION_NAMES)
      for (const init of inits)
        for (const residual of [null, 0.5])
          for (const norm of ["none", "layer", "batch"] as const)
            for (const biasSigma of [0, 0.1]) {
              const config = validateConfig({
                depth: 3,
                width: 4,
                batch: 2,
                activation,
                init,
                residual,
                norm,
                biasSigma,
              });
              check(config, JSON.stringify({ activation, init, residual, norm, biasSigma }));
            }
    // Batch norm's own edges: the batch size, an input of equal examples, σ_w at ε's reach.
    for (const activation of ACTIVATION_NAMES)
      for (const batch of [3, 5, 6, 64])
        for (const input of ["ones", "gaussian"] as const)
          for (const sigma of [0.05, 0.1, 0.3, 2]) {
            const partial = { batch, input, activation, init: { scheme: "gaussian", sigma }, norm: "batch" } as const;
            check(validateConfig({ depth: 3, width: 4, ...partial }), JSON.stringify(partial));
          }
    // Both kinds occur: the sweep is not trivially all of one.
    expect(absent).toBeGreaterThan(50);
    expect(configs - absent).toBeGreaterThan(50);
  });

  it("names the cause: a norm, residual relu, a curved s·I chain past its reach, orthogonal tanh", () => {
    const base = validateConfig({ depth: 5 });
    expect(theoryAbsence({ ...base, norm: "layer" })).toMatch(/^no model here covers layer norm/);
    expect(theoryAbsence({ ...base, activation: "relu", residual: 0.5 })).toMatch(/odd activations.*relu has a mean/);
    expect(theoryAbsence({ ...base, activation: "tanh", init: { scheme: "identity", scale: 1.2 } })).toMatch(
      /^\|s\|·max g′ = 1\.2 > 1/,
    );
    expect(theoryAbsence({ ...base, activation: "sigmoid", init: { scheme: "identity", scale: 4.5 } })).toMatch(
      /^\|s\|·max g′ = 1\.13 > 1/,
    );
    expect(theoryAbsence({ ...base, activation: "tanh", init: { scheme: "orthogonal", gain: 1 } })).toMatch(
      /exact only for a linear chain: with tanh/,
    );
    expect(theoryAbsence(base)).toBeNull();
    const batch = validateConfig({ depth: 5, batch: 16, norm: "batch" });
    expect(theoryAbsence(batch)).toBeNull();
    expect(theoryAbsence({ ...batch, batch: 4 })).toMatch(
      /needs a batch of at least 6: with 4 examples a unit's batch variance.*×1\.41 a layer.*Gradients still explode/,
    );
    expect(theoryAbsence({ ...batch, input: "ones" })).toMatch(/^every example is the same \(input ones\)/);
    expect(theoryAbsence({ ...batch, residual: 1 })).toMatch(/covers plain chains only/);
    expect(theoryAbsence({ ...batch, init: { scheme: "orthogonal", gain: 1 } })).toMatch(
      /orthogonal weights do not mix/,
    );
    expect(theoryAbsence({ ...batch, init: { scheme: "gaussian", sigma: 0.05 } })).toMatch(
      /^σ_w = 0\.05 is too small beside batch norm's ε = 1e-5/,
    );
  });
});

describe("the critical line χ₁ = 1", () => {
  it("is criticalSigmaW's boundary for tanh, to 1e-6, at a fraction of its cost", () => {
    const started = performance.now();
    const line = criticalLine("tanh");
    const elapsed = performance.now() - started;
    expect(line).toHaveLength(41);
    expect(line[0]).toEqual({ sigmaW: 1, sigmaB: 0 });
    for (const { sigmaW, sigmaB } of line.filter((_, i) => i % 8 === 0))
      expect(Math.abs(sigmaW - (criticalSigmaW("tanh", sigmaB) as number)), `σ_b = ${sigmaB}`).toBeLessThan(1e-6);
    for (const { sigmaW, sigmaB } of line)
      expect(meanField("tanh", sigmaW ** 2, sigmaB ** 2).chi1, `σ_b = ${sigmaB}`).toBeCloseTo(1, 6);
    // Rising with σ_b, inside the diagram.
    for (let i = 1; i < line.length; i++) expect(line[i]?.sigmaW).toBeGreaterThan(line[i - 1]?.sigmaW as number);
    expect(lineExtent(line)).toBe("inside");
    // Not a benchmark: a bound far above what it takes (a few ms), against a fixed point solved per step.
    expect(elapsed).toBeLessThan(1000);
  });

  it("is a constant σ_w for piecewise-linear activations: √2 (relu), √(2/(1 + 0.01²)) (leaky), 1 (linear)", () => {
    const expected = { relu: Math.SQRT2, leaky_relu: Math.sqrt(2 / (1 + 0.01 ** 2)), linear: 1 } as const;
    for (const [name, sigmaW] of Object.entries(expected) as [keyof typeof expected, number][]) {
      const line = criticalLine(name);
      expect(line).toHaveLength(41);
      for (const point of line) expect(point.sigmaW).toBeCloseTo(sigmaW, 12);
      expect(criticalSigmaW(name, 0.5)).toBeCloseTo(sigmaW, 9);
    }
  });

  it("lies beyond σ_w = 4 for sigmoid: g′ ≤ ¼ keeps χ₁ ≤ σ_w²/16 < 1 across the diagram", () => {
    const line = criticalLine("sigmoid");
    expect(line).toHaveLength(41);
    for (const { sigmaW, sigmaB } of line) {
      expect(sigmaW).toBeGreaterThan(DIAGRAM_RANGE.sigmaW);
      expect(meanField("sigmoid", sigmaW ** 2, sigmaB ** 2).chi1, `σ_b = ${sigmaB}`).toBeCloseTo(1, 6);
    }
    expect(lineExtent(line)).toBe("beyond");
    for (const sigmaB of [0, 0.5, 1]) expect(phaseAt("sigmoid", { sigmaW: 4, sigmaB }).chi1).toBeLessThan(1);
  });
});

describe("a config on the diagram", () => {
  it("lies at σ_w = √(n·Var W_ij) and its σ_b; s·I and orthogonal weights have no point", () => {
    expect(configPoint(validateConfig({ init: { scheme: "xavier_normal", gain: 1 } }))?.sigmaW).toBeCloseTo(1, 12);
    expect(configPoint(validateConfig({ init: { scheme: "gaussian", sigma: 1.5 }, biasSigma: 0.3 }))).toEqual({
      sigmaW: 1.5,
      sigmaB: 0.3,
    });
    expect(configPoint(validateConfig({ width: 16, init: { scheme: "normal", sigma: 0.5 } }))?.sigmaW).toBeCloseTo(
      2,
      12,
    );
    expect(configPoint(validateConfig({ init: { scheme: "identity", scale: 1 } }))).toBeNull();
    expect(configPoint(validateConfig({ init: { scheme: "orthogonal", gain: 1 } }))).toBeNull();
  });

  it("reads χ₁ and the phase there as meanField does", () => {
    const field = meanField("tanh", 1.5 ** 2, 0.3 ** 2);
    expect(phaseAt("tanh", { sigmaW: 1.5, sigmaB: 0.3 })).toEqual({ chi1: field.chi1, phase: field.phase });
  });

  it("says the model and the phase in words", () => {
    const config = validateConfig({ depth: 5, init: { scheme: "gaussian", sigma: 1.5 }, biasSigma: 0.3 });
    const theory = theoryFor(config, 0);
    if (!theory) throw new Error("a plain tanh chain has a prediction");
    expect(modelWords(theory, config.init)).toBe("mean field (wide Gaussian layers)");
    const identity = validateConfig({ depth: 5, activation: "linear", init: { scheme: "identity", scale: 1.5 } });
    expect(modelWords(theoryFor(identity, 0) as NonNullable<typeof theory>, identity.init)).toBe("exact (s·I chain)");
    expect(phaseWords("ordered")).toMatch(/vanish/);
    expect(phaseWords("chaotic")).toMatch(/explode/);
    expect(phaseWords("critical")).toMatch(/edge of chaos/);
    expect(phaseWords(null)).toBe("—");
  });
});

describe("the theory panel's lines", () => {
  const facts = (config: PartialConfig) => {
    const valid = validateConfig({ depth: 5, ...config });
    const theory = theoryFor(valid, 0);
    if (!theory) throw new Error(`no theory for ${JSON.stringify(config)}`);
    return Object.fromEntries(theoryFacts(theory, valid).map((fact) => [fact.label, fact.value]));
  };

  it("tanh at σ_w = 1.5, σ_b = 0.3: χ₁ as meanField gives it, the RMS factor √χ₁, q*, finite depth scales, chaotic", () => {
    const field = meanField("tanh", 2.25, 0.09);
    const shown = facts({ init: { scheme: "gaussian", sigma: 1.5 }, biasSigma: 0.3 });
    expect(shown.Model).toBe("mean field (wide Gaussian layers)");
    expect(shown["χ₁"]).toBe(
      `${Number(field.chi1.toPrecision(3))}: the gradient's RMS grows ×${Number(Math.sqrt(field.chi1).toPrecision(3))} per layer backward at q* (×√χ₁)`,
    );
    expect(shown["q*"]).toBe(String(Number(field.qStar.toPrecision(3))));
    expect(shown.ξ_q).toMatch(/^[\d.]+ layers for q_l to reach q\*$/);
    expect(shown.ξ_c).toMatch(/^[\d.]+ layers for two inputs' correlation to settle$/);
    // 3 decades of the gradient's RMS at ×√χ₁ a layer.
    const decades = Math.ceil(6 / Math.log10(field.chi1));
    expect(shown.Phase).toBe(`chaotic (χ₁ > 1): gradients explode, 3 decades every ${decades} layers`);
  });

  it("batch norm: its model at this batch size, λ from layer L − 1 down to layer 1, no q* nor depth scales", () => {
    const shown = facts({ depth: 30, batch: 16, activation: "relu", norm: "batch" });
    const lambda = theoryFor(validateConfig({ batch: 16, activation: "relu", norm: "batch" }), 0)?.chi1 as number;
    expect(shown.Model).toBe("mean field with batch norm (wide Gaussian layers, this batch size)");
    expect(shown["χ₁"]).toBe(
      `${Number(lambda.toPrecision(3))}: the gradient's RMS grows ×${Number(Math.sqrt(lambda).toPrecision(3))} per layer backward from layer 29 down to layer 1 (×√χ₁)`,
    );
    expect(shown["q*"]).toBe("— (batch norm sets every layer's length: no map to iterate)");
    expect(shown.ξ_q).toBe("— (not modelled with batch norm)");
    // A shallow batch-normalized net reads stable in the verdict: the phase says over how many layers it explodes.
    expect(shown.Phase).toBe(
      `chaotic (χ₁ > 1): gradients explode, 3 decades every ${Math.ceil(6 / Math.log10(lambda))} layers`,
    );
  });

  it("at criticality ξ_c is ∞; where q* is ∞ or not defined it says so; s·I chains read exactly", () => {
    const he = facts({ activation: "relu", init: { scheme: "he_normal", gain: 1 } });
    expect(he.ξ_c).toBe("∞ (critical)");
    expect(he["χ₁"]).toBe("1: the gradient's RMS keeps its size at q* (×√χ₁ = ×1 per layer)");
    expect(facts({ activation: "relu", init: { scheme: "he_normal", gain: 1.5 } })["q*"]).toMatch(/^∞/);
    expect(facts({ init: { scheme: "gaussian", sigma: 0.8 } })["q*"]).toBe("0: the activations shrink to 0");
    const explode = facts({ activation: "linear", init: { scheme: "identity", scale: 1.5 } });
    expect(explode.Model).toBe("exact (s·I chain)");
    expect(explode["χ₁"]).toBe("2.25: the gradient's RMS grows ×1.5 per layer backward (×√χ₁)");
    expect(explode["q*"]).toMatch(/^∞/);
    expect(facts({ activation: "linear", init: { scheme: "identity", scale: 1 } })["q*"]).toMatch(/^— \(every q/);
    // A curved s·I chain converges to its fixed point a* = g(s·a*): 0 for tanh, χ₁ = s² there.
    const curved = facts({ activation: "tanh", init: { scheme: "identity", scale: 0.9 } });
    expect(curved["χ₁"]).toBe("0.81: the gradient's RMS shrinks ×0.9 per layer backward at the fixed point (×√χ₁)");
    expect(curved["q*"]).toBe("0: the activations shrink to 0");
    expect(curved.Phase).toBe(
      `ordered (χ₁ < 1): gradients vanish, 3 decades every ${Math.ceil(6 / -Math.log10(0.81))} layers`,
    );
    // The sigmoid's a* = σ(4·a*) ≈ 0.98: χ₁ = (4·σ'(4a*))², q* = (4a*)².
    const sigmoid = theoryFor(
      validateConfig({ depth: 5, activation: "sigmoid", init: { scheme: "identity", scale: 4 } }),
      0,
    );
    let a = 0.5;
    for (let i = 0; i < 200; i++) a = 1 / (1 + Math.exp(-4 * a));
    expect(sigmoid?.chi1).toBeCloseTo((4 * a * (1 - a)) ** 2, 12);
    expect(sigmoid?.qStar).toBeCloseTo((4 * a) ** 2, 12);
    expect(sigmoid?.phase).toBe("ordered");
    expect(facts({ activation: "relu", init: { scheme: "identity", scale: 0.9 } })["χ₁"]).toMatch(/^—/);
    expect(facts({ activation: "tanh", residual: 0.2 })["q*"]).toMatch(/residual chain's mean square grows/);
  });
});

describe("the diagram's notes", () => {
  it("say where a config has no point, lies off it, or is not a plain chain", () => {
    expect(diagramNotes(validateConfig({}))).toHaveLength(1);
    expect(diagramNotes(validateConfig({ init: { scheme: "identity", scale: 1 } }))[0]).toBe(
      "s·I weights are not Gaussian: this config has no point here.",
    );
    expect(diagramNotes(validateConfig({ width: 64, init: { scheme: "normal", sigma: 1 } }))[0]).toBe(
      "This config (σ_w 8.00, σ_b 0.00) lies off the diagram.",
    );
    expect(diagramNotes(validateConfig({ residual: 0.5, norm: "layer" }))[0]).toBe(
      "The diagram is of plain chains; this one has residual connections and layer norm.",
    );
  });
});
