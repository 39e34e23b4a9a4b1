// The whole backward pass of a narrow net in one dispatch: one workgroup seeds ∂ℓ/∂a_L = a_L − y,
// then for l = L..1 reduces B·∂loss/∂W_l to its statistics and computes ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z_l,
// ping-ponging between the two halves of `grads`, and when training updates W_l and b_l
// (update_layer: shaders/chain_update.wgsl or chain_update_none.wgsl). Slots as in shaders/reduce.wgsl.
// As the layered path's kernels, it stores ∂ℓ/∂z_l = ∂ℓ/∂a_l ⊙ g'(a_l), not ∂ℓ/∂a_l (whose statistics it
// publishes), so the products read it n times without computing g' (and rounding it) each time.

override N: u32 = 1u;
// Invocations of the one workgroup: no more than the entries of a layer, since each barrier costs
// in proportion to them on CPU-emulated GPUs (src/gpu/plan.ts, fusedWorkgroupSize).
override CHAIN_WORKGROUP: u32 = 64u;
override BATCH: u32 = 1u;
override TRACKED: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> acts: array<f32>;
@group(0) @binding(3) var<storage, read> targets: array<f32>;
@group(0) @binding(4) var<storage, read_write> grads: array<f32>;

fn grad_slot(layer: u32) -> u32 {
  return params.depth + 1u + layer;
}

// Publishes a slot's statistics at its partials and, from invocation 0, its exponent.
fn finish_slot(lidx: u32, m: Moments, bits: u32, slot: u32, exponent: i32) {
  publish_stats(m, bits, slot, slot * CHAIN_WORKGROUP + lidx);
  if (lidx == 0u) {
    exponents[slot] = exponent;
  }
}

@compute @workgroup_size(CHAIN_WORKGROUP)
fn main(@builtin(local_invocation_index) lidx: u32) {
  let count = BATCH * N;
  var seed = SeedScale(1.0, 1.0, 1.0, 0);
  if (TRACKED) {
    seed = seed_scale(params.depth, params.target_exp);
  }
  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var index = lidx; index < count; index += CHAIN_WORKGROUP) {
    let a = acts[params.depth * count + index];
    let d = round_to_format(a * seed.a_shift * seed.a_drop - targets[index] * seed.y_scale);
    grads[index] = plain_grad_z(d, a);
    m = moments_add(m, d);
    bits = max(bits, abs_bits(d));
    hist_count(params.depth, HIST_GRAD, d);
  }
  finish_slot(lidx, m, bits, grad_slot(params.depth), seed.exponent);
  storageBarrier();
  workgroupBarrier();

  for (var step = 0u; step < params.depth; step++) {
    let layer = params.depth - step;
    let g_in = (step % 2u) * count;
    let g_out = count - g_in;
    let prev_base = (layer - 1u) * count;
    var shift = GradientShift(1.0, 0);
    if (TRACKED) {
      shift = gradient_shift(grad_slot(layer));
    }

    // B·∂loss/∂W_l[row][column] = Σ_b ∂ℓ_b/∂z_l[row] · a_{l-1}[b][column].
    m = Moments(0.0, 0.0);
    bits = 0u;
    for (var entry = lidx; entry < N * N; entry += CHAIN_WORKGROUP) {
      let row = entry / N;
      let column = entry % N;
      var acc = 0.0;
      for (var b = 0u; b < BATCH; b++) {
        acc += (grads[g_in + b * N + row] * shift.shift) * acts[prev_base + b * N + column];
      }
      acc = round_to_format(acc);
      stash_weight_grad(entry, acc);
      m = moments_add(m, acc);
      bits = max(bits, abs_bits(acc));
    }
    finish_slot(lidx, m, bits, 2u * params.depth + 1u + layer, shift.exponent + slot_exponent(layer - 1u));

    // ∂ℓ/∂a_{l-1}[example][unit] = Σ_i ∂ℓ/∂z_l[example][i] · W_l[i][unit].
    m = Moments(0.0, 0.0);
    bits = 0u;
    for (var index = lidx; index < count; index += CHAIN_WORKGROUP) {
      let row = (index / N) * N;
      let unit = index % N;
      var acc = 0.0;
      for (var i = 0u; i < N; i++) {
        acc += (grads[g_in + row + i] * shift.shift) * layer_weight(layer, i, unit);
      }
      acc = round_to_format(acc);
      grads[g_out + index] = plain_grad_z(acc, acts[prev_base + index]);
      m = moments_add(m, acc);
      bits = max(bits, abs_bits(acc));
      hist_count(layer - 1u, HIST_GRAD, acc);
    }
    finish_slot(lidx, m, bits, grad_slot(layer - 1u), shift.exponent);
    update_layer(lidx, layer, g_in);
    storageBarrier();
    workgroupBarrier();
  }
}
