/**
 * What the distributions view (<gs-distributions>) draws, as plain data: a run's histograms of |a_l|
 * or |∂ℓ/∂a_l| summed into a grid of columns (runs of consecutive layers) and rows (runs of
 * consecutive binades ⌊log₂|v|⌋), the zeros and non-finite entries of each column, the saturated and
 * dead fractions, the colour scale, the axis ticks and the read-outs in words. No DOM, no canvas.
 */
import type { ActivationName } from "../core/activations";
import type { Histogram, Histograms } from "../core/result";
import { powerOfTenLabel, superscript } from "./chart-model";

/** Which tensor the view shows. */
export type DistributionTensor = "act" | "grad";

export const DISTRIBUTION_TENSORS: Record<DistributionTensor, { label: string; symbol: string }> = {
  act: { label: "activations aₗ", symbol: "aₗ" },
  grad: { label: "gradients ∂ℓ/∂aₗ", symbol: "∂ℓ/∂aₗ" },
};

/** The fewest binades the magnitude axis spans (a narrower span is widened about its middle). */
export const MIN_BINADES = 8;

/** The binades any layer of `histograms` has an entry in, or null where none has a finite non-zero entry. */
export function binadeSpan(histograms: readonly Histogram[]): { min: number; max: number } | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const { minExponent, counts } of histograms) {
    if (minExponent === null || counts.length === 0) continue;
    min = Math.min(min, minExponent);
    max = Math.max(max, minExponent + counts.length - 1);
  }
  return min > max ? null : { min, max };
}

/** A span of at least `fewest` binades: the given one, widened about its middle where it is narrower. */
export function widenedSpan(span: { min: number; max: number }, fewest = MIN_BINADES): { min: number; max: number } {
  const missing = fewest - (span.max - span.min + 1);
  if (missing <= 0) return span;
  const below = Math.floor(missing / 2);
  return { min: span.min - below, max: span.max + missing - below };
}

/** How many consecutive items share a slot so that `count` items fit in `slots` slots (at least 1). */
export function perSlot(count: number, slots: number): number {
  return Math.max(1, Math.ceil(count / Math.max(1, Math.floor(slots))));
}

/**
 * One tensor's histograms summed on a grid: column c holds layers c·k .. c·k + k − 1 (up to L), row r
 * the binades span.min + r·m .. span.min + r·m + m − 1; the zeros and non-finite entries per column.
 */
export interface DistributionGrid {
  tensor: DistributionTensor;
  /** The run's depth L: layers 0..L. */
  depth: number;
  /** n·B: the entries of one layer's tensor. */
  entries: number;
  /** k: layers per column. */
  layersPerColumn: number;
  columns: number;
  /** The binades the rows cover (widened to MIN_BINADES); null where no layer has a finite non-zero entry. */
  span: { min: number; max: number } | null;
  /** m: binades per row. */
  binadesPerRow: number;
  rows: number;
  /** counts[c·rows + r]: the entries of column c in row r. */
  counts: Float64Array;
  zeros: number[];
  nonFinite: number[];
}

/**
 * The grid of a tensor's histograms, `layersPerColumn` layers to a column and at most `maxRows` rows
 * of binades: binades summed in runs where there are more of them (a row per pixel, say).
 */
export function distributionGrid(
  histograms: Histograms,
  tensor: DistributionTensor,
  entries: number,
  layersPerColumn: number,
  maxRows: number,
): DistributionGrid {
  const layers = histograms[tensor];
  const depth = layers.length - 1;
  const columns = Math.ceil(layers.length / layersPerColumn);
  const found = binadeSpan(layers);
  const span = found && widenedSpan(found);
  const binadesPerRow = span ? perSlot(span.max - span.min + 1, maxRows) : 1;
  const rows = span ? Math.ceil((span.max - span.min + 1) / binadesPerRow) : 0;
  const counts = new Float64Array(columns * rows);
  const zeros = new Array<number>(columns).fill(0);
  const nonFinite = new Array<number>(columns).fill(0);
  layers.forEach((histogram, layer) => {
    const column = Math.floor(layer / layersPerColumn);
    zeros[column] = (zeros[column] as number) + histogram.zeros;
    nonFinite[column] = (nonFinite[column] as number) + histogram.nonFinite;
    if (!span || histogram.minExponent === null) return;
    histogram.counts.forEach((count, i) => {
      const row = Math.floor(((histogram.minExponent as number) + i - span.min) / binadesPerRow);
      counts[column * rows + row] = (counts[column * rows + row] as number) + count;
    });
  });
  return { tensor, depth, entries, layersPerColumn, columns, span, binadesPerRow, rows, counts, zeros, nonFinite };
}

/** The layers of a column, first and last. */
export function columnLayers(grid: DistributionGrid, column: number): { first: number; last: number } {
  const first = column * grid.layersPerColumn;
  return { first, last: Math.min(grid.depth, first + grid.layersPerColumn - 1) };
}

