// Training on the layered path: step t's update of W_l (and b_l with biases) from the stored
// B·∂loss/∂W_l (shaders/weight_grad_store.wgsl) and ∂ℓ/∂z_l, with the optimizer's state
// (shaders/optimizer.wgsl): one 4 × 4 block of W_l per invocation, and
// bias unit i in invocation i. Each block publishes the statistics of W_l before the update (slot
// params.aux_slot) and of ΔW_l (slot params.out_slot): the record's update ratio ‖ΔW_l‖ / ‖W_l‖.

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;
override BIASES: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> weights: array<f32>;
// The optimizer's state of layer l: its moments of W_l (N rows of 4·N4 floats each), then of b_l (4·N4).
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
@group(0) @binding(3) var<storage, read> weight_grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> biases: array<f32>;
// ∂ℓ_b/∂z_l (rows of 4·N4 floats): its batch mean is ∂loss/∂b_l.
@group(0) @binding(5) var<storage, read> grad_z: array<f32>;
// The step count and Adam's corrections (shaders/optimizer.wgsl).
@group(0) @binding(6) var<storage, read> steps: array<u32>;

// Floats per row of W_l, ∂ℓ/∂z_l and the state.
override ROW: u32 = 4u * N4;

// Where the moments of W_l start in `state`, and of b_l.
fn weight_moment(moment: u32) -> u32 {
  return moment * N * ROW;
}

fn bias_moment(moment: u32) -> u32 {
  return optimizer_moments() * N * ROW + moment * ROW;
}

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let index = invocation_index(wg, groups, lidx);
  let corrections = step_corrections();
  if (BIASES && index < N) {
    var sum = 0.0;
    for (var b = 0u; b < BATCH; b++) {
      sum += grad_z[b * ROW + index];
    }
    let at = (params.layer - 1u) * N + index;
    let step = optimizer_step(sum / f32(BATCH), bias_moment(0u) + index, bias_moment(1u) + index, corrections);
    biases[at] = round_to_format(biases[at] - step);
  }
  if (index >= block_count(N, N)) {
    return;
  }
  let origin = block_origin(index, N);
  var stats = no_update_stats();
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      if (origin.x + r < N && origin.y + c < N) {
        let at = (origin.x + r) * ROW + origin.y + c;
        let g = weight_grad[at] / f32(BATCH);
        update_weight(at, g, weight_moment(0u) + at, weight_moment(1u) + at, corrections, &stats);
      }
    }
  }
  publish_update_stats(stats, params.aux_slot, params.aux_partial_base + index, params.out_slot, params.partial_base + index);
}
