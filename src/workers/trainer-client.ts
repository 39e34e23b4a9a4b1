/**
 * A float64 training run off the page's main thread: one Web Worker per trainer, holding its weights
 * and optimizer state between advances; inline where there are no workers (Node).
 */
import type { RunConfig } from "../core/config";
import type { Subnormals } from "../core/result";
import { ReferenceTrainer, type Trainer, type TrainingUpdate } from "../core/training";
import { hasWorkers, WorkerPool } from "./pool";
import type { TrainerRequest } from "./trainer.worker";

/** Error of a trainer used after dispose(). */
const disposed = () => new Error("this trainer was disposed");

/** A CPU trainer: in its own worker on the page; an abort ends that worker, and the trainer with it. */
export function referenceTrainer(config: RunConfig, subnormals: Subnormals): Trainer {
  if (!hasWorkers()) return inlineTrainer(new ReferenceTrainer(config, { subnormals }));
  let worker: WorkerPool | null = new WorkerPool(
    () => new Worker(new URL("./trainer.worker.ts", import.meta.url), { type: "module", name: "gradscope trainer" }),
  );
  const started = worker.call<null>({ start: { config, subnormals } } satisfies TrainerRequest);
  let passes = 0;
  const steps = config.train?.steps ?? 0;
  return {
    config,
    get passes() {
      return passes;
    },
    get done() {
      return passes > steps;
    },
    async advance(count, signal) {
      if (!worker) throw disposed();
      await started;
      const pool = worker;
      try {
        const update = await pool.call<TrainingUpdate>({ advance: count } satisfies TrainerRequest, signal);
        passes = update.from + update.loss.length;
        return update;
      } catch (error) {
        // An abort ended the worker, and its state with it.
        if (signal?.aborted) {
          worker?.close();
          worker = null;
        }
        throw error;
      }
    },
    dispose() {
      worker?.close();
      worker = null;
    },
  };
}

/** A trainer run on this thread (no workers: Node). */
function inlineTrainer(trainer: ReferenceTrainer): Trainer {
  let alive = true;
  return {
    config: trainer.config,
    get passes() {
      return trainer.passes;
    },
    get done() {
      return trainer.done;
    },
    async advance(count, signal) {
      if (!alive) throw disposed();
      signal?.throwIfAborted();
      return trainer.advance(count);
    },
    dispose() {
      alive = false;
    },
  };
}
