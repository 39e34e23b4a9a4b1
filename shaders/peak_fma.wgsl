// The adapter's arithmetic ceiling: CHAINS independent vec4 multiply-add chains per invocation,
// UNROLL steps of each per loop trip, one vec4 written at the end so nothing is dead code.
// Flops = 8 · (trips · UNROLL) · invocations · CHAINS (a vec4 multiply-add is 4 multiplies, 4 adds).
// With LOAD_OPERAND each multiply-add first loads its multiplier from the storage buffer (a vec4 at
// an address of its own per invocation): the ceiling of a kernel that loads one vec4 per vec4
// multiply-add, which is what bounds the matrix products where loads cost more than arithmetic.

override USE_FMA: bool = true;
override LOAD_OPERAND: bool = false;

struct Params {
  trips: u32,
  scale: f32,
  offset: f32,
  pad: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> sink: array<vec4f>;

fn step(a: vec4f, b: vec4f, c: vec4f) -> vec4f {
  if (USE_FMA) {
    return fma(a, b, c);
  }
  return a * b + c;
}

// The multiplier of step k of a loop trip: b itself, or a vec4 loaded from the sink (zeros until
// the end, so the chains stay finite), at an address that differs per invocation and per step.
fn operand(b: vec4f, id: u32, trip: u32, k: u32) -> vec4f {
  if (LOAD_OPERAND) {
    return sink[(id * 32u + trip * 7u + k) % arrayLength(&sink)];
  }
  return b;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let s = f32(id.x) * 1e-6;
  let b = vec4f(params.scale);
  let c = vec4f(params.offset);
  var a0 = vec4f(s, s + 0.1, s + 0.2, s + 0.3);
  var a1 = a0 + 1.0;
  var a2 = a0 + 2.0;
  var a3 = a0 + 3.0;
  var a4 = a0 + 4.0;
  var a5 = a0 + 5.0;
  var a6 = a0 + 6.0;
  var a7 = a0 + 7.0;
  for (var i = 0u; i < params.trips; i++) {
    // UNROLL = 4
    a0 = step(a0, operand(b, id.x, i, 0u), c); a1 = step(a1, operand(b, id.x, i, 1u), c);
    a2 = step(a2, operand(b, id.x, i, 2u), c); a3 = step(a3, operand(b, id.x, i, 3u), c);
    a4 = step(a4, operand(b, id.x, i, 4u), c); a5 = step(a5, operand(b, id.x, i, 5u), c);
    a6 = step(a6, operand(b, id.x, i, 6u), c); a7 = step(a7, operand(b, id.x, i, 7u), c);
    a0 = step(a0, operand(b, id.x, i, 8u), c); a1 = step(a1, operand(b, id.x, i, 9u), c);
    a2 = step(a2, operand(b, id.x, i, 10u), c); a3 = step(a3, operand(b, id.x, i, 11u), c);
    a4 = step(a4, operand(b, id.x, i, 12u), c); a5 = step(a5, operand(b, id.x, i, 13u), c);
    a6 = step(a6, operand(b, id.x, i, 14u), c); a7 = step(a7, operand(b, id.x, i, 15u), c);
    a0 = step(a0, operand(b, id.x, i, 16u), c); a1 = step(a1, operand(b, id.x, i, 17u), c);
    a2 = step(a2, operand(b, id.x, i, 18u), c); a3 = step(a3, operand(b, id.x, i, 19u), c);
    a4 = step(a4, operand(b, id.x, i, 20u), c); a5 = step(a5, operand(b, id.x, i, 21u), c);
    a6 = step(a6, operand(b, id.x, i, 22u), c); a7 = step(a7, operand(b, id.x, i, 23u), c);
    a0 = step(a0, operand(b, id.x, i, 24u), c); a1 = step(a1, operand(b, id.x, i, 25u), c);
    a2 = step(a2, operand(b, id.x, i, 26u), c); a3 = step(a3, operand(b, id.x, i, 27u), c);
    a4 = step(a4, operand(b, id.x, i, 28u), c); a5 = step(a5, operand(b, id.x, i, 29u), c);
    a6 = step(a6, operand(b, id.x, i, 30u), c); a7 = step(a7, operand(b, id.x, i, 31u), c);
  }
  sink[id.x] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}
