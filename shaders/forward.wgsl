// One layer forward: a_l = g(W_l a_{l-1} + b_l) for the whole batch, tiled 16 × 16, with a_l's
// statistics. In tracked numerics the input is rescaled by powers of two first (see SPEC.md).

override N: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED_FORWARD: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> act_in: array<f32>;
@group(0) @binding(3) var<storage, read_write> act_out: array<f32>;
@group(0) @binding(4) var<storage, read> biases: array<f32>;

var<workgroup> tile_a: array<array<f32, 16>, 16>;
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

  // Tracked: true a_{l-1} = stored · 2^e_in; z is computed as a multiple of 2^exponent.
  var in_shift = 1.0;
  var in_drop = 1.0;
  var bias_shift = 1.0;
  var bias_drop = 1.0;
  var exponent = 0;
  if (TRACKED_FORWARD) {
    let k = normalizing_exponent(slot_max_bits(params.in_slot));
    let e_in = slot_exponent(params.in_slot);
    exponent = e_in + k;
    if (params.bias_sigma > 0.0) {
      exponent = max(exponent, params.bias_exp);
      bias_shift = pow2(-params.bias_exp);
      bias_drop = pow2(params.bias_exp - exponent);
    }
    in_shift = pow2(-k);
    in_drop = pow2(e_in + k - exponent);
  }

  var acc = 0.0;
  let w_row = wg.x * TILE + lid.y;
  for (var k0 = 0u; k0 < N; k0 += TILE) {
    let k = k0 + lid.x;
    var a = 0.0;
    if (example < BATCH && k < N) {
      a = act_in[example * N + k] * in_shift * in_drop;
    }
    tile_a[lid.y][lid.x] = a;
    var w = 0.0;
    if (w_row < N && k < N) {
      w = weights[w_row * N + k];
    }
    tile_w[lid.y][lid.x] = w;
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      acc += tile_a[lid.y][kk] * tile_w[lid.x][kk];
    }
    workgroupBarrier();
  }

  var m = Moments(0.0, 0.0);
  var bits = 0u;
  if (example < BATCH && unit < N) {
    let z = acc + biases[(params.layer - 1u) * N + unit] * bias_shift * bias_drop;
    let a = activate(z);
    act_out[example * N + unit] = a;
    m = moments_add(m, a);
    bits = abs_bits(a);
  }
  publish_stats(lidx, m, bits, params.out_slot, params.partial_base + wg.y * groups.x + wg.x);
  if (lidx == 0u && wg.x == 0u && wg.y == 0u) {
    exponents[params.out_slot] = exponent;
  }
}
