/**
 * A one-line reading of a result for the page: does the gradient vanish or explode through the
 * chain, how fast per layer, and at which layer a plain pass in its format (float32, float16,
 * bfloat16; float32 for tracked runs) breaks; and a second sentence on how far that growth is from
 * the one result.theory predicts.
 */
import type { RunConfig } from "./config";
import { formatName } from "./formats";
import type { RunResult } from "./result";
import type { Theory } from "./theory-models";

/** log10 of float32's largest finite value, (2 − 2⁻²³)·2¹²⁷ ≈ 3.4028e38: ≈ 38.53. */
export const LOG10_FLOAT32_MAX = Math.log10(3.4028234663852886e38);
/** log10 of float32's smallest normal value, 2⁻¹²⁶ ≈ 1.1755e-38 (below it, many GPUs flush to zero): ≈ −37.93. */
export const LOG10_FLOAT32_MIN_NORMAL = -126 * Math.log10(2);
/** A change of at least this many decades through the chain counts as vanishing or exploding. */
export const DECADES_THRESHOLD = 3;

/**
 * Where a pass in the run's format breaks (float32's for tracked runs): the first layer whose values
 * overflow or underflow, and in which pass.
 */
export interface Float32Limit {
  layer: number;
  kind: "overflow" | "underflow";
  pass: "forward" | "backward";
}

/** The reading of a result: its kind, one plain-text sentence, and the numbers behind it. */
export interface Verdict {
  kind: "vanishing" | "exploding" | "stable" | "broken";
  text: string;
  /** log10(gradRms at layer 1 / gradRms at layer L) (layer 0 for L = 1): decades gained towards the input. */
  gradientRatioLog10: number | null;
  /** Least-squares slope of log10ActRms against l over its finite entries: 10^slope is the growth per layer. */
  actSlope: number | null;
  /** Least-squares slope of log10GradRms against l over its finite entries (l increasing, i.e. forward). */
  gradSlope: number | null;
  float32Limit: Float32Limit | null;
  /** The measured growth per layer against the predicted one (result.theory); null where no model applies. */
  theory: TheoryReading | null;
}

/** Least-squares slopes (log10 per layer, l increasing) of a measured and a predicted curve over the same layers. */
export interface SlopePair {
  measured: number;
  predicted: number;
}

/** How the measured curves follow the theory's: the gradient's and the activations' slopes, and a sentence. */
export interface TheoryReading {
  grad: SlopePair | null;
  act: SlopePair | null;
  text: string;
}

/** Least-squares slope of values[l] against l over the finite entries; null with fewer than 2. */
export function logSlope(values: readonly (number | null)[]): number | null {
  const points: [number, number][] = [];
  values.forEach((y, l) => {
    if (y !== null && Number.isFinite(y)) points.push([l, y]);
  });
  if (points.length < 2) return null;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  }
  return sxy / sxx;
}

/** log10GradRms[1] − log10GradRms[L] (layer 0 instead of 1 when L = 1); null unless both are finite. */
export function gradientRatioLog10(result: RunResult): number | null {
  const depth = result.log10GradRms.length - 1;
  const near = result.log10GradRms[depth === 1 ? 0 : 1] ?? null;
  const far = result.log10GradRms[depth] ?? null;
  return near === null || far === null ? null : near - far;
}

/**
 * log10ActRms at its last finite layer minus at its first: how many decades the activations grow
 * (negative: shrink) through the part of the chain that float32 could represent; null with fewer than 2.
 */
export function activationChangeLog10(result: RunResult): number | null {
  const finite = result.log10ActRms.filter((v): v is number => v !== null && Number.isFinite(v));
  return finite.length < 2 ? null : (finite.at(-1) as number) - (finite[0] as number);
}

/**
 * Why no layer's weights can get a gradient, whatever the draw, or null when they can: α = 0 cuts
 * every residual branch off (∂ℓ/∂W_l carries the factor α), and a norm over groups of one value (batch
 * norm over one example, layer norm over one unit) sets every ẑ_l = (z − μ)/σ to exactly 0, so ∂ℓ/∂z_l
 * is 0 too.
 */
export function cutBranches(config: RunConfig): string | null {
  if (config.residual === 0) return "residual α = 0 cuts off every branch";
  if (config.norm === "batch" && config.batch === 1) {
    return "batch norm over a batch of one example sets every ẑ_l to exactly 0";
  }
  if (config.norm === "layer" && config.width === 1) return "layer norm over one unit sets every ẑ_l to exactly 0";
  return null;
}

