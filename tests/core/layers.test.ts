/**
 * Residual connections and normalized layers in the float64 reference: closed forms of s·I chains in
 * tracked numerics far past float64's range (the exponents a norm resets or keeps, and the two terms a
 * residual sum aligns), degenerate groups, and float32 against tracked on random configs.
 * Their gradients against finite differences are in reference.test.ts, the statistical theory in
 * layer-theory.test.ts.
 */
import { describe, expect, it } from "vitest";
import { type PartialConfig, type RunConfig, validateConfig } from "../../src/core/config";
import { NORM_EPSILON } from "../../src/core/layers/norm";
import { lectureConfig } from "../../src/core/presets";
import { Stream } from "../../src/core/random";
import { dataTensor, runReference } from "../../src/core/reference";
import type { RunResult } from "../../src/core/result";
import { type ChainForm, chainClosedForm, chainMisses, float64Bound, maxLogDifference } from "../support/chain";
import { mulberry32 } from "../support/random";

const LN10 = Math.LN10;

/** The lecture's s·I chain (width 2, batch 1, x = ones, linear, y = 0) in tracked numerics, with more. */
function identityChain(scale: number, depth: number, extra: PartialConfig): RunConfig {
  return validateConfig({ ...lectureConfig(scale, depth), numerics: "tracked", ...extra });
}

describe("a residual s·I chain: a_l = a_{l−1} + α·s·a_{l−1} = (1 + α·s)^l·x", () => {
  // Backward ∂ℓ/∂a_{l−1} = (1 + α·s)·∂ℓ/∂a_l; the branch's ∂ℓ/∂z_l = α·∂ℓ/∂a_l, so ∂loss/∂W_l is the plain chain's
  // (chainClosedForm with s replaced by 1 + α·s) times α. In float64 1 + α·s rounds once; each layer rounds s·a,
  // α·(s·a) and the sum: ≤ 4·4096 ulps, 1e-12 in log10, inside float64Bound.
  const CASES: [number, number][] = [
    [1, 0.5], // 1.5^4096 ≈ 10^721
    [-1.5, 1], // (−0.5)^4096 ≈ 10^−1233, signs alternating
    [1e6, 10], // (10^7 + 1)^4096 ≈ 10^28672: the branch is 2^23 times the skip
    [1e-20, 0.5], // 1 + 5e−21 = 1 in float64: the branch is 2^−67 of the skip, a_l = x
    [0.5, 0], // α = 0: a_l = x, and no weight gradient at all
  ];
  for (const [scale, alpha] of CASES) {
    for (const target of ["zeros", "gaussian"] as const) {
      it(`s = ${scale}, α = ${alpha}, depth 4096, target ${target}: every layer at its closed form`, () => {
        const config = identityChain(scale, 4096, { residual: alpha, target });
        const result = runReference(config);
        const factor = 1 + Math.fround(alpha) * Math.fround(scale);
        const plain = chainClosedForm({
          scale: factor,
          depth: config.depth,
          width: config.width,
          slope: 1,
          target: dataTensor(config, Stream.targets).map(Math.fround),
        });
        const log10Alpha = Math.log10(Math.fround(alpha));
        const times = (v: number | null) => (v === null || alpha === 0 ? null : v + log10Alpha);
        const form: ChainForm = {
          ...plain,
          log10WeightGradNorm: plain.log10WeightGradNorm.map(times),
          log10WeightGradRms: plain.log10WeightGradRms.map(times),
        };
        expect(chainMisses(result, form, float64Bound(form))).toEqual([]);
        expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
      });
    }
  }
});

/** Prefix sums Σ_{k<i} of a sequence, compensated (Neumaier): each off by a few ulps of the sum, not of i terms. */
function prefixSums(terms: number[]): number[] {
  const sums = [0];
  let sum = 0;
  let compensation = 0;
  for (const term of terms) {
    const next = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? sum - next + term : term - next + sum;
    sum = next;
    sums.push(sum + compensation);
  }
  return sums;
}

const logSumExp = (a: number, b: number) => Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));

