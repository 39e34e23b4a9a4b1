/**
 * Training in float64 (SPEC.md, "Training"): full-batch steps on the run's fixed batch, each a
 * forward and backward pass of the reference (src/core/reference.ts) followed by the optimizer's
 * update of every W_l (and b_l with biases), every stored value rounded as the run's numerics say.
 *
 * Pass t (t = 0..T) is the network after t steps: it gives loss[t], its per-layer statistics when t
 * is recorded, and, for t < T, step t + 1's update, applied to each layer right after its backward
 * (nothing below that layer reads it again in the pass).
 */
import type { RunConfig, TrainConfig } from "./config";
import { layerWeights } from "./init";
import { drawRounding, formatUlp, ldexp, storeRounding, type Tensor } from "./layers/numerics";
import { layerBiases, nudged, type ReferenceOptions, runReference } from "./reference";
import {
  log10Norm,
  type RunResult,
  type Subnormals,
  summarize,
  type TrainingRecord,
  type TrainingResult,
} from "./result";

export type { TrainingRecord, TrainingResult };

/** A run's result with its training. */
export type TrainedResult = RunResult & { training: TrainingResult };

/** What a trainer's advance produced: loss[from..], the records among those passes, and the pass at step 0 if it ran. */
export interface TrainingUpdate {
  from: number;
  loss: (number | null)[];
  records: TrainingRecord[];
  /** The result of the pass at step 0 (the run's top-level fields), in the update that ran it; else null. */
  initial: RunResult | null;
}

/**
 * A training run that can be paused between advances: the GPU's keeps its weights and optimizer
 * state on the device, the CPU's in a worker. Pass t is the network after t steps (loss[t]); it also
 * takes step t + 1 unless t = T.
 */
export interface Trainer {
  readonly config: RunConfig;
  /** Passes run so far (the next is the network after this many steps). */
  readonly passes: number;
  /** All T + 1 passes have run. */
  readonly done: boolean;
  /**
   * Runs up to `passes` more passes (never past T) and resolves to what they produced. An abort
   * rejects with the signal's reason: a GPU trainer stops after the chunk in flight (`passes` counts
   * what ran, whose losses are not reported), a CPU trainer's worker is ended with its state.
   */
  advance(passes: number, signal?: AbortSignal): Promise<TrainingUpdate>;
  /** Frees the trainer's GPU buffers or worker; advancing after it rejects. */
  dispose(): void;
}

/** Whether pass t is recorded: every `record` steps from 0, and the last. */
export function isRecorded(train: TrainConfig, step: number): boolean {
  return step % train.record === 0 || step === train.steps;
}

/** The optimizer's hyperparameters as float32, as the GPU takes them. */
export type UpdateRule = Pick<TrainConfig, "optimizer" | "learningRate" | "momentum" | "beta1" | "beta2" | "epsilon">;

export function updateRule(train: TrainConfig): UpdateRule {
  const { optimizer, learningRate, momentum, beta1, beta2, epsilon } = train;
  return {
    optimizer,
    learningRate: Math.fround(learningRate),
    momentum: Math.fround(momentum),
    beta1: Math.fround(beta1),
    beta2: Math.fround(beta2),
    epsilon: Math.fround(epsilon),
  };
}

/** One parameter tensor and its optimizer state (momentum's v, or Adam's m and v), each stored rounded. */
class Parameter {
  readonly first: Float64Array;
  readonly second: Float64Array;

  constructor(readonly values: Float64Array) {
    this.first = new Float64Array(values.length);
    this.second = new Float64Array(values.length);
  }

  /**
   * Step t's update (t = 1..T) from the gradient g (entry k is gradient(k)), each stored value
   * rounded: SGD w ← w − ηg; momentum v ← μv + g, w ← w − ηv; Adam with bias-corrected moments.
   * Returns Σ (Δw)², the step's squared norm.
   */
  update(rule: UpdateRule, t: number, gradient: (k: number) => number, round: (v: number) => number): number {
    const { values: w, first, second } = this;
    const { learningRate: eta, beta1, beta2 } = rule;
    // 1/(1 − βᵗ) in float64, stored as float32 (the GPU reads them from a table of every step's).
    const correction1 = Math.fround(1 / (1 - beta1 ** t));
    const correction2 = Math.fround(1 / (1 - beta2 ** t));
    let deltaSq = 0;
    for (let k = 0; k < w.length; k++) {
      const g = gradient(k);
      let step: number;
      if (rule.optimizer === "sgd") step = eta * g;
      else if (rule.optimizer === "momentum") {
        first[k] = round(rule.momentum * (first[k] as number) + g);
        step = eta * (first[k] as number);
      } else {
        first[k] = round(beta1 * (first[k] as number) + (1 - beta1) * g);
        second[k] = round(beta2 * (second[k] as number) + (1 - beta2) * g * g);
        const mHat = (first[k] as number) * correction1;
        const vHat = (second[k] as number) * correction2;
        step = (eta * mHat) / (Math.sqrt(vHat) + rule.epsilon);
      }
      const old = w[k] as number;
      w[k] = round(old - step);
      const delta = (w[k] as number) - old;
      deltaSq += Number.isNaN(delta) ? Number.NaN : delta * delta;
    }
    return deltaSq;
  }
}

/** log10(√deltaSq / ‖W‖_F), or null where not finite or zero. */
function log10Ratio(deltaSq: number, weights: Float64Array): number | null {
  const delta = Math.sqrt(deltaSq);
  const norm = log10Norm(summarize(weights), 1);
  if (!(delta > 0) || !Number.isFinite(delta) || norm === null) return null;
  return Math.log10(delta) - norm;
}

