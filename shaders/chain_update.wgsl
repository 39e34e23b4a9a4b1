// Training on the fused path: shaders/chain_backward.wgsl stashes B·∂loss/∂W_l and, once every
// invocation has read W_l for ∂ℓ/∂a_{l-1}, takes step t's update of W_l and b_l with the optimizer's
// state (shaders/optimizer.wgsl), publishing the statistics of W_l before the update and of ΔW_l
// (src/gpu/slots.ts). A single pass links shaders/chain_update_none.wgsl instead.

override BIASES: bool = false;

// Every layer's optimizer state, packed: its moments of W_l (N² floats each), then of b_l (N each).
@group(0) @binding(5) var<storage, read_write> state: array<f32>;
@group(0) @binding(6) var<storage, read_write> biases: array<f32>;
// The step count and Adam's corrections (shaders/optimizer.wgsl).
@group(0) @binding(7) var<storage, read> steps: array<u32>;

// B·∂loss/∂W_l of the layer in hand (N × N) is kept in `grads` after its two halves, so that the
// kernel binds no more storage buffers than the layered path's (10 with the statistics').
fn weight_grad_at(entry: u32) -> u32 {
  return 2u * BATCH * N + entry;
}

fn stash_weight_grad(entry: u32, value: f32) {
  grads[weight_grad_at(entry)] = value;
}

// Where layer l's state starts, its moment `moment` of W_l, and of b_l.
fn state_base(layer: u32) -> u32 {
  return (layer - 1u) * optimizer_moments() * (N * N + N);
}

// Step t's update of layer `layer` (every invocation, in uniform control flow), with ∂ℓ/∂z_l at `g_in`.
fn update_layer(lidx: u32, layer: u32, g_in: u32) {
  storageBarrier();
  workgroupBarrier();
  let corrections = step_corrections();
  let base = state_base(layer);
  let moments = optimizer_moments();
  var stats = no_update_stats();
  for (var entry = lidx; entry < N * N; entry += CHAIN_WORKGROUP) {
    let g = grads[weight_grad_at(entry)] / f32(BATCH);
    update_weight((layer - 1u) * N * N + entry, g, base + entry, base + N * N + entry, corrections, &stats);
  }
  let weight_slot = 3u * params.depth + 1u + layer;
  let update_slot = 4u * params.depth + 1u + layer;
  publish_update_stats(stats, weight_slot, weight_slot * CHAIN_WORKGROUP + lidx, update_slot, update_slot * CHAIN_WORKGROUP + lidx);
  if (!BIASES) {
    return;
  }
  let bias_base = base + moments * N * N;
  for (var unit = lidx; unit < N; unit += CHAIN_WORKGROUP) {
    var sum = 0.0;
    for (var b = 0u; b < BATCH; b++) {
      sum += grads[g_in + b * N + unit];
    }
    let step = optimizer_step(sum / f32(BATCH), bias_base + unit, bias_base + N + unit, corrections);
    let at = (layer - 1u) * N + unit;
    biases[at] = round_to_format(biases[at] - step);
  }
}
