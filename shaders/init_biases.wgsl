// b_l = biasSigma · N(0, 1) for every layer, from the biases stream (row i, column 0).

override N: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> biases: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var entry = gid.x; entry < params.count * N; entry += groups.x * 256u) {
    let layer = entry / N + 1u;
    let row = entry % N;
    biases[entry] = params.bias_sigma * normal_entry(params.seed, STREAM_BIASES, layer, row, 0u);
  }
}
