// B·∂loss/∂W_l = Σ_b ∂ℓ_b/∂z_l a_{l-1}ᵀ, an n × n matrix reduced to its statistics and never
// stored; a 4 × 4 block of (row, column) per invocation, summing over the batch: each example
// gives one vec4 of ∂ℓ/∂z_l and one of a_{l-1} (rows padded with zeros to 4·N4 floats) for 16
// multiply-adds.

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> act_prev: array<vec4<f32>>;
// ∂ℓ/∂z_l.
@group(0) @binding(2) var<storage, read> dz: array<vec4<f32>>;

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
  let rows = origin.x / 4u;
  let columns = origin.y / 4u;
  // acc_r holds columns origin.y..+3 of row origin.x + r.
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var b = 0u; b < BATCH; b++) {
    let d = dz[b * N4 + rows] * scale.shift;
    let a = act_prev[b * N4 + columns];
    acc0 += d.x * a;
    acc1 += d.y * a;
    acc2 += d.z * a;
    acc3 += d.w * a;
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
