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

// The layer a layered kernel's dispatch counts into (a recomputed activation, counted when first
// computed, into the record after the last layer's, which nothing reads).
fn hist_layer() -> u32 {
  return params.histogram;
}

// Words of one layer's record: two tensors' bins, the saturated count and the bitset of N units.
fn hist_record_words() -> u32 {
  return HIST_LIVE + (N + 31u) / 32u;
}

// The bin of a stored float32 value: ⌊log₂|v|⌋ + 149 (subnormals by their leading bit), zeros,
// non-finite; selects, not branches (on SwiftShader the branches cost 10× the selects).
fn hist_bin(v: f32) -> u32 {
  let bits = bitcast<u32>(v) & 0x7fffffffu;
  let exponent = bits >> 23u;
  let finite = select(exponent + 22u, firstLeadingBit(bits), exponent == 0u);
  return select(select(finite, HIST_NON_FINITE, bits >= 0x7f800000u), HIST_ZEROS, bits == 0u);
}

// One invocation's saturated entries of a layer, and the bitset word of the units it found alive.
var<private> hist_saturated: u32;
var<private> hist_live_word: u32;
var<private> hist_live_bits: u32;

// Counts one entry v of tensor `tensor` (HIST_ACT: a_l, HIST_GRAD: ∂ℓ/∂a_l) of `layer`: one atomic
// and no branch, the cheapest on CPU-emulated GPUs, which run every side of a branch.
fn hist_count(layer: u32, tensor: u32, v: f32) {
  atomicAdd(&hist[layer * hist_record_words() + tensor * HIST_BINS + hist_bin(v)], 1u);
}

// Sets the units found alive in the pending bitset word.
fn hist_live_flush(layer: u32) {
  if (hist_live_bits != 0u) {
    atomicOr(&hist[layer * hist_record_words() + HIST_LIVE + hist_live_word], hist_live_bits);
    hist_live_bits = 0u;
  }
}

// Counts one entry of `unit` of layer `layer` whose activation's output is h: saturated, or alive.
fn hist_unit(layer: u32, unit: u32, h: f32) {
  let saturated = abs(activation_der_from_output(h)) < SATURATION_THRESHOLD;
  hist_saturated += select(0u, 1u, saturated);
  let word = unit / 32u;
  if (word != hist_live_word) {
    hist_live_flush(layer);
    hist_live_word = word;
  }
  hist_live_bits |= select(1u << (unit % 32u), 0u, saturated);
}

// Adds this invocation's saturated entries and alive units of `layer` to the layer's record (its
// bins are counted as they come).
fn hist_flush(layer: u32) {
  if (hist_saturated != 0u) {
    atomicAdd(&hist[layer * hist_record_words() + HIST_SATURATED], hist_saturated);
    hist_saturated = 0u;
  }
  hist_live_flush(layer);
}
