/**
 * The buffer plan of a run against the adapter's limits and a memory budget: how the activations and
 * weights are split across buffers (whole layers per buffer, each layer at an aligned offset), how
 * many activations are kept (src/gpu/schedule.ts recomputes the rest), whether weights are stored or
 * drawn again where they are used, the statistics' slots and partials, and the total — refused
 * before anything is allocated when even the leanest plan cannot fit.
 */
import type { RunConfig } from "../core/config";
import { HistogramLayout } from "./histograms";
import { computations, MIN_CHECKPOINT_POSITIONS } from "./schedule";
import { SlotLayout } from "./slots";
import {
  EXAMPLE_DISPATCH_FLOPS,
  EXAMPLE_MAX_WORK,
  FUSED_MAX_ENTRIES,
  FUSED_MAX_WORK,
  IN_KERNEL_MAX_BATCH,
  TRAIN_READBACK_BYTES,
  TRAIN_READBACK_PASSES,
  TRAIN_READBACK_RECORDS,
} from "./tuning";

/** Bytes of GPU buffers a run may use unless told otherwise. */
export const DEFAULT_MEMORY_BUDGET = 1 << 30;
/** Invocations per workgroup unless src/gpu/autotune.ts chose otherwise (WORKGROUP in shaders/common.wgsl). */
export const WORKGROUP = 64;
const MAX_GROUPS_PER_DIMENSION = 65535;

/**
 * The 2-D dispatch for a rows × cols output cut into block × block tiles, one tile per invocation
 * (tile_count in shaders/common.wgsl), and its statistics partials: one per 4 × 4 block whatever
 * the tile size (block_count).
 */
export function blockGrid(
  rows: number,
  cols: number,
  workgroup = WORKGROUP,
  block = 4,
): { x: number; y: number; partials: number } {
  const partials = Math.ceil(rows / 4) * Math.ceil(cols / 4);
  const [x, y] = dispatchGrid(tileCount(rows, cols, block), workgroup) as [number, number];
  return { x, y, partials };
}

/** Invocations of a product kernel over a rows × cols output in block × block tiles (tile_count in shaders/common.wgsl). */
export const tileCount = (rows: number, cols: number, block: number) =>
  Math.ceil(rows / block) * Math.ceil(cols / block);

/** The 2-D grid of workgroups for this many invocations (65535 workgroups at most per dimension). */
export function dispatchGrid(invocations: number, workgroup = WORKGROUP): number[] {
  const groups = Math.ceil(invocations / workgroup);
  const x = Math.min(groups, MAX_GROUPS_PER_DIMENSION);
  return [x, Math.ceil(groups / x)];
}

/** Workgroups of a weight draw over this many entries: one entry per invocation, up to 4096 groups of 256. */
export const drawGroups = (entries: number) => Math.min(Math.ceil(entries / 256), 4096);

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/** The layered path's row length in floats: the width rounded up to a multiple of 4 (vec4 rows). */
export const paddedWidth = (width: number) => roundUp(width, 4);

/** A valid config whose buffers the adapter cannot hold: the bytes needed and the limit. */
export class CapacityError extends Error {
  constructor(
    readonly bytesNeeded: number,
    readonly limit: number,
    what: string,
    /** The bytes by role, when the whole plan was over the budget. */
    readonly bytesByRole?: Readonly<Record<string, number>>,
  ) {
    super(`${what} needs ${bytesNeeded} bytes of GPU memory, over the limit of ${limit} bytes`);
    this.name = "CapacityError";
  }
}

/** A valid config a path chosen by the caller does not run, and why (each path's refusal below). */
export class UnsupportedError extends RangeError {
  constructor(
    readonly path: RunPath,
    readonly reason: string,
  ) {
    super(`the ${path} path cannot run this config: ${reason}`);
    this.name = "UnsupportedError";
  }
}

/** Whether a config has layers beyond dense + activation: a residual connection or a norm. */
export const hasLayerEpilogue = (config: RunConfig) => config.residual !== null || config.norm !== "none";

