// Entry draws of src/core/random.ts: one Philox block per tensor entry.

const STREAM_WEIGHTS: u32 = 0u;
const STREAM_BIASES: u32 = 1u;
const STREAM_INPUTS: u32 = 2u;
const STREAM_TARGETS: u32 = 3u;

// The block of one entry: key (seed, stream), counter (column, row, layer, 0).
fn entry_block(seed: u32, stream: u32, layer: u32, row: u32, column: u32) -> vec4<u32> {
  return philox4x32(vec4<u32>(column, row, layer, 0u), vec2<u32>(seed, stream));
}

// Uniform on (0, 1): (⌊word / 2⁹⌋ + ½) / 2²³, exact in float32 (24 significant bits).
fn uniform24(word: u32) -> f32 {
  return (f32(word >> 9u) + 0.5) * (1.0 / 8388608.0);
}

// ln u to a few ulp, independent of the platform's log: u = m·2^e with m in [√½, √2), then
// ln m = 2 atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172, by its series to s⁹ (error < 4e-10).
fn precise_log(u: f32) -> f32 {
  let parts = frexp(u);
  var m = parts.fract;
  var e = parts.exp;
  if (m < 0.70710678) {
    m = m * 2.0;
    e = e - 1;
  }
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  let series = s * (2.0 + s2 * (0.6666666667 + s2 * (0.4 + s2 * (0.2857142857 + s2 * 0.2222222222))));
  return series + f32(e) * 0.693147182464599609375 + f32(e) * -1.904654290582768e-09;
}

// cos(2π t) for t in (−½, ½) to a few ulp: t = q/4 + r exactly, |r| ≤ ⅛, then a Taylor
// polynomial of cos or sin at x = 2πr, |x| ≤ π/4 (errors < 3e-8).
fn precise_cos_turns(t: f32) -> f32 {
  let q = round(4.0 * t);
  let x = 6.283185307179586 * (t - 0.25 * q);
  let x2 = x * x;
  let c = 1.0 + x2 * (-0.5 + x2 * (0.041666666666666664 + x2 * (-0.001388888888888889 + x2 * 2.48015873015873e-05)));
  let sn = x * (1.0 + x2 * (-0.16666666666666666 + x2 * (0.008333333333333333 + x2 * (-0.0001984126984126984 + x2 * 2.7557319223985893e-06))));
  switch (i32(q) & 3) {
    case 0: { return c; }
    case 1: { return -sn; }
    case 2: { return -c; }
    default: { return sn; }
  }
}

// N(0, 1) by Box–Muller: √(−2 ln u₁) · cos(2π u₂), with cos(2π u₂) = −cos(2π (u₂ − ½)).
fn box_muller(word0: u32, word1: u32) -> f32 {
  let u1 = uniform24(word0);
  let u2 = uniform24(word1);
  return -sqrt(-2.0 * precise_log(u1)) * precise_cos_turns(u2 - 0.5);
}

fn normal_entry(seed: u32, stream: u32, layer: u32, row: u32, column: u32) -> f32 {
  let words = entry_block(seed, stream, layer, row, column);
  return box_muller(words.x, words.y);
}

// U(−1, 1) from word 2 of the entry's block.
fn symmetric_uniform_entry(seed: u32, stream: u32, layer: u32, row: u32, column: u32) -> f32 {
  let words = entry_block(seed, stream, layer, row, column);
  return 2.0 * uniform24(words.z) - 1.0;
}