/**
 * Closed form of a normalized linear s·I chain (s > 0) whose group (the n units of the one example for
 * "layer", the B examples of the one unit for "batch") holds x; u = x − mean(x), v_0 = mean(u²), û = u/‖u‖.
 *
 * Forward: z_l = s·a_{l−1}, so ẑ_l = s·(a_{l−1} − mean)/√(s²·v_{l−1} + ε) = a_l: every a_l (l ≥ 1) is c_l·u
 * (c_l > 0) with mean 0, v_l = mean(a_l²) = s²·v_{l−1} / (s²·v_{l−1} + ε), RMS(a_l) = √v_l.
 *
 * Backward: split ∂ℓ/∂a_l = g into its mean, its part along û and the rest g_⊥. Through layer l,
 * ∂ℓ/∂z = (g − mean(g) − ẑ·mean(g·ẑ))/√(s²·v_{l−1} + ε) with ẑ·mean(g·ẑ) = v_l·(g·û)û: the mean is removed,
 * g_⊥ is divided by √(s²·v_{l−1} + ε), the û part also multiplied by 1 − v_l = ε/(s²·v_{l−1} + ε); then
 * ∂ℓ/∂a_{l−1} = s·∂ℓ/∂z. So from g_L = a_L − y, with P_⊥ = Π s/√(s²v + ε) and P_û = Π s·ε/(s²v + ε)^{3/2}
 * over the layers passed, ‖∂ℓ/∂a_l‖² = P_⊥²·‖g_⊥‖² + P_û²·(g_L·û)². Where s²v ≪ ε (s = 1e−20) the two products
 * agree; where s²v ≫ ε the û part fades 10^−5 faster per layer and g_⊥ carries the gradient.
 *
 * ∂loss/∂W_l for "layer" (B = 1) is the outer product ∂ℓ/∂z_l a_{l−1}ᵀ, ‖·‖_F = n·RMS(∂ℓ/∂a_{l−1})·RMS(a_{l−1})/s.
 * (For "batch", n = 1, it is (1/B)·∂ℓ/∂z_l·a_{l−1}, which sees only the û part, below float64's noise of the
 * g_⊥ part where s²v ≫ ε: not checked.)
 *
 * Every product is a compensated sum of natural logs, ln(s²v + ε) a log-sum-exp, so the form holds at 10^±70000.
 */
function normChainForm(config: RunConfig): ChainForm {
  const x = dataTensor(config, Stream.inputs).map(Math.fround);
  const y = dataTensor(config, Stream.targets).map(Math.fround);
  const m = x.length;
  const mean = x.reduce((sum, v) => sum + v, 0) / m;
  const u = x.map((v) => v - mean);
  const s = Math.fround(config.init.scheme === "identity" ? config.init.scale : Number.NaN);
  const lnS = Math.log(s);
  const lnEps = Math.log(NORM_EPSILON);
  const lnV0 = Math.log(u.reduce((sum, v) => sum + v * v, 0) / m);
  const depth = config.depth;
  // ln(s²·v_{l−1} + ε) for l = 1..L (index l − 1), each from the compensated ln v_{l−1}.
  const lnDenominator: number[] = [];
  const steps: number[] = [];
  const running = { sum: 0, compensation: 0 };
  for (let l = 1; l <= depth; l++) {
    const lnV = lnV0 + running.sum + running.compensation;
    lnDenominator.push(logSumExp(2 * lnS + lnV, lnEps));
    const step = 2 * lnS - (lnDenominator[l - 1] as number);
    steps.push(step);
    const next = running.sum + step;
    running.compensation +=
      Math.abs(running.sum) >= Math.abs(step) ? running.sum - next + step : step - next + running.sum;
    running.sum = next;
  }
  const lnVs = prefixSums(steps).map((sum) => lnV0 + sum);
  const log10Act = lnVs.map((lv, l) =>
    l === 0 ? 0.5 * Math.log10(x.reduce((sum, v) => sum + v * v, 0) / m) : lv / (2 * LN10),
  );
  // g_L = a_L − y, a_L = c_L·u with c_L = √(v_L / v_0).
  const cL = Math.exp(0.5 * ((lnVs[depth] as number) - lnV0));
  const gL = u.map((v, k) => cL * v - (y[k] as number));
  const normU = Math.sqrt(u.reduce((sum, v) => sum + v * v, 0));
  const along = gL.reduce((sum, g, k) => sum + (g * (u[k] as number)) / normU, 0);
  const gMean = gL.reduce((sum, g) => sum + g, 0) / m;
  const rest = gL.reduce((sum, g, k) => sum + (g - gMean - (along * (u[k] as number)) / normU) ** 2, 0);
  // ln P_⊥ and ln P_û from layer L down to l: suffix sums of the per-layer logs.
  const suffix = (terms: number[]) => {
    const sums = prefixSums([...terms].reverse());
    return (l: number) => sums[depth - l] as number;
  };
  const lnPerp = suffix(lnDenominator.map((ld) => lnS - 0.5 * ld));
  const lnAlong = suffix(lnDenominator.map((ld) => lnS + lnEps - 1.5 * ld));
  const log10Grad = log10Act.map((_, l) => {
    if (l === depth) return 0.5 * Math.log10(gL.reduce((sum, g) => sum + g * g, 0) / m);
    const lnSq = logSumExp(2 * lnPerp(l) + Math.log(rest), 2 * lnAlong(l) + Math.log(along * along));
    return (lnSq - Math.log(m)) / (2 * LN10);
  });
  const n = config.width;
  const log10WeightGradNorm = log10Act.map((_, l) =>
    l === 0 ? null : (log10Grad[l - 1] as number) + (log10Act[l - 1] as number) + Math.log10(n) - lnS / LN10,
  );
  return {
    log10ActRms: log10Act,
    log10GradRms: log10Grad,
    log10WeightGradNorm,
    log10WeightGradRms: log10WeightGradNorm.map((v) => (v === null ? null : v - Math.log10(n))),
    log10Loss: Math.log10(gL.reduce((sum, g) => sum + g * g, 0) / (2 * config.batch)),
    negativeLayers: () => 0,
  };
}