/**
 * Trains a config (its `train` set) on the CPU in float64, pass by pass: `pass()` runs the next
 * one (the network after `passes` steps) and applies its update unless it is the last.
 */
export class ReferenceTrainer {
  readonly train: TrainConfig;
  readonly loss: (number | null)[] = [];
  readonly records: TrainingRecord[] = [];
  /** The pass at step 0: the result's top-level fields. */
  initial: RunResult | null = null;
  private readonly weights: Parameter[];
  private readonly biases: Parameter[] | null;
  private readonly rule: UpdateRule;
  private readonly round: (v: number) => number;

  constructor(
    readonly config: RunConfig,
    private readonly options: ReferenceOptions = {},
  ) {
    if (!config.train) throw new RangeError("ReferenceTrainer needs a config with train set");
    this.train = config.train;
    const { depth, width: n, seed } = config;
    const layers = Array.from({ length: depth }, (_, i) => i + 1);
    const subnormals: Subnormals = options.subnormals ?? "kept";
    const round = drawRounding(config, subnormals);
    const drawn = (l: number) => options.weights?.(l) ?? layerWeights(config.init, n, seed, l);
    this.weights = layers.map((l) => new Parameter(drawn(l).map(round)));
    this.biases = config.biasSigma > 0 ? layers.map((l) => new Parameter(layerBiases(config, l).map(round))) : null;
    this.rule = updateRule(this.train);
    const rounding = storeRounding(config, subnormals);
    this.round =
      options.nudge === undefined ? rounding : nudged(rounding, options.nudge ^ 0x5bd1e995, formatUlp(config));
  }

  /** Passes run so far: the next pass is the network after this many steps. */
  get passes(): number {
    return this.loss.length;
  }

  get done(): boolean {
    return this.passes > this.train.steps;
  }

  /** Runs the next pass (and its update unless it is the last); returns its record when it is recorded. */
  pass(): TrainingRecord | null {
    if (this.done) throw new RangeError(`training has run all ${this.train.steps} steps`);
    const t = this.passes;
    const updating = t < this.train.steps;
    const { depth } = this.config;
    const ratios: (number | null)[] = [null];
    const biases = this.biases;
    const result = runReference(this.config, {
      ...this.options,
      weights: (l) => (this.weights[l - 1] as Parameter).values,
      ...(biases ? { biases: (l: number) => (biases[l - 1] as Parameter).values } : {}),
      onProgress: undefined,
      onParameterGradient: (l, weightGrad, gradZ) => {
        ratios[l] = updating ? this.updateLayer(l, t + 1, weightGrad, gradZ) : null;
      },
    });
    if (t === 0) this.initial = result;
    this.loss.push(result.loss);
    if (!isRecorded(this.train, t)) return null;
    const record: TrainingRecord = {
      step: t,
      log10ActRms: result.log10ActRms,
      log10GradRms: result.log10GradRms,
      log10WeightGradRms: result.log10WeightGradRms,
      log10UpdateRatio: Array.from({ length: depth + 1 }, (_, l) => ratios[l] ?? null),
    };
    this.records.push(record);
    return record;
  }

  /** Step t's update of layer l from B·∂loss/∂W_l and ∂ℓ_b/∂z_l; the log10 update ratio of W_l. */
  private updateLayer(l: number, t: number, weightGrad: Tensor, gradZ: Tensor): number | null {
    const { batch, width: n } = this.config;
    const weights = this.weights[l - 1] as Parameter;
    const before = weights.values.slice();
    const g = weightGrad.values;
    const wShift = weightGrad.exponent;
    const deltaSq = weights.update(this.rule, t, (k) => ldexp(g[k] as number, wShift) / batch, this.round);
    const biases = this.biases?.[l - 1];
    if (biases) {
      const sums = new Float64Array(n);
      for (let b = 0; b < batch; b++)
        for (let i = 0; i < n; i++) sums[i] = (sums[i] as number) + (gradZ.values[b * n + i] as number);
      biases.update(this.rule, t, (i) => ldexp(sums[i] as number, gradZ.exponent) / batch, this.round);
    }
    return log10Ratio(deltaSq, before);
  }

  /** Runs up to `count` more passes and returns what they produced. */
  advance(count: number): TrainingUpdate {
    const from = this.passes;
    const records: TrainingRecord[] = [];
    for (let i = 0; i < count && !this.done; i++) {
      const record = this.pass();
      if (record) records.push(record);
    }
    return { from, loss: this.loss.slice(from), records, initial: from === 0 ? this.initial : null };
  }

  /** SPEC.md's result: the initial pass's fields and the training so far. */
  result(): TrainedResult {
    if (!this.initial) throw new RangeError("no pass has run yet");
    return { ...this.initial, training: { loss: this.loss.slice(), records: this.records.slice() } };
  }
}

/** Trains a config (its `train` set) on the CPU in float64 and returns SPEC.md's result with its training. */
export function trainReference(config: RunConfig, options: ReferenceOptions = {}): TrainedResult {
  const started = performance.now();
  const trainer = new ReferenceTrainer(config, options);
  while (!trainer.done) {
    trainer.pass();
    options.onProgress?.(trainer.passes / (trainer.train.steps + 1));
  }
  const result = trainer.result();
  return { ...result, timingMs: { wall: performance.now() - started } };
}
