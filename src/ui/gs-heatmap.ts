/**
 * <gs-heatmap>: a training run's per-layer statistics as a layer × step map, layer 1 at the bottom
 * and layer L at the top, steps 0..T along x (each record's column spans the steps until the next).
 * The colour is log10 of the gradient RMS or of the update ratio ‖ΔW_l‖/‖W_l‖ on ONE log scale for
 * the whole run so far (viridis, with a legend of its decades); a layer without a value is grey.
 */
import { css, html, LitElement, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import type { TrainingRecord } from "../core/result";
import { AXIS_FONT, axisTicks, FONT_FAMILY } from "./chart-draw";
import { magnitudeLabel } from "./chart-model";
import { chartTheme, parseColour, readColour } from "./chart-theme";
import { heatmapStyles } from "./gs-colour-legend";
import {
  colourScale,
  HEATMAP_METRICS,
  type HeatmapMetric,
  heatmapColumn,
  recordAt,
  scaleEndText,
  viridis,
} from "./training-model";
import "./gs-colour-legend";

/** The plot area's margins in CSS pixels: room for the layer labels, the step labels and the axis titles. */
const MARGIN = { left: 44, right: 10, top: 8, bottom: 34 };

@customElement("gs-heatmap")
export class GsHeatmap extends LitElement {
  static override styles = [
    chartTheme,
    heatmapStyles,
    css`
      gs-colour-legend { margin: 0.25rem ${MARGIN.right + 12}px 0 ${MARGIN.left + 12}px; }
      .readout { min-height: 1.3em; }
    `,
  ];

  /** The run's records so far, in step order. */
  @property({ attribute: false }) records: readonly TrainingRecord[] = [];
  /** The run's steps T. */
  @property({ type: Number }) steps = 1;
  /** Steps between records: each record's column is this wide (or up to the next record), so x runs over 0..T + every. */
  @property({ type: Number }) every = 1;
  /** What the colour shows. */
  @state() metric: HeatmapMetric = "grad";
  /** The hovered cell, in words. */
  @state() private readout = "";

  @query("canvas.map") private canvas!: HTMLCanvasElement;
  private frame = 0;
  private resizeObserver: ResizeObserver | null = null;

  /** The colour scale over every record so far (log10 min and max), null without a value. */
  get scale(): { min: number; max: number } | null {
    return colourScale(this.records, this.metric);
  }

  /** The pixel span [x0, x1) of each record's column in the plot, in CSS pixels from the plot's left edge. */
  get columns(): { step: number; x0: number; x1: number }[] {
    const width = this.plotWidth();
    return this.records.map((record, k) => {
      const end = Math.min(this.records[k + 1]?.step ?? Number.POSITIVE_INFINITY, record.step + this.every);
      return { step: record.step, x0: this.xOf(record.step, width), x1: this.xOf(end, width) };
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver(() => this.scheduleDraw());
    this.resizeObserver.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("records") || changed.has("steps") || changed.has("metric")) this.scheduleDraw();
  }

  override render() {
    const { label } = HEATMAP_METRICS[this.metric];
    const scale = this.scale;
    const depth = (this.records[0]?.log10GradRms.length ?? 1) - 1;
    const summary = scale
      ? `${label} of layers 1 to ${depth} at ${this.records.length} recorded steps, colour on a log scale from ${scaleEndText(scale.min)} to ${scaleEndText(scale.max)}`
      : `${label}: no value yet`;
    return html`<div class="head">
        <h3 id="heatmap-title">${label[0]?.toUpperCase()}${label.slice(1)} by layer and step</h3>
        <div class="metrics" role="radiogroup" aria-label="The colour shows">
          ${(Object.keys(HEATMAP_METRICS) as HeatmapMetric[]).map(
            (metric) => html`<label><input type="radio" name="metric" value=${metric} .checked=${metric === this.metric}
              @change=${() => {
                this.metric = metric;
              }} />${HEATMAP_METRICS[metric].label}</label>`,
          )}
        </div>
      </div>
      <canvas class="map" role="img" aria-label=${summary} @mousemove=${this.onHover}
        @mouseleave=${() => {
          this.readout = "";
        }}></canvas>
      <gs-colour-legend .scale=${scale}></gs-colour-legend>
      <p class="note">One log colour scale for the whole run so far${
        scale ? `, ${scaleEndText(scale.min)} to ${scaleEndText(scale.max)}` : ""
      }; <span class="none">no value (0, not finite${
        this.metric === "update" ? ", or no update after the last step" : ""
      })</span></p>
      <p class="readout" id="heatmap-readout">${this.readout}</p>`;
  }

  private scheduleDraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private plotWidth(): number {
    return Math.max(0, Math.floor(this.getBoundingClientRect().width) - MARGIN.left - MARGIN.right);
  }

  private plotHeight(width: number): number {
    return Math.round(Math.min(260, Math.max(150, width * 0.4)));
  }

  /** The end of the x axis: the last record's column ends `every` steps after T. */
  private get end(): number {
    return this.steps + Math.max(1, this.every);
  }

  /** CSS x of step s from the plot's left edge. */
  private xOf(step: number, width: number): number {
    return (step / this.end) * width;
  }

  private draw(): void {
    const width = this.plotWidth();
    if (width < 40 || !this.canvas) return;
    const height = this.plotHeight(width);
    const ratio = window.devicePixelRatio || 1;
    const canvas = this.canvas;
    canvas.style.height = `${height + MARGIN.top + MARGIN.bottom}px`;
    canvas.width = Math.round((width + MARGIN.left + MARGIN.right) * ratio);
    canvas.height = Math.round((height + MARGIN.top + MARGIN.bottom) * ratio);
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.fillStyle = readColour(this, "--gs-chart-bg", "#ffffff");
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    this.drawCells(ctx, ratio, width, height);
    ctx.scale(ratio, ratio);
    this.drawAxes(ctx, width, height);
  }

  /** Every pixel of the plot area takes the colour of the record and layer under it. */
  private drawCells(ctx: CanvasRenderingContext2D, ratio: number, width: number, height: number): void {
    const scale = this.scale;
    const records = this.records;
    const depth = (records[0]?.log10GradRms.length ?? 1) - 1;
    if (records.length === 0 || depth < 1) return;
    const pixelsX = Math.round(width * ratio);
    const pixelsY = Math.round(height * ratio);
    const image = ctx.createImageData(pixelsX, pixelsY);
    const none = parseColour(readColour(this, "--gs-heat-none", "#d1d5db"));
    const columns = records.map((record) => heatmapColumn(record, this.metric));
    // Row 0 is the top: layer L. One colour per layer of a column, then copied to its pixel rows.
    const layerOfRow = Array.from({ length: pixelsY }, (_, py) => depth - Math.floor(((py + 0.5) / pixelsY) * depth));
    const colours = new Uint8ClampedArray(3 * (depth + 1));
    let shown = -1;
    for (let px = 0; px < pixelsX; px++) {
      const k = recordAt(records, ((px + 0.5) / pixelsX) * this.end, this.every);
      if (k < 0) continue;
      if (k !== shown) {
        shown = k;
        columnColours(columns[k] as (number | null)[], scale, none, colours);
      }
      for (let py = 0; py < pixelsY; py++) {
        const from = 3 * (layerOfRow[py] as number);
        const at = 4 * (py * pixelsX + px);
        image.data[at] = colours[from] as number;
        image.data[at + 1] = colours[from + 1] as number;
        image.data[at + 2] = colours[from + 2] as number;
        image.data[at + 3] = 255;
      }
    }
    ctx.putImageData(image, Math.round(MARGIN.left * ratio), Math.round(MARGIN.top * ratio));
  }

  /** The layer axis on the left (1 at the bottom, L at the top), the step axis below, their titles. */
  private drawAxes(ctx: CanvasRenderingContext2D, width: number, height: number): void {
    const fg = readColour(this, "--gs-chart-fg", "#1f2937");
    const grid = readColour(this, "--gs-chart-grid", "rgba(31,41,55,0.1)");
    const depth = Math.max(1, (this.records[0]?.log10GradRms.length ?? 2) - 1);
    const { left, top } = MARGIN;
    ctx.strokeStyle = grid;
    ctx.strokeRect(left - 0.5, top - 0.5, width + 1, height + 1);
    ctx.fillStyle = fg;
    ctx.font = AXIS_FONT;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    // Layers 1 and L always, and round layers between that leave room for their labels.
    const rowGap = (a: number, b: number) => (Math.abs(a - b) / depth) * height;
    const between = axisTicks(1, depth, height, 22).filter((l) => rowGap(l, 1) >= 16 && rowGap(l, depth) >= 16);
    const layerTicks = depth === 1 ? [1] : [1, ...between, depth];
    for (const layer of layerTicks) {
      const y = top + ((depth - layer + 0.5) / depth) * height;
      ctx.fillText(String(layer), left - 6, y);
    }
    ctx.save();
    ctx.translate(11, top + height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.font = `600 12px ${FONT_FAMILY}`;
    ctx.fillText("layer", 0, 0);
    ctx.restore();
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const step of axisTicks(0, this.steps, width, 56)) {
      const x = left + this.xOf(step, width);
      ctx.fillText(String(step), x, top + height + 4);
    }
    ctx.font = `600 12px ${FONT_FAMILY}`;
    ctx.fillText("step", left + width / 2, top + height + 19);
  }

  /** The cell under the pointer, in words: layer, step and value. */
  private onHover = (event: MouseEvent) => {
    const rect = this.canvas.getBoundingClientRect();
    const width = this.plotWidth();
    const height = rect.height - MARGIN.top - MARGIN.bottom;
    const x = event.clientX - rect.left - MARGIN.left;
    const y = event.clientY - rect.top - MARGIN.top;
    const depth = (this.records[0]?.log10GradRms.length ?? 1) - 1;
    const k = recordAt(this.records, (x / width) * this.end, this.every);
    if (x < 0 || x >= width || y < 0 || y >= height || k < 0 || depth < 1) {
      this.readout = "";
      return;
    }
    const record = this.records[k] as TrainingRecord;
    const layer = depth - Math.floor((y / height) * depth);
    const value = heatmapColumn(record, this.metric)[layer - 1] ?? null;
    const shown = value === null ? "no value" : magnitudeLabel(value);
    this.readout = `layer ${layer}, step ${record.step}: ${HEATMAP_METRICS[this.metric].label} ${shown}`;
  };
}

/** The colours of a column's layers 1..L (values[l − 1]) into `out` at 3·l: viridis on the scale, `none` where there is no value. */
function columnColours(
  values: readonly (number | null)[],
  scale: { min: number; max: number } | null,
  none: [number, number, number],
  out: Uint8ClampedArray,
): void {
  values.forEach((value, i) => {
    const rgb = value === null || !scale ? none : viridis((value - scale.min) / (scale.max - scale.min));
    out.set(rgb, 3 * (i + 1));
  });
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-heatmap": GsHeatmap;
  }
}
