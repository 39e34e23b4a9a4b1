/**
 * A GPU result held to the float64 reference, statistic by statistic: the tolerance is what
 * rounding-sized perturbations (an ulp of the run's format) move each statistic, and the zones where
 * the format's limits or an activation's kink legitimately change the result are left out (each
 * argued below).
 */
import { expect } from "vitest";
import type { RunConfig } from "../../src/core/config";
import { layerWeights } from "../../src/core/init";
import { formatUlp } from "../../src/core/layers/numerics";
import { runReference } from "../../src/core/reference";
import type { RunResult, Subnormals } from "../../src/core/result";

/**
 * The reference with every weight moved by ±2 ulp of its format (float32's in float32 and tracked
 * numerics; a fixed sign pattern per layer): how far rounding-sized differences in the inputs of the
 * computation move each statistic of this config.
 */
export function perturbedReference(config: RunConfig, subnormals: Subnormals, salt: number): RunResult {
  const ulp = formatUlp(config);
  const weights = (layer: number) =>
    layerWeights(config.init, config.width, config.seed, layer).map((w, k) => {
      const sign = ((k * 2654435761 + layer * 40503 + salt) >>> 13) & 1 ? 1 : -1;
      return w * (1 + sign * 2 * ulp);
    });
  return runReference(config, { subnormals, weights });
}

export type Series = "log10ActRms" | "log10GradRms" | "log10WeightGradNorm";
export const SERIES: Series[] = ["log10ActRms", "log10GradRms", "log10WeightGradNorm"];

/** Every series of `run` equal to `expected`'s, bit for bit. */
export function expectSameSeries(run: RunResult, expected: RunResult | undefined, label?: string): void {
  for (const series of SERIES)
    expect(run[series], label ? `${series} of ${label}` : series).toEqual(expected?.[series]);
}

/** Largest |a − b| over the layers where both are finite. */
export function spread(a: (number | null)[], b: (number | null)[]): number {
  let worst = 0;
  a.forEach((value, l) => {
    const other = b[l];
    if (value !== null && other !== null && other !== undefined) worst = Math.max(worst, Math.abs(value - other));
  });
  return worst;
}

/**
 * Below 2^-102 (24 bits above float32's smallest normal, log10 ≈ −30.7) float32 products and
 * partial sums fall under 2^-126, where a GPU flushes them to zero or keeps them with fewer bits;
 * the reference rounds only what it stores, so there the two legitimately differ by more than
 * rounding. In float32 numerics such layers (and their neighbours, where exact zeros begin) are not
 * compared; tracked numerics keep magnitudes in range and are compared everywhere.
 */
const NEAR_UNDERFLOW = Math.log10(2 ** -102);
/**
 * Likewise within 3 decades of float32's largest value (log10 ≈ 38.5): a GPU sums in float32 and a
 * product or partial sum can overflow where the reference's float64 sum, rounded once, does not.
 * bfloat16 has float32's range and the GPU sums its values in float32: the same zones.
 */
const NEAR_OVERFLOW = Math.log10(3.4028234663852886e38) - 3;

/**
 * float16's zones: the GPU's float32 sums neither overflow nor underflow at float16's magnitudes, but
 * the rounding to float16 does. Within a decade of its smallest normal (2⁻¹⁴) a layer's entries are
 * subnormals with few bits, where the GPU rounding its float32 sum and the reference its float64 sum
 * differ by a large part of a value; within 2 decades of its largest value (65504) an entry of the
 * layer may lie within rounding of 65520, finite on one side and ∞ on the other.
 */
const FLOAT16_ZONES = { underflow: Math.log10(2 ** -14) + 1, overflow: Math.log10(65504) - 2 };

/** A statistic within its numerics' limit zones, where rounding no longer bounds the GPU's difference. */
export function nearLimit(numerics: RunConfig["numerics"], value: number | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  const { underflow, overflow } =
    numerics === "float16" ? FLOAT16_ZONES : { underflow: NEAR_UNDERFLOW, overflow: NEAR_OVERFLOW };
  return value < underflow || value > overflow;
}

