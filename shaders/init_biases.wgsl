// b_l for every layer (shaders/draws.wgsl's bias_entry).

override N: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> biases: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var entry = gid.x; entry < params.layers * N; entry += groups.x * 256u) {
    biases[entry] = bias_entry(params.seed, params.bias_sigma, entry / N + 1u, entry % N);
  }
}
