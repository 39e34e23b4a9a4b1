/**
 * <gs-loss-chart>: a training run's loss after each step, on a log axis, drawn as the losses arrive;
 * x runs over the whole run (0..T) so the curve grows to the right. A loss the log axis cannot draw
 * (∞, NaN, or exactly 0) is marked where it first occurs: "loss → ∞ at step k".
 */
import { css, html, LitElement, type PropertyValues } from "lit";
import { customElement, property, query } from "lit/decorators.js";
import uPlot from "uplot";
import { FONT_FAMILY, INTEGER_INCRS, textWidth, themedAxis } from "./chart-draw";
import { readColour, uplotStyles } from "./chart-theme";
import {
  type LossData,
  lossBreak,
  lossData,
  lossRange,
  lossSplits,
  lossTickLabel,
  lossValueText,
} from "./training-model";

@customElement("gs-loss-chart")
export class GsLossChart extends LitElement {
  static override styles = [
    ...uplotStyles,
    css`
      h3 { font-size: 0.9rem; margin: 0 0 0.25rem; }
      .u-legend .u-value { font-variant-numeric: tabular-nums; min-width: 4.5em; text-align: left; }
      .hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
    `,
  ];

  /** loss[t] after t steps, t = 0.., null where not finite. */
  @property({ attribute: false }) loss: readonly (number | null)[] = [];
  /** The run's steps T: the x axis runs 0..T. */
  @property({ type: Number }) steps = 1;

  @query(".plot") private plotHost!: HTMLDivElement;
  private plot: uPlot | null = null;
  private prepared: LossData = lossData([]);
  private frame = 0;
  private resizeObserver: ResizeObserver | null = null;
  private readonly darkQuery = window.matchMedia("(prefers-color-scheme: dark)");
  private readonly onSchemeChange = () => this.redrawFresh();

  /** The plotted columns (steps and losses, null where the log axis has no place for one). */
  get data(): LossData {
    return this.prepared;
  }

  /** The first step whose loss is not drawn, with its label; null while every loss is. */
  get breakMarker(): { step: number; label: string } | null {
    return lossBreak(this.loss);
  }

  /** The uPlot instance (null before the first draw), for tests. */
  get uplot(): uPlot | null {
    return this.plot;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver(() => this.scheduleDraw());
    this.resizeObserver.observe(this);
    this.darkQuery.addEventListener("change", this.onSchemeChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.darkQuery.removeEventListener("change", this.onSchemeChange);
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.plot?.destroy();
    this.plot = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("loss")) this.prepared = lossData(this.loss);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("steps")) this.redrawFresh();
    else if (changed.has("loss")) this.scheduleDraw();
  }

  override render() {
    const last = this.loss.at(-1);
    const broken = this.breakMarker;
    const summary =
      this.loss.length === 0
        ? "No loss yet"
        : `Loss after ${this.loss.length - 1} of ${this.steps} steps: ${lossValueText(last)}, from ${lossValueText(this.loss[0])} at step 0${broken ? `; ${broken.label}` : ""}`;
    return html`<h3 id="loss-title">Loss after each step (log scale)</h3>
      <div class="plot" role="img" aria-labelledby="loss-title" aria-describedby="loss-summary"></div>
      <p id="loss-summary" class="hidden">${summary}</p>`;
  }

  private redrawFresh(): void {
    this.plot?.destroy();
    this.plot = null;
    this.scheduleDraw();
  }

  private scheduleDraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private size(): { width: number; height: number } | null {
    const width = Math.floor(this.getBoundingClientRect().width);
    if (width < 50) return null;
    return { width, height: Math.round(Math.min(240, Math.max(180, width * 0.45))) };
  }

  private draw(): void {
    const size = this.size();
    if (!size) return;
    const columns: uPlot.AlignedData = [this.prepared.steps, this.prepared.loss];
    if (!this.plot) this.plot = new uPlot(this.options(size), columns, this.plotHost);
    else {
      if (size.width !== this.plot.width || size.height !== this.plot.height) this.plot.setSize(size);
      this.plot.setData(columns, true);
    }
  }

  private options(size: { width: number; height: number }): uPlot.Options {
    const fg = readColour(this, "--gs-chart-fg", "#1f2937");
    const grid = readColour(this, "--gs-chart-grid", "rgba(31,41,55,0.1)");
    const axis = (label: string): uPlot.Axis => themedAxis(label, fg, grid);
    const steps = Math.max(1, this.steps);
    return {
      ...size,
      scales: {
        x: { time: false, range: () => [0, steps] },
        y: { distr: 3, log: 10, range: (_u, min, max) => lossRange(min, max) },
      },
      axes: [
        { ...axis("step"), size: 32, labelSize: 22, incrs: INTEGER_INCRS },
        {
          ...axis("loss"),
          splits: (_u, _axis, min, max) => lossSplits(min, max),
          // Every split gets its label (uPlot's own filter for log axes would thin them again).
          filter: (_u, splits) => splits,
          values: (_u, splits) => splits.map(lossTickLabel),
          size: (_u, values) => Math.ceil(Math.max(30, ...(values ?? []).map(textWidth))) + 14,
        },
      ],
      series: [
        { label: "step", value: (_u, v) => (v === null || v === undefined ? "—" : String(v)) },
        {
          label: "loss",
          stroke: readColour(this, "--gs-loss", "#0072b2"),
          width: 2,
          spanGaps: false,
          points: { show: (u) => (u.data[0]?.length ?? 0) < 3, size: 6 },
          value: (_u, v) => (v === null || v === undefined ? "—" : v.toPrecision(4)),
        },
      ],
      cursor: { y: false, drag: { x: false, y: false } },
      legend: { live: true, markers: { width: 0, fill: () => readColour(this, "--gs-loss", "#0072b2") } },
      hooks: { draw: [(u) => this.drawBreak(u)] },
    };
  }

  /** A dashed line at the first loss that is not drawn, labelled at the top of the plot. */
  private drawBreak(u: uPlot): void {
    const marker = this.breakMarker;
    if (!marker) return;
    const ratio = uPlot.pxRatio;
    const { ctx, bbox } = u;
    const x = Math.round(u.valToPos(marker.step, "x", true)) + 0.5;
    const colour = readColour(this, "--gs-marker-overflow", "#b91c1c");
    ctx.save();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5 * ratio;
    ctx.setLineDash([5 * ratio, 4 * ratio]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.font = `${Math.round(12 * ratio)}px ${FONT_FAMILY}`;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    const width = ctx.measureText(marker.label).width;
    // Right of the line where it fits, else left of it.
    const fits = x + 4 * ratio + width <= bbox.left + bbox.width;
    const left = fits ? x + 4 * ratio : Math.max(bbox.left, x - 4 * ratio - width);
    ctx.fillStyle = readColour(this, "--gs-chart-bg", "#ffffff");
    ctx.fillRect(left - 2 * ratio, bbox.top + 2 * ratio, width + 4 * ratio, 16 * ratio);
    ctx.fillStyle = colour;
    ctx.fillText(marker.label, left, bbox.top + 4 * ratio);
    ctx.restore();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-loss-chart": GsLossChart;
  }
}
