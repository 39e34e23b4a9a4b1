// The second part of backward_step.wgsl: B·∂loss/∂W_l = Σ_b ∂ℓ_b/∂z_l a_{l-1}ᵀ, an n × n matrix
// reduced to its statistics (slot params.aux_slot), and stored only when training
// (store_weight_block: shaders/weight_grad_store.wgsl or weight_grad_discard.wgsl); a BLOCK × BLOCK tile of (row,
// column) per invocation, summing over the batch: each example gives BLOCK / 4 vec4s of ∂ℓ/∂z_l and
// as many of a_{l-1} (rows padded with zeros to 4·N4 floats) for BLOCK² multiply-adds.

// a_{l-1} as vec4s (the same buffer as backward.wgsl's act_prev); ∂ℓ/∂z_l is its dz_in.
@group(0) @binding(5) var<storage, read> act_prev4: array<vec4<f32>>;

fn weight_grad_tile(tile: u32) {
  var scale = GradientShift(1.0, 0);
  if (TRACKED) {
    scale = gradient_shift(params.in_slot);
    scale.exponent += slot_exponent(params.layer - 1u);
  }
  if (tile == 0u) {
    exponents[params.aux_slot] = scale.exponent;
  }
  if (tile >= tile_count(N, N)) {
    return;
  }
  let origin = tile_origin(tile, N);
  let rows = origin.x / 4u;
  let columns = origin.y / 4u;
  // An 8 × 8 tile's second vec4 of rows and of columns (clamped; never published past N).
  let rows_hi = min(rows + 1u, N4 - 1u);
  let columns_hi = min(columns + 1u, N4 - 1u);
  var lo = array<vec4<f32>, 4>();
  var lo_hi = array<vec4<f32>, 4>();
  var hi_lo = array<vec4<f32>, 4>();
  var hi = array<vec4<f32>, 4>();
  for (var b = 0u; b < BATCH; b++) {
    let d = dz_in[b * N4 + rows] * scale.shift;
    let a = act_prev4[b * N4 + columns];
    weight_block_add(&lo, d, a);
    if (BLOCK == 8u) {
      let d_hi = dz_in[b * N4 + rows_hi] * scale.shift;
      let a_hi = act_prev4[b * N4 + columns_hi];
      weight_block_add(&lo_hi, d, a_hi);
      weight_block_add(&hi_lo, d_hi, a);
      weight_block_add(&hi, d_hi, a_hi);
    }
  }
  let base = params.aux_partial_base;
  publish_weight_block(lo, origin, params.aux_slot, base);
  store_weight_block(lo, origin);
  if (BLOCK == 8u) {
    publish_weight_block(lo_hi, origin + vec2<u32>(0u, 4u), params.aux_slot, base);
    publish_weight_block(hi_lo, origin + vec2<u32>(4u, 0u), params.aux_slot, base);
    publish_weight_block(hi, origin + vec2<u32>(4u, 4u), params.aux_slot, base);
    store_weight_block(lo_hi, origin + vec2<u32>(0u, 4u));
    store_weight_block(hi_lo, origin + vec2<u32>(4u, 0u));
    store_weight_block(hi, origin + vec2<u32>(4u, 4u));
  }
}
