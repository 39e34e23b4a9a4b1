// One layer forward: a_l = g(W_l a_{l-1} + b_l) for the whole batch, a 4 × 4 block of (example,
// unit) per invocation, with a_l's statistics. Rows are padded with zeros to 4·N4 floats, so the
// product runs over vec4s without bounds checks: each step loads 4 weight vec4s
// (shaders/product_weights.wgsl) and 4 activation vec4s for 64 multiply-adds. In tracked numerics the input is rescaled by powers of two
// (shaders/scaling.wgsl).

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED_FORWARD: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read_write> act_in: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> act_out: array<f32>;
@group(0) @binding(4) var<storage, read> biases: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let block = invocation_index(wg, groups, lidx);
  var scale = ForwardScale(1.0, 1.0, 1.0, 0);
  if (TRACKED_FORWARD) {
    scale = forward_scale(params.in_slot, params.bias_sigma, params.bias_exp);
  }
  if (block == 0u) {
    exponents[params.out_slot] = scale.exponent;
  }
  if (block >= block_count(BATCH, N)) {
    return;
  }
  let origin = block_origin(block, N);
  let x = clamped_rows(origin.x, BATCH, N4);
  // acc_r holds units origin.y..+3 of example origin.x + r.
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var j = 0u; j < N4; j++) {
    let w0 = weight_vec4(origin.y, j);
    let w1 = weight_vec4(origin.y + 1u, j);
    let w2 = weight_vec4(origin.y + 2u, j);
    let w3 = weight_vec4(origin.y + 3u, j);
    let x0 = act_in[x.x + j] * scale.in_shift;
    let x1 = act_in[x.y + j] * scale.in_shift;
    let x2 = act_in[x.z + j] * scale.in_shift;
    let x3 = act_in[x.w + j] * scale.in_shift;
    acc0 += vec4<f32>(dot(x0, w0), dot(x0, w1), dot(x0, w2), dot(x0, w3));
    acc1 += vec4<f32>(dot(x1, w0), dot(x1, w1), dot(x1, w2), dot(x1, w3));
    acc2 += vec4<f32>(dot(x2, w0), dot(x2, w1), dot(x2, w2), dot(x2, w3));
    acc3 += vec4<f32>(dot(x3, w0), dot(x3, w1), dot(x3, w2), dot(x3, w3));
  }
  var sums = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);

  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      let example = origin.x + r;
      let unit = origin.y + c;
      if (example < BATCH && unit < N) {
        let z = sums[r][c] * scale.in_drop + biases[(params.layer - 1u) * N + unit] * scale.bias_scale;
        let a = activate(z);
        act_out[example * 4u * N4 + unit] = a;
        m = moments_add(m, a);
        bits = max(bits, abs_bits(a));
      }
    }
  }
  publish_stats(m, bits, params.out_slot, params.partial_base + block);
}
