/**
 * The layered path's dispatches: src/gpu/schedule.ts's forward, seed and backward steps (with
 * recomputation when activations are checkpointed), each weight drawn where used when weights are
 * not stored, and each statistic reduced once at the end or right after its dispatch.
 */
import { ACTIVATIONS } from "../core/activations";
import type { CompiledKernel } from "./kernels";
import { KERNELS } from "./kernels";
import { blockGrid, dispatchGrid, tileCount } from "./plan";
import { drawGroups, type RunEncoder, type Step } from "./run-encoder";
import { type ChainStep, chainSchedule } from "./schedule";

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
}

export class LayeredSteps {
  /** The layer whose weights the one weight buffer holds, when weights are drawn where used. */
  private drawnLayer = 0;
  private readonly prepared: Prepared;

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
    this.prepared = {
      forward: run.compile(KERNELS.forward, {
        ...run.productShape,
        ACTIVATION: activation.id,
        TRACKED_FORWARD: tracked && activation.positivelyHomogeneous,
      }),
      seed: run.compile(KERNELS.seed, { ...run.shape, ACTIVATION: activation.id, TRACKED: tracked }),
      backward: run.compile(KERNELS.backward, { ...run.productShape, ACTIVATION: activation.id, TRACKED: tracked }),
      draw: drawsPerStep
        ? run.compile(KERNELS.initWeights, { N: config.width, ROW_STRIDE: run.rowStride, INIT_KIND: kind ?? 0 })
        : null,
      reduceLayer: each ? run.compile(KERNELS.reduceOne, { PARTIALS: plan.partialsPerLayer }) : null,
      reduceWeight: each ? run.compile(KERNELS.reduceOne, { PARTIALS: plan.partialsPerWeight }) : null,
      forwardGrid: [x, y],
      backwardGrid: dispatchGrid(tileCount(batch, n, block) + tileCount(n, n, block), workgroup),
      initParam: param,
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
    const layerSlots = 2 * plan.depth + 2;
    if (plan.reduceEachDispatch) return slot < layerSlots ? 0 : plan.partialsPerLayer;
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
      const compiled = (slot < 2 * plan.depth + 2 ? reduceLayer : reduceWeight) as CompiledKernel;
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
      const params = { layer, count: 1, stride: 0, seed: config.seed, initParam: this.prepared.initParam };
      const grid = [drawGroups(n * n)];
      const buffer = this.run.weightBuffers[0] as GPUBuffer;
      steps.push(this.run.step(KERNELS.initWeights, draw, params, [{ buffer }], grid));
      this.drawnLayer = layer;
    }
    return this.run.weightLayer(layer);
  }

  /** a_l = g(W_l a_{l-1} + b_l), from activation position `from` to position `to`. */
  private forwardStep(l: number, from: number, to: number, steps: Step[]): void {
    const { config } = this.run;
    const { forward, forwardGrid, initParam } = this.prepared;
    const params = {
      layer: l,
      seed: config.seed,
      initParam,
      inSlot: l - 1,
      outSlot: l,
      partialBase: this.partialBase(l),
      biasExp: this.run.biasExp,
      biasSigma: config.biasSigma,
    };
    const weights = this.weightsFor(l, steps);
    const resources = [weights, this.run.position(from), this.run.position(to), { buffer: this.run.biases }];
    this.pushWithStatistics(steps, this.run.step(KERNELS.forward, forward, params, resources, forwardGrid), l);
  }

  /** The slot of ∂ℓ/∂a_l. */
  private gradSlot(l: number): number {
    return this.run.config.depth + 1 + l;
  }

  /** The buffer holding layer l's gradient (∂ℓ/∂z_l, stored for ∂ℓ/∂a_l): the two alternate down the layers. */
  private gradBuffer(l: number) {
    return { buffer: this.run.gradBuffers[(this.run.config.depth - l) % 2] as GPUBuffer };
  }

  /** ∂ℓ/∂a_L = a_L − y (its statistics; stored as ∂ℓ/∂z_L), from a_L at position `from`. */
  private seedStep(from: number, steps: Step[]): void {
    const L = this.run.config.depth;
    const { seed } = this.prepared;
    const slot = this.gradSlot(L);
    const params = { inSlot: L, outSlot: slot, partialBase: this.partialBase(slot), targetExp: this.run.targetExp };
    const resources = [this.run.position(from), { buffer: this.run.targets }, this.gradBuffer(L)];
    this.pushWithStatistics(steps, this.run.step(KERNELS.seed, seed, params, resources, this.run.tensorGrid), slot);
  }

  /**
   * Layer l backward from ∂ℓ/∂z_l in one dispatch: ∂ℓ/∂a_{l-1} (stored as ∂ℓ/∂z_{l-1}) and the
   * statistics of ∂loss/∂W_l, with a_{l-1} at position `previous` (a_l is not needed: ∂ℓ/∂z_l
   * already has g'(a_l) in it).
   */
  private backwardStep(l: number, previous: number, steps: Step[]): void {
    const { config } = this.run;
    const { backward, backwardGrid, initParam } = this.prepared;
    const slot = this.gradSlot(l - 1);
    const weightSlot = 2 * config.depth + 1 + l;
    const params = {
      layer: l,
      seed: config.seed,
      initParam,
      inSlot: this.gradSlot(l),
      outSlot: slot,
      partialBase: this.partialBase(slot),
      auxSlot: weightSlot,
      auxPartialBase: this.partialBase(weightSlot),
    };
    const weights = this.weightsFor(l, steps);
    const act = this.run.position(previous);
    const resources = [weights, act, this.gradBuffer(l), this.gradBuffer(l - 1), act];
    const step = this.run.step(KERNELS.backward, backward, params, resources, backwardGrid);
    this.pushWithStatistics(steps, step, weightSlot, slot);
  }

  /** The draws: stored weights, biases, then a_0 and the targets with a_0's statistics. */
  private initSteps() {
    const { config } = this.run;
    const steps = [...this.run.weightSteps(), ...this.run.biasSteps()];
    const data = this.run.compile(KERNELS.data, {
      ...this.run.shape,
      INPUT_ONES: config.input === "ones",
      TARGET_ZEROS: config.target === "zeros",
    });
    const dataStep = this.run.step(
      KERNELS.data,
      data,
      { seed: config.seed, outSlot: 0, partialBase: 0 },
      [this.run.position(0), { buffer: this.run.targets }],
      this.run.tensorGrid,
    );
    this.pushWithStatistics(steps, dataStep, 0);
    return steps;
  }
}
