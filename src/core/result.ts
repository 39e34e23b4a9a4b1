/**
 * A run's result (SPEC.md, "Result") and the one place that turns per-layer sums into it, so the
 * GPU engine and the CPU reference report the same way.
 */
import type { RunConfig } from "./config";
import { type Theory, theoryFor } from "./theory-models";

export type Backend = "webgpu" | "cpu";

/** How the subnormals of the run's format (float32's: below 2⁻¹²⁶) behave: kept, or flushed to zero (many GPUs in float32). */
export type Subnormals = "kept" | "flushed";

export interface LayerPair {
  forward: number | null;
  backward: number | null;
}

export interface TimingMs {
  /** Wall-clock time of the whole run, from call to result. */
  wall: number;
  /** GPU time of each pass, from timestamp queries, where the adapter has them. */
  gpu?: { init: number; forward: number; backward: number; total: number };
}

/** Why a log10 entry is null: every value exactly zero, or some value infinite or NaN; null where it is a number. */
export type NullCause = "zero" | "nonFinite" | null;

/** Per layer, why each series' entry is null (index 0 of weightGrad, which does not exist, is null). */
export interface NullCauses {
  act: NullCause[];
  grad: NullCause[];
  weightGrad: NullCause[];
}

/** Per-layer statistics of one recorded step: as the result's top-level fields, plus the update's size. */
export interface TrainingRecord {
  step: number;
  log10ActRms: (number | null)[];
  log10GradRms: (number | null)[];
  log10WeightGradRms: (number | null)[];
  /** log10(‖ΔW_l‖_F / ‖W_l‖_F) of the update this step's gradient gave (null at index 0, at the last step, or if zero). */
  log10UpdateRatio: (number | null)[];
}

/** SPEC.md's result.training: the loss after each step t = 0..T, and the recorded steps. */
export interface TrainingResult {
  loss: (number | null)[];
  records: TrainingRecord[];
}

export interface RunResult {
  config: RunConfig;
  backend: Backend;
  loss: number | null;
  log10ActRms: (number | null)[];
  log10GradRms: (number | null)[];
  /** log10 of the Frobenius norm of ∂loss/∂W_l; index 0 is null. */
  log10WeightGradNorm: (number | null)[];
  /** log10 of the root mean square of the n² entries of ∂loss/∂W_l (the norm over n); index 0 is null. */
  log10WeightGradRms: (number | null)[];
  /** What theory predicts for this config, from the RMS of its input a_0; null where no model applies. */
  theory: Theory | null;
  firstNonFinite: LayerPair;
  firstAllZero: LayerPair;
  /** Per layer, why a log10 entry is null: a zero layer told from an overflowed one (SPEC extension). */
  nullCauses: NullCauses;
  /** How this backend treats the subnormals of the run's format (decides where 0.5^l reaches zero). */
  subnormals: Subnormals;
  timingMs: TimingMs;
  /** GPU backend: compute dispatches the run encoded. */
  dispatches?: number;
  /** GPU backend: how the run fit its memory budget. */
  memory?: GpuMemory;
  /** A config with `train`: the loss after every step and the recorded steps (SPEC.md, "Training"). */
  training?: TrainingResult;
  /** With the run option `{ histograms: true }`: per layer, the binades of a_l and ∂ℓ/∂a_l, and saturation. */
  histograms?: Histograms;
}

/**
 * SPEC.md's H: one tensor's entries counted by binade of their true magnitude: counts[i] entries with
 * ⌊log₂|v|⌋ = minExponent + i, from the first non-empty binade to the last; zeros and non-finite
 * entries apart, so Σ counts + zeros + nonFinite = n·B. A tensor without a finite non-zero entry has
 * counts [] and minExponent null (SPEC extension).
 */
export interface Histogram {
  minExponent: number | null;
  counts: number[];
  zeros: number;
  nonFinite: number;
}

/**
 * SPEC.md's result.histograms, with the fractions of saturated entries and dead units per layer
 * (SPEC extension): an entry of layer l is saturated where |g'| < SATURATION_THRESHOLD for the
 * activation g of that layer (g' from its stored output h_l = g(ẑ_l), as the backward pass takes it).
 */
