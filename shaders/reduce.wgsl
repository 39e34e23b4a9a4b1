// Final reduction of every slot's partials: Σ_p s_p · (m_p / max)², one workgroup per slot, so only
// O(L) numbers leave the GPU. Slots 0..2L+1 (activations, then gradients) have P_LAYER partials
// each; the weight-gradient slots after them have P_WEIGHT each.

override LAYER_SLOTS: u32 = 2u;
override P_LAYER: u32 = 1u;
override P_WEIGHT: u32 = 1u;
override SLOTS: u32 = 2u;

@group(0) @binding(0) var<storage, read_write> sums: array<f32>;

var<workgroup> reduce_sum: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let slot = wg.x;
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
    for (var p = lidx; p < count; p += 256u) {
      let partial = partials[base + p];
      let r = partial.x / top;
      sum += partial.y * r * r;
    }
  }
  reduce_sum[lidx] = sum;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lidx < stride) {
      reduce_sum[lidx] += reduce_sum[lidx + stride];
    }
    workgroupBarrier();
  }
  if (lidx == 0u) {
    sums[slot] = reduce_sum[0];
  }
}
