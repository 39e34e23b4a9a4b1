// b_l as the fused forward kernel sees it: regenerated where it is used (shaders/draws.wgsl).

fn layer_bias(layer: u32, unit: u32) -> f32 {
  if (params.bias_sigma > 0.0) {
    return bias_entry(params.seed, params.bias_sigma, layer, unit);
  }
  return 0.0;
}
