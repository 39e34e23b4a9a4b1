// Layer l's backward step in one dispatch: the tiles of ∂ℓ/∂a_{l-1} (shaders/backward.wgsl), then
// those of ∂loss/∂W_l (shaders/weight_grad.wgsl). Both read ∂ℓ/∂z_l and a_{l-1}, and neither reads
// what the other writes, so one dispatch does both: one less per layer.

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;
override TRACKED: bool = false;

@group(0) @binding(0) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let tile = invocation_index(wg, groups, lidx);
  let backward_tiles = tile_count(BATCH, N);
  if (tile < backward_tiles) {
    backward_tile(tile);
  } else {
    weight_grad_tile(tile - backward_tiles);
  }
}