/** The entries of a column: n·B times its layers. */
export function columnEntries(grid: DistributionGrid, column: number): number {
  const { first, last } = columnLayers(grid, column);
  return grid.entries * (last - first + 1);
}

/** The binades of a row, first and last. */
export function rowBinades(grid: DistributionGrid, row: number): { first: number; last: number } {
  const first = (grid.span?.min ?? 0) + row * grid.binadesPerRow;
  return { first, last: Math.min(grid.span?.max ?? first, first + grid.binadesPerRow - 1) };
}

/**
 * The colour scale, log10 of a cell's share of its column's entries: from one entry of a column
 * (1/(k·n·B)) to all of them (1); a tenth to one where a column holds a single entry.
 */
export function shareScale(grid: Pick<DistributionGrid, "entries" | "layersPerColumn">): { min: number; max: number } {
  const min = -Math.log10(grid.entries * grid.layersPerColumn);
  return { min: min < 0 ? min : -1, max: 0 };
}

/** A legend tick (log10 of a share) as a percentage: "0.01 %", "1 %", "50 %", "100 %". */
export function shareTickLabel(log10: number): string {
  return `${Number((100 * 10 ** log10).toPrecision(2))} %`;
}

/** A share of entries as a percentage, to 3 significant digits (and "0 %", "100 %" exactly). */
export function percentText(part: number, whole: number): string {
  if (whole <= 0) return "—";
  return `${Number(((100 * part) / whole).toPrecision(3))} %`;
}

/** 2^k as the page writes it: "2⁻³" (or "2 to the -3" for a screen reader). */
export function powerOfTwoText(exponent: number, spoken = false): string {
  return spoken ? `2 to the ${exponent}` : `2${superscript(String(exponent))}`;
}

/** 2^k in decimals: exact where short (0.125, 1024), else 3 significant digits ("1.07·10⁹", "9.33·10⁻³⁰²"). */
export function powerOfTwoValue(exponent: number, spoken = false): string {
  const value = 2 ** exponent;
  if (exponent >= 0 && exponent < 20) return String(value);
  if (exponent < 0 && exponent >= -10) return String(value);
  if (exponent < 0 && exponent > -14) return String(Number(value.toPrecision(3)));
  const log10 = exponent * Math.log10(2);
  let decade = Math.floor(log10);
  let mantissa = Number((10 ** (log10 - decade)).toFixed(2));
  if (mantissa >= 10) {
    mantissa = 1;
    decade++;
  }
  return spoken ? `${mantissa} times 10 to the ${decade}` : `${mantissa}·10${superscript(String(decade))}`;
}

/** A run of binades in words: "2⁻³ ≤ |aₗ| < 2⁻² (0.125–0.25)"; "3 binades" where it is more than one. */
export function binadeRangeText(first: number, last: number, tensor: DistributionTensor, spoken = false): string {
  const symbol = DISTRIBUTION_TENSORS[tensor].symbol;
  const [lo, hi] = [first, last + 1];
  const values = `${powerOfTwoValue(lo, spoken)} to ${powerOfTwoValue(hi, spoken)}`;
  const count = last > first ? `, ${last - first + 1} binades` : "";
  if (spoken) return `${powerOfTwoText(lo, true)} ≤ |${symbol}| < ${powerOfTwoText(hi, true)} (${values}${count})`;
  return `${powerOfTwoText(lo)} ≤ |${symbol}| < ${powerOfTwoText(hi)} (${values.replace(" to ", "–")}${count})`;
}

/** Activations whose derivative can fall under the saturation threshold: the saturated and dead fractions mean something. */
const SATURATING: readonly ActivationName[] = ["relu", "tanh", "sigmoid"];

/** Whether the view shows the saturated and dead strips: for activations of a net whose g can saturate. */
export function showsSaturation(tensor: DistributionTensor, activation: ActivationName): boolean {
  return tensor === "act" && SATURATING.includes(activation);
}

/** The mean of a per-layer fraction over a column's layers (layer 0 has none); null where none has one. */
export function columnFraction(values: readonly (number | null)[], first: number, last: number): number | null {
  let sum = 0;
  let count = 0;
  for (let l = first; l <= last; l++) {
    const value = values[l];
    if (value === null || value === undefined) continue;
    sum += value;
    count++;
  }
  return count === 0 ? null : sum / count;
}

/** A row of the view: a run of binades (its index), the zeros, the non-finite entries, or a fraction strip. */
export type DistributionRow = number | "zero" | "nonFinite" | "saturated" | "dead";

/** The rows from the bottom up, as the keyboard steps through them: the strips, zeros, binades, non-finite. */
export function rowOrder(grid: DistributionGrid, strips: boolean): DistributionRow[] {
  const binades = Array.from({ length: grid.rows }, (_, r) => r);
  return [...(strips ? (["dead", "saturated"] as const) : []), "zero", ...binades, "nonFinite"];
}

