/**
 * The layered path's dispatches: src/gpu/schedule.ts's forward, seed and backward steps (with
 * recomputation when activations are checkpointed), each weight drawn where used when weights are
 * not stored, and each statistic reduced once at the end or right after its dispatch.
 *
 * A plain chain's product kernels apply the activation themselves. With norms or residual
 * connections each step adds a layer kernel (shaders/layer_*.wgsl): forward, the product stores z_l
 * and the layer kernel writes layer l's state (a_l, h_l, ẑ_l, 1/σ) into its position; backward, the
 * product stores ∂ℓ/∂a_{l-1} (with the skip's ∂ℓ/∂a_l added) and the layer kernel turns it into
 * ∂ℓ/∂z_{l-1} from layer l−1's state, which the same position holds as a_{l-1}.
 */
import { ACTIVATIONS } from "../core/activations";
import { type RunConfig, TARGETS } from "../core/config";
import type { CompiledKernel, Kernel } from "./kernels";
import { KERNELS } from "./kernels";
import { blockGrid, dispatchGrid, drawGroups, layerState, tileCount, WORKGROUP } from "./plan";
import type { RunEncoder, Step, TrainingSteps } from "./run-encoder";
import { type ChainStep, chainSchedule } from "./schedule";

const NORM_IDS = { none: 0, layer: 1, batch: 2 } as const;

/** The layer kernels' constants (shaders/layer.wgsl): the norm, the residual connection, the state's offsets. */
function layerConstants(config: RunConfig) {
  const state = layerState(config);
  const tracked = config.numerics === "tracked";
  return {
    ACTIVATION: ACTIVATIONS[config.activation].id,
    NORM: NORM_IDS[config.norm],
    RESIDUAL: config.residual !== null,
    H_OFFSET: state.hOffset,
    Z_OFFSET: state.zOffset,
    INV_OFFSET: state.invOffset,
    TRACKED: tracked,
    SCALED: tracked && ACTIVATIONS[config.activation].positivelyHomogeneous,
  };
}

/** The layer kernels' pipelines and grid: 4 groups (examples, or units for batch norm) per invocation. */
interface LayerKernels {
  forward: CompiledKernel;
  backward: CompiledKernel;
  grid: number[];
  alpha: number;
}

/**
 * The kernels of a run that write a_l or ∂ℓ/∂a_l: each the variant that also counts its tensor into
 * the histograms when the run has them (the forward product only where it writes a_l itself).
 */
function tensorKernels(histograms: boolean, epilogue: boolean) {
  return {
    data: histograms ? KERNELS.dataHistogram : KERNELS.data,
    forward: histograms && !epilogue ? KERNELS.forwardHistogram : KERNELS.forward,
    seed: histograms ? KERNELS.seedHistogram : KERNELS.seed,
    backward: histograms ? KERNELS.backwardHistogram : KERNELS.backward,
    layerForward: histograms ? KERNELS.layerForwardHistogram : KERNELS.layerForward,
  };
}

/** The `histogram` param of a dispatch of `kernel` counting into `layer`'s record (none without histograms). */
function histogramParam(kernel: Kernel, layer: number): { histogram?: number } {
  return kernel.histogram ? { histogram: layer } : {};
}

/** The pipelines and grids every step of one layered run shares, compiled once per run. */
interface Prepared {
  forward: CompiledKernel;
  seed: CompiledKernel;
  backward: CompiledKernel;
  /** Only when W_l is drawn into the one weight layer. */
  draw: CompiledKernel | null;
  /** Only when each dispatch's statistics are reduced right after it. */
  reduceLayer: CompiledKernel | null;
  reduceWeight: CompiledKernel | null;
  forwardGrid: number[];
  backwardGrid: number[];
  /** The init's scalar, for weights drawn in the kernels or into the one weight layer. */
  initParam: number;
  /** Only with norms or residual connections. */
  layer: LayerKernels | null;
}

