// The tensors of a run as functions of their coordinates, mirroring src/core/init.ts and
// src/core/reference.ts: the init kernels store them, the fused chain kernels regenerate them; each
// is rounded to the run's format (shaders/format.wgsl), as stored.

// 0: identity (init_param = s), 1: normal (init_param = std), 2: uniform (init_param = bound).
override INIT_KIND: u32 = 0u;
override INPUT_ONES: bool = false;
// The config's target: 0 zeros, 1 gaussian, 2 input (y = x), 3 teacher (y = T·x); TARGETS in src/core/config.ts.
override TARGET_KIND: u32 = 1u;

// Entry (row, column) of W_layer: s·I, or a normal or uniform draw times its scale.
fn weight_entry(seed: u32, init_param: f32, layer: u32, row: u32, column: u32) -> f32 {
  switch INIT_KIND {
    case 0u: { return round_to_format(select(0.0, init_param, row == column)); }
    case 1u: { return round_to_format(init_param * normal_entry(seed, STREAM_WEIGHTS, layer, row, column)); }
    default: { return round_to_format(init_param * symmetric_uniform_entry(seed, STREAM_WEIGHTS, layer, row, column)); }
  }
}

// b_layer[row] = biasSigma · N(0, 1), from the biases stream (row, column 0).
fn bias_entry(seed: u32, bias_sigma: f32, layer: u32, row: u32) -> f32 {
  return round_to_format(bias_sigma * normal_entry(seed, STREAM_BIASES, layer, row, 0u));
}

// x[example][unit]: 1, or N(0, 1) from the inputs stream (layer 0, row = example, column = unit).
fn input_entry(seed: u32, example: u32, unit: u32) -> f32 {
  if (INPUT_ONES) {
    return 1.0;
  }
  return round_to_format(normal_entry(seed, STREAM_INPUTS, 0u, example, unit));
}

// y[example][unit]: 0; N(0, 1) from the targets stream; x[example][unit]; or (T·x)[unit] with the
// teacher's entries T[i][j] = N(0, 1) / √n from the targets stream, layer 1 (teacherEntry in
// src/core/reference.ts), in float32, summed in order of j over x as stored.
fn target_entry(seed: u32, example: u32, unit: u32) -> f32 {
  switch TARGET_KIND {
    case 0u: { return 0.0; }
    case 2u: { return input_entry(seed, example, unit); }
    case 3u: {
      let scale = 1.0 / sqrt(f32(N));
      var sum = 0.0;
      for (var j = 0u; j < N; j++) {
        sum += (normal_entry(seed, STREAM_TARGETS, 1u, unit, j) * scale) * input_entry(seed, example, j);
      }
      return round_to_format(sum);
    }
    default: { return round_to_format(normal_entry(seed, STREAM_TARGETS, 0u, example, unit)); }
  }
}
