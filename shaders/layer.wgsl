// One layer's epilogue, its forward next to its backward, as src/core/layers/ computes it in
// float64 (SPEC.md, "The network"): every GPU path's kernels call these, and keep only their loops
// and products (shaders/layer_groups.wgsl adds the group indexing of the layered path's layer kernels).
//
//     z = W a_{l-1} + b                  (the product's sum, brought to z's power of two)
//     ẑ = (z − μ)/σ over each group      ∂ℓ/∂z = (∂ℓ/∂ẑ − mean ∂ℓ/∂ẑ − ẑ·mean(∂ℓ/∂ẑ ẑ))/σ
//     h = g(ẑ)                           ∂ℓ/∂ẑ = α·∂ℓ/∂a ⊙ g'(h)  (α = 1 without a residual)
//     a = a_{l-1} + α·h, or h            ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z + ∂ℓ/∂a (shaders/backward.wgsl)
//
// A plain layer (no norm, no residual) is z → a = g(z) and ∂ℓ/∂z = ∂ℓ/∂a ⊙ g'(a).
//
// Each function returns a value a kernel stores, rounded to the run's format (shaders/format.wgsl);
// the kernels round the sums they store themselves (a product's, a residual connection's).

override RESIDUAL: bool = false;

const NORM_EPSILON: f32 = 1e-5;

// No power of two to apply (plain float32 numerics, the per-example path).
const PLAIN_SCALE = ForwardScale(1.0, 1.0, 1.0, 0);

// z = W a_{l-1} + b from the product's sum over a_{l-1} shifted by scale.in_shift (shaders/scaling.wgsl).
fn pre_activation(sum: f32, bias: f32, scale: ForwardScale) -> f32 {
  return round_to_format(sum * scale.in_drop + bias * scale.bias_scale);
}

// A plain layer's output a = g(z) (also a branch's h = g(ẑ)).
fn plain_output(z: f32) -> f32 {
  return round_to_format(activate(z));
}

// A plain layer's ∂ℓ/∂z = ∂ℓ/∂a ⊙ g'(a), from its output a.
fn plain_grad_z(grad: f32, a: f32) -> f32 {
  return round_to_format(grad * activation_der_from_output(a));
}

fn plain_grad_z4(grad: vec4<f32>, a: vec4<f32>) -> vec4<f32> {
  let der = vec4<f32>(
    activation_der_from_output(a.x),
    activation_der_from_output(a.y),
    activation_der_from_output(a.z),
    activation_der_from_output(a.w),
  );
  return round_to_format4(grad * der);
}

// The powers of two of a layer's z (at exponent z_exponent, tracked) through the norm: 1/σ is
// computed as 2^−p / √(var(Z)·4^(e−p) + ε·4^(−p)) with p = max(e, 0), so ẑ's stored values are at
// exponent e − p (src/core/layers/norm.ts).
struct NormScale {
  variance: f32,
  epsilon: f32,
  normalized_exponent: i32,
  inv_exponent: i32,
}

fn norm_scale(z_exponent: i32) -> NormScale {
  let p = max(z_exponent, 0);
  return NormScale(pow2(2 * (z_exponent - p)), NORM_EPSILON * pow2(-2 * p), z_exponent - p, -p);
}

// ẑ_k = (z_k − μ)·inv; a zero deviation stays 0 even where inv overflows (a constant group far
// above 1 in tracked numerics).
fn normalized(deviation: f32, inv: f32) -> f32 {
  return round_to_format(select(deviation * inv, 0.0, deviation == 0.0));
}

// ∂ℓ/∂ẑ from ∂ℓ/∂a (shifted) and h.
fn branch_backward(grad: f32, h: f32, alpha: f32) -> f32 {
  if (RESIDUAL) {
    return round_to_format(alpha * grad * activation_der_from_output(h));
  }
  return round_to_format(grad * activation_der_from_output(h));
}

// ∂ℓ/∂z_k from ∂ℓ/∂ẑ_k (less the group's first entry), ẑ_k (true value), the group's means (that of
// ∂ℓ/∂ẑ also less the first entry) and 1/σ.
fn norm_backward(grad: f32, z: f32, grad_mean: f32, grad_z_mean: f32, inv: f32) -> f32 {
  return round_to_format(inv * (grad - grad_mean - z * grad_z_mean));
}
