// The run's storage format (SPEC.md, numerics; src/core/formats.ts): every kernel rounds each value
// it stores to nearest even in it, here and nowhere else. The rounding is of the float32 a kernel
// computed (a float32 sum), where the reference rounds its float64 sum: where that sum lies within
// float32 rounding of a midpoint of the format, the two may differ by one ulp of the format.
//
// Bit operations on the float32's bits, not WGSL's quantizeToF16 (undefined outside float16's range)
// nor shader-f16 (an optional feature): a magnitude that rounds past the format's largest value is ±∞,
// as IEEE rounds. float16's subnormals (2⁻²⁴..2⁻¹⁴) come out as normal float32 numbers, so they are kept
// on a GPU that flushes float32's subnormals; bfloat16's are float32 subnormals, flushed where float32's
// are (src/gpu/engine.ts reports which).

// 0: float32, no rounding (the kernels compile as without it), 1: float16, 2: bfloat16 (FORMAT_IDS in src/gpu/run-encoder.ts).
override FORMAT: u32 = 0u;

const SIGN_BIT: u32 = 0x80000000u;
const INFINITY_BITS: u32 = 0x7f800000u;

// v rounded to nearest even in the run's format, as a float32; ±∞ and NaN unchanged.
fn round_to_format(v: f32) -> f32 {
  if (FORMAT == 0u) {
    return v;
  }
  let bits = bitcast<u32>(v);
  let sign = bits & SIGN_BIT;
  let magnitude = bits ^ sign;
  if (magnitude >= INFINITY_BITS) {
    return v;
  }
  if (FORMAT == 2u) {
    // bfloat16 is float32's top 16 bits: add just under half of the 16 bits dropped, plus the last bit
    // kept (ties to even); a carry runs into the exponent, and from the largest value into ∞.
    return bitcast<f32>(sign | ((magnitude + 0x7fffu + ((magnitude >> 16u) & 1u)) & 0xffff0000u));
  }
  return bitcast<f32>(sign | round_to_float16(magnitude));
}

// A float32's magnitude (its bits, finite) rounded to nearest even in float16, as float32 bits: its
// 24-bit significand loses 13 bits at float16's normal exponents, and more below 2⁻¹⁴, where float16's
// spacing stays 2⁻²⁴; from 2⁻²⁶ down (float32's subnormals too) nothing is left. From 65520 up it is ∞.
fn round_to_float16(magnitude: u32) -> u32 {
  let exponent = i32(magnitude >> 23u) - 127;
  if (exponent > 15) {
    return INFINITY_BITS;
  }
  let dropped = u32(clamp(-1 - exponent, 13, 25));
  let significand = (magnitude & 0x7fffffu) | 0x800000u;
  let units = (significand + (1u << (dropped - 1u)) - 1u + ((significand >> dropped) & 1u)) >> dropped;
  // Units of 2^(exponent − 23 + dropped): 2^(exponent − 10) for normals, 2⁻²⁴ below; exact products.
  let rounded = f32(units) * pow2(exponent - 23 + i32(dropped));
  return select(bitcast<u32>(rounded), INFINITY_BITS, rounded > 65504.0);
}

fn round_to_format4(v: vec4<f32>) -> vec4<f32> {
  if (FORMAT == 0u) {
    return v;
  }
  return vec4<f32>(round_to_format(v.x), round_to_format(v.y), round_to_format(v.z), round_to_format(v.w));
}
