// One layer backward, the first part of backward_step.wgsl: ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z_l for the
// whole batch, a BLOCK × BLOCK tile of (example, unit) per invocation, with its statistics. It stores
// ∂ℓ/∂z_{l-1} = ∂ℓ/∂a_{l-1} ⊙ g'(a_{l-1}) for the layer below (∂ℓ/∂a_0 itself at layer 1). Rows
// are padded with zeros to 4·N4 floats: each step takes 4 rows of W_l (BLOCK / 4 vec4s of each) and
// BLOCK examples' ∂ℓ/∂z_l as vec4s, 4·BLOCK² multiply-adds. Tracked numerics first scale ∂ℓ/∂z_l by 2^−k, k from ∂ℓ/∂a_l's largest
// entry, and carry k in the exponent.

// a_{l-1}, for g'(a_{l-1}).
@group(0) @binding(2) var<storage, read> act_prev: array<f32>;
// ∂ℓ/∂z_l.
@group(0) @binding(3) var<storage, read> dz_in: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dz_out: array<f32>;
// ∂ℓ/∂a_l, the residual connection's skip (slot params.out_slot + 1); unread without RESIDUAL.
@group(0) @binding(6) var<storage, read> grad_skip: array<f32>;

// Store ∂ℓ/∂a_{l-1} itself, for shaders/layer_backward.wgsl (norms, residual connections).
override STORE_GRAD: bool = false;
// RESIDUAL (shaders/layer.wgsl): ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z_l + ∂ℓ/∂a_l, the sum rounded once.

// The two terms of ∂ℓ/∂a_{l-1} brought to its power of two: the product's (after the shift of
// ∂ℓ/∂z_l) and the skip's.
struct GradientSum {
  product: f32,
  skip: f32,
  exponent: i32,
}

// Tracked numerics put the sum at the larger of the two terms' exponents (the product's values
// stay within float32 whatever that choice; the skip's top entry then is at most 2).
fn gradient_sum(scale: GradientShift) -> GradientSum {
  if (!RESIDUAL || !TRACKED) {
    return GradientSum(1.0, 1.0, scale.exponent);
  }
  let skip_slot = params.out_slot + 1u;
  let exponent = max(scale.exponent, top_exponent(skip_slot));
  return GradientSum(pow2(scale.exponent - exponent), pow2(slot_exponent(skip_slot) - exponent), exponent);
}

// Stores the 4 × 4 block at `origin` (sums[r][c]: example origin.x + r, unit origin.y + c) as
// ∂ℓ/∂z_{l-1} and publishes its statistics; a block past the batch or the width is skipped.
fn finish_backward_block(sums: array<vec4<f32>, 4>, origin: vec2<u32>, sum: GradientSum) {
  if (origin.x >= BATCH || origin.y >= N) {
    return;
  }
  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      let example = origin.x + r;
      let unit = origin.y + c;
      if (example < BATCH && unit < N) {
        let index = example * 4u * N4 + unit;
        var g = sums[r][c];
        if (RESIDUAL) {
          g = g * sum.product + grad_skip[index] * sum.skip;
        }
        g = round_to_format(g);
        if (STORE_GRAD) {
          dz_out[index] = g;
        } else {
          dz_out[index] = select(plain_grad_z(g, act_prev[index]), g, params.layer == 1u);
        }
        m = moments_add(m, g);
        bits = max(bits, abs_bits(g));
        hist_count(hist_layer(), HIST_GRAD, g);
      }
    }
  }
  publish_stats(m, bits, params.out_slot, params.partial_base + block_index(origin, N));
}