/**
 * Where a pass in the run's format breaks (a float32 pass for tracked runs). A chain whose every ẑ_l
 * is exactly 0 (cutBranches) breaks nowhere: its zeros are the norm's, not the format's, and nothing
 * in it can overflow. float32, float16 and bfloat16 numerics: the first forward layer that is
 * non-finite (overflow) or all zero (underflow), else the first backward one (counting down from L). tracked
 * numerics, from the true magnitudes: the first forward layer whose log10ActRms is above
 * LOG10_FLOAT32_MAX (overflow) or below LOG10_FLOAT32_MIN_NORMAL (underflow), else the first
 * backward layer (counting down from L) whose log10GradRms is.
 */
export function float32Limit(result: RunResult): Float32Limit | null {
  if (cutBranches(result.config) !== null) return null;
  if (result.config.numerics === "tracked") return trackedLimit(result);
  const { firstNonFinite, firstAllZero } = result;
  const forward = earliest(firstNonFinite.forward, firstAllZero.forward, (a, b) => a <= b);
  if (forward) return { ...forward, pass: "forward" };
  const backward = earliest(firstNonFinite.backward, firstAllZero.backward, (a, b) => a >= b);
  return backward ? { ...backward, pass: "backward" } : null;
}

/** The earlier of an overflow layer and an underflow layer in a pass's order, or null if neither. */
function earliest(
  overflow: number | null,
  underflow: number | null,
  before: (a: number, b: number) => boolean,
): { layer: number; kind: Float32Limit["kind"] } | null {
  if (overflow !== null && (underflow === null || before(overflow, underflow)))
    return { layer: overflow, kind: "overflow" };
  return underflow === null ? null : { layer: underflow, kind: "underflow" };
}

/** The first layer, in the given order, whose log10 magnitude leaves float32's normal range. */
function leavesFloat32(values: readonly (number | null)[], layers: number[]): Omit<Float32Limit, "pass"> | null {
  for (const layer of layers) {
    const value = values[layer] ?? null;
    if (value === null) continue;
    if (value > LOG10_FLOAT32_MAX) return { layer, kind: "overflow" };
    if (value < LOG10_FLOAT32_MIN_NORMAL) return { layer, kind: "underflow" };
  }
  return null;
}

function trackedLimit(result: RunResult): Float32Limit | null {
  const layers = result.log10ActRms.map((_, l) => l);
  const forward = leavesFloat32(result.log10ActRms, layers);
  if (forward) return { ...forward, pass: "forward" };
  const backward = leavesFloat32(result.log10GradRms, layers.reverse());
  return backward ? { ...backward, pass: "backward" } : null;
}

/**
 * The kind, in this order: vanishing when no layer's weights can get a gradient (cutBranches: the
 * gradient that training uses is exactly zero everywhere). Then, with a gradient ratio r of at least DECADES_THRESHOLD decades, exploding
 * if r ≥ 3 (the gradient grows towards layer 1) and vanishing if r ≤ −3. Without a finite ratio the
 * chain broke in float32, and how it broke says which: the first overflow (forward, else backward)
 * is exploding, the first all-zero layer vanishing — a deep sigmoid net whose gradients reach zero
 * below some layer is the textbook vanishing gradient. Otherwise, with an activation change c
 * (activationChangeLog10) of at least 3 decades, exploding if c ≥ 3 and vanishing if c ≤ −3;
 * otherwise broken if the run has no gradient ratio; else stable.
 */
export function verdictKind(result: RunResult): Verdict["kind"] {
  if (cutBranches(result.config) !== null) return "vanishing";
  const ratio = gradientRatioLog10(result);
  if (ratio !== null && Math.abs(ratio) >= DECADES_THRESHOLD) return ratio > 0 ? "exploding" : "vanishing";
  const limit = result.config.numerics === "tracked" ? null : float32Limit(result);
  if (ratio === null && limit) return limit.kind === "overflow" ? "exploding" : "vanishing";
  const change = activationChangeLog10(result);
  if (change !== null && Math.abs(change) >= DECADES_THRESHOLD) return change > 0 ? "exploding" : "vanishing";
  return ratio === null ? "broken" : "stable";
}

/** The numbers the verdict's sentence reads. */
type Reading = Omit<Verdict, "text" | "theory">;

