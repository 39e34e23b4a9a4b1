// Final reduction of every slot's partials: Σ_p s_p · (m_p / max)², one invocation per slot and no
// barriers (cheap everywhere, and barriers dominate on CPU-emulated GPUs), so only O(L) numbers
// leave the GPU. Slots 0..2L+1 (activations, then gradients) have P_LAYER partials each; the
// weight-gradient slots after them have P_WEIGHT each.

override LAYER_SLOTS: u32 = 2u;
override P_LAYER: u32 = 1u;
override P_WEIGHT: u32 = 1u;
override SLOTS: u32 = 2u;

@group(0) @binding(0) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let slot = gid.x;
  if (slot >= SLOTS) {
    return;
  }
  var base = slot * P_LAYER;
  var count = P_LAYER;
  if (slot >= LAYER_SLOTS) {
    base = LAYER_SLOTS * P_LAYER + (slot - LAYER_SLOTS) * P_WEIGHT;
    count = P_WEIGHT;
  }
  let bits = atomicLoad(&max_bits[slot]);
  var sum = 0.0;
  if (bits != 0u && bits < NON_FINITE_BITS) {
    let top = bitcast<f32>(bits);
    for (var p = 0u; p < count; p++) {
      let partial = partials[base + p];
      let r = partial.x / top;
      sum += partial.y * r * r;
    }
  }
  sums[slot] = sum;
}
