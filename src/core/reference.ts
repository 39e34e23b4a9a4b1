/**
 * The float64 reference: forward, backward, loss and every per-layer statistic of SPEC.md's
 * result, computed on the CPU.
 *
 * float32 numerics round every stored value to float32 (Math.fround), so the reference overflows
 * and underflows at the same layers as a GPU; tracked numerics keep float64 values times a power of
 * two carried per tensor, renormalized every layer, so no depth overflows.
 */
import { ACTIVATIONS } from "./activations";
import type { RunConfig } from "./config";
import { layerWeights } from "./init";
import { normalEntry, Stream } from "./random";
import {
  assembleResult,
  type RunResult,
  type RunSummaries,
  type Subnormals,
  summarize,
  type TensorSummary,
} from "./result";

export interface ReferenceOptions {
  /** float32 numerics only: flush results below 2⁻¹²⁶ to zero, as many GPUs do. Default "kept". */
  subnormals?: Subnormals;
  /** Replaces the drawn W_l (n × n, row-major), as for a finite-difference check. */
  weights?: (layer: number) => Float64Array;
  /** Replaces the drawn inputs a_0 (batch × width). */
  input?: Float64Array;
  /** Receives each layer's pre-activations z_l (batch × width, in the layer's scale), l = 1..L. */
  onPreActivation?: (layer: number, z: Float64Array) => void;
  /** Receives ∂ℓ_b/∂a_{l-1} and B·∂loss/∂W_l of each layer l = L..1, as values times 2^exponent2. */
  onGradient?: (
    layer: number,
    gradInput: Float64Array,
    weightGrad: Float64Array,
    exponent2: number,
    weightGradExponent2: number,
  ) => void;
}

const SMALLEST_NORMAL = 2 ** -126;
/** Weights kept between the passes up to this many entries; past it they are drawn again. */
const WEIGHT_CACHE_ENTRIES = 1 << 24;

/** Rounding of every stored value: float32 (optionally flushing subnormals) or none. */
export function storeRounding(config: RunConfig, subnormals: Subnormals): (v: number) => number {
  if (config.numerics === "tracked") return (v) => v;
  if (subnormals === "kept") return Math.fround;
  return (v) => {
    const r = Math.fround(v);
    return Math.abs(r) < SMALLEST_NORMAL ? 0 : r;
  };
}

/** ⌊log₂ max|v|⌋, the power of two that brings a tensor's largest entry into [1, 2); 0 if none. */
export function normalizingExponent(maxAbs: number): number {
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) return 0;
  let exponent = Math.floor(Math.log2(maxAbs));
  if (2 ** exponent > maxAbs) exponent -= 1;
  else if (2 ** (exponent + 1) <= maxAbs) exponent += 1;
  return exponent;
}

const TWO_TO_1023 = 2 ** 1023;
/** 2⁻¹⁰²² · 2⁵³: a step down after which a value that stays normal is exact, and one that does not ends at 0. */
const TWO_TO_MINUS_969 = 2 ** -969;

/**
 * v·2^e rounded once to float64 (C's ldexp) for any integer e, however far 2^e lies outside float64's
 * range: 0 stays 0, a true magnitude past 2¹⁰²⁴ is ±Infinity and one below 2⁻¹⁰⁷⁵ is ±0.
 */
export function ldexp(v: number, e: number): number {
  let value = v;
  let rest = e;
  // Up in steps of 2¹⁰²³ (exact until it overflows); down in steps of 2⁻⁹⁶⁹, which leave rest < −53, so a
  // value made subnormal by a step (rounded) ends below 2⁻¹⁰⁷⁵, at 0, as the true value does (musl's scalbn).
  for (let step = 0; step < 2 && rest > 1023; step++) {
    value *= TWO_TO_1023;
    rest -= 1023;
  }
  for (let step = 0; step < 2 && rest < -1022; step++) {
    value *= TWO_TO_MINUS_969;
    rest += 969;
  }
  return value * 2 ** Math.min(1023, Math.max(-1022, rest));
}

/** 2^e where it is a normal float64, so that v·2^e is ldexp(v, e) in one multiply; else 0 (apply it with ldexp). */
function pow2Factor(e: number): number {
  return e >= -1022 && e <= 1023 ? 2 ** e : 0;
}

/** ldexp(v, e), given factor = pow2Factor(e) computed once for a whole tensor. */
function shifted(v: number, e: number, factor: number): number {
  return factor > 0 ? v * factor : ldexp(v, e);
}

/** The draw of a (batch × width) data tensor: inputs or targets. */
export function dataTensor(config: RunConfig, stream: typeof Stream.inputs | typeof Stream.targets): Float64Array {
  const { batch, width, seed } = config;
  const values = new Float64Array(batch * width);
  const kind = stream === Stream.inputs ? config.input : config.target;
  if (kind === "ones") values.fill(1);
  if (kind === "gaussian") {
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < width; i++) values[b * width + i] = normalEntry(seed, stream, 0, b, i);
  }
  return values;
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