/** Whether a series is null or in a limit zone at one of the layers l−1, l, l+1. */
export const zoneAround = (numerics: RunConfig["numerics"], values: (number | null)[], layer: number): boolean =>
  [layer - 1, layer, layer + 1].some(
    (l) => l >= 0 && l < values.length && (values[l] === null || nearLimit(numerics, values[l])),
  );

/**
 * The first layer from which the forward pass's float32 underflow changes the backward pass, or null:
 * - tracked numerics run the forward pass of tanh and sigmoid in plain float32 on the GPU (SPEC.md)
 *   and in float64 in the reference, so once those activations fall under float32's range the GPU
 *   holds zeros and everything computed from them (the whole backward pass) legitimately differs;
 * - in float32, float16 and bfloat16 numerics, relu and leaky_relu take their derivative from the
 *   sign of a_l, and which tiny values are flushed to zero inside sums (or, in float16, rounded to
 *   zero) flips those signs, so every gradient below differs.
 */
export function forwardUnderflow(config: RunConfig, reference: RunResult): number | null {
  const plainTracked =
    config.numerics === "tracked" && (config.activation === "tanh" || config.activation === "sigmoid");
  const signDerivative =
    config.numerics !== "tracked" && (config.activation === "relu" || config.activation === "leaky_relu");
  if (!plainTracked && !signDerivative) return null;
  const underflow = config.numerics === "float16" ? FLOAT16_ZONES.underflow : NEAR_UNDERFLOW;
  const layer = reference.log10ActRms.findIndex((v) => v !== null && v < underflow);
  return layer < 0 ? null : layer;
}

/**
 * relu and leaky_relu take their derivative from the sign of a_l. Where a pre-activation sits within
 * float32 rounding of 0, the GPU and the reference may disagree on that sign, and every gradient
 * below that layer differs by far more than rounding. KINK_MARGIN is 100× the relative difference
 * the GPU's activations show (≈ 1e-7): a |z| under KINK_MARGIN · RMS(z_l) may flip, one above cannot.
 * Returns the highest layer holding such a z (the backward pass meets it first), or null.
 */
export const KINK_MARGIN = 1e-5;

export function nearKink(config: RunConfig, subnormals: Subnormals): number | null {
  if (config.activation !== "relu" && config.activation !== "leaky_relu") return null;
  let highest: number | null = null;
  runReference(config, {
    subnormals,
    onActivationInput: (layer, z) => {
      let sumSq = 0;
      for (const v of z) sumSq += v * v;
      const threshold = KINK_MARGIN * Math.sqrt(sumSq / z.length);
      if (z.some((v) => Math.abs(v) < threshold && v !== 0)) highest = layer;
    },
  });
  return highest;
}

