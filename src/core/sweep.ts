/**
 * The benchmark's fixed sweep, shared by `npm run bench` and the lab's benchmark panel: depth at
 * width 2, width at depth 100, batch at depth 100 and width 64, on one tanh chain.
 */
import { type RunConfig, validateConfig } from "./config";

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

/** The layer kinds the bench times beside the plain chain (SPEC.md, "The network"). */
export const LAYER_KINDS = {
  residual: { residual: 0.5 },
  "layer norm": { norm: "layer" },
  "batch norm": { norm: "batch" },
  "residual + layer norm": { residual: 0.5, norm: "layer" },
} as const satisfies Record<string, Partial<RunConfig>>;

export type LayerKind = keyof typeof LAYER_KINDS;

/** A point of the layer sweep: the width axis' chain at depth 100, batch 64, with one layer kind. */
export interface LayerPoint extends SweepPoint {
  kind: LayerKind;
}

/** Each layer kind at widths 64 and 256, to set against the plain chain of the same width (all on the layered path). */
export const LAYER_SWEEP: LayerPoint[] = [64, 256].flatMap((width) =>
  (Object.keys(LAYER_KINDS) as LayerKind[]).map((kind) => ({
    axis: "width" as const,
    depth: 100,
    width,
    batch: 64,
    kind,
  })),
);

/** The bench's chain with the point's layer kind. */
export function layerBenchConfig(point: LayerPoint): RunConfig {
  return validateConfig({ ...benchConfig(point), ...LAYER_KINDS[point.kind] });
}

/** Flops of one forward and backward run: 2·n²·B per layer forward, twice that backward. */
export const flopsPerRun = (c: { depth: number; width: number; batch: number }) =>
  6 * c.depth * c.width * c.width * c.batch;

/** The middle value of timings (the upper middle for an even count). */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
