// The activation table of src/core/activations.ts, under the same ids: g(z) and g'(z) from a = g(z).

override ACTIVATION: u32 = 0u;
const LEAKY_SLOPE: f32 = 0.01;

fn activate(z: f32) -> f32 {
  switch ACTIVATION {
    case 1u: { return select(0.0, z, z > 0.0); }
    case 2u: { return select(LEAKY_SLOPE * z, z, z > 0.0); }
    // tanh(±10) rounds to ±1 in float32; clamping keeps exp-based tanh away from ∞/∞.
    case 3u: { return tanh(clamp(z, -10.0, 10.0)); }
    case 4u: { return 1.0 / (1.0 + exp(-z)); }
    default: { return z; }
  }
}

fn activation_der_from_output(a: f32) -> f32 {
  switch ACTIVATION {
    case 1u: { return select(0.0, 1.0, a > 0.0); }
    case 2u: { return select(LEAKY_SLOPE, 1.0, a > 0.0); }
    case 3u: { return 1.0 - a * a; }
    case 4u: { return a * (1.0 - a); }
    default: { return 1.0; }
  }
}
