/**
 * What each config of the bench's sweep (src/core/sweep.ts) costs in GPU bytes by the engine's
 * buffer plan. Node side; the page only runs the configs.
 */
import type { RunConfig } from "../src/core/config";
import { type AdapterLimits, CapacityError, planRun } from "../src/gpu/plan";

export {
  benchConfig,
  flopsPerRun,
  LAYER_SWEEP,
  layerBenchConfig,
  SWEEP,
  type SweepPoint,
} from "../src/core/sweep";

/** Limits used when the page does not report its adapter's. */
export const DEFAULT_LIMITS: AdapterLimits = {
  maxBufferSize: 1 << 30,
  maxStorageBufferBindingSize: 1 << 30,
  minStorageBufferOffsetAlignment: 256,
};

/** Peak GPU bytes and the path from the engine's plan, or the CapacityError's message. */
export function planned(
  config: RunConfig,
  limits: AdapterLimits,
): { totalBytes: number; path: string } | { refused: string } {
  try {
    const plan = planRun(config, limits);
    return { totalBytes: plan.totalBytes, path: plan.path };
  } catch (error) {
    if (error instanceof CapacityError) return { refused: error.message };
    throw error;
  }
}
