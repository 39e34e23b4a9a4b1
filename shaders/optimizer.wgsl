// Training: the optimizer's step for one parameter (SPEC.md, "Training"; Parameter.update in
// src/core/training.ts), shared by the layered path's update kernel (shaders/update.wgsl) and the
// fused path's (shaders/chain_update.wgsl). The kernel declares `state`, the parameters' moments,
// and `steps`, the step count and corrections below.

// 0 sgd, 1 momentum, 2 adam (OPTIMIZERS in src/core/config.ts).
override OPTIMIZER: u32 = 0u;
override LEARNING_RATE: f32 = 0.01;
override MOMENTUM: f32 = 0.9;
override BETA1: f32 = 0.9;
override BETA2: f32 = 0.999;
override EPSILON: f32 = 1e-8;

// Moments the optimizer keeps per parameter (OPTIMIZER_MOMENTS in src/gpu/plan.ts).
fn optimizer_moments() -> u32 {
  return select(OPTIMIZER, 2u, OPTIMIZER == 2u);
}

// The step t being taken (from 1), counted by shaders/train_step.wgsl in word 0 of `steps`, and
// Adam's bias corrections 1/(1 − β₁ᵗ) and 1/(1 − β₂ᵗ) of each step at words 2t and 2t + 1, computed in
// float64 when the run starts (trainingSteps in src/gpu/run-encoder.ts): in float32, 1 − β₂ᵗ at
// small t cancels, and WGSL's pow is too loose for it.
struct StepCorrections {
  first: f32,
  second: f32,
}

fn step_corrections() -> StepCorrections {
  if (OPTIMIZER != 2u) {
    return StepCorrections(1.0, 1.0);
  }
  let t = steps[0];
  return StepCorrections(bitcast<f32>(steps[2u * t]), bitcast<f32>(steps[2u * t + 1u]));
}

// The update's step for a parameter with gradient g, its first moment at `first` and second at
// `second` in `state` (stored back): ηg; ηv with v ← μv + g; or Adam's η·m̂/(√v̂ + ε).
fn optimizer_step(g: f32, first: u32, second: u32, c: StepCorrections) -> f32 {
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
      let m_hat = m * c.first;
      let v_hat = v * c.second;
      return LEARNING_RATE * m_hat / (sqrt(v_hat) + EPSILON);
    }
    default: {
      return LEARNING_RATE * g;
    }
  }
}
