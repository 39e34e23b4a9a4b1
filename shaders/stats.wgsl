// Per-layer statistics reduced on the GPU. Each layer's tensor has a slot: the largest |v| as
// float bits (atomicMax; bits ≥ 0x7f800000 mean a non-finite value), the power of two its stored
// values are scaled by, and one partial (max |v|, Σ (v / max)²) per invocation, summed by reduce.wgsl.

@group(1) @binding(0) var<storage, read_write> max_bits: array<atomic<u32>>;
@group(1) @binding(1) var<storage, read_write> exponents: array<i32>;
@group(1) @binding(2) var<storage, read_write> partials: array<vec2<f32>>;

const NON_FINITE_BITS: u32 = 0x7f800000u;

// False for a tensor whose slot only carries its scale for a later kernel (a layer's z_l or
// ∂ℓ/∂z_l on the layered path with norms or residual connections): its largest entry and
// exponent are kept, its partials are not (nothing reduces them).
override KEEP_PARTIALS: bool = true;

// Running max |v| of finite values and Σ (v / max_abs)².
struct Moments {
  max_abs: f32,
  scaled_sum_sq: f32,
}

fn abs_bits(v: f32) -> u32 {
  return bitcast<u32>(v) & 0x7fffffffu;
}

fn moments_add(m: Moments, v: f32) -> Moments {
  let bits = abs_bits(v);
  if (bits >= NON_FINITE_BITS || bits == 0u) {
    return m;
  }
  let x = bitcast<f32>(bits);
  if (x > m.max_abs) {
    let r = m.max_abs / x;
    return Moments(x, 1.0 + m.scaled_sum_sq * r * r);
  }
  let r = x / m.max_abs;
  return Moments(m.max_abs, m.scaled_sum_sq + r * r);
}

fn moments_merge(a: Moments, b: Moments) -> Moments {
  let top = max(a.max_abs, b.max_abs);
  if (top == 0.0) {
    return Moments(0.0, 0.0);
  }
  let ra = a.max_abs / top;
  let rb = b.max_abs / top;
  return Moments(top, a.scaled_sum_sq * ra * ra + b.scaled_sum_sq * rb * rb);
}

// ⌊log₂ max|v|⌋ of a slot, clamped to −126..127; 0 for an all-zero or non-finite tensor.
fn normalizing_exponent(bits: u32) -> i32 {
  if (bits == 0u || bits >= NON_FINITE_BITS) {
    return 0;
  }
  return clamp(i32(bits >> 23u) - 127, -126, 127);
}

fn slot_exponent(slot: u32) -> i32 {
  return exponents[slot];
}

fn slot_max_bits(slot: u32) -> u32 {
  return atomicLoad(&max_bits[slot]);
}

// Publishes one invocation's moments as its partial and raises the slot's max (no barriers: they
// cost more than the arithmetic on CPU-emulated GPUs).
fn publish_stats(m: Moments, bits: u32, slot: u32, partial_index: u32) {
  if (KEEP_PARTIALS) {
    partials[partial_index] = vec2<f32>(m.max_abs, m.scaled_sum_sq);
  }
  if (bits != 0u) {
    atomicMax(&max_bits[slot], bits);
  }
}
