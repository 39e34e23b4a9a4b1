// The layered path's forward epilogue for norms and residual connections (shaders/layer.wgsl): from
// z_l (shaders/forward.wgsl with STORE_Z) and a_{l-1}, each group's ẑ_l, 1/σ, h_l and a_l into
// layer l's state, with a_l's statistics. Tracked numerics: a residual sum is taken at the larger of
// a_{l-1}'s top exponent and a bound on h_l's, both terms brought there by exact powers of two.

// Partials per activation slot (src/gpu/plan.ts): an invocation writes its own and clears those
// past the last invocation, so a reduction over the slot's partials sums only this dispatch's.
override PARTIALS: u32 = 1u;

// z_l, at slot params.aux_slot.
@group(0) @binding(1) var<storage, read> z_in: array<f32>;
// a_{l-1}, at slot params.in_slot (read_write only because it may share a buffer with the state:
// WebGPU allows no read-only binding of a buffer another binding writes).
@group(0) @binding(2) var<storage, read_write> act_prev: array<f32>;
// Layer l's state: a_l (slot params.out_slot), h_l, ẑ_l, 1/σ (shaders/layer.wgsl's offsets).
@group(0) @binding(3) var<storage, read_write> state: array<f32>;

// The layer's powers of two: ẑ's through the norm, the factor g's input takes (to its true value,
// when h is not kept at ẑ's exponent), and the residual sum's exponent with each term's factor.
struct LayerScale {
  norm: NormScale,
  branch_in: f32,
  exponent: i32,
  prev_drop: f32,
  branch_drop: f32,
}

fn layer_scale() -> LayerScale {
  var z_exponent = 0;
  if (TRACKED) {
    z_exponent = slot_exponent(params.aux_slot);
  }
  let norm = norm_scale(z_exponent);
  let in_exponent = select(z_exponent, norm.normalized_exponent, NORM != 0u);
  var h_exponent = 0;
  // ⌈log₂⌉ of a bound on |h|'s stored values: |g(v)| ≤ 1 for tanh and sigmoid; |g(z)| ≤ |z| for
  // the others; a normalized group's entries are at most √m, or (where var(z) < ε at e < 0) at most
  // 2·max|Z|/√ε.
  var bound = 1;
  var branch_in = 1.0;
  if (SCALED) {
    h_exponent = in_exponent;
    let top_z = normalizing_exponent(slot_max_bits(params.aux_slot)) + 1;
    bound = top_z;
    if (NORM != 0u) {
      bound = max((i32(firstLeadingBit(group_size())) + 2) / 2 + 1, top_z + 11);
    }
  } else {
    branch_in = pow2(in_exponent);
  }
  var scale = LayerScale(norm, branch_in, h_exponent, 1.0, 1.0);
  if (RESIDUAL && TRACKED) {
    scale.exponent = max(top_exponent(params.in_slot), h_exponent + bound);
    scale.prev_drop = pow2(slot_exponent(params.in_slot) - scale.exponent);
    scale.branch_drop = pow2(h_exponent - scale.exponent);
  }
  return scale;
}

// Group g's first entry, its mean measured from that entry, and 1/σ (population variance, ε added);
// (0, 0, 1) without a norm. Measuring from the first entry makes a group of equal entries (a batch of
// identical examples, s·I weights on inputs of ones) normalize to exact zeros, as the reference does.
fn group_statistics(g: u32, norm: NormScale) -> vec3<f32> {
  if (NORM == 0u) {
    return vec3<f32>(0.0, 0.0, 1.0);
  }
  let size = group_size();
  let first = z_in[group_entry(g, 0u)];
  var sum = 0.0;
  for (var k = 0u; k < size; k++) {
    sum += z_in[group_entry(g, k)] - first;
  }
  let mean = sum / f32(size);
  var squares = 0.0;
  for (var k = 0u; k < size; k++) {
    let deviation = (z_in[group_entry(g, k)] - first) - mean;
    squares += deviation * deviation;
  }
  return vec3<f32>(first, mean, 1.0 / sqrt(squares / f32(size) * norm.variance + norm.epsilon));
}

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let invocation = invocation_index(wg, groups, lidx);
  let scale = layer_scale();
  if (invocation == 0u) {
    exponents[params.out_slot] = scale.exponent;
  }
  let invocations = layer_invocations();
  if (invocation >= invocations) {
    return;
  }
  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var g = 4u * invocation; g < min(4u * invocation + 4u, group_count()); g++) {
    let statistics = group_statistics(g, scale.norm);
    if (NORM != 0u) {
      state[INV_OFFSET + g] = statistics.z;
    }
    for (var k = 0u; k < group_size(); k++) {
      let index = group_entry(g, k);
      var z = z_in[index];
      if (NORM != 0u) {
        z = normalized((z - statistics.x) - statistics.y, statistics.z);
        state[Z_OFFSET + index] = z;
      }
      let h = plain_output(z * scale.branch_in);
      var a = h;
      if (RESIDUAL) {
        state[H_OFFSET + index] = h;
        a = round_to_format(act_prev[index] * scale.prev_drop + params.alpha * (h * scale.branch_drop));
      }
      state[index] = a;
      m = moments_add(m, a);
      bits = max(bits, abs_bits(a));
      hist_count(hist_layer(), HIST_ACT, a);
      hist_unit(hist_layer(), select(k, g, NORM == 2u), h);
    }
  }
  publish_stats(m, bits, params.out_slot, params.partial_base + invocation);
  hist_flush(hist_layer());
  for (var p = invocation + invocations; p < PARTIALS; p += invocations) {
    partials[params.partial_base + p] = vec2<f32>(0.0);
  }
}
