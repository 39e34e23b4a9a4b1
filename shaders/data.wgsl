// The inputs a_0 and targets y (batch × width, shaders/draws.wgsl), and a_0's statistics.

override N: u32 = 1u;
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
  let invocation = invocation_index(wg, groups, lidx);
  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var r = 0u; r < PER_INVOCATION; r++) {
    let index = invocation * PER_INVOCATION + r;
    if (index >= BATCH * N) {
      break;
    }
    let example = index / N;
    let unit = index % N;
    let x = input_entry(params.seed, example, unit);
    let y = target_entry(params.seed, example, unit);
    inputs[index] = x;
    targets[index] = y;
    m = moments_add(m, x);
    bits = max(bits, abs_bits(x));
  }
  if (invocation * PER_INVOCATION < BATCH * N) {
    publish_stats(m, bits, params.out_slot, params.partial_base + invocation);
  }
}
