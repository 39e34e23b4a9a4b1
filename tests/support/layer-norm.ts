/** What layer norm's theory predicts from a layer's pre-activations (tests/core/layer-theory.test.ts derives it). */
import { NORM_EPSILON } from "../../src/core/layers/norm";

/** mean_b v_b/(v_b + ε) over the examples of z·2^exponent2 (batch × n), v_b each example's population variance. */
export function layerNormMeanSquare(z: Float64Array, exponent2: number, n: number): number {
  const batch = z.length / n;
  let sum = 0;
  for (let b = 0; b < batch; b++) {
    const row = Array.from(z.subarray(b * n, (b + 1) * n), (v) => v * 2 ** exponent2);
    const mean = row.reduce((s, v) => s + v, 0) / n;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    sum += variance / (variance + NORM_EPSILON);
  }
  return sum / batch;
}
