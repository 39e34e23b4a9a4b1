/**
 * Training on the GPU (SPEC.md, "Training"): the weights, the optimizer state and one layer's weight
 * gradient stay on the device, and each pass (forward, backward, every layer's update right after
 * its backward, the statistics) is encoded without reading anything back. Each pass's loss, and the
 * slots of every recorded pass, are copied into a staging buffer that is read back once per chunk
 * of passes, double-buffered so that the GPU runs the next chunk while the page reads the last.
 */
import type { RunConfig } from "../core/config";
import { assembleResult, type GpuMemory, log10Norm, lossOf, type RunResult, type Subnormals } from "../core/result";
import {
  isRecorded,
  type TrainedResult,
  type Trainer,
  type TrainingRecord,
  type TrainingUpdate,
} from "../core/training";
import { acquireGpu, BufferSet, type GpuContext, GpuDeviceLostError, runSubnormals, wasLost } from "./device";
import { autotune, chooseTiling, type GpuRunOptions, readSummaries, slotSummaries } from "./engine";
import { LayeredSteps } from "./layered-steps";
import { fusedTrainingSteps } from "./narrow-steps";
import { type BufferPlan, DEFAULT_MEMORY_BUDGET, planRun } from "./plan";
import { RunEncoder, type TrainingSteps } from "./run-encoder";
import { CHUNK_MS, TRAIN_CHUNK_DISPATCHES } from "./tuning";

/** Options of a GPU training run: a single pass's memory and tiling options. */
export type GpuTrainOptions = Pick<
  GpuRunOptions,
  "memoryBudgetBytes" | "workgroup" | "block" | "positions" | "path" | "reduceEachDispatch"
>;

/** One chunk's staging buffer and what it will hold. */
interface Staging {
  buffer: GPUBuffer;
  from: number;
  passes: number;
  recordSteps: number[];
}

/** How many times trainOnGpu reports its progress. */
const PROGRESS_REPORTS = 20;

/**
 * Bytes of one pass's loss in the staging: ∂ℓ/∂a_L's largest entry, exponent and sum, kept as three
 * arrays of passesPerReadback each (the layout slotSummaries reads), then the records.
 */
const LOSS_BYTES = 12;

/** A training run on the shared GPU device (see the module's comment); dispose() frees its buffers. */
export class GpuTrainer implements Trainer {
  private passesRun = 0;
  private disposed = false;
  private busy = false;
  /** Passes per chunk, grown while chunks run quickly (each chunk is one submission and one readback). */
  private chunkPasses = 1;
  private readonly staging: GPUBuffer[];

  private constructor(
    readonly config: RunConfig,
    private readonly gpu: GpuContext,
    private readonly plan: BufferPlan,
    private readonly run: RunEncoder,
    private readonly buffers: BufferSet,
    private readonly steps: TrainingSteps,
    private readonly budgetBytes: number,
  ) {
    const training = plan.training;
    if (!training) throw new RangeError("a GPU trainer needs a training plan");
    const { MAP_READ, COPY_DST } = GPUBufferUsage;
    const bytes = LOSS_BYTES * training.passesPerReadback + training.recordsPerReadback * training.recordBytes;
    this.staging = [0, 1].map((i) => buffers.create(`training readback ${i}`, bytes, MAP_READ | COPY_DST));
  }

  /** Plans, allocates and encodes a training run; nothing runs until the first advance. */
  static async create(config: RunConfig, options: GpuTrainOptions = {}): Promise<GpuTrainer> {
    if (!config.train) throw new RangeError("a GPU trainer needs a config with train set");
    const gpu = await acquireGpu();
    const budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET;
    const plan = planRun(config, gpu.limits, {
      budget,
      ...(options.positions !== undefined ? { positions: options.positions } : {}),
      ...(options.path ? { path: options.path } : {}),
      ...(options.reduceEachDispatch !== undefined ? { reduceEachDispatch: options.reduceEachDispatch } : {}),
    });
    const tiling = chooseTiling(gpu.adapterName, config, options);
    const buffers = new BufferSet(gpu.device);
    try {
      const run = new RunEncoder(gpu, config, plan, buffers, null, tiling);
      await run.prepare();
      const steps = plan.path === "fused" ? fusedTrainingSteps(run) : new LayeredSteps(run).trainingSteps();
      run.writeParams();
      return new GpuTrainer(config, gpu, plan, run, buffers, steps, budget);
    } catch (error) {
      buffers.destroyAll();
      throw error;
    }
  }

  get passes(): number {
    return this.passesRun;
  }

  get done(): boolean {
    return this.passesRun > (this.config.train?.steps ?? 0);
  }

  /** How the run fits its memory budget (the result's `memory`). */
  get memory(): GpuMemory {
    const { plan } = this;
    return {
      bytes: plan.totalBytes,
      budgetBytes: this.budgetBytes,
      activationsKept: plan.positions,
      weights: "stored",
      reducedEachDispatch: plan.reduceEachDispatch,
    };
  }

