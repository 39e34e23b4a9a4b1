/** The bench's in-page helpers, bundled by bench/page-bundle.ts and added to the built page. */
import type { RunConfig } from "../src/core/config";
import type { TimingMs } from "../src/core/result";
import { autotune, runOnGpu } from "../src/gpu/engine";
import { measurePeak } from "../src/gpu/peak";
import type { RunPath } from "../src/gpu/plan";
import { GpuTrainer } from "../src/gpu/trainer";
import { peerReady, runPeer, trainPeer } from "./peer-tfjs";

// This bundle's engine is its own copy, with its own tiling autotune: its trials run only when the
// bench settles them (after a config's first pass), never during a timed training.
autotune.background = false;

/** The adapter's description and the limits the engine plans against. */
async function adapterInfo() {
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error("no WebGPU adapter");
  const { vendor, architecture, device, description } = adapter.info;
  const { maxBufferSize, maxStorageBufferBindingSize, minStorageBufferOffsetAlignment } = adapter.limits;
  return {
    info: { vendor, architecture, device, description },
    timestamps: adapter.features.has("timestamp-query"),
    limits: { maxBufferSize, maxStorageBufferBindingSize, minStorageBufferOffsetAlignment },
  };
}

/** One forward and backward pass of a config without train, on the path given or the engine's own choice. */
async function passOurs(config: RunConfig, path?: RunPath): Promise<{ timingMs: TimingMs; dispatches: number | null }> {
  const result = await runOnGpu(config, path ? { path } : {});
  return { timingMs: result.timingMs, dispatches: result.dispatches ?? null };
}

/** How long gradscope's training is timed: as the peer's settings, plus the warm-up's length. */
export interface OurTrainSettings {
  /** Wall time of the warm-up advance (after the first pass and a one-step probe), ms. */
  warmUpMs: number;
  timedMs: number;
  minSteps: number;
  maxSteps: number;
}

/** What gradscope's training measured: the timed advance's steps and wall time, and the loss before and after. */
export interface OurTraining {
  steps: number;
  wallMs: number;
  /** Wall time of creating the trainer and its first pass (compiling its pipelines), ms. */
  firstMs: number;
  /** Wall ms per step of the warm-up advance (or of the one-step probe where there was none). */
  warmStepMs: number;
  lossFirst: number | null;
  lossLast: number | null;
}

/** `count` passes of the trainer in one advance: wall ms and the last pass's loss. */
async function advanceTimed(trainer: GpuTrainer, count: number): Promise<{ ms: number; loss: number | null }> {
  const started = performance.now();
  const update = await trainer.advance(count);
  return { ms: performance.now() - started, loss: update.loss.at(-1) ?? null };
}

/**
 * GpuTrainer (what api.train makes on the GPU) on a config with train: the first pass (pipelines
 * compiled, step 0 recorded), one step that sizes a warm-up advance of about `warmUpMs` (the
 * trainer's chunks grow meanwhile), then one advance of N steps sized to take about `timedMs`.
 */
async function trainOurs(config: RunConfig, settings: OurTrainSettings): Promise<OurTraining> {
  const began = performance.now();
  const trainer = await GpuTrainer.create(config);
  try {
    const first = await trainer.advance(1);
    const firstMs = performance.now() - began;
    let stepMs = (await advanceTimed(trainer, 1)).ms;
    const warm = Math.min(settings.maxSteps, Math.round(settings.warmUpMs / stepMs));
    if (warm > 0) stepMs = (await advanceTimed(trainer, warm)).ms / warm;
    const steps = Math.max(settings.minSteps, Math.min(settings.maxSteps, Math.round(settings.timedMs / stepMs)));
    const timed = await advanceTimed(trainer, steps);
    return {
      steps,
      wallMs: timed.ms,
      firstMs,
      warmStepMs: stepMs,
      lossFirst: first.loss[0] ?? null,
      lossLast: timed.loss,
    };
  } finally {
    trainer.dispose();
  }
}

export const gradscopeBench = {
  adapterInfo,
  measurePeak,
  peerReady,
  runPeer,
  trainPeer,
  passOurs,
  trainOurs,
  /** Runs this bundle's queued tiling trials; resolves to the shape classes tried. */
  settleTuning: () => autotune.settle(),
};
export type GradscopeBench = typeof gradscopeBench;

(window as unknown as { gradscopeBench: GradscopeBench }).gradscopeBench = gradscopeBench;
