/**
 * `npm run bench -- --train`: training steps per second on the built page in the system Chromium,
 * gradscope's GPU trainer (GpuTrainer, what api.train makes) against the same training loop in
 * TensorFlow.js on its WebGPU backend, with a single forward and backward pass of each config beside
 * the training step. Prints a Markdown table and writes bench/results/<date>-<adapter>-train.json;
 * asserts nothing about time.
 */
import { test } from "vitest";
import type { RunConfig } from "../src/core/config";
import { median } from "../src/core/sweep";
import type { RunPath } from "../src/gpu/plan";
import { openBenchPage } from "./page-bundle";
import { callBench, type Page, unwrap } from "./page-call";
import {
  formatTrainTable,
  type PassTiming,
  recordHeader,
  resultsPath,
  type TrainRow,
  type TrainTiming,
  trainTarget,
  writeRecord,
} from "./report";
import {
  DEFAULT_LIMITS,
  passBenchConfig,
  planned,
  TRAIN_BATCH,
  TRAIN_LEARNING_RATE,
  TRAIN_SWEEP,
  type TrainPoint,
  trainBenchConfig,
} from "./sweep";

/** Wall time each side's timed steps should take, ms (their count is sized from the warm-up). */
const TIMED_MS = 4_000;
/** gradscope's warm-up advance, after its first pass and a one-step probe, ms: its chunks grow meanwhile. */
const WARM_UP_MS = 1_000;
/** Fewest timed steps: gradscope's, tfjs'; and the most of either. */
const OUR_MIN_STEPS = 2;
const PEER_MIN_STEPS = 2;
const MAX_STEPS = 2_000;
/**
 * A side is skipped at a depth where one step would take longer than this, ms, as predicted from the
 * same width's step at the depth before (× the depths' ratio): its warm-up and timed steps would
 * take minutes on SwiftShader here.
 */
const STEP_LIMIT_MS = 30_000;
/** Timed single passes after the warm-up, fewer where they would take longer than PASS_TIME_MS. */
const PASS_REPEATS = 3;
const PASS_TIME_MS = 6_000;
/** BENCH_QUICK=1: only depth 10, to try the bench out. */
const QUICK = process.env.BENCH_QUICK === "1";

/** A side's timed steps as the table shows them. */
const timing = (
  measured: { steps: number; wallMs: number; lossFirst: number | null; lossLast: number | null },
  firstMs: number,
  warmStepMs: number,
): TrainTiming => ({
  steps: measured.steps,
  wallMs: measured.wallMs,
  stepMs: measured.wallMs / measured.steps,
  stepsPerSecond: (1000 * measured.steps) / measured.wallMs,
  lossFirst: measured.lossFirst,
  lossLast: measured.lossLast,
  firstMs,
  warmStepMs,
});

/**
 * A single pass (without train) on the given path or the engine's own: a warm-up (two where the
 * first queued a tiling trial, which runs between them), then the median of up to PASS_REPEATS
 * runs' forward + backward GPU time (timestamps; wall where the adapter has none).
 */
async function measurePass(
  page: Page,
  config: RunConfig,
  path: RunPath | undefined,
  label: string,
): Promise<PassTiming> {
  const first = unwrap(await callBench(page, "passOurs", config, path));
  const tuned = unwrap(await callBench(page, "settleTuning")) > 0;
  const warm = tuned ? unwrap(await callBench(page, "passOurs", config, path)) : first;
  const repeats = Math.max(0, Math.min(PASS_REPEATS, Math.floor(PASS_TIME_MS / warm.timingMs.wall)));
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(unwrap(await callBench(page, "passOurs", config, path)));
  if (runs.length === 0) runs.push(warm);
  const gpu = runs.map((r) => r.timingMs.gpu);
  const timestamps = gpu.every((t) => t !== undefined);
  return {
    path: label,
    ms: median(runs.map((r) => (r.timingMs.gpu ? r.timingMs.gpu.forward + r.timingMs.gpu.backward : r.timingMs.wall))),
    clock: timestamps ? "timestamp-query" : "wall",
    wallMs: median(runs.map((r) => r.timingMs.wall)),
    dispatches: warm.dispatches,
    runs: runs.length,
  };
}

/** Step ms at the depth before for this width, by side, for the skip rule. */
type Previous = Map<string, { depth: number; stepMs: number }>;

