// W_l as the layered product kernels see it, a vec4 of row `row`, columns 4·j4..4·j4+3: loaded
// from the weight buffer (every layer stored, or this layer drawn into it before the step), or,
// with WEIGHTS_IN_KERNEL, drawn right here (shaders/draws.wgsl), zero past row or column N like the
// padded buffer. Drawing here needs no weight memory at all; each weight is drawn once per block
// of 4 examples, so the plan uses it only for batches of at most 4 (src/gpu/plan.ts).

override WEIGHTS_IN_KERNEL: bool = false;

// 4·N4 rows of N4 vec4s (rows and columns past N are zero).
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;

fn weight_vec4(row: u32, j4: u32) -> vec4<f32> {
  if (!WEIGHTS_IN_KERNEL) {
    return weights[row * N4 + j4];
  }
  var w = vec4<f32>(0.0);
  if (row < N) {
    for (var k = 0u; k < 4u; k++) {
      let column = 4u * j4 + k;
      if (column < N) {
        w[k] = weight_entry(params.seed, params.init_param, params.layer, row, column);
      }
    }
  }
  return w;
}
