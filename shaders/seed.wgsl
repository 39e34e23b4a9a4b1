// The backward pass's seed: ∂ℓ_b/∂a_L = a_L − y for every example, with its statistics. It stores
// ∂ℓ_b/∂z_L = ∂ℓ_b/∂a_L ⊙ g'(a_L), what layer L's backward and weight-gradient products take. In
// tracked numerics both terms are brought to a common power of two first.

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED: bool = false;
// Store ∂ℓ/∂a_L itself, for shaders/layer_backward.wgsl (norms, residual connections).
override STORE_GRAD: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> act_last: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad_out: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let block = invocation_index(wg, groups, lidx);
  var scale = SeedScale(1.0, 1.0, 1.0, 0);
  if (TRACKED) {
    scale = seed_scale(params.in_slot, params.target_exp);
  }
  if (block == 0u) {
    exponents[params.out_slot] = scale.exponent;
  }
  if (block >= block_count(BATCH, N)) {
    return;
  }
  let origin = block_origin(block, N);
  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      let example = origin.x + r;
      let unit = origin.y + c;
      if (example < BATCH && unit < N) {
        let index = example * 4u * N4 + unit;
        let a = act_last[index];
        let d = round_to_format(a * scale.a_shift * scale.a_drop - targets[index] * scale.y_scale);
        if (STORE_GRAD) {
          grad_out[index] = d;
        } else {
          grad_out[index] = plain_grad_z(d, a);
        }
        m = moments_add(m, d);
        bits = max(bits, abs_bits(d));
        hist_count(hist_layer(), HIST_GRAD, d);
      }
    }
  }
  publish_stats(m, bits, params.out_slot, params.partial_base + block);
}
