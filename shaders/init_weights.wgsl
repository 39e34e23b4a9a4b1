// W_l for the layers of one weight buffer (shaders/draws.wgsl's weight_entry): every entry of
// params.layers layers from layer params.layer, one grid-stride loop over all of them, so a buffer of
// many small layers takes as few workgroups as one large layer.

override N: u32 = 1u;
// Floats between rows: N (packed, the fused kernels) or 4·N4 (padded, the layered kernels).
override ROW_STRIDE: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> weights: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  // At most one buffer's floats (below 2³² by far), so the flat index cannot wrap.
  let total = params.layers * N * N;
  for (var index = gid.x; index < total; index += groups.x * 256u) {
    let local_layer = index / (N * N);
    let entry = index % (N * N);
    let w = weight_entry(params.seed, params.init_param, params.layer + local_layer, entry / N, entry % N);
    weights[local_layer * params.stride + (entry / N) * ROW_STRIDE + entry % N] = w;
  }
}
