// B·∂loss/∂W_l = Σ_b ∂ℓ_b/∂z_l a_{l-1}ᵀ, an n × n matrix reduced to its statistics and never
// stored; a 4 × 4 block of (row, column) per invocation, summing over the batch.

override N: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> act: array<f32>;
@group(0) @binding(2) var<storage, read> act_prev: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;

// ∂ℓ_b/∂z_l[i], scaled as the block's input is.
fn dz(b: u32, i: u32, shift: f32) -> f32 {
  return grad[b * N + i] * shift * activation_der_from_output(act[b * N + i]);
}

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let block = invocation_index(wg, groups, lidx);
  var scale = GradientShift(1.0, 0);
  if (TRACKED) {
    scale = gradient_shift(params.in_slot);
    scale.exponent += slot_exponent(params.aux_slot);
  }
  if (block == 0u) {
    exponents[params.out_slot] = scale.exponent;
  }
  if (block >= block_count(N, N)) {
    return;
  }
  let origin = block_origin(block, N);
  let i = clamped_rows(origin.x, N, 1u);
  let j = clamped_rows(origin.y, N, 1u);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var b = 0u; b < BATCH; b++) {
    let row = b * N;
    let a = vec4<f32>(act_prev[row + j.x], act_prev[row + j.y], act_prev[row + j.z], act_prev[row + j.w]);
    acc0 += dz(b, i.x, scale.shift) * a;
    acc1 += dz(b, i.y, scale.shift) * a;
    acc2 += dz(b, i.z, scale.shift) * a;
    acc3 += dz(b, i.w, scale.shift) * a;
  }
  var sums = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);

  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      if (origin.x + r < N && origin.y + c < N) {
        m = moments_add(m, sums[r][c]);
        bits = max(bits, abs_bits(sums[r][c]));
      }
    }
  }
  publish_stats(m, bits, params.out_slot, params.partial_base + block);
}
