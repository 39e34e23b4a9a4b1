// A run without histograms: shaders/histogram.wgsl's functions, doing nothing.

const HIST_ACT: u32 = 0u;
const HIST_GRAD: u32 = 1u;

fn hist_layer() -> u32 {
  return 0u;
}

fn hist_count(layer: u32, tensor: u32, v: f32) {}

fn hist_unit(layer: u32, unit: u32, h: f32) {}

fn hist_flush(layer: u32) {}
