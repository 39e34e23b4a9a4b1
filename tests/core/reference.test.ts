import { describe, expect, it } from "vitest";
import { ACTIVATIONS } from "../../src/core/activations";
import { type PartialConfig, type RunConfig, validateConfig } from "../../src/core/config";
import { layerWeights } from "../../src/core/init";
import { ldexp } from "../../src/core/layers/numerics";
import { Stream } from "../../src/core/random";
import { dataTensor, layerBiases, runReference } from "../../src/core/reference";
import type { RunResult } from "../../src/core/result";
import {
  chainMisses,
  closedFormOf,
  float64Bound,
  maxLogDifference,
  TRACKED_CHAINS,
  trackedChainConfig,
} from "../support/chain";
import { mulberry32 } from "../support/random";

const LOG10_2 = Math.log10(2);
/** log10 of float32's largest finite value, (2 − 2⁻²³)·2¹²⁷ ≈ 3.4028e38. */
const FLOAT32_MAX = 3.4028234663852886e38;
/** One float32 rounding changes a value by a factor in [1 − 2⁻²⁴, 1 + 2⁻²⁴]: at most this much in log10. */
const LOG10_ROUNDING = Math.log10(1 + 2 ** -24);

/** The lecture chain: W_l = s·I, g(z) = z, b = 0, x = ones, target zeros unless overridden. */
function identityChain(scale: number, depth: number, extra: PartialConfig = {}): RunConfig {
  return validateConfig({
    depth,
    width: 2,
    batch: 1,
    activation: "linear",
    init: { scheme: "identity", scale },
    biasSigma: 0,
    input: "ones",
    target: "zeros",
    ...extra,
  });
}

describe("ldexp: v·2^e rounded once, for exponents far outside float64's range", () => {
  it("is exact where 2^e overflows or underflows, keeps 0 at 0, and saturates like the true value", () => {
    for (const e of [5000, 3000, 2046, 1024, -1075, -2000, -5000]) expect(ldexp(0, e)).toBe(0);
    expect(ldexp(2 ** -1000, 2000)).toBe(2 ** 1000);
    expect(ldexp(2 ** 1000, -2000)).toBe(2 ** -1000);
    expect(ldexp(2 ** -1074, 2097)).toBe(2 ** 1023);
    expect(ldexp(1, 1024)).toBe(Number.POSITIVE_INFINITY);
    expect(ldexp(-(2 ** -1074), 5000)).toBe(Number.NEGATIVE_INFINITY);
    expect(ldexp(2 ** 1023, -2097)).toBe(2 ** -1074);
    expect(ldexp(1, -1076)).toBe(0);
    expect(Object.is(ldexp(-1, -5000), -0)).toBe(true);
  });

  it("rounds once, also into the subnormals: the same as one product where the factors are float64 numbers", () => {
    // For v in [1, 2) and |e| ≤ 2044, v·2^a is exact (a in −1022..1021), then one multiply by 2^(e − a) in range
    // rounds once; past that both are 0 or ±Infinity. Half the exponents put v·2^e among the subnormals.
    const random = mulberry32(2718);
    for (let i = 0; i < 2000; i++) {
      const v = (1 + random()) * (random() < 0.5 ? -1 : 1);
      const e = i % 2 === 0 ? Math.floor(-2100 + 4200 * random()) : -1075 + Math.floor(56 * random());
      const a = e - Math.min(1023, Math.max(-1022, e));
      expect(ldexp(v, e), `ldexp(${v}, ${e})`).toBe(v * 2 ** a * 2 ** (e - a));
    }
  });
});

