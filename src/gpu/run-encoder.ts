/**
 * The buffers and dispatches of one GPU run: buffers as the plan lays them out, one params record
 * per dispatch, bind groups shared between dispatches, the draws, and the submission, whole or in
 * chunks. Each path's steps are built elsewhere (src/gpu/layered-steps.ts, src/gpu/narrow-steps.ts),
 * which use this module and are handed to submit() by the engine, so no module imports back.
 */
import { OPTIMIZERS, type RunConfig } from "../core/config";
import { initDistribution } from "../core/init";
import { biasExponent } from "../core/reference";
import { DEFAULT_TILING, type ProductTiling } from "./autotune";
import type { BufferSet, GpuContext } from "./device";
import { type CompiledKernel, compileKernel, KERNELS, type Kernel } from "./kernels";
import { forEachOrthogonalLayer } from "./orthogonal";
import { type DispatchParams, ParamsWriter, paramsBytes } from "./params";
import { type BufferPlan, blockGrid, drawGroups, type LayeredArray, paddedWidth, WORKGROUP } from "./plan";
import { CHUNK_MS, CHUNKED_FLOPS, FIRST_CHUNK_FLOPS } from "./tuning";

/**
 * FORMAT of shaders/format.wgsl for each numerics: the format every stored value is rounded to, 0
 * where float32 arithmetic stores them already (float32, and tracked numerics' float32 values).
 */
export const FORMAT_IDS: Readonly<Record<RunConfig["numerics"], number>> = {
  float32: 0,
  tracked: 0,
  float16: 1,
  bfloat16: 2,
};

/** Exponent standing for "no term" in a max of powers of two (targets of zeros). */
const NO_TERM_EXPONENT = -(1 << 30);

/** Byte offset of the timestamps in the readback buffer: after the three slot arrays, 8-aligned. */
export const timestampOffset = (slots: number) => Math.ceil((12 * slots) / 8) * 8;

/** Byte offset of the histograms (the run option) in the readback buffer: after the timestamps. */
export const histogramOffset = (slots: number) => timestampOffset(slots) + 48;

/** One dispatch: its pipeline, bind group, dynamic offsets, workgroup grid and its matrix-product flops. */
export interface Step {
  kernel: CompiledKernel;
  group: GPUBindGroup;
  offsets: number[];
  grid: number[];
  flops: number;
}

/**
 * A training run's dispatches: the draws, run once, then each pass as one of three lists encoded
 * again and again with the same params: with its update and every slot reduced (a recorded step),
 * with its update and only the loss's slot reduced, and the last pass (no update, recorded).
 */
export interface TrainingSteps {
  init: Step[];
  recorded: Step[];
  lossOnly: Step[];
  last: Step[];
}

/** A training run's buffers: one layer's B·∂loss/∂W_l, the step count t, and the optimizer state. */
export interface TrainingBuffers {
  weightGrad: GPUBuffer;
  stepCount: GPUBuffer;
  state: GPUBuffer[];
}

/** Where layer l of a layered array lives: which buffer, at which byte offset. */
function locate(array: LayeredArray, layer: number): { index: number; offset: number } {
  const index = Math.floor(layer / array.layersPerBuffer);
  return { index, offset: (layer - index * array.layersPerBuffer) * array.stride };
}

/** The buffers and dispatches of one run. */
export class RunEncoder {
  private readonly device: GPUDevice;
  private readonly params = new ParamsWriter();
  readonly weightBuffers: GPUBuffer[];
  readonly actBuffers: GPUBuffer[];
  readonly gradBuffers: GPUBuffer[];
  /** The layer kernels' z_l and ∂ℓ/∂z_l (the layered path with norms or residual connections), else null. */
  readonly preActivations: GPUBuffer | null;
  readonly preActivationGrad: GPUBuffer | null;
  readonly biases: GPUBuffer;
  readonly targets: GPUBuffer;
  readonly maxBits: GPUBuffer;
  readonly exponents: GPUBuffer;
  private readonly partials: GPUBuffer;
  readonly sums: GPUBuffer;
  /** The run option histograms: every layer's bins (src/gpu/histograms.ts), else null. */
  readonly histograms: GPUBuffer | null;
  private readonly paramsBuffer: GPUBuffer;
  private training: TrainingBuffers | null = null;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private statsGroup: GPUBindGroup | null = null;
  private histogramGroup: GPUBindGroup | null = null;
  private readonly steps: Step[][] = [];

