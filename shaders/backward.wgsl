// One layer backward: ∂ℓ/∂z_l = ∂ℓ/∂a_l ⊙ g'(a_l), then ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z_l for the whole
// batch, PER_INVOCATION outputs per invocation, with its statistics. Tracked numerics first scale ∂ℓ/∂a_l by
// 2^−k so its largest entry is in [1, 2), and carry k in the exponent.

override N: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> act: array<f32>;
@group(0) @binding(3) var<storage, read> grad_in: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_out: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let invocation = invocation_index(wg, groups, lidx);
  var scale = GradientShift(1.0, 0);
  if (TRACKED) {
    scale = gradient_shift(params.in_slot);
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
    let row = example * N;
    var acc = 0.0;
    for (var i = 0u; i < N; i++) {
      let dz = grad_in[row + i] * scale.shift * activation_der_from_output(act[row + i]);
      acc += dz * weights[i * N + unit];
    }
    grad_out[index] = acc;
    m = moments_add(m, acc);
    bits = max(bits, abs_bits(acc));
  }
  if (invocation * PER_INVOCATION < BATCH * N) {
    publish_stats(m, bits, params.out_slot, params.partial_base + invocation);
  }
  if (invocation == 0u) {
    exponents[params.out_slot] = scale.exponent;
  }
}
