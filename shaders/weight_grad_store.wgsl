// Training: weight_grad.wgsl's blocks of B·∂loss/∂W_l also stored (rows of 4·N4 floats, like W_l),
// for shaders/update.wgsl. Without training, shaders/weight_grad_discard.wgsl stands in.

@group(0) @binding(7) var<storage, read_write> weight_grad_out: array<f32>;

// Stores the entries of the 4 × 4 block at `origin` that lie inside the N × N matrix.
fn store_weight_block(acc: array<vec4<f32>, 4>, origin: vec2<u32>) {
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      if (origin.x + r < N && origin.y + c < N) {
        weight_grad_out[(origin.x + r) * 4u * N4 + origin.y + c] = acc[r][c];
      }
    }
  }
}
