// Training: step t's update of W_l (and b_l with biases) from the stored B·∂loss/∂W_l
// (shaders/weight_grad_store.wgsl) and ∂ℓ/∂z_l, with the optimizer's state (SPEC.md, "Training";
// updateRule and Parameter.update in src/core/training.ts): one 4 × 4 block of W_l per invocation, and
// bias unit i in invocation i. Each block publishes the statistics of W_l before the update (slot
// params.aux_slot) and of ΔW_l (slot params.out_slot): the record's update ratio ‖ΔW_l‖ / ‖W_l‖.

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;
// 0 sgd, 1 momentum, 2 adam (OPTIMIZERS in src/core/config.ts).
override OPTIMIZER: u32 = 0u;
override LEARNING_RATE: f32 = 0.01;
override MOMENTUM: f32 = 0.9;
override BETA1: f32 = 0.9;
override BETA2: f32 = 0.999;
override EPSILON: f32 = 1e-8;
override BIASES: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> weights: array<f32>;
// The optimizer's state of layer l: its moments of W_l (N rows of 4·N4 floats each), then of b_l (4·N4).
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
@group(0) @binding(3) var<storage, read> weight_grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> biases: array<f32>;
// ∂ℓ_b/∂z_l (rows of 4·N4 floats): its batch mean is ∂loss/∂b_l.
@group(0) @binding(5) var<storage, read> grad_z: array<f32>;
// The step t = 1..T being taken (shaders/train_step.wgsl counts it).
@group(0) @binding(6) var<storage, read> step_count: array<u32>;

// Floats per row of W_l, ∂ℓ/∂z_l and the state.
override ROW: u32 = 4u * N4;

// Where the moments of W_l start in `state`, and of b_l.
fn weight_moment(moment: u32) -> u32 {
  return moment * N * ROW;
}

fn bias_moment(moment: u32) -> u32 {
  let moments = select(1u, 2u, OPTIMIZER == 2u);
  return moments * N * ROW + moment * ROW;
}

// The update's step for a parameter with gradient g, its first moment at `first` and second at
// `second` in `state` (stored back): ηg, ηv (v ← μv + g), or Adam's η·m̂/(√v̂ + ε).
fn optimizer_step(g: f32, first: u32, second: u32, t: f32) -> f32 {
  switch OPTIMIZER {
    case 1u: {
      let v = MOMENTUM * state[first] + g;
      state[first] = v;
      return LEARNING_RATE * v;
    }
    case 2u: {
      let m = BETA1 * state[first] + (1.0 - BETA1) * g;
      let v = BETA2 * state[second] + (1.0 - BETA2) * g * g;
      state[first] = m;
      state[second] = v;
      let m_hat = m / (1.0 - pow(BETA1, t));
      let v_hat = v / (1.0 - pow(BETA2, t));
      return LEARNING_RATE * m_hat / (sqrt(v_hat) + EPSILON);
    }
    default: {
      return LEARNING_RATE * g;
    }
  }
}

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let index = invocation_index(wg, groups, lidx);
  let t = f32(step_count[0]);
  if (BIASES && index < N) {
    var sum = 0.0;
    for (var b = 0u; b < BATCH; b++) {
      sum += grad_z[b * ROW + index];
    }
    let at = (params.layer - 1u) * N + index;
    let step = optimizer_step(sum / f32(BATCH), bias_moment(0u) + index, bias_moment(1u) + index, t);
    biases[at] = biases[at] - step;
  }
  if (index >= block_count(N, N)) {
    return;
  }
  let origin = block_origin(index, N);
  var before = Moments(0.0, 0.0);
  var change = Moments(0.0, 0.0);
  var before_bits = 0u;
  var change_bits = 0u;
  for (var r = 0u; r < 4u; r++) {
    for (var c = 0u; c < 4u; c++) {
      if (origin.x + r < N && origin.y + c < N) {
        let at = (origin.x + r) * ROW + origin.y + c;
        let w = weights[at];
        let g = weight_grad[at] / f32(BATCH);
        let updated = w - optimizer_step(g, weight_moment(0u) + at, weight_moment(1u) + at, t);
        weights[at] = updated;
        let delta = updated - w;
        before = moments_add(before, w);
        before_bits = max(before_bits, abs_bits(w));
        change = moments_add(change, delta);
        change_bits = max(change_bits, abs_bits(delta));
      }
    }
  }
  publish_stats(before, before_bits, params.aux_slot, params.aux_partial_base + index);
  publish_stats(change, change_bits, params.out_slot, params.partial_base + index);
}
