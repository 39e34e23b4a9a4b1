// The layered path's layer kernels (shaders/layer_forward.wgsl, shaders/layer_backward.wgsl): their
// shape, params binding and constants, and the groups a norm reduces over. A group is one example's N units (layer norm) or one
// unit's BATCH examples (batch norm); with no norm, one example. Each invocation takes 4 groups.

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;

// 0: none, 1: layer norm, 2: batch norm (src/core/config.ts's NormKind).
override NORM: u32 = 0u;
// Where a layer's state lies in its activation position, in floats: a_l at 0, then h_l (residual
// connections; otherwise h_l is a_l), ẑ_l and 1/σ per group (norms).
override H_OFFSET: u32 = 0u;
override Z_OFFSET: u32 = 0u;
override INV_OFFSET: u32 = 0u;
// The activation is positively homogeneous and the numerics tracked: h keeps ẑ's power of two.
override SCALED: bool = false;
override TRACKED: bool = false;

// Entry k of group g: its index in a (batch × 4·N4) tensor.
fn group_entry(g: u32, k: u32) -> u32 {
  if (NORM == 2u) {
    return k * 4u * N4 + g;
  }
  return g * 4u * N4 + k;
}

fn group_size() -> u32 {
  return select(N, BATCH, NORM == 2u);
}

fn group_count() -> u32 {
  return select(BATCH, N, NORM == 2u);
}

// Invocations of a layer kernel: 4 groups each.
fn layer_invocations() -> u32 {
  return (group_count() + 3u) / 4u;
}