/** The reading of a result: kind, slopes, gradient ratio, float32 limit, one plain-text sentence, and the theory's. */
export function verdict(result: RunResult): Verdict {
  const reading: Reading = {
    kind: verdictKind(result),
    gradientRatioLog10: gradientRatioLog10(result),
    actSlope: logSlope(result.log10ActRms),
    gradSlope: logSlope(result.log10GradRms),
    float32Limit: float32Limit(result),
  };
  return { ...reading, text: verdictText(result, reading), theory: theoryReading(result) };
}

/** The slopes of a measured and a predicted curve over the layers where both are finite; null with fewer than 2. */
export function slopePair(
  measured: readonly (number | null)[],
  predicted: readonly (number | null)[],
): SlopePair | null {
  const both = (l: number) => Number.isFinite(measured[l] ?? Number.NaN) && Number.isFinite(predicted[l] ?? Number.NaN);
  const slopeOf = (values: readonly (number | null)[]) => logSlope(values.map((v, l) => (both(l) ? v : null)));
  const m = slopeOf(measured);
  const p = slopeOf(predicted);
  return m === null || p === null ? null : { measured: m, predicted: p };
}

/** A measured curve within this fraction per layer of the predicted one reads "within X% per layer". */
export const THEORY_CLOSE = 0.05;

/**
 * How far a measured growth per layer is from the predicted one: "within X% per layer" for factors
 * closer than THEORY_CLOSE, else the ratio of the slopes ("2.1× steeper", "1.6× shallower"), or "off by
 * X% per layer" where a predicted factor near 1 or an opposite direction makes a ratio meaningless.
 */
export function slopeComparison({ measured, predicted }: SlopePair): string {
  const off = 10 ** Math.abs(measured - predicted) - 1;
  if (off < THEORY_CLOSE) return `within ${percent(off)} per layer`;
  if (Math.abs(10 ** predicted - 1) < THEORY_CLOSE || Math.sign(measured) !== Math.sign(predicted))
    return `off by ${percent(off)} per layer`;
  const ratio = measured / predicted;
  return ratio > 1 ? `${ratio.toPrecision(2)}× steeper` : `${(1 / ratio).toPrecision(2)}× shallower`;
}

/** A fraction as a percentage rounded up to one decimal below 10 % ("0.1%", "4.3%"), whole above. */
function percent(fraction: number): string {
  const value = 100 * fraction;
  if (value < 10) return `${Math.max(0.1, Math.ceil(value * 10) / 10)}%`;
  return `${Math.round(value)}%`;
}

/** The model's name at the head of the theory's sentence. */
const MODEL_HEADS: Record<Theory["model"], string> = {
  "mean-field": "Mean field",
  "mean-field-residual": "Mean field (residual)",
  "mean-field-batchnorm": "Mean field (batch norm)",
  exact: "Exact theory",
};

/**
 * The theory's sentence: the predicted growth per layer of the gradient (backward) and the activations
 * (forward) against the measured, each over the layers where both curves are finite; null where the
 * result has no theory or no two such layers.
 */
export function theoryReading(result: RunResult): TheoryReading | null {
  const theory = result.theory;
  if (!theory) return null;
  const grad = slopePair(result.log10GradRms, theory.log10GradRms);
  const act = slopePair(result.log10ActRms, theory.log10ActRms);
  const clauses: string[] = [];
  if (grad) clauses.push(theoryClause("gradients", grad, -1, "backward"));
  if (act) clauses.push(theoryClause("activations", act, 1, "forward"));
  if (clauses.length === 0) return null;
  return { grad, act, text: `${MODEL_HEADS[theory.model]} predicts ${clauses.join("; ")}.` };
}

/** "gradients ×0.976 per layer backward, measured ×0.975 (within 0.2% per layer)": sign −1 reads the slope backward. */
function theoryClause(what: string, pair: SlopePair, sign: 1 | -1, direction: string): string {
  const factor = (slope: number) => formatFactor(10 ** (sign * slope));
  return `${what} ×${factor(pair.predicted)} per layer ${direction}, measured ×${factor(pair.measured)} (${slopeComparison(pair)})`;
}

/** A power of ten's exponent with one decimal ("-38.2", "0.0"). */
export function formatExponent(log10: number): string {
  const text = log10.toFixed(1);
  return text === "-0.0" ? "0.0" : text;
}

/** A growth factor per layer with three significant digits ("1.50", "0.500"). */
export function formatFactor(factor: number): string {
  return Number.isFinite(factor) ? factor.toPrecision(3) : String(factor);
}

