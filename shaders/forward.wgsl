// One layer forward: a_l = g(W_l a_{l-1} + b_l) for the whole batch, PER_INVOCATION outputs per invocation,
// with a_l's statistics. In tracked numerics the input is rescaled by powers of two (see SPEC.md).

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
  let invocation = invocation_index(wg, groups, lidx);

  var scale = ForwardScale(1.0, 1.0, 1.0, 0);
  if (TRACKED_FORWARD) {
    scale = forward_scale(params.in_slot, params.bias_sigma, params.bias_exp);
  }

  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var r = 0u; r < PER_INVOCATION; r++) {
    let index = invocation * PER_INVOCATION + r;
    if (index >= BATCH * N) {
      break;
    }
    let example = index / N;
    let unit = index % N;
    let a_row = example * N;
    let w_row = unit * N;
    var acc = 0.0;
    for (var j = 0u; j < N; j++) {
      acc += weights[w_row + j] * (act_in[a_row + j] * scale.in_shift);
    }
    let z = acc * scale.in_drop + biases[(params.layer - 1u) * N + unit] * scale.bias_scale;
    let a = activate(z);
    act_out[index] = a;
    m = moments_add(m, a);
    bits = max(bits, abs_bits(a));
  }
  if (invocation * PER_INVOCATION < BATCH * N) {
    publish_stats(m, bits, params.out_slot, params.partial_base + invocation);
  }
  if (invocation == 0u) {
    exponents[params.out_slot] = scale.exponent;
  }
}
