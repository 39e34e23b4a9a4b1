/**
 * The binary floating-point formats a run can store its values in (SPEC.md, numerics): float32,
 * float16 (IEEE binary16) and bfloat16 (float32's exponent, 8 significant bits), and the exact
 * round-to-nearest-even of a float64 value into each, overflowing to ±∞ as IEEE 754 does.
 */

/** A binary format: p − 1 stored significand bits and the exponent range of its normal numbers. */
export interface FloatFormat {
  /** Significand bits after the binary point (10 for float16): one ulp of [1, 2) is 2^−mantissaBits. */
  readonly mantissaBits: number;
  /** The smallest normal number is 2^minExponent; below it, subnormals keep the spacing 2^(minExponent − mantissaBits). */
  readonly minExponent: number;
  /** The largest finite number is (2 − 2^−mantissaBits)·2^maxExponent. */
  readonly maxExponent: number;
  /** Largest finite value. */
  readonly max: number;
  /** Smallest positive normal value. */
  readonly minNormal: number;
  /** Smallest positive subnormal value. */
  readonly minSubnormal: number;
  /**
   * By a float64's biased exponent (0..2047): 1.5·2⁵²·ulp, the shifter that rounds a magnitude of that
   * binade to a multiple of the format's spacing there, ulp = 2^(e − mantissaBits) (the subnormals'
   * spacing below 2^minExponent); 0 past the format's largest binade (roundToFormat).
   */
  readonly shifters: Float64Array;
}

function format(mantissaBits: number, minExponent: number, maxExponent: number): FloatFormat {
  return {
    mantissaBits,
    minExponent,
    maxExponent,
    max: (2 - 2 ** -mantissaBits) * 2 ** maxExponent,
    minNormal: 2 ** minExponent,
    minSubnormal: 2 ** (minExponent - mantissaBits),
    shifters: Float64Array.from({ length: 2048 }, (_, biased) => {
      const exponent = biased - 1023;
      return exponent > maxExponent ? 0 : 1.5 * 2 ** 52 * 2 ** (Math.max(exponent, minExponent) - mantissaBits);
    }),
  };
}

/** The formats of the numerics that store plain values: float32 (Math.fround), float16 and bfloat16. */
export const FLOAT_FORMATS = {
  float32: format(23, -126, 127),
  float16: format(10, -14, 15),
  bfloat16: format(7, -126, 127),
} as const satisfies Record<string, FloatFormat>;

/** The numerics whose values are stored in a binary format (every numerics but tracked). */
export type StorageFormat = keyof typeof FLOAT_FORMATS;

/** The format a run's numerics store values in, or null for tracked numerics (float32 values times a power of two). */
export function storageFormat(numerics: string): FloatFormat | null {
  return Object.hasOwn(FLOAT_FORMATS, numerics) ? FLOAT_FORMATS[numerics as StorageFormat] : null;
}

/**
 * The format a run's values are stored in, by name: its numerics', or float32 for tracked numerics
 * (their values are float32 numbers, and what they would do in a plain pass is a float32 pass's).
 */
export function formatName(numerics: string): StorageFormat {
  return Object.hasOwn(FLOAT_FORMATS, numerics) ? (numerics as StorageFormat) : "float32";
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** The index of a float64's high word (sign, exponent, top of the significand) in `words`. */
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/**
 * v rounded to the nearest value of `format`, ties to even, in one rounding from the float64 value
 * (so not through float32, which would round twice): subnormals of the format kept, a magnitude
 * that rounds past the largest finite value is ±∞ (float16: from 65520 up), ±0, ±∞ and NaN kept,
 * and a negative value that rounds to zero is −0.
 */
export function roundToFormat(v: number, format: FloatFormat): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const magnitude = Math.abs(v);
  bits[0] = magnitude;
  // The shifter of magnitude's binade (a float64 subnormal's is the lowest's: the format's subnormals).
  const shifter = format.shifters[((words[HIGH] as number) >>> 20) & 0x7ff] as number;
  // magnitude < 2·2^mantissaBits·ulp, so magnitude + 1.5·2⁵²·ulp lies in [2⁵²·ulp, 2⁵³·ulp), where
  // float64's spacing is exactly ulp: the sum is magnitude rounded to a multiple of ulp, ties to even
  // (float64 rounds so), and subtracting the shifter back is exact.
  let rounded = shifter === 0 ? Number.POSITIVE_INFINITY : magnitude + shifter - shifter;
  if (rounded > format.max) rounded = Number.POSITIVE_INFINITY;
  return v < 0 ? -rounded : rounded;
}
