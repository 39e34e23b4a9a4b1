// Shared by every kernel: the invocation index, the tile size and the power-of-two scaling of
// tracked numerics. Each kernel's `struct Params` is generated from its field list in
// src/gpu/kernels.ts (src/gpu/params.ts writes it), so no shader declares one.

// Invocations per workgroup of the per-layer kernels. Each invocation computes one 4 × 4 block of
// its output (4 examples × 4 units, or 4 rows × 4 columns of a weight gradient), reusing each
// loaded value four times, and leaves one statistics partial (src/gpu/plan.ts's blockGrid).
// The matrix-product kernels take the size src/gpu/autotune.ts chose for the device and shape.
override WORKGROUP: u32 = 64u;

// The linear index of an invocation in a 2-D grid of workgroups (65535 at most per dimension).
fn invocation_index(wg: vec3<u32>, groups: vec3<u32>, lidx: u32) -> u32 {
  return (wg.y * groups.x + wg.x) * WORKGROUP + lidx;
}

// The first row and column of block `block` of a rows × cols matrix cut into 4 × 4 blocks.
fn block_origin(block: u32, cols: u32) -> vec2<u32> {
  let blocks_across = (cols + 3u) / 4u;
  return vec2<u32>((block / blocks_across) * 4u, (block % blocks_across) * 4u);
}

// Rows and columns of output one invocation of the matrix-product kernels computes: 4, or 8 (four
// 4 × 4 blocks, so that each vec4 loaded is used twice as often), chosen per device and shape by
// src/gpu/autotune.ts. Each 4 × 4 block keeps its own statistics partial, at its own index, and
// each output sums its products in the same order, so both sizes give the same bits.
override BLOCK: u32 = 4u;

fn tile_count(rows: u32, cols: u32) -> u32 {
  return ((rows + BLOCK - 1u) / BLOCK) * ((cols + BLOCK - 1u) / BLOCK);
}

// The first row and column of tile `tile` of a rows × cols matrix cut into BLOCK × BLOCK tiles.
fn tile_origin(tile: u32, cols: u32) -> vec2<u32> {
  let tiles_across = (cols + BLOCK - 1u) / BLOCK;
  return vec2<u32>((tile / tiles_across) * BLOCK, (tile % tiles_across) * BLOCK);
}

// The index of the 4 × 4 block at `origin` of a matrix `cols` wide: where its partial goes.
fn block_index(origin: vec2<u32>, cols: u32) -> u32 {
  return (origin.x / 4u) * ((cols + 3u) / 4u) + origin.y / 4u;
}

// Indices first..first+3 times `stride`, those past `count` repeating the last one (their sums are
// computed and never stored).
fn clamped_rows(first: u32, count: u32, stride: u32) -> vec4<u32> {
  let last = count - 1u;
  return vec4<u32>(min(first, last), min(first + 1u, last), min(first + 2u, last), min(first + 3u, last)) * stride;
}

fn block_count(rows: u32, cols: u32) -> u32 {
  return ((rows + 3u) / 4u) * ((cols + 3u) / 4u);
}

// 2^e exactly for e in −126..127; 0 below (a factor that small is beneath float32's resolution).
fn pow2(e: i32) -> f32 {
  if (e < -126) {
    return 0.0;
  }
  return bitcast<f32>(u32(min(e, 127) + 127) << 23u);
}