/** Runs a config on the CPU in float64 and returns SPEC.md's result. */
export function runReference(config: RunConfig, options: ReferenceOptions = {}): RunResult {
  const started = performance.now();
  const subnormals: Subnormals = config.numerics === "tracked" ? "kept" : (options.subnormals ?? "kept");
  const round = storeRounding(config, subnormals);
  const roundParam = Math.fround;
  const { depth, width: n, batch } = config;
  const activation = ACTIVATIONS[config.activation];
  const tracked = config.numerics === "tracked";
  const trackForward = tracked && activation.positivelyHomogeneous;

  const cache = depth * n * n <= WEIGHT_CACHE_ENTRIES ? new Map<number, Float64Array>() : null;
  const weights = (layer: number): Float64Array => {
    const cached = cache?.get(layer);
    if (cached) return cached;
    const w = (options.weights?.(layer) ?? layerWeights(config.init, n, config.seed, layer)).map(roundParam);
    cache?.set(layer, w);
    return w;
  };

  // Forward: a_l = g(W_l a_{l-1} + b_l), each a_l kept as values times 2^exponent.
  const acts: Float64Array[] = [(options.input ?? dataTensor(config, Stream.inputs)).map(roundParam)];
  const actExp: number[] = [0];
  const summaries: RunSummaries = { act: [summarize(acts[0] as Float64Array)], grad: [], weightGrad: [null] };
  const eBias = biasExponent(config.biasSigma);
  for (let l = 1; l <= depth; l++) {
    const input = acts[l - 1] as Float64Array;
    const inSummary = summaries.act[l - 1] as TensorSummary;
    const w = weights(l);
    const bias = layerBiases(config, l).map(roundParam);
    // z_l = (W·stored a_{l−1})·2^inShift + b_l·2^biasShift, a multiple of 2^exponent; the shifts may lie
    // outside float64's range (a chain at 1e−20 per layer is at 2^−272000 by layer 4096).
    let inShift = 0;
    let biasShift = 0;
    let exponent = 0;
    if (trackForward) {
      const k = (actExp[l - 1] as number) + normalizingExponent(inSummary.maxAbs);
      exponent = Math.max(k, eBias);
      inShift = (actExp[l - 1] as number) - exponent;
      biasShift = -exponent;
    }
    const inFactor = pow2Factor(inShift);
    const biasFactor = pow2Factor(biasShift);
    const out = new Float64Array(batch * n);
    const preActivations = options.onPreActivation ? new Float64Array(batch * n) : null;
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += (w[i * n + j] as number) * (input[b * n + j] as number);
        const z = round(shifted(sum, inShift, inFactor) + shifted(bias[i] as number, biasShift, biasFactor));
        if (preActivations) preActivations[b * n + i] = z;
        out[b * n + i] = round(activation.output(z));
      }
    }
    if (preActivations) options.onPreActivation?.(l, preActivations);
    acts.push(out);
    actExp.push(exponent);
    summaries.act.push(summarize(out, exponent));
  }

  // Backward seed: ∂ℓ_b/∂a_L = a_L − y.
  const target = dataTensor(config, Stream.targets).map(roundParam);
  const aL = acts[depth] as Float64Array;
  let gradExp = 0;
  if (tracked) {
    const eTarget = config.target === "zeros" ? Number.NEGATIVE_INFINITY : 0;
    gradExp = Math.max(
      (actExp[depth] as number) + normalizingExponent((summaries.act[depth] as TensorSummary).maxAbs),
      eTarget,
    );
  }
  // Stored (a_L − y)·2^−gradExp; with y = 0 and a vanishing chain 2^−gradExp is far past 2¹⁰²³.
  const aExp = (actExp[depth] as number) - gradExp;
  let grad = aL.map((a, k) => round(ldexp(a, aExp) - ldexp(target[k] as number, -gradExp)));
  const grads: TensorSummary[] = [];
  grads[depth] = summarize(grad, gradExp);

  // Backward: ∂ℓ/∂z_l = ∂ℓ/∂a_l ⊙ g'(a_l); ∂ℓ/∂a_{l-1} = W_lᵀ ∂ℓ/∂z_l; B·∂loss/∂W_l = Σ_b ∂ℓ_b/∂z_l a_{l-1}ᵀ.
  for (let l = depth; l >= 1; l--) {
    if (tracked) {
      const k = normalizingExponent((grads[l] as TensorSummary).maxAbs);
      const factor = pow2Factor(-k);
      grad = grad.map((v) => shifted(v, -k, factor));
      gradExp += k;
    }
    const a = acts[l] as Float64Array;
    const dz = grad.map((d, k) => round(d * activation.derFromOutput(a[k] as number)));
    const w = weights(l);
    const next = new Float64Array(batch * n);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += (dz[b * n + i] as number) * (w[i * n + j] as number);
        next[b * n + j] = round(sum);
      }
    }
    const weightGrad = weightGradEntries(dz, acts[l - 1] as Float64Array, n, batch).map(round);
    const weightGradExp = gradExp + (actExp[l - 1] as number);
    summaries.weightGrad[l] = summarize(weightGrad, weightGradExp);
    grad = next;
    grads[l - 1] = summarize(grad, gradExp);
    options.onGradient?.(l, grad, weightGrad, gradExp, weightGradExp);
  }
  summaries.grad = grads;
  return assembleResult(config, "cpu", summaries, subnormals, { wall: performance.now() - started });
}

/** Σ_b dz_b a_bᵀ, the n × n matrix B·∂loss/∂W_l (row-major). */
function weightGradEntries(dz: Float64Array, a: Float64Array, n: number, batch: number): Float64Array {
  const entries = new Float64Array(n * n);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      const d = dz[b * n + i] as number;
      const row = i * n;
      for (let j = 0; j < n; j++) entries[row + j] = (entries[row + j] as number) + d * (a[b * n + j] as number);
    }
  }
  return entries;
}
