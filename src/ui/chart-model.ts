/**
 * What <gs-chart> draws, as plain data: the columns of a result, its markers, the labels of the
 * magnitudes and a summary for screen readers. No DOM, no uPlot.
 */
import { formatName } from "../core/formats";
import type { LayerPair, RunResult, TrainingRecord } from "../core/result";
import { LOG10_FLOAT32_MAX, LOG10_FLOAT32_MIN_NORMAL } from "../core/verdict";

const SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/** The three plotted series, named as in `data`. */
export type ChartSeries = "act" | "grad" | "weightGrad";
export const SERIES: readonly ChartSeries[] = ["act", "grad", "weightGrad"];
export const SERIES_LABELS: Record<ChartSeries, string> = {
  act: "activation RMS",
  grad: "gradient RMS",
  weightGrad: "weight-gradient RMS",
};

/** The columnar arrays the chart plots: x = layer 0..L, y = log10 magnitudes, null where absent. */
export interface ChartData {
  layers: number[];
  act: (number | null)[];
  grad: (number | null)[];
  weightGrad: (number | null)[];
}

/** A labelled vertical line at a layer: trouble in the run's format, or where it leaves float32's range. */
export interface ChartMarker {
  layer: number;
  label: string;
  kind: "nonFinite" | "allZero" | "range";
  /** The series a "range" marker belongs to (it takes that series' colour). */
  series?: ChartSeries;
}

/** An exponent's text in superscript: digits, "⁻" for the minus sign, "·" for the decimal point. */
function superscript(exponent: string): string {
  return [...exponent].map((c) => (c === "-" ? "⁻" : c === "." ? "·" : SUPERSCRIPT_DIGITS[Number(c)])).join("");
}

/** 10^k with k in superscript digits, for an integer tick k: 10⁻³⁸, 10⁰, 10²¹⁹. */
export function powerOfTenLabel(exponent: number): string {
  return `10${superscript(String(Math.round(exponent) || 0))}`;
}

/** Text with every "10^x" written as the axis writes it: "10^-13.7" → "10⁻¹³·⁷". */
export function superscriptPowers(text: string): string {
  return text.replace(/10\^(-?\d+(?:\.\d+)?)/g, (_match, exponent: string) => `10${superscript(exponent)}`);
}

/** A log10 magnitude x as "10^x", x to 4 significant digits (integers past 9999); "—" for null. */
export function formatMagnitude(log10: number | null | undefined): string {
  if (log10 === null || log10 === undefined || !Number.isFinite(log10)) return "—";
  if (log10 === 0) return "10^0";
  const decimals = Math.min(8, Math.max(0, 3 - Math.floor(Math.log10(Math.abs(log10)))));
  const text = log10.toFixed(decimals);
  return `10^${text === "-0" ? "0" : text}`;
}

/** A log10 magnitude as a screen reader should say it: "10 to the 17.61" ("10^" reads as "caret"). */
export function spokenMagnitude(log10: number | null | undefined): string {
  return formatMagnitude(log10).replace(/^10\^/, "10 to the ");
}

/** A log10 magnitude as the legend shows it: "10¹⁷·⁶¹" (formatMagnitude in superscript). */
export function magnitudeLabel(log10: number | null | undefined): string {
  return superscriptPowers(formatMagnitude(log10));
}

/**
 * The markers of a run: first non-finite layers (named for the run's format: "float16 overflow") and
 * all-zero layers, and where tracked activations (from layer 0) and gradients (from layer L down)
 * leave float32's range.
 */
export function chartMarkers(result: RunResult | null): ChartMarker[] {
  if (!result) return [];
  const markers: ChartMarker[] = [
    ...pairMarkers(result.firstNonFinite, "nonFinite", `${formatName(result.config.numerics)} overflow`),
    ...pairMarkers(result.firstAllZero, "allZero", "all zero"),
  ];
  if (result.config.numerics === "tracked") {
    const layers = result.log10ActRms.map((_, l) => l);
    const leaves = (name: string, series: ChartSeries, values: readonly (number | null)[], order: number[]) => {
      const above = order.find((l) => (values[l] ?? Number.NaN) > LOG10_FLOAT32_MAX);
      const below = order.find((l) => (values[l] ?? Number.NaN) < LOG10_FLOAT32_MIN_NORMAL);
      const label = `${name} leaves float32 range`;
      if (above !== undefined)
        markers.push({ layer: above, kind: "range", series, label: `${label} (overflow) at ${above}` });
      if (below !== undefined)
        markers.push({ layer: below, kind: "range", series, label: `${label} (underflow) at ${below}` });
    };
    leaves("activation", "act", result.log10ActRms, layers);
    // The backward pass runs from layer L down: the gradient leaves the range at the first such layer from L.
    leaves("gradient", "grad", result.log10GradRms, [...layers].reverse());
  }
  return markers.sort((a, b) => a.layer - b.layer);
}

