// A single pass: weight_grad.wgsl's blocks are reduced to their statistics and not stored
// (shaders/weight_grad_store.wgsl stores them for training).

fn store_weight_block(acc: array<vec4<f32>, 4>, origin: vec2<u32>) {}