  constructor(
    gpu: GpuContext,
    readonly config: RunConfig,
    readonly plan: BufferPlan,
    private readonly buffers: BufferSet,
    private readonly querySet: GPUQuerySet | null,
    /** How the matrix-product kernels cut their work (src/gpu/autotune.ts). */
    readonly tiling: ProductTiling = DEFAULT_TILING,
  ) {
    this.device = gpu.device;
    // WebGPU's globals are read when a run needs them: loading this module must not need WebGPU.
    const { STORAGE, COPY_DST, COPY_SRC, UNIFORM } = GPUBufferUsage;
    const tensorBytes = plan.bytes.targets;
    this.weightBuffers = this.layeredBuffers("weights", plan.weights, STORAGE | COPY_DST);
    this.actBuffers = this.layeredBuffers("activations", plan.activations, STORAGE);
    this.gradBuffers =
      plan.path === "layered"
        ? [0, 1].map((i) => buffers.create(`gradient ${i}`, tensorBytes, STORAGE))
        : [buffers.create("gradients", plan.bytes.gradients, STORAGE)];
    const epilogue = (label: string) => (plan.epilogue ? buffers.create(label, tensorBytes, STORAGE) : null);
    this.preActivations = epilogue("pre-activations");
    this.preActivationGrad = epilogue("pre-activation gradient");
    if (this.weightBuffers.length === 0) this.weightBuffers.push(buffers.create("no weights", 16, STORAGE));
    this.biases = buffers.create("biases", plan.bytes.biases, STORAGE);
    this.targets = buffers.create("targets", tensorBytes, STORAGE);
    const allSlots = plan.slotLayout.total;
    this.maxBits = buffers.create("max bits", 4 * allSlots, STORAGE | COPY_SRC | COPY_DST);
    this.exponents = buffers.create("exponents", 4 * allSlots, STORAGE | COPY_SRC | COPY_DST);
    this.partials = buffers.create("partials", plan.partialBytes, STORAGE);
    this.sums = buffers.create("sums", 4 * plan.slots, STORAGE | COPY_SRC);
    this.histograms = plan.histograms
      ? buffers.create("histograms", plan.histograms.bytes, STORAGE | COPY_SRC | COPY_DST)
      : null;
    this.paramsBuffer = buffers.create("params", plan.bytes.params, UNIFORM | COPY_DST);
  }

  /** A training run's buffers (plan.training), made when first asked for. */
  get trainingBuffers(): TrainingBuffers {
    const plan = this.plan.training;
    if (!plan) throw new RangeError("this run does not train");
    if (!this.training) {
      const { STORAGE } = GPUBufferUsage;
      const state = this.layeredBuffers("optimizer state", plan.state, STORAGE);
      if (state.length === 0) state.push(this.buffers.create("no optimizer state", 16, STORAGE));
      this.training = {
        weightGrad: this.buffers.create("weight gradient", this.plan.weights.layerBytes, STORAGE),
        stepCount: this.stepCorrections(),
        state,
      };
    }
    return this.training;
  }

  /**
   * The step count (word 0, from 0) and, for Adam, each step's bias corrections 1/(1 − β₁ᵗ) and
   * 1/(1 − β₂ᵗ) as float32 at words 2t and 2t + 1 (t = 1..T), computed in float64 (shaders/optimizer.wgsl).
   */
  private stepCorrections(): GPUBuffer {
    const train = this.config.train;
    const { STORAGE, COPY_DST } = GPUBufferUsage;
    const steps = train?.optimizer === "adam" ? train.steps : 0;
    const words = new Uint32Array(2 * steps + 4);
    const floats = new Float32Array(words.buffer);
    if (train && steps > 0) {
      const beta1 = Math.fround(train.beta1);
      const beta2 = Math.fround(train.beta2);
      for (let t = 1; t <= steps; t++) {
        floats[2 * t] = 1 / (1 - beta1 ** t);
        floats[2 * t + 1] = 1 / (1 - beta2 ** t);
      }
    }
    const buffer = this.buffers.create("step count", words.byteLength, STORAGE | COPY_DST);
    this.device.queue.writeBuffer(buffer, 0, words);
    return buffer;
  }

