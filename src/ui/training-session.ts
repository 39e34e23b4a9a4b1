/**
 * One training run for the page, driven by play, pause, step and reset: a Trainer from api.train()
 * (on the GPU when the page runs on WebGPU, in a worker on the CPU otherwise) that keeps its weights
 * between advances. Play advances in chunks of about ADVANCE_MS until the run is done or paused;
 * reset and stop abort the advance in flight and dispose of the trainer. Nothing here throws: a
 * failure becomes the view's `error`, in words.
 */
import { train } from "../api";
import { ConfigError, DEFAULT_TRAINING, type RunConfig, type TrainConfig, validateConfig } from "../core/config";
import type { Backend, TrainingRecord } from "../core/result";
import type { Trainer, TrainingUpdate } from "../core/training";
import { CapacityError } from "../gpu/plan";
import { checkCpuWork } from "./run-scheduler";

/** Wall time one advance of a playing run aims at: long enough to batch passes, short enough that pause answers at once. */
export const ADVANCE_MS = 150;

/** Where a training stands: not started, playing, paused between advances, run to the end, or failed. */
export type TrainingPhase = "off" | "playing" | "paused" | "done" | "failed";

/** What the page shows of a training run. */
export interface TrainingView {
  phase: TrainingPhase;
  /** An advance (or the trainer's start) is in flight. */
  busy: boolean;
  /** The config being trained (its `train` set), or null when off. */
  config: RunConfig | null;
  /** loss[t] after t steps, t = 0..passes − 1 (null where not finite). */
  loss: readonly (number | null)[];
  records: readonly TrainingRecord[];
  backend: Backend | null;
  /** Why the run stopped, in words, when it failed. */
  error: string | null;
}

export const TRAINING_OFF: TrainingView = {
  phase: "off",
  busy: false,
  config: null,
  loss: [],
  records: [],
  backend: null,
  error: null,
};

/** The training the lab runs when the config sets none: DEFAULT_TRAINING, every field filled in. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = validateConfig({ train: DEFAULT_TRAINING }).train as TrainConfig;

/** The config with its training, DEFAULT_TRAIN_CONFIG where it has none. */
export function withTraining(config: RunConfig): RunConfig {
  return { ...config, train: config.train ?? DEFAULT_TRAIN_CONFIG };
}

/** The config without a training equal to DEFAULT_TRAIN_CONFIG (the page trains that one when none is set): it stays out of the URL. */
export function withoutDefaultTraining(config: RunConfig): RunConfig {
  if (!config.train || JSON.stringify(config.train) !== JSON.stringify(DEFAULT_TRAIN_CONFIG)) return config;
  return singlePass(config);
}

/** The config's single pass: the config without its training. */
export function singlePass(config: RunConfig): RunConfig {
  const { train: _, ...single } = config;
  return single;
}

/** The step a view is at: the last loss's, 0 before any. */
export function currentStep(view: TrainingView): number {
  return Math.max(0, view.loss.length - 1);
}

