// The inputs a_0 and targets y (batch × width), drawn from their streams, and a_0's statistics.

override N: u32 = 1u;
override BATCH: u32 = 1u;
override INPUT_ONES: bool = false;
override TARGET_ZEROS: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> inputs: array<f32>;
@group(0) @binding(2) var<storage, read_write> targets: array<f32>;

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let unit = wg.x * TILE + lid.x;
  let example = wg.y * TILE + lid.y;
  var m = Moments(0.0, 0.0);
  var bits = 0u;
  if (unit < N && example < BATCH) {
    var x = 1.0;
    if (!INPUT_ONES) {
      x = normal_entry(params.seed, STREAM_INPUTS, 0u, example, unit);
    }
    var y = 0.0;
    if (!TARGET_ZEROS) {
      y = normal_entry(params.seed, STREAM_TARGETS, 0u, example, unit);
    }
    inputs[example * N + unit] = x;
    targets[example * N + unit] = y;
    m = moments_add(m, x);
    bits = abs_bits(x);
  }
  publish_stats(lidx, m, bits, params.out_slot, params.partial_base + wg.y * groups.x + wg.x);
}
