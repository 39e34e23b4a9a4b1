// Shared by every kernel: the per-dispatch parameters (mirrored by src/gpu/params.ts), the tile
// size and the power-of-two scaling of tracked numerics.

struct Params {
  layer: u32,
  in_slot: u32,
  out_slot: u32,
  aux_slot: u32,
  partial_base: u32,
  count: u32,
  seed: u32,
  bias_exp: i32,
  init_param: f32,
  bias_sigma: f32,
  target_exp: i32,
  stride: u32,
}

// Invocations per workgroup of every per-element kernel, and outputs per invocation; each
// invocation leaves one statistics partial (src/gpu/plan.ts's elementGrid mirrors both).
const WORKGROUP: u32 = 64u;
override PER_INVOCATION: u32 = 4u;

// The linear index of an invocation in a 2-D grid of workgroups (65535 at most per dimension).
fn invocation_index(wg: vec3<u32>, groups: vec3<u32>, lidx: u32) -> u32 {
  return (wg.y * groups.x + wg.x) * WORKGROUP + lidx;
}

// 2^e exactly for e in −126..127; 0 below (a factor that small is beneath float32's resolution).
fn pow2(e: i32) -> f32 {
  if (e < -126) {
    return 0.0;
  }
  return bitcast<f32>(u32(min(e, 127) + 127) << 23u);
}
