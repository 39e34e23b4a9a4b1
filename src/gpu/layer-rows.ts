/** One layer's weights as the GPU stores them: float32 values in the run's format, rows padded to a stride. */
import type { InitConfig, RunConfig } from "../core/config";
import { roundToFormat, storageFormat } from "../core/formats";
import { layerWeights } from "../core/init";

/** What computes one layer's rows: the init, width n, seed, layer l, the floats between rows and the numerics (float32 if absent). */
export interface LayerRowsRequest {
  init: InitConfig;
  n: number;
  seed: number;
  layer: number;
  stride: number;
  numerics?: RunConfig["numerics"];
}

/**
 * W_layer (core's layerWeights, float64) rounded to the run's format (float32 in tracked numerics),
 * once from the float64 value as the reference rounds it, row i at float i·stride: the bits the
 * GPU's weight buffer holds for that layer.
 */
export function layerRows({ init, n, seed, layer, stride, numerics }: LayerRowsRequest): Float32Array<ArrayBuffer> {
  const format = storageFormat(numerics ?? "float32");
  const drawn = layerWeights(init, n, seed, layer);
  const weights = format ? drawn.map((w) => roundToFormat(w, format)) : drawn;
  const rows = new Float32Array(stride * n);
  for (let i = 0; i < n; i++) rows.set(weights.subarray(i * n, (i + 1) * n), i * stride);
  return rows;
}
