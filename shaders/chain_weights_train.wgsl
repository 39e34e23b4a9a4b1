// W_l as the fused backward kernel sees it when training: stored, and updated in place by
// shaders/chain_update.wgsl (shaders/chain_weights.wgsl is the read-only kind).

@group(0) @binding(1) var<storage, read_write> weights: array<f32>;

fn layer_weight(layer: u32, row: u32, column: u32) -> f32 {
  return weights[(layer - 1u) * N * N + row * N + column];
}