describe("closed forms of the identity chain (linear, W = s·I, b = 0, x = ones, y = 0)", () => {
  // a_l = s^l·x, so RMS(a_l) = |s|^l. With y = 0, ∂ℓ/∂a_L = a_L and ∂ℓ/∂a_l = (s·I)ᵀ^(L−l)·a_L = s^(2L−l)·x,
  // so RMS(∂ℓ/∂a_l) = |s|^(2L−l). Every example is the same, so ∂loss/∂W_l = (1/B)·Σ_b δ_l a_{l−1}ᵀ
  // = s^(2L−l)·s^(l−1)·x xᵀ = s^(2L−1)·x xᵀ, whose Frobenius norm is |s|^(2L−1)·‖x‖² = |s|^(2L−1)·n at every
  // layer; loss = (1/2B)·B·‖s^L x‖² = n·s^(2L)/2.
  const depth = 60;
  const width = 3;
  for (const scale of [1.5, 0.5, -1.5, 0.9]) {
    it(`tracked, s = ${scale}: exact to 1e-12 in log10`, () => {
      const config = identityChain(scale, depth, { width, batch: 2, numerics: "tracked" });
      const result = runReference(config);
      // Parameters are float32 (0.9 becomes 0.89999997615814208984375): the closed form is in fl(s).
      const s = Math.fround(scale);
      const log10S = Math.log10(Math.abs(s));
      for (let l = 0; l <= depth; l++) {
        expect(Math.abs((result.log10ActRms[l] as number) - l * log10S)).toBeLessThan(1e-12);
        expect(Math.abs((result.log10GradRms[l] as number) - (2 * depth - l) * log10S)).toBeLessThan(1e-12);
      }
      const weightGradNorm = (2 * depth - 1) * log10S + Math.log10(width);
      expect(result.log10WeightGradNorm[0]).toBeNull();
      for (let l = 1; l <= depth; l++) {
        expect(Math.abs((result.log10WeightGradNorm[l] as number) - weightGradNorm)).toBeLessThan(1e-9);
        expect(
          Math.abs((result.log10WeightGradNorm[l] as number) - (result.log10WeightGradNorm[1] as number)),
        ).toBeLessThan(1e-9);
      }
      expect(Math.abs(Math.log10(result.loss as number) - Math.log10((width * s ** (2 * depth)) / 2))).toBeLessThan(
        1e-12,
      );
    });
  }

  it("float32, s = 2 and s = 0.5: powers of two are exact up to overflow and down to the last subnormal", () => {
    // 2^127 is float32's largest power of two, 2^128 overflows; 2^−149 is its smallest subnormal, 2^−150 ties to 0.
    const up = runReference(identityChain(2, 140));
    for (let l = 0; l <= 127; l++) expect(Math.abs((up.log10ActRms[l] as number) - l * LOG10_2)).toBeLessThan(1e-12);
    expect(up.firstNonFinite.forward).toBe(128);
    const down = runReference(identityChain(0.5, 160));
    for (let l = 0; l <= 149; l++) {
      expect(Math.abs((down.log10ActRms[l] as number) + l * LOG10_2)).toBeLessThan(1e-12);
    }
    expect(down.firstAllZero.forward).toBe(150);
    expect(down.firstNonFinite).toEqual({ forward: null, backward: null });
  });

  it("float32, s = 1.5: within one float32 rounding per stored step of the closed form", () => {
    // 1.5^l needs ~1.58·l significant bits, so float32 rounds each a_l = fl(1.5·a_{l−1}) (the product of a
    // float32 and 1.5 is exact in float64, then rounded once): |log10 a_l − l·log10 1.5| ≤ l·log10(1 + 2⁻²⁴).
    // Backward adds one rounding per layer (∂ℓ/∂a_l has 2L − l roundings), ∂loss/∂W_l one more (2L in all).
    const depth = 50;
    const result = runReference(identityChain(1.5, depth, { width, batch: 3 }));
    const log10S = Math.log10(1.5);
    let largest = 0;
    for (let l = 0; l <= depth; l++) {
      const actError = Math.abs((result.log10ActRms[l] as number) - l * log10S);
      largest = Math.max(largest, actError);
      expect(actError).toBeLessThanOrEqual(l * LOG10_ROUNDING + 1e-13);
      const gradError = Math.abs((result.log10GradRms[l] as number) - (2 * depth - l) * log10S);
      expect(gradError).toBeLessThanOrEqual((2 * depth - l) * LOG10_ROUNDING + 1e-13);
    }
    for (let l = 1; l <= depth; l++) {
      const expected = (2 * depth - 1) * log10S + Math.log10(width);
      expect(Math.abs((result.log10WeightGradNorm[l] as number) - expected)).toBeLessThanOrEqual(
        2 * depth * LOG10_ROUNDING + 1e-13,
      );
    }
    // The rounding is real: float32 is not exact here, unlike tracked numerics.
    expect(largest).toBeGreaterThan(1e-10);
  });
});

