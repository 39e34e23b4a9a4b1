// One layer backward: ∂ℓ/∂z_l = ∂ℓ/∂a_l ⊙ g'(a_l), then ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z_l for the whole
// batch, a 4 × 4 block of (example, unit) per invocation, with its statistics. Tracked numerics
// first scale ∂ℓ/∂a_l by 2^−k so its largest entry is in [1, 2), and carry k in the exponent.

override N: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> act: array<f32>;
@group(0) @binding(3) var<storage, read> grad_in: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_out: array<f32>;

// ∂ℓ/∂z_l of one entry, scaled as the block's input is.
fn dz(row: u32, i: u32, shift: f32) -> f32 {
  return grad_in[row + i] * shift * activation_der_from_output(act[row + i]);
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
  }
  if (block == 0u) {
    exponents[params.out_slot] = scale.exponent;
  }
  if (block >= block_count(BATCH, N)) {
    return;
  }
  let origin = block_origin(block, N);
  let u = clamped_rows(origin.y, N, 1u);
  let e = clamped_rows(origin.x, BATCH, N);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var i = 0u; i < N; i++) {
    let row = i * N;
    let w = vec4<f32>(weights[row + u.x], weights[row + u.y], weights[row + u.z], weights[row + u.w]);
    acc0 += dz(e.x, i, scale.shift) * w;
    acc1 += dz(e.y, i, scale.shift) * w;
    acc2 += dz(e.z, i, scale.shift) * w;
    acc3 += dz(e.w, i, scale.shift) * w;
  }
  var sums = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);

  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      let example = origin.x + r;
      let unit = origin.y + c;
      if (example < BATCH && unit < N) {
        let g = sums[r][c];
        grad_out[example * N + unit] = g;
        m = moments_add(m, g);
        bits = max(bits, abs_bits(g));
      }
    }
  }
  publish_stats(m, bits, params.out_slot, params.partial_base + block);
}