export class LayeredSteps {
  /** The layer whose weights the one weight buffer holds, when weights are drawn where used. */
  private drawnLayer = 0;
  private readonly prepared: Prepared;
  /** Training: the update kernel, while building a pass that takes its step's update. */
  private updating: CompiledKernel | null = null;
  /** Whether the pass being built is recorded (the update's statistics of W_l and ΔW_l). */
  private recording = true;
  /** The kernels writing a_l and ∂ℓ/∂a_l: with or without histograms. */
  private readonly kernels: ReturnType<typeof tensorKernels>;
  /** Layers whose a_l is counted into the histograms already: a recomputation counts nothing. */
  private readonly counted = new Set<number>();

  constructor(private readonly run: RunEncoder) {
    const { config, plan } = run;
    const { workgroup, block } = run.tiling;
    const activation = ACTIVATIONS[config.activation];
    const tracked = config.numerics === "tracked";
    const { kind, param } = run.drawnInit;
    const { batch, width: n } = config;
    const { x, y } = blockGrid(batch, n, workgroup, block);
    const drawsPerStep = !plan.storedWeights && !plan.weightsInKernel;
    const each = plan.reduceEachDispatch;
    const epilogue = plan.epilogue;
    // With layer kernels the products store z_l and ∂ℓ/∂a_{l-1}, and z_l's slot keeps only its scale.
    const products: Record<string, boolean> = epilogue ? { STORE_GRAD: true, RESIDUAL: config.residual !== null } : {};
    this.kernels = tensorKernels(plan.histograms !== null, epilogue);
    this.prepared = {
      forward: run.compile(this.kernels.forward, {
        ...run.productShape,
        ACTIVATION: activation.id,
        TRACKED_FORWARD: tracked && activation.positivelyHomogeneous,
        ...(epilogue
          ? { STORE_Z: true, KEEP_PARTIALS: false, TRACKED_INPUT: tracked && !activation.positivelyHomogeneous }
          : {}),
      }),
      seed: run.compile(this.kernels.seed, {
        ...run.shape,
        ACTIVATION: activation.id,
        TRACKED: tracked,
        ...(epilogue ? { STORE_GRAD: true } : {}),
      }),
      backward: run.compile(this.backwardKernel, {
        ...run.productShape,
        ACTIVATION: activation.id,
        TRACKED: tracked,
        ...products,
      }),
      draw: drawsPerStep
        ? run.compile(KERNELS.initWeights, { N: config.width, ROW_STRIDE: run.rowStride, INIT_KIND: kind ?? 0 })
        : null,
      reduceLayer: each ? run.compile(KERNELS.reduceOne, { PARTIALS: plan.partialsPerLayer }) : null,
      reduceWeight: each ? run.compile(KERNELS.reduceOne, { PARTIALS: plan.partialsPerWeight }) : null,
      forwardGrid: [x, y],
      backwardGrid: dispatchGrid(tileCount(batch, n, block) + tileCount(n, n, block), workgroup),
      initParam: param,
      layer: epilogue ? this.layerKernels() : null,
    };
  }

  /** The backward step, storing B·∂loss/∂W_l when training. */
  private get backwardKernel() {
    return this.run.plan.training ? KERNELS.backwardTrain : this.kernels.backward;
  }

  private layerKernels(): LayerKernels {
    const { config, plan } = this.run;
    const constants = { ...this.run.shape, ...layerConstants(config) };
    const groups = config.norm === "batch" ? config.width : config.batch;
    return {
      forward: this.run.compile(this.kernels.layerForward, { ...constants, PARTIALS: plan.partialsPerLayer }),
      backward: this.run.compile(KERNELS.layerBackward, { ...constants, KEEP_PARTIALS: false }),
      grid: dispatchGrid(Math.ceil(groups / 4), WORKGROUP),
      alpha: Math.fround(config.residual ?? 1),
    };
  }

  /**
   * The layered path: the draws, then src/gpu/schedule.ts's steps (the forward pass up to the seed,
   * the backward pass from it, with recomputation in between when activations are checkpointed;
   * a recomputed step writes the same statistics again), then the reduction.
   */
  build(): Step[][] {
    const schedule = chainSchedule(this.run.config.depth, this.run.plan.positions);
    const seedAt = schedule.findIndex((step) => step.kind === "seed");
    const forward: Step[] = [];
    const backward: Step[] = [];
    const init = this.initSteps();
    schedule.forEach((step, index) => {
      this.chainStep(step, index < seedAt ? forward : backward);
    });
    if (!this.run.plan.reduceEachDispatch) backward.push(this.run.reduceStep());
    return [init, forward, backward];
  }