describe("the lecture case: depth 300, width 2, batch 1, W = s·I, x = (1, 1)", () => {
  it("s = 1.5, float32: a_l overflows at l = 219 (1.5^219 > 3.4028e38 > 1.5^218)", () => {
    expect(1.5 ** 218).toBeLessThan(FLOAT32_MAX);
    expect(1.5 ** 219).toBeGreaterThan(FLOAT32_MAX);
    const result = runReference(identityChain(1.5, 300, { target: "gaussian" }));
    expect(result.firstNonFinite).toEqual({ forward: 219, backward: 300 });
    expect(result.log10ActRms[218]).not.toBeNull();
    expect(result.log10ActRms.slice(219).every((v) => v === null)).toBe(true);
    expect(result.log10GradRms.every((v) => v === null)).toBe(true);
    expect(result.loss).toBeNull();
    expect(result.firstAllZero).toEqual({ forward: null, backward: null });
  });

  it("s = 0.5, float32: a_l reaches zero at 150 with subnormals kept, at 127 when flushed", () => {
    // 0.5^149 = 2⁻¹⁴⁹ is the smallest subnormal; 2⁻¹⁵⁰ rounds (ties to even) to 0. Flushed, 2⁻¹²⁶ is the last.
    const config = identityChain(0.5, 300);
    const kept = runReference(config);
    expect(kept.subnormals).toBe("kept");
    expect(kept.firstAllZero.forward).toBe(150);
    expect(Math.abs((kept.log10ActRms[149] as number) + 149 * LOG10_2)).toBeLessThan(1e-12);
    const flushed = runReference(config, { subnormals: "flushed" });
    expect(flushed.subnormals).toBe("flushed");
    expect(flushed.firstAllZero.forward).toBe(127);
    expect(Math.abs((flushed.log10ActRms[126] as number) + 126 * LOG10_2)).toBeLessThan(1e-12);
    expect(flushed.log10ActRms[127]).toBeNull();
    for (const result of [kept, flushed]) expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
  });

  it("s = 1.5, tracked, depth 4096: a_4096 = 1.5^4096 ≈ 10^721, nothing null", () => {
    const depth = 4096;
    const result = runReference(identityChain(1.5, depth, { numerics: "tracked" }));
    const log10S = Math.log10(1.5);
    expect(Math.abs((result.log10ActRms[depth] as number) - depth * log10S)).toBeLessThan(1e-9);
    expect(Math.abs((result.log10GradRms[0] as number) - 2 * depth * log10S)).toBeLessThan(1e-9);
    expect(result.log10ActRms.every((v) => v !== null)).toBe(true);
    expect(result.log10GradRms.every((v) => v !== null)).toBe(true);
    expect(result.log10WeightGradNorm.slice(1).every((v) => v !== null)).toBe(true);
    expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
    expect(result.firstAllZero).toEqual({ forward: null, backward: null });
  });

  it("s = 1.5, tracked, depth 875: the loss 1.5^1750 ≈ 1.4e308 is reported though ‖a_L‖² = 2·1.5^1750 is not a float64", () => {
    const result = runReference(identityChain(1.5, 875, { numerics: "tracked" }));
    expect(Math.abs(Math.log10(result.loss as number) - 1750 * Math.log10(1.5))).toBeLessThan(1e-12);
  });

  it("s = 1.5, depth 400: tracked is finite everywhere and agrees with float32 wherever float32 is finite", () => {
    const depth = 400;
    const float32 = runReference(identityChain(1.5, depth));
    const tracked = runReference(identityChain(1.5, depth, { numerics: "tracked" }));
    expect(float32.log10ActRms.indexOf(null)).toBe(219);
    expect(float32.log10ActRms.slice(219).every((v) => v === null)).toBe(true);
    expect(tracked.log10ActRms.every((v) => v !== null)).toBe(true);
    expect(tracked.log10GradRms.every((v) => v !== null)).toBe(true);
    expect(tracked.firstNonFinite).toEqual({ forward: null, backward: null });
    // float32 drifts by at most l·log10(1 + 2⁻²⁴) ≤ 5.7e-6 at l = 218; tracked is exact to ~1e-13.
    for (let l = 0; l < 219; l++) {
      expect(Math.abs((tracked.log10ActRms[l] as number) - (float32.log10ActRms[l] as number))).toBeLessThan(1e-5);
    }
  });
});