fn backward_tile(tile: u32) {
  var scale = GradientShift(1.0, 0);
  if (TRACKED) {
    scale = gradient_shift(params.in_slot);
  }
  let sum = gradient_sum(scale);
  if (tile == 0u) {
    exponents[params.out_slot] = sum.exponent;
  }
  if (tile >= tile_count(BATCH, N)) {
    return;
  }
  let origin = tile_origin(tile, N);
  let column = origin.y / 4u;
  let e = clamped_rows(origin.x, BATCH, N4);
  // An 8 × 8 tile's second four examples and second column of vec4s (clamped; never stored past N).
  let e_hi = clamped_rows(origin.x + 4u, BATCH, N4);
  let column_hi = min(column + 1u, N4 - 1u);
  // lo_r: units origin.y..+3 of example origin.x + r; lo4_r: of example origin.x + 4 + r;
  // hi_r, hi4_r: units origin.y + 4..+7 of the same examples.
  // Sixteen named vec4s, spelled out: the same steps written with arrays and helper functions
  // (weight_rows, add_dots) gave the same bits but ran 4.5× slower on SwiftShader.
  var lo0 = vec4<f32>(0.0);
  var lo1 = vec4<f32>(0.0);
  var lo2 = vec4<f32>(0.0);
  var lo3 = vec4<f32>(0.0);
  var lo40 = vec4<f32>(0.0);
  var lo41 = vec4<f32>(0.0);
  var lo42 = vec4<f32>(0.0);
  var lo43 = vec4<f32>(0.0);
  var hi0 = vec4<f32>(0.0);
  var hi1 = vec4<f32>(0.0);
  var hi2 = vec4<f32>(0.0);
  var hi3 = vec4<f32>(0.0);
  var hi40 = vec4<f32>(0.0);
  var hi41 = vec4<f32>(0.0);
  var hi42 = vec4<f32>(0.0);
  var hi43 = vec4<f32>(0.0);
  for (var i = 0u; i < N4; i++) {
    let w0 = weight_vec4(4u * i, column);
    let w1 = weight_vec4(4u * i + 1u, column);
    let w2 = weight_vec4(4u * i + 2u, column);
    let w3 = weight_vec4(4u * i + 3u, column);
    let d0 = dz_in[e.x + i] * scale.shift;
    let d1 = dz_in[e.y + i] * scale.shift;
    let d2 = dz_in[e.z + i] * scale.shift;
    let d3 = dz_in[e.w + i] * scale.shift;
    lo0 += d0.x * w0 + d0.y * w1 + d0.z * w2 + d0.w * w3;
    lo1 += d1.x * w0 + d1.y * w1 + d1.z * w2 + d1.w * w3;
    lo2 += d2.x * w0 + d2.y * w1 + d2.z * w2 + d2.w * w3;
    lo3 += d3.x * w0 + d3.y * w1 + d3.z * w2 + d3.w * w3;
    if (BLOCK == 8u) {
      let v0 = weight_vec4(4u * i, column_hi);
      let v1 = weight_vec4(4u * i + 1u, column_hi);
      let v2 = weight_vec4(4u * i + 2u, column_hi);
      let v3 = weight_vec4(4u * i + 3u, column_hi);
      let d4 = dz_in[e_hi.x + i] * scale.shift;
      let d5 = dz_in[e_hi.y + i] * scale.shift;
      let d6 = dz_in[e_hi.z + i] * scale.shift;
      let d7 = dz_in[e_hi.w + i] * scale.shift;
      lo40 += d4.x * w0 + d4.y * w1 + d4.z * w2 + d4.w * w3;
      lo41 += d5.x * w0 + d5.y * w1 + d5.z * w2 + d5.w * w3;
      lo42 += d6.x * w0 + d6.y * w1 + d6.z * w2 + d6.w * w3;
      lo43 += d7.x * w0 + d7.y * w1 + d7.z * w2 + d7.w * w3;
      hi0 += d0.x * v0 + d0.y * v1 + d0.z * v2 + d0.w * v3;
      hi1 += d1.x * v0 + d1.y * v1 + d1.z * v2 + d1.w * v3;
      hi2 += d2.x * v0 + d2.y * v1 + d2.z * v2 + d2.w * v3;
      hi3 += d3.x * v0 + d3.y * v1 + d3.z * v2 + d3.w * v3;
      hi40 += d4.x * v0 + d4.y * v1 + d4.z * v2 + d4.w * v3;
      hi41 += d5.x * v0 + d5.y * v1 + d5.z * v2 + d5.w * v3;
      hi42 += d6.x * v0 + d6.y * v1 + d6.z * v2 + d6.w * v3;
      hi43 += d7.x * v0 + d7.y * v1 + d7.z * v2 + d7.w * v3;
    }
  }
  finish_backward_block(array<vec4<f32>, 4>(lo0, lo1, lo2, lo3), origin, sum);
  if (BLOCK == 8u) {
    finish_backward_block(array<vec4<f32>, 4>(lo40, lo41, lo42, lo43), origin + vec2<u32>(4u, 0u), sum);
    finish_backward_block(array<vec4<f32>, 4>(hi0, hi1, hi2, hi3), origin + vec2<u32>(0u, 4u), sum);
    finish_backward_block(array<vec4<f32>, 4>(hi40, hi41, hi42, hi43), origin + vec2<u32>(4u, 4u), sum);
  }
}