/** Holds one GPU result to the reference, statistic by statistic, with the tolerance argued below. */
export function expectAgreement(config: RunConfig, gpu: RunResult, reference: RunResult, perturbed: RunResult[]): void {
  const label = JSON.stringify(config);
  // float32, float16 and bfloat16: plain values, which meet their format's limits.
  const plain = config.numerics !== "tracked";
  const { numerics } = config;
  const underflow = forwardUnderflow(config, reference);
  const kink = nearKink(config, gpu.subnormals);
  for (const series of SERIES) {
    if (underflow !== null && series !== "log10ActRms") continue;
    // Tolerance, in log10: the GPU computes in float32 (products and sums rounded, weights drawn to
    // a few ulp), so it may differ from the reference as much as a float32-sized perturbation of the
    // weights moves the statistic; allow 10× the largest such move anywhere in the run, plus a floor:
    // 2e-4 (0.05 %) for the float32 sums of squares behind each statistic, and 1e-3 (0.23 %) for
    // weight gradients, whose entries are float32 sums over the batch of products that can cancel
    // (the error of such a sum grows like √B·2⁻²⁴ times Σ|terms| / |Σ terms|). In float16 and bfloat16
    // both backends round every stored value to the format and differ only where the GPU's float32
    // sum and the reference's float64 one round to neighbouring values of it: one ulp of the format
    // (2⁻¹⁰ relative in float16, 2⁻⁷ in bfloat16) at a few values, compounding through the layers as
    // the chain amplifies it. The perturbations are then of the format's ulps (perturbedReference,
    // ReferenceOptions.nudge), at every value at once: far more than the GPU's few.
    const sensitivity = Math.max(...perturbed.map((p) => spread(p[series], reference[series])));
    const tolerance = (series === "log10WeightGradNorm" ? 1e-3 : 2e-4) + 10 * sensitivity;
    reference[series].forEach((want, l) => {
      const got = gpu[series][l];
      const stable = perturbed.every((p) => (p[series][l] === null) === (want === null));
      if (!stable || (underflow !== null && l >= underflow - 1)) return;
      // Below a near-kink layer k the gradients (l < k) and weight gradients (l ≤ k) may differ.
      if (kink !== null && ((series === "log10GradRms" && l < kink) || (series === "log10WeightGradNorm" && l <= kink)))
        return;
      if (plain && (zoneAround(numerics, reference[series], l) || (want === null && nearLimit(numerics, got)))) return;
      // B·∂loss/∂W_l sums products with a_{l-1}: where a_{l-1} is in a limit zone, so is each product.
      if (plain && series === "log10WeightGradNorm" && zoneAround(numerics, reference.log10ActRms, l - 1)) return;
      const where = `${series}[${l}] of ${label}`;
      if (want === null) expect(got, where).toBeNull();
      else {
        expect(got, where).not.toBeNull();
        expect(Math.abs((got as number) - want), where).toBeLessThanOrEqual(tolerance);
      }
    });
  }
  // Where exact zeros or infinities begin: the reference's layer (or a perturbed one), or any layer
  // where each side is already in the other's limit zone just before it.
  for (const key of ["firstNonFinite", "firstAllZero"] as const) {
    for (const pass of ["forward", "backward"] as const) {
      const series = pass === "forward" ? "log10ActRms" : "log10GradRms";
      const before = (l: number) => (pass === "forward" ? l - 1 : l + 1);
      const got = gpu[key][pass];
      const want = reference[key][pass];
      const candidates = [reference, ...perturbed].map((r) => r[key][pass]);
      const consistent =
        candidates.includes(got) ||
        ((underflow !== null || kink !== null) && pass === "backward") ||
        (got !== null &&
          zoneAround(numerics, reference[series], before(got)) &&
          (want === null || zoneAround(numerics, gpu[series], before(want)))) ||
        (got === null && want !== null && zoneAround(numerics, gpu[series], want));
      expect(consistent, `${key}.${pass} = ${got} of ${label}, reference ${candidates}`).toBe(true);
    }
  }
  // loss = (count / 2B)·10^(2·log10GradRms[L]): it inherits twice that statistic's tolerance.
  const L = config.depth;
  if (underflow !== null || kink === L || (plain && zoneAround(numerics, reference.log10GradRms, L))) return;
  const lossTolerance =
    2 * (2e-4 + 10 * Math.max(...perturbed.map((p) => spread(p.log10GradRms, reference.log10GradRms))));
  if (reference.loss === null || reference.loss === 0) expect(gpu.loss, `loss of ${label}`).toBe(reference.loss);
  else {
    const difference = Math.abs(Math.log10(gpu.loss ?? 0) - Math.log10(reference.loss));
    expect(difference, `loss of ${label}`).toBeLessThanOrEqual(lossTolerance);
  }
}

/**
 * The reference of a GPU run (its subnormals) against two perturbed references: weights moved by 2 ulp,
 * and every stored value moved by 1 ulp (ReferenceOptions.nudge), which also measures what rounding
 * does where a stored value is ill-conditioned (sigmoid's 1 − a near saturation, a norm's deviations
 * where the variance is below ε).
 */
export function expectAgreesWithReference(config: RunConfig, gpu: RunResult): void {
  const { subnormals } = gpu;
  const reference = runReference(config, { subnormals });
  const perturbed = [perturbedReference(config, subnormals, 1), runReference(config, { subnormals, nudge: 2 })];
  expectAgreement(config, gpu, reference, perturbed);
}
