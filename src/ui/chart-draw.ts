/**
 * What <gs-chart> draws on uPlot's canvas itself: float32's band for tracked runs, the overflow and
 * all-zero markers with their labels laid out in rows above the plot, and the helpers of its axes.
 */
import uPlot from "uplot";
import { LOG10_FLOAT32_MAX, LOG10_FLOAT32_MIN_NORMAL } from "../core/verdict";
import type { ChartMarker, ChartSeries } from "./chart-model";

export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const AXIS_FONT = `12px ${FONT_FAMILY}`;
const MARKER_FONT_PX = 11;
/** Height in CSS pixels of one row of marker labels above the plot, and the labels' side padding. */
export const LABEL_ROW_PX = 17;
const LABEL_PAD = 3;
/** Tick steps of the layer axis: whole layers only. */
export const INTEGER_INCRS = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000,
];

/** Ticks of an axis over [from, to]: multiples of the first step of INTEGER_INCRS leaving `gap` pixels between labels. */
export function axisTicks(from: number, to: number, pixels: number, gap: number): number[] {
  const span = Math.max(1, to - from);
  const step = INTEGER_INCRS.find((incr) => (incr / span) * pixels >= gap) ?? span;
  const ticks: number[] = [];
  for (let v = Math.ceil(from / step) * step; v <= to; v += step) ticks.push(v);
  return ticks;
}

/** The theme colours, read from the CSS custom properties. */
export interface Palette {
  series: Record<ChartSeries, string>;
  fg: string;
  grid: string;
  bg: string;
  band: string;
  bandEdge: string;
  marker: Record<ChartMarker["kind"], string>;
}

/** What the canvas currently shows; the draw hooks read it. */
export interface Plotted {
  markers: ChartMarker[];
  tracked: boolean;
}

/** A uPlot axis in the charts' fonts and theme colours: its title, text in `fg`, grid and ticks in `grid`. */
export function themedAxis(label: string, fg: string, grid: string): uPlot.Axis {
  return {
    label,
    font: AXIS_FONT,
    labelFont: `600 12px ${FONT_FAMILY}`,
    stroke: fg,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1, size: 5 },
  };
}

const measureContext = document.createElement("canvas").getContext("2d");

/** Width in CSS pixels of text in the axis font. */
export function textWidth(text: string): number {
  if (!measureContext) return text.length * 7;
  measureContext.font = AXIS_FONT;
  return measureContext.measureText(text).width;
}

/** Tracked runs: float32's range as a shaded band with edge lines, under the grid and series. */
export function drawBand(u: uPlot, plotted: Plotted, palette: Palette): void {
  if (!plotted.tracked) return;
  const { ctx, bbox } = u;
  const top = clamp(u.valToPos(LOG10_FLOAT32_MAX, "y", true), bbox.top, bbox.top + bbox.height);
  const bottom = clamp(u.valToPos(LOG10_FLOAT32_MIN_NORMAL, "y", true), bbox.top, bbox.top + bbox.height);
  if (bottom <= top) return;
  ctx.save();
  ctx.fillStyle = palette.band;
  ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
  ctx.strokeStyle = palette.bandEdge;
  ctx.lineWidth = uPlot.pxRatio;
  ctx.setLineDash([2 * uPlot.pxRatio, 3 * uPlot.pxRatio]);
  for (const edge of [LOG10_FLOAT32_MAX, LOG10_FLOAT32_MIN_NORMAL]) {
    const y = Math.round(u.valToPos(edge, "y", true)) + 0.5;
    if (y < bbox.top || y > bbox.top + bbox.height) continue;
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
  }
  ctx.restore();
  drawBandLabel(u, palette);
}

/**
 * Where each marker's label goes: right of its line if it fits, else left, in the first row of the
 * strip above the plot where it overlaps no earlier label. Canvas pixels; needs ctx.font set.
 */
