// b_l as the fused forward kernel sees it when training: stored (N per layer, packed), since the
// updates change it (shaders/chain_biases.wgsl regenerates it for a single pass).

@group(0) @binding(4) var<storage, read> biases: array<f32>;

fn layer_bias(layer: u32, unit: u32) -> f32 {
  return biases[(layer - 1u) * N + unit];
}
