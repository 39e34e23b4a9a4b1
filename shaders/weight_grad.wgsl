// B·∂loss/∂W_l = Σ_b ∂ℓ_b/∂z_l a_{l-1}ᵀ, an n × n matrix reduced to its statistics and never
// stored; tiled 16 × 16 over (i, j), summing over the batch.

override N: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> act: array<f32>;
@group(0) @binding(2) var<storage, read> act_prev: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;

var<workgroup> tile_d: array<array<f32, 16>, 16>;
var<workgroup> tile_a: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let column = wg.x * TILE + lid.x;
  let row = wg.y * TILE + lid.y;
  var shift = 1.0;
  var exponent = 0;
  if (TRACKED) {
    let k = normalizing_exponent(slot_max_bits(params.in_slot));
    shift = pow2(-k);
    exponent = slot_exponent(params.in_slot) + k + slot_exponent(params.aux_slot);
  }

  var acc = 0.0;
  let d_unit = wg.y * TILE + lid.x;
  for (var b0 = 0u; b0 < BATCH; b0 += TILE) {
    let example = b0 + lid.y;
    var dz = 0.0;
    var a = 0.0;
    if (example < BATCH) {
      if (d_unit < N) {
        let index = example * N + d_unit;
        dz = grad[index] * shift * activation_der_from_output(act[index]);
      }
      if (column < N) {
        a = act_prev[example * N + column];
      }
    }
    tile_d[lid.y][lid.x] = dz;
    tile_a[lid.y][lid.x] = a;
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      acc += tile_d[kk][lid.y] * tile_a[kk][lid.x];
    }
    workgroupBarrier();
  }

  var m = Moments(0.0, 0.0);
  var bits = 0u;
  if (row < N && column < N) {
    m = moments_add(m, acc);
    bits = abs_bits(acc);
  }
  publish_stats(lidx, m, bits, params.out_slot, params.partial_base + wg.y * groups.x + wg.x);
  if (lidx == 0u && wg.x == 0u && wg.y == 0u) {
    exponents[params.out_slot] = exponent;
  }
}
