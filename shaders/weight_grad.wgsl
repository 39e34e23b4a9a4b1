// B·∂loss/∂W_l = Σ_b ∂ℓ_b/∂z_l a_{l-1}ᵀ, an n × n matrix reduced to its statistics and never
// stored; PER_INVOCATION entries per invocation, summing over the batch.

override N: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> act: array<f32>;
@group(0) @binding(2) var<storage, read> act_prev: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;

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
    scale.exponent += slot_exponent(params.aux_slot);
  }

  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var r = 0u; r < PER_INVOCATION; r++) {
    let index = invocation * PER_INVOCATION + r;
    if (index >= N * N) {
      break;
    }
    let row = index / N;
    let column = index % N;
    var acc = 0.0;
    for (var b = 0u; b < BATCH; b++) {
      let dz = grad[b * N + row] * scale.shift * activation_der_from_output(act[b * N + row]);
      acc += dz * act_prev[b * N + column];
    }
    m = moments_add(m, acc);
    bits = max(bits, abs_bits(acc));
  }
  if (invocation * PER_INVOCATION < N * N) {
    publish_stats(m, bits, params.out_slot, params.partial_base + invocation);
  }
  if (invocation == 0u) {
    exponents[params.out_slot] = scale.exponent;
  }
}
