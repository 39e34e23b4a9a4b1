/**
 * The buffer plan of a run against the adapter's limits: how the activations and weights are
 * split across buffers (whole layers per buffer, each layer at an aligned offset), the statistics'
 * slots and partials, and the total — refused before anything is allocated when it cannot fit.
 */
import type { RunConfig } from "../core/config";

/** Bytes of GPU buffers a run may use unless told otherwise. */
export const DEFAULT_MEMORY_BUDGET = 1 << 30;
/** Invocations per workgroup (WORKGROUP in shaders/common.wgsl). */
export const WORKGROUP = 64;
const MAX_GROUPS_PER_DIMENSION = 65535;

/**
 * The 2-D dispatch for a rows × cols output cut into 4 × 4 blocks, one block per invocation
 * (block_count in shaders/common.wgsl): one statistics partial per block.
 */
export function blockGrid(rows: number, cols: number): { x: number; y: number; partials: number } {
  const partials = Math.ceil(rows / 4) * Math.ceil(cols / 4);
  const groups = Math.ceil(partials / WORKGROUP);
  const x = Math.min(groups, MAX_GROUPS_PER_DIMENSION);
  const y = Math.ceil(groups / x);
  return { x, y, partials };
}

/** A valid config whose buffers the adapter cannot hold: the bytes needed and the limit. */
export class CapacityError extends Error {
  constructor(
    readonly bytesNeeded: number,
    readonly limit: number,
    what: string,
  ) {
    super(`${what} needs ${bytesNeeded} bytes of GPU memory, over the limit of ${limit} bytes`);
    this.name = "CapacityError";
  }
}

export interface AdapterLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  minStorageBufferOffsetAlignment: number;
}

/** Layers of one tensor laid out across buffers, `stride` bytes apart. */
export interface LayeredArray {
  layerBytes: number;
  stride: number;
  layersPerBuffer: number;
  layers: number;
  buffers: number;
}

/**
 * How a run is dispatched: "layered", three dispatches per layer over layered buffers; "fused", the
 * whole forward pass and the whole backward pass each in one single-workgroup dispatch, for narrow
 * nets where per-dispatch cost would dominate (weights regenerated where they are used unless stored).
 */
export type RunPath = "layered" | "fused";

/** Fused runs keep at most this many batch × width entries per layer (one 64-invocation workgroup). */
export const FUSED_MAX_ENTRIES = 256;

/** Invocations of a fused run's one workgroup: the larger of batch × width and width², 4 to 64. */
export function fusedWorkgroupSize(config: RunConfig): number {
  const entries = Math.max(config.width * config.batch, config.width * config.width);
  return Math.min(WORKGROUP, Math.max(4, Math.ceil(entries / 4) * 4));
}

/** The path a config takes when the caller does not choose. */
export function choosePath(config: RunConfig): RunPath {
  return config.width * config.batch <= FUSED_MAX_ENTRIES ? "fused" : "layered";
}

/**
 * Whether a fused run regenerates each weight where it is used: always for s·I (no draw); for random
 * inits only with a batch of at most 2, since each weight is then drawn 2·B times; never for
 * orthogonal (its QR needs the whole matrix).
 */
export function regeneratesWeights(config: RunConfig): boolean {
  if (config.init.scheme === "orthogonal") return false;
  return config.init.scheme === "identity" || config.batch <= 2;
}

export interface BufferPlan {
  path: RunPath;
  depth: number;
  /** Layered path: a_l kept every this many layers and recomputed between (0: every layer kept). */
  checkpointInterval: number;
  /** Fused runs: weights are stored (one buffer, n² floats per layer) rather than regenerated. */
  storedWeights: boolean;
  activations: LayeredArray;
  weights: LayeredArray;
  /** Partials per activation or gradient tensor (one per workgroup over batch × width). */
  partialsPerLayer: number;
  /** Partials per weight-gradient matrix (one per workgroup over width × width). */
  partialsPerWeight: number;
  /** Slots: activations 0..L, gradients L+1..2L+1, weight gradients 2L+2..3L+1. */
  slots: number;
  partialBytes: number;
  /** Every byte the run allocates, by role. */
  bytes: Record<"weights" | "activations" | "gradients" | "biases" | "targets" | "statistics" | "params", number>;
  totalBytes: number;
}

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

function layered(layers: number, layerBytes: number, limits: AdapterLimits, what: string): LayeredArray {
  const maxBuffer = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  if (layerBytes > maxBuffer) throw new CapacityError(layerBytes, maxBuffer, `one layer of ${what}`);
  const stride = roundUp(layerBytes, limits.minStorageBufferOffsetAlignment);
  const layersPerBuffer = Math.max(1, Math.min(layers, Math.floor((maxBuffer - layerBytes) / stride) + 1));
  return { layerBytes, stride, layersPerBuffer, layers, buffers: Math.ceil(layers / layersPerBuffer) };
}

/** Bytes of the buffers holding a layered array. */
export function layeredBytes(array: LayeredArray): number {
  const full = Math.floor(array.layers / array.layersPerBuffer);
  const rest = array.layers - full * array.layersPerBuffer;
  const bufferBytes = (layers: number) => (layers - 1) * array.stride + array.layerBytes;
  return full * bufferBytes(array.layersPerBuffer) + (rest > 0 ? bufferBytes(rest) : 0);
}

