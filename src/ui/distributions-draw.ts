/**
 * What <gs-distributions> draws on its canvas: where each band of rows lies (non-finite, binades,
 * zero, the saturation strips), which column and row lie under a point and where a cell's centre
 * is, every pixel's colour, the axes and the keyboard's cell. CSS pixels unless said otherwise.
 */
import type { Histograms } from "../core/result";
import { AXIS_FONT, axisTicks, FONT_FAMILY } from "./chart-draw";
import {
  columnEntries,
  columnFraction,
  columnLayers,
  DISTRIBUTION_TENSORS,
  type DistributionGrid,
  type DistributionRow,
  magnitudeTicks,
  shareScale,
} from "./distributions-model";
import { viridis } from "./training-model";

/** Heights: above the plot, a zero or non-finite row, a strip, the gaps, the layer axis below. */
export const SIZES = { top: 6, special: 10, strip: 8, gap: 5, axis: 34 };

/** The plot's horizontal frame from the canvas' left edge, and the layers at its edges. */
export interface Frame {
  left: number;
  width: number;
  from: number;
  to: number;
}

/** A band of rows, [top, bottom). */
type Band = [number, number];

/** Where each band of rows lies from the canvas' top, and the canvas' height. */
export interface Bands {
  nonFinite: Band;
  binades: Band;
  zero: Band;
  saturated: Band | null;
  dead: Band | null;
  height: number;
}

/** What a draw laid out: the grid, the frame, the bands, whether the strips show. */
export interface Layout {
  grid: DistributionGrid;
  frame: Frame;
  bands: Bands;
  strips: boolean;
}

/** The theme's colours a draw needs, as [r, g, b] bytes for the pixels and CSS for the text. */
export interface Palette {
  bg: number[];
  empty: number[];
  accent: number[];
  fg: string;
  grid: string;
}

/** The bands for a binade area `height` tall, with the strips or without. */
export function bandsFor(height: number, strips: boolean): Bands {
  const { top, special, strip, gap } = SIZES;
  const nonFinite: Band = [top, top + special];
  const binades: Band = [nonFinite[1] + gap, nonFinite[1] + gap + height];
  const zero: Band = [binades[1] + gap, binades[1] + gap + special];
  const saturated: Band | null = strips ? [zero[1] + 2 * gap, zero[1] + 2 * gap + strip] : null;
  const dead: Band | null = saturated ? [saturated[1] + 2, saturated[1] + 2 + strip] : null;
  return { nonFinite, binades, zero, saturated, dead, height: (dead ?? zero)[1] + SIZES.axis };
}

/** x of layer l. */
export function xOf(layer: number, frame: Frame): number {
  return frame.left + ((layer - frame.from) / (frame.to - frame.from)) * frame.width;
}

/** The layer under x (the nearest), or null outside the plot. */
export function layerAt(x: number, frame: Frame, depth: number): number | null {
  if (x < frame.left || x > frame.left + frame.width) return null;
  const layer = Math.round(frame.from + ((x - frame.left) / frame.width) * (frame.to - frame.from));
  return Math.max(0, Math.min(depth, layer));
}

const within = (band: Band | null, y: number) => band !== null && y >= band[0] && y < band[1];

/** The row under y (binade rows counted from the bottom), or null between the bands. */
export function rowAt(layout: Pick<Layout, "grid" | "bands">, y: number): DistributionRow | null {
  const { grid, bands } = layout;
  if (within(bands.binades, y)) {
    if (grid.rows === 0) return null;
    const [top, bottom] = bands.binades;
    return grid.rows - 1 - Math.min(grid.rows - 1, Math.floor(((y - top) / (bottom - top)) * grid.rows));
  }
  for (const name of ["zero", "nonFinite", "saturated", "dead"] as const) if (within(bands[name], y)) return name;
  return null;
}

