// Philox-4x32-10, the counter-based generator of src/core/philox.ts, bit for bit.

const PHILOX_M0: u32 = 0xd2511f53u;
const PHILOX_M1: u32 = 0xcd9e8d57u;
const PHILOX_W0: u32 = 0x9e3779b9u;
const PHILOX_W1: u32 = 0xbb67ae85u;

// High 32 bits of the 64-bit product a·b, from 16-bit halves.
fn mulhi32(a: u32, b: u32) -> u32 {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let cross1 = a_hi * b_lo;
  let cross2 = a_lo * b_hi;
  let mid = (lo_lo >> 16u) + (cross1 & 0xffffu) + (cross2 & 0xffffu);
  return a_hi * b_hi + (cross1 >> 16u) + (cross2 >> 16u) + (mid >> 16u);
}

// Philox-4x32-10 of counter `ctr` under key `key`.
fn philox4x32(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var x = ctr;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let hi0 = mulhi32(PHILOX_M0, x.x);
    let lo0 = PHILOX_M0 * x.x;
    let hi1 = mulhi32(PHILOX_M1, x.z);
    let lo1 = PHILOX_M1 * x.z;
    x = vec4<u32>(hi1 ^ x.y ^ k.x, lo1, hi0 ^ x.w ^ k.y, lo0);
    k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return x;
}
