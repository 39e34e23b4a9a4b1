// One layer forward: a_l = g(W_l a_{l-1} + b_l) (or, with STORE_Z, z_l = W_l a_{l-1} + b_l) for the whole batch, a BLOCK × BLOCK tile of
// (example, unit) per invocation, with a_l's statistics (and histogram, shaders/histogram.wgsl).
// Rows are padded with zeros to 4·N4 floats,
// so the product runs over vec4s without bounds checks: each step loads BLOCK weight vec4s
// (shaders/product_weights.wgsl) and BLOCK activation vec4s for 4·BLOCK² multiply-adds. In tracked
// numerics the input is rescaled by powers of two (shaders/scaling.wgsl).

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED_FORWARD: bool = false;
// Tracked numerics with an activation that is not positively homogeneous: z_l at exponent 0 from an
// input at its own power of two (shaders/scaling.wgsl's input_scale).
override TRACKED_INPUT: bool = false;
// Store z_l itself, for shaders/layer_forward.wgsl (norms, residual connections), not g(z_l).
override STORE_Z: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read_write> act_in: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> act_out: array<f32>;
@group(0) @binding(4) var<storage, read> biases: array<f32>;

// Stores the 4 × 4 block at `origin` (sums[r][c]: example origin.x + r, unit origin.y + c) and
// publishes its statistics; a block past the batch or the width (in an 8 × 8 tile) is skipped.
fn finish_block(sums: array<vec4<f32>, 4>, origin: vec2<u32>, scale: ForwardScale) {
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
        let z = pre_activation(sums[r][c], biases[(params.layer - 1u) * N + unit], scale);
        var a = z;
        if (!STORE_Z) {
          a = plain_output(z);
        }
        act_out[example * 4u * N4 + unit] = a;
        m = moments_add(m, a);
        bits = max(bits, abs_bits(a));
        if (!STORE_Z) {
          hist_count(hist_layer(), HIST_ACT, a);
          hist_unit(hist_layer(), unit, a);
        }
      }
    }
  }
  publish_stats(m, bits, params.out_slot, params.partial_base + block_index(origin, N));
}

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let tile = invocation_index(wg, groups, lidx);
  var scale = ForwardScale(1.0, 1.0, 1.0, 0);
  if (TRACKED_FORWARD) {
    scale = forward_scale(params.in_slot, params.bias_sigma, params.bias_exp);
  } else if (TRACKED_INPUT) {
    scale = input_scale(params.in_slot);
  }
  if (tile == 0u) {
    exponents[params.out_slot] = scale.exponent;
  }
  if (tile >= tile_count(BATCH, N)) {
    return;
  }
  let origin = tile_origin(tile, N);
  let x = clamped_rows(origin.x, BATCH, N4);
  // An 8 × 8 tile's second four examples, and its second four units (W_l rows, clamped to the
  // padded rows; past N their sums are never stored).
  let x_hi = clamped_rows(origin.x + 4u, BATCH, N4);
  let u_hi = clamped_rows(origin.y + 4u, 4u * N4, 1u);
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
  for (var j = 0u; j < N4; j++) {
    let w0 = weight_vec4(origin.y, j);
    let w1 = weight_vec4(origin.y + 1u, j);
    let w2 = weight_vec4(origin.y + 2u, j);
    let w3 = weight_vec4(origin.y + 3u, j);
    let x0 = act_in[x.x + j] * scale.in_shift;
    let x1 = act_in[x.y + j] * scale.in_shift;
    let x2 = act_in[x.z + j] * scale.in_shift;
    let x3 = act_in[x.w + j] * scale.in_shift;
    lo0 += vec4<f32>(dot(x0, w0), dot(x0, w1), dot(x0, w2), dot(x0, w3));
    lo1 += vec4<f32>(dot(x1, w0), dot(x1, w1), dot(x1, w2), dot(x1, w3));
    lo2 += vec4<f32>(dot(x2, w0), dot(x2, w1), dot(x2, w2), dot(x2, w3));
    lo3 += vec4<f32>(dot(x3, w0), dot(x3, w1), dot(x3, w2), dot(x3, w3));
    if (BLOCK == 8u) {
      let w4 = weight_vec4(u_hi.x, j);
      let w5 = weight_vec4(u_hi.y, j);
      let w6 = weight_vec4(u_hi.z, j);
      let w7 = weight_vec4(u_hi.w, j);
      let x4 = act_in[x_hi.x + j] * scale.in_shift;
      let x5 = act_in[x_hi.y + j] * scale.in_shift;
      let x6 = act_in[x_hi.z + j] * scale.in_shift;
      let x7 = act_in[x_hi.w + j] * scale.in_shift;
      lo40 += vec4<f32>(dot(x4, w0), dot(x4, w1), dot(x4, w2), dot(x4, w3));
      lo41 += vec4<f32>(dot(x5, w0), dot(x5, w1), dot(x5, w2), dot(x5, w3));
      lo42 += vec4<f32>(dot(x6, w0), dot(x6, w1), dot(x6, w2), dot(x6, w3));
      lo43 += vec4<f32>(dot(x7, w0), dot(x7, w1), dot(x7, w2), dot(x7, w3));
      hi0 += vec4<f32>(dot(x0, w4), dot(x0, w5), dot(x0, w6), dot(x0, w7));
      hi1 += vec4<f32>(dot(x1, w4), dot(x1, w5), dot(x1, w6), dot(x1, w7));
      hi2 += vec4<f32>(dot(x2, w4), dot(x2, w5), dot(x2, w6), dot(x2, w7));
      hi3 += vec4<f32>(dot(x3, w4), dot(x3, w5), dot(x3, w6), dot(x3, w7));
      hi40 += vec4<f32>(dot(x4, w4), dot(x4, w5), dot(x4, w6), dot(x4, w7));
      hi41 += vec4<f32>(dot(x5, w4), dot(x5, w5), dot(x5, w6), dot(x5, w7));
      hi42 += vec4<f32>(dot(x6, w4), dot(x6, w5), dot(x6, w6), dot(x6, w7));
      hi43 += vec4<f32>(dot(x7, w4), dot(x7, w5), dot(x7, w6), dot(x7, w7));
    }
  }
  finish_block(array<vec4<f32>, 4>(lo0, lo1, lo2, lo3), origin, scale);
  if (BLOCK == 8u) {
    finish_block(array<vec4<f32>, 4>(lo40, lo41, lo42, lo43), origin + vec2<u32>(4u, 0u), scale);
    finish_block(array<vec4<f32>, 4>(hi0, hi1, hi2, hi3), origin + vec2<u32>(0u, 4u), scale);
    finish_block(array<vec4<f32>, 4>(hi40, hi41, hi42, hi43), origin + vec2<u32>(4u, 4u), scale);
  }
  hist_flush(hist_layer());
}