describe("a normalized s·I chain (linear, tracked): the exponent a norm keeps where var(z) < ε, and resets where not", () => {
  for (const norm of ["layer", "batch"] as const) {
    // s = 1e−20: var(z) ≈ 1e−40·v ≪ ε, ẑ ≈ z/√ε shrinks 10^−17.5 per layer (10^−71000 at 4096); 0.01: v → 0.9,
    // the gradient's û part 0.1× per layer; 0.5 and 1.5: v → 1 − ε/s², RMS(a_l) → 1, the gradient s/s = 1× per
    // layer on g_⊥ and 4e−5× (4e−6×) on the û part.
    for (const scale of [1e-20, 0.01, 0.5, 1.5]) {
      it(`${norm} norm, s = ${scale}, depth 4096: every layer at its closed form`, () => {
        const group = norm === "layer" ? { width: 4, batch: 1 } : { width: 1, batch: 4 };
        const config = identityChain(scale, 4096, { ...group, input: "gaussian", target: "gaussian", seed: 5, norm });
        const result = runReference(config);
        const form = normChainForm(config);
        // Batch norm's weight gradient is not checked (see normChainForm): the form's own values stand in.
        const checked =
          norm === "layer"
            ? result
            : { ...result, log10WeightGradNorm: form.log10WeightGradNorm, log10WeightGradRms: form.log10WeightGradRms };
        expect(chainMisses(checked, form, float64Bound(form))).toEqual([]);
        expect(result.firstAllZero).toEqual({ forward: null, backward: null });
      });
    }
  }

  it("float32 loses the s = 1e−20 chain to zero by layer 3; tracked keeps every layer", () => {
    // 1e−20/√ε ≈ 3e−18 per layer: 3e−18³ is below float32's smallest subnormal, 1.4e−45.
    const extra = { width: 4, batch: 1, input: "gaussian", norm: "layer" } as const;
    const float32 = runReference({ ...identityChain(1e-20, 10, extra), numerics: "float32" });
    expect(float32.firstAllZero.forward).toBeLessThanOrEqual(3);
    const tracked = runReference(identityChain(1e-20, 10, extra));
    expect(tracked.log10ActRms.every((v) => v !== null)).toBe(true);
  });
});

