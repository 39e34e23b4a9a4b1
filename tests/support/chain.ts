/**
 * Closed forms of a tracked s·I chain at any depth, in log10, so they hold where s^L lies far outside
 * float64 (1e−20 per layer reaches 10^−81920 at layer 4096).
 *
 * The chain: width n, batch 1, W_l = s·I, b = 0, x = ones, g linear or leaky_relu, target y. Every a_l is
 * a multiple of x: z_l = s·a_{l−1} has the sign of s^l, and g multiplies it by d_l = slope where it is
 * negative (s < 0 and l odd; slope 1 for linear), by 1 elsewhere. So, with m(l) the negative layers ≤ l,
 *   |a_l|             = |s|^l · slope^m(l)                          (every entry)
 *   e                 = ∂ℓ/∂a_L = a_L − y = sign(s)^L·|a_L|·x − y
 *   ∂ℓ/∂a_{l−1}       = s·d_l·∂ℓ/∂a_l, so RMS(∂ℓ/∂a_l) = |s|^(L−l) · slope^(m(L)−m(l)) · RMS(e)
 *   ∂loss/∂W_l        = (d_l·∂ℓ/∂a_l)·a_{l−1}ᵀ, rank one: ‖·‖_F = n · d_l · RMS(∂ℓ/∂a_l) · |a_{l−1}|
 *   loss              = ‖e‖² / 2 = n · RMS(e)² / 2.
 */
import { LEAKY_SLOPE } from "../../src/core/activations";
import { type RunConfig, validateConfig } from "../../src/core/config";
import { lectureConfig } from "../../src/core/presets";
import { Stream } from "../../src/core/random";
import { dataTensor } from "../../src/core/reference";

/** A chain whose closed form is known: the activation and s. */
export interface TrackedChain {
  activation: "linear" | "leaky_relu";
  scale: number;
}

/**
 * Chains in both directions far past float64's range by layer 4096: 1.5 (10^721), 0.5 (10^−1233), 0.01,
 * 1e−20 (10^−81920, the smallest |s| a config takes), 1e6 (10^24576, the largest), −1.5 (alternating signs);
 * leaky_relu at −0.5 (every other layer through the slope) and 1.5.
 */
export const TRACKED_CHAINS: readonly TrackedChain[] = [
  ...[1.5, 0.5, 0.01, 1e-20, 1e6, -1.5].map((scale) => ({ activation: "linear" as const, scale })),
  ...[-0.5, 1.5].map((scale) => ({ activation: "leaky_relu" as const, scale })),
];

/** The lecture chain (width 2, batch 1, x = ones) with this activation, s, depth and target, tracked. */
export function trackedChainConfig(chain: TrackedChain, depth: number, target: "zeros" | "gaussian"): RunConfig {
  const { activation, scale } = chain;
  return validateConfig({ ...lectureConfig(scale, depth), activation, target, numerics: "tracked" });
}

export interface ChainCase {
  /** s, as the run stores it (float32 parameters: pass Math.fround(s)). */
  scale: number;
  depth: number;
  width: number;
  /** What g multiplies a negative pre-activation by: 1 for linear, the leaky slope for leaky_relu. */
  slope: number;
  /** The target y as the run stores it (width entries). */
  target: ArrayLike<number>;
}

export interface ChainForm {
  log10ActRms: number[];
  log10GradRms: number[];
  /** Index 0 is null, as in a result. */
  log10WeightGradNorm: (number | null)[];
  log10WeightGradRms: (number | null)[];
  log10Loss: number;
  /** m(l): the layers 1..l whose pre-activation is negative (where leaky_relu multiplies by its slope). */
  negativeLayers: (layer: number) => number;
}

/** log10 RMS(σ·10^log10A − y) over the entries of y, for any log10A: both terms scaled by the larger. */
export function log10RmsOfOffset(log10A: number, sign: number, y: ArrayLike<number>): number {
  let largestY = 0;
  for (let i = 0; i < y.length; i++) largestY = Math.max(largestY, Math.abs(y[i] as number));
  const top = Math.max(log10A, Math.log10(largestY));
  const a = sign * 10 ** (log10A - top);
  let sumSq = 0;
  for (let i = 0; i < y.length; i++) {
    const yi = y[i] as number;
    const scaledY = yi === 0 ? 0 : Math.sign(yi) * 10 ** (Math.log10(Math.abs(yi)) - top);
    sumSq += (a - scaledY) ** 2;
  }
  return top + 0.5 * Math.log10(sumSq / y.length);
}

/** Every statistic of SPEC.md's result for the chain, as the derivation above gives it. */
export function chainClosedForm({ scale, depth, width, slope, target }: ChainCase): ChainForm {
  const log10S = Math.log10(Math.abs(scale));
  const log10Slope = Math.log10(slope);
  const negativeLayers = (layer: number) => (scale < 0 ? Math.ceil(layer / 2) : 0);
  const layers = Array.from({ length: depth + 1 }, (_, l) => l);
  const log10ActRms = layers.map((l) => l * log10S + negativeLayers(l) * log10Slope);
  const signL = scale < 0 && depth % 2 === 1 ? -1 : 1;
  const log10E = log10RmsOfOffset(log10ActRms[depth] as number, signL, target);
  const log10GradRms = layers.map(
    (l) => log10E + (depth - l) * log10S + (negativeLayers(depth) - negativeLayers(l)) * log10Slope,
  );
  const log10WeightGradNorm = layers.map((l) =>
    l === 0
      ? null
      : (log10GradRms[l] as number) +
        (negativeLayers(l) - negativeLayers(l - 1)) * log10Slope +
        (log10ActRms[l - 1] as number) +
        Math.log10(width),
  );
  return {
    log10ActRms,
    log10GradRms,
    log10WeightGradNorm,
    log10WeightGradRms: log10WeightGradNorm.map((v) => (v === null ? null : v - Math.log10(width))),
    log10Loss: 2 * log10E + Math.log10(width / 2),
    negativeLayers,
  };
}