describe("tracked numerics where float64 itself runs out", () => {
  // Both directions far past float64 (2^±1074): 1e−20 reaches 10^−81920 and 1e6 10^24576 at layer 4096.
  for (const chain of TRACKED_CHAINS) {
    for (const depth of chain.scale < 0 ? [4096, 4095] : [4096]) {
      for (const target of ["zeros", "gaussian"] as const) {
        it(`${chain.activation}, s = ${chain.scale}, depth ${depth}, target ${target}: every layer at its closed form`, () => {
          const config = trackedChainConfig(chain, depth, target);
          const result = runReference(config);
          const form = closedFormOf(config, "cpu");
          expect(chainMisses(result, form, float64Bound(form))).toEqual([]);
          expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
          expect(result.firstAllZero).toEqual({ forward: null, backward: null });
        });
      }
    }
  }

  it("tanh, a_L a float64 subnormal, y = 0: ∂ℓ/∂a_l stays finite", () => {
    // a_l = tanh(0.5·a_{l−1}) ≈ c·2⁻ˡ, a float64 subnormal at l = 1050 (the reference's tracked forward for tanh is
    // plain float64). ∂ℓ/∂a_L = a_L, then ∂ℓ/∂a_{l−1} = 0.5·(1 − a_l²)·∂ℓ/∂a_l: with width = batch = 1 the RMS is
    // the value, so log10GradRms[l−1] − log10GradRms[l] = log10(0.5·(1 − a_l²)).
    const depth = 1050;
    const config = validateConfig({
      depth,
      width: 1,
      batch: 1,
      activation: "tanh",
      init: { scheme: "identity", scale: 0.5 },
      input: "ones",
      target: "zeros",
      numerics: "tracked",
    });
    const result = runReference(config);
    const actL = result.log10ActRms[depth] as number;
    expect(actL).toBeLessThan(-308);
    expect(actL).toBeGreaterThan(-324);
    expect(result.log10GradRms[depth]).toBe(actL);
    for (let l = depth; l >= 1; l--) {
      const a = 10 ** (result.log10ActRms[l] as number);
      const step = (result.log10GradRms[l - 1] as number) - (result.log10GradRms[l] as number);
      expect(Math.abs(step - Math.log10(0.5 * (1 - a * a)))).toBeLessThan(1e-9);
    }
    expect(result.log10WeightGradNorm.slice(1).every((v) => v !== null)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Finite differences.

/** Multiples of 2⁻¹⁸ below 2⁴ in magnitude need ≤ 22 significant bits, and so do they ± 2⁻¹⁰ or ± 2⁻¹¹. */
const QUANTUM = 2 ** -18;
const quantize = (v: number): number => Math.round(v / QUANTUM) * QUANTUM;
/** Step of the finite differences: a power of two, so that parameter ± h and ± h/2 are float32 values too. */
const STEP = 2 ** -10;
/**
 * The step for a net with normalized layers: ẑ = (z − μ)/σ over groups of 3 to 5 entries, whose σ can be a few
 * tenths, has far larger fifth derivatives than g, and the error of the differences at 2⁻¹⁰ (≈ 2e-9 relative,
 * shrinking 16× per halving of h: truncation) would eat the margin; 2⁻¹² cuts it 256×, still on the 2⁻¹⁸ grid.
 */
const NORM_STEP = 2 ** -12;

/**
 * A small net whose parameters and inputs are float32 values on a 2⁻¹⁸ grid, so that runReference (which
 * rounds provided weights and inputs with Math.fround) sees them, and their ± h perturbations, unchanged.
 */
interface Net {
  config: RunConfig;
  /** W_1..W_L (index 0 unused), row-major n × n. */
  weights: Float64Array[];
  /** b_1..b_L (index 0 unused), as the reference draws and rounds them. */
  biases: Float64Array[];
  input: Float64Array;
  target: Float64Array;
}

function makeNet(partial: PartialConfig): Net {
  const config = validateConfig({ ...partial, numerics: "tracked" });
  const { depth, width: n, seed } = config;
  const weights = [new Float64Array(0)];
  const biases = [new Float64Array(0)];
  for (let l = 1; l <= depth; l++) {
    weights.push(layerWeights(config.init, n, seed, l).map(quantize));
    biases.push(layerBiases(config, l).map(Math.fround));
  }
  const input = dataTensor(config, Stream.inputs).map(quantize);
  const target = dataTensor(config, Stream.targets).map(Math.fround);
  return { config, weights, biases, input, target };
}

/** runReference on the net, with W_l replaced by weights[l] and a_0 by input. */
function runNet(net: Net, weights = net.weights, input = net.input, onGradient?: OnGradient): RunResult {
  return runReference(net.config, { weights: (l) => weights[l] as Float64Array, input, onGradient });
}
type OnGradient = (layer: number, gradInput: Float64Array, weightGrad: Float64Array, e: number, we: number) => void;

/**
 * Layer l of the net by SPEC.md's formulas, in plain float64 written apart from the reference: z = W a + b,
 * ẑ = norm(z) (each example over its units, or each unit over the batch), h = g(ẑ), a_l = h or a + α·h.
 * Appends the sign of every ẑ (where relu and leaky_relu have their kinks) to `pattern`.
 */
function testLayer(net: Net, l: number, a: Float64Array, weights: Float64Array[], pattern: string[]): Float64Array {
  const { width: n, batch, norm, residual } = net.config;
  const g = ACTIVATIONS[net.config.activation].output;
  const w = weights[l] as Float64Array;
  const bias = net.biases[l] as Float64Array;
  const z = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      let sum = bias[i] as number;
      for (let j = 0; j < n; j++) sum += (w[i * n + j] as number) * (a[b * n + j] as number);
      z[b * n + i] = sum;
    }
  }
  // Layer norm: group b holds z[b·n + i], i < n; batch norm: group i holds z[b·n + i], b < B.
  const groups = norm === "layer" ? batch : n;
  const size = norm === "layer" ? n : batch;
  const at = (group: number, k: number) => (norm === "layer" ? group * n + k : k * n + group);
  const zHat = z.slice();
  if (norm !== "none") {
    for (let group = 0; group < groups; group++) {
      let mean = 0;
      for (let k = 0; k < size; k++) mean += (z[at(group, k)] as number) / size;
      let variance = 0;
      for (let k = 0; k < size; k++) variance += ((z[at(group, k)] as number) - mean) ** 2 / size;
      for (let k = 0; k < size; k++)
        zHat[at(group, k)] = ((z[at(group, k)] as number) - mean) / Math.sqrt(variance + 1e-5);
    }
  }
  const next = new Float64Array(batch * n);
  for (let k = 0; k < next.length; k++) {
    const v = zHat[k] as number;
    pattern.push(v > 0 ? "+" : "-");
    next[k] = residual === null ? g(v) : (a[k] as number) + residual * g(v);
  }
  return next;
}

/**
 * An independent float64 forward from a_from (given) through layers from+1..L: the loss
 * (1/2B)·Σ‖a_L − y‖² and the sign pattern of every ẑ_l (where relu and leaky_relu have their kinks).
 */
function forwardFrom(net: Net, from: number, start: Float64Array, weights = net.weights) {
  const pattern: string[] = [];
  let a = start;
  for (let l = from + 1; l <= net.config.depth; l++) a = testLayer(net, l, a, weights, pattern);
  let sumSq = 0;
  for (let k = 0; k < a.length; k++) sumSq += ((a[k] as number) - (net.target[k] as number)) ** 2;
  return { loss: sumSq / (2 * net.config.batch), pattern: pattern.join("") };
}

/** a_l of the net, by forwardFrom's arithmetic (a_0 is the input). */
function activationAt(net: Net, layer: number): Float64Array {
  let a = net.input;
  for (let l = 1; l <= layer; l++) a = testLayer(net, l, a, net.weights, []);
  return a;
}

/**
 * dF/dθ at 0 by central differences with one Richardson step, (4·D(h/2) − D(h))/3 with D(h) = (F(h) − F(−h))/2h:
 * truncation error O(h⁴). Null where the kink pattern at any probe differs from the one at 0.
 */
function finiteDifference(f: (delta: number) => { loss: number; pattern: string }, step = STEP): number | null {
  const at = (delta: number) => f(delta);
  const center = at(0).pattern;
  const probes = [step, -step, step / 2, -step / 2].map(at);
  if (probes.some((p) => p.pattern !== center)) return null;
  const [plus, minus, halfPlus, halfMinus] = probes.map((p) => p.loss) as [number, number, number, number];
  const wide = (plus - minus) / (2 * step);
  const narrow = (halfPlus - halfMinus) / step;
  return (4 * narrow - wide) / 3;
}

/** The reference's ∂loss/∂a_l (l = 0..L−1, batch-major) and ∂loss/∂W_l (l = 1..L), from onGradient. */
function referenceGradients(net: Net) {
  const batch = net.config.batch;
  const dLossDa: Float64Array[] = [];
  const dLossDw: Float64Array[] = [];
  const result = runNet(net, net.weights, net.input, (layer, gradInput, weightGrad, e, we) => {
    // ∂ℓ_b/∂a_{l−1} = gradInput·2^e, ∂loss/∂a = (1/B)·∂ℓ_b/∂a; B·∂loss/∂W_l = weightGrad·2^we.
    dLossDa[layer - 1] = gradInput.map((v) => (v * 2 ** e) / batch);
    dLossDw[layer] = weightGrad.map((v) => (v * 2 ** we) / batch);
  });
  return { result, dLossDa, dLossDw };
}

/** A result's log10 entry against the differences': both null (every difference exactly 0, as where ẑ = 0), or within 1e-7. */
function expectLog10Close(fromDifferences: number, reported: number | null | undefined): void {
  if (fromDifferences === Number.NEGATIVE_INFINITY) expect(reported).toBeNull();
  else expect(Math.abs(fromDifferences - (reported as number))).toBeLessThan(1e-7);
}

/** log10 of √(Σv² / divisor). */
const log10Rms = (values: number[], divisor: number) =>
  0.5 * Math.log10(values.reduce((sum, v) => sum + v * v, 0) / divisor);

const FD_CASES: PartialConfig[] = [
  { activation: "linear", depth: 4, width: 3, batch: 2, init: { scheme: "gaussian", sigma: 1.3 }, biasSigma: 0.3 },
  { activation: "linear", depth: 3, width: 4, batch: 3, init: { scheme: "orthogonal", gain: 0.9 } },
  { activation: "relu", depth: 4, width: 5, batch: 3, init: { scheme: "he_normal" }, biasSigma: 0.2 },
  { activation: "relu", depth: 3, width: 4, batch: 2, init: { scheme: "xavier_uniform", gain: 1.4 } },
  { activation: "leaky_relu", depth: 4, width: 4, batch: 2, init: { scheme: "he_uniform" }, biasSigma: 0.1 },
  { activation: "leaky_relu", depth: 3, width: 3, batch: 3, init: { scheme: "lecun_normal", gain: 1.2 } },
  { activation: "tanh", depth: 4, width: 4, batch: 3, init: { scheme: "xavier_normal", gain: 1.5 }, biasSigma: 0.5 },
  { activation: "tanh", depth: 3, width: 5, batch: 2, init: { scheme: "gaussian", sigma: 0.8 } },
  { activation: "sigmoid", depth: 4, width: 3, batch: 2, init: { scheme: "xavier_normal", gain: 2 }, biasSigma: 0.4 },
  { activation: "sigmoid", depth: 3, width: 5, batch: 3, init: { scheme: "he_normal", gain: 1.5 } },
  // Residual chains and normalized layers, alone and together, with biases, odd widths and batches (α exact in float32).
  { activation: "linear", depth: 4, width: 3, batch: 2, init: { scheme: "gaussian", sigma: 1.3 }, residual: 0.5 },
  { activation: "relu", depth: 3, width: 5, batch: 3, init: { scheme: "he_normal" }, biasSigma: 0.2, residual: 1.25 },
  {
    activation: "tanh",
    depth: 4,
    width: 5,
    batch: 2,
    init: { scheme: "xavier_normal", gain: 1.5 },
    biasSigma: 0.5,
    norm: "layer",
  },
  {
    activation: "sigmoid",
    depth: 3,
    width: 4,
    batch: 3,
    init: { scheme: "he_uniform" },
    biasSigma: 0.3,
    norm: "layer",
  },
  {
    activation: "linear",
    depth: 3,
    width: 4,
    batch: 3,
    init: { scheme: "orthogonal", gain: 0.9 },
    biasSigma: 0.2,
    norm: "batch",
  },
  { activation: "relu", depth: 4, width: 3, batch: 5, init: { scheme: "he_normal" }, norm: "batch" },
  {
    activation: "leaky_relu",
    depth: 3,
    width: 3,
    batch: 3,
    init: { scheme: "lecun_normal", gain: 1.2 },
    residual: 0.75,
    norm: "layer",
  },
  {
    activation: "tanh",
    depth: 4,
    width: 5,
    batch: 3,
    init: { scheme: "gaussian", sigma: 2 },
    biasSigma: 0.4,
    residual: 1,
    norm: "layer",
  },
  {
    activation: "sigmoid",
    depth: 3,
    width: 3,
    batch: 5,
    init: { scheme: "xavier_uniform", gain: 2 },
    biasSigma: 0.4,
    residual: 0.5,
    norm: "batch",
  },
  {
    activation: "relu",
    depth: 4,
    width: 5,
    batch: 3,
    init: { scheme: "he_uniform" },
    biasSigma: 0.1,
    residual: 2,
    norm: "batch",
  },
  {
    activation: "linear",
    depth: 3,
    width: 3,
    batch: 1,
    init: { scheme: "gaussian", sigma: 1.1 },
    residual: 0.5,
    norm: "batch",
  },
  {
    activation: "tanh",
    depth: 3,
    width: 1,
    batch: 3,
    init: { scheme: "gaussian", sigma: 1.1 },
    biasSigma: 0.3,
    residual: 0.5,
    norm: "layer",
  },
];

/** "relu, he_normal, L 4, n 5, B 3, biasSigma 0.2, residual 1.25, norm batch". */
function caseName({ activation, init, depth, width, batch, biasSigma, residual, norm }: PartialConfig): string {
  const bias = biasSigma ? `, biasSigma ${biasSigma}` : "";
  const skip = residual === undefined ? "" : `, residual ${residual}`;
  return `${activation}, ${init?.scheme}, L ${depth}, n ${width}, B ${batch}${bias}${skip}${norm ? `, norm ${norm}` : ""}`;
}

describe("gradients against central finite differences (tracked numerics: nothing rounded but the parameters)", () => {
  // Tolerance. Parameters and inputs sit on a 2⁻¹⁸ grid and h = 2⁻¹⁰, so W ± h, W ± h/2 are exact float32 values
  // and the reference computes the loss of exactly the perturbed net in float64. For linear, relu and leaky_relu
  // the loss is quadratic in any one parameter between kinks (a_L is affine in it), so the differences are exact
  // up to rounding; for tanh and sigmoid the Richardson step leaves O(h⁴·F⁽⁵⁾) ≈ 1e-12. A residual chain adds
  // a_{l−1} (affine); a normalized layer is not polynomial, and runs at h = 2⁻¹² (NORM_STEP), leaving ≈ 1e-11.
  // Rounding: the loss is recovered from log10‖a_L − y‖ (a few ulps relative), divided by h ≈ 1e-3 (2.4e-4):
  // ≈ 1e-12 (4e-12) per unit of loss. So |FD − analytic| ≤ 1e-9·(1 + loss) leaves two to three orders of
  // margin while catching any wrong term.
  for (const partial of FD_CASES) {
    it(caseName(partial), () => {
      const net = makeNet({
        seed: 1000 + FD_CASES.indexOf(partial),
        input: "gaussian",
        target: "gaussian",
        ...partial,
      });
      const { depth, width: n, batch } = net.config;
      const { result, dLossDa, dLossDw } = referenceGradients(net);
      const base = forwardFrom(net, 0, net.input);
      // The test's own forward is the reference's: same loss.
      expect(Math.abs((result.loss as number) - base.loss)).toBeLessThan(1e-13 * (1 + base.loss));
      const tolerance = 1e-9 * (1 + base.loss);
      const step = net.config.norm === "none" ? STEP : NORM_STEP;
      let checked = 0;
      let skipped = 0;

      // ∂loss/∂W_l[i][j]: perturb one weight through options.weights, read result.loss.
      for (let l = 1; l <= depth; l++) {
        const fdNorm: number[] = [];
        for (let k = 0; k < n * n; k++) {
          const perturbed = (delta: number) => {
            const weights = net.weights.map((w, layer) =>
              layer === l ? w.map((v, m) => (m === k ? v + delta : v)) : w,
            );
            return {
              loss: runNet(net, weights).loss as number,
              pattern: forwardFrom(net, 0, net.input, weights).pattern,
            };
          };
          const fd = finiteDifference(perturbed, step);
          if (fd === null) {
            skipped++;
            continue;
          }
          checked++;
          fdNorm.push(fd);
          expect(Math.abs(fd - ((dLossDw[l] as Float64Array)[k] as number))).toBeLessThan(tolerance);
        }
        // ‖∂loss/∂W_l‖_F of the differences is what the result reports.
        if (fdNorm.length === n * n) expectLog10Close(log10Rms(fdNorm, 1), result.log10WeightGradNorm[l]);
      }

      // ∂loss/∂a_0 through options.input; ∂loss/∂a_l (l ≥ 1) through the forward from a_l.
      for (let l = 0; l <= depth; l++) {
        const a = activationAt(net, l);
        const fdValues: number[] = [];
        for (let k = 0; k < batch * n; k++) {
          const shifted = (delta: number) => a.map((v, m) => (m === k ? v + delta : v));
          const fd = finiteDifference((delta) => {
            const tail = forwardFrom(net, l, shifted(delta));
            return l === 0
              ? { loss: runNet(net, net.weights, shifted(delta)).loss as number, pattern: tail.pattern }
              : tail;
          }, step);
          if (fd === null) {
            skipped++;
            continue;
          }
          checked++;
          fdValues.push(fd * batch);
          // ∂loss/∂a_L = (a_L − y)/B is not passed to onGradient; the result's RMS below covers it.
          if (l < depth) expect(Math.abs(fd - ((dLossDa[l] as Float64Array)[k] as number))).toBeLessThan(tolerance);
        }
        // RMS over batch and units of ∂ℓ_b/∂a_l = B·∂loss/∂a_l is what the result reports.
        if (fdValues.length === batch * n) expectLog10Close(log10Rms(fdValues, batch * n), result.log10GradRms[l]);
      }
      // Kinks are rare at this scale: almost every entry is checked.
      expect(skipped).toBeLessThanOrEqual(checked / 20);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Tracked against float32, reproducibility.

/** A random config that stays far from float32's range: depth ≤ 40, gains near 1, small biases. */
function randomModerateConfig(random: () => number): RunConfig {
  const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)] as T;
  const near1 = () => 0.7 + 0.4 * random();
  const scheme = pick(["gaussian", "xavier_normal", "xavier_uniform", "he_normal", "he_uniform", "lecun_normal"]);
  const activation = pick(["linear", "relu", "leaky_relu", "tanh", "sigmoid"] as const);
  // relu halves the variance each layer: He-style gains keep it O(1); others use Xavier-style ones.
  const init =
    scheme === "gaussian"
      ? { scheme, sigma: near1() * (activation.endsWith("relu") ? Math.SQRT2 : 1) }
      : { scheme: activation.endsWith("relu") && scheme.startsWith("xavier") ? "he_normal" : scheme, gain: near1() };
  return validateConfig({
    depth: 5 + Math.floor(random() * 36),
    width: 1 + Math.floor(random() * 16),
    batch: 1 + Math.floor(random() * 6),
    activation,
    init,
    biasSigma: random() < 0.5 ? 0 : 0.5 * random(),
    input: pick(["ones", "gaussian"] as const),
    target: pick(["zeros", "gaussian"] as const),
    seed: Math.floor(random() * 2 ** 32),
  } as PartialConfig);
}

describe("tracked against float32", () => {
  it("agree within float32 rounding on 24 random configs that do not overflow", () => {
    // Float32 rounds every stored value (relative 2⁻²⁴ ≈ 6e-8); over ≤ 40 layers of width ≤ 16 in a non-chaotic
    // regime these add to well under 1e-5 in log10, while tracked numerics round nothing.
    const random = mulberry32(20250611);
    for (let trial = 0; trial < 24; trial++) {
      const float32Config = randomModerateConfig(random);
      const trackedConfig = { ...float32Config, numerics: "tracked" as const };
      const float32 = runReference(float32Config);
      const tracked = runReference(trackedConfig);
      const label = JSON.stringify(float32Config);
      expect(float32.firstNonFinite, label).toEqual({ forward: null, backward: null });
      expect(tracked.firstNonFinite, label).toEqual({ forward: null, backward: null });
      expect(tracked.firstAllZero, label).toEqual(float32.firstAllZero);
      expect(maxLogDifference(tracked.log10ActRms, float32.log10ActRms), label).toBeLessThan(1e-5);
      expect(maxLogDifference(tracked.log10GradRms, float32.log10GradRms), label).toBeLessThan(1e-5);
      expect(maxLogDifference(tracked.log10WeightGradNorm, float32.log10WeightGradNorm), label).toBeLessThan(1e-5);
      // loss = 0 where a_L and y are both zero (relu can zero a narrow net); else within 2·1e-5 in log10.
      const trackedLoss = tracked.loss as number;
      const float32Loss = float32.loss as number;
      expect(Math.abs(trackedLoss - float32Loss), label).toBeLessThanOrEqual(5e-5 * trackedLoss);
    }
  });
});

describe("reproducibility", () => {
  const config = validateConfig({ depth: 12, width: 9, batch: 4, activation: "tanh", biasSigma: 0.2, seed: 77 });
  const withoutTiming = (result: RunResult) => ({ ...result, timingMs: null });

  it("the same config gives the same result, bit for bit", () => {
    expect(withoutTiming(runReference(config))).toEqual(withoutTiming(runReference(structuredClone(config))));
    const tracked = { ...config, numerics: "tracked" as const };
    expect(withoutTiming(runReference(tracked))).toEqual(withoutTiming(runReference(tracked)));
  });

  it("another seed gives other weights, inputs and targets", () => {
    const first = runReference(config);
    const second = runReference({ ...config, seed: 78 });
    expect(second.loss).not.toBe(first.loss);
    for (let l = 0; l <= config.depth; l++) {
      expect(second.log10ActRms[l]).not.toBe(first.log10ActRms[l]);
      expect(second.log10GradRms[l]).not.toBe(first.log10GradRms[l]);
    }
  });

  it("reports the backend and a wall-clock time", () => {
    const result = runReference(config);
    expect(result.backend).toBe("cpu");
    expect(result.timingMs.wall).toBeGreaterThanOrEqual(0);
    expect(result.config).toEqual(config);
  });
});

describe("progress", () => {
  it("reports the fraction done after each layer of each pass, rising to 1", () => {
    const fractions: number[] = [];
    runReference(validateConfig({ depth: 7, width: 3, batch: 2 }), { onProgress: (f) => fractions.push(f) });
    expect(fractions).toHaveLength(14);
    expect(fractions.every((f, i) => i === 0 || f > (fractions[i - 1] as number))).toBe(true);
    expect(fractions[6]).toBe(0.5);
    expect(fractions.at(-1)).toBe(1);
  });
});
