/**
 * What <gs-chart> draws, as plain data: the columns of a result and of its theory's predicted curves,
 * its markers, the labels of the magnitudes and a summary for screen readers. No DOM, no uPlot.
 */
import { formatName } from "../core/formats";
import type { LayerPair, RunResult, TrainingRecord } from "../core/result";
import type { Theory } from "../core/theory-models";
import { modelWords } from "../core/theory-reading";
import { LOG10_FLOAT32_MAX, LOG10_FLOAT32_MIN_NORMAL } from "../core/verdict";

const SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/** The three measured series, named as in `data`. */
export type ChartSeries = "act" | "grad" | "weightGrad";
export const SERIES: readonly ChartSeries[] = ["act", "grad", "weightGrad"];
/** The theory's predicted curves (result.theory), drawn dashed in the colour of the series they predict. */
export type PredictedSeries = "actPredicted" | "gradPredicted";
export const PREDICTED_SERIES: readonly PredictedSeries[] = ["actPredicted", "gradPredicted"];
/** The measured series each predicted curve predicts (and whose colour it takes). */
export const PREDICTS: Record<PredictedSeries, ChartSeries> = { actPredicted: "act", gradPredicted: "grad" };
/** Every plotted series, in uPlot's order after the layer axis. */
export type PlotSeries = ChartSeries | PredictedSeries;
export const PLOT_SERIES: readonly PlotSeries[] = [...SERIES, ...PREDICTED_SERIES];
export const SERIES_LABELS: Record<PlotSeries, string> = {
  act: "activation RMS",
  grad: "gradient RMS",
  weightGrad: "weight-gradient RMS",
  actPredicted: "predicted activation RMS",
  gradPredicted: "predicted gradient RMS",
};

/** The measured series a plotted series takes its colour from: itself, or the one it predicts. */
export function colourOf(name: PlotSeries): ChartSeries {
  return name === "actPredicted" || name === "gradPredicted" ? PREDICTS[name] : name;
}

/**
 * The columnar arrays the chart plots: x = layer 0..L, y = log10 magnitudes, null where absent; the
 * predicted curves all null where no theory is shown.
 */
export interface ChartData {
  layers: number[];
  act: (number | null)[];
  grad: (number | null)[];
  weightGrad: (number | null)[];
  actPredicted: (number | null)[];
  gradPredicted: (number | null)[];
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
export function superscript(exponent: string): string {
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
 * The theory the chart draws with what it shows: the result's, which predicts the network at
 * initialization, so none over a training record past step 0.
 */
export function shownTheory(result: RunResult | null, record: TrainingRecord | null = null): Theory | null {
  if (!result || (record && record.step > 0)) return null;
  return result.theory;
}

/** Whether the data has a predicted curve with a value to draw. */
export function hasPrediction(data: ChartData): boolean {
  return PREDICTED_SERIES.some((name) => data[name].some((v) => v !== null));
}

/** "activation RMS from 10 to the 0 at layer 0 to 10 to the -1.2 at layer 50", or why there is nothing to say. */
function seriesRange(name: PlotSeries, values: readonly (number | null)[]): string {
  const first = values.findIndex((v) => v !== null);
  if (first < 0) return `${SERIES_LABELS[name]} not finite or zero at every layer`;
  let last = values.length - 1;
  while (values[last] === null) last--;
  const from = `${spokenMagnitude(values[first])} at layer ${first}`;
  return `${SERIES_LABELS[name]} from ${from} to ${spokenMagnitude(values[last])} at layer ${last}`;
}

/**
 * A sentence for screen readers: depth (and the training step a record shows), each shown series'
 * first and last finite values, the dashed predicted curves and their model where drawn, the markers.
 */
export function chartSummary(
  result: RunResult | null,
  record: TrainingRecord | null = null,
  hidden: ReadonlySet<PlotSeries> = new Set(),
): string {
  if (!result) return "Per-layer magnitudes: no run yet";
  const theory = shownTheory(result, record);
  const data = chartData(record ?? result, theory);
  const parts = SERIES.filter((name) => !hidden.has(name)).map((name) => seriesRange(name, data[name]));
  const predicted = PREDICTED_SERIES.filter((name) => !hidden.has(name) && data[name].some((v) => v !== null));
  if (theory && predicted.length > 0) {
    const curves = predicted.map((name) => seriesRange(name, data[name]));
    parts.push(`dashed, ${modelWords(theory, result.config.init)}: ${curves.join(", ")}`);
  }
  const markers = (record ? recordMarkers(record) : chartMarkers(result)).map((m) => m.label);
  const { depth, numerics } = result.config;
  const head = record
    ? `Per-layer magnitudes after ${record.step} training steps, ${depth} layers`
    : `Per-layer magnitudes for ${depth} layers, ${numerics} numerics`;
  return [head, ...parts, ...markers].join("; ");
}

/** What the chart plots of a result or of a training record: its three per-layer series. */
export type LayerSeries = Pick<RunResult, "log10ActRms" | "log10GradRms" | "log10WeightGradRms">;

/** The columnar arrays of a result, or of a training record, with a theory's predicted curves. */
export function chartData(result: LayerSeries | null, theory: Theory | null = null): ChartData {
  if (!result) return { layers: [], act: [], grad: [], weightGrad: [], actPredicted: [], gradPredicted: [] };
  const layers = result.log10ActRms.map((_, l) => l);
  const predicted = (values: readonly (number | null)[] | undefined) => layers.map((l) => values?.[l] ?? null);
  return {
    layers,
    act: [...result.log10ActRms],
    grad: [...result.log10GradRms],
    weightGrad: [...result.log10WeightGradRms],
    actPredicted: predicted(theory?.log10ActRms),
    gradPredicted: predicted(theory?.log10GradRms),
  };
}

/**
 * One layer's values in words, for the keyboard read-out: "layer 100: activation RMS 10 to the 17.61, …",
 * the predicted ones too where drawn (a screen reader reads "10^" as "caret" and superscripts unreliably).
 */
export function layerReadout(data: ChartData, layer: number): string {
  if (data.layers.length === 0) return "no run yet";
  const names = hasPrediction(data) ? PLOT_SERIES : SERIES;
  const values = names.map((name) => `${SERIES_LABELS[name]} ${spokenMagnitude(data[name][layer])}`);
  return `layer ${layer}: ${values.join(", ")}`;
}
