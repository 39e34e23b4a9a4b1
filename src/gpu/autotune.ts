/**
 * The layered kernels' workgroup size, chosen per device by a short trial and kept for the session:
 * for each shape class (width and batch rounded up to powers of two) a one-layer run is timed with
 * each candidate size (after a warm-up that compiles its pipelines, unless GPU timestamps leave the
 * compilation out), its batch cut so that a product is at most PROBE_FLOPS. Shapes whose products
 * are too small for the choice to matter keep the default without a trial.
 */
import type { RunConfig } from "../core/config";
import { WORKGROUP } from "./plan";

/** Workgroup sizes tried (every adapter allows 256 invocations per workgroup). */
export const WORKGROUP_CHOICES = [64, 128, 256] as const;
/** Flops of one layer's forward product below which no trial is run. */
export const TUNE_MIN_FLOPS = 2 ** 23;

/** Flops of one product in a trial run at most (the batch is cut to fit, down to 4). */
export const PROBE_FLOPS = 2 ** 27;

/** Times one run of a config with a workgroup size: ms, and whether they are GPU time (no compilation). */
export type Trial = (config: RunConfig, workgroup: number) => Promise<{ ms: number; gpuTime: boolean }>;

const chosen = new WeakMap<GPUDevice, Map<string, Promise<number>>>();

const nextPowerOfTwo = (x: number) => 2 ** Math.ceil(Math.log2(x));

/** The shape class a choice is kept for. */
export function tuneKey(config: RunConfig): string {
  return `${nextPowerOfTwo(config.width)}x${nextPowerOfTwo(config.batch)}`;
}

/** The workgroup size for this config's layered kernels on this device (tried once per shape class). */
export function layeredWorkgroup(device: GPUDevice, config: RunConfig, trial: Trial): Promise<number> {
  if (2 * config.width * config.width * config.batch < TUNE_MIN_FLOPS) return Promise.resolve(WORKGROUP);
  let byShape = chosen.get(device);
  if (!byShape) {
    byShape = new Map();
    chosen.set(device, byShape);
  }
  const key = tuneKey(config);
  let choice = byShape.get(key);
  if (!choice) {
    choice = tryEach(config, trial).catch(() => {
      byShape?.delete(key);
      return WORKGROUP;
    });
    byShape.set(key, choice);
  }
  return choice;
}

/** The fastest candidate on a one-layer run of the config's shape (Xavier weights: no CPU QR). */
async function tryEach(config: RunConfig, trial: Trial): Promise<number> {
  const { width: n } = config;
  const batch = Math.min(config.batch, Math.max(4, Math.floor(PROBE_FLOPS / (2 * n * n))));
  const probe: RunConfig = { ...config, depth: 1, batch, init: { scheme: "xavier_normal", gain: 1 } };
  let best: number = WORKGROUP;
  let bestMs = Number.POSITIVE_INFINITY;
  for (const workgroup of WORKGROUP_CHOICES) {
    let timed = await trial(probe, workgroup);
    if (!timed.gpuTime) timed = await trial(probe, workgroup);
    if (timed.ms < bestMs) {
      best = workgroup;
      bestMs = timed.ms;
    }
  }
  return best;
}

/** Forgets this device's choices (tests). */
export function forgetWorkgroups(device: GPUDevice): void {
  chosen.delete(device);
}
