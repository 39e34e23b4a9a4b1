// The adapter's arithmetic ceiling: CHAINS independent vec4 multiply-add chains per invocation,
// UNROLL steps of each per loop trip, one vec4 written at the end so nothing is dead code.
// Flops = 8 · (trips · UNROLL) · invocations · CHAINS (a vec4 multiply-add is 4 multiplies, 4 adds).

override USE_FMA: bool = true;

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
    a0 = step(a0, b, c); a1 = step(a1, b, c); a2 = step(a2, b, c); a3 = step(a3, b, c);
    a4 = step(a4, b, c); a5 = step(a5, b, c); a6 = step(a6, b, c); a7 = step(a7, b, c);
    a0 = step(a0, b, c); a1 = step(a1, b, c); a2 = step(a2, b, c); a3 = step(a3, b, c);
    a4 = step(a4, b, c); a5 = step(a5, b, c); a6 = step(a6, b, c); a7 = step(a7, b, c);
    a0 = step(a0, b, c); a1 = step(a1, b, c); a2 = step(a2, b, c); a3 = step(a3, b, c);
    a4 = step(a4, b, c); a5 = step(a5, b, c); a6 = step(a6, b, c); a7 = step(a7, b, c);
    a0 = step(a0, b, c); a1 = step(a1, b, c); a2 = step(a2, b, c); a3 = step(a3, b, c);
    a4 = step(a4, b, c); a5 = step(a5, b, c); a6 = step(a6, b, c); a7 = step(a7, b, c);
  }
  sink[id.x] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}
