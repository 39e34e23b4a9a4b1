/**
 * The GPU engine: runs a config as SPEC.md says, in one submission (weights, biases and data drawn
 * on the GPU; forward; backward with weight gradients; every statistic reduced on the GPU), and
 * reads back only O(L) numbers.
 */
import { ACTIVATIONS } from "../core/activations";
import type { RunConfig } from "../core/config";
import { initDistribution, layerWeights } from "../core/init";
import { biasExponent } from "../core/reference";
import { assembleResult, type RunResult, type RunSummaries, type TensorSummary } from "../core/result";
import { layeredWorkgroup, WORKGROUP_CHOICES } from "./autotune";
import { acquireGpu, BufferSet, type GpuContext } from "./device";
import { type CompiledKernel, compileKernel, KERNELS, type Kernel } from "./kernels";
import { PARAMS_BYTES, ParamsWriter } from "./params";
import {
  type BufferPlan,
  blockGrid,
  DEFAULT_MEMORY_BUDGET,
  dispatchGrid,
  type LayeredArray,
  paddedWidth,
  planRun,
  type RunPath,
  type WeightSource,
  WORKGROUP,
} from "./plan";
import { type ChainStep, chainSchedule } from "./schedule";

export interface GpuRunOptions {
  /** Most bytes of GPU buffers the run may allocate (default 1 GiB). */
  memoryBudgetBytes?: number;
  /** Largest buffer of activations or weights, below the adapter's limits: splits them sooner (tests). */
  maxLayerBufferBytes?: number;
  /** "layered" or "fused" (see RunPath); by default chosen from the config's size. */
  path?: RunPath;
  /** Layered path: activation buffers kept (BufferPlan.positions); default every layer, or as many as fit. */
  positions?: number;
  /** Layered path: weights stored or drawn where used (default stored when they fit). */
  weights?: WeightSource;
  /** Layered path: reduce each tensor's statistics right after it (default only when they would not fit). */
  reduceEachDispatch?: boolean;
  /**
   * Layered path: invocations per workgroup of the matrix-product kernels, one of
   * WORKGROUP_CHOICES (default: chosen by src/gpu/autotune.ts for the device and shape).
   */
  workgroup?: number;
  /**
   * Lets the caller give up on a long run: runs of more than CHUNKED_FLOPS are then submitted in
   * chunks of about CHUNK_MS each, and an abort stops the run (rejecting with the signal's reason)
   * after the chunk in flight. Without a signal a run is one submission.
   */
  signal?: AbortSignal;
}

/** Floating-point operations above which a run with a signal is submitted in chunks. */
export const CHUNKED_FLOPS = 2e9;
/** Wall time a chunk of a long run aims at: how soon an abort takes effect. */
export const CHUNK_MS = 100;
/** Floating-point operations of a long run's first chunk, before chunks are sized by their time. */
const FIRST_CHUNK_FLOPS = 2e8;

/** Exponent standing for "no term" in a max of powers of two (targets of zeros). */
const NO_TERM_EXPONENT = -(1 << 30);
const NON_FINITE_BITS = 0x7f800000;
const { STORAGE, COPY_DST, COPY_SRC, MAP_READ, UNIFORM, QUERY_RESOLVE } = GPUBufferUsage;

