// Tracked numerics' powers of two (SPEC.md): each tensor is its stored float32 values times
// 2^exponent; a layer first brings its input's largest entry into [1, 2) (shift), then to the
// exponent its output is computed at (drop). Plain float32 numerics use none of this.

struct ForwardScale {
  in_shift: f32,
  in_drop: f32,
  bias_scale: f32,
  exponent: i32,
}

// z_l = W a_{l-1} + b as a multiple of 2^exponent, from the input's slot and the biases' exponent.
fn forward_scale(in_slot: u32, bias_sigma: f32, bias_exp: i32) -> ForwardScale {
  let k = normalizing_exponent(slot_max_bits(in_slot));
  let e_in = slot_exponent(in_slot);
  var exponent = e_in + k;
  var bias_scale = 1.0;
  if (bias_sigma > 0.0) {
    exponent = max(exponent, bias_exp);
    bias_scale = pow2(-bias_exp) * pow2(bias_exp - exponent);
  }
  return ForwardScale(pow2(-k), pow2(e_in + k - exponent), bias_scale, exponent);
}

// z_l = W a_{l-1} + b at exponent 0 for an activation that is not positively homogeneous: the input
// brought from its own power of two (non-zero only after a residual sum) to the true value.
fn input_scale(in_slot: u32) -> ForwardScale {
  return ForwardScale(1.0, pow2(slot_exponent(in_slot)), 1.0, 0);
}

// The exponent of a slot's largest entry: a sum with another tensor at this exponent or above loses
// nothing of it to overflow.
fn top_exponent(slot: u32) -> i32 {
  return slot_exponent(slot) + normalizing_exponent(slot_max_bits(slot));
}

struct SeedScale {
  a_shift: f32,
  a_drop: f32,
  y_scale: f32,
  exponent: i32,
}

// a_L − y as a multiple of 2^exponent (target_exp: 0 for Gaussian targets, very negative for zeros).
fn seed_scale(act_slot: u32, target_exp: i32) -> SeedScale {
  let k = normalizing_exponent(slot_max_bits(act_slot));
  let e_a = slot_exponent(act_slot);
  let exponent = max(e_a + k, target_exp);
  return SeedScale(pow2(-k), pow2(e_a + k - exponent), pow2(-exponent), exponent);
}

struct GradientShift {
  shift: f32,
  exponent: i32,
}

// ∂ℓ/∂a_l scaled by 2^−k so its largest entry is in [1, 2); the exponent carries k.
fn gradient_shift(slot: u32) -> GradientShift {
  let k = normalizing_exponent(slot_max_bits(slot));
  return GradientShift(pow2(-k), slot_exponent(slot) + k);
}
