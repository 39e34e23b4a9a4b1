/** A Web Worker holding one float64 training run (src/core/training.ts), advanced on request. */
import type { RunConfig } from "../core/config";
import type { Subnormals } from "../core/result";
import { ReferenceTrainer, type TrainingUpdate } from "../core/training";
import { serve } from "./pool";

/** The first message starts the run; each later one advances it. */
export type TrainerRequest = { start: { config: RunConfig; subnormals: Subnormals } } | { advance: number };

let trainer: ReferenceTrainer | null = null;

serve<TrainerRequest, TrainingUpdate | null>((request) => {
  if ("start" in request) {
    trainer = new ReferenceTrainer(request.start.config, { subnormals: request.start.subnormals });
    return { result: null };
  }
  if (!trainer) throw new Error("the trainer worker was not started");
  return { result: trainer.advance(request.advance) };
});
