/**
 * Layer norm and batch norm, forward next to backward: each group of entries of z (one example's n
 * units for "layer", one unit's B examples for "batch") is normalized with no learned scale or shift,
 * population variance and ε = 1e-5 (SPEC.md, "The network"):
 *
 *     ẑ_k = (z_k − μ) / σ,   μ = mean_k z_k,   σ = √(mean_k (z_k − μ)² + ε)
 *
 * (z_k − μ computed as (z_k − z_0) − mean_j (z_j − z_0), so that a group of equal entries, such as a
 * batch of identical examples, normalizes to exact zeros on both backends.)
 *     ∂ℓ/∂z_k = (∂ℓ/∂ẑ_k − mean_j ∂ℓ/∂ẑ_j − ẑ_k · mean_j (∂ℓ/∂ẑ_j ẑ_j)) / σ
 *
 * (∂ẑ_j/∂z_k = (δ_jk − 1/m)/σ − ẑ_j ẑ_k/(m σ) over a group of m, since ∂σ/∂z_k = (z_k − μ)/(m σ)). Batch
 * norm's backward couples the examples of the batch, layer norm's the units of one example.
 *
 * Tracked numerics: z = Z·2^e. With p = max(e, 0), σ = 2^p·√(var(Z)·4^(e−p) + ε·4^(−p)), both terms of the
 * root within float64 for every e a valid config reaches; so ẑ = (Z − μ_Z)/√(…) · 2^(e−p). Where z is
 * large the output is scale-free (exponent 0); where its variance falls below ε it is not: ẑ ≈ z/√ε
 * shrinks with z, and keeps z's exponent.
 */
import type { NormKind } from "../config";
import { ldexp, type Numerics, pow2Factor, shifted, type Tensor } from "./numerics";

/** The ε added to the variance of every group. */
export const NORM_EPSILON = 1e-5;

/** What a normalization's backward needs of its forward. */
export interface NormState {
  kind: Exclude<NormKind, "none">;
  /** ẑ (batch × width), at its exponent. */
  normalized: Tensor;
  /** 1/σ of each group (one per example for "layer", one per unit for "batch"), times 2^exponent. */
  invStd: Tensor;
}

/** The groups a norm reduces over, in a (batch × width) row-major tensor: group g, entry k at g·groupStride + k·entryStride. */
interface Groups {
  count: number;
  size: number;
  groupStride: number;
  entryStride: number;
}

function groupsOf(kind: Exclude<NormKind, "none">, batch: number, n: number): Groups {
  return kind === "layer"
    ? { count: batch, size: n, groupStride: n, entryStride: 1 }
    : { count: n, size: batch, groupStride: 1, entryStride: n };
}

/** ẑ = (z − μ)/σ over each group, rounded once per entry, and the 1/σ the backward needs. */
export function normForward(kind: Exclude<NormKind, "none">, z: Tensor, n: number, numerics: Numerics): NormState {
  const values = z.values;
  const groups = groupsOf(kind, values.length / n, n);
  const { count, size, groupStride, entryStride } = groups;
  const p = Math.max(z.exponent, 0);
  const varianceShift = 2 * (z.exponent - p);
  const epsilon = ldexp(NORM_EPSILON, -2 * p);
  const out = new Float64Array(values.length);
  const invStd = new Float64Array(count);
  for (let g = 0; g < count; g++) {
    const base = g * groupStride;
    // Deviations measured from the group's first entry: a group of equal entries gives exact zeros.
    const first = values[base] as number;
    let sum = 0;
    for (let k = 0; k < size; k++) sum += (values[base + k * entryStride] as number) - first;
    const mean = sum / size;
    const deviation = (k: number) => (values[base + k * entryStride] as number) - first - mean;
    let squares = 0;
    for (let k = 0; k < size; k++) squares += deviation(k) ** 2;
    const inv = 1 / Math.sqrt(ldexp(squares / size, varianceShift) + epsilon);
    invStd[g] = inv;
    for (let k = 0; k < size; k++) out[base + k * entryStride] = numerics.round(deviation(k) * inv);
  }
  return { kind, normalized: { values: out, exponent: z.exponent - p }, invStd: { values: invStd, exponent: -p } };
}

/** ∂ℓ/∂z from ∂ℓ/∂ẑ over each group, rounded once per entry, at ∂ℓ/∂ẑ's exponent times 1/σ's. */
export function normBackward(gradNormalized: Tensor, state: NormState, n: number, numerics: Numerics): Tensor {
  const grad = gradNormalized.values;
  const { count, size, groupStride, entryStride } = groupsOf(state.kind, grad.length / n, n);
  // The true ẑ: below 2^0 where z's variance is below ε (then ẑ·mean(∂ℓ/∂ẑ ẑ) is tiny, or exactly 0).
  const zExponent = state.normalized.exponent;
  const zFactor = pow2Factor(zExponent);
  const normalized = state.normalized.values;
  const out = new Float64Array(grad.length);
  for (let g = 0; g < count; g++) {
    const base = g * groupStride;
    // ∂ℓ/∂ẑ − its mean measured from the group's first entry, as in normForward.
    const first = grad[base] as number;
    let gradSum = 0;
    let gradDotZ = 0;
    for (let k = 0; k < size; k++) {
      const index = base + k * entryStride;
      gradSum += (grad[index] as number) - first;
      gradDotZ += (grad[index] as number) * shifted(normalized[index] as number, zExponent, zFactor);
    }
    const gradMean = gradSum / size;
    const gradDotZMean = gradDotZ / size;
    const inv = state.invStd.values[g] as number;
    for (let k = 0; k < size; k++) {
      const index = base + k * entryStride;
      const zk = shifted(normalized[index] as number, zExponent, zFactor);
      out[index] = numerics.round(inv * ((grad[index] as number) - first - gradMean - zk * gradDotZMean));
    }
  }
  return { values: out, exponent: gradNormalized.exponent + state.invStd.exponent };
}