/** Why a side is skipped at this point (its step predicted over STEP_LIMIT_MS), or null to run it. */
function skipReason(previous: Previous, side: string, point: TrainPoint): string | null {
  const before = previous.get(`${side} ${point.width}`);
  if (!before) return null;
  const predicted = (before.stepMs * point.depth) / before.depth;
  if (predicted <= STEP_LIMIT_MS) return null;
  const seconds = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 1 : 0);
  return `a step predicted at ${seconds(predicted)} s (depth ${before.depth}'s ${seconds(before.stepMs)} s × ${point.depth / before.depth}), over ${STEP_LIMIT_MS / 1000} s`;
}

/** Runs one side of a point unless skipped; records its figure, its error or why it was skipped. */
async function side<T>(
  row: TrainRow,
  name: string,
  skip: string | null,
  measure: () => Promise<T>,
): Promise<T | undefined> {
  if (skip) {
    row.skipped = { ...row.skipped, [name]: skip };
    return undefined;
  }
  try {
    return await measure();
  } catch (error) {
    row.errors = { ...row.errors, [name]: (error as Error).message };
    return undefined;
  }
}

/** Every measurement of one point: the passes, gradscope's training and tfjs'. */
async function measurePoint(page: Page, point: TrainPoint, previous: Previous, limits: typeof DEFAULT_LIMITS) {
  const row: TrainRow = { ...point };
  const passConfig = passBenchConfig(point);
  const trainConfig = trainBenchConfig(point);
  const ourSkip = skipReason(previous, "gradscope", point);
  const plan = planned(passConfig, limits);
  const path = "refused" in plan ? "refused" : plan.path;
  const trainPlan = planned(trainConfig, limits);
  if (!("refused" in trainPlan)) row.trainPath = trainPlan.path;
  row.layeredPass = await side(row, "layered pass", ourSkip, () => measurePass(page, passConfig, "layered", "layered"));
  row.pass =
    path === "layered"
      ? row.layeredPass
      : await side(row, "pass", ourSkip, () => measurePass(page, passConfig, undefined, path));
  row.ours = await side(row, "gradscope", ourSkip, async () => {
    const trained = unwrap(
      await callBench(page, "trainOurs", trainConfig, {
        warmUpMs: WARM_UP_MS,
        timedMs: TIMED_MS,
        minSteps: OUR_MIN_STEPS,
        maxSteps: MAX_STEPS,
      }),
    );
    return timing(trained, trained.firstMs, trained.warmStepMs);
  });
  row.peer = await side(row, "tfjs", skipReason(previous, "tfjs", point), async () => {
    const trained = unwrap(
      await callBench(page, "trainPeer", {
        ...point,
        learningRate: TRAIN_LEARNING_RATE,
        timedMs: TIMED_MS,
        minSteps: PEER_MIN_STEPS,
        maxSteps: MAX_STEPS,
      }),
    );
    return timing(trained, trained.warmUpMs, trained.probeMs ?? trained.warmUpMs);
  });
  if (row.ours) previous.set(`gradscope ${point.width}`, { depth: point.depth, stepMs: row.ours.stepMs });
  if (row.peer) previous.set(`tfjs ${point.width}`, { depth: point.depth, stepMs: row.peer.stepMs });
  return row;
}

/**
 * One step of each trainer on the sweep's first point, not recorded: the first use of each in the
 * page (the bundle's GPU device, tfjs' backend and its shader cache) falls outside every timing.
 */
async function warmUpBoth(page: Page): Promise<void> {
  const point = TRAIN_SWEEP[0] as TrainPoint;
  const once = { timedMs: 0, minSteps: 1, maxSteps: 1 };
  unwrap(await callBench(page, "trainOurs", trainBenchConfig(point), { ...once, warmUpMs: 0 }));
  unwrap(await callBench(page, "trainPeer", { ...point, learningRate: TRAIN_LEARNING_RATE, ...once }));
}