/** The centre of the cell of the column holding `layer` and of a row (or the row holding a binade); null if none. */
export function cellCentre(
  layout: Layout,
  layer: number,
  row: DistributionRow | { binade: number },
): { x: number; y: number } | null {
  const { grid, frame, bands } = layout;
  const { first, last } = columnLayers(grid, Math.floor(layer / grid.layersPerColumn));
  const x = (xOf(first, frame) + xOf(last, frame)) / 2;
  if (typeof row === "number")
    return cellCentre(layout, layer, { binade: (grid.span?.min ?? 0) + row * grid.binadesPerRow });
  if (typeof row === "object") {
    if (!grid.span) return null;
    const height = grid.rows * grid.binadesPerRow;
    const [top, bottom] = bands.binades;
    return { x, y: top + ((grid.span.min + height - row.binade - 0.5) / height) * (bottom - top) };
  }
  const band = bands[row];
  return band ? { x, y: (band[0] + band[1]) / 2 } : null;
}

/** A row's place in a column's colours: binade row r at r, then zero, non-finite, saturated, dead; −1 for none. */
function colourIndex(grid: DistributionGrid, row: DistributionRow | null): number {
  if (row === null) return -1;
  if (typeof row === "number") return row;
  return grid.rows + ["zero", "nonFinite", "saturated", "dead"].indexOf(row);
}

/** Every device pixel of the plot takes the colour of the column and row under it; the rest is background. */
export function drawCells(
  ctx: CanvasRenderingContext2D,
  layout: Layout,
  histograms: Histograms,
  palette: Palette,
  ratio: number,
): void {
  const { grid, frame, bands } = layout;
  const pixelsX = Math.max(1, Math.round(frame.width * ratio));
  const pixelsY = Math.round(bands.height * ratio);
  const image = ctx.createImageData(pixelsX, pixelsY);
  const rowOfPixel = Array.from({ length: pixelsY }, (_, py) => colourIndex(grid, rowAt(layout, (py + 0.5) / ratio)));
  const colours = new Uint8ClampedArray(3 * (grid.rows + 4));
  let shown = -1;
  for (let px = 0; px < pixelsX; px++) {
    const layer = layerAt(frame.left + (px + 0.5) / ratio, frame, grid.depth);
    if (layer === null) continue;
    const column = Math.floor(layer / grid.layersPerColumn);
    if (column !== shown) {
      shown = column;
      columnColours(grid, histograms, column, palette, colours);
    }
    for (let py = 0; py < pixelsY; py++) {
      const row = rowOfPixel[py] as number;
      const rgb = row < 0 ? palette.bg : colours.subarray(3 * row, 3 * row + 3);
      image.data.set(rgb, 4 * (py * pixelsX + px));
      image.data[4 * (py * pixelsX + px) + 3] = 255;
    }
  }
  ctx.putImageData(image, Math.round(frame.left * ratio), 0);
}

/**
 * A column's colours into `out`: viridis of each binade row's share of the column's entries (empty
 * where none), then the zero and non-finite rows likewise, then the saturated and dead fractions
 * from the background (0) to the accent (1).
 */
function columnColours(
  grid: DistributionGrid,
  histograms: Histograms,
  column: number,
  palette: Palette,
  out: Uint8ClampedArray,
): void {
  const entries = columnEntries(grid, column);
  const scale = shareScale(grid);
  const shareColour = (count: number) =>
    count > 0 ? viridis((Math.log10(count / entries) - scale.min) / (scale.max - scale.min)) : palette.empty;
  for (let r = 0; r < grid.rows; r++) out.set(shareColour(grid.counts[column * grid.rows + r] as number), 3 * r);
  out.set(shareColour(grid.zeros[column] as number), 3 * grid.rows);
  out.set(shareColour(grid.nonFinite[column] as number), 3 * (grid.rows + 1));
  const { first, last } = columnLayers(grid, column);
  const mix = (values: readonly (number | null)[]) => {
    const fraction = columnFraction(values, first, last);
    if (fraction === null) return palette.empty;
    return palette.bg.map((c, i) => c + fraction * ((palette.accent[i] as number) - c));
  };
  out.set(mix(histograms.saturated), 3 * (grid.rows + 2));
  out.set(mix(histograms.dead), 3 * (grid.rows + 3));
}

