/**
 * The peer: the same chain in TensorFlow.js on its WebGPU backend, in the same page on the same
 * adapter. x (batch × width), `depth` layers a ← tanh(a·W) with Xavier-normal W, MSE loss against a
 * random target, gradients with respect to every W, and every layer's weight-gradient norm read back.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-backend-webgpu";

export interface PeerShape {
  depth: number;
  width: number;
  batch: number;
}

export interface PeerRun {
  /** Wall time of forward, backward and the norms' readback (weights made beforehand), ms. */
  wallMs: number;
  loss: number;
  weightGradNorms: number[];
}

/** Selects tfjs' WebGPU backend once; its name as tfjs reports it. */
export async function peerReady(): Promise<string> {
  if (tf.getBackend() !== "webgpu") {
    const ok = await tf.setBackend("webgpu");
    if (!ok) throw new Error("tfjs could not start its webgpu backend");
  }
  await tf.ready();
  return tf.getBackend();
}

/**
 * Makes the chain's weights, input and target (not timed), then runs forward and backward `runs`
 * times and returns each run's wall time; the first run is the caller's warm-up.
 */
export async function runPeer(shape: PeerShape, runs: number): Promise<PeerRun[]> {
  await peerReady();
  const { depth, width: n, batch } = shape;
  const std = Math.sqrt(2 / (n + n));
  const weights = Array.from({ length: depth }, (_, l) =>
    tf.variable(tf.randomNormal([n, n], 0, std, "float32", l + 1), true, `w${l + 1}`),
  );
  const x = tf.randomNormal([batch, n], 0, 1, "float32", 1_000_001);
  const target = tf.randomNormal([batch, n], 0, 1, "float32", 1_000_002);
  const lossOf = (): tf.Scalar => {
    let a = x as tf.Tensor2D;
    for (const w of weights) a = tf.tanh(tf.matMul(a, w)) as tf.Tensor2D;
    return tf.mean(tf.squaredDifference(a, target));
  };
  try {
    const results: PeerRun[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const [norms, loss] = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(lossOf, weights);
        return [tf.stack(weights.map((w) => tf.norm(grads[w.name] as tf.Tensor))), value];
      });
      const normValues = await norms.data();
      const lossValue = (await loss.data())[0] as number;
      const wallMs = performance.now() - started;
      tf.dispose([norms, loss]);
      results.push({ wallMs, loss: lossValue, weightGradNorms: Array.from(normValues) });
    }
    return results;
  } finally {
    tf.dispose([x, target, ...weights]);
  }
}
