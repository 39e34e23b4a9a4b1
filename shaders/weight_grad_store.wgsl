// Training: weight_grad.wgsl's blocks of B·∂loss/∂W_l also stored (rows of 4·N4 floats, like W_l),
// for shaders/update.wgsl. Without training, shaders/weight_grad_discard.wgsl stands in.

@group(0) @binding(7) var<storage, read_write> weight_grad_out: array<vec4<f32>>;

// Stores the rows of the 4 × 4 block at `origin` that lie inside the N × N matrix, a vec4 each (its
// columns past N, in the rows' padding, are sums over a_{l-1}'s zero padding: 0).
fn store_weight_block(acc: array<vec4<f32>, 4>, origin: vec2<u32>) {
  if (origin.y >= N) {
    return;
  }
  for (var r = 0u; r < 4u; r++) {
    if (origin.x + r < N) {
      weight_grad_out[(origin.x + r) * N4 + origin.y / 4u] = round_to_format4(acc[r]);
    }
  }
}