export interface PlanOptions {
  /** Most bytes of GPU buffers (default 1 GiB). */
  budget?: number;
  /** Largest buffer of activations or weights, below the adapter's limits (tests). */
  layerBufferCap?: number;
  /** Default: choosePath(config). */
  path?: RunPath;
  /**
   * Layered path: keep a_l only every k ≈ √(L+1) layers and recompute the rest during the backward
   * pass. Default: only when storing every layer would not fit the budget.
   */
  checkpoint?: boolean;
}

/** The checkpoint interval k for a depth: ⌈√(L + 1)⌉, at least 2. */
export function checkpointInterval(depth: number): number {
  return Math.max(2, Math.ceil(Math.sqrt(depth + 1)));
}

/**
 * Where a_l is kept, as a layer index of the activations' layered array: with checkpoints every k
 * layers, a_l for l = 0, k, 2k, … at l / k, the others at C + (l mod k) − 1 (C = checkpoints), where
 * each segment's layers overwrite the previous segment's; without, at l.
 */
export function activationSlot(plan: BufferPlan, layer: number): number {
  const k = plan.checkpointInterval;
  if (k === 0) return layer;
  const checkpoints = Math.ceil((plan.depth + 1) / k);
  return layer % k === 0 ? layer / k : checkpoints + (layer % k) - 1;
}

/** The plan of a run, or a CapacityError naming the bytes needed and the limit it breaks. */
export function planBuffers(config: RunConfig, limits: AdapterLimits, options: PlanOptions = {}): BufferPlan {
  const budget = options.budget ?? DEFAULT_MEMORY_BUDGET;
  const path = options.path ?? choosePath(config);
  if (options.checkpoint === undefined && path === "layered") {
    try {
      return planBuffers(config, limits, { ...options, checkpoint: false });
    } catch (error) {
      if (!(error instanceof CapacityError) || config.depth < 3) throw error;
      return planBuffers(config, limits, { ...options, checkpoint: true });
    }
  }
  const layerBufferCap = options.layerBufferCap ?? Number.POSITIVE_INFINITY;
  const k = path === "layered" && options.checkpoint && config.depth >= 3 ? checkpointInterval(config.depth) : 0;
  // Forward L, recomputation of at most L more when checkpointing, seed, backward 2L, draws, reduce.
  const dispatches = (k > 0 ? 4 : 3) * config.depth + 8;
  const layerLimits = {
    ...limits,
    maxBufferSize: Math.min(limits.maxBufferSize, layerBufferCap),
    maxStorageBufferBindingSize: Math.min(limits.maxStorageBufferBindingSize, layerBufferCap),
  };
  const { depth, width: n, batch } = config;
  const tensorBytes = 4 * n * batch;
  const fused = path === "fused";
  const storedWeights = !fused || !regeneratesWeights(config);
  // A fused run indexes whole buffers: its layers are packed, each array in a single buffer.
  const packed = { ...layerLimits, minStorageBufferOffsetAlignment: 4 };
  const activationLayers = k > 0 ? Math.ceil((depth + 1) / k) + k - 1 : depth + 1;
  const activations = layered(activationLayers, tensorBytes, fused ? packed : layerLimits, "activations");
  const weights = layered(storedWeights ? depth : 0, 4 * n * n, fused ? packed : layerLimits, "weights");
  if (fused && (activations.buffers > 1 || weights.buffers > 1)) {
    const bytes = Math.max(layeredBytes(activations), layeredBytes(weights));
    throw new CapacityError(bytes, layerLimits.maxStorageBufferBindingSize, "a fused run's activations or weights");
  }
  const partialsPerLayer = fused ? fusedWorkgroupSize(config) : blockGrid(batch, n).partials;
  const partialsPerWeight = fused ? fusedWorkgroupSize(config) : blockGrid(n, n).partials;
  const slots = 3 * depth + 2;
  const partialBytes = 8 * ((2 * depth + 2) * partialsPerLayer + depth * partialsPerWeight);
  const bytes = {
    weights: layeredBytes(weights),
    activations: layeredBytes(activations),
    gradients: 2 * tensorBytes,
    biases: fused ? 0 : 4 * n * depth,
    targets: tensorBytes,
    statistics: partialBytes + 3 * 4 * slots * 2,
    params: 256 * dispatches,
  };
  const totalBytes = Object.values(bytes).reduce((sum, b) => sum + b, 0);
  if (totalBytes > budget) {
    const parts = Object.entries(bytes)
      .map(([role, b]) => `${role} ${b}`)
      .join(", ");
    throw new CapacityError(totalBytes, budget, `depth ${depth} × width ${n} × batch ${batch} (${parts})`);
  }
  if (partialBytes > limits.maxStorageBufferBindingSize) {
    throw new CapacityError(partialBytes, limits.maxStorageBufferBindingSize, "the statistics' partial sums");
  }
  return {
    path,
    depth,
    checkpointInterval: k,
    storedWeights,
    activations,
    weights,
    partialsPerLayer,
    partialsPerWeight,
    slots,
    partialBytes,
    bytes,
    totalBytes,
  };
}

/**
 * The plan on the given path, or else on the path the config's size suggests, falling back from
 * fused to layered when a fused run's single buffers cannot hold it.
 */
export function planRun(config: RunConfig, limits: AdapterLimits, options: PlanOptions = {}): BufferPlan {
  if (options.path) return planBuffers(config, limits, options);
  try {
    return planBuffers(config, limits, { ...options, path: choosePath(config) });
  } catch (error) {
    if (!(error instanceof CapacityError) || choosePath(config) !== "fused") throw error;
    return planBuffers(config, limits, { ...options, path: "layered" });
  }
}