function layoutLabels(
  u: uPlot,
  markers: ChartMarker[],
): { marker: ChartMarker; x: number; left: number; width: number; row: number }[] {
  const ratio = uPlot.pxRatio;
  const { ctx, bbox } = u;
  const rowsEnd: number[] = []; // rightmost pixel used in each row
  const placed = [];
  for (const marker of markers) {
    const x = Math.round(u.valToPos(marker.layer, "x", true)) + 0.5;
    if (x < bbox.left - 1 || x > bbox.left + bbox.width + 1) continue;
    const width = ctx.measureText(marker.label).width + 2 * LABEL_PAD * ratio;
    const right = ctx.canvas.width - 2 * ratio;
    const left = x + 3 * ratio + width <= right ? x + 3 * ratio : Math.max(0, x - 3 * ratio - width);
    let row = rowsEnd.findIndex((end) => end < left);
    if (row < 0) row = rowsEnd.length;
    rowsEnd[row] = left + width + 6 * ratio;
    placed.push({ marker, x, left, width, row });
  }
  return placed;
}

/**
 * The markers as dashed vertical lines reaching up to their labels, and the band's label. Returns
 * the rows of labels drawn above the plot, which the caller reserves room for.
 */
export function drawOverlay(u: uPlot, plotted: Plotted, palette: Palette): number {
  const ratio = uPlot.pxRatio;
  const { ctx, bbox } = u;
  ctx.save();
  ctx.font = `${Math.round(MARKER_FONT_PX * ratio)}px ${FONT_FAMILY}`;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const placed = layoutLabels(u, plotted.markers);
  const rows = placed.reduce((most, p) => Math.max(most, p.row + 1), 0);
  const rowHeight = LABEL_ROW_PX * ratio;
  const stripTop = bbox.top - rows * rowHeight;
  for (const { marker, x, left, width, row } of placed) {
    // A marker of where one series leaves float32's range takes that series' colour.
    const colour = marker.series ? palette.series[marker.series] : palette.marker[marker.kind];
    const y = stripTop + (row + 0.5) * rowHeight;
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5 * ratio;
    ctx.setLineDash([5 * ratio, 4 * ratio]);
    ctx.beginPath();
    ctx.moveTo(x, Math.max(0, y - rowHeight / 2));
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = palette.bg;
    ctx.fillRect(left, y - rowHeight / 2 + ratio, width, rowHeight - 2 * ratio);
    ctx.fillStyle = colour;
    ctx.fillText(marker.label, left + LABEL_PAD * ratio, y);
  }
  ctx.restore();
  return rows;
}

/**
 * "float32 range" inside the band, right-aligned under its upper edge, with a halo for legibility;
 * drawn before the series (from drawBand), so a curve passing there stays on top of it.
 */
function drawBandLabel(u: uPlot, palette: Palette): void {
  const ratio = uPlot.pxRatio;
  const { ctx, bbox } = u;
  const bandTop = Math.max(u.valToPos(LOG10_FLOAT32_MAX, "y", true), bbox.top);
  const bandBottom = Math.min(u.valToPos(LOG10_FLOAT32_MIN_NORMAL, "y", true), bbox.top + bbox.height);
  const height = (MARKER_FONT_PX + 4) * ratio;
  if (bandBottom - bandTop < height) return;
  const text = "float32 range";
  const x = bbox.left + bbox.width - 6 * ratio;
  const y = bandTop + height / 2 + 2 * ratio;
  ctx.save();
  ctx.font = `${Math.round(MARKER_FONT_PX * ratio)}px ${FONT_FAMILY}`;
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  ctx.lineJoin = "round";
  ctx.lineWidth = 3 * ratio;
  ctx.strokeStyle = palette.bg;
  ctx.strokeText(text, x, y);
  ctx.fillStyle = palette.bandEdge;
  ctx.fillText(text, x, y);
  ctx.restore();
}

/** Indices of values with no neighbour to draw a line to (nulls on both sides), shown as dots. */
export function lonePoints(values: ArrayLike<number | null | undefined>): number[] {
  const lone: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] != null && values[i - 1] == null && values[i + 1] == null) lone.push(i);
  }
  return lone;
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

/** The y range in decades: the data's, padded to whole decades, at least two decades tall. */
export function logRange(min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [-1, 1];
  const pad = Math.max(0.5, 0.04 * (max - min));
  return [Math.floor(min - pad), Math.ceil(max + pad)];
}
