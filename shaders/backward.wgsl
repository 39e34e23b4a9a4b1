// One layer backward, the first part of backward_step.wgsl: ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z_l for the
// whole batch, a 4 × 4 block of (example, unit) per invocation, with its statistics. It stores
// ∂ℓ/∂z_{l-1} = ∂ℓ/∂a_{l-1} ⊙ g'(a_{l-1}) for the layer below (∂ℓ/∂a_0 itself at layer 1). Rows
// are padded with zeros to 4·N4 floats: each step takes 4 rows of W_l and 4 examples' ∂ℓ/∂z_l as
// vec4s, 64 multiply-adds. Tracked numerics first scale ∂ℓ/∂z_l by 2^−k, k from ∂ℓ/∂a_l's largest
// entry, and carry k in the exponent.

// a_{l-1}, for g'(a_{l-1}).
@group(0) @binding(2) var<storage, read> act_prev: array<f32>;
// ∂ℓ/∂z_l.
@group(0) @binding(3) var<storage, read> dz_in: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dz_out: array<f32>;

fn backward_block(block: u32) {
  var scale = GradientShift(1.0, 0);
  if (TRACKED) {
    scale = gradient_shift(params.in_slot);
  }
  if (block == 0u) {
    exponents[params.out_slot] = scale.exponent;
  }
  if (block >= block_count(BATCH, N)) {
    return;
  }
  let origin = block_origin(block, N);
  let column = origin.y / 4u;
  let e = clamped_rows(origin.x, BATCH, N4);
  // acc_r holds units origin.y..+3 of example origin.x + r.
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var i = 0u; i < N4; i++) {
    let w0 = weight_vec4(4u * i, column);
    let w1 = weight_vec4(4u * i + 1u, column);
    let w2 = weight_vec4(4u * i + 2u, column);
    let w3 = weight_vec4(4u * i + 3u, column);
    let d0 = dz_in[e.x + i] * scale.shift;
    let d1 = dz_in[e.y + i] * scale.shift;
    let d2 = dz_in[e.z + i] * scale.shift;
    let d3 = dz_in[e.w + i] * scale.shift;
    acc0 += d0.x * w0 + d0.y * w1 + d0.z * w2 + d0.w * w3;
    acc1 += d1.x * w0 + d1.y * w1 + d1.z * w2 + d1.w * w3;
    acc2 += d2.x * w0 + d2.y * w1 + d2.z * w2 + d2.w * w3;
    acc3 += d3.x * w0 + d3.y * w1 + d3.z * w2 + d3.w * w3;
  }
  var sums = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);

  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      let example = origin.x + r;
      let unit = origin.y + c;
      if (example < BATCH && unit < N) {
        let g = sums[r][c];
        let index = example * 4u * N4 + unit;
        dz_out[index] = select(g * activation_der_from_output(act_prev[index]), g, params.layer == 1u);
        m = moments_add(m, g);
        bits = max(bits, abs_bits(g));
      }
    }
  }
  publish_stats(m, bits, params.out_slot, params.partial_base + block);
}
