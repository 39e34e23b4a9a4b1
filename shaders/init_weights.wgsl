// W_l for the layers of one weight buffer, drawn from the weights stream: s·I, or a normal or
// uniform draw times its scale (src/core/init.ts's `initDistribution`).

override N: u32 = 1u;
// 0: identity (init_param = s), 1: normal (init_param = std), 2: uniform (init_param = bound).
override INIT_KIND: u32 = 0u;

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
    let row = entry / N;
    let column = entry % N;
    var w: f32;
    switch INIT_KIND {
      case 0u: { w = select(0.0, params.init_param, row == column); }
      case 1u: { w = params.init_param * normal_entry(params.seed, STREAM_WEIGHTS, layer, row, column); }
      default: { w = params.init_param * symmetric_uniform_entry(params.seed, STREAM_WEIGHTS, layer, row, column); }
    }
    weights[local_layer * params.stride + entry] = w;
  }
}