/** Runs a validated config on the GPU and returns SPEC.md's result. */
export async function runOnGpu(config: RunConfig, options: GpuRunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const gpu = await acquireGpu();
  const budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET;
  const { maxLayerBufferBytes, path, positions, weights, reduceEachDispatch } = options;
  const plan = planRun(config, gpu.limits, {
    budget,
    ...(maxLayerBufferBytes ? { layerBufferCap: maxLayerBufferBytes } : {}),
    ...(path ? { path } : {}),
    ...(positions !== undefined ? { positions } : {}),
    ...(weights ? { weights } : {}),
    ...(reduceEachDispatch !== undefined ? { reduceEachDispatch } : {}),
  });
  const { device } = gpu;
  const workgroup = plan.path === "fused" ? WORKGROUP : await chooseWorkgroup(gpu.device, config, options.workgroup);
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
    const run = new RunEncoder(gpu, config, plan, buffers, querySet, workgroup);
    const { readback, timed } = await run.submit(options.signal);
    const validation = await popScope();
    const memory = await popScope();
    const error = validation ?? memory;
    if (error) throw new Error(`WebGPU refused the run: ${error.message}`);
    await readback.mapAsync(GPUMapMode.READ);
    const bytes = readback.getMappedRange().slice(0);
    readback.unmap();
    const summaries = readSummaries(config, plan.slots, bytes);
    const gpuTimes = timed ? readTimestamps(bytes, timestampOffset(plan.slots)) : undefined;
    const timing = { wall: performance.now() - started, ...(gpuTimes ? { gpu: gpuTimes } : {}) };
    return { ...assembleResult(config, "webgpu", summaries, gpu.subnormals, timing), dispatches: run.dispatches };
  } finally {
    // An aborted or failed run leaves no error scope behind for the next one.
    while (scopes > 0) await popScope();
    buffers.destroyAll();
    querySet?.destroy();
  }
}

/** The given workgroup size (checked), or the one src/gpu/autotune.ts keeps for this device and shape. */
function chooseWorkgroup(device: GPUDevice, config: RunConfig, workgroup: number | undefined): Promise<number> {
  if (workgroup === undefined) {
    return layeredWorkgroup(device, config, async (probe, choice) => {
      const { timingMs } = await runOnGpu(probe, { path: "layered", workgroup: choice });
      const { gpu, wall } = timingMs;
      return gpu ? { ms: gpu.forward + gpu.backward, gpuTime: true } : { ms: wall, gpuTime: false };
    });
  }
  if (!(WORKGROUP_CHOICES as readonly number[]).includes(workgroup)) {
    throw new RangeError(`workgroup must be one of ${WORKGROUP_CHOICES.join(", ")}, got ${workgroup}`);
  }
  return Promise.resolve(workgroup);
}

function readSummaries(config: RunConfig, slots: number, bytes: ArrayBuffer): RunSummaries {
  const bits = new Uint32Array(bytes, 0, slots);
  const maxAbs = new Float32Array(bytes, 0, slots);
  const exponents = new Int32Array(bytes, 4 * slots, slots);
  const sums = new Float32Array(bytes, 8 * slots, slots);
  const summary = (slot: number): TensorSummary => ({
    maxAbs: maxAbs[slot] as number,
    scaledSumSq: sums[slot] as number,
    nonFinite: (bits[slot] as number) >= NON_FINITE_BITS,
    exponent2: exponents[slot] as number,
  });
  const L = config.depth;
  const layers = Array.from({ length: L + 1 }, (_, l) => l);
  return {
    act: layers.map((l) => summary(l)),
    grad: layers.map((l) => summary(L + 1 + l)),
    weightGrad: layers.map((l) => (l === 0 ? null : summary(2 * L + 1 + l))),
  };
}

/** Byte offset of the timestamps in the readback buffer: after the three slot arrays, 8-aligned. */
const timestampOffset = (slots: number) => Math.ceil((12 * slots) / 8) * 8;

function readTimestamps(bytes: ArrayBuffer, offset: number): NonNullable<RunResult["timingMs"]["gpu"]> {
  const ns = new BigInt64Array(bytes, offset, 6);
  const ms = (from: number, to: number) => Number((ns[to] as bigint) - (ns[from] as bigint)) / 1e6;
  return { init: ms(0, 1), forward: ms(2, 3), backward: ms(4, 5), total: ms(0, 5) };
}

/** One dispatch: its pipeline, bind group, dynamic offsets, workgroup grid and its matrix-product flops. */
interface Step {
  kernel: CompiledKernel;
  group: GPUBindGroup;
  offsets: number[];
  grid: number[];
  flops: number;
}

/** Matrix products (of 2·n²·B flops) per dispatch of each kernel; the others' work is O(n·B) or O(n²). */
const MATRIX_PRODUCTS: Record<string, number> = { forward: 1, backward_step: 2 };

/** Where layer l of a layered array lives: which buffer, at which byte offset. */
function locate(array: LayeredArray, layer: number): { index: number; offset: number } {
  const index = Math.floor(layer / array.layersPerBuffer);
  return { index, offset: (layer - index * array.layersPerBuffer) * array.stride };
}