/**
 * The closed form of a chain config as a backend stores it: s and y in float32 (y drawn as the CPU draws it),
 * leaky_relu's slope in float64 on the CPU, in float32 in WGSL.
 */
export function closedFormOf(config: RunConfig, backend: "cpu" | "webgpu"): ChainForm {
  if (config.init.scheme !== "identity") throw new Error(`a chain has init identity, got ${config.init.scheme}`);
  const slope = config.activation === "leaky_relu" ? LEAKY_SLOPE : 1;
  return chainClosedForm({
    scale: Math.fround(config.init.scale),
    depth: config.depth,
    width: config.width,
    slope: backend === "cpu" ? slope : Math.fround(slope),
    target: dataTensor(config, Stream.targets).map(Math.fround),
  });
}

/** The series a chain's result is checked on; "loss" is log10 of the loss. */
export type ChainSeries = "log10ActRms" | "log10GradRms" | "log10WeightGradNorm" | "log10WeightGradRms" | "loss";

/** The closed form's value of a series at a layer (of the loss at any layer); 0 where it has none. */
export function formValue(form: ChainForm, series: ChainSeries, layer: number): number {
  return series === "loss" ? form.log10Loss : (form[series][layer] ?? 0);
}

/**
 * How far the float64 reference may lie from the closed form, in log10. It rounds only the parameters (s to
 * float32, as the form does), then once per float64 product: at most 8192·2⁻⁵³ relative, 4e-13 in log10.
 * The logs themselves (l·log10|s|, exponent·log10 2) are float64 numbers of magnitude up to 3.3e5, each off
 * by a few ulps: 8ε·|value| covers both (the measured worst is 2ε·|value|).
 */
export function float64Bound(form: ChainForm): (series: ChainSeries, layer: number) => number {
  return (series, layer) => 1e-11 + 8 * Number.EPSILON * Math.abs(formValue(form, series, layer));
}

const SERIES = ["log10ActRms", "log10GradRms", "log10WeightGradNorm", "log10WeightGradRms"] as const;
const LOG10_LARGEST = Math.log10(Number.MAX_VALUE);
const LOG10_SMALLEST = Math.log10(Number.MIN_VALUE);
/** Below 2⁻¹⁰²² a float64 loses significant bits; the loss is judged in log10 only between these. */
const LOG10_SMALLEST_NORMAL = Math.log10(2 ** -1022);

/** The statistics of a result that a chain's closed form decides. */
export type ChainStatistics = Record<(typeof SERIES)[number], (number | null)[]> & { loss: number | null };

/**
 * Each statistic of a result that misses the closed form by more than bound(series, layer) in log10, as
 * "series[l]: got g, want w": the first 8, then how many more. The loss is a float64: null for a true loss
 * past float64's largest value, 0 below its smallest, within the bound between its normal values (not judged
 * within 1 in log10 of those limits).
 */
export function chainMisses(
  result: ChainStatistics,
  form: ChainForm,
  bound: (series: ChainSeries, layer: number) => number,
): string[] {
  const misses: string[] = [];
  for (const series of SERIES) {
    form[series].forEach((want, l) => {
      const got = result[series][l];
      if (
        want === null ? got !== null : got === null || got === undefined || !(Math.abs(got - want) <= bound(series, l))
      )
        misses.push(`${series}[${l}]: got ${got}, want ${want}`);
    });
  }
  const wantLoss = form.log10Loss;
  const gotLoss = result.loss;
  const lossOk =
    wantLoss > LOG10_LARGEST + 1
      ? gotLoss === null
      : wantLoss < LOG10_SMALLEST - 1
        ? gotLoss === 0
        : wantLoss < LOG10_LARGEST - 1 && wantLoss > LOG10_SMALLEST_NORMAL + 1
          ? gotLoss !== null && Math.abs(Math.log10(gotLoss) - wantLoss) <= bound("loss", form.log10ActRms.length - 1)
          : true;
  if (!lossOk) misses.push(`loss: got ${gotLoss}, want 10^${wantLoss}`);
  return misses.length > 8 ? [...misses.slice(0, 8), `and ${misses.length - 8} more`] : misses;
}

/** Largest |a[l] − b[l]| over layers where both are numbers; Infinity where exactly one is null. */
export function maxLogDifference(a: (number | null)[], b: (number | null)[]): number {
  let worst = 0;
  for (let l = 0; l < a.length; l++) {
    const x = a[l] ?? null;
    const y = b[l] ?? null;
    if (x === null || y === null) {
      if (x !== y) return Number.POSITIVE_INFINITY;
    } else worst = Math.max(worst, Math.abs(x - y));
  }
  return worst;
}