test("bench: training steps per second, gradscope's GPU trainer against tfjs", async () => {
  const began = performance.now();
  const opened = await openBenchPage(true);
  const { page } = opened;
  try {
    const adapter = unwrap(await callBench(page, "adapterInfo"));
    const peerBackend = unwrap(await callBench(page, "peerReady"));
    const browserVersion = page.context().browser()?.version() ?? "unknown";
    const limits = adapter.limits ?? DEFAULT_LIMITS;
    console.log(`adapter ${JSON.stringify(adapter.info)}; Chromium ${browserVersion}; tfjs backend ${peerBackend}`);
    await warmUpBoth(page);
    const previous: Previous = new Map();
    const rows: TrainRow[] = [];
    for (const point of TRAIN_SWEEP) {
      if (QUICK && point.depth > 10) continue;
      const started = performance.now();
      const row = await measurePoint(page, point, previous, limits);
      rows.push(row);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `L ${row.depth} n ${row.width} B ${row.batch}: ${seconds} s; gradscope ${row.ours?.stepsPerSecond.toPrecision(3) ?? "–"} steps/s, tfjs ${row.peer?.stepsPerSecond.toPrecision(3) ?? "–"}${row.errors ? `; errors ${JSON.stringify(row.errors)}` : ""}`,
      );
    }
    const notes = [
      `adapter: ${[adapter.info.vendor, adapter.info.architecture, adapter.info.device, adapter.info.description].filter(Boolean).join(" / ")}; Chromium ${browserVersion}; tfjs backend ${peerBackend}`,
      `config: tanh, Xavier-normal weights, Gaussian input, teacher target (y = T x), no bias, float32; sgd at learning rate ${TRAIN_LEARNING_RATE}, batch ${TRAIN_BATCH}; the loss Σ‖a_L − y‖² / (2B) in both`,
      `gradscope: GpuTrainer (api.train on the GPU, on the path its plan takes, shown beside the step), one record at step 0; after its first pass, one step and a warm-up advance of about ${WARM_UP_MS / 1000} s, one advance of N steps sized to about ${TIMED_MS / 1000} s (at least ${OUR_MIN_STEPS}), wall time to its last chunk's read-back`,
      `tfjs: @tensorflow/tfjs-core + tfjs-backend-webgpu, per step optimizer.minimize (variableGrads, then tf.train.sgd's update of every W); after one warm-up step and one probe step (each read back; no probe where the warm-up took over ${TIMED_MS / 1000} s), N steps sized to about ${TIMED_MS / 1000} s (at least ${PEER_MIN_STEPS}), wall time to the read-back of the last step's loss`,
      `pass ms: one forward + backward pass of the config without train, GPU timestamp time of forward + backward (init excluded; wall where the adapter has no timestamps), median of up to ${PASS_REPEATS} after a warm-up; on the engine's own path (fused for batch × width ≤ 256, per-example for n²·B ≤ 2^15, else layered) and on the layered path`,
      "step / pass: a training step's wall ms over a pass's GPU ms (issue 12's target: ≤ 1.5), on the engine's own path and on the layered one",
      `gradscope / tfjs: steps per second over tfjs' (issue 12's targets: ≥ ${trainTarget(16)} at width ≤ 16, ≥ ${trainTarget(64)} at width 64..256)`,
      "loss: the loss at the drawn weights → the loss the last timed step computed (the two draw different weights: not comparable digit for digit)",
      "before the sweep, each trainer runs one untimed step on the first point (the first use of the bundle's GPU device and of tfjs' backend)",
      `skipped: a side whose step, predicted from the same width at the depth before, would take over ${STEP_LIMIT_MS / 1000} s`,
      ...(QUICK ? ["BENCH_QUICK: depth 10 only"] : []),
    ];
    const table = formatTrainTable(rows);
    const elapsed = (performance.now() - began) / 1000;
    console.log(`${table}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n\nbench took ${elapsed.toFixed(0)} s`);

    const name = resultsPath(adapter, `-train${QUICK ? "-quick" : ""}`);
    const record = {
      ...recordHeader(adapter, limits, browserVersion, peerBackend),
      settings: {
        batch: TRAIN_BATCH,
        learningRate: TRAIN_LEARNING_RATE,
        timedMs: TIMED_MS,
        warmUpMs: WARM_UP_MS,
        minSteps: { gradscope: OUR_MIN_STEPS, tfjs: PEER_MIN_STEPS },
        maxSteps: MAX_STEPS,
        stepLimitMs: STEP_LIMIT_MS,
        quick: QUICK,
      },
      notes,
      rows,
      elapsedSeconds: elapsed,
    };
    writeRecord(name, record);
  } finally {
    await opened.close();
  }
}, 1_800_000);
