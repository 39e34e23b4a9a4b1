/**
 * <gs-chart>: one run's per-layer magnitudes (activation RMS, gradient RMS, weight-gradient RMS)
 * against the layer, with overflow (in the run's format) and all-zero markers and, for tracked runs,
 * float32's range; where the run has a theory, its predicted activation and gradient RMS dashed in the
 * same colours.
 *
 * The y values are the log10 magnitudes themselves on a linear scale whose ticks read as powers of
 * ten: tracked runs reach 10^±1400 and beyond, which a uPlot "log" scale (float64) cannot hold.
 */
import { css, html, LitElement, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import uPlot from "uplot";
import type { RunResult, TrainingRecord } from "../core/result";
import {
  drawBand,
  drawOverlay,
  FONT_FAMILY,
  INTEGER_INCRS,
  LABEL_ROW_PX,
  logRange,
  lonePoints,
  type Palette,
  type Plotted,
  textWidth,
  themedAxis,
} from "./chart-draw";
import {
  type ChartData,
  type ChartMarker,
  chartData,
  chartMarkers,
  chartSummary,
  colourOf,
  layerReadout,
  magnitudeLabel,
  PLOT_SERIES,
  type PlotSeries,
  powerOfTenLabel,
  recordMarkers,
  SERIES_LABELS,
  shownTheory,
} from "./chart-model";
import { uplotStyles } from "./chart-theme";

@customElement("gs-chart")
export class GsChart extends LitElement {
  static override styles = [
    ...uplotStyles,
    css`
      .uplot { width: 100%; }
      .u-legend th[tabindex]:focus-visible { outline: 2px solid var(--gs-act); outline-offset: 1px; border-radius: 3px; }
      .u-legend.u-inline tr { margin-right: 10px; }
      .u-legend tr[hidden] { display: none; }
      .u-legend .u-value { font-variant-numeric: tabular-nums; min-width: 5.5em; text-align: left; }
      .u-legend tr:first-child .u-value { min-width: 2.5em; }
      .empty { padding: 2rem 1rem; text-align: center; opacity: 0.75; }
      :host([stale]) .plot { opacity: 0.45; transition: opacity 0.2s; }
      .stale-note { margin: 0; font-size: 0.8rem; opacity: 0.8; }
      .caption { margin: 0 0 0.25rem; font-size: 0.85rem; font-weight: 600; }
      .plot:focus-visible { outline: 2px solid var(--gs-act); outline-offset: 2px; }
      .hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
    `,
  ];

  /** Drawn faded: the result is of an older config than the one computing now. */
  @property({ type: Boolean, reflect: true }) stale = false;
  /** The empty state's text while there is no result (a first run in flight, say); default "no run yet". */
  @property() placeholder: string | null = null;

  /** The run to draw; null shows an empty state. */
  @property({ attribute: false }) result: RunResult | null = null;
  /** A training record of the result's config to draw instead of the result's own layers (the network after some steps). */
  @property({ attribute: false }) record: TrainingRecord | null = null;
  /** A line above the plot saying what it shows (which training step); none when null. */
  @property() caption: string | null = null;

  @query(".plot") private plotHost!: HTMLDivElement;
  /** The layer the keyboard read-out is at. */
  @state() private readoutLayer = 0;
  /** The series switched off in the legend (the summary leaves them out). */
  @state() private hiddenSeries: ReadonlySet<PlotSeries> = new Set();
  @query(".legend") private legendHost!: HTMLDivElement;

  private plot: uPlot | null = null;
  private prepared: ChartData = chartData(null);
  private preparedMarkers: ChartMarker[] = [];
  private plotted: Plotted = { markers: [], tracked: false };
  /** Rows of marker labels reserved above the plot area. */
  private labelRows = 0;
  private palette: Palette | null = null;
  private frame = 0;
  private resizeFrame = 0;
  private framePromise: Promise<void> | null = null;
  private resolveFrame: (() => void) | null = null;
  private resizeObserver: ResizeObserver | null = null;
  private readonly darkQuery = window.matchMedia("(prefers-color-scheme: dark)");
  private readonly onSchemeChange = () => this.refreshTheme();

  /** The plotted arrays: layers 0..L and each series' log10 magnitudes, null as gaps. */
  get data(): ChartData {
    return this.prepared;
  }

  /** The vertical markers, in layer order, as drawn on the canvas. */
  get markers(): ChartMarker[] {
    return this.preparedMarkers;
  }

  /** The uPlot instance (null before the first draw), for tests and exports. */
  get uplot(): uPlot | null {
    return this.plot;
  }

  /** Whether a series is shown (the legend toggles it). */
  seriesVisible(name: PlotSeries): boolean {
    const index = PLOT_SERIES.indexOf(name) + 1;
    return this.plot ? this.plot.series[index]?.show !== false : true;
  }

  /** The series drawn now: shown in the legend and with at least one finite value. */
  drawnSeries(): PlotSeries[] {
    return PLOT_SERIES.filter((name) => this.seriesVisible(name) && this.prepared[name].some((v) => v !== null));
  }

  /**
   * The chart as a PNG at the device's pixel ratio, on the theme's background: a title and the given
   * lines (the config, the verdict) above it, wrapped to its width, and a legend of the drawn series below.
   */
  async toPNG(title = "gradscope", lines: readonly string[] = []): Promise<Blob> {
    await this.updateComplete;
    const plot = this.plot;
    if (!plot) throw new Error("gs-chart: nothing to export, no run has been drawn");
    const source = plot.ctx.canvas;
    const ratio = uPlot.pxRatio;
    const pad = Math.round(12 * ratio);
    const lineHeight = Math.round(18 * ratio);
    const measure = document.createElement("canvas").getContext("2d");
    if (!measure) throw new Error("gs-chart: no 2D canvas context for the export");
    measure.font = `${Math.round(13 * ratio)}px ${FONT_FAMILY}`;
    const wrapped = lines.flatMap((line) => wrapText(measure, line, source.width - 2 * pad));
    const header = pad + lineHeight * (1 + wrapped.length) + pad / 2;
    // The legend of the drawn series, in as many rows as the width needs.
    const rowHeight = Math.round(28 * ratio);
    measure.font = `${Math.round(12 * ratio)}px ${FONT_FAMILY}`;
    const entries = layoutLegend(measure, this.drawnSeries(), plot.bbox.left, source.width - pad);
    const strip = rowHeight * Math.max(1, ...entries.map((entry) => entry.row + 1));
    const canvas = document.createElement("canvas");
    canvas.width = source.width;
    canvas.height = header + source.height + strip;
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("gs-chart: no 2D canvas context for the export");
    const palette = this.readPalette();
    ctx.fillStyle = palette.bg;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = palette.fg;
    ctx.textBaseline = "top";
    ctx.font = `600 ${Math.round(15 * ratio)}px ${FONT_FAMILY}`;
    ctx.fillText(title, pad, pad);
    ctx.font = `${Math.round(13 * ratio)}px ${FONT_FAMILY}`;
    for (const [i, line] of wrapped.entries()) ctx.fillText(line, pad, pad + lineHeight * (i + 1));
    ctx.drawImage(source, 0, header);
    ctx.font = `${Math.round(12 * ratio)}px ${FONT_FAMILY}`;
    ctx.textBaseline = "middle";
    for (const { name, x, row } of entries) {
      const y = header + source.height + rowHeight * (row + 0.5);
      ctx.strokeStyle = palette.series[colourOf(name)];
      ctx.lineWidth = 2 * ratio;
      ctx.setLineDash(colourOf(name) === name ? [] : PREDICTED_DASH.map((d) => d * ratio));
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 18 * ratio, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = palette.fg;
      ctx.fillText(SERIES_LABELS[name], x + 24 * ratio, y);
    }
    return new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("gs-chart: PNG encoding failed"))), "image/png"),
    );
  }

  /** Re-reads the colour custom properties and redraws (the page calls it after changing its theme). */
  refreshTheme(): void {
    this.palette = null;
    this.destroyPlot();
    this.scheduleDraw();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Resize on the next frame: resizing inside the callback changes the host's height, which the
    // observer would report again in the same frame ("ResizeObserver loop" error).
    this.resizeObserver = new ResizeObserver(() => {
      if (!this.resizeFrame) this.resizeFrame = requestAnimationFrame(() => this.resize());
    });
    this.resizeObserver.observe(this);
    this.darkQuery.addEventListener("change", this.onSchemeChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
    this.darkQuery.removeEventListener("change", this.onSchemeChange);
    cancelAnimationFrame(this.frame);
    cancelAnimationFrame(this.resizeFrame);
    this.frame = this.resizeFrame = 0;
    this.settleFrame();
    this.destroyPlot();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("result") || changed.has("record")) {
      this.prepared = chartData(this.record ?? this.result, shownTheory(this.result, this.record));
      this.preparedMarkers = this.record ? recordMarkers(this.record) : chartMarkers(this.result);
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("result") || changed.has("record")) this.scheduleDraw();
  }

  /** Resolves once rendered and the pending animation frame, if any, has drawn the canvas. */
  protected override async getUpdateComplete(): Promise<boolean> {
    const result = await super.getUpdateComplete();
    while (this.framePromise) await this.framePromise;
    return result;
  }

  override render() {
    const label = chartSummary(this.result, this.record, this.hiddenSeries);
    const depth = this.result?.config.depth ?? 0;
    const layer = Math.min(this.readoutLayer, depth);
    // The plot is also a keyboard read-out: a slider over the layers whose value text is that layer's
    // magnitudes, so the values are reachable without a mouse; the summary describes the whole chart.
    return html`
      ${this.caption ? html`<p class="caption" id="caption">${this.caption}</p>` : null}
      <div class="plot" tabindex=${this.result ? "0" : "-1"} role="slider" aria-roledescription="chart"
        aria-label="Per-layer magnitudes; arrow keys move through the layers" aria-describedby="summary"
        aria-valuemin="0" aria-valuemax=${depth} aria-valuenow=${layer} aria-valuetext=${layerReadout(this.prepared, layer)}
        @keydown=${this.onKey} ?hidden=${!this.result}></div>
      <p id="summary" class="hidden">${label}</p>
      <div class="legend" ?hidden=${!this.result}></div>
      ${this.stale ? html`<p class="stale-note">Showing the last run; the new config is computing.</p>` : null}
      ${this.result ? null : html`<p class="empty">${this.placeholder ?? label}</p>`}
    `;
  }

  /** Arrow keys step one layer, Page Up/Down ten, Home/End to the ends; the legend shows the values. */
  private onKey = (event: KeyboardEvent) => {
    const depth = this.result?.config.depth ?? 0;
    const steps: Record<string, number> = {
      ArrowLeft: -1,
      ArrowDown: -1,
      ArrowRight: 1,
      ArrowUp: 1,
      PageDown: -10,
      PageUp: 10,
    };
    let layer = this.readoutLayer;
    if (event.key in steps) layer += steps[event.key] as number;
    else if (event.key === "Home") layer = 0;
    else if (event.key === "End") layer = depth;
    else return;
    event.preventDefault();
    this.readoutLayer = Math.max(0, Math.min(depth, layer));
    const plot = this.plot;
    if (plot)
      plot.setCursor({ left: plot.valToPos(this.readoutLayer, "x"), top: plot.bbox.height / 2 / uPlot.pxRatio });
  };

  /** Draws on the next animation frame; bursts of result changes coalesce into one draw. */
  private scheduleDraw(): void {
    if (this.frame) return;
    if (!this.framePromise) this.framePromise = new Promise((resolve) => (this.resolveFrame = resolve));
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      try {
        this.draw();
      } finally {
        // uPlot commits on microtasks (and may re-lay out the label rows once): settle after them.
        setTimeout(() => this.frame || this.settleFrame(), 0);
      }
    });
  }

  private settleFrame(): void {
    this.resolveFrame?.();
    this.resolveFrame = null;
    this.framePromise = null;
  }

  /** Feeds the current arrays to uPlot, creating it on first use; scales re-range to the new L. */
  private draw(): void {
    if (!this.result) {
      this.destroyPlot();
      return;
    }
    const size = this.plotSize();
    if (!size) return; // not laid out yet: the ResizeObserver draws when it is
    this.plotted = {
      markers: this.preparedMarkers,
      tracked: this.result.config.numerics === "tracked" && !this.record,
    };
    const columns = this.alignedData();
    if (this.plot) this.plot.setData(columns, true);
    else {
      this.labelRows = Math.min(1, this.plotted.markers.length); // a guess; the first draw corrects it
      this.createPlot(columns, size);
    }
    this.hideEmptyPredictions();
  }

  private alignedData(): uPlot.AlignedData {
    const prepared = this.prepared;
    return [prepared.layers, ...PLOT_SERIES.map((name) => prepared[name])] as uPlot.AlignedData;
  }

  /** A predicted curve without values (no theory for this config) has no legend entry. */
  private hideEmptyPredictions(): void {
    const rows = this.legendHost.querySelectorAll<HTMLTableRowElement>("tr.u-series");
    PLOT_SERIES.forEach((name, i) => {
      const row = rows[i + 1];
      if (row && colourOf(name) !== name) row.hidden = this.prepared[name].every((v) => v === null);
    });
  }

  /** Width of the host; height 360 px, less on narrow screens. */
  private plotSize(): { width: number; height: number } | null {
    const width = Math.floor(this.getBoundingClientRect().width);
    if (width < 50) return null;
    return { width, height: Math.round(Math.min(360, Math.max(240, width * 0.6))) };
  }

  private resize(): void {
    this.resizeFrame = 0;
    const size = this.plotSize();
    if (!size) return;
    if (this.plot) {
      if (size.width !== this.plot.width || size.height !== this.plot.height) this.plot.setSize(size);
    } else if (this.result) this.scheduleDraw();
  }

  private destroyPlot(): void {
    this.plot?.destroy();
    this.plot = null;
  }

  private readPalette(): Palette {
    if (this.palette) return this.palette;
    const style = getComputedStyle(this);
    const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    this.palette = {
      series: {
        act: read("--gs-act", "#0072b2"),
        grad: read("--gs-grad", "#d55e00"),
        weightGrad: read("--gs-wgrad", "#009e73"),
      },
      fg: read("--gs-chart-fg", "#1f2937"),
      grid: read("--gs-chart-grid", "rgba(31,41,55,0.1)"),
      bg: read("--gs-chart-bg", "#ffffff"),
      band: read("--gs-f32-band", "rgba(217,119,6,0.1)"),
      bandEdge: read("--gs-f32-edge", "#b45309"),
      marker: {
        nonFinite: read("--gs-marker-overflow", "#b91c1c"),
        allZero: read("--gs-marker-zero", "#4b5563"),
        range: read("--gs-f32-edge", "#b45309"),
      },
    };
    return this.palette;
  }

  private createPlot(columns: uPlot.AlignedData, size: { width: number; height: number }): void {
    const palette = this.readPalette();
    const axis = (label: string): uPlot.Axis => ({
      ...themedAxis(label, palette.fg, palette.grid),
      incrs: INTEGER_INCRS,
    });
    const opts: uPlot.Options = {
      ...size,
      scales: { x: { time: false }, y: { range: (_u, min, max) => logRange(min, max) } },
      axes: [
        {
          ...axis("layer l"),
          size: 32,
          labelSize: 22,
          values: (_u, splits) => splits.map((v) => String(Math.round(v))),
        },
        {
          ...axis("magnitude (log scale)"),
          values: (_u, splits) => splits.map(powerOfTenLabel),
          size: (_u, values) => Math.ceil(Math.max(30, ...(values ?? []).map(textWidth))) + 14,
        },
      ],
      series: [
        { label: "layer", value: (_u, v) => (v === null || v === undefined ? "—" : String(v)) },
        ...PLOT_SERIES.map((name) => ({
          label: SERIES_LABELS[name],
          stroke: palette.series[colourOf(name)],
          width: 2,
          // uPlot strokes the dash in canvas pixels.
          ...(colourOf(name) === name ? {} : { dash: PREDICTED_DASH.map((d) => d * uPlot.pxRatio) }),
          spanGaps: false,
          pxAlign: 0,
          points: { show: true, size: 5, filter: (u: uPlot, i: number) => lonePoints(u.data[i] ?? []) },
          value: (_u: uPlot, v: number | null) => magnitudeLabel(v),
        })),
      ],
      padding: [() => this.topPadding(), null, null, null],
      cursor: { y: false, points: { size: 7 }, drag: { x: true, y: false } },
      legend: {
        live: true,
        // A measured series' swatch is filled; a predicted one's is a dashed outline in the same colour.
        markers: {
          width: (_u, i) => (predictedAt(i) ? 2 : 0),
          dash: "dashed",
          stroke: (_u, i) => palette.series[colourOf(PLOT_SERIES[i - 1] ?? "act")],
          fill: (_u, i) => (predictedAt(i) ? "transparent" : palette.series[colourOf(PLOT_SERIES[i - 1] ?? "act")]),
        },
        mount: (_u, el) => this.legendHost.append(el),
      },
      hooks: {
        drawClear: [(u) => this.drawBand(u)],
        draw: [(u) => this.drawOverlay(u)],
        setSeries: [(u) => this.syncLegendState(u)],
      },
    };
    this.plot = new uPlot(opts, columns, this.plotHost);
    this.makeLegendKeyboardUsable(this.plot);
  }

  /** Legend rows as toggle buttons: focusable, Enter or Space clicks, aria-pressed follows visibility. */
  private makeLegendKeyboardUsable(u: uPlot): void {
    const rows = this.legendHost.querySelectorAll<HTMLTableRowElement>("tr.u-series");
    rows.forEach((row, i) => {
      const label = row.querySelector("th");
      if (i === 0 || !label) return;
      label.tabIndex = 0;
      label.setAttribute("role", "button");
      label.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" && event.key !== " ") return;
        event.preventDefault();
        label.click();
      });
    });
    this.syncLegendState(u);
  }

  private syncLegendState(u: uPlot): void {
    const rows = this.legendHost.querySelectorAll<HTMLTableRowElement>("tr.u-series");
    rows.forEach((row, i) => {
      if (i > 0) row.querySelector("th")?.setAttribute("aria-pressed", String(u.series[i]?.show !== false));
    });
    const hidden = PLOT_SERIES.filter((_, i) => u.series[i + 1]?.show === false);
    if (hidden.length !== this.hiddenSeries.size || hidden.some((name) => !this.hiddenSeries.has(name)))
      this.hiddenSeries = new Set(hidden);
  }

  /** CSS pixels above the plot: the marker label rows, or room for the top tick label. */
  private topPadding(): number {
    return this.labelRows > 0 ? 4 + this.labelRows * LABEL_ROW_PX : 12;
  }

  private drawBand(u: uPlot): void {
    drawBand(u, this.plotted, this.readPalette());
  }

  /** The markers and band label; when their label rows change, room is reserved and it draws again. */
  private drawOverlay(u: uPlot): void {
    const rows = drawOverlay(u, this.plotted, this.readPalette());
    if (rows !== this.labelRows) {
      // Reserve the rows above the plot and lay out again (x positions do not depend on them).
      this.labelRows = rows;
      queueMicrotask(() => this.plot === u && u.redraw(false, true));
    }
  }
}

