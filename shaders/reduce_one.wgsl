// One slot's reduction right after the dispatch that wrote its partials, for runs too large to keep
// every layer's partials (src/gpu/plan.ts's reduceEachDispatch): Σ_p s_p · (m_p / max)² by one
// workgroup, each invocation summing a strided share, then a tree in workgroup memory.

override PARTIALS: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> sums: array<f32>;

var<workgroup> shares: array<f32, WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lidx: u32) {
  let bits = atomicLoad(&max_bits[params.out_slot]);
  var sum = 0.0;
  if (bits != 0u && bits < NON_FINITE_BITS) {
    let top = bitcast<f32>(bits);
    for (var p = lidx; p < PARTIALS; p += WORKGROUP) {
      let partial = partials[params.partial_base + p];
      let r = partial.x / top;
      sum += partial.y * r * r;
    }
  }
  shares[lidx] = sum;
  for (var half = WORKGROUP / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lidx < half) {
      shares[lidx] += shares[lidx + half];
    }
  }
  if (lidx == 0u) {
    sums[params.out_slot] = shares[0];
  }
}
