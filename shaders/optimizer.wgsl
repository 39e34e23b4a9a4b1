// Training: the optimizer's step for one parameter (SPEC.md, "Training"; Parameter.update in
// src/core/training.ts), shared by the layered path's update kernel (shaders/update.wgsl) and the
// fused path's (shaders/chain_update.wgsl). The kernel declares `weights`, `state` (the parameters'
// moments) and `steps` (the step count and corrections below). Every weight and moment is stored
// rounded to the run's format (shaders/format.wgsl).

// 0 sgd, 1 momentum, 2 adam (OPTIMIZERS in src/core/config.ts).
override OPTIMIZER: u32 = 0u;
override LEARNING_RATE: f32 = 0.01;
override MOMENTUM: f32 = 0.9;
override BETA1: f32 = 0.9;
override BETA2: f32 = 0.999;
override EPSILON: f32 = 1e-8;
// Whether the pass is recorded: only then are the statistics of W_l and ΔW_l kept.
override STATISTICS: bool = true;

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
      let v = round_to_format(MOMENTUM * state[first] + g);
      state[first] = v;
      return LEARNING_RATE * v;
    }
    case 2u: {
      let m = round_to_format(BETA1 * state[first] + (1.0 - BETA1) * g);
      let v = round_to_format(BETA2 * state[second] + (1.0 - BETA2) * g * g);
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

// The statistics of W_l before its update and of ΔW_l, gathered entry by entry.
struct UpdateStats {
  before: Moments,
  change: Moments,
  before_bits: u32,
  change_bits: u32,
}

fn no_update_stats() -> UpdateStats {
  return UpdateStats(Moments(0.0, 0.0), Moments(0.0, 0.0), 0u, 0u);
}

// weights[at] ← weights[at] − the step for gradient g (its moments at `first` and `second`), gathering
// the entry's statistics into `stats` when the pass is recorded.
fn update_weight(at: u32, g: f32, first: u32, second: u32, c: StepCorrections, stats: ptr<function, UpdateStats>) {
  let w = weights[at];
  let updated = round_to_format(w - optimizer_step(g, first, second, c));
  weights[at] = updated;
  if (STATISTICS) {
    let delta = updated - w;
    (*stats).before = moments_add((*stats).before, w);
    (*stats).before_bits = max((*stats).before_bits, abs_bits(w));
    (*stats).change = moments_add((*stats).change, delta);
    (*stats).change_bits = max((*stats).change_bits, abs_bits(delta));
  }
}

// Publishes W_l's statistics (slot `weight_slot`) and ΔW_l's (`update_slot`) at their partials.
fn publish_update_stats(stats: UpdateStats, weight_slot: u32, weight_partial: u32, update_slot: u32, update_partial: u32) {
  if (STATISTICS) {
    publish_stats(stats.before, stats.before_bits, weight_slot, weight_partial);
    publish_stats(stats.change, stats.change_bits, update_slot, update_partial);
  }
}