/** The markers of a layer pair: one at each pass's layer, or one for both where they are the same. */
function pairMarkers(pair: LayerPair, kind: ChartMarker["kind"], what: string): ChartMarker[] {
  const { forward, backward } = pair;
  if (forward !== null && forward === backward)
    return [{ layer: forward, kind, label: `${what} (forward and backward) at ${forward}` }];
  const markers: ChartMarker[] = [];
  if (forward !== null) markers.push({ layer: forward, kind, label: `${what} (forward) at ${forward}` });
  if (backward !== null) markers.push({ layer: backward, kind, label: `${what} (backward) at ${backward}` });
  return markers;
}

/**
 * The markers of a training record: the first layer without an activation value (from layer 0) and
 * without a gradient value (from layer L down). A record does not say whether such a layer is all
 * zero or not finite, so neither does its marker.
 */
export function recordMarkers(record: TrainingRecord | null): ChartMarker[] {
  if (!record) return [];
  const forward = record.log10ActRms.indexOf(null);
  const backward = record.log10GradRms.lastIndexOf(null);
  const pair = { forward: forward < 0 ? null : forward, backward: backward < 0 ? null : backward };
  return pairMarkers(pair, "nonFinite", "0 or not finite").sort((a, b) => a.layer - b.layer);
}

/**
 * A sentence for screen readers: depth (and the training step a record shows), each series' first
 * and last finite values, the markers.
 */
export function chartSummary(result: RunResult | null, record: TrainingRecord | null = null): string {
  if (!result) return "Per-layer magnitudes: no run yet";
  const data = chartData(record ?? result);
  const parts = SERIES.map((name) => {
    const values = data[name];
    const first = values.findIndex((v) => v !== null);
    if (first < 0) return `${SERIES_LABELS[name]} not finite or zero at every layer`;
    let last = values.length - 1;
    while (values[last] === null) last--;
    const from = `${spokenMagnitude(values[first])} at layer ${first}`;
    return `${SERIES_LABELS[name]} from ${from} to ${spokenMagnitude(values[last])} at layer ${last}`;
  });
  const markers = (record ? recordMarkers(record) : chartMarkers(result)).map((m) => m.label);
  const { depth, numerics } = result.config;
  const head = record
    ? `Per-layer magnitudes after ${record.step} training steps, ${depth} layers`
    : `Per-layer magnitudes for ${depth} layers, ${numerics} numerics`;
  return [head, ...parts, ...markers].join("; ");
}

/** What the chart plots of a result or of a training record: its three per-layer series. */
export type LayerSeries = Pick<RunResult, "log10ActRms" | "log10GradRms" | "log10WeightGradRms">;

/** The columnar arrays of a result, or of a training record. */
export function chartData(result: LayerSeries | null): ChartData {
  if (!result) return { layers: [], act: [], grad: [], weightGrad: [] };
  return {
    layers: result.log10ActRms.map((_, l) => l),
    act: [...result.log10ActRms],
    grad: [...result.log10GradRms],
    weightGrad: [...result.log10WeightGradRms],
  };
}

/**
 * One layer's values in words, for the keyboard read-out: "layer 100: activation RMS 10 to the 17.61, …"
 * (a screen reader reads "10^" as "caret" and superscripts unreliably).
 */
export function layerReadout(data: ChartData, layer: number): string {
  if (data.layers.length === 0) return "no run yet";
  const values = SERIES.map((name) => `${SERIES_LABELS[name]} ${spokenMagnitude(data[name][layer])}`);
  return `layer ${layer}: ${values.join(", ")}`;
}
