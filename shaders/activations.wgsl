// The activation table of src/core/activations.ts, under the same ids: g(z) and g'(z) from a = g(z).

override ACTIVATION: u32 = 0u;
const LEAKY_SLOPE: f32 = 0.01;

// tanh to a few ulp relative, also for tiny z (where exp-based tanh loses all relative accuracy):
// its Taylor series to z¹³ below |z| = 0.3 (error < 1e-10 relative), 1 − 2/(e^{2|z|} + 1) above,
// and ±1 beyond |z| = 10, where tanh rounds to ±1 in float32.
fn precise_tanh(z: f32) -> f32 {
  let x = abs(z);
  if (x < 0.3) {
    let x2 = z * z;
    return z * (1.0 + x2 * (-0.3333333333333333 + x2 * (0.13333333333333333 + x2 * (-0.05396825396825397
      + x2 * (0.021869488536155203 + x2 * (-0.008863235529902197 + x2 * 0.003592128036572481))))));
  }
  let t = 1.0 - 2.0 / (exp(2.0 * min(x, 10.0)) + 1.0);
  return select(-t, t, z >= 0.0);
}

// sigmoid as 1 − e/(1 + e), e = exp(−z), for z > 0: near saturation this rounds to the float32 below
// 1 where 1/(1 + e) would round 1 + e to 1 (z in about (16.6, 17.3)), so g' = a(1 − a) is not 0 there
// when the reference's correctly rounded a is not 1.
fn precise_sigmoid(z: f32) -> f32 {
  if (z > 0.0) {
    let e = exp(-z);
    return 1.0 - e / (1.0 + e);
  }
  return 1.0 / (1.0 + exp(-z));
}

fn activate(z: f32) -> f32 {
  switch ACTIVATION {
    case 1u: { return select(0.0, z, z > 0.0); }
    case 2u: { return select(LEAKY_SLOPE * z, z, z > 0.0); }
    case 3u: { return precise_tanh(z); }
    case 4u: { return precise_sigmoid(z); }
    default: { return z; }
  }
}

fn activation_der_from_output(a: f32) -> f32 {
  switch ACTIVATION {
    case 1u: { return select(0.0, 1.0, a > 0.0); }
    case 2u: { return select(LEAKY_SLOPE, 1.0, a > 0.0); }
    // (1 − a)(1 + a): 1 − a is exact near saturation, where 1 − a² would cancel.
    case 3u: { return (1.0 - a) * (1.0 + a); }
    case 4u: { return a * (1.0 - a); }
    default: { return 1.0; }
  }
}
