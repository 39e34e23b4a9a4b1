/**
 * What the training charts draw, as plain data: the loss curve's points and where the loss stops
 * being finite, and the heatmap's layer × step values with their one log colour scale and its
 * decades. No DOM, no uPlot.
 */
import type { TrainingRecord } from "../core/result";
import { powerOfTenLabel, superscriptPowers } from "./chart-model";

/** The loss curve's columns: step t and loss[t], null where the log axis cannot draw it (0, ∞, NaN). */
export interface LossData {
  steps: number[];
  loss: (number | null)[];
}

/** The loss as the log axis draws it. */
export function lossData(loss: readonly (number | null)[]): LossData {
  return {
    steps: loss.map((_, t) => t),
    loss: loss.map((value) => (value !== null && value > 0 && Number.isFinite(value) ? value : null)),
  };
}

/** The first step whose loss the log axis cannot draw, and why: "loss → ∞ at step k" or "loss = 0 at step k". */
export function lossBreak(loss: readonly (number | null)[]): { step: number; label: string } | null {
  const step = loss.findIndex((value) => value === null || !(value > 0) || !Number.isFinite(value));
  if (step < 0) return null;
  return { step, label: loss[step] === 0 ? `loss = 0 at step ${step}` : `loss → ∞ at step ${step}` };
}

/** A loss as the page writes it: 4 significant digits, or why it has none. */
export function lossValueText(loss: number | null | undefined): string {
  if (loss === undefined) return "—";
  return loss === null ? "not finite (∞ or NaN)" : loss.toPrecision(4);
}

/** 10^k as the decimal "1ek" reads, exactly the double nearest it (10 ** k can be one off). */
const pow10 = (k: number): number => Number(`1e${k}`);

/** The log axis' range: whole decades around the drawn losses, at least one decade; 1..10 without any. */
export function lossRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !(min > 0) || !(max > 0)) return [1, 10];
  const low = Math.floor(Math.log10(min));
  const high = Math.max(low + 1, Math.ceil(Math.log10(max)));
  return [pow10(low), pow10(high)];
}

/**
 * The log loss axis' ticks over [min, max]: 1, 2 and 5 times each power of ten where the range spans
 * at most two decades, else powers of ten, every k-th so that about six remain.
 */
export function lossSplits(min: number, max: number): number[] {
  if (!(min > 0) || !(max > min)) return [];
  const low = Math.floor(Math.log10(min));
  const high = Math.ceil(Math.log10(max));
  const inRange = (v: number) => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  if (high - low <= 2) {
    const ticks: number[] = [];
    for (let k = low; k <= high; k++) for (const m of [1, 2, 5]) ticks.push(Number(`${m}e${k}`));
    return ticks.filter(inRange);
  }
  const every = Math.ceil((high - low) / 6);
  const ticks: number[] = [];
  for (let k = Math.ceil(low / every) * every; k <= high; k += every) ticks.push(pow10(k));
  return ticks.filter(inRange);
}

/** A tick of the log loss axis: plain digits between 10⁻³ and 10⁵, else a power of ten (others unlabelled). */
export function lossTickLabel(value: number): string {
  const log = Math.log10(value);
  if (value >= 1e-3 && value < 1e5) return String(Number(value.toPrecision(2)));
  return Math.abs(log - Math.round(log)) < 1e-9 ? powerOfTenLabel(log) : "";
}

/** What the heatmap's colour shows of each layer at each recorded step. */
export type HeatmapMetric = "grad" | "update";

export const HEATMAP_METRICS: Record<HeatmapMetric, { label: string; field: keyof TrainingRecord }> = {
  grad: { label: "gradient RMS", field: "log10GradRms" },
  update: { label: "update ratio ‖ΔW‖/‖W‖", field: "log10UpdateRatio" },
};

/** The record's log10 values of layers 1..L (index 0 is layer 1), null where there is none. */
export function heatmapColumn(record: TrainingRecord, metric: HeatmapMetric): (number | null)[] {
  const values = record[HEATMAP_METRICS[metric].field] as (number | null)[];
  return values.slice(1);
}

/** The colour scale of a run: log10 of its smallest and largest value over every record so far; null with none. */
export function colourScale(
  records: readonly TrainingRecord[],
  metric: HeatmapMetric,
): { min: number; max: number } | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const record of records) {
    for (const value of heatmapColumn(record, metric)) {
      if (value === null || !Number.isFinite(value)) continue;
      if (value < min) min = value;
      if (value > max) max = value;
    }
  }
  if (min > max) return null;
  // One value alone still gets a scale half a decade either side of it.
  return min === max ? { min: min - 0.5, max: max + 0.5 } : { min, max };
}

/** Steps between the legend's ticks, in decades: whole decades where the scale spans a few, tenths where it spans less. */
const TICK_DECADES = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** The legend's ticks within [min, max] (log10 values): multiples of the smallest step that leaves at most `most`. */
export function scaleTicks(min: number, max: number, most = 6): number[] {
  const step = TICK_DECADES.find((s) => Math.floor(max / s) - Math.ceil(min / s) + 1 <= most) ?? max - min;
  const ticks: number[] = [];
  for (let k = Math.ceil(min / step); k * step <= max; k++) ticks.push(Number((k * step).toFixed(1)));
  return ticks;
}

/** A tick of the legend: "10⁻³" for a whole decade, "10⁻⁰·⁵" between. */
export function scaleTickLabel(log10: number): string {
  return Number.isInteger(log10) ? powerOfTenLabel(log10) : superscriptPowers(`10^${log10.toFixed(1)}`);
}

/** The colour scale's ends as text: "10^-2.31", two decimals. */
export function scaleEndText(log10: number): string {
  return superscriptPowers(`10^${log10.toFixed(2)}`);
}

/** Viridis at 9 stops (perceptually even, readable in grey and by colour-blind eyes). */
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 82, 139],
  [44, 114, 142],
  [33, 145, 140],
  [40, 174, 128],
  [94, 201, 98],
  [173, 220, 48],
  [253, 231, 37],
] as const;

/** The colour of t ∈ [0, 1] on the viridis map, as [r, g, b] bytes. */
export function viridis(t: number): [number, number, number] {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const at = clamped * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(at));
  const f = at - i;
  const a = VIRIDIS[i] as readonly number[];
  const b = VIRIDIS[i + 1] as readonly number[];
  return [0, 1, 2].map((c) => Math.round((a[c] as number) + f * ((b[c] as number) - (a[c] as number)))) as [
    number,
    number,
    number,
  ];
}

/**
 * Index of the record whose column holds step x: the last recorded at or before it, if x is within
 * `every` steps of it (the record's column ends there, or at the next record); −1 where none does.
 */
export function recordAt(records: readonly TrainingRecord[], x: number, every: number): number {
  let lo = 0;
  let hi = records.length - 1;
  if (hi < 0 || x < (records[0] as TrainingRecord).step) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((records[mid] as TrainingRecord).step <= x) lo = mid;
    else hi = mid - 1;
  }
  return x < (records[lo] as TrainingRecord).step + every ? lo : -1;
}
