// The second part of backward_step.wgsl: B·∂loss/∂W_l = Σ_b ∂ℓ_b/∂z_l a_{l-1}ᵀ, an n × n matrix
// reduced to its statistics (slot params.aux_slot) and never stored; a 4 × 4 block of (row,
// column) per invocation, summing over the batch: each example gives one vec4 of ∂ℓ/∂z_l and one
// of a_{l-1} (rows padded with zeros to 4·N4 floats) for 16 multiply-adds.

// a_{l-1} as vec4s (the same buffer as backward.wgsl's act_prev); ∂ℓ/∂z_l is its dz_in.
@group(0) @binding(5) var<storage, read> act_prev4: array<vec4<f32>>;

fn weight_grad_block(block: u32) {
  var scale = GradientShift(1.0, 0);
  if (TRACKED) {
    scale = gradient_shift(params.in_slot);
    scale.exponent += slot_exponent(params.layer - 1u);
  }
  if (block == 0u) {
    exponents[params.aux_slot] = scale.exponent;
  }
  if (block >= block_count(N, N)) {
    return;
  }
  let origin = block_origin(block, N);
  let rows = origin.x / 4u;
  let columns = origin.y / 4u;
  var acc = array<vec4<f32>, 4>();
  for (var b = 0u; b < BATCH; b++) {
    weight_block_add(&acc, dz_in[b * N4 + rows] * scale.shift, act_prev4[b * N4 + columns]);
  }
  publish_weight_block(acc, origin, params.aux_slot, params.aux_partial_base + block);
}