  /** The optimizer state of layer l, or the placeholder of an optimizer without state. */
  optimizerState(layer: number) {
    const plan = this.plan.training;
    if (!plan || plan.moments === 0)
      return { buffer: this.trainingBuffers.state[0] as GPUBuffer, layerBytes: 16, offset: 0 };
    const { index, offset } = locate(plan.state, layer - 1);
    return { buffer: this.trainingBuffers.state[index] as GPUBuffer, layerBytes: plan.state.layerBytes, offset };
  }

  /** Uploads what the steps need before they run: orthogonal weights (off the main thread). */
  async prepare(signal?: AbortSignal): Promise<void> {
    await this.uploadOrthogonalWeights(signal);
  }

  /** Writes every params record the steps built so far; the steps' dispatches read them from now on. */
  writeParams(): void {
    this.device.queue.writeBuffer(this.paramsBuffer, 0, this.params.toBytes());
  }

  private layeredBuffers(label: string, array: LayeredArray, usage: GPUBufferUsageFlags): GPUBuffer[] {
    return Array.from({ length: array.buffers }, (_, index) => {
      const layers = Math.min(array.layersPerBuffer, array.layers - index * array.layersPerBuffer);
      return this.buffers.create(`${label} ${index}`, (layers - 1) * array.stride + array.layerBytes, usage);
    });
  }

  /**
   * Encodes the run and submits it: in one submission with pass timestamps, or, for a long run
   * given a signal, in chunks sized to take about CHUNK_MS each, checking the signal between them
   * (and after the orthogonal weights' QR, which runs off the main thread and ends on an abort),
   * reporting the fraction of the work done after each. Returns the buffer to map for the results
   * and whether it holds pass timestamps.
   */
  async submit(
    buildSteps: (run: RunEncoder) => Step[][],
    signal?: AbortSignal,
    onProgress?: (fraction: number) => void,
  ): Promise<{ readback: GPUBuffer; timed: boolean }> {
    const { device, plan } = this;
    const { MAP_READ, COPY_DST } = GPUBufferUsage;
    await this.uploadOrthogonalWeights(signal);
    signal?.throwIfAborted();
    this.steps.push(...buildSteps(this));
    device.queue.writeBuffer(this.paramsBuffer, 0, this.params.toBytes());
    const readbackBytes = histogramOffset(plan.slots) + (plan.histograms?.reportedBytes ?? 0);
    const readback = this.buffers.create("readback", readbackBytes, MAP_READ | COPY_DST);
    const flops = this.steps.flat().reduce((sum, step) => sum + step.flops, 0);
    if (!signal || flops <= CHUNKED_FLOPS) {
      const encoder = device.createCommandEncoder({ label: "gradscope run" });
      this.clearStatistics(encoder);
      this.steps.forEach((steps, index) => {
        const timestampWrites = this.querySet
          ? { querySet: this.querySet, beginningOfPassWriteIndex: 2 * index, endOfPassWriteIndex: 2 * index + 1 }
          : undefined;
        this.encodePass(encoder, steps, timestampWrites);
      });
      this.copyResults(encoder, readback, this.querySet !== null);
      device.queue.submit([encoder.finish()]);
      return { readback, timed: this.querySet !== null };
    }
    const steps = this.steps.flat();
    let chunkFlops = FIRST_CHUNK_FLOPS;
    let done = 0;
    for (let next = 0; next < steps.length; ) {
      signal.throwIfAborted();
      const first = next;
      let work = 0;
      while (next < steps.length && (next === first || work < chunkFlops)) work += (steps[next++] as Step).flops;
      const encoder = device.createCommandEncoder({ label: `gradscope run, steps ${first}..${next - 1}` });
      if (first === 0) this.clearStatistics(encoder);
      this.encodePass(encoder, steps.slice(first, next));
      if (next === steps.length) this.copyResults(encoder, readback, false);
      const began = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      const ms = Math.max(1, performance.now() - began);
      chunkFlops *= Math.min(4, Math.max(0.5, CHUNK_MS / ms));
      // Steps without flops (the reduction) finish the run without moving its progress.
      if (work > 0) {
        done += work;
        onProgress?.(Math.min(1, done / flops));
      }
    }
    return { readback, timed: false };
  }

