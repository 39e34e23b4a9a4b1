// One layer forward: a_l = g(W_l a_{l-1} + b_l) for the whole batch, a 4 × 4 block of (example,
// unit) per invocation, with a_l's statistics. In tracked numerics the input is rescaled by powers
// of two (shaders/scaling.wgsl).

override N: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED_FORWARD: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> act_in: array<f32>;
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
  let w = clamped_rows(origin.y, N, N);
  let a = clamped_rows(origin.x, BATCH, N);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var j = 0u; j < N; j++) {
    let wj = vec4<f32>(weights[w.x + j], weights[w.y + j], weights[w.z + j], weights[w.w + j]);
    acc0 += wj * (act_in[a.x + j] * scale.in_shift);
    acc1 += wj * (act_in[a.y + j] * scale.in_shift);
    acc2 += wj * (act_in[a.z + j] * scale.in_shift);
    acc3 += wj * (act_in[a.w + j] * scale.in_shift);
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
        act_out[example * N + unit] = a;
        m = moments_add(m, a);
        bits = max(bits, abs_bits(a));
      }
    }
  }
  publish_stats(m, bits, params.out_slot, params.partial_base + block);
}
