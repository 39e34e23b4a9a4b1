/** One layer's weights as the GPU stores them: float32, rows padded to a stride. */
import type { InitConfig } from "../core/config";
import { layerWeights } from "../core/init";

/** What computes one layer's rows: the init, width n, seed, layer l and the floats between rows. */
export interface LayerRowsRequest {
  init: InitConfig;
  n: number;
  seed: number;
  layer: number;
  stride: number;
}

/**
 * W_layer (core's layerWeights, float64) rounded to float32, row i at float i·stride: the bits the
 * GPU's weight buffer holds for that layer.
 */
export function layerRows({ init, n, seed, layer, stride }: LayerRowsRequest): Float32Array<ArrayBuffer> {
  const weights = layerWeights(init, n, seed, layer);
  const rows = new Float32Array(stride * n);
  for (let i = 0; i < n; i++) rows.set(weights.subarray(i * n, (i + 1) * n), i * stride);
  return rows;
}
