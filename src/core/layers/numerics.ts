/**
 * The numerics every layer module is handed: how a stored value is rounded (to float32, float16 or
 * bfloat16, optionally flushing the format's subnormals, or not at all), and tensors kept as float64
 * values times a power of two (tracked numerics), with the exact power-of-two arithmetic that moves
 * them between scales.
 */
import type { RunConfig } from "../config";
import { FLOAT_FORMATS, roundToFormat, storageFormat } from "../formats";
import type { Subnormals } from "../result";

/** A (batch × width) tensor as the reference stores it: values times 2^exponent (0 outside tracked numerics). */
export interface Tensor {
  values: Float64Array;
  exponent: number;
}

/** How a run stores and scales its values; each layer module takes it as a parameter. */
export interface Numerics {
  /** Rounding of every stored value: to the run's format (optionally flushing subnormals), or none (tracked). */
  readonly round: (v: number) => number;
  /** Tensors carry a power of two, chosen per tensor so that nothing overflows or underflows (tracked). */
  readonly tracked: boolean;
  /** The forward pass may rescale pre-activations too: tracked and g(c·z) = c·g(z) for c > 0. */
  readonly scaledForward: boolean;
}

/**
 * Rounding of every stored value: to nearest even in the run's format (float32, float16, bfloat16),
 * with the format's subnormals flushed to zero when `subnormals` says so; none in tracked numerics.
 */
export function storeRounding(config: RunConfig, subnormals: Subnormals): (v: number) => number {
  const format = storageFormat(config.numerics);
  if (format === null) return (v) => v;
  const round = format === FLOAT_FORMATS.float32 ? Math.fround : (v: number) => roundToFormat(v, format);
  if (subnormals === "kept") return round;
  const { minNormal } = format;
  return (v) => {
    const r = round(v);
    return Math.abs(r) < minNormal ? 0 : r;
  };
}

/**
 * Rounding of the drawn values (weights, biases, inputs, targets): as every stored value in float16
 * and bfloat16; float32 in float32 and tracked numerics (Math.fround, never flushed).
 */
export function drawRounding(config: RunConfig, subnormals: Subnormals): (v: number) => number {
  return config.numerics === "float32" || config.numerics === "tracked"
    ? Math.fround
    : storeRounding(config, subnormals);
}

/** One ulp of [1, 2) in the run's format, 2^−mantissaBits (float32's for tracked numerics, whose values are float32). */
export function formatUlp(config: RunConfig): number {
  return 2 ** -(storageFormat(config.numerics) ?? FLOAT_FORMATS.float32).mantissaBits;
}

/** ⌊log₂ max|v|⌋, the power of two that brings a tensor's largest entry into [1, 2); 0 if none. */
export function normalizingExponent(maxAbs: number): number {
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) return 0;
  let exponent = Math.floor(Math.log2(maxAbs));
  if (2 ** exponent > maxAbs) exponent -= 1;
  else if (2 ** (exponent + 1) <= maxAbs) exponent += 1;
  return exponent;
}

const TWO_TO_1023 = 2 ** 1023;
/** 2⁻¹⁰²² · 2⁵³: a step down after which a value that stays normal is exact, and one that does not ends at 0. */
const TWO_TO_MINUS_969 = 2 ** -969;

/**
 * v·2^e rounded once to float64 (C's ldexp) for any integer e, however far 2^e lies outside float64's
 * range: 0 stays 0, a true magnitude past 2¹⁰²⁴ is ±Infinity and one below 2⁻¹⁰⁷⁵ is ±0.
 */
export function ldexp(v: number, e: number): number {
  let value = v;
  let rest = e;
  // Up in steps of 2¹⁰²³ (exact until it overflows); down in steps of 2⁻⁹⁶⁹, which leave rest < −53, so a
  // value made subnormal by a step (rounded) ends below 2⁻¹⁰⁷⁵, at 0, as the true value does (musl's scalbn).
  for (let step = 0; step < 2 && rest > 1023; step++) {
    value *= TWO_TO_1023;
    rest -= 1023;
  }
  for (let step = 0; step < 2 && rest < -1022; step++) {
    value *= TWO_TO_MINUS_969;
    rest += 969;
  }
  return value * 2 ** Math.min(1023, Math.max(-1022, rest));
}

/** 2^e where it is a normal float64, so that v·2^e is ldexp(v, e) in one multiply; else 0 (apply it with ldexp). */
export function pow2Factor(e: number): number {
  return e >= -1022 && e <= 1023 ? 2 ** e : 0;
}

/** ldexp(v, e), given factor = pow2Factor(e) computed once for a whole tensor. */
export function shifted(v: number, e: number, factor: number): number {
  return factor > 0 ? v * factor : ldexp(v, e);
}

/** The largest finite |v| of a tensor's values (0 if none). */
export function maxAbs(values: Float64Array): number {
  let largest = 0;
  for (let k = 0; k < values.length; k++) {
    const magnitude = Math.abs(values[k] as number);
    if (magnitude > largest && magnitude !== Number.POSITIVE_INFINITY) largest = magnitude;
  }
  return largest;
}

/** The exponent of a tensor's largest entry, the scale at which a sum of it and another loses nothing of it. */
export function topExponent(tensor: Tensor): number {
  return tensor.exponent + normalizingExponent(maxAbs(tensor.values));
}

/** The same tensor with its values scaled by 2^−k so that the largest lies in [1, 2) (tracked numerics). */
export function renormalized(tensor: Tensor): Tensor {
  const k = normalizingExponent(maxAbs(tensor.values));
  if (k === 0) return tensor;
  const factor = pow2Factor(-k);
  return { values: tensor.values.map((v) => shifted(v, -k, factor)), exponent: tensor.exponent + k };
}

/**
 * x + c·y, entry by entry, rounded once per entry. Tracked numerics align the two exactly: both are
 * brought by powers of two to the exponent of the larger's top entry, so neither overflows.
 */
export function addScaled(x: Tensor, c: number, y: Tensor, numerics: Numerics): Tensor {
  const exponent = numerics.tracked ? Math.max(topExponent(x), topExponent(y)) : 0;
  const xShift = x.exponent - exponent;
  const yShift = y.exponent - exponent;
  const xFactor = pow2Factor(xShift);
  const yFactor = pow2Factor(yShift);
  const { round } = numerics;
  const values = new Float64Array(x.values.length);
  for (let k = 0; k < values.length; k++) {
    const xk = shifted(x.values[k] as number, xShift, xFactor);
    values[k] = round(xk + c * shifted(y.values[k] as number, yShift, yFactor));
  }
  return { values, exponent };
}