/** The dash pattern of the predicted curves, in CSS pixels: on, off. */
const PREDICTED_DASH = [6, 4];

/** Whether uPlot's series i (1-based, after the layer axis) is a predicted curve. */
function predictedAt(i: number): boolean {
  const name = PLOT_SERIES[i - 1];
  return name !== undefined && colourOf(name) !== name;
}

/**
 * Where each legend entry of the PNG export goes (a swatch, then its label): left to right from `left`,
 * a new row where the next would pass `right`. Canvas pixels; needs ctx.font set to the legend's.
 */
function layoutLegend(
  ctx: CanvasRenderingContext2D,
  names: readonly PlotSeries[],
  left: number,
  right: number,
): { name: PlotSeries; x: number; row: number }[] {
  const ratio = uPlot.pxRatio;
  let x = left;
  let row = 0;
  return names.map((name) => {
    const width = 24 * ratio + ctx.measureText(SERIES_LABELS[name]).width;
    if (x > left && x + width > right) {
      x = left;
      row++;
    }
    const entry = { name, x, row };
    x += width + 18 * ratio;
    return entry;
  });
}

/** A line of text cut at spaces into lines no wider than `width` canvas pixels. */
function wrapText(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(candidate).width > width) {
      lines.push(line);
      line = word;
    } else line = candidate;
  }
  if (line) lines.push(line);
  return lines;
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-chart": GsChart;
  }
}
