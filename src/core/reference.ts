/**
 * The float64 reference: forward, backward, loss and every per-layer statistic of SPEC.md's
 * result, computed on the CPU.
 *
 * float32, float16 and bfloat16 numerics round every stored value to nearest even in that format
 * (src/core/formats.ts), from the float64 value, so the reference overflows and underflows at the
 * same layers as a GPU; tracked numerics keep float64 values times a power of
 * two carried per tensor, renormalized every layer, so no depth overflows. The layer kinds (dense +
 * activation, norm, residual) live in src/core/layers/, each forward next to its backward; this
 * module draws the parameters and loops over the layers.
 */
import { ACTIVATIONS, type Activation } from "./activations";
import type { RunConfig } from "./config";
import { layerWeights } from "./init";
import {
  activationBackward,
  activationForward,
  type DenseParameters,
  denseBackward,
  denseForward,
  denseWeightGradient,
} from "./layers/dense";
import { type NormState, normBackward, normForward } from "./layers/norm";
import {
  drawRounding,
  formatUlp,
  ldexp,
  type Numerics,
  normalizingExponent,
  renormalized,
  storeRounding,
  type Tensor,
  topExponent,
} from "./layers/numerics";
import { residualBackward, residualForward } from "./layers/residual";
import { normalEntry, Stream } from "./random";
import {
  assembleResult,
  type Histogram,
  type HistogramCounts,
  type RunResult,
  type RunSummaries,
  SATURATION_THRESHOLD,
  type Subnormals,
  summarize,
  type TensorSummary,
} from "./result";

export interface ReferenceOptions {
  /** float32, float16, bfloat16: flush results below the format's smallest normal to zero, as many GPUs do in float32. Default "kept". */
  subnormals?: Subnormals;
  /** Replaces the drawn W_l (n × n, row-major), as for a finite-difference check. */
  weights?: (layer: number) => Float64Array;
  /**
   * Moves every stored value by one ulp of its format (2⁻²³ relative in float32 and tracked numerics,
   * 2⁻¹⁰ in float16, 2⁻⁷ in bfloat16) up or down after rounding, in a fixed pseudo-random pattern from
   * this salt: how far rounding-sized errors in every computed value move each statistic (the GPU
   * tests' tolerance, where a value such as sigmoid's 1 − a is ill-conditioned).
   */
  nudge?: number;
  /** Replaces the drawn b_l (n), as training does. */
  biases?: (layer: number) => Float64Array;
  /** Replaces the drawn inputs a_0 (batch × width). */
  input?: Float64Array;
  /** Receives each layer's pre-activations z_l = z·2^exponent2 (batch × width, before any norm), l = 1..L. */
  onPreActivation?: (layer: number, z: Float64Array, exponent2: number) => void;
  /** Receives what each layer's activation is applied to: ẑ_l with a norm, else z_l (l = 1..L), times 2^exponent2. */
  onActivationInput?: (layer: number, values: Float64Array, exponent2: number) => void;
  /**
   * Receives, per layer l = L..1 right after its backward, B·∂loss/∂W_l and ∂ℓ_b/∂z_l (batch ×
   * width, whose batch sum is B·∂loss/∂b_l), as values times 2^exponent (training's updates).
   */
  onParameterGradient?: (layer: number, weightGrad: Tensor, gradZ: Tensor) => void;
  /** Counts each a_l and ∂ℓ/∂a_l by binade, and each layer's saturated entries and dead units (result.histograms). */
  histograms?: boolean;
  /**
   * Receives each a_l (l = 0..L), ∂ℓ/∂a_l (l = L..0) and branch h_l = g(ẑ_l) (l = 1..L, what g' is
   * taken from) as it is computed, as values times 2^exponent.
   */
  onTensor?: (kind: "act" | "grad" | "branch", layer: number, tensor: Tensor) => void;
  /** Receives the fraction of the run done, after each layer of each pass (2L calls, the last with 1). */
  onProgress?: (fraction: number) => void;
  /** Receives ∂ℓ_b/∂a_{l-1} and B·∂loss/∂W_l of each layer l = L..1, as values times 2^exponent2. */
  onGradient?: (
    layer: number,
    gradInput: Float64Array,
    weightGrad: Float64Array,
    exponent2: number,
    weightGradExponent2: number,
  ) => void;
}

/** Weights kept between the passes up to this many entries; past it they are drawn again. */
const WEIGHT_CACHE_ENTRIES = 1 << 24;

