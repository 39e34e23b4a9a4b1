// Training: counts the step t a pass's updates take (shaders/optimizer.wgsl reads it).

@group(0) @binding(0) var<storage, read_write> steps: array<u32>;

@compute @workgroup_size(1)
fn main() {
  steps[0] += 1u;
}
