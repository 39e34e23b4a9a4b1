/**
 * The layered product kernels' tiling (workgroup size and output tile), chosen per device by a short
 * trial and kept for the session: for each shape class (width and batch rounded up to powers of
 * two) one-layer runs are timed, the tile first and then the workgroup size (tryEach), each after
 * a warm-up that compiles its pipelines unless GPU timestamps leave the compilation out, their batch
 * cut so that a product is at most PROBE_FLOPS. Shapes whose products are too small for the choice to matter keep the default
 * without a trial. Every candidate gives the same bits.
 */
import type { RunConfig } from "../core/config";
import { WORKGROUP } from "./plan";

/** Workgroup sizes tried (every adapter allows 256 invocations per workgroup). */
export const WORKGROUP_CHOICES = [64, 128, 256] as const;
/** Output tiles tried: 4 × 4 (more invocations) or 8 × 8 (each loaded vec4 used twice as often). */
export const BLOCK_CHOICES = [4, 8] as const;

/** How the product kernels cut their work: invocations per workgroup, and the side of each one's tile. */
export interface ProductTiling {
  workgroup: number;
  block: number;
}

/** The tiling without a trial. */
export const DEFAULT_TILING: ProductTiling = { workgroup: WORKGROUP, block: 4 };

/** Every tiling the autotune may choose. */
export const TILINGS: ProductTiling[] = BLOCK_CHOICES.flatMap((block) =>
  WORKGROUP_CHOICES.map((workgroup) => ({ workgroup, block })),
);
/**
 * Flops of one layer's forward product below which no trial is run: the 4 × 4 default is kept.
 * Measured on SwiftShader, 8 × 8 tiles were already 1.4× faster at 64 × 64 × 256 (2^21 flops), and
 * no faster at 64 × 64 × 64.
 */
export const TUNE_MIN_FLOPS = 2 ** 21;

/** Flops of one product in a trial run at most (the batch is cut to fit, down to 4). */
export const PROBE_FLOPS = 2 ** 27;

/** Times one run of a config with a tiling: ms, and whether they are GPU time (no compilation). */
export type Trial = (config: RunConfig, tiling: ProductTiling) => Promise<{ ms: number; gpuTime: boolean }>;

const chosen = new WeakMap<GPUDevice, Map<string, Promise<ProductTiling>>>();

const nextPowerOfTwo = (x: number) => 2 ** Math.ceil(Math.log2(x));

/** The shape class a choice is kept for. */
export function tuneKey(config: RunConfig): string {
  return `${nextPowerOfTwo(config.width)}x${nextPowerOfTwo(config.batch)}`;
}

/** The tiling for this config's layered kernels on this device (tried once per shape class). */
export function layeredTiling(device: GPUDevice, config: RunConfig, trial: Trial): Promise<ProductTiling> {
  if (2 * config.width * config.width * config.batch < TUNE_MIN_FLOPS) return Promise.resolve(DEFAULT_TILING);
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
      return DEFAULT_TILING;
    });
    byShape.set(key, choice);
  }
  return choice;
}

/**
 * The fastest candidate on a one-layer run of the config's shape (Xavier weights: no CPU QR), in
 * two stages: the tiles at the default workgroup size, then the other workgroup sizes with the
 * better tile. Four trials rather than six, since each compiles its own pipelines, and compiling
 * takes longer than the trial on CPU-emulated GPUs (about 0.25 s per pipeline on SwiftShader).
 */
async function tryEach(config: RunConfig, trial: Trial): Promise<ProductTiling> {
  const { width: n } = config;
  const batch = Math.min(config.batch, Math.max(4, Math.floor(PROBE_FLOPS / (2 * n * n))));
  const probe: RunConfig = { ...config, depth: 1, batch, init: { scheme: "xavier_normal", gain: 1 } };
  let best = DEFAULT_TILING;
  let bestMs = Number.POSITIVE_INFINITY;
  const consider = async (tiling: ProductTiling) => {
    let timed = await trial(probe, tiling);
    if (!timed.gpuTime) timed = await trial(probe, tiling);
    if (timed.ms < bestMs) {
      best = tiling;
      bestMs = timed.ms;
    }
  };
  for (const block of BLOCK_CHOICES) await consider({ workgroup: DEFAULT_TILING.workgroup, block });
  const { block } = best;
  for (const workgroup of WORKGROUP_CHOICES) {
    if (workgroup !== DEFAULT_TILING.workgroup) await consider({ workgroup, block });
  }
  return best;
}