/**
 * The draw of a (batch × width) data tensor: inputs or targets, as drawn (unrounded); a teacher's
 * y = T·x takes x as stored, rounded by `round`.
 */
export function dataTensor(
  config: RunConfig,
  stream: typeof Stream.inputs | typeof Stream.targets,
  round: (v: number) => number = Math.fround,
): Float64Array {
  const { batch, width, seed } = config;
  const values = new Float64Array(batch * width);
  const kind = stream === Stream.inputs ? config.input : config.target;
  if (kind === "ones") values.fill(1);
  if (kind === "gaussian") {
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < width; i++) values[b * width + i] = normalEntry(seed, stream, 0, b, i);
  }
  if (kind === "input") return dataTensor(config, Stream.inputs);
  if (kind === "teacher") return teacherTargets(config, round);
  return values;
}

/** Entry (i, j) of the teacher T of `target: "teacher"`: N(0, 1/n) from the targets stream, layer 1. */
export function teacherEntry(seed: number, n: number, row: number, column: number): number {
  return normalEntry(seed, Stream.targets, 1, row, column) / Math.sqrt(n);
}

/** y = T·x per example, from x as stored and float32 T, summed in float64 (the GPU sums in float32). */
function teacherTargets(config: RunConfig, round: (v: number) => number): Float64Array {
  const { batch, width: n, seed } = config;
  const x = dataTensor(config, Stream.inputs).map(round);
  const teacher = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) teacher[i * n + j] = Math.fround(teacherEntry(seed, n, i, j));
  const y = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += (teacher[i * n + j] as number) * (x[b * n + j] as number);
      y[b * n + i] = sum;
    }
  }
  return y;
}

/** Biases of layer l: biasSigma · N(0, 1), drawn from the biases stream (row i, column 0). */
export function layerBiases(config: RunConfig, layer: number): Float64Array {
  const biases = new Float64Array(config.width);
  if (config.biasSigma > 0) {
    for (let i = 0; i < config.width; i++)
      biases[i] = config.biasSigma * normalEntry(config.seed, Stream.biases, layer, i, 0);
  }
  return biases;
}

/** ⌈log₂ biasSigma⌉: the power of two of the biases' scale (−∞ without biases). */
export function biasExponent(biasSigma: number): number {
  return biasSigma > 0 ? Math.ceil(Math.log2(biasSigma)) : Number.NEGATIVE_INFINITY;
}

/** A run's network: its parameters, drawn (or given) once and rounded to the run's format, and its layer kinds. */
interface Network {
  config: RunConfig;
  activation: Activation;
  /** α of a residual chain, rounded to float32; null for a plain chain. */
  alpha: number | null;
  weights: (layer: number) => Float64Array;
  /** W_l and b_l, for the forward pass. */
  dense: (layer: number) => DenseParameters;
}

/** What one layer's backward needs of its forward: a_{l-1}, h_l = g(ẑ_l), the norm's state, a_l. */
interface LayerState {
  input: Tensor;
  branch: Tensor;
  norm: NormState | null;
  output: Tensor;
}

function networkOf(config: RunConfig, options: ReferenceOptions, round: (v: number) => number): Network {
  const { depth, width: n } = config;
  const cache = depth * n * n <= WEIGHT_CACHE_ENTRIES ? new Map<number, Float64Array>() : null;
  const weights = (layer: number): Float64Array => {
    const cached = cache?.get(layer);
    if (cached) return cached;
    const w = (options.weights?.(layer) ?? layerWeights(config.init, n, config.seed, layer)).map(round);
    cache?.set(layer, w);
    return w;
  };
  const biasExp = biasExponent(config.biasSigma);
  return {
    config,
    activation: ACTIVATIONS[config.activation],
    alpha: config.residual === null ? null : Math.fround(config.residual),
    weights,
    dense: (layer) => ({
      weights: weights(layer),
      biases: (options.biases?.(layer) ?? layerBiases(config, layer)).map(round),
      biasExponent: biasExp,
    }),
  };
}

/** Layer l forward: z = W a_{l-1} + b, ẑ = norm(z), h = g(ẑ), a_l = h or a_{l-1} + α·h. */
function forwardLayer(net: Network, layer: number, input: Tensor, numerics: Numerics, options: ReferenceOptions) {
  const { norm, width } = net.config;
  const z = denseForward(input, net.dense(layer), numerics);
  options.onPreActivation?.(layer, z.values, z.exponent);
  const normState = norm === "none" ? null : normForward(norm, z, width, numerics);
  const branchInput = normState ? normState.normalized : z;
  options.onActivationInput?.(layer, branchInput.values, branchInput.exponent);
  const branch = activationForward(branchInput, net.activation, numerics);
  const output = net.alpha === null ? branch : residualForward(input, net.alpha, branch, numerics);
  return { input, branch, norm: normState, output } satisfies LayerState;
}

