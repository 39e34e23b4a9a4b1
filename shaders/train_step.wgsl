// Training: counts the step t a pass's updates take (shaders/update.wgsl's Adam bias correction).

@group(0) @binding(0) var<storage, read_write> step_count: array<u32>;

@compute @workgroup_size(1)
fn main() {
  step_count[0] += 1u;
}