/** A column's layers in words: "layer 12", or "layers 12–17 (6 summed)". */
export function layersText(grid: DistributionGrid, column: number): string {
  const { first, last } = columnLayers(grid, column);
  return first === last ? `layer ${first}` : `layers ${first}–${last} (${last - first + 1} summed)`;
}

/**
 * A cell in words, as the read-out shows it: the layer(s), the row, its count and share of the
 * column's entries, and the column's saturated and dead fractions where the view shows them.
 */
export function cellReadout(
  grid: DistributionGrid,
  histograms: Histograms,
  column: number,
  row: DistributionRow,
  strips: boolean,
  spoken = false,
): string {
  const { first, last } = columnLayers(grid, column);
  const entries = columnEntries(grid, column);
  const of = (count: number) =>
    `${count} of ${entries} entries (${percentText(count, entries)}${last > first ? " of the summed layers" : ""})`;
  let what: string;
  if (row === "zero") what = `zero: ${of(grid.zeros[column] as number)}`;
  else if (row === "nonFinite") what = `not finite (∞ or NaN): ${of(grid.nonFinite[column] as number)}`;
  else if (row === "saturated" || row === "dead") what = "";
  else {
    const binades = rowBinades(grid, row);
    const count = grid.counts[column * grid.rows + row] as number;
    what = `${binadeRangeText(binades.first, binades.last, grid.tensor, spoken)}: ${of(count)}`;
  }
  const parts = [layersText(grid, column), ...(what ? [what] : [])];
  if (strips) parts.push(saturationText(histograms, first, last));
  return parts.join(" · ");
}

/** A column's saturated entries and dead units in words: "saturated 97 %, dead units 0 %" (a mean where summed). */
export function saturationText(histograms: Histograms, first: number, last: number): string {
  const saturated = columnFraction(histograms.saturated, first, last);
  const dead = columnFraction(histograms.dead, first, last);
  const mean = last > first ? " (mean)" : "";
  if (saturated === null || dead === null) return "no saturation at layer 0 (the input)";
  return `saturated ${percentText(saturated, 1)}, dead units ${percentText(dead, 1)}${mean}`;
}

/** The magnitude axis' ticks: powers of ten, every `step` decades so that labels stay `gap` pixels apart. */
export function magnitudeTicks(
  span: { min: number; max: number },
  pixelsPerBinade: number,
  gap = 18,
): { log2: number; label: string }[] {
  const decade = Math.log2(10);
  const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].find((s) => s * decade * pixelsPerBinade >= gap) ?? 2000;
  const ticks: { log2: number; label: string }[] = [];
  for (let d = Math.ceil(span.min / decade / step) * step; d * decade <= span.max + 1; d += step) {
    ticks.push({ log2: d * decade, label: powerOfTenLabel(d) });
  }
  return ticks;
}

/**
 * What the view shows, for screen readers: the tensor, where its entries lie at the first and last
 * layers, the first layers with zeros or non-finite entries, the most saturated layer.
 */
export function distributionSummary(
  histograms: Histograms,
  tensor: DistributionTensor,
  entries: number,
  strips: boolean,
): string {
  const layers = histograms[tensor];
  const depth = layers.length - 1;
  const parts = [`Distribution of ${DISTRIBUTION_TENSORS[tensor].label} by power of two, layers 0 to ${depth}`];
  for (const layer of [0, depth]) parts.push(`layer ${layer}: ${histogramText(layers[layer] as Histogram, entries)}`);
  const firstWith = (key: "zeros" | "nonFinite") => layers.findIndex((h) => h[key] > 0);
  const zero = firstWith("zeros");
  const nonFinite = firstWith("nonFinite");
  if (zero >= 0) parts.push(`zero entries from layer ${zero}`);
  if (nonFinite >= 0) parts.push(`non-finite entries from layer ${nonFinite}`);
  if (strips) {
    let most = 1;
    histograms.saturated.forEach((value, l) => {
      if ((value ?? 0) > (histograms.saturated[most] ?? 0)) most = l;
    });
    parts.push(`most saturated: layer ${most}, ${percentText(histograms.saturated[most] ?? 0, 1)}`);
  }
  return parts.join("; ");
}

/** One layer's histogram in words: its binade span and where most entries are, or that it has none. */
function histogramText(histogram: Histogram, entries: number): string {
  const { minExponent, counts, zeros, nonFinite } = histogram;
  const special = [
    ...(zeros > 0 ? [`${percentText(zeros, entries)} zero`] : []),
    ...(nonFinite > 0 ? [`${percentText(nonFinite, entries)} not finite`] : []),
  ];
  if (minExponent === null) return special.join(", ") || "no entries";
  const peak = counts.indexOf(Math.max(...counts));
  const span = `from ${powerOfTwoText(minExponent, true)} to ${powerOfTwoText(minExponent + counts.length, true)}`;
  const most = `most in binade ${powerOfTwoText(minExponent + peak, true)}`;
  return [span, most, ...special].join(", ");
}
