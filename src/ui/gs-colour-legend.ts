/**
 * <gs-colour-legend>: the key of a heatmap's log colour scale, a viridis bar from the scale's minimum
 * (left) to its maximum (right) with ticks at whole decades (or tenths of one), each labelled by
 * `tickLabel`. The heatmaps (<gs-heatmap>, <gs-distributions>) place it under their canvas and set
 * its side margins to their plot's.
 */
import { css, html, LitElement, nothing, unsafeCSS } from "lit";
import { customElement, property, query } from "lit/decorators.js";
import { FONT_FAMILY } from "./chart-draw";
import { scaleTickLabel, scaleTicks, viridis } from "./training-model";

/**
 * The heatmaps' shared styles: a title over a radio group of what the colour shows, the canvas
 * (`canvas.map`), a note and a read-out under it, and the "no value" key (`.none`, a swatch before
 * its text).
 */
export const heatmapStyles = css`
  :host { display: block; font: 13px ${unsafeCSS(FONT_FAMILY)}; }
  .head { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; align-items: baseline; justify-content: space-between; }
  h3 { font-size: 0.9rem; margin: 0; }
  [role="radiogroup"] { display: flex; gap: 0.2rem 0.75rem; flex-wrap: wrap; min-width: 0; }
  label { display: inline-flex; gap: 0.3rem; align-items: center; cursor: pointer; white-space: nowrap; }
  input { accent-color: var(--gs-act); margin: 0; }
  canvas.map { display: block; width: 100%; margin-top: 0.25rem; }
  .note { margin: 0.2rem 0 0; font-size: 12px; opacity: 0.85; }
  .readout { margin: 0.2rem 0 0; font-variant-numeric: tabular-nums; font-size: 12px; }
  .none { display: inline-flex; gap: 0.3rem; align-items: center; white-space: nowrap; font-size: 12px; }
  .none::before { content: ""; width: 0.8rem; height: 0.8rem; border-radius: 2px; background: var(--gs-heat-none);
    box-sizing: border-box; border: 1px solid var(--gs-chart-grid); }
`;

@customElement("gs-colour-legend")
export class GsColourLegend extends LitElement {
  static override styles = css`
    :host { display: block; position: relative; height: 28px; font: 12px ${unsafeCSS(FONT_FAMILY)}; }
    canvas { display: block; width: 100%; height: 10px; border-radius: 2px; }
    .tick { position: absolute; top: 12px; transform: translateX(-50%); white-space: nowrap; }
    .tick::before { content: ""; position: absolute; left: 50%; top: -5px; height: 4px; border-left: 1px solid currentColor; }
  `;

  /** The scale's ends, log10; no ticks without one. */
  @property({ attribute: false }) scale: { min: number; max: number } | null = null;
  /** A tick's text from its log10 value ("10⁻³" by default). */
  @property({ attribute: false }) tickLabel: (log10: number) => string = scaleTickLabel;

  @query("canvas") private bar!: HTMLCanvasElement;

  override render() {
    return html`<canvas width="256" height="1" aria-hidden="true"></canvas>${this.scale ? this.renderTicks(this.scale) : nothing}`;
  }

  protected override firstUpdated(): void {
    const ctx = this.bar.getContext("2d");
    if (!ctx) return;
    const image = ctx.createImageData(256, 1);
    for (let i = 0; i < 256; i++) {
      const [r, g, b] = viridis(i / 255);
      image.data.set([r, g, b, 255], 4 * i);
    }
    ctx.putImageData(image, 0, 0);
  }

  /** The ticks placed along the bar. */
  private renderTicks(scale: { min: number; max: number }) {
    const span = scale.max - scale.min;
    return scaleTicks(scale.min, scale.max).map(
      (tick) =>
        html`<span class="tick" style="left: ${(100 * (tick - scale.min)) / span}%">${this.tickLabel(tick)}</span>`,
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-colour-legend": GsColourLegend;
  }
}
