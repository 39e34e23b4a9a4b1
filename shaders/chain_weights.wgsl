// W_l as the fused chain kernels see it: stored (random and orthogonal inits; n² floats per layer,
// packed) or regenerated where it is used (s·I, or random weights that would not fit; shaders/draws.wgsl).

override STORED_WEIGHTS: bool = false;

@group(0) @binding(1) var<storage, read> weights: array<f32>;

fn layer_weight(layer: u32, row: u32, column: u32) -> f32 {
  if (STORED_WEIGHTS) {
    return weights[(layer - 1u) * N * N + row * N + column];
  }
  return weight_entry(params.seed, params.init_param, layer, row, column);
}
