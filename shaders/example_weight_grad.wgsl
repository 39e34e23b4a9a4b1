// B·∂loss/∂W_l = Σ_b ∂ℓ_b/∂z_l a_{l-1}ᵀ for layers params.layer .. params.layer + params.layers − 1
// of a per-example run, reduced to their statistics and never stored: a 4 × 4 block of (row,
// column) of one layer per invocation, summing over the batch one vec4 of ∂ℓ/∂z_l and one of
// a_{l-1} at a time (16 multiply-adds). Layer l's block k keeps its partial at
// (2L + 2)·BATCH + (l − 1)·N4² + k, after the per-example slots' partials.

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> acts: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dz: array<vec4<f32>>;

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let index = invocation_index(wg, groups, lidx);
  let blocks = N4 * N4;
  if (index >= params.layers * blocks) {
    return;
  }
  let layer = params.layer + index / blocks;
  let block = index % blocks;
  let origin = block_origin(block, N);
  let rows = origin.x / 4u;
  let columns = origin.y / 4u;
  var acc = array<vec4<f32>, 4>();
  for (var b = 0u; b < BATCH; b++) {
    let row = example_row(layer - 1u, b);
    weight_block_add(&acc, dz[row + rows], acts[row + columns]);
  }
  let depth = params.depth;
  publish_weight_block(acc, origin, 2u * depth + 1u + layer, (2u * depth + 2u) * BATCH + (layer - 1u) * blocks);
}
