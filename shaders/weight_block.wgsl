// A 4 × 4 block of B·∂loss/∂W_l = Σ_b ∂ℓ_b/∂z_l a_{l-1}ᵀ, as both weight-gradient kernels
// (shaders/weight_grad.wgsl, shaders/example_weight_grad.wgsl) sum it over the batch and reduce it to
// its statistics: acc[r] holds columns origin.y..+3 of row origin.x + r.

// One example's term: rows d of ∂ℓ/∂z_l times columns a of a_{l-1}, 16 multiply-adds.
fn weight_block_add(acc: ptr<function, array<vec4<f32>, 4>>, d: vec4<f32>, a: vec4<f32>) {
  (*acc)[0] += d.x * a;
  (*acc)[1] += d.y * a;
  (*acc)[2] += d.z * a;
  (*acc)[3] += d.w * a;
}

// Publishes the block's entries inside the N × N matrix, as stored (rounded to the run's format), as its
// partial of `slot`, at `base` plus its block index; a block past N (in an 8 × 8 tile) is skipped.
fn publish_weight_block(acc: array<vec4<f32>, 4>, origin: vec2<u32>, slot: u32, base: u32) {
  if (origin.x >= N || origin.y >= N) {
    return;
  }
  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      if (origin.x + r < N && origin.y + c < N) {
        let entry = round_to_format(acc[r][c]);
        m = moments_add(m, entry);
        bits = max(bits, abs_bits(entry));
      }
    }
  }
  publish_stats(m, bits, slot, base + block_index(origin, N));
}
