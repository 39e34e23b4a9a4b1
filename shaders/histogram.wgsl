// Per-layer histograms (the run option { histograms: true }), laid out by src/gpu/histograms.ts:
// layer l's record starts at l·hist_record_words(), and holds the bins of a_l, the bins of ∂ℓ/∂a_l
// (HIST_BINS each: ⌊log₂|v|⌋ = −149..127 of the stored float32 value, then zeros, then non-finite
// entries; tracked numerics shift them by the tensor's exponent on readback), the count of layer l's
// saturated entries (|g'| < 0.01, g' from the stored h_l = g(ẑ_l)), and a bitset of the units not
// saturated on some example (the rest are dead). Without histograms, shaders/histogram_none.wgsl
// stands in, so those runs compile as before.

@group(2) @binding(0) var<storage, read_write> hist: array<atomic<u32>>;

const HIST_ACT: u32 = 0u;
const HIST_GRAD: u32 = 1u;
const HIST_BINS: u32 = 279u;
const HIST_ZEROS: u32 = 277u;
const HIST_NON_FINITE: u32 = 278u;
const HIST_SATURATED: u32 = 558u;
const HIST_LIVE: u32 = 559u;
const SATURATION_THRESHOLD: f32 = 0.01;
// The layer a recomputed activation would count into: nowhere (it was counted when first computed).
const NO_HISTOGRAM: u32 = 0xffffffffu;

// The layer a layered kernel's dispatch counts into, or NO_HISTOGRAM.
fn hist_layer() -> u32 {
  return params.histogram;
}

// Words of one layer's record: two tensors' bins, the saturated count and the bitset of N units.
fn hist_record_words() -> u32 {
  return HIST_LIVE + (N + 31u) / 32u;
}

// The bin of a stored float32 value: ⌊log₂|v|⌋ + 149 (subnormals by their leading bit), zeros, non-finite.
fn hist_bin(v: f32) -> u32 {
  let bits = bitcast<u32>(v) & 0x7fffffffu;
  if (bits == 0u) {
    return HIST_ZEROS;
  }
  if (bits >= 0x7f800000u) {
    return HIST_NON_FINITE;
  }
  let exponent = bits >> 23u;
  if (exponent == 0u) {
    return firstLeadingBit(bits);
  }
  return exponent + 22u;
}

// The counts of one invocation's entries of a layer: saturated entries, kept until hist_flush.
var<private> hist_saturated: u32;

// Counts one entry v of tensor `tensor` (HIST_ACT: a_l, HIST_GRAD: ∂ℓ/∂a_l) of `layer`.
fn hist_count(layer: u32, tensor: u32, v: f32) {
  if (layer == NO_HISTOGRAM) {
    return;
  }
  atomicAdd(&hist[layer * hist_record_words() + tensor * HIST_BINS + hist_bin(v)], 1u);
}

// Counts one entry of `unit` of layer `layer` whose activation's output is h: saturated, or alive.
fn hist_unit(layer: u32, unit: u32, h: f32) {
  if (layer == NO_HISTOGRAM) {
    return;
  }
  if (abs(activation_der_from_output(h)) < SATURATION_THRESHOLD) {
    hist_saturated += 1u;
    return;
  }
  let word = layer * hist_record_words() + HIST_LIVE + unit / 32u;
  let bit = 1u << (unit % 32u);
  if ((atomicLoad(&hist[word]) & bit) == 0u) {
    atomicOr(&hist[word], bit);
  }
}

// Adds this invocation's saturated entries of `layer` to the layer's count.
fn hist_flush(layer: u32) {
  if (layer == NO_HISTOGRAM || hist_saturated == 0u) {
    return;
  }
  atomicAdd(&hist[layer * hist_record_words() + HIST_SATURATED], hist_saturated);
  hist_saturated = 0u;
}