describe("groups of one entry", () => {
  it("layer norm at width 1 and batch norm at batch 1 normalize every z to 0: a_l = g(0), no gradient below L", () => {
    for (const group of [
      { width: 1, batch: 3, norm: "layer" },
      { width: 3, batch: 1, norm: "batch" },
    ] as const) {
      const config = validateConfig({ depth: 5, activation: "linear", biasSigma: 0.5, ...group });
      const result = runReference(config);
      expect(result.firstAllZero, JSON.stringify(group)).toEqual({ forward: 1, backward: 4 });
      expect(result.log10WeightGradNorm.every((v) => v === null)).toBe(true);
      // With a skip, a_l = a_0 + l·α·g(0): sigmoid(0) = 1/2 adds α/2 per layer, and the gradient passes unchanged.
      const skip = runReference({ ...config, activation: "sigmoid", residual: 1, input: "ones", target: "zeros" });
      for (let l = 0; l <= 5; l++) expect(skip.log10ActRms[l]).toBeCloseTo(Math.log10(1 + l / 2), 6);
      expect(skip.log10GradRms.every((v) => Math.abs((v as number) - Math.log10(3.5)) < 1e-6)).toBe(true);
    }
  });
});

/**
 * A random config with residual connections or norms that stays far from float32's range: depth ≤ 30, gains
 * near 1 (depth ≤ 20 with norms). Normalized layers take Gaussian inputs (identical examples have no batch variance) and groups of 8 or
 * more (float32's z − μ loses |μ|/σ·2⁻²⁴ relative, and a group of 3 nearly equal z is not rare). They also avoid
 * a ∂ℓ/∂ẑ along ẑ, which a norm passes on times 1 − mean(ẑ²) = ε/(v + ε), a difference of nearly equal terms
 * that float32 resolves only to 2⁻²⁴·(v + ε)/ε (true, and tested in tracked numerics by the closed forms above):
 * so no target of zeros (a linear chain's top ∂ℓ/∂ẑ is then ẑ) and no relu (an example with one active unit
 * feeds the next norm a scaled copy of one column of W, whose ẑ does not depend on that scale).
 */
function randomLayeredConfig(random: () => number): RunConfig {
  const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)] as T;
  const norm = pick(["none", "layer", "batch"] as const);
  const activation = pick(
    norm === "none"
      ? (["linear", "relu", "leaky_relu", "tanh", "sigmoid"] as const)
      : (["linear", "tanh", "sigmoid"] as const),
  );
  const residual = norm === "none" || random() < 0.6 ? 0.1 + 0.6 * random() : null;
  return validateConfig({
    depth: 5 + Math.floor(random() * (norm === "none" ? 26 : 16)),
    width: (norm === "none" ? 1 : 8) + Math.floor(random() * 12),
    batch: (norm === "none" ? 1 : 8) + Math.floor(random() * 8),
    activation,
    init: { scheme: activation.endsWith("relu") ? "he_normal" : "xavier_normal", gain: 0.7 + 0.4 * random() },
    biasSigma: random() < 0.5 ? 0 : 0.5 * random(),
    residual,
    norm,
    input: norm === "none" ? pick(["ones", "gaussian"] as const) : "gaussian",
    target: norm === "none" ? pick(["zeros", "gaussian"] as const) : "gaussian",
    seed: Math.floor(random() * 2 ** 32),
  });
}

describe("tracked against float32 with residual connections and norms", () => {
  it("agree within float32 rounding on 24 random configs", () => {
    // float32 rounds each stored value by 2⁻²⁴ relative: z, ẑ, h, a_l forward, ∂ℓ/∂ẑ, ∂ℓ/∂z, ∂ℓ/∂a backward, at
    // most 7 per layer, so a statistic at layer l carries at most 7·L·2⁻²⁴ ≈ 8e-6 relative (3.6e-6 in log10) at
    // L = 20, where the configs with norms stop (their Jacobians amplify roundings as they do gradients: measured
    // up to 5e-6 at depth 20 over 400 random configs, 9e-6 at depth 23). Tracked numerics round nothing.
    const random = mulberry32(20250612);
    const label = (config: RunConfig) => JSON.stringify(config);
    for (let trial = 0; trial < 24; trial++) {
      const config = randomLayeredConfig(random);
      const float32: RunResult = runReference(config);
      const tracked = runReference({ ...config, numerics: "tracked" });
      expect(float32.firstNonFinite, label(config)).toEqual({ forward: null, backward: null });
      for (const series of ["log10ActRms", "log10GradRms", "log10WeightGradNorm"] as const) {
        expect(maxLogDifference(tracked[series], float32[series]), `${series} ${label(config)}`).toBeLessThan(1e-5);
      }
    }
  });
});
