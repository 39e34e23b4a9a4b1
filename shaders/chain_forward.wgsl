// The whole forward pass of a narrow net in one dispatch: one workgroup draws a_0 and y, then loops
// over the layers, each weight and bias regenerated where it is used (or read, when stored:
// shaders/chain_weights.wgsl, shaders/chain_biases*.wgsl), with
// every layer's statistics (and histograms, shaders/histogram.wgsl); params.depth is the depth.
// Slot s keeps its partials at s·WORKGROUP.

override N: u32 = 1u;
// Invocations of the one workgroup: no more than the entries of a layer, since each barrier costs
// in proportion to them on CPU-emulated GPUs (src/gpu/plan.ts, fusedWorkgroupSize).
override CHAIN_WORKGROUP: u32 = 64u;
override BATCH: u32 = 1u;
override TRACKED_FORWARD: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read_write> acts: array<f32>;
@group(0) @binding(3) var<storage, read_write> targets: array<f32>;

@compute @workgroup_size(CHAIN_WORKGROUP)
fn main(@builtin(local_invocation_index) lidx: u32) {
  let count = BATCH * N;
  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var index = lidx; index < count; index += CHAIN_WORKGROUP) {
    let x = input_entry(params.seed, index / N, index % N);
    acts[index] = x;
    targets[index] = target_entry(params.seed, index / N, index % N);
    m = moments_add(m, x);
    bits = max(bits, abs_bits(x));
    hist_count(0u, HIST_ACT, x);
  }
  publish_stats(m, bits, 0u, lidx);
  storageBarrier();
  workgroupBarrier();

  for (var layer = 1u; layer <= params.depth; layer++) {
    var scale = ForwardScale(1.0, 1.0, 1.0, 0);
    if (TRACKED_FORWARD) {
      scale = forward_scale(layer - 1u, params.bias_sigma, params.bias_exp);
    }
    let in_base = (layer - 1u) * count;
    m = Moments(0.0, 0.0);
    bits = 0u;
    for (var index = lidx; index < count; index += CHAIN_WORKGROUP) {
      let row = in_base + (index / N) * N;
      let unit = index % N;
      var acc = 0.0;
      for (var j = 0u; j < N; j++) {
        acc += layer_weight(layer, unit, j) * (acts[row + j] * scale.in_shift);
      }
      let a = plain_output(pre_activation(acc, layer_bias(layer, unit), scale));
      acts[layer * count + index] = a;
      m = moments_add(m, a);
      bits = max(bits, abs_bits(a));
      hist_count(layer, HIST_ACT, a);
      hist_unit(layer, unit, a);
    }
    publish_stats(m, bits, layer, layer * CHAIN_WORKGROUP + lidx);
    hist_flush(layer);
    if (lidx == 0u) {
      exponents[layer] = scale.exponent;
    }
    storageBarrier();
    workgroupBarrier();
  }
}
