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

/** The training loop's settings: the chain's shape, sgd's learning rate, and how long to time it. */
export interface PeerTrainSettings extends PeerShape {
  learningRate: number;
  /** Wall time the timed steps should take, ms: their count is sized from the warm-up step. */
  timedMs: number;
  /** Fewest and most timed steps. */
  minSteps: number;
  maxSteps: number;
}

/** What the peer's training measured: its timed steps, their wall time, and the loss before and after. */
export interface PeerTraining {
  steps: number;
  wallMs: number;
  /** Wall time of the first step (compiling tfjs' shaders), ms. */
  warmUpMs: number;
  /** Wall time of the step after it, which sized the timed ones, ms; null where the warm-up sized them. */
  probeMs: number | null;
  /** The loss at the drawn weights, and the loss the last timed step computed (before its own update). */
  lossFirst: number;
  lossLast: number;
}

/**
 * The same training loop as gradscope's in tfjs: Xavier-normal W (n × n) per layer, a teacher
 * target y = x·T (T entries N(0, 1/n)), forward a ← tanh(a·W), loss Σ‖a_L − y‖² / (2B) as SPEC.md's,
 * and per step `optimizer.minimize` (variableGrads, then tf.train.sgd's update of every W). One
 * warm-up step and one probe step (each read back), then N steps sized to take about `timedMs`,
 * timed up to the read-back of the last step's loss.
 */
export async function trainPeer(settings: PeerTrainSettings): Promise<PeerTraining> {
  await peerReady();
  const { depth, width: n, batch, learningRate } = settings;
  const std = Math.sqrt(2 / (n + n));
  const weights = Array.from({ length: depth }, (_, l) =>
    tf.variable(tf.randomNormal([n, n], 0, std, "float32", l + 1), true, `train-w${l + 1}`),
  );
  const x = tf.randomNormal([batch, n], 0, 1, "float32", 1_000_001);
  const teacher = tf.randomNormal([n, n], 0, 1 / Math.sqrt(n), "float32", 1_000_003);
  const target = tf.matMul(x, teacher);
  const optimizer = tf.train.sgd(learningRate);
  const lossOf = (): tf.Scalar => {
    let a = x as tf.Tensor2D;
    for (const w of weights) a = tf.tanh(tf.matMul(a, w)) as tf.Tensor2D;
    return tf.div(tf.sum(tf.squaredDifference(a, target)), 2 * batch);
  };
  const step = () => optimizer.minimize(lossOf, true, weights) as tf.Scalar;
  try {
    const began = performance.now();
    const first = step();
    const lossFirst = (await first.data())[0] as number;
    first.dispose();
    const warmUpMs = performance.now() - began;
    // The warm-up compiles; unless it alone took the timed steps' time, one more step (read back) sizes them.
    const probeMs = warmUpMs < settings.timedMs ? (await runSteps(step, 1)).wallMs : null;
    const stepMs = probeMs ?? warmUpMs;
    const steps = Math.max(settings.minSteps, Math.min(settings.maxSteps, Math.round(settings.timedMs / stepMs)));
    const { wallMs, loss: lossLast } = await runSteps(step, steps);
    return { steps, wallMs, warmUpMs, probeMs, lossFirst, lossLast };
  } finally {
    optimizer.dispose();
    tf.dispose([x, teacher, target, ...weights]);
  }
}

/** `count` steps submitted back to back, timed up to the read-back of the last one's loss. */
async function runSteps(step: () => tf.Scalar, count: number): Promise<{ wallMs: number; loss: number }> {
  const started = performance.now();
  let last: tf.Scalar | null = null;
  for (let i = 0; i < count; i++) {
    last?.dispose();
    last = step();
  }
  const loss = last ? ((await last.data())[0] as number) : Number.NaN;
  const wallMs = performance.now() - started;
  last?.dispose();
  return { wallMs, loss };
}
