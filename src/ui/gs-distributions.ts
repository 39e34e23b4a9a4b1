/**
 * <gs-distributions>: a run's histograms (the run option { histograms: true }) as a layer × magnitude
 * map: layers 0..L along x, as the line chart above lays them out (its plot area and x range when it
 * is given one), binades ⌊log₂|v|⌋ up the y axis, the colour log10 of each cell's share of the layer's
 * n·B entries (viridis; grey where there is none), with rows of their own for zeros and non-finite
 * entries and, for activations that saturate, strips of the saturated and dead fractions. Layers and
 * binades beyond one per pixel are summed. Hover or the arrow keys read a cell out.
 */
import { css, html, LitElement, nothing, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import type uPlot from "uplot";
import type { RunResult } from "../core/result";
import { chartTheme, parseColour, readColour } from "./chart-theme";
import {
  bandsFor,
  cellCentre,
  drawAxes,
  drawCells,
  drawCursor,
  type Frame,
  type Layout,
  layerAt,
  type Palette,
  rowAt,
} from "./distributions-draw";
import {
  cellReadout,
  DISTRIBUTION_TENSORS,
  type DistributionGrid,
  type DistributionRow,
  type DistributionTensor,
  distributionGrid,
  distributionSummary,
  perSlot,
  rowOrder,
  shareScale,
  shareTickLabel,
  showsSaturation,
} from "./distributions-model";
import { heatmapStyles } from "./gs-colour-legend";
import "./gs-colour-legend";

/** Margins in CSS pixels where no chart gives the plot area: room for the labels and axis titles. */
const MARGIN = { left: 72, right: 12 };

/** What the read-out points at: a layer and a row. */
interface Cell {
  layer: number;
  row: DistributionRow;
}

@customElement("gs-distributions")
export class GsDistributions extends LitElement {
  static override styles = [
    chartTheme,
    heatmapStyles,
    css`
      canvas.map:focus-visible { outline: 2px solid var(--gs-act); outline-offset: 2px; }
      :host([stale]) canvas.map { opacity: 0.45; transition: opacity 0.2s; }
      .keys { display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; align-items: center; margin: 0.1rem 0 0; }
      .strip-key { display: inline-flex; gap: 0.3rem; align-items: center; white-space: nowrap; font-size: 12px; }
      .strip-key::before { content: ""; width: 2.4rem; height: 0.6rem; border-radius: 2px;
        background: linear-gradient(to right, var(--gs-chart-bg), var(--gs-marker-overflow));
        border: 1px solid var(--gs-chart-grid); }
      .readout { min-height: 2.6em; }
      .hint { opacity: 0.7; }
      .empty { padding: 1rem; text-align: center; opacity: 0.75; margin: 0; }
      .hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
    `,
  ];

  /** The run to show; its histograms, if any. */
  @property({ attribute: false }) result: RunResult | null = null;
  /** The line chart whose plot area and x range (its uPlot's) the columns line up with; own margins without one. */
  @property({ attribute: false }) alignTo: (HTMLElement & { readonly uplot: uPlot | null }) | null = null;
  /** Drawn faded: the result is of an older config than the one computing now. */
  @property({ type: Boolean, reflect: true }) stale = false;
  /** The tensor shown. */
  @state() tensor: DistributionTensor = "act";
  /** The cell the pointer is on, in words. */
  @state() private hovered = "";
  /** The cell the keyboard is on (it starts at layer 0's fullest row). */
  @state() private cursor: Cell | null = null;
  @state() private focused = false;

  @query("canvas.map") private canvas!: HTMLCanvasElement;
  /** The animation frame a draw waits for, 0 when none. */
  private pendingDraw = 0;
  private resizeObserver: ResizeObserver | null = null;
  /** The chart's plot overlay being watched for size changes. */
  private watched: Element | null = null;
  /** The chart listened to for zooms (a drag or a double click changes its x range). */
  private listened: HTMLElement | null = null;
  private readonly darkQuery = window.matchMedia("(prefers-color-scheme: dark)");
  private readonly redraw = () => this.scheduleDraw();
  /** Frames waited for the chart to draw this run's layers. */
  private retries = 0;
  /** What the last draw laid out. */
  private layout: Layout | null = null;

  /** The grid last drawn (null before a draw), for tests. */
  get grid(): DistributionGrid | null {
    return this.layout?.grid ?? null;
  }

  /** The read-out's text: the hovered cell, else the keyboard's while the map has the focus. */
  get readout(): string {
    return this.hovered || (this.focused ? this.keyboardReadout(false) : "");
  }

  /** Resolves once rendered and any pending draw has drawn the canvas. */
  protected override async getUpdateComplete(): Promise<boolean> {
    let result = await super.getUpdateComplete();
    while (this.pendingDraw) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      result = await super.getUpdateComplete();
    }
    return result;
  }

  /**
   * The centre of a cell, in CSS pixels from the canvas' top-left corner (for tests and scripts): the
   * column holding `layer`, and a row, or the row holding a binade; null if not drawn.
   */
  pointOf(layer: number, row: DistributionRow | { binade: number }): { x: number; y: number } | null {
    return this.layout ? cellCentre(this.layout, layer, row) : null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver(() => this.scheduleDraw());
    this.resizeObserver.observe(this);
    this.darkQuery.addEventListener("change", this.redraw);
    this.watchChart();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
    this.watched = null;
    this.darkQuery.removeEventListener("change", this.redraw);
    this.listenTo(null);
    cancelAnimationFrame(this.pendingDraw);
    this.pendingDraw = 0;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("result") || changed.has("tensor")) {
      this.cursor = null;
      this.hovered = "";
      this.retries = 0;
    }
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has("alignTo")) this.watchChart();
    if (changed.has("result") || changed.has("tensor") || changed.has("cursor") || changed.has("focused")) {
      this.scheduleDraw();
    }
  }

  override render() {
    const histograms = this.result?.histograms;
    if (!this.result || !histograms) {
      return html`<p class="empty">${this.result ? "This run has no histograms." : "No run yet."}</p>`;
    }
    const { width, batch, depth, activation } = this.result.config;
    const entries = width * batch;
    const strips = showsSaturation(this.tensor, activation);
    const { label, symbol } = DISTRIBUTION_TENSORS[this.tensor];
    const summary = distributionSummary(histograms, this.tensor, entries, strips);
    return html`<div class="head">
        <h3 id="distributions-title">Distribution of |${symbol}| per layer</h3>
        <div class="tensors" role="radiogroup" aria-label="The map shows">
          ${(Object.keys(DISTRIBUTION_TENSORS) as DistributionTensor[]).map(
            (tensor) => html`<label><input type="radio" name="tensor" value=${tensor} .checked=${tensor === this.tensor}
              @change=${() => {
                this.tensor = tensor;
              }} />${DISTRIBUTION_TENSORS[tensor].label}</label>`,
          )}
        </div>
      </div>
      <canvas class="map" tabindex="0" role="slider" aria-roledescription="heatmap"
        aria-label=${`Distribution of ${label} per layer; arrow keys move through the layers and magnitudes`}
        aria-describedby="distributions-summary" aria-valuemin="0" aria-valuemax=${depth}
        aria-valuenow=${this.cursor?.layer ?? 0} aria-valuetext=${this.keyboardReadout(true) || "layer 0"}
        @mousemove=${this.onHover} @mouseleave=${() => {
          this.hovered = "";
        }}
        @keydown=${this.onKey} @focus=${() => {
          this.focused = true;
        }} @blur=${() => {
          this.focused = false;
        }}></canvas>
      <p id="distributions-summary" class="hidden">${summary}</p>
      <gs-colour-legend .scale=${this.layout ? shareScale(this.layout.grid) : null} .tickLabel=${shareTickLabel}
        style=${this.legendMargins()}></gs-colour-legend>
      <div class="keys">
        <span class="none">no entry</span>
        ${strips ? html`<span class="strip-key">saturated, dead: 0 to 100 %</span>` : nothing}
      </div>
      <p class="note">${this.note(entries, strips)}</p>
      <p class="readout" id="distributions-readout">${
        this.readout ||
        html`<span class="hint">Point at a cell, or focus the map and use the arrow keys, to read it out.</span>`
      }</p>`;
  }

  /** The caption: what a column, a row and a colour are, and what is summed. */
  private note(entries: number, strips: boolean) {
    const { symbol } = DISTRIBUTION_TENSORS[this.tensor];
    const grid = this.layout?.grid;
    const tracked = this.result?.config.numerics === "tracked" ? " (true magnitudes: tracked numerics)" : "";
    const summed = [
      ...(grid && grid.layersPerColumn > 1 ? [`each column sums ${grid.layersPerColumn} layers`] : []),
      ...(grid && grid.binadesPerRow > 1 ? [`each row ${grid.binadesPerRow} powers of two`] : []),
    ];
    const stripText = strips
      ? " The strips under them: the fraction of each layer's entries that are saturated (|g′| < 0.01) and of its units saturated on every example (dead)."
      : "";
    return `Each column is a layer, 0 to L left to right as in the chart above; each row a power of two, 2ᵏ ≤ |${symbol}| < 2ᵏ⁺¹${tracked}; colour: the share of the layer's n·B = ${entries} entries in that row, on a log scale. Zeros and non-finite entries (∞, NaN) have rows of their own.${stripText}${summed.length ? ` Summed to fit: ${summed.join(", ")}.` : ""} One pass at initialization.`;
  }

  /** The legend bar spans the plot's width. */
  private legendMargins(): string {
    const frame = this.layout?.frame;
    const width = Math.floor(this.getBoundingClientRect().width);
    if (!frame || width <= 0) return `margin: 0.25rem ${MARGIN.right + 12}px 0 ${MARGIN.left + 12}px`;
    return `margin: 0.25rem ${Math.max(12, width - frame.left - frame.width + 12)}px 0 ${frame.left + 12}px`;
  }

  /** Watches the chart's plot area: when it moves or resizes, the columns follow. */
  private watchChart(): void {
    this.listenTo(this.alignTo);
    const over = this.alignTo?.uplot?.over ?? null;
    if (over === this.watched) return;
    if (this.watched) this.resizeObserver?.unobserve(this.watched);
    this.watched = over;
    if (over) this.resizeObserver?.observe(over);
  }

  /** Redraws after the chart's zooms: uPlot sets its x range on a drag's mouseup and resets it on a double click. */
  private listenTo(chart: HTMLElement | null): void {
    if (chart === this.listened) return;
    for (const type of ["mouseup", "dblclick"]) {
      this.listened?.removeEventListener(type, this.redraw);
      chart?.addEventListener(type, this.redraw);
    }
    this.listened = chart;
  }

  private scheduleDraw(): void {
    if (this.pendingDraw) return;
    this.pendingDraw = requestAnimationFrame(() => {
      this.pendingDraw = 0;
      this.watchChart();
      this.draw();
    });
  }

  /**
   * The plot's frame: the chart's plot area and x range where it shows these layers in a frame that
   * fits, else the own margins over 0..L (and, while the chart has not drawn this run yet, another
   * try on the next frames).
   */
  private plotFrame(width: number, depth: number): Frame {
    const own = { left: MARGIN.left, width: Math.max(0, width - MARGIN.left - MARGIN.right), from: 0, to: depth };
    const plot = this.alignTo?.uplot;
    if (!plot || !this.canvas) return own;
    if (plot.data[0]?.length !== depth + 1) {
      if (this.retries++ < 10) this.scheduleDraw();
      return own;
    }
    this.retries = 0;
    const over = plot.over.getBoundingClientRect();
    const left = over.left - this.canvas.getBoundingClientRect().left;
    const from = Math.max(0, plot.scales.x?.min ?? 0);
    const to = Math.min(depth, plot.scales.x?.max ?? depth);
    if (left < 40 || over.width < 40 || left + over.width > width || !(to > from)) return own;
    return { left, width: over.width, from, to };
  }

  private draw(): void {
    const histograms = this.result?.histograms;
    const config = this.result?.config;
    const canvas = this.canvas;
    const width = Math.floor(this.getBoundingClientRect().width);
    if (!histograms || !config || !canvas || width < 120) return;
    const frame = this.plotFrame(width, config.depth);
    const strips = showsSaturation(this.tensor, config.activation);
    const bands = bandsFor(Math.round(Math.min(220, Math.max(120, frame.width * 0.32))), strips);
    const visible = Math.floor(frame.to) - Math.ceil(frame.from) + 1;
    const entries = config.width * config.batch;
    const binadeHeight = bands.binades[1] - bands.binades[0];
    const grid = distributionGrid(histograms, this.tensor, entries, perSlot(visible, frame.width), binadeHeight);
    const layout = { grid, frame, bands, strips };
    this.layout = layout;
    const ratio = window.devicePixelRatio || 1;
    canvas.style.height = `${bands.height}px`;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(bands.height * ratio);
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    const palette = this.palette();
    ctx.fillStyle = readColour(this, "--gs-chart-bg", "#ffffff");
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    drawCells(ctx, layout, histograms, palette, ratio);
    ctx.scale(ratio, ratio);
    drawAxes(ctx, layout, palette);
    const cell = this.keyboardCell();
    if (cell && this.focused) drawCursor(ctx, layout, cell.layer, cell.row, palette.fg);
    this.requestUpdate(); // the legend's scale and margins, the note's sums
  }

  /** The theme's colours, read from the custom properties. */
  private palette(): Palette {
    return {
      bg: parseColour(readColour(this, "--gs-chart-bg", "#ffffff")),
      empty: parseColour(readColour(this, "--gs-heat-none", "#d1d5db")),
      accent: parseColour(readColour(this, "--gs-marker-overflow", "#b91c1c")),
      fg: readColour(this, "--gs-chart-fg", "#1f2937"),
      grid: readColour(this, "--gs-chart-grid", "rgba(31,41,55,0.1)"),
    };
  }

  /** The keyboard's cell: the cursor, or layer 0 at its fullest binade row. */
  private keyboardCell(): Cell | null {
    const grid = this.layout?.grid;
    if (!grid) return null;
    if (this.cursor) return this.cursor;
    let fullest: DistributionRow = "zero";
    let most = grid.zeros[0] as number;
    for (let r = 0; r < grid.rows; r++) {
      if ((grid.counts[r] as number) > most) {
        most = grid.counts[r] as number;
        fullest = r;
      }
    }
    return { layer: 0, row: fullest };
  }

  /** The keyboard's cell in words (spoken: powers as "2 to the k"); "" before a draw. */
  private keyboardReadout(spoken: boolean): string {
    const cell = this.keyboardCell();
    const layout = this.layout;
    const histograms = this.result?.histograms;
    if (!cell || !layout || !histograms) return "";
    const column = Math.floor(cell.layer / layout.grid.layersPerColumn);
    return cellReadout(layout.grid, histograms, column, cell.row, layout.strips, spoken);
  }

  /** The cell under the pointer, in words. */
  private onHover = (event: MouseEvent) => {
    const layout = this.layout;
    const histograms = this.result?.histograms;
    if (!layout || !histograms) return;
    const rect = this.canvas.getBoundingClientRect();
    const layer = layerAt(event.clientX - rect.left, layout.frame, layout.grid.depth);
    const row = rowAt(layout, event.clientY - rect.top);
    if (layer === null || row === null) {
      this.hovered = "";
      return;
    }
    const column = Math.floor(layer / layout.grid.layersPerColumn);
    this.hovered = cellReadout(layout.grid, histograms, column, row, layout.strips);
  };

  /** Left and right step a column (Page Up/Down ten), Home/End to the ends; up and down step a row. */
  private onKey = (event: KeyboardEvent) => {
    const layout = this.layout;
    const cell = this.keyboardCell();
    if (!layout || !cell) return;
    const { grid, strips } = layout;
    const k = grid.layersPerColumn;
    const columns: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, PageDown: -10, PageUp: 10 };
    let { layer, row } = cell;
    const order = rowOrder(grid, strips);
    const at = order.indexOf(row);
    if (event.key in columns) layer += (columns[event.key] as number) * k;
    else if (event.key === "Home") layer = 0;
    else if (event.key === "End") layer = grid.depth;
    else if (event.key === "ArrowUp") row = order[Math.min(order.length - 1, at + 1)] ?? row;
    else if (event.key === "ArrowDown") row = order[Math.max(0, at - 1)] ?? row;
    else return;
    event.preventDefault();
    this.hovered = "";
    this.cursor = { layer: Math.max(0, Math.min(grid.depth, layer)), row };
  };
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-distributions": GsDistributions;
  }
}
