// A single pass on the fused path: nothing is stashed or updated (shaders/chain_update.wgsl trains).

fn stash_weight_grad(entry: u32, value: f32) {}

fn update_layer(lidx: u32, layer: u32, g_in: u32) {}