  async advance(count: number, signal?: AbortSignal): Promise<TrainingUpdate> {
    if (this.disposed) throw new Error("this trainer was disposed");
    if (this.busy) throw new Error("this trainer is already advancing: await the last advance first");
    signal?.throwIfAborted();
    this.busy = true;
    // No tiling trial starts while the trainer advances (it would time itself against the passes).
    const ended = autotune.runStarted();
    const from = this.passesRun;
    const update: TrainingUpdate = { from, loss: [], records: [], initial: null };
    const { device } = this.gpu;
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    let scopes = 2;
    try {
      await this.runChunks(Math.max(0, Math.min(count, this.totalPasses - from)), update, signal);
      const validation = await device.popErrorScope();
      const memory = await device.popErrorScope();
      scopes = 0;
      const error = validation ?? memory;
      if (error) throw new Error(`WebGPU refused the training run: ${error.message}`);
      return update;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (await wasLost(this.gpu.device)) {
        this.dispose();
        throw new GpuDeviceLostError("the GPU device was lost during training: start the training again", {
          cause: error,
        });
      }
      throw error;
    } finally {
      // An aborted or failed advance leaves no error scope behind.
      for (; scopes > 0; scopes--) await device.popErrorScope().catch(() => null);
      this.busy = false;
      ended();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Buffers still mapped or in use are destroyed once the GPU is done with them.
    this.buffers.destroyAll();
  }

  private get totalPasses(): number {
    return (this.config.train?.steps ?? 0) + 1;
  }

  /**
   * Runs `count` passes in chunks, each one submission copying into one of the two staging buffers;
   * a chunk is read back while the next one runs. Chunks grow (×2) while they take under CHUNK_MS,
   * up to the staging's capacity, so that an abort or a pause takes effect within about CHUNK_MS.
   */
  private async runChunks(count: number, update: TrainingUpdate, signal?: AbortSignal): Promise<void> {
    const training = this.plan.training;
    if (!training) return;
    let pending: Promise<void> | null = null;
    let remaining = count;
    let index = 0;
    try {
      while (remaining > 0) {
        signal?.throwIfAborted();
        const passes = this.chunkSize(remaining, training.passesPerReadback, training.recordsPerReadback);
        const staging = this.stageChunk(this.staging[index % 2] as GPUBuffer, passes);
        const began = performance.now();
        this.gpu.device.queue.submit([this.encodeChunk(staging)]);
        this.passesRun += passes;
        remaining -= passes;
        index++;
        if (pending) await pending;
        pending = this.readChunk(staging, update).then(() => {
          const ms = performance.now() - began;
          if (ms < CHUNK_MS / 2) this.chunkPasses *= 2;
          else if (ms > 2 * CHUNK_MS) this.chunkPasses = Math.max(1, Math.floor(this.chunkPasses / 2));
        });
      }
    } finally {
      // Even when aborted, the chunk in flight is read, so its staging buffer is free for the next advance.
      if (pending) await pending;
    }
  }

  /** Passes of the next chunk: the grown size, within what is left and what one staging buffer holds. */
  private chunkSize(remaining: number, maxPasses: number, maxRecords: number): number {
    const train = this.config.train;
    if (!train) return 0;
    const perPass = this.steps.recorded.length;
    const encodable = Math.max(1, Math.floor(TRAIN_CHUNK_DISPATCHES / perPass));
    let passes = Math.min(remaining, maxPasses, this.chunkPasses, encodable);
    // Cut the chunk where its records would overflow the staging.
    let records = 0;
    for (let i = 0; i < passes; i++) {
      if (isRecorded(train, this.passesRun + i) && ++records > maxRecords) {
        passes = i;
        break;
      }
    }
    return Math.max(1, passes);
  }

  private stageChunk(buffer: GPUBuffer, passes: number): Staging {
    const train = this.config.train;
    const from = this.passesRun;
    const recordSteps: number[] = [];
    for (let t = from; t < from + passes; t++) if (train && isRecorded(train, t)) recordSteps.push(t);
    return { buffer, from, passes, recordSteps };
  }

  /** The chunk's passes, each followed by its copies into the staging and the clearing of its slots. */
  private encodeChunk(staging: Staging): GPUCommandBuffer {
    const { run, plan } = this;
    const training = plan.training;
    const train = this.config.train;
    if (!training || !train) throw new RangeError("not a training run");
    const encoder = this.gpu.device.createCommandEncoder({ label: `training passes ${staging.from}..` });
    const slots = plan.slotLayout;
    const lossSlot = slots.grad(plan.depth);
    const recordsAt = LOSS_BYTES * training.passesPerReadback;
    let records = 0;
    for (let i = 0; i < staging.passes; i++) {
      const t = staging.from + i;
      if (t === 0) {
        run.clearStatistics(encoder);
        run.encodePass(encoder, this.steps.init);
      } else {
        run.clearStatistics(encoder, 1);
      }
      const last = t === train.steps;
      const record = isRecorded(train, t);
      const { recorded, lossOnly } = this.steps;
      run.encodePass(encoder, last ? this.steps.last : record ? recorded : lossOnly);
      const losses = 4 * training.passesPerReadback;
      encoder.copyBufferToBuffer(run.maxBits, 4 * lossSlot, staging.buffer, 4 * i, 4);
      encoder.copyBufferToBuffer(run.exponents, 4 * lossSlot, staging.buffer, losses + 4 * i, 4);
      encoder.copyBufferToBuffer(run.sums, 4 * lossSlot, staging.buffer, 2 * losses + 4 * i, 4);
      if (record) {
        const at = recordsAt + records * training.recordBytes;
        const bytes = 4 * slots.reported;
        encoder.copyBufferToBuffer(run.maxBits, 0, staging.buffer, at, bytes);
        encoder.copyBufferToBuffer(run.exponents, 0, staging.buffer, at + bytes, bytes);
        encoder.copyBufferToBuffer(run.sums, 0, staging.buffer, at + 2 * bytes, bytes);
        records++;
      }
    }
    return encoder.finish();
  }

  /** Maps a chunk's staging and appends its losses and records (and the pass at step 0's result) to `update`. */
  private async readChunk(staging: Staging, update: TrainingUpdate): Promise<void> {
    const training = this.plan.training;
    if (!training) return;
    await staging.buffer.mapAsync(GPUMapMode.READ);
    try {
      const bytes = staging.buffer.getMappedRange();
      const { batch } = this.config;
      const loss = slotSummaries(bytes, training.passesPerReadback);
      for (let i = 0; i < staging.passes; i++) update.loss.push(lossOf(loss(i), batch));
      const recordsAt = LOSS_BYTES * training.passesPerReadback;
      staging.recordSteps.forEach((step, k) => {
        const at = recordsAt + k * training.recordBytes;
        const result = this.resultOf(bytes, at);
        if (step === 0) update.initial = result;
        update.records.push(this.recordOf(step, bytes, at, result));
      });
    } finally {
      staging.buffer.unmap();
    }
  }

  /** The single-pass result of a recorded pass's slots. */
  private resultOf(bytes: ArrayBuffer, offset: number): RunResult {
    const summaries = readSummaries(this.plan.slotLayout, bytes, offset);
    const subnormals: Subnormals = runSubnormals(this.config.numerics, this.gpu.subnormals);
    return assembleResult(this.config, "webgpu", summaries, subnormals, { wall: 0 });
  }

  private recordOf(step: number, bytes: ArrayBuffer, offset: number, result: RunResult): TrainingRecord {
    const slots = this.plan.slotLayout;
    const summary = slotSummaries(bytes, slots.reported, offset);
    const log10UpdateRatio = Array.from({ length: this.config.depth + 1 }, (_, l) => {
      if (l === 0) return null;
      const change = log10Norm(summary(slots.update(l)), 1);
      const weights = log10Norm(summary(slots.weight(l)), 1);
      return change === null || weights === null ? null : change - weights;
    });
    return {
      step,
      log10ActRms: result.log10ActRms,
      log10GradRms: result.log10GradRms,
      log10WeightGradRms: result.log10WeightGradRms,
      log10UpdateRatio,
    };
  }
}

/**
 * Trains a validated config (its `train` set) on the GPU to the end and returns SPEC.md's result with
 * its training; an abort stops it after the chunk in flight, rejecting with the signal's reason.
 */
export async function trainOnGpu(
  config: RunConfig,
  options: GpuTrainOptions & { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): Promise<TrainedResult> {
  const started = performance.now();
  const ended = autotune.runStarted();
  let trainer: GpuTrainer;
  try {
    trainer = await GpuTrainer.create(config, options);
  } catch (error) {
    ended();
    throw error;
  }
  try {
    const loss: (number | null)[] = [];
    const records: TrainingRecord[] = [];
    let initial: RunResult | null = null;
    const total = (config.train?.steps ?? 0) + 1;
    // About twenty advances, each reporting progress; each runs its passes in chunks (runChunks).
    const portion = Math.max(1, Math.ceil(total / PROGRESS_REPORTS));
    while (!trainer.done) {
      const update = await trainer.advance(portion, options.signal);
      loss.push(...update.loss);
      records.push(...update.records);
      initial ??= update.initial;
      options.onProgress?.(trainer.passes / total);
    }
    if (!initial) throw new Error("the training's first pass was not recorded");
    const result: RunResult = { ...initial, timingMs: { wall: performance.now() - started }, memory: trainer.memory };
    return { ...result, training: { loss, records } };
  } finally {
    trainer.dispose();
    ended();
  }
}
