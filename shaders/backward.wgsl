// One layer backward: ∂ℓ/∂z_l = ∂ℓ/∂a_l ⊙ g'(a_l), then ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z_l for the whole
// batch, tiled 16 × 16, with its statistics. Tracked numerics first scale ∂ℓ/∂a_l by 2^−k so its
// largest entry is in [1, 2), and carry k in the exponent.

override N: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> act: array<f32>;
@group(0) @binding(3) var<storage, read> grad_in: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_out: array<f32>;

var<workgroup> tile_d: array<array<f32, 16>, 16>;
var<workgroup> tile_w: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let unit = wg.x * TILE + lid.x;
  let example = wg.y * TILE + lid.y;
  var shift = 1.0;
  var exponent = 0;
  if (TRACKED) {
    let k = normalizing_exponent(slot_max_bits(params.in_slot));
    shift = pow2(-k);
    exponent = slot_exponent(params.in_slot) + k;
  }

  var acc = 0.0;
  let w_column = wg.x * TILE + lid.x;
  for (var k0 = 0u; k0 < N; k0 += TILE) {
    let i = k0 + lid.x;
    var dz = 0.0;
    if (example < BATCH && i < N) {
      let index = example * N + i;
      dz = grad_in[index] * shift * activation_der_from_output(act[index]);
    }
    tile_d[lid.y][lid.x] = dz;
    let w_row = k0 + lid.y;
    var w = 0.0;
    if (w_row < N && w_column < N) {
      w = weights[w_row * N + w_column];
    }
    tile_w[lid.y][lid.x] = w;
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      acc += tile_d[lid.y][kk] * tile_w[kk][lid.x];
    }
    workgroupBarrier();
  }

  var m = Moments(0.0, 0.0);
  var bits = 0u;
  if (example < BATCH && unit < N) {
    grad_out[example * N + unit] = acc;
    m = moments_add(m, acc);
    bits = abs_bits(acc);
  }
  publish_stats(lidx, m, bits, params.out_slot, params.partial_base + wg.y * groups.x + wg.x);
  if (lidx == 0u && wg.x == 0u && wg.y == 0u) {
    exponents[params.out_slot] = exponent;
  }
}