/** A frame around each band, the magnitude ticks and row labels on the left, the layer axis below, the titles. */
export function drawAxes(ctx: CanvasRenderingContext2D, layout: Layout, palette: Palette): void {
  const { grid, frame, bands } = layout;
  const [top, bottom] = bands.binades;
  ctx.strokeStyle = palette.grid;
  for (const band of [bands.nonFinite, bands.binades, bands.zero, bands.saturated, bands.dead]) {
    if (band) ctx.strokeRect(frame.left - 0.5, band[0] - 0.5, frame.width + 1, band[1] - band[0] + 1);
  }
  ctx.fillStyle = palette.fg;
  ctx.font = AXIS_FONT;
  ctx.textBaseline = "middle";
  ctx.textAlign = "center";
  if (!grid.span)
    ctx.fillText("no finite non-zero entry in any layer", frame.left + frame.width / 2, (top + bottom) / 2);
  ctx.textAlign = "right";
  if (grid.span) {
    const height = grid.rows * grid.binadesPerRow;
    for (const tick of magnitudeTicks(grid.span, (bottom - top) / height)) {
      const y = top + ((grid.span.min + height - tick.log2) / height) * (bottom - top);
      if (y >= top - 1 && y <= bottom + 1) ctx.fillText(tick.label, frame.left - 6, y);
    }
  }
  ctx.font = `11px ${FONT_FAMILY}`;
  const labels: [Band | null, string][] = [
    [bands.nonFinite, "∞, NaN"],
    [bands.zero, "0"],
    [bands.saturated, "saturated"],
    [bands.dead, "dead"],
  ];
  for (const [band, label] of labels) if (band) ctx.fillText(label, frame.left - 6, (band[0] + band[1]) / 2);
  ctx.save();
  ctx.translate(11, (top + bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.font = `600 12px ${FONT_FAMILY}`;
  ctx.fillText(`|${DISTRIBUTION_TENSORS[grid.tensor].symbol}|`, 0, 0);
  ctx.restore();
  drawLayerAxis(ctx, frame, (bands.dead ?? bands.zero)[1]);
}

/** The layer axis under the plot from y down: ticks at round layers, and its title. */
function drawLayerAxis(ctx: CanvasRenderingContext2D, frame: Frame, y: number): void {
  ctx.font = AXIS_FONT;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const layer of axisTicks(Math.ceil(frame.from), Math.floor(frame.to), frame.width, 56)) {
    ctx.fillText(String(layer), xOf(layer, frame), y + 4);
  }
  ctx.font = `600 12px ${FONT_FAMILY}`;
  ctx.fillText("layer l", frame.left + frame.width / 2, y + 19);
}

/** An outline around the cell of `layer` and `row` (the keyboard's). */
export function drawCursor(
  ctx: CanvasRenderingContext2D,
  layout: Layout,
  layer: number,
  row: DistributionRow,
  colour: string,
) {
  const centre = cellCentre(layout, layer, row);
  if (!centre) return;
  const { grid, frame, bands } = layout;
  const halfWidth = Math.max(3, (grid.layersPerColumn * frame.width) / (frame.to - frame.from) / 2);
  const band = typeof row === "number" ? null : bands[row];
  const binadeHeight = (bands.binades[1] - bands.binades[0]) / Math.max(1, grid.rows);
  const halfHeight = band ? (band[1] - band[0]) / 2 : Math.max(3, binadeHeight / 2);
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2;
  ctx.strokeRect(centre.x - halfWidth, centre.y - halfHeight, 2 * halfWidth, 2 * halfHeight);
}
