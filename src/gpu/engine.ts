/**
 * The GPU engine: runs a config as SPEC.md says, in one submission (in chunks for a long run given
 * a signal): weights, biases and data drawn on the GPU; forward; backward with weight gradients;
 * every statistic reduced on the GPU; only O(L) numbers read back. The plan (src/gpu/plan.ts) says
 * how it fits memory; the dispatches are built by src/gpu/run-encoder.ts.
 */
import type { RunConfig } from "../core/config";
import { assembleResult, type GpuMemory, type RunResult, type RunSummaries, type TensorSummary } from "../core/result";
import { Autotuner, BLOCK_CHOICES, DEFAULT_TILING, type ProductTiling, WORKGROUP_CHOICES } from "./autotune";
import { BufferSet, type GpuContext, runSubnormals, withGpu } from "./device";
import { LayeredSteps } from "./layered-steps";
import { fusedSteps, perExampleSteps } from "./narrow-steps";
import { DEFAULT_MEMORY_BUDGET, planRun, RUN_PATHS, type RunPath, WEIGHT_SOURCES, type WeightSource } from "./plan";
import { histogramOffset, RunEncoder, type Step, timestampOffset } from "./run-encoder";
import type { SlotLayout } from "./slots";

/** How each path builds its dispatches for a run. */
const PATH_STEPS: Readonly<Record<RunPath, (run: RunEncoder) => Step[][]>> = {
  fused: fusedSteps,
  "per-example": perExampleSteps,
  layered: (run) => new LayeredSteps(run).build(),
};

export interface GpuRunOptions {
  /** Most bytes of GPU buffers the run may allocate (default 1 GiB). */
  memoryBudgetBytes?: number;
  /** Largest buffer of activations or weights, below the adapter's limits: splits them sooner (tests). */
  maxLayerBufferBytes?: number;
  /** "layered", "fused" or "per-example" (see RunPath); by default chosen from the config. */
  path?: RunPath;
  /** Layered path: activation buffers kept (BufferPlan.positions); default every layer, or as many as fit. */
  positions?: number;
  /** Layered path: weights stored or drawn where used (default stored when they fit). */
  weights?: WeightSource;
  /** Layered path: reduce each tensor's statistics right after it (default only when they would not fit). */
  reduceEachDispatch?: boolean;
  /**
   * Layered path: invocations per workgroup of the matrix-product kernels, one of
   * WORKGROUP_CHOICES, and the side of the output tile each computes, one of BLOCK_CHOICES. Either
   * one given takes the other from DEFAULT_TILING; neither: src/gpu/autotune.ts chooses both for
   * the adapter and shape. Every choice gives the same bits.
   */
  workgroup?: number;
  block?: number;
  /**
   * Lets the caller give up on a long run: runs of more than CHUNKED_FLOPS (src/gpu/run-encoder.ts)
   * are then submitted in chunks of about CHUNK_MS each, and an abort stops the run (rejecting with
   * the signal's reason) after the chunk in flight. Without a signal a run is one submission.
   */
  signal?: AbortSignal;
  /**
   * Called after each chunk of a run submitted in chunks (a long run given a signal) with the
   * fraction of its floating-point work done, 0 < fraction ≤ 1.
   */
  onProgress?: (fraction: number) => void;
  /**
   * Also count a_l and ∂ℓ/∂a_l per binade, and each layer's saturated entries and dead units
   * (result.histograms), on whichever path the run takes.
   */
  histograms?: boolean;
}

/**
 * The tiling autotune of the product kernels (src/gpu/autotune.ts): each trial is a one-layer run
 * timed by GPU timestamps where the adapter has them, else by the wall clock.
 */
export const autotune = new Autotuner(async (probe, tiling) => {
  const { timingMs } = await withGpu((gpu) => runOnDevice(gpu, probe, { path: "layered", ...tiling }));
  const { gpu, wall } = timingMs;
  return gpu ? { ms: gpu.forward + gpu.backward, gpuTime: true } : { ms: wall, gpuTime: false };
});

/**
 * Runs a config once, and once more if its shape class's tiling trial was still to run (it runs
 * between the two), so that runs timed after it use the tuned tiling with its pipelines compiled.
 */
export async function warmUp(config: RunConfig): Promise<RunResult> {
  const first = await runOnGpu(config);
  return (await autotune.settle()) > 0 ? runOnGpu(config) : first;
}

const NON_FINITE_BITS = 0x7f800000;

/**
 * Runs a validated config on the GPU and returns SPEC.md's result; a run whose device is lost runs
 * once more on a fresh device (withGpu in src/gpu/device.ts).
 */
export async function runOnGpu(config: RunConfig, options: GpuRunOptions = {}): Promise<RunResult> {
  if (config.train) throw new RangeError("a config with train runs through trainOnGpu (src/gpu/trainer.ts)");
  options.signal?.throwIfAborted();
  const ended = autotune.runStarted();
  try {
    return await withGpu((gpu) => runOnDevice(gpu, config, options), options.signal);
  } finally {
    ended();
  }
}