const unrounded = (v: number) => v;

/** Layer l backward, from ∂ℓ/∂a_l: ∂ℓ/∂a_{l-1} and B·∂loss/∂W_l. */
function backwardLayer(net: Network, layer: number, state: LayerState, grad: Tensor, numerics: Numerics) {
  const { width } = net.config;
  const gradBranch = activationBackward(grad, net.alpha ?? 1, state.branch, net.activation, numerics);
  const gradZ = state.norm ? normBackward(gradBranch, state.norm, width, numerics) : gradBranch;
  // A residual chain adds the skip's gradient before rounding, once.
  const throughNumerics = net.alpha === null ? numerics : { ...numerics, round: unrounded };
  const through = denseBackward(gradZ, net.weights(layer), width, throughNumerics);
  const gradInput = net.alpha === null ? through : residualBackward(through, grad, numerics);
  return { gradInput, gradZ, weightGrad: denseWeightGradient(gradZ, state.input, width, numerics) };
}

/** The seed ∂ℓ/∂a_L = a_L − y, at the exponent of the larger of the two (tracked). */
function lossGradient(config: RunConfig, output: Tensor, numerics: Numerics, drawn: (v: number) => number): Tensor {
  const target = dataTensor(config, Stream.targets, drawn).map(drawn);
  const targetExponent = config.target === "zeros" ? Number.NEGATIVE_INFINITY : 0;
  const exponent = numerics.tracked ? Math.max(topExponent(output), targetExponent) : 0;
  // Stored (a_L − y)·2^−exponent; with y = 0 and a vanishing chain 2^−exponent is far past 2¹⁰²³.
  const shift = output.exponent - exponent;
  const values = output.values.map((a, k) => numerics.round(ldexp(a, shift) - ldexp(target[k] as number, -exponent)));
  return { values, exponent };
}

/** The histogram of plain values times 2^exponent2 (binades exact, in float64), trimmed (result.histograms). */
export function histogramOf(values: ArrayLike<number>, exponent2 = 0): Histogram {
  const byBinade = new Map<number, number>();
  let zeros = 0;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i] as number);
    if (magnitude === 0) zeros++;
    else if (!Number.isFinite(magnitude)) nonFinite++;
    else {
      const binade = normalizingExponent(magnitude) + exponent2;
      byBinade.set(binade, (byBinade.get(binade) ?? 0) + 1);
    }
  }
  if (byBinade.size === 0) return { minExponent: null, counts: [], zeros, nonFinite };
  const binades = [...byBinade.keys()];
  const minExponent = Math.min(...binades);
  const counts = new Array<number>(Math.max(...binades) - minExponent + 1).fill(0);
  for (const [binade, count] of byBinade) counts[binade - minExponent] = count;
  return { minExponent, counts, zeros, nonFinite };
}

/** What a pass gathers of each a_l and ∂ℓ/∂a_l: its summary, and its histogram when the run counts them. */
interface Gathered {
  act: TensorSummary[];
  grad: TensorSummary[];
  histograms: HistogramCounts | null;
}

/** Summarizes a_l or ∂ℓ/∂a_l into `gathered` (and its histogram), and hands it to options.onTensor. */
function gather(gathered: Gathered, kind: "act" | "grad", layer: number, tensor: Tensor, options: ReferenceOptions) {
  gathered[kind][layer] = summarize(tensor.values, tensor.exponent);
  if (gathered.histograms) gathered.histograms[kind][layer] = histogramOf(tensor.values, tensor.exponent);
  options.onTensor?.(kind, layer, tensor);
}

/**
 * Layer l's saturated entries (|g'(ẑ)| < SATURATION_THRESHOLD, g' read from the stored h = g(ẑ) as the
 * backward pass reads it) and dead units (saturated on every example), into the histogram counts.
 */
