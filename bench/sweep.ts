/**
 * The bench's fixed sweep and what each config costs by formula: flops and the GPU
 * bytes of the engine's buffer plan. Node side; the page only runs the configs.
 */
import { type RunConfig, validateConfig } from "../src/core/config";
import { type AdapterLimits, CapacityError, planRun } from "../src/gpu/plan";

export interface SweepPoint {
  /** Which axis this point belongs to: depth, width or batch. */
  axis: "depth" | "width" | "batch";
  depth: number;
  width: number;
  batch: number;
  /** Why this point differs from its axis' fixed values, if it does. */
  note?: string;
}

/** Depth 10..4096 at width 2; width 16..1024 at depth 100; batch 1..1024 at depth 100, width 64. */
export const SWEEP: SweepPoint[] = [
  ...[10, 100, 1000, 4096].map((depth) => ({ axis: "depth" as const, depth, width: 2, batch: 1 })),
  ...[16, 64, 256].map((width) => ({ axis: "width" as const, depth: 100, width, batch: 64 })),
  {
    axis: "width",
    depth: 10,
    width: 1024,
    batch: 64,
    note: "depth 10, not 100: at depth 100 one run takes minutes on SwiftShader",
  },
  ...[1, 16, 256, 1024].map((batch) => ({ axis: "batch" as const, depth: 100, width: 64, batch })),
];

/** The chain both backends run: tanh with Xavier-normal weights, random input and target. */
export function benchConfig(point: SweepPoint): RunConfig {
  return validateConfig({
    depth: point.depth,
    width: point.width,
    batch: point.batch,
    activation: "tanh",
    init: { scheme: "xavier_normal", gain: 1 },
    input: "gaussian",
    target: "gaussian",
    seed: 1,
  });
}

/** Flops of one forward and backward run: 2·n²·B per layer forward, twice that backward. */
export const flopsPerRun = (c: { depth: number; width: number; batch: number }) =>
  6 * c.depth * c.width * c.width * c.batch;

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