async function runOnDevice(gpu: GpuContext, config: RunConfig, options: GpuRunOptions): Promise<RunResult> {
  const started = performance.now();
  options.signal?.throwIfAborted();
  const budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET;
  const { maxLayerBufferBytes, path, positions, weights, reduceEachDispatch, histograms } = options;
  checkChoice("path", path, RUN_PATHS);
  checkChoice("weights", weights, WEIGHT_SOURCES);
  const plan = planRun(config, gpu.limits, {
    budget,
    ...(maxLayerBufferBytes ? { layerBufferCap: maxLayerBufferBytes } : {}),
    ...(path ? { path } : {}),
    ...(positions !== undefined ? { positions } : {}),
    ...(weights ? { weights } : {}),
    ...(reduceEachDispatch !== undefined ? { reduceEachDispatch } : {}),
    ...(histograms ? { histograms } : {}),
  });
  const { device } = gpu;
  const tiling = plan.path === "layered" ? chooseTiling(gpu.adapterName, config, options) : DEFAULT_TILING;
  options.signal?.throwIfAborted();
  const buffers = new BufferSet(device);
  const querySet = gpu.timestamps ? device.createQuerySet({ type: "timestamp", count: 6 }) : null;
  device.pushErrorScope("out-of-memory");
  device.pushErrorScope("validation");
  let scopes = 2;
  const popScope = () => {
    scopes--;
    return device.popErrorScope();
  };
  try {
    const run = new RunEncoder(gpu, config, plan, buffers, querySet, tiling);
    const { readback, timed } = await run.submit(PATH_STEPS[plan.path], options.signal, options.onProgress);
    const validation = await popScope();
    const memory = await popScope();
    const error = validation ?? memory;
    if (error) throw new Error(`WebGPU refused the run: ${error.message}`);
    await readback.mapAsync(GPUMapMode.READ);
    const bytes = readback.getMappedRange().slice(0);
    readback.unmap();
    const summaries = readSummaries(plan.slotLayout, bytes);
    if (plan.histograms) {
      const words = new Uint32Array(bytes, histogramOffset(plan.slots), plan.histograms.reportedBytes / 4);
      const exponents = { act: summaries.act.map((s) => s.exponent2), grad: summaries.grad.map((s) => s.exponent2) };
      summaries.histograms = plan.histograms.read(words, exponents);
    }
    const gpuTimes = timed ? readTimestamps(bytes, timestampOffset(plan.slots)) : undefined;
    const timing = { wall: performance.now() - started, ...(gpuTimes ? { gpu: gpuTimes } : {}) };
    const fit: GpuMemory = {
      bytes: plan.totalBytes,
      budgetBytes: budget,
      activationsKept: plan.positions,
      weights: plan.storedWeights ? "stored" : "regenerated",
      reducedEachDispatch: plan.reduceEachDispatch,
    };
    const result = assembleResult(config, "webgpu", summaries, runSubnormals(config.numerics, gpu.subnormals), timing);
    return { ...result, dispatches: run.dispatches, memory: fit };
  } finally {
    // An aborted or failed run leaves no error scope behind for the next one.
    while (scopes > 0) await popScope();
    buffers.destroyAll();
    querySet?.destroy();
  }
}

/** A RangeError naming the option unless `value` is unset or one of `choices`. */
export function checkChoice<T>(field: string, value: T | undefined, choices: readonly T[]): void {
  if (value !== undefined && !choices.includes(value)) {
    throw new RangeError(`${field} must be one of ${choices.join(", ")}, got ${String(value)}`);
  }
}

/** The given tiling (checked), or the autotune's for this adapter and shape, at once. */
export function chooseTiling(adapter: string, config: RunConfig, options: GpuRunOptions): ProductTiling {
  const { workgroup, block } = options;
  if (workgroup === undefined && block === undefined) return autotune.tiling(adapter, config);
  checkChoice("workgroup", workgroup, WORKGROUP_CHOICES);
  checkChoice("block", block, BLOCK_CHOICES);
  return { workgroup: workgroup ?? DEFAULT_TILING.workgroup, block: block ?? DEFAULT_TILING.block };
}

/**
 * The summary of each slot from the three arrays the readback holds at `offset` (largest |v| as
 * bits, exponents, sums of `slots` slots each).
 */
export function slotSummaries(bytes: ArrayBuffer, slots: number, offset = 0): (slot: number) => TensorSummary {
  const bits = new Uint32Array(bytes, offset, slots);
  const maxAbs = new Float32Array(bytes, offset, slots);
  const exponents = new Int32Array(bytes, offset + 4 * slots, slots);
  const sums = new Float32Array(bytes, offset + 8 * slots, slots);
  return (slot) => ({
    maxAbs: maxAbs[slot] as number,
    scaledSumSq: sums[slot] as number,
    nonFinite: (bits[slot] as number) >= NON_FINITE_BITS,
    exponent2: exponents[slot] as number,
  });
}

export function readSummaries(layout: SlotLayout, bytes: ArrayBuffer, offset = 0): RunSummaries {
  const summary = slotSummaries(bytes, layout.reported, offset);
  const layers = Array.from({ length: layout.depth + 1 }, (_, l) => l);
  return {
    act: layers.map((l) => summary(layout.act(l))),
    grad: layers.map((l) => summary(layout.grad(l))),
    weightGrad: layers.map((l) => (l === 0 ? null : summary(layout.weightGrad(l)))),
  };
}

function readTimestamps(bytes: ArrayBuffer, offset: number): NonNullable<RunResult["timingMs"]["gpu"]> {
  const ns = new BigInt64Array(bytes, offset, 6);
  const ms = (from: number, to: number) => Number((ns[to] as bigint) - (ns[from] as bigint)) / 1e6;
  return { init: ms(0, 1), forward: ms(2, 3), backward: ms(4, 5), total: ms(0, 5) };
}
