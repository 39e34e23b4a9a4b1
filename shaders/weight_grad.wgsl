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
  // Rows and columns past the edge repeat the last one; their sums are never counted.
  let i0 = min(origin.x, N - 1u);
  let i1 = min(origin.x + 1u, N - 1u);
  let i2 = min(origin.x + 2u, N - 1u);
  let i3 = min(origin.x + 3u, N - 1u);
  let j0 = min(origin.y, N - 1u);
  let j1 = min(origin.y + 1u, N - 1u);
  let j2 = min(origin.y + 2u, N - 1u);
  let j3 = min(origin.y + 3u, N - 1u);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var b = 0u; b < BATCH; b++) {
    let row = b * N;
    let a = vec4<f32>(act_prev[row + j0], act_prev[row + j1], act_prev[row + j2], act_prev[row + j3]);
    acc0 += dz(b, i0, scale.shift) * a;
    acc1 += dz(b, i1, scale.shift) * a;
    acc2 += dz(b, i2, scale.shift) * a;
    acc3 += dz(b, i3, scale.shift) * a;
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
