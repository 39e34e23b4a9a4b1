/**
 * What each config of the bench's sweep (src/core/sweep.ts) costs in GPU bytes by the engine's
 * buffer plan, and the training sweep's configs (`npm run bench -- --train`). Node side; the page
 * only runs the configs.
 */
import { type RunConfig, TRAIN_LIMITS, validateConfig } from "../src/core/config";
import { benchConfig } from "../src/core/sweep";
import { type AdapterLimits, CapacityError, type PlanOptions, planRun } from "../src/gpu/plan";

export {
  benchConfig,
  flopsPerRun,
  LAYER_SWEEP,
  layerBenchConfig,
  SWEEP,
  type SweepPoint,
} from "../src/core/sweep";

/** Limits used when the page does not report its adapter's. */
export const DEFAULT_LIMITS: AdapterLimits = {
  maxBufferSize: 1 << 30,
  maxStorageBufferBindingSize: 1 << 30,
  minStorageBufferOffsetAlignment: 256,
};

/** Peak GPU bytes and the path from the engine's plan (with these options), or the CapacityError's message. */
export function planned(
  config: RunConfig,
  limits: AdapterLimits,
  options: PlanOptions = {},
): { totalBytes: number; path: string } | { refused: string } {
  try {
    const plan = planRun(config, limits, options);
    return { totalBytes: plan.totalBytes, path: plan.path };
  } catch (error) {
    if (error instanceof CapacityError) return { refused: error.message };
    throw error;
  }
}

/** A point of the training sweep: depth × width at one batch. */
export interface TrainPoint {
  depth: number;
  width: number;
  batch: number;
}

/** Batch of every training point: small enough that depth 1000 at width 256 trains in seconds per step here. */
export const TRAIN_BATCH = 16;

/** Depth 10, 100, 1000 × width 2, 16, 64, 256, batch TRAIN_BATCH (`npm run bench -- --train`). */
export const TRAIN_SWEEP: TrainPoint[] = [10, 100, 1000].flatMap((depth) =>
  [2, 16, 64, 256].map((width) => ({ depth, width, batch: TRAIN_BATCH })),
);

/** Learning rate of both trainers (plain sgd). */
export const TRAIN_LEARNING_RATE = 0.01;

/**
 * The single pass a training step is set against: the bench's tanh chain with Xavier-normal
 * weights, Gaussian input and a teacher target (y = T x), without train.
 */
export function passBenchConfig(point: TrainPoint): RunConfig {
  return validateConfig({ ...benchConfig({ axis: "depth", ...point }), target: "teacher" });
}

/**
 * The same chain trained with sgd at TRAIN_LEARNING_RATE: steps at their limit (the bench advances
 * only as far as it times) and one record, at step 0, so the passes after it reduce the loss only.
 */
export function trainBenchConfig(point: TrainPoint): RunConfig {
  const steps = TRAIN_LIMITS.steps.max;
  return validateConfig({
    ...passBenchConfig(point),
    train: { steps, optimizer: "sgd", learningRate: TRAIN_LEARNING_RATE, record: steps },
  });
}

/**
 * The histograms' bench rows (`npm run bench -- --histograms`): widths ≥ 64, as issue 13 sets its bound,
 * one of them deep (1000 layers: 2.2 MB of bins); and, outside the bound, for what the lab pays there,
 * the lecture's width 2 at depth 4096 (9 MB of bins beside a 20 ms run) and width 16 × batch 64 on
 * the per-example path.
 */
export const HISTOGRAM_SWEEP: TrainPoint[] = [
  { depth: 100, width: 64, batch: 64 },
  { depth: 50, width: 256, batch: 64 },
  { depth: 20, width: 512, batch: 32 },
  { depth: 1000, width: 64, batch: 16 },
  { depth: 4096, width: 2, batch: 1 },
  { depth: 100, width: 16, batch: 64 },
];

/** The numerics each point is timed in, float32 first: the others' times are set against its. */
export const BENCH_NUMERICS = ["float32", "float16", "bfloat16"] as const;

/**
 * The numerics bench's rows (`npm run bench -- --numerics`), shapes on each path: two layered (depth 100 × width 256 × batch 64, depth 50 × 64 × 16), one per
 * example (100 × 16 × 64) and two fused (300 × 16 × 16, and the lecture's width 2 at depth 1000).
 */
export const NUMERICS_SWEEP: TrainPoint[] = [
  { depth: 100, width: 256, batch: 64 },
  { depth: 50, width: 64, batch: 16 },
  { depth: 100, width: 16, batch: 64 },
  { depth: 300, width: 16, batch: 16 },
  { depth: 1000, width: 2, batch: 1 },
];

/** The bench's chain (tanh, Xavier-normal, Gaussian input and target) at a numerics point, in these numerics. */
export function numericsBenchConfig(point: TrainPoint, numerics: (typeof BENCH_NUMERICS)[number]): RunConfig {
  return validateConfig({ ...benchConfig({ axis: "depth", ...point }), numerics });
}
