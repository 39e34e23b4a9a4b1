// One layer's epilogue, its forward next to its backward, as src/core/layers/ computes it in
// float64 (SPEC.md, "The network"): the norm of z_l, the activation, the residual add.
//
//     ẑ = (z − μ)/σ over each group      ∂ℓ/∂z = (∂ℓ/∂ẑ − mean ∂ℓ/∂ẑ − ẑ·mean(∂ℓ/∂ẑ ẑ))/σ
//     h = g(ẑ)                           ∂ℓ/∂ẑ = α·∂ℓ/∂a ⊙ g'(h)  (α = 1 without a residual)
//     a = a_{l-1} + α·h, or h            ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z + ∂ℓ/∂a (shaders/backward.wgsl)
//
// A group is one example's N units (layer norm) or one unit's BATCH examples (batch norm); with no
// norm, one example. Each invocation of the layer kernels takes 4 groups.

// 0: none, 1: layer norm, 2: batch norm (src/core/config.ts's NormKind).
override NORM: u32 = 0u;
override RESIDUAL: bool = false;
// Where a layer's state lies in its activation position, in floats: a_l at 0, then h_l (residual
// connections; otherwise h_l is a_l), ẑ_l and 1/σ per group (norms).
override H_OFFSET: u32 = 0u;
override Z_OFFSET: u32 = 0u;
override INV_OFFSET: u32 = 0u;
// The activation is positively homogeneous and the numerics tracked: h keeps ẑ's power of two.
override SCALED: bool = false;
override TRACKED: bool = false;

const NORM_EPSILON: f32 = 1e-5;

// Entry k of group g: its index in a (batch × 4·N4) tensor.
fn group_entry(g: u32, k: u32) -> u32 {
  if (NORM == 2u) {
    return k * 4u * N4 + g;
  }
  return g * 4u * N4 + k;
}

fn group_size() -> u32 {
  return select(N, BATCH, NORM == 2u);
}

fn group_count() -> u32 {
  return select(BATCH, N, NORM == 2u);
}

// Invocations of a layer kernel: 4 groups each.
fn layer_invocations() -> u32 {
  return (group_count() + 3u) / 4u;
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
  return select(deviation * inv, 0.0, deviation == 0.0);
}

// ∂ℓ/∂ẑ from ∂ℓ/∂a (shifted) and h.
fn branch_backward(grad: f32, h: f32, alpha: f32) -> f32 {
  if (RESIDUAL) {
    return alpha * grad * activation_der_from_output(h);
  }
  return grad * activation_der_from_output(h);
}

// ∂ℓ/∂z_k from ∂ℓ/∂ẑ_k (less the group's first entry), ẑ_k (true value), the group's means (that of
// ∂ℓ/∂ẑ also less the first entry) and 1/σ.
fn norm_backward(grad: f32, z: f32, grad_mean: f32, grad_z_mean: f32, inv: f32) -> f32 {
  return inv * (grad - grad_mean - z * grad_z_mean);
}