function countSaturation(counts: HistogramCounts, layer: number, branch: Tensor, net: Network): void {
  const n = net.config.width;
  const h = branch.values;
  const live = new Uint8Array(n);
  let saturated = 0;
  for (let k = 0; k < h.length; k++) {
    if (Math.abs(net.activation.derFromOutput(h[k] as number)) < SATURATION_THRESHOLD) saturated++;
    else live[k % n] = 1;
  }
  counts.saturatedEntries[layer] = saturated;
  counts.deadUnits[layer] = live.reduce((dead, alive) => dead + (alive ? 0 : 1), 0);
}

/** The forward pass: each layer's state (layer l at index l − 1), each a_l gathered. */
function forwardPass(net: Network, input: Tensor, numerics: Numerics, options: ReferenceOptions, gathered: Gathered) {
  const layers: LayerState[] = [];
  let output = input;
  for (let l = 1; l <= net.config.depth; l++) {
    const state = forwardLayer(net, l, output, numerics, options);
    layers.push(state);
    output = state.output;
    gather(gathered, "act", l, output, options);
    options.onTensor?.("branch", l, state.branch);
    if (gathered.histograms) countSaturation(gathered.histograms, l, state.branch, net);
    options.onProgress?.(l / (2 * net.config.depth));
  }
  return layers;
}

/**
 * The backward pass from ∂ℓ/∂a_L, dropping each layer's state as it leaves it: each ∂ℓ/∂a_l gathered,
 * and the summaries of ∂loss/∂W_l returned.
 */
function backwardPass(
  net: Network,
  layers: LayerState[],
  seed: Tensor,
  numerics: Numerics,
  options: ReferenceOptions,
  gathered: Gathered,
) {
  const { depth } = net.config;
  const weightGrad: (TensorSummary | null)[] = [null];
  gather(gathered, "grad", depth, seed, options);
  let gradOutput = seed;
  for (let l = depth; l >= 1; l--) {
    if (numerics.tracked) gradOutput = renormalized(gradOutput);
    const { gradInput, gradZ, weightGrad: w } = backwardLayer(net, l, layers.pop() as LayerState, gradOutput, numerics);
    options.onParameterGradient?.(l, w, gradZ);
    weightGrad[l] = summarize(w.values, w.exponent);
    gather(gathered, "grad", l - 1, gradInput, options);
    options.onGradient?.(l, gradInput.values, w.values, gradInput.exponent, w.exponent);
    options.onProgress?.((2 * depth - l + 1) / (2 * depth));
    gradOutput = gradInput;
  }
  return weightGrad;
}

/**
 * A rounding followed by a move of one ulp (relative: `ulp`, float32's by default) up or down, the
 * sign a hash of the call's count and the salt.
 */
export function nudged(round: (v: number) => number, salt: number, ulp = 2 ** -23): (v: number) => number {
  let count = 0;
  return (v) => {
    count++;
    const sign = (Math.imul(count ^ salt, 2654435761) >>> 15) & 1 ? 1 : -1;
    return round(round(v) * (1 + sign * ulp));
  };
}

/** Runs a config on the CPU in float64 and returns SPEC.md's result. */
export function runReference(config: RunConfig, options: ReferenceOptions = {}): RunResult {
  const started = performance.now();
  const subnormals: Subnormals = config.numerics === "tracked" ? "kept" : (options.subnormals ?? "kept");
  const tracked = config.numerics === "tracked";
  const rounding = storeRounding(config, subnormals);
  const numerics: Numerics = {
    round: options.nudge === undefined ? rounding : nudged(rounding, options.nudge, formatUlp(config)),
    tracked,
    scaledForward: tracked && ACTIVATIONS[config.activation].positivelyHomogeneous,
  };
  const drawn = drawRounding(config, subnormals);
  const net = networkOf(config, options, drawn);
  const input = { values: (options.input ?? dataTensor(config, Stream.inputs, drawn)).map(drawn), exponent: 0 };
  const none = () => [0];
  const gathered: Gathered = {
    act: [],
    grad: [],
    histograms: options.histograms ? { act: [], grad: [], saturatedEntries: none(), deadUnits: none() } : null,
  };
  gather(gathered, "act", 0, input, options);
  const layers = forwardPass(net, input, numerics, options, gathered);
  const seed = lossGradient(config, (layers.at(-1) as LayerState).output, numerics, drawn);
  const weightGrad = backwardPass(net, layers, seed, numerics, options, gathered);
  const { act, grad, histograms } = gathered;
  const summaries: RunSummaries = { act, grad, weightGrad, ...(histograms ? { histograms } : {}) };
  return assembleResult(config, "cpu", summaries, subnormals, { wall: performance.now() - started });
}