/** The buffers and dispatches of one run. */
class RunEncoder {
  private readonly device: GPUDevice;
  private readonly params = new ParamsWriter();
  private readonly weightBuffers: GPUBuffer[];
  private readonly actBuffers: GPUBuffer[];
  private readonly gradBuffers: GPUBuffer[];
  private readonly biases: GPUBuffer;
  private readonly targets: GPUBuffer;
  private readonly maxBits: GPUBuffer;
  private readonly exponents: GPUBuffer;
  private readonly partials: GPUBuffer;
  private readonly sums: GPUBuffer;
  private readonly paramsBuffer: GPUBuffer;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private statsGroup: GPUBindGroup | null = null;
  private readonly steps: Step[][] = [];
  /** The layer whose weights the one weight buffer holds, when weights are drawn where used. */
  private drawnLayer = 0;

  constructor(
    gpu: GpuContext,
    private readonly config: RunConfig,
    private readonly plan: BufferPlan,
    private readonly buffers: BufferSet,
    private readonly querySet: GPUQuerySet | null,
    /** Invocations per workgroup of the matrix-product kernels (src/gpu/autotune.ts). */
    private readonly workgroup: number = WORKGROUP,
  ) {
    this.device = gpu.device;
    const tensorBytes = plan.bytes.targets;
    this.weightBuffers = this.layeredBuffers("weights", plan.weights, STORAGE | COPY_DST);
    this.actBuffers = this.layeredBuffers("activations", plan.activations, STORAGE);
    this.gradBuffers =
      plan.path === "fused"
        ? [buffers.create("gradients", 2 * tensorBytes, STORAGE)]
        : [0, 1].map((i) => buffers.create(`gradient ${i}`, tensorBytes, STORAGE));
    if (this.weightBuffers.length === 0) this.weightBuffers.push(buffers.create("no weights", 4, STORAGE));
    this.biases = buffers.create("biases", plan.bytes.biases, STORAGE);
    this.targets = buffers.create("targets", tensorBytes, STORAGE);
    this.maxBits = buffers.create("max bits", 4 * plan.slots, STORAGE | COPY_SRC | COPY_DST);
    this.exponents = buffers.create("exponents", 4 * plan.slots, STORAGE | COPY_SRC | COPY_DST);
    this.partials = buffers.create("partials", plan.partialBytes, STORAGE);
    this.sums = buffers.create("sums", 4 * plan.slots, STORAGE | COPY_SRC);
    this.paramsBuffer = buffers.create("params", plan.bytes.params, UNIFORM | COPY_DST);
  }

  private layeredBuffers(label: string, array: LayeredArray, usage: GPUBufferUsageFlags): GPUBuffer[] {
    return Array.from({ length: array.buffers }, (_, index) => {
      const layers = Math.min(array.layersPerBuffer, array.layers - index * array.layersPerBuffer);
      return this.buffers.create(`${label} ${index}`, (layers - 1) * array.stride + array.layerBytes, usage);
    });
  }

