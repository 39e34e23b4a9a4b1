// Shared by the per-example kernels (shaders/example_*.wgsl): an example's vector in private
// memory and where the per-example tensors keep their rows. Tensors are BATCH rows of N4 vec4s per
// layer (zeros past N), and W_l is 4·N4 rows of N4 vec4s, packed layer after layer.

// Widths up to 4·MAX_N4 (src/gpu/plan.ts, EXAMPLE_MAX_WIDTH).
const MAX_N4: u32 = 16u;

override EXAMPLE_WORKGROUP: u32 = 16u;

// Always declared as `var v = ExampleVector();`: in Chromium on SwiftShader here, a plain
// `var v: ExampleVector;` inside a loop kept the previous trip's values instead of starting at zero.
alias ExampleVector = array<vec4<f32>, MAX_N4>;

// The first vec4 of an example's row in layer `layer` of a per-example tensor.
fn example_row(layer: u32, example: u32) -> u32 {
  return (layer * BATCH + example) * N4;
}

// The first vec4 of row `row` of W_layer.
fn weight_row(layer: u32, row: u32) -> u32 {
  return ((layer - 1u) * 4u * N4 + row) * N4;
}