export interface Histograms {
  /** Per layer l = 0..L: the binades of a_l. */
  act: Histogram[];
  /** Per layer l = 0..L: the binades of ∂ℓ/∂a_l. */
  grad: Histogram[];
  /** Per layer l = 1..L (index 0 null): the fraction of entries (units × examples) that are saturated. */
  saturated: (number | null)[];
  /** Per layer l = 1..L (index 0 null): the fraction of units saturated on every example of the batch. */
  dead: (number | null)[];
}

/** |g'| below this is a saturated entry (a dead ReLU's, or tanh's and sigmoid's in their flat tails). */
export const SATURATION_THRESHOLD = 0.01;

/**
 * What a backend counts for the histograms, per layer: each tensor's binades (not necessarily trimmed
 * to its non-empty ones), and for l = 1..L (index 0 unused) the saturated entries and dead units.
 */
export interface HistogramCounts {
  act: Histogram[];
  grad: Histogram[];
  saturatedEntries: number[];
  deadUnits: number[];
}

/** How a GPU run fit its memory budget (src/gpu/plan.ts chooses). */
export interface GpuMemory {
  /** Bytes of every GPU buffer the run allocated. */
  bytes: number;
  /** The budget it had to fit. */
  budgetBytes: number;
  /** Activations a_0..a_L kept at once: L + 1, or fewer when the rest were recomputed. */
  activationsKept: number;
  /** Weights stored for every layer, or drawn again where each step uses them. */
  weights: "stored" | "regenerated";
  /** Statistics reduced right after each dispatch, keeping one tensor's partial sums. */
  reducedEachDispatch: boolean;
}

/**
 * The magnitude of one tensor, as the passes reduce it: the largest |v|, Σ (v / maxAbs)², whether
 * any value was infinite or NaN, and the power of two the stored values are scaled by.
 */
export interface TensorSummary {
  maxAbs: number;
  scaledSumSq: number;
  nonFinite: boolean;
  exponent2: number;
}

const LOG10_2 = Math.log10(2);

/** log10 of ‖v‖₂ / √divisor (divisor = count for an RMS, 1 for a norm); null if not finite or zero. */
export function log10Norm(summary: TensorSummary, divisor: number): number | null {
  if (summary.nonFinite || !(summary.maxAbs > 0)) return null;
  const value =
    Math.log10(summary.maxAbs) + 0.5 * Math.log10(summary.scaledSumSq / divisor) + summary.exponent2 * LOG10_2;
  return Number.isFinite(value) ? value : null;
}

/** The summary of plain values times 2^exponent2, computed in float64. */
export function summarize(values: ArrayLike<number>, exponent2 = 0): TensorSummary {
  let maxAbs = 0;
  let nonFinite = false;
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i] as number);
    if (!Number.isFinite(magnitude)) nonFinite = true;
    else if (magnitude > maxAbs) maxAbs = magnitude;
  }
  let scaledSumSq = 0;
  if (maxAbs > 0) {
    for (let i = 0; i < values.length; i++) {
      const ratio = (values[i] as number) / maxAbs;
      if (Number.isFinite(ratio)) scaledSumSq += ratio * ratio;
    }
  }
  return { maxAbs, scaledSumSq, nonFinite, exponent2 };
}

/** The same histogram with its counts cut to the span from the first to the last non-empty binade. */
export function trimmed(histogram: Histogram): Histogram {
  const { counts, zeros, nonFinite } = histogram;
  const first = counts.findIndex((count) => count > 0);
  if (first < 0 || histogram.minExponent === null) return { minExponent: null, counts: [], zeros, nonFinite };
  let last = counts.length - 1;
  while ((counts[last] as number) === 0) last--;
  return { minExponent: histogram.minExponent + first, counts: counts.slice(first, last + 1), zeros, nonFinite };
}

/** result.histograms from a backend's counts over a (batch × width) chain. */
function histogramsOf(counts: HistogramCounts, width: number, batch: number): Histograms {
  const perLayer = (values: number[], divisor: number) => values.map((v, l) => (l === 0 ? null : v / divisor));
  return {
    act: counts.act.map(trimmed),
    grad: counts.grad.map(trimmed),
    saturated: perLayer(counts.saturatedEntries, width * batch),
    dead: perLayer(counts.deadUnits, width),
  };
}