/** A failure as the page says it. */
function failureText(error: unknown): string {
  if (error instanceof ConfigError) return `Training refused: ${error.message}`;
  if (error instanceof CapacityError) return `Training does not fit: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  return `Training stopped: ${message}`;
}

export class TrainingSession {
  private view: TrainingView = TRAINING_OFF;
  private trainer: Trainer | null = null;
  /** Aborts the advance in flight; a new one per run. */
  private controller = new AbortController();
  /** Bumped by reset: the work of an older run drops its results. */
  private generation = 0;
  private looping = false;
  /** Passes the next advance of a playing run asks for, adjusted towards ADVANCE_MS. */
  private chunk = 1;

  constructor(
    private readonly onChange: (view: TrainingView) => void,
    private readonly backend: () => Backend,
  ) {}

  get state(): TrainingView {
    return this.view;
  }

  /** Plays `config`'s training (started if off) until it is done or paused. */
  play(config: RunConfig): void {
    const { phase, busy } = this.view;
    // A step in flight finishes first (the trainer takes one advance at a time); the loop's own last advance does not matter.
    if (phase === "playing" || phase === "done" || (busy && !this.looping)) return;
    if (phase === "failed") this.reset();
    this.set({ phase: "playing" });
    if (!this.looping) void this.loop(config, this.generation);
  }

  /** Stops a playing run after the advance in flight; its trainer and weights are kept. */
  pause(): void {
    if (this.view.phase === "playing") this.set({ phase: "paused" });
  }

  /** Runs one more step of `config`'s training (started if off): the step counter moves by one. */
  step(config: RunConfig): void {
    const { phase, busy } = this.view;
    if (busy || phase === "playing" || phase === "done") return;
    if (phase === "failed") this.reset();
    this.set({ phase: "paused" });
    void this.guard(
      this.generation,
      async (trainer) => this.absorb(await trainer.advance(1, this.controller.signal)),
      config,
    );
  }

  /** Aborts the advance in flight, disposes of the trainer and goes back to step 0, off. */
  reset(): void {
    this.generation++;
    this.controller.abort(new DOMException("training reset", "AbortError"));
    this.controller = new AbortController();
    this.trainer?.dispose();
    this.trainer = null;
    this.looping = false;
    this.chunk = 1;
    if (this.view !== TRAINING_OFF) this.set(TRAINING_OFF);
  }

  private set(change: Partial<TrainingView>): void {
    this.view = { ...this.view, ...change };
    this.onChange(this.view);
  }

  private async loop(config: RunConfig, generation: number): Promise<void> {
    this.looping = true;
    try {
      while (this.generation === generation && this.view.phase === "playing") {
        const finished = await this.guard(generation, (trainer) => this.advanceTimed(trainer), config);
        if (!finished) return;
      }
    } finally {
      if (this.generation === generation) this.looping = false;
    }
  }

  /** One advance of about ADVANCE_MS; false once the run is done. */
  private async advanceTimed(trainer: Trainer): Promise<boolean> {
    const count = this.chunk;
    const began = performance.now();
    const update = await trainer.advance(count, this.controller.signal);
    const perPass = (performance.now() - began) / Math.max(1, update.loss.length);
    this.chunk = Math.max(1, Math.min(4 * count, Math.round(ADVANCE_MS / Math.max(perPass, 0.01))));
    this.absorb(update);
    return !trainer.done;
  }

  /**
   * Runs `work` on the trainer of this run (creating it, and running the pass at step 0, if there is
   * none yet) with `busy` set; a failure of this run becomes the view's error. Resolves to work's
   * result, or null when it failed or the run was reset meanwhile.
   */
  private async guard<T>(
    generation: number,
    work: (trainer: Trainer) => Promise<T>,
    config: RunConfig,
  ): Promise<T | null> {
    this.set({ busy: true });
    try {
      const trainer = await this.trainerFor(config, generation);
      if (this.generation !== generation) return null;
      const result = await work(trainer);
      if (this.generation !== generation) return null;
      this.set({ busy: false, ...(trainer.done ? { phase: "done" } : {}) });
      return result;
    } catch (error) {
      if (this.generation !== generation) return null;
      this.trainer?.dispose();
      this.trainer = null;
      this.set({ busy: false, phase: "failed", error: failureText(error) });
      return null;
    }
  }

  /** This run's trainer; the first call creates it and runs its pass at step 0 (the untrained network). */
  private async trainerFor(config: RunConfig, generation: number): Promise<Trainer> {
    if (this.trainer) return this.trainer;
    const trained = withTraining(config);
    const backend = this.backend();
    if (backend === "cpu") checkCpuWork(trained);
    this.set({ config: trained, backend, error: null });
    const trainer = await train(trained, { backend });
    // A trainer whose run was reset while it was created is disposed of at once.
    if (this.generation !== generation) {
      trainer.dispose();
      throw new DOMException("training reset", "AbortError");
    }
    this.trainer = trainer;
    this.absorb(await trainer.advance(1, this.controller.signal));
    return trainer;
  }

  private absorb(update: TrainingUpdate): void {
    if (update.loss.length === 0) return;
    this.set({
      loss: [...this.view.loss, ...update.loss],
      records: update.records.length > 0 ? [...this.view.records, ...update.records] : this.view.records,
    });
  }
}
