// W_l for the layers of one weight buffer (shaders/draws.wgsl's weight_entry).

override N: u32 = 1u;
// Floats between rows: N (packed, the fused kernels) or 4·N4 (padded, the layered kernels).
override ROW_STRIDE: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> weights: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let local_layer = gid.y;
  if (local_layer >= params.count) {
    return;
  }
  let layer = params.layer + local_layer;
  for (var entry = gid.x; entry < N * N; entry += groups.x * 256u) {
    let w = weight_entry(params.seed, params.init_param, layer, entry / N, entry % N);
    weights[local_layer * params.stride + (entry / N) * ROW_STRIDE + entry % N] = w;
  }
}
