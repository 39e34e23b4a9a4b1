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
// float16's smallest normal 2⁻¹⁴ and largest value 65504 as float32 bits.
const FLOAT16_MIN_NORMAL_BITS: u32 = 0x38800000u;
const FLOAT16_MAX_BITS: u32 = 0x477fe000u;

// v rounded to nearest even in the run's format, as a float32; ±∞ and NaN unchanged. Without branches
// on the value (select), so that neighbouring invocations never part ways over it.
fn round_to_format(v: f32) -> f32 {
  if (FORMAT == 0u) {
    return v;
  }
  let bits = bitcast<u32>(v);
  let sign = bits & SIGN_BIT;
  let magnitude = bits ^ sign;
  var rounded: u32;
  if (FORMAT == 2u) {
    // bfloat16 is float32's top 16 bits: add just under half of the 16 bits dropped, plus the last bit
    // kept (ties to even); a carry runs into the exponent, and from the largest value into ∞.
    rounded = (magnitude + 0x7fffu + ((magnitude >> 16u) & 1u)) & 0xffff0000u;
  } else {
    rounded = round_to_float16(magnitude);
  }
  return bitcast<f32>(select(sign | rounded, bits, magnitude >= INFINITY_BITS));
}

// A float32's magnitude (its bits, finite) rounded to nearest even in float16, as float32 bits. From
// float16's smallest normal 2⁻¹⁴ up, its 24-bit significand keeps 11 bits: add just under half of the 13
// dropped, plus the last bit kept (ties to even), a carry running into the exponent; from 65520 up it is
// ∞. Below 2⁻¹⁴ float16's spacing stays 2⁻²⁴: v·2²⁴ (exact, under 2¹⁰) rounded to an integer, ties to
// even (WGSL's round), times 2⁻²⁴ (exact).
fn round_to_float16(magnitude: u32) -> u32 {
  let normal = (magnitude + 0xfffu + ((magnitude >> 13u) & 1u)) & 0xffffe000u;
  let subnormal = bitcast<u32>(round(bitcast<f32>(magnitude) * 0x1p24f) * 0x1p-24f);
  let rounded = select(normal, subnormal, magnitude < FLOAT16_MIN_NORMAL_BITS);
  return select(rounded, INFINITY_BITS, rounded > FLOAT16_MAX_BITS);
}

fn round_to_format4(v: vec4<f32>) -> vec4<f32> {
  if (FORMAT == 0u) {
    return v;
  }
  return vec4<f32>(round_to_format(v.x), round_to_format(v.y), round_to_format(v.z), round_to_format(v.w));
}
