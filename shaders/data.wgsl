// The inputs a_0 and targets y (batch × width, rows padded to 4·N4 with zeros, shaders/draws.wgsl),
// and a_0's statistics.

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> inputs: array<f32>;
@group(0) @binding(2) var<storage, read_write> targets: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let block = invocation_index(wg, groups, lidx);
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
        let x = input_entry(params.seed, example, unit);
        inputs[example * 4u * N4 + unit] = x;
        targets[example * 4u * N4 + unit] = target_entry(params.seed, example, unit);
        m = moments_add(m, x);
        bits = max(bits, abs_bits(x));
        hist_count(hist_layer(), HIST_ACT, x);
      }
    }
  }
  publish_stats(m, bits, params.out_slot, params.partial_base + block);
}
