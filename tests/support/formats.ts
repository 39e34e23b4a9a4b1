/** The 16-bit formats' values from their bit patterns, for the tests of src/core/formats.ts and shaders/format.wgsl. */
import type { FloatFormat } from "../../src/core/formats";

/** The value of a 16-bit pattern: 1 sign bit, 15 − m exponent bits, m mantissa bits (m = the format's mantissaBits). */
export function decode16(bits: number, format: FloatFormat): number {
  const m = format.mantissaBits;
  const exponentBits = 15 - m;
  const bias = format.maxExponent;
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> m) & ((1 << exponentBits) - 1);
  const mantissa = bits & ((1 << m) - 1);
  if (exponent === (1 << exponentBits) - 1) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (exponent === 0) return sign * mantissa * 2 ** (1 - bias - m);
  return sign * (1 + mantissa * 2 ** -m) * 2 ** (exponent - bias);
}

/** Every finite non-negative value of a 16-bit format, ascending (pattern 0x0000 up to the largest). */
export function positiveValues(format: FloatFormat): number[] {
  const values: number[] = [];
  for (let bits = 0; bits < 0x8000; bits++) {
    const value = decode16(bits, format);
    if (Number.isFinite(value)) values.push(value);
  }
  return values;
}
