// The layered path's backward epilogue for norms and residual connections (shaders/layer.wgsl): from
// ∂ℓ/∂a_l and layer l's state, ∂ℓ/∂z_l for the products of shaders/backward_step.wgsl, with its
// largest entry and exponent (no partials: nothing reports ∂ℓ/∂z_l). Tracked numerics shift ∂ℓ/∂a_l
// to [1, 2) first; a norm multiplies by 1/σ, whose power of two 2^−p comes from z_l's exponent.

// ∂ℓ/∂a_l, at slot params.in_slot.
@group(0) @binding(1) var<storage, read> grad_in: array<f32>;
// Layer l's state (shaders/layer_forward.wgsl); z_l's slot is params.aux_slot.
@group(0) @binding(2) var<storage, read> state: array<f32>;
// ∂ℓ/∂z_l, at slot params.out_slot.
@group(0) @binding(3) var<storage, read_write> grad_out: array<f32>;

// ∂ℓ/∂ẑ of one entry.
fn branch_grad(index: u32, shift: f32) -> f32 {
  return branch_backward(grad_in[index] * shift, state[H_OFFSET + index], params.alpha);
}

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let invocation = invocation_index(wg, groups, lidx);
  var shift = GradientShift(1.0, 0);
  var norm = norm_scale(0);
  if (TRACKED) {
    shift = gradient_shift(params.in_slot);
    norm = norm_scale(slot_exponent(params.aux_slot));
  }
  if (invocation == 0u) {
    exponents[params.out_slot] = shift.exponent + select(0, norm.inv_exponent, NORM != 0u);
  }
  if (invocation >= layer_invocations()) {
    return;
  }
  // ẑ's true values: its stored values are at exponent e − p ≤ 0.
  let z_factor = pow2(norm.normalized_exponent);
  var bits = 0u;
  for (var g = 4u * invocation; g < min(4u * invocation + 4u, group_count()); g++) {
    // ∂ℓ/∂ẑ's mean is measured from the group's first entry (shaders/layer_forward.wgsl's group_statistics).
    let first = branch_grad(group_entry(g, 0u), shift.shift);
    var grad_mean = 0.0;
    var grad_z_mean = 0.0;
    var inv = 1.0;
    if (NORM != 0u) {
      var sum = 0.0;
      var dot_z = 0.0;
      for (var k = 0u; k < group_size(); k++) {
        let index = group_entry(g, k);
        let d = branch_grad(index, shift.shift);
        sum += d - first;
        dot_z += d * (state[Z_OFFSET + index] * z_factor);
      }
      grad_mean = sum / f32(group_size());
      grad_z_mean = dot_z / f32(group_size());
      inv = state[INV_OFFSET + g];
    }
    for (var k = 0u; k < group_size(); k++) {
      let index = group_entry(g, k);
      var d = branch_grad(index, shift.shift);
      if (NORM != 0u) {
        d = norm_backward(d - first, state[Z_OFFSET + index] * z_factor, grad_mean, grad_z_mean, inv);
      }
      grad_out[index] = d;
      bits = max(bits, abs_bits(d));
    }
  }
  publish_stats(Moments(0.0, 0.0), bits, params.out_slot, 0u);
}
