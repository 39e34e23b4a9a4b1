// Forward through layers params.layer .. params.layer + params.layers − 1 for a batch of narrow
// examples, one invocation per example: its activation vector stays in private memory from layer
// to layer, W_l is read by rows as vec4s (stored, rows padded with zeros to 4·N4 floats), and every
// a_l is stored for the backward pass. No invocation reads what another writes, so there are no
// barriers, and the dispatch's workgroups spread over every core of a CPU-emulated GPU. Plain
// float32 numerics only: tracked numerics scale each layer by the whole batch's largest entry.
// The first chunk (params.layer 1) draws a_0 and y. Slot s keeps example e's partial at s·BATCH + e.
// With histograms (shaders/histogram.wgsl) each invocation counts its example's a_l into layer l's
// record: every a_l is computed once, so nothing is counted twice.

override N: u32 = 1u;
override N4: u32 = 1u;
override BATCH: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> biases: array<f32>;
@group(0) @binding(3) var<storage, read_write> acts: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> targets: array<f32>;

// a_0 and y of one example, with a_0's statistics.
fn draw_input(example: u32) -> ExampleVector {
  var a = ExampleVector();
  var m = Moments(0.0, 0.0);
  var bits = 0u;
  for (var unit = 0u; unit < N; unit++) {
    let x = input_entry(params.seed, example, unit);
    a[unit / 4u][unit % 4u] = x;
    targets[example * 4u * N4 + unit] = target_entry(params.seed, example, unit);
    m = moments_add(m, x);
    bits = max(bits, abs_bits(x));
    hist_count(0u, HIST_ACT, x);
  }
  for (var j = 0u; j < N4; j++) {
    acts[example * N4 + j] = a[j];
  }
  publish_stats(m, bits, 0u, example);
  return a;
}

@compute @workgroup_size(EXAMPLE_WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let example = gid.x;
  if (example >= BATCH) {
    return;
  }
  var a = ExampleVector();
  if (params.layer == 1u) {
    a = draw_input(example);
  } else {
    let row = example_row(params.layer - 1u, example);
    for (var j = 0u; j < N4; j++) {
      a[j] = acts[row + j];
    }
  }
  for (var layer = params.layer; layer < params.layer + params.layers; layer++) {
    let w = weight_row(layer, 0u);
    var next = ExampleVector();
    var m = Moments(0.0, 0.0);
    var bits = 0u;
    for (var i = 0u; i < N4; i++) {
      // Units 4i..4i+3 of z_l: rows 4i..4i+3 of W_l against a_{l-1}.
      let row = w + 4u * i * N4;
      var z = vec4<f32>(0.0);
      for (var j = 0u; j < N4; j++) {
        let x = a[j];
        z += vec4<f32>(
          dot(weights[row + j], x),
          dot(weights[row + N4 + j], x),
          dot(weights[row + 2u * N4 + j], x),
          dot(weights[row + 3u * N4 + j], x),
        );
      }
      for (var c = 0u; c < 4u; c++) {
        let unit = 4u * i + c;
        if (unit < N) {
          let v = plain_output(pre_activation(z[c], biases[(layer - 1u) * N + unit], PLAIN_SCALE));
          next[i][c] = v;
          m = moments_add(m, v);
          bits = max(bits, abs_bits(v));
          hist_count(layer, HIST_ACT, v);
          hist_unit(layer, unit, v);
        }
      }
    }
    let out = example_row(layer, example);
    for (var j = 0u; j < N4; j++) {
      a[j] = next[j];
      acts[out + j] = next[j];
    }
    publish_stats(m, bits, layer, layer * BATCH + example);
    hist_flush(layer);
  }
}