/** Why a tensor's log10 entry is null: all zero, or not finite (also a magnitude past float64's logs). */
function nullCause(summary: TensorSummary, log10: number | null): NullCause {
  if (log10 !== null) return null;
  return !summary.nonFinite && summary.maxAbs === 0 ? "zero" : "nonFinite";
}

/** Per-layer summaries of a run: act[0..L], grad[0..L] (∂ℓ/∂a_l), weightGrad[1..L] (index 0 unused). */
export interface RunSummaries {
  act: TensorSummary[];
  grad: TensorSummary[];
  weightGrad: (TensorSummary | null)[];
  /** With the run option { histograms: true }. */
  histograms?: HistogramCounts;
}

/** The loss ‖a_L − y‖² / (2B) from the summary of ∂ℓ/∂a_L = a_L − y, or null if not finite. */
export function lossOf(summary: TensorSummary, batch: number): number | null {
  const log10LossNorm = log10Norm(summary, 1);
  if (log10LossNorm === null) return !summary.nonFinite && summary.maxAbs === 0 ? 0 : null;
  // Divided in log10, so a loss within float64's range is reported even when ‖a_L − y‖² is not; a tracked
  // loss past 2¹⁰²⁴ is null (not finite as a float64), one below 2⁻¹⁰⁷⁴ is 0.
  const value = 10 ** (2 * log10LossNorm - Math.log10(2 * batch));
  return Number.isFinite(value) ? value : null;
}

/** The result from a run's per-layer summaries; weightGrad summaries are of B·∂loss/∂W_l. */
export function assembleResult(
  config: RunConfig,
  backend: Backend,
  summaries: RunSummaries,
  subnormals: Subnormals,
  timingMs: TimingMs,
): RunResult {
  const { depth, width, batch } = config;
  const count = width * batch;
  const tracked = config.numerics === "tracked";
  const isZero = (s: TensorSummary) => !s.nonFinite && s.maxAbs === 0;
  const firstForward = (test: (s: TensorSummary) => boolean) => {
    const index = summaries.act.findIndex(test);
    return index < 0 ? null : index;
  };
  const firstBackward = (test: (s: TensorSummary) => boolean) => {
    for (let l = depth; l >= 0; l--) if (test(summaries.grad[l] as TensorSummary)) return l;
    return null;
  };
  const loss = lossOf(summaries.grad[depth] as TensorSummary, batch);
  // The summaries are of B·∂loss/∂W_l: dividing by B gives the norm, by B·n the RMS of n² entries.
  const log10WeightGrad = (divisor: number) =>
    summaries.weightGrad.map((s) => {
      const value = s ? log10Norm(s, 1) : null;
      return value === null ? null : value - Math.log10(divisor);
    });
  const log10ActRms = summaries.act.map((s) => log10Norm(s, count));
  const log10GradRms = summaries.grad.map((s) => log10Norm(s, count));
  const log10WeightGradRms = log10WeightGrad(batch * width);
  return {
    config,
    backend,
    loss,
    log10ActRms,
    log10GradRms,
    log10WeightGradNorm: log10WeightGrad(batch),
    log10WeightGradRms,
    theory: theoryFor(config, log10ActRms[0] ?? null),
    firstNonFinite: tracked
      ? { forward: null, backward: null }
      : { forward: firstForward((s) => s.nonFinite), backward: firstBackward((s) => s.nonFinite) },
    firstAllZero: { forward: firstForward(isZero), backward: firstBackward(isZero) },
    nullCauses: {
      act: summaries.act.map((s, l) => nullCause(s, log10ActRms[l] ?? null)),
      grad: summaries.grad.map((s, l) => nullCause(s, log10GradRms[l] ?? null)),
      weightGrad: summaries.weightGrad.map((s, l) => (s ? nullCause(s, log10WeightGradRms[l] ?? null) : null)),
    },
    subnormals,
    timingMs,
    ...(summaries.histograms ? { histograms: histogramsOf(summaries.histograms, width, batch) } : {}),
  };
}
