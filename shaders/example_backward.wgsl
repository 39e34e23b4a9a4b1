// Backward through layers params.layer down to params.layer − params.layers + 1 for a batch of
// narrow examples, one invocation per example (as shaders/example_forward.wgsl): ∂ℓ/∂z_l stays in
// private memory, ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z_l takes W_l by rows as vec4s, and every ∂ℓ/∂z_l is stored
// for the weight gradients (shaders/example_weight_grad.wgsl) and the next chunk. The first chunk
// (params.layer L) seeds ∂ℓ/∂a_L = a_L − y. Slot s keeps example e's partial at s·BATCH + e.
// With histograms (shaders/histogram.wgsl) each invocation counts its example's ∂ℓ/∂a_l.

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> acts: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> targets: array<vec4<f32>>;
// ∂ℓ/∂z_l for l = 1..L, layer l at example_row(l − 1, e).
@group(0) @binding(4) var<storage, read_write> dz: array<vec4<f32>>;

// Publishes the statistics of ∂ℓ/∂a_layer's units below N as example e's partial of the layer's
// slot, and counts them into the layer's histogram.
fn publish_gradient(g: ExampleVector, layer: u32, example: u32) {
  let slot = params.depth + 1u + layer;
  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var j = 0u; j < N4; j++) {
    for (var c = 0u; c < 4u; c++) {
      if (4u * j + c < N) {
        m = moments_add(m, g[j][c]);
        bits = max(bits, abs_bits(g[j][c]));
        hist_count(layer, HIST_GRAD, g[j][c]);
      }
    }
  }
  publish_stats(m, bits, slot, slot * BATCH + example);
}

// Stores ∂ℓ/∂z_l = ∂ℓ/∂a_l ⊙ g'(a_l) of one example, and returns it.
fn store_dz(g: ExampleVector, layer: u32, example: u32) -> ExampleVector {
  var d = ExampleVector();
  let a = example_row(layer, example);
  let stored = example_row(layer - 1u, example);
  for (var j = 0u; j < N4; j++) {
    d[j] = plain_grad_z4(g[j], acts[a + j]);
    dz[stored + j] = d[j];
  }
  return d;
}

@compute @workgroup_size(EXAMPLE_WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let example = gid.x;
  if (example >= BATCH) {
    return;
  }
  let depth = params.depth;
  var d = ExampleVector();
  if (params.layer == depth) {
    var g = ExampleVector();
    let last = example_row(depth, example);
    for (var j = 0u; j < N4; j++) {
      g[j] = round_to_format4(acts[last + j] - targets[example * N4 + j]);
    }
    publish_gradient(g, depth, example);
    d = store_dz(g, depth, example);
  } else {
    let stored = example_row(params.layer - 1u, example);
    for (var j = 0u; j < N4; j++) {
      d[j] = dz[stored + j];
    }
  }
  for (var step = 0u; step < params.layers; step++) {
    let layer = params.layer - step;
    // ∂ℓ/∂a_{l-1}[unit] = Σ_i ∂ℓ/∂z_l[i] · W_l[i][unit], four rows of W_l at a time.
    var g = ExampleVector();
    for (var i = 0u; i < N4; i++) {
      let row = weight_row(layer, 4u * i);
      let di = d[i];
      for (var j = 0u; j < N4; j++) {
        g[j] += di.x * weights[row + j] + di.y * weights[row + N4 + j] + di.z * weights[row + 2u * N4 + j]
          + di.w * weights[row + 3u * N4 + j];
      }
    }
    if (FORMAT != 0u) {
      for (var j = 0u; j < N4; j++) {
        g[j] = round_to_format4(g[j]);
      }
    }
    publish_gradient(g, layer - 1u, example);
    if (layer > 1u) {
      d = store_dz(g, layer - 1u, example);
    }
  }
}