  /**
   * Training: one pass over the stored weights, as build()'s forward and backward steps, then a
   * reduction of every slot (`record`) or of ∂ℓ/∂a_L's alone (the loss). With `update`, it counts the
   * step first and each layer's backward step is followed by its update (shaders/update.wgsl), before
   * anything overwrites ∂ℓ/∂z_l.
   */
  trainingPass(update: boolean, record: boolean): Step[] {
    const { config, plan } = this.run;
    const training = plan.training;
    if (!training || !config.train) throw new RangeError("trainingPass needs a training plan");
    const steps: Step[] = [];
    if (update) {
      const count = this.run.compile(KERNELS.trainStep, {});
      steps.push(this.run.step(KERNELS.trainStep, count, {}, [{ buffer: this.run.trainingBuffers.stepCount }], [1]));
      this.updating = this.run.compile(KERNELS.update, {
        ...this.run.shape,
        ...this.run.optimizerConstants,
        STATISTICS: record,
      });
      this.recording = record;
    }
    for (const step of chainSchedule(config.depth, plan.positions)) this.chainStep(step, steps);
    this.updating = null;
    // Reduced after each dispatch, every slot is reduced already.
    if (!plan.reduceEachDispatch) {
      steps.push(record ? this.run.reduceStep() : this.run.reduceSlot(plan.slotLayout.grad(config.depth)));
    }
    return steps;
  }

  /** A training run's dispatches on the layered path (TrainingSteps). */
  trainingSteps(): TrainingSteps {
    return {
      init: this.initSteps(),
      recorded: this.trainingPass(true, true),
      lossOnly: this.trainingPass(true, false),
      last: this.trainingPass(false, true),
    };
  }

  /** Training: step t's update of W_l and b_l, from the stored B·∂loss/∂W_l and ∂ℓ/∂z_l in `gradZ`. */
  private updateStep(l: number, gradZ: { buffer: GPUBuffer }, steps: Step[]): void {
    const compiled = this.updating;
    if (!compiled) return;
    const { plan, config } = this.run;
    const slots = plan.slotLayout;
    const buffers = this.run.trainingBuffers;
    const params = {
      layer: l,
      outSlot: slots.update(l),
      auxSlot: slots.weight(l),
      partialBase: this.partialBase(slots.update(l)),
      auxPartialBase: this.partialBase(slots.weight(l)),
    };
    const resources = [
      this.run.weightLayer(l),
      this.run.optimizerState(l),
      { buffer: buffers.weightGrad },
      { buffer: this.run.biases },
      gradZ,
      { buffer: buffers.stepCount },
    ];
    const n = config.width;
    const grid = dispatchGrid(Math.max(Math.ceil(n / 4) ** 2, n), WORKGROUP);
    const step = this.run.step(KERNELS.update, compiled, params, resources, grid);
    if (this.recording) this.pushWithStatistics(steps, step, slots.update(l), slots.weight(l));
    else steps.push(step);
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
    const { plan } = this.run;
    const layerSlots = plan.slotLayout.tensorSlots;
    if (plan.reduceEachDispatch) {
      if (slot < layerSlots) return 0;
      // Training's update writes W_l's statistics beside ΔW_l's: a second weight's place.
      const weightSlot =
        plan.training && slot >= plan.slotLayout.weight(1) && slot <= plan.slotLayout.weight(plan.depth);
      return plan.partialsPerLayer + (weightSlot ? plan.partialsPerWeight : 0);
    }
    if (slot < layerSlots) return slot * plan.partialsPerLayer;
    return layerSlots * plan.partialsPerLayer + (slot - layerSlots) * plan.partialsPerWeight;
  }

  /** A step writing these slots' statistics, followed by their reductions when each dispatch is reduced. */
  private pushWithStatistics(steps: Step[], step: Step, ...slots: number[]): void {
    steps.push(step);
    if (!this.run.plan.reduceEachDispatch) return;
    const { plan } = this.run;
    for (const slot of slots) {
      const { reduceLayer, reduceWeight } = this.prepared;
      const compiled = (slot < plan.slotLayout.tensorSlots ? reduceLayer : reduceWeight) as CompiledKernel;
      const params = { outSlot: slot, partialBase: this.partialBase(slot) };
      steps.push(this.run.step(KERNELS.reduceOne, compiled, params, [{ buffer: this.run.sums }], [1]));
    }
  }

