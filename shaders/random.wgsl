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

// N(0, 1) by Box–Muller: √(−2 ln u₁) · cos(2π u₂), with cos(2π u₂) = −cos(2π (u₂ − ½)) so the
// argument stays in [−π, π] where WGSL's cos is accurate.
fn box_muller(word0: u32, word1: u32) -> f32 {
  let u1 = uniform24(word0);
  let u2 = uniform24(word1);
  return -sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * (u2 - 0.5));
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