  /**
   * Encodes the run and submits it: in one submission with pass timestamps, or, for a long run
   * given a signal, in chunks sized to take about CHUNK_MS each, checking the signal between them.
   * Returns the buffer to map for the results and whether it holds pass timestamps.
   */
  async submit(signal?: AbortSignal): Promise<{ readback: GPUBuffer; timed: boolean }> {
    const { device, plan } = this;
    this.uploadOrthogonalWeights();
    if (plan.path === "fused") this.steps.push(...this.fusedSteps());
    else this.steps.push(...this.layeredSteps());
    device.queue.writeBuffer(this.paramsBuffer, 0, this.params.toBytes());
    const readback = this.buffers.create("readback", timestampOffset(plan.slots) + 48, MAP_READ | COPY_DST);
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
    }
    return { readback, timed: false };
  }

  private clearStatistics(encoder: GPUCommandEncoder): void {
    encoder.clearBuffer(this.maxBits);
    encoder.clearBuffer(this.exponents);
  }

  private encodePass(encoder: GPUCommandEncoder, steps: Step[], timestampWrites?: GPUComputePassTimestampWrites) {
    const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : {});
    for (const step of steps) {
      pass.setPipeline(step.kernel.pipeline);
      pass.setBindGroup(0, step.group, step.offsets);
      if (step.kernel.statsLayout) pass.setBindGroup(1, this.statsBindGroup(step.kernel.statsLayout));
      pass.dispatchWorkgroups(step.grid[0] as number, step.grid[1] ?? 1);
    }
    pass.end();
  }

  /** The slots' three arrays (and the pass timestamps) into the readback buffer. */
  private copyResults(encoder: GPUCommandEncoder, readback: GPUBuffer, timed: boolean): void {
    const slots = this.plan.slots;
    encoder.copyBufferToBuffer(this.maxBits, 0, readback, 0, 4 * slots);
    encoder.copyBufferToBuffer(this.exponents, 0, readback, 4 * slots, 4 * slots);
    encoder.copyBufferToBuffer(this.sums, 0, readback, 8 * slots, 4 * slots);
    if (timed && this.querySet) {
      const resolved = this.buffers.create("timestamps", 48, QUERY_RESOLVE | COPY_SRC);
      encoder.resolveQuerySet(this.querySet, 0, 6, resolved, 0);
      encoder.copyBufferToBuffer(resolved, 0, readback, timestampOffset(slots), 48);
    }
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

  private compile(kernel: Kernel, constants: Record<string, number | boolean>): CompiledKernel {
    return compileKernel(this.device, kernel, constants);
  }

  /**
   * One dispatch: `resources` are, per binding after the params record, a whole buffer or one
   * layer of a layered array; bind groups are shared between dispatches that use the same buffers.
   */
  private step(
    kernel: Kernel,
    compiled: CompiledKernel,
    params: Parameters<ParamsWriter["add"]>[0],
    resources: ({ buffer: GPUBuffer; layerBytes?: number; offset?: number } | null)[],
    grid: number[],
  ) {
    const paramsOffset = this.params.add(params);
    const key = `${kernel.name}:${resources.map((r) => (r ? `${r.buffer.label}` : "-")).join(",")}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      group = this.device.createBindGroup({
        label: key,
        layout: compiled.layout,
        entries: kernel.bindings.map((binding, index) => {
          if (index === 0 && binding.kind === "uniform") {
            return { binding: 0, resource: { buffer: this.paramsBuffer, size: PARAMS_BYTES } };
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
    const flops = (MATRIX_PRODUCTS[kernel.name] ?? 0) * 2 * n * n * batch;
    return { kernel: compiled, group, offsets: kernel.bindings[0]?.dynamic ? offsets : offsets.slice(1), grid, flops };
  }

  /** Layer l's weights (stored), or the one layer's buffer W_l is drawn into (regenerated). */
  private weightLayer(layer: number) {
    const { index, offset } = locate(this.plan.weights, this.plan.storedWeights ? layer - 1 : 0);
    return { buffer: this.weightBuffers[index] as GPUBuffer, layerBytes: this.plan.weights.layerBytes, offset };
  }

  /** Activation buffer `position` (a_l at position l when every layer is kept). */
  private position(position: number) {
    const { index, offset } = locate(this.plan.activations, position);
    return { buffer: this.actBuffers[index] as GPUBuffer, layerBytes: this.plan.activations.layerBytes, offset };
  }

  /** The layered kernels' shape: width, width in vec4s (rows padded to 4·N4 floats), batch. */
  private get shape() {
    return { N: this.config.width, N4: paddedWidth(this.config.width) / 4, BATCH: this.config.batch };
  }

  private get tensorGrid(): number[] {
    const { x, y } = blockGrid(this.config.batch, this.config.width);
    return [x, y];
  }

  /** The matrix-product kernels' constants: the shape and the chosen workgroup size. */
  private get productShape() {
    return { ...this.shape, WORKGROUP: this.workgroup };
  }

  /** Floats between rows of a stored tensor: packed on the fused path, padded to vec4s on the layered. */
  private get rowStride(): number {
    return this.plan.path === "fused" ? this.config.width : paddedWidth(this.config.width);
  }

  private uploadOrthogonalWeights(): void {
    const { init, width: n, depth, seed } = this.config;
    if (init.scheme !== "orthogonal") return;
    const stride = this.rowStride;
    const rows = new Float32Array(stride * n);
    for (let l = 1; l <= depth; l++) {
      const { buffer, offset } = this.weightLayer(l);
      const weights = layerWeights(init, n, seed, l);
      for (let i = 0; i < n; i++) rows.set(weights.subarray(i * n, (i + 1) * n), i * stride);
      this.device.queue.writeBuffer(buffer, offset, rows);
    }
  }

  /** The init as the draw kernels take it: INIT_KIND and its scalar, or null for orthogonal (uploaded). */
  private get drawnInit(): { kind: number | null; param: number } {
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

  /** ⌈log₂ biasSigma⌉ for the tracked forward pass (0 without biases). */
  private get biasExp(): number {
    const exponent = biasExponent(this.config.biasSigma);
    return Number.isFinite(exponent) ? exponent : 0;
  }

  /** The power of two of the targets in a − y: 0 for Gaussian targets, none for zeros. */
  private get targetExp(): number {
    return this.config.target === "zeros" ? NO_TERM_EXPONENT : 0;
  }

  /** Dispatches this run encodes. */
  get dispatches(): number {
    return this.steps.reduce((sum, pass) => sum + pass.length, 0);
  }

  /** The fused path: stored weights drawn if needed, then one dispatch per pass and the reduction. */
  private fusedSteps() {
    const { config, plan } = this;
    const activation = ACTIVATIONS[config.activation];
    const { kind, param } = this.drawnInit;
    const common = {
      N: config.width,
      BATCH: config.batch,
      ACTIVATION: activation.id,
      STORED_WEIGHTS: plan.storedWeights,
      INIT_KIND: kind ?? 0,
      CHAIN_WORKGROUP: plan.partialsPerLayer,
    };
    const params = {
      count: config.depth,
      seed: config.seed,
      initParam: param,
      biasSigma: config.biasSigma,
      biasExp: this.biasExp,
      targetExp: this.targetExp,
    };
    const weights = { buffer: this.weightBuffers[0] as GPUBuffer };
    const acts = { buffer: this.actBuffers[0] as GPUBuffer };
    const targets = { buffer: this.targets };
    const forward = this.compile(KERNELS.chainForward, {
      ...common,
      TRACKED_FORWARD: config.numerics === "tracked" && activation.positivelyHomogeneous,
      INPUT_ONES: config.input === "ones",
      TARGET_ZEROS: config.target === "zeros",
    });
    const backward = this.compile(KERNELS.chainBackward, { ...common, TRACKED: config.numerics === "tracked" });
    return [
      this.weightSteps(),
      [this.step(KERNELS.chainForward, forward, params, [weights, acts, targets], [1])],
      [
        this.step(
          KERNELS.chainBackward,
          backward,
          params,
          [weights, acts, targets, { buffer: this.gradBuffers[0] as GPUBuffer }],
          [1],
        ),
        this.reduceStep(),
      ],
    ];
  }

  /** Draws of the stored weights, one dispatch per weight buffer (none for orthogonal: uploaded). */
  private weightSteps() {
    const { config, plan } = this;
    const n = config.width;
    const steps: Step[] = [];
    const { kind, param } = this.drawnInit;
    if (kind !== null && plan.storedWeights) {
      const compiled = this.compile(KERNELS.initWeights, { N: n, ROW_STRIDE: this.rowStride, INIT_KIND: kind });
      this.weightBuffers.forEach((buffer, index) => {
        const first = index * plan.weights.layersPerBuffer;
        const count = Math.min(plan.weights.layersPerBuffer, config.depth - first);
        const grid = [Math.min(Math.ceil((n * n) / 256), 4096), count];
        const params = {
          layer: first + 1,
          count,
          stride: plan.weights.stride / 4,
          seed: config.seed,
          initParam: param,
        };
        steps.push(this.step(KERNELS.initWeights, compiled, params, [{ buffer }], grid));
      });
    }
    return steps;
  }

  private initSteps() {
    const { config } = this;
    const n = config.width;
    const steps = [...this.weightSteps()];
    if (config.biasSigma > 0) {
      const compiled = this.compile(KERNELS.initBiases, { N: n });
      const params = { count: config.depth, seed: config.seed, biasSigma: config.biasSigma };
      steps.push(
        this.step(
          KERNELS.initBiases,
          compiled,
          params,
          [{ buffer: this.biases }],
          [Math.min(Math.ceil((config.depth * n) / 256), 4096)],
        ),
      );
    }
    const data = this.compile(KERNELS.data, {
      ...this.shape,
      INPUT_ONES: config.input === "ones",
      TARGET_ZEROS: config.target === "zeros",
    });
    const dataStep = this.step(
      KERNELS.data,
      data,
      { seed: config.seed, outSlot: 0, partialBase: 0 },
      [this.position(0), { buffer: this.targets }],
      this.tensorGrid,
    );
    this.pushWithStatistics(steps, dataStep, 0);
    return steps;
  }

  /**
   * The layered path: the draws, then src/gpu/schedule.ts's steps (the forward pass up to the seed,
   * the backward pass from it, with recomputation in between when activations are checkpointed;
   * a recomputed step writes the same statistics again), then the reduction.
   */
  private layeredSteps(): Step[][] {
    const schedule = chainSchedule(this.config.depth, this.plan.positions);
    const seedAt = schedule.findIndex((step) => step.kind === "seed");
    const forward: Step[] = [];
    const backward: Step[] = [];
    const init = this.initSteps();
    schedule.forEach((step, index) => {
      this.chainStep(step, index < seedAt ? forward : backward);
    });
    if (!this.plan.reduceEachDispatch) backward.push(this.reduceStep());
    return [init, forward, backward];
  }

  private chainStep(step: ChainStep, steps: Step[]): void {
    if (step.kind === "forward") this.forwardStep(step.layer, step.from, step.to, steps);
    else if (step.kind === "seed") this.seedStep(step.from, steps);
    else this.backwardStep(step.layer, step.previous, steps);
  }

  /**
   * Where a dispatch writing `slot`'s statistics puts its partials: the slot's own place, or, when
   * each dispatch is reduced at once, the start of the buffer (a weight gradient after the
   * gradient it is dispatched with).
   */
  private partialBase(slot: number): number {
    const { plan } = this;
    const layerSlots = 2 * plan.depth + 2;
    if (plan.reduceEachDispatch) return slot < layerSlots ? 0 : plan.partialsPerLayer;
    if (slot < layerSlots) return slot * plan.partialsPerLayer;
    return layerSlots * plan.partialsPerLayer + (slot - layerSlots) * plan.partialsPerWeight;
  }

  /** A step writing these slots' statistics, followed by their reductions when each dispatch is reduced. */
  private pushWithStatistics(steps: Step[], step: Step, ...slots: number[]): void {
    steps.push(step);
    if (!this.plan.reduceEachDispatch) return;
    const { plan } = this;
    for (const slot of slots) {
      const partials = slot < 2 * plan.depth + 2 ? plan.partialsPerLayer : plan.partialsPerWeight;
      const compiled = this.compile(KERNELS.reduceOne, { PARTIALS: partials });
      const params = { outSlot: slot, partialBase: this.partialBase(slot) };
      steps.push(this.step(KERNELS.reduceOne, compiled, params, [{ buffer: this.sums }], [1]));
    }
  }

  /** W_l for a step: stored, or drawn into the one weight layer unless it holds W_l already. */
  private weightsFor(layer: number, steps: Step[]) {
    const { config, plan } = this;
    if (!plan.storedWeights && this.drawnLayer !== layer) {
      const n = config.width;
      const { kind, param } = this.drawnInit;
      const compiled = this.compile(KERNELS.initWeights, { N: n, ROW_STRIDE: this.rowStride, INIT_KIND: kind ?? 0 });
      const params = { layer, count: 1, stride: 0, seed: config.seed, initParam: param };
      const grid = [Math.min(Math.ceil((n * n) / 256), 4096), 1];
      steps.push(
        this.step(KERNELS.initWeights, compiled, params, [{ buffer: this.weightBuffers[0] as GPUBuffer }], grid),
      );
      this.drawnLayer = layer;
    }
    return this.weightLayer(layer);
  }

  /** a_l = g(W_l a_{l-1} + b_l), from activation position `from` to position `to`. */
  private forwardStep(l: number, from: number, to: number, steps: Step[]): void {
    const { config } = this;
    const activation = ACTIVATIONS[config.activation];
    const compiled = this.compile(KERNELS.forward, {
      ...this.productShape,
      ACTIVATION: activation.id,
      TRACKED_FORWARD: config.numerics === "tracked" && activation.positivelyHomogeneous,
    });
    const params = {
      layer: l,
      inSlot: l - 1,
      outSlot: l,
      partialBase: this.partialBase(l),
      biasExp: this.biasExp,
      biasSigma: config.biasSigma,
    };
    const weights = this.weightsFor(l, steps);
    const resources = [weights, this.position(from), this.position(to), { buffer: this.biases }];
    const { x, y } = blockGrid(config.batch, config.width, this.workgroup);
    this.pushWithStatistics(steps, this.step(KERNELS.forward, compiled, params, resources, [x, y]), l);
  }

  /** The slot of ∂ℓ/∂a_l. */
  private gradSlot(l: number): number {
    return this.config.depth + 1 + l;
  }

  /** The buffer ∂ℓ/∂a_l is in: the two alternate down the layers. */
  private gradBuffer(l: number) {
    return { buffer: this.gradBuffers[(this.config.depth - l) % 2] as GPUBuffer };
  }

  /** ∂ℓ/∂a_L = a_L − y, from a_L at position `from`. */
  private seedStep(from: number, steps: Step[]): void {
    const L = this.config.depth;
    const seed = this.compile(KERNELS.seed, {
      ...this.shape,
      ACTIVATION: ACTIVATIONS[this.config.activation].id,
      TRACKED: this.config.numerics === "tracked",
    });
    const slot = this.gradSlot(L);
    const params = { inSlot: L, outSlot: slot, partialBase: this.partialBase(slot), targetExp: this.targetExp };
    const resources = [this.position(from), { buffer: this.targets }, this.gradBuffer(L)];
    this.pushWithStatistics(steps, this.step(KERNELS.seed, seed, params, resources, this.tensorGrid), slot);
  }

  /**
   * Layer l backward from ∂ℓ/∂z_l in one dispatch: ∂ℓ/∂a_{l-1} (stored as ∂ℓ/∂z_{l-1}) and the
   * statistics of ∂loss/∂W_l, with a_{l-1} at position `previous` (a_l is not needed: ∂ℓ/∂z_l
   * already has g'(a_l) in it).
   */
  private backwardStep(l: number, previous: number, steps: Step[]): void {
    const { config, plan } = this;
    const compiled = this.compile(KERNELS.backward, {
      ...this.productShape,
      ACTIVATION: ACTIVATIONS[config.activation].id,
      TRACKED: config.numerics === "tracked",
    });
    const slot = this.gradSlot(l - 1);
    const weightSlot = 2 * config.depth + 1 + l;
    const params = {
      layer: l,
      inSlot: this.gradSlot(l),
      outSlot: slot,
      partialBase: this.partialBase(slot),
      auxSlot: weightSlot,
      auxPartialBase: this.partialBase(weightSlot),
    };
    const weights = this.weightsFor(l, steps);
    const act = this.position(previous);
    const resources = [weights, act, this.gradBuffer(l), this.gradBuffer(l - 1), act];
    const grid = dispatchGrid(plan.partialsPerLayer + plan.partialsPerWeight, this.workgroup);
    this.pushWithStatistics(steps, this.step(KERNELS.backward, compiled, params, resources, grid), weightSlot, slot);
  }

  /** One workgroup per slot sums its partials (shaders/reduce.wgsl). */
  private reduceStep() {
    const { config, plan } = this;
    const reduce = this.compile(KERNELS.reduce, {
      LAYER_SLOTS: 2 * config.depth + 2,
      P_LAYER: plan.partialsPerLayer,
      P_WEIGHT: plan.partialsPerWeight,
      SLOTS: plan.slots,
    });
    return this.step(KERNELS.reduce, reduce, {}, [{ buffer: this.sums }], [Math.ceil(plan.slots / WORKGROUP)]);
  }
}