/**
 * Where a layer's state lies in its activation position on the layered path, in floats: a_l first
 * (what the product kernels read), then h_l = g(ẑ_l) with a residual connection (without one h_l is
 * a_l), ẑ_l and one 1/σ per group with a norm (shaders/layer.wgsl). `floats` is the whole state.
 */
export interface LayerState {
  floats: number;
  hOffset: number;
  zOffset: number;
  invOffset: number;
}

export function layerState(config: RunConfig): LayerState {
  const tensor = config.batch * paddedWidth(config.width);
  const hOffset = config.residual === null ? 0 : tensor;
  if (config.norm === "none") return { floats: hOffset + tensor, hOffset, zOffset: 0, invOffset: 0 };
  const zOffset = hOffset + tensor;
  const invOffset = zOffset + tensor;
  const groups = config.norm === "layer" ? config.batch : config.width;
  return { floats: invOffset + paddedWidth(groups), hOffset, zOffset, invOffset };
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
 * How a run is dispatched: "layered", two dispatches per layer over layered buffers; "fused", the
 * whole forward pass and the whole backward pass each in one single-workgroup dispatch, for narrow
 * nets where per-dispatch cost would dominate (weights stored or regenerated where they are used:
 * fusedWeightSources); "per-example", for narrow nets with larger batches in plain numerics (not tracked), one
 * invocation per example running through many layers per dispatch (shaders/example_*.wgsl), then
 * the weight gradients of many layers per dispatch.
 */
export type RunPath = "layered" | "fused" | "per-example";
export const RUN_PATHS: readonly RunPath[] = ["layered", "fused", "per-example"];

/** Invocations of a fused run's one workgroup: the larger of batch × width and width², 4 to 64. */
export function fusedWorkgroupSize(config: RunConfig): number {
  const entries = Math.max(config.width * config.batch, config.width * config.width);
  return Math.min(WORKGROUP, Math.max(4, Math.ceil(entries / 4) * 4));
}

/** Widest net the per-example kernels run: each invocation keeps a vector of 4·MAX_N4 floats. */
export const EXAMPLE_MAX_WIDTH = 64;

/**
 * Invocations per workgroup of the per-example kernels (EXAMPLE_WORKGROUP in
 * shaders/example_common.wgsl): an eighth of the batch, so that a CPU-emulated GPU spreads at least
 * eight workgroups over its cores, within 4..64 and a power of two.
 */
export function exampleWorkgroup(batch: number): number {
  return Math.min(64, Math.max(4, 2 ** Math.floor(Math.log2(Math.max(1, batch / 8)))));
}

/** Layers one per-example dispatch runs, forward, backward or for the weight gradients. */
export function exampleLayersPerDispatch(config: RunConfig): number {
  const flopsPerLayer = 2 * config.width * config.width * config.batch;
  return Math.max(1, Math.min(config.depth, Math.floor(EXAMPLE_DISPATCH_FLOPS / flopsPerLayer)));
}

const EPILOGUE_REFUSAL =
  "residual connections and norms run on the layered path only (shaders/layer_*.wgsl); the fused and per-example kernels have no port yet";

const TRAINING_REFUSAL =
  "training runs on the layered and fused paths only (shaders/update.wgsl, shaders/chain_update.wgsl): the per-example kernels have no port";

/** Why a config cannot take the per-example path, or null when it can. */
export function perExampleRefusal(config: RunConfig): string | null {
  if (config.train) return TRAINING_REFUSAL;
  if (config.numerics === "tracked") {
    return "the per-example path runs no tracked numerics: they scale each layer by the whole batch, which no one invocation sees";
  }
  if (config.width > EXAMPLE_MAX_WIDTH) {
    return `the per-example path runs widths up to ${EXAMPLE_MAX_WIDTH}, got ${config.width}`;
  }
  if (hasLayerEpilogue(config)) return EPILOGUE_REFUSAL;
  return null;
}

/** Why a config cannot take the fused path, or null when it can. */
export function fusedRefusal(config: RunConfig): string | null {
  return hasLayerEpilogue(config) ? EPILOGUE_REFUSAL : null;
}

/**
 * What each path declares it cannot run (null: it runs every valid config, within memory). A new
 * layer feature lands on the layered path first; the others refuse it, with a reason, until ported.
 */
export const PATH_REFUSALS: Readonly<Record<RunPath, (config: RunConfig) => string | null>> = {
  fused: fusedRefusal,
  "per-example": perExampleRefusal,
  layered: () => null,
};

/** The path a config takes when the caller does not choose: the first, cheapest first, that accepts it and suits its size. */
export function choosePath(config: RunConfig): RunPath {
  const work = config.width * config.width * config.batch;
  // Training takes the fused path only where it beats the layered one (FUSED_MAX_WORK); a single
  // pass keeps the older entries-only rule, whose retuning needs its own bench.
  const fusedWork = config.train === undefined || work <= FUSED_MAX_WORK;
  if (config.width * config.batch <= FUSED_MAX_ENTRIES && fusedWork && fusedRefusal(config) === null) {
    return "fused";
  }
  if (work <= EXAMPLE_MAX_WORK && perExampleRefusal(config) === null) return "per-example";
  return "layered";
}

/** Where a layered run's weights come from, first choice first (see WeightSource). */
function layeredWeightSources(config: RunConfig): WeightSource[] {
  if (config.init.scheme === "orthogonal" || config.train) return ["stored"];
  return ["stored", "regenerated", ...(config.batch <= IN_KERNEL_MAX_BATCH ? (["in-kernel"] as const) : [])];
}

/**
 * Where a fused run's weights come from, first choice first: s·I is regenerated where it is used (it
 * needs no draw); random weights are drawn once, by a dispatch spread over the whole device, and
 * stored, since the fused kernels would draw each of them 2·B times in their single workgroup
 * (measured at depth 100, width 64, batch 1: 109 ms stored, 172 ms regenerated), unless storing
 * them does not fit; orthogonal weights are always stored (their QR needs the whole matrix).
 */
export function fusedWeightSources(config: RunConfig): WeightSource[] {
  if (config.train) return ["stored"];
  if (config.init.scheme === "identity") return ["regenerated"];
  if (config.init.scheme === "orthogonal") return ["stored"];
  return ["stored", "regenerated"];
}

/**
 * How the layered path gets W_l: drawn once for every layer and stored; drawn into one layer-sized
 * buffer before each step that needs it ("regenerated"); or drawn inside the product kernels, with
 * no weight memory at all ("in-kernel"). A product block covers 4 examples, so in-kernel drawing
 * draws each weight once per product only for batches ≤ 4, and even then it spreads the draws over
 * only n/4 invocations: the plan uses it only when one layer's buffer does not fit either.
 */
export type WeightSource = "stored" | "regenerated" | "in-kernel";
export const WEIGHT_SOURCES: readonly WeightSource[] = ["stored", "regenerated", "in-kernel"];

export interface BufferPlan {
  path: RunPath;
  depth: number;
  /**
   * Layered path: activation buffers, a_0 included. depth + 1 keeps every a_l; fewer keep
   * checkpoints and recompute the rest (src/gpu/schedule.ts). Fused and per-example runs: depth + 1.
   */
  positions: number;
  /** Most forward steps of the run: depth, or more when activations are recomputed. */
  forwardSteps: number;
  /**
   * Fused path: weights stored (one buffer, n² floats per layer) rather than regenerated in the
   * kernel. Layered path: every layer's weights stored rather than each W_l drawn into one
   * layer-sized buffer before each step that needs it. Per-example path: always stored.
   */
  storedWeights: boolean;
  /** Layered path: W_l drawn inside the product kernels, no weight buffer at all. */
  weightsInKernel: boolean;
  /**
   * Each statistics-writing dispatch is followed by a reduction of its slot, so the partials of one
   * tensor are kept instead of every layer's (for runs whose partials would not fit).
   */
  reduceEachDispatch: boolean;
  activations: LayeredArray;
  weights: LayeredArray;
  /** Partials per activation or gradient tensor (one per 4 × 4 block, fused invocation or example). */
  partialsPerLayer: number;
  /** Partials per weight-gradient matrix. */
  partialsPerWeight: number;
  /** Slots reduced and read back (src/gpu/slots.ts). */
  slots: number;
  /** Every slot, the scale-only ones of the layer kernels included. */
  slotLayout: SlotLayout;
  /** Layered path with residual connections or norms: the layer kernels and each position's state (layerState). */
  epilogue: boolean;
  partialBytes: number;
  /** The run option histograms: the layout of their buffer (src/gpu/histograms.ts), else null. */
  histograms: HistogramLayout | null;
  /** Training runs: the optimizer state and the readbacks (null for a single pass). */
  training: TrainingPlan | null;
  /** Most dispatches the run encodes (one params record each). */
  dispatches: number;
  /** Every byte the run allocates, by role. */
  bytes: Record<
    | "weights"
    | "activations"
    | "gradients"
    | "preActivations"
    | "biases"
    | "targets"
    | "statistics"
    | "params"
    | "training"
    | "histograms",
    number
  >;
  totalBytes: number;
}

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

/**
 * A training run's buffers beyond a single pass's: each layer's optimizer state (momentum's v, or
 * Adam's m and v, of W_l and then of b_l, rows of paddedWidth floats), one layer's stored
 * B·∂loss/∂W_l, and the staging of the losses and records read back together.
 */
export interface TrainingPlan {
  /** Moments kept per parameter: 0 (sgd), 1 (momentum), 2 (adam). */
  moments: number;
  /** The optimizer state, one layer per W_l (absent for sgd: zero layers). */
  state: LayeredArray;
  /** Passes whose losses one readback carries at most. */
  passesPerReadback: number;
  /** Records one readback carries at most, and the bytes of one (the reported slots' three arrays). */
  recordsPerReadback: number;
  recordBytes: number;
  /** Bytes of the buffers above and the step counter. */
  bytes: number;
}

/** Moments the optimizer keeps per parameter. */
const OPTIMIZER_MOMENTS = { sgd: 0, momentum: 1, adam: 2 } as const;

/**
 * A training run's extra buffers, with rows of `row` floats (padded on the layered path, packed on the
 * fused path, which keeps the weight gradient in its gradients buffer instead: planFixed).
 */
function planTraining(
  config: RunConfig,
  limits: AdapterLimits,
  slots: SlotLayout,
  row: number,
  fused: boolean,
): TrainingPlan | null {
  if (!config.train) return null;
  const moments = OPTIMIZER_MOMENTS[config.train.optimizer];
  const state = layered(
    moments > 0 ? config.depth : 0,
    4 * moments * (config.width + 1) * row,
    limits,
    "optimizer state",
  );
  const recordBytes = 12 * slots.reported;
  const recordsPerReadback = Math.max(
    1,
    Math.min(TRAIN_READBACK_RECORDS, Math.floor(TRAIN_READBACK_BYTES / recordBytes)),
  );
  const passesPerReadback = TRAIN_READBACK_PASSES;
  const staging = 2 * (12 * passesPerReadback + recordsPerReadback * recordBytes);
  const weightGrad = fused ? 0 : 4 * row * row;
  const corrections = config.train.optimizer === "adam" ? 8 * config.train.steps : 0;
  const bytes = layeredBytes(state) + weightGrad + 16 + corrections + staging;
  return { moments, state, passesPerReadback, recordsPerReadback, recordBytes, bytes };
}

export interface PlanOptions {
  /** The run option histograms: a buffer of every layer's bins (src/gpu/histograms.ts), on any path. */
  histograms?: boolean;
  /** Most bytes of GPU buffers (default 1 GiB). */
  budget?: number;
  /** Largest buffer of activations or weights, below the adapter's limits (tests). */
  layerBufferCap?: number;
  /** Default: choosePath(config). */
  path?: RunPath;
  /** Layered path: activation buffers (see BufferPlan.positions). Default: all, or as many as fit. */
  positions?: number;
  /** Layered path. Default: stored when that fits, else regenerated (never for orthogonal init). */
  weights?: WeightSource;
  /** Layered path (see BufferPlan.reduceEachDispatch). Default: only when the partials would not fit. */
  reduceEachDispatch?: boolean;
}

/** A layered plan with every choice made. */
type LayeredChoice = Required<Pick<PlanOptions, "positions" | "weights" | "reduceEachDispatch">>;

/**
 * The plan of a run, or a CapacityError naming the bytes needed and the limit it breaks. On the
 * layered path, what the options leave open is chosen cheapest first: weights stored, then drawn
 * where used; every activation kept, then as many as fit (the rest recomputed); statistics reduced
 * once, then after each dispatch. The error of the leanest plan is the one thrown.
 */
export function planBuffers(config: RunConfig, limits: AdapterLimits, options: PlanOptions = {}): BufferPlan {
  const path = options.path ?? choosePath(config);
  if (path === "per-example") return planFixed(config, limits, options, path, null);
  const keepAll = config.depth + 1;
  if (path === "fused") {
    return firstFitting(
      fusedWeightSources(config).map(
        (weights) => () =>
          planFixed(config, limits, options, path, { weights, positions: keepAll, reduceEachDispatch: false }),
      ),
    );
  }
  const weightChoices = options.weights ? [options.weights] : layeredWeightSources(config);
  const reduceChoices = options.reduceEachDispatch === undefined ? [false, true] : [options.reduceEachDispatch];
  const checkpointChoices = options.positions === undefined ? [false, true] : [options.positions < keepAll];
  const attempts = checkpointChoices.flatMap((checkpoint) =>
    reduceChoices.flatMap((reduceEachDispatch) =>
      weightChoices.map((weights) => () => {
        const choice = { weights, reduceEachDispatch, positions: options.positions ?? keepAll };
        if (!checkpoint || options.positions !== undefined) return planFixed(config, limits, options, path, choice);
        return mostPositions(config, limits, options, choice);
      }),
    ),
  );
  return firstFitting(attempts);
}

/** The plan of the first attempt that fits, or the last attempt's CapacityError (the leanest's). */
function firstFitting(attempts: (() => BufferPlan)[]): BufferPlan {
  let lastError: unknown = null;
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch (error) {
      if (!(error instanceof CapacityError)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * The checkpointed plan keeping the most activations that fit. Fewer positions free activation
 * bytes but add recomputation (and params records), so the total is not monotonic: try downwards,
 * from the most the bytes of everything but activations and params leave room for.
 */
function mostPositions(config: RunConfig, limits: AdapterLimits, options: PlanOptions, choice: LayeredChoice) {
  const attempt = (positions: number) => {
    try {
      return planFixed(config, limits, options, "layered", { ...choice, positions });
    } catch (error) {
      if (error instanceof CapacityError) return error;
      throw error;
    }
  };
  const most = attempt(config.depth);
  if (!(most instanceof CapacityError)) return most;
  let leanest = most;
  const roles = most.bytesByRole;
  if (!roles) throw most;
  const others = most.bytesNeeded - (roles.activations ?? 0) - (roles.params ?? 0);
  const stride = (roles.activations ?? 0) / config.depth;
  const budget = options.budget ?? DEFAULT_MEMORY_BUDGET;
  if (others > budget) throw most;
  const first = Math.min(config.depth - 1, Math.floor((budget - others) / Math.max(1, stride)));
  for (let positions = first; positions >= MIN_CHECKPOINT_POSITIONS; positions--) {
    const plan = attempt(positions);
    if (!(plan instanceof CapacityError)) return plan;
    if (plan.bytesNeeded < leanest.bytesNeeded) leanest = plan;
  }
  throw leanest;
}

/** The plan with every choice made (layered) or the fused plan; CapacityError if it does not fit. */
function planFixed(
  config: RunConfig,
  limits: AdapterLimits,
  options: PlanOptions,
  path: RunPath,
  choice: LayeredChoice | null,
): BufferPlan {
  const budget = options.budget ?? DEFAULT_MEMORY_BUDGET;
  const layerBufferCap = options.layerBufferCap ?? Number.POSITIVE_INFINITY;
  const layerLimits = {
    ...limits,
    maxBufferSize: Math.min(limits.maxBufferSize, layerBufferCap),
    maxStorageBufferBindingSize: Math.min(limits.maxStorageBufferBindingSize, layerBufferCap),
  };
  const { depth, width: n, batch } = config;
  const fused = path === "fused";
  const perExample = path === "per-example";
  const refusal = PATH_REFUSALS[path](config);
  if (refusal) throw new UnsupportedError(path, refusal);
  // The layered path's layer kernels: each position holds a layer's state, z_l has its own buffer.
  const epilogue = path === "layered" && hasLayerEpilogue(config);
  // Layered and per-example tensors have rows padded to a multiple of 4 floats (zeros), and W_l as many rows.
  const row = fused ? n : paddedWidth(n);
  const tensorBytes = 4 * row * batch;
  const positions = choice ? Math.min(choice.positions, depth + 1) : depth + 1;
  if (positions < Math.min(depth + 1, MIN_CHECKPOINT_POSITIONS)) {
    throw new RangeError(`a run keeps at least ${MIN_CHECKPOINT_POSITIONS} activations, got ${positions}`);
  }
  if (config.train && choice && choice.weights !== "stored") {
    throw new RangeError("a training run stores its weights (the updates change them)");
  }
  if (choice && choice.weights !== "stored" && config.init.scheme === "orthogonal") {
    throw new RangeError(
      "orthogonal weights cannot be regenerated where they are used: their QR needs the whole matrix",
    );
  }
  // Per-example runs always store their weights.
  const storedWeights = choice ? choice.weights === "stored" : perExample;
  const reduceEachDispatch = choice?.reduceEachDispatch ?? false;
  // Fused and per-example runs index whole buffers: their layers are packed, each array in a single buffer.
  const whole = fused || perExample;
  const packed = { ...layerLimits, minStorageBufferOffsetAlignment: 4 };
  const positionBytes = epilogue ? 4 * layerState(config).floats : tensorBytes;
  const activations = layered(positions, positionBytes, whole ? packed : layerLimits, "activations");
  const weightsInKernel = choice?.weights === "in-kernel";
  const weightLayers = storedWeights ? depth : fused || weightsInKernel ? 0 : 1;
  const weights = layered(weightLayers, 4 * row * row, whole ? packed : layerLimits, "weights");
  // Per-example runs keep ∂ℓ/∂z_l of every layer, packed in one buffer, for the weight gradients;
  // the others keep two gradient tensors, or, with layer kernels, two of ∂ℓ/∂a and one of ∂ℓ/∂z.
  const gradients = perExample ? layered(depth, tensorBytes, packed, "gradients") : null;
  // A fused training run keeps one layer's weight gradient after its two gradient tensors.
  const stash = fused && config.train ? 4 * n * n : 0;
  const gradientBytes = gradients ? layeredBytes(gradients) : (epilogue ? 3 : 2) * tensorBytes + stash;
  const slotLayout = new SlotLayout(depth, epilogue, config.train !== undefined);
  const training = planTraining(config, whole ? packed : layerLimits, slotLayout, row, fused);
  const stateBuffers = training?.state.buffers ?? 0;
  if (whole && (activations.buffers > 1 || weights.buffers > 1 || (gradients?.buffers ?? 1) > 1 || stateBuffers > 1)) {
    const bytes = Math.max(layeredBytes(activations), layeredBytes(weights), gradientBytes);
    throw new CapacityError(bytes, layerLimits.maxStorageBufferBindingSize, `a ${path} run's single buffers`);
  }
  const partialsPerLayer = fused ? fusedWorkgroupSize(config) : perExample ? batch : blockGrid(batch, n).partials;
  const partialsPerWeight = fused ? fusedWorkgroupSize(config) : blockGrid(n, n).partials;
  const slots = slotLayout.reported;
  // Reduced after each dispatch: one tensor's partials and one weight gradient's (two with training's
  // update, which writes the statistics of W_l and ΔW_l at once).
  const partialBytes = reduceEachDispatch
    ? 8 * (partialsPerLayer + (config.train ? 2 : 1) * partialsPerWeight)
    : 8 * (slotLayout.tensorSlots * partialsPerLayer + (slots - slotLayout.tensorSlots) * partialsPerWeight);
  const forwardSteps = fused ? depth : depth * computations(depth, positions);
  const dispatches = fused
    ? 4 + weights.buffers + (training ? 3 * 4 : 0)
    : perExample
      ? weights.buffers + 2 + 3 * Math.ceil(depth / exampleLayersPerDispatch(config))
      : layeredDispatches(
          config,
          forwardSteps,
          storedWeights || weightsInKernel ? weights.buffers : null,
          reduceEachDispatch,
          epilogue,
          training !== null,
        );
  const histograms = options.histograms ? new HistogramLayout(depth, n) : null;
  const bytes = {
    weights: layeredBytes(weights),
    activations: layeredBytes(activations),
    gradients: gradientBytes,
    preActivations: epilogue ? tensorBytes : 0,
    biases: fused && !config.train ? 0 : 4 * n * depth,
    targets: tensorBytes,
    // max bits and exponents of every slot, then the sums and the readback of the reported ones
    statistics: partialBytes + 4 * (2 * slotLayout.total + 4 * slots),
    params: 256 * dispatches,
    training: training?.bytes ?? 0,
    // The bins, counts and bitsets, and their copy in the readback.
    histograms: histograms ? histograms.bytes + histograms.reportedBytes : 0,
  };
  const totalBytes = Object.values(bytes).reduce((sum, b) => sum + b, 0);
  if (totalBytes > budget) {
    const parts = Object.entries(bytes)
      .map(([role, b]) => `${role} ${b}`)
      .join(", ");
    throw new CapacityError(totalBytes, budget, `depth ${depth} × width ${n} × batch ${batch} (${parts})`, bytes);
  }
  if (partialBytes > limits.maxStorageBufferBindingSize) {
    throw new CapacityError(partialBytes, limits.maxStorageBufferBindingSize, "the statistics' partial sums");
  }
  return {
    path,
    depth,
    positions,
    forwardSteps,
    storedWeights,
    weightsInKernel,
    reduceEachDispatch,
    activations,
    weights,
    partialsPerLayer,
    partialsPerWeight,
    slots,
    slotLayout,
    epilogue,
    partialBytes,
    histograms,
    training,
    dispatches,
    bytes,
    totalBytes,
  };
}

/**
 * Most dispatches of a layered run: weight draws (one per stored buffer, or one before each step
 * that needs W_l), biases, data, the forward steps, the seed, one per layer backward, the layer
 * kernels (one per forward step and one per layer backward), and the reductions (one, or one per
 * slot after each statistics-writing dispatch). A training run encodes its pass three ways (with
 * and without its update, with and without a full reduction), each with one update per layer, the
 * step count and a reduction.
 */
function layeredDispatches(
  config: RunConfig,
  forwardSteps: number,
  weightBuffers: number | null,
  reduceEachDispatch: boolean,
  epilogue: boolean,
  training = false,
): number {
  const L = config.depth;
  const draws = weightBuffers ?? forwardSteps + L;
  const slotsWritten = 1 + forwardSteps + 1 + 2 * L;
  const layerKernels = epilogue ? forwardSteps + L : 0;
  const pass = forwardSteps + 1 + L + layerKernels;
  // Each pass adds an update per layer (writing two slots), the step count and the reduction.
  if (training) return draws + 2 + 3 * (pass + L + 2 + (reduceEachDispatch ? slotsWritten + 2 * L : 0));
  return draws + 2 + pass + (reduceEachDispatch ? slotsWritten : 1);
}

/**
 * The plan on the given path (an UnsupportedError if that path refuses the config), or else on the
 * path the config's size suggests, falling back from fused or per-example to layered when their
 * single buffers cannot hold the run.
 */
export function planRun(config: RunConfig, limits: AdapterLimits, options: PlanOptions = {}): BufferPlan {
  if (options.path) return planBuffers(config, limits, options);
  const chosen = choosePath(config);
  const paths: RunPath[] = chosen === "layered" ? [chosen] : [chosen, "layered"];
  return firstFitting(paths.map((path) => () => planBuffers(config, limits, { ...options, path })));
}