  /** W_l for a step: stored, drawn in the kernel, or drawn into the one weight layer unless it holds W_l. */
  private weightsFor(layer: number, steps: Step[]) {
    const { config } = this.run;
    const { draw } = this.prepared;
    if (draw && this.drawnLayer !== layer) {
      const n = config.width;
      const params = { layer, layers: 1, stride: 0, seed: config.seed, initParam: this.prepared.initParam };
      const grid = [drawGroups(n * n)];
      const buffer = this.run.weightBuffers[0] as GPUBuffer;
      steps.push(this.run.step(KERNELS.initWeights, draw, params, [{ buffer }], grid));
      this.drawnLayer = layer;
    }
    return this.run.weightLayer(layer);
  }

  /**
   * a_l = g(W_l a_{l-1} + b_l), from activation position `from` to position `to`; with layer
   * kernels, z_l into its own buffer and then layer l's state from it and a_{l-1}.
   */
  private forwardStep(l: number, from: number, to: number, steps: Step[]): void {
    const { config, plan } = this.run;
    const slots = plan.slotLayout;
    const { forward, forwardGrid, initParam, layer } = this.prepared;
    const outSlot = layer ? slots.preActivation(l) : slots.act(l);
    // a_l is counted where it is first computed; a recomputation counts into a record nothing reads.
    const counting = this.counted.has(l) ? (plan.histograms?.discarded ?? 0) : l;
    this.counted.add(l);
    const params = {
      layer: l,
      seed: config.seed,
      initParam,
      inSlot: slots.act(l - 1),
      outSlot,
      partialBase: layer ? 0 : this.partialBase(outSlot),
      biasExp: this.run.biasExp,
      biasSigma: config.biasSigma,
      ...histogramParam(this.kernels.forward, counting),
    };
    const weights = this.weightsFor(l, steps);
    const output = layer ? this.preActivations() : this.run.position(to);
    const resources = [weights, this.run.position(from), output, { buffer: this.run.biases }];
    const product = this.run.step(this.kernels.forward, forward, params, resources, forwardGrid);
    if (!layer) {
      this.pushWithStatistics(steps, product, outSlot);
      return;
    }
    steps.push(product);
    const layerParams = {
      layer: l,
      inSlot: slots.act(l - 1),
      outSlot: slots.act(l),
      auxSlot: outSlot,
      partialBase: this.partialBase(slots.act(l)),
      alpha: layer.alpha,
      ...histogramParam(this.kernels.layerForward, counting),
    };
    const state = [{ buffer: this.run.preActivations as GPUBuffer }, this.run.position(from), this.run.position(to)];
    const step = this.run.step(this.kernels.layerForward, layer.forward, layerParams, state, layer.grid);
    this.pushWithStatistics(steps, step, slots.act(l));
  }

  /** The pre-activation buffer z_l as the forward kernel's output binding. */
  private preActivations() {
    const buffer = this.run.preActivations as GPUBuffer;
    return { buffer, layerBytes: this.run.plan.bytes.targets, offset: 0 };
  }

  /**
   * The buffer holding layer l's gradient, ∂ℓ/∂z_l for the plain chain's products (stored for
   * ∂ℓ/∂a_l), or ∂ℓ/∂a_l with layer kernels: the two alternate down the layers.
   */
  private gradBuffer(l: number) {
    return { buffer: this.run.gradBuffers[(this.run.config.depth - l) % 2] as GPUBuffer };
  }

  /**
   * ∂ℓ/∂a_L = a_L − y (its statistics), from a_L at position `from`: stored as ∂ℓ/∂z_L, or, with
   * layer kernels, stored as it is and turned into ∂ℓ/∂z_L by layer L's backward kernel.
   */
  private seedStep(from: number, steps: Step[]): void {
    const L = this.run.config.depth;
    const slots = this.run.plan.slotLayout;
    const { seed } = this.prepared;
    const slot = slots.grad(L);
    const params = {
      inSlot: L,
      outSlot: slot,
      partialBase: this.partialBase(slot),
      targetExp: this.run.targetExp,
      ...histogramParam(this.kernels.seed, L),
    };
    const resources = [this.run.position(from), { buffer: this.run.targets }, this.gradBuffer(L)];
    const step = this.run.step(this.kernels.seed, seed, params, resources, this.run.tensorGrid);
    this.pushWithStatistics(steps, step, slot);
    this.layerBackwardStep(L, from, steps);
  }