/** "grow ×1.50 per layer", "shrink ×0.500 per layer" or "keep their size (×1.00 per layer)". */
function growth(slope: number, direction: string): string {
  const factor = formatFactor(10 ** slope);
  if (factor === "1.00") return `keep their size (×1.00 per layer ${direction})`;
  return `${slope > 0 ? "grow" : "shrink"} ×${factor} per layer ${direction}`;
}

function leadClause(result: RunResult, ratio: number | null): string {
  const depth = result.log10GradRms.length - 1;
  const near = depth === 1 ? 0 : 1;
  if (ratio !== null)
    return `gradient at layer ${near} is 10^${formatExponent(ratio)} of the gradient at layer ${depth}`;
  const { firstNonFinite, firstAllZero } = result;
  if (firstNonFinite.backward !== null) return `gradients are not finite from layer ${firstNonFinite.backward} down`;
  if (firstAllZero.backward !== null) return `gradients are zero from layer ${firstAllZero.backward} down`;
  return "gradients have no finite values to compare";
}

/** The growth per layer of the activations (forward) and of the gradients (backward, towards layer 1). */
function slopeClause(actSlope: number | null, gradSlope: number | null): string {
  const activations =
    actSlope === null ? "activations have no finite values" : `activations ${growth(actSlope, "forward")}`;
  // Backward the gradient changes by 10^−gradSlope per layer; without finite values the lead clause says why.
  return gradSlope === null ? activations : `${activations}, gradients ${growth(-gradSlope, "backward")}`;
}

function limitClause(limit: Float32Limit | null, numerics: RunResult["config"]["numerics"]): string {
  const [stays, overflows, sees] =
    numerics === "tracked" ? ["would stay", "would overflow", "would see"] : ["stays", "overflows", "sees"];
  const pass = `a ${formatName(numerics)} pass`;
  if (limit === null) return `${pass} ${stays} in range at every layer`;
  const values = limit.pass === "forward" ? "activations" : "gradients";
  if (limit.kind === "overflow") return `${pass} ${overflows} at layer ${limit.layer} (${values})`;
  return `${pass} ${sees} zero ${values} from layer ${limit.layer}`;
}

/**
 * Why the kind is what it is, after the lead: the gradient ratio against DECADES_THRESHOLD, or the
 * activations' change when the ratio was mild; nothing when float32 broke the chain (the lead says how).
 */
function ruleClause(result: RunResult, reading: Reading): string {
  const ratio = reading.gradientRatioLog10;
  if (ratio === null || reading.kind === "broken") return "";
  const decades = `${DECADES_THRESHOLD} decades`;
  if (Math.abs(ratio) >= DECADES_THRESHOLD) return `, past the ${decades} that count as ${reading.kind}`;
  if (reading.kind === "stable") return `, within the ${decades} that count as stable`;
  const change = activationChangeLog10(result) as number;
  return `, within ${decades}, but the activations change by 10^${formatExponent(change)}: ${reading.kind}`;
}

/**
 * Why the weights get no gradient and what the chain does instead: every a_l is a_0 (α = 0) or g(0)
 * (a norm over groups of one) and no gradient passes below layer L, or, with skips, each layer adds
 * α·g(0) and the gradient passes through them unchanged.
 */
function cutClause(config: RunConfig, reason: string): string {
  const noWeights = "and no layer's weights get a gradient";
  if (config.residual === 0)
    return `${reason}: every a_l is a_0, the gradient passes to layer 1 unchanged, ${noWeights}`;
  if (config.residual === null) {
    return `${reason}: every a_l is g(0), no gradient passes below layer ${config.depth}, ${noWeights}`;
  }
  return `${reason}: each layer adds α·g(0), the gradient passes through the skips unchanged, ${noWeights}`;
}

/** The sentence: a capital letter, clauses joined by semicolons, a full stop; the kind itself is the badge's. */
function verdictText(result: RunResult, reading: Reading): string {
  const cut = cutBranches(result.config);
  if (cut !== null)
    return capitalized(`${cutClause(result.config, cut)}; ${limitClause(null, result.config.numerics)}.`);
  const lead = leadClause(result, reading.gradientRatioLog10);
  const slopes = slopeClause(reading.actSlope, reading.gradSlope);
  const limit = limitClause(reading.float32Limit, result.config.numerics);
  return capitalized(`${lead}${ruleClause(result, reading)}; ${slopes}; ${limit}.`);
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
