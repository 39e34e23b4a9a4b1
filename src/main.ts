/** The page's entry: the lab, and `window.gradscope` for scripts (SPEC.md, "Automation"). */
import { type RunOptions, run, train } from "./api";
import type { RunResult } from "./core/result";
import type { Trainer } from "./core/training";
import { loseGpuDevice } from "./gpu/device";
import { autotune } from "./gpu/engine";
import type { GsLab } from "./ui/gs-lab";
import "./ui/gs-lab";

export interface GradscopeApi {
  run: (config?: unknown, options?: RunOptions) => Promise<RunResult>;
  /** A training run (config.train set) that advances on request: advance(passes), dispose(). */
  train: (config: unknown, options?: RunOptions) => Promise<Trainer>;
  /** The lab element, for scripts that read what the page shows. */
  lab: () => GsLab | null;
  /** Destroys the GPU device, as a driver reset would: the next run gets a fresh one. */
  loseGpuDevice: () => Promise<void>;
  /** Runs the tiling trials still queued (src/gpu/autotune.ts) now; resolves to the shape classes tried. */
  settleTuning: () => Promise<number>;
}

declare global {
  interface Window {
    gradscope: GradscopeApi;
  }
}

window.gradscope = {
  run,
  train,
  lab: () => document.querySelector("gs-lab"),
  loseGpuDevice,
  settleTuning: () => autotune.settle(),
};