  /** Layer l's backward kernel, when there are layer kernels: ∂ℓ/∂z_l from ∂ℓ/∂a_l and the state at `position`. */
  private layerBackwardStep(l: number, position: number, steps: Step[]): void {
    const { layer } = this.prepared;
    if (!layer || l < 1) return;
    const slots = this.run.plan.slotLayout;
    const params = {
      layer: l,
      inSlot: slots.grad(l),
      outSlot: slots.preActivationGrad(l),
      auxSlot: slots.preActivation(l),
      alpha: layer.alpha,
    };
    const resources = [
      this.gradBuffer(l),
      this.run.position(position),
      { buffer: this.run.preActivationGrad as GPUBuffer },
    ];
    steps.push(this.run.step(KERNELS.layerBackward, layer.backward, params, resources, layer.grid));
  }

  /**
   * Layer l backward from ∂ℓ/∂z_l in one dispatch: ∂ℓ/∂a_{l-1} (stored as ∂ℓ/∂z_{l-1}) and the
   * statistics of ∂loss/∂W_l, with a_{l-1} at position `previous` (a_l is not needed: ∂ℓ/∂z_l
   * already has g'(a_l) in it). With layer kernels, ∂ℓ/∂z_l is in its own buffer, ∂ℓ/∂a_{l-1} gets
   * the skip's ∂ℓ/∂a_l added (residual connections) and is stored as it is, and layer l−1's backward
   * kernel follows, reading its state at `previous`.
   */
  private backwardStep(l: number, previous: number, steps: Step[]): void {
    const { config, plan } = this.run;
    const slots = plan.slotLayout;
    const { backward, backwardGrid, initParam, layer } = this.prepared;
    const slot = slots.grad(l - 1);
    const weightSlot = slots.weightGrad(l);
    const params = {
      layer: l,
      seed: config.seed,
      initParam,
      inSlot: layer ? slots.preActivationGrad(l) : slots.grad(l),
      outSlot: slot,
      partialBase: this.partialBase(slot),
      auxSlot: weightSlot,
      auxPartialBase: this.partialBase(weightSlot),
      ...histogramParam(this.backwardKernel, l - 1),
    };
    const weights = this.weightsFor(l, steps);
    const act = this.run.position(previous);
    const gradZ = layer ? { buffer: this.run.preActivationGrad as GPUBuffer } : this.gradBuffer(l);
    // The skip's ∂ℓ/∂a_l (read only with a residual connection; bound either way).
    const resources = [weights, act, gradZ, this.gradBuffer(l - 1), act, this.gradBuffer(l)];
    if (plan.training) resources.push({ buffer: this.run.trainingBuffers.weightGrad });
    const step = this.run.step(this.backwardKernel, backward, params, resources, backwardGrid);
    this.pushWithStatistics(steps, step, weightSlot, slot);
    this.updateStep(l, gradZ, steps);
    this.layerBackwardStep(l - 1, previous, steps);
  }

  /** The draws: stored weights, biases, then a_0 and the targets with a_0's statistics. */
  initSteps() {
    const { config } = this.run;
    const steps = [...this.run.weightSteps(), ...this.run.biasSteps()];
    const kernel = this.kernels.data;
    const data = this.run.compile(kernel, {
      ...this.run.shape,
      INPUT_ONES: config.input === "ones",
      TARGET_KIND: TARGETS.indexOf(config.target),
    });
    const dataStep = this.run.step(
      kernel,
      data,
      { seed: config.seed, outSlot: 0, partialBase: 0, ...histogramParam(kernel, 0) },
      [this.run.position(0), { buffer: this.run.targets }],
      this.run.tensorGrid,
    );
    this.pushWithStatistics(steps, dataStep, 0);
    return steps;
  }
}