  /**
   * Clears every slot's largest entry and exponent, from slot `first` on (a_0's stay from the draw: 1),
   * and the histograms with the first.
   */
  clearStatistics(encoder: GPUCommandEncoder, first = 0): void {
    const bytes = 4 * (this.plan.slotLayout.total - first);
    encoder.clearBuffer(this.maxBits, 4 * first, bytes);
    encoder.clearBuffer(this.exponents, 4 * first, bytes);
    if (this.histograms && first === 0) encoder.clearBuffer(this.histograms);
  }

  encodePass(encoder: GPUCommandEncoder, steps: Step[], timestampWrites?: GPUComputePassTimestampWrites) {
    const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : {});
    for (const step of steps) {
      pass.setPipeline(step.kernel.pipeline);
      pass.setBindGroup(0, step.group, step.offsets);
      if (step.kernel.statsLayout) pass.setBindGroup(1, this.statsBindGroup(step.kernel.statsLayout));
      if (step.kernel.histogramLayout) pass.setBindGroup(2, this.histogramBindGroup(step.kernel.histogramLayout));
      pass.dispatchWorkgroups(step.grid[0] as number, step.grid[1] ?? 1);
    }
    pass.end();
  }

  /** The slots' three arrays (and the pass timestamps, and the histograms) into the readback buffer. */
  private copyResults(encoder: GPUCommandEncoder, readback: GPUBuffer, timed: boolean): void {
    const slots = this.plan.slots;
    encoder.copyBufferToBuffer(this.maxBits, 0, readback, 0, 4 * slots);
    encoder.copyBufferToBuffer(this.exponents, 0, readback, 4 * slots, 4 * slots);
    encoder.copyBufferToBuffer(this.sums, 0, readback, 8 * slots, 4 * slots);
    if (timed && this.querySet) {
      const { QUERY_RESOLVE, COPY_SRC } = GPUBufferUsage;
      const resolved = this.buffers.create("timestamps", 48, QUERY_RESOLVE | COPY_SRC);
      encoder.resolveQuerySet(this.querySet, 0, 6, resolved, 0);
      encoder.copyBufferToBuffer(resolved, 0, readback, timestampOffset(slots), 48);
    }
    const reported = this.plan.histograms?.reportedBytes;
    if (this.histograms && reported) {
      encoder.copyBufferToBuffer(this.histograms, 0, readback, histogramOffset(slots), reported);
    }
  }

  private histogramBindGroup(layout: GPUBindGroupLayout): GPUBindGroup {
    const buffer = this.histograms;
    if (!buffer) throw new Error("a histogram kernel in a run without histograms");
    this.histogramGroup ??= this.device.createBindGroup({
      label: "histograms",
      layout,
      entries: [{ binding: 0, resource: { buffer } }],
    });
    return this.histogramGroup;
  }

  private statsBindGroup(layout: GPUBindGroupLayout): GPUBindGroup {
    this.statsGroup ??= this.device.createBindGroup({
      label: "statistics",
      layout,
      entries: [this.maxBits, this.exponents, this.partials].map((buffer, binding) => ({
        binding,
        resource: { buffer },
      })),
    });
    return this.statsGroup;
  }

  /** A kernel's pipeline with these constants and the run's FORMAT (shaders/format.wgsl), left out in float32. */
  compile(kernel: Kernel, constants: Record<string, number | boolean>): CompiledKernel {
    const format = FORMAT_IDS[this.config.numerics];
    return compileKernel(this.device, kernel, format === 0 ? constants : { ...constants, FORMAT: format });
  }

  /**
   * One dispatch: `resources` are, per binding after the params record, a whole buffer or one
   * layer of a layered array; bind groups are shared between dispatches that use the same buffers.
   */
  step(
    kernel: Kernel,
    compiled: CompiledKernel,
    params: DispatchParams,
    resources: ({ buffer: GPUBuffer; layerBytes?: number; offset?: number } | null)[],
    grid: number[],
    /** n × n by n × B products this dispatch does (the kernel's own count unless it varies by dispatch). */
    products = kernel.products,
  ) {
    const paramsOffset = this.params.add(kernel, params);
    const key = `${kernel.name}:${resources.map((r) => (r ? `${r.buffer.label}` : "-")).join(",")}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      group = this.device.createBindGroup({
        label: key,
        layout: compiled.layout,
        entries: kernel.bindings.map((binding, index) => {
          if (index === 0 && binding.kind === "uniform") {
            return { binding: 0, resource: { buffer: this.paramsBuffer, size: paramsBytes(kernel.params) } };
          }
          const resource = resources[index - (kernel.bindings[0]?.kind === "uniform" ? 1 : 0)];
          if (!resource) throw new Error(`missing resource for ${kernel.name} binding ${index}`);
          return {
            binding: index,
            resource: binding.dynamic
              ? { buffer: resource.buffer, size: resource.layerBytes }
              : { buffer: resource.buffer },
          };
        }),
      });
      this.bindGroups.set(key, group);
    }
    const offsets = [paramsOffset, ...resources.filter((r) => r?.layerBytes !== undefined).map((r) => r?.offset ?? 0)];
    const { width: n, batch } = this.config;
    const flops = products * 2 * n * n * batch;
    return { kernel: compiled, group, offsets: kernel.bindings[0]?.dynamic ? offsets : offsets.slice(1), grid, flops };
  }

  /**
   * Layer l's weights (stored), the one layer's buffer W_l is drawn into (regenerated), or a
   * placeholder for the binding when the kernels draw W_l themselves.
   */
  weightLayer(layer: number) {
    if (this.plan.weightsInKernel) return { buffer: this.weightBuffers[0] as GPUBuffer, layerBytes: 16, offset: 0 };
    const { index, offset } = locate(this.plan.weights, this.plan.storedWeights ? layer - 1 : 0);
    return { buffer: this.weightBuffers[index] as GPUBuffer, layerBytes: this.plan.weights.layerBytes, offset };
  }

  /** Activation buffer `position` (a_l at position l when every layer is kept). */
  position(position: number) {
    const { index, offset } = locate(this.plan.activations, position);
    return { buffer: this.actBuffers[index] as GPUBuffer, layerBytes: this.plan.activations.layerBytes, offset };
  }

  /** The layered kernels' shape: width, width in vec4s (rows padded to 4·N4 floats), batch. */
  get shape() {
    return { N: this.config.width, N4: paddedWidth(this.config.width) / 4, BATCH: this.config.batch };
  }

  get tensorGrid(): number[] {
    const { x, y } = blockGrid(this.config.batch, this.config.width);
    return [x, y];
  }

  /** The matrix-product kernels' constants: the shape, the tiling, and where W_l comes from. */
  get productShape() {
    const { workgroup, block } = this.tiling;
    const drawn = this.plan.weightsInKernel;
    return {
      ...this.shape,
      WORKGROUP: workgroup,
      BLOCK: block,
      WEIGHTS_IN_KERNEL: drawn,
      INIT_KIND: this.drawnInit.kind ?? 0,
    };
  }

  /** Floats between rows of a stored tensor: packed on the fused path, padded to vec4s on the layered. */
  get rowStride(): number {
    return this.plan.path === "fused" ? this.config.width : paddedWidth(this.config.width);
  }

  /** Each layer's orthogonal weights, computed off the main thread, into its place in the weight buffers. */
  private async uploadOrthogonalWeights(signal?: AbortSignal): Promise<void> {
    const { init, width: n, depth, seed, numerics } = this.config;
    if (init.scheme !== "orthogonal") return;
    const upload = (layer: number, rows: Float32Array<ArrayBuffer>) => {
      const { buffer, offset } = this.weightLayer(layer);
      this.device.queue.writeBuffer(buffer, offset, rows);
    };
    await forEachOrthogonalLayer({ init, n, seed, depth, stride: this.rowStride, numerics }, upload, signal);
  }

  /** The init as the draw kernels take it: INIT_KIND and its scalar, or null for orthogonal (uploaded). */
  get drawnInit(): { kind: number | null; param: number } {
    const distribution = initDistribution(this.config.init, this.config.width);
    switch (distribution.kind) {
      case "identity":
        return { kind: 0, param: distribution.scale };
      case "normal":
        return { kind: 1, param: distribution.std };
      case "uniform":
        return { kind: 2, param: distribution.bound };
      default:
        return { kind: null, param: 0 };
    }
  }

  /** The optimizer's override constants (shaders/optimizer.wgsl), as float32: both paths' update kernels take them. */
  get optimizerConstants(): Record<string, number | boolean> {
    const { config } = this;
    const train = config.train;
    if (!train) throw new RangeError("optimizerConstants needs a config with train set");
    return {
      OPTIMIZER: OPTIMIZERS.indexOf(train.optimizer),
      LEARNING_RATE: Math.fround(train.learningRate),
      MOMENTUM: Math.fround(train.momentum),
      BETA1: Math.fround(train.beta1),
      BETA2: Math.fround(train.beta2),
      EPSILON: Math.fround(train.epsilon),
      BIASES: config.biasSigma > 0,
    };
  }

  /** ⌈log₂ biasSigma⌉ for the tracked forward pass (0 without biases). */
  get biasExp(): number {
    const exponent = biasExponent(this.config.biasSigma);
    return Number.isFinite(exponent) ? exponent : 0;
  }

  /** The power of two of the targets in a − y: 0 for Gaussian targets, none for zeros. */
  get targetExp(): number {
    return this.config.target === "zeros" ? NO_TERM_EXPONENT : 0;
  }

  /** Dispatches this run encodes. */
  get dispatches(): number {
    return this.steps.reduce((sum, pass) => sum + pass.length, 0);
  }

  /** The biases' draw, when the config has any (one dispatch for every layer). */
  biasSteps(): Step[] {
    const { config } = this;
    if (config.biasSigma <= 0) return [];
    const n = config.width;
    const compiled = this.compile(KERNELS.initBiases, { N: n });
    const params = { layers: config.depth, seed: config.seed, biasSigma: config.biasSigma };
    const grid = [Math.min(Math.ceil((config.depth * n) / 256), 4096)];
    return [this.step(KERNELS.initBiases, compiled, params, [{ buffer: this.biases }], grid)];
  }

  /** Draws of the stored weights, one dispatch per weight buffer (none for orthogonal: uploaded). */
  weightSteps() {
    const { config, plan } = this;
    const n = config.width;
    const steps: Step[] = [];
    const { kind, param } = this.drawnInit;
    if (kind !== null && plan.storedWeights) {
      const compiled = this.compile(KERNELS.initWeights, { N: n, ROW_STRIDE: this.rowStride, INIT_KIND: kind });
      this.weightBuffers.forEach((buffer, index) => {
        const first = index * plan.weights.layersPerBuffer;
        const count = Math.min(plan.weights.layersPerBuffer, config.depth - first);
        const grid = [drawGroups(count * n * n)];
        const params = {
          layer: first + 1,
          layers: count,
          stride: plan.weights.stride / 4,
          seed: config.seed,
          initParam: param,
        };
        steps.push(this.step(KERNELS.initWeights, compiled, params, [{ buffer }], grid));
      });
    }
    return steps;
  }

  /** The reduction of one slot's partials alone, kept at its place (a reduction once per run). */
  reduceSlot(slot: number): Step {
    const { plan } = this;
    const layerSlots = plan.slotLayout.tensorSlots;
    if (slot >= layerSlots) throw new RangeError("reduceSlot reduces an activation's or a gradient's slot");
    const compiled = this.compile(KERNELS.reduceOne, { PARTIALS: plan.partialsPerLayer });
    const params = { outSlot: slot, partialBase: slot * plan.partialsPerLayer };
    return this.step(KERNELS.reduceOne, compiled, params, [{ buffer: this.sums }], [1]);
  }

  /** One workgroup per slot sums its partials (shaders/reduce.wgsl). */
  reduceStep() {
    const { plan } = this;
    const reduce = this.compile(KERNELS.reduce, {
      LAYER_SLOTS: plan.slotLayout.tensorSlots,
      P_LAYER: plan.partialsPerLayer,
      P_WEIGHT: plan.partialsPerWeight,
      SLOTS: plan.slots,
    });
    return this.step(KERNELS.reduce, reduce, {}, [{ buffer: this.sums }], [Math.ceil(plan.slots / WORKGROUP)]);
  }
}
