/**
 * The charts' colours as CSS custom properties, light and dark, shared by every chart element
 * (<gs-chart>, <gs-loss-chart>, <gs-heatmap>, <gs-distributions>): each reads them from its computed style when it draws.
 */
import { css, unsafeCSS } from "lit";
import uPlotCss from "uplot/dist/uPlot.min.css?inline";
import { FONT_FAMILY } from "./chart-draw";

export const chartTheme = css`
  :host {
    --gs-act: #0072b2;
    --gs-grad: #d55e00;
    --gs-wgrad: #009e73;
    --gs-loss: #0072b2;
    --gs-chart-fg: #1f2937;
    --gs-chart-grid: rgba(31, 41, 55, 0.1);
    --gs-chart-bg: #ffffff;
    --gs-f32-band: rgba(217, 119, 6, 0.1);
    --gs-f32-edge: #b45309;
    --gs-marker-overflow: #b91c1c;
    --gs-marker-zero: #4b5563;
    --gs-heat-none: #d1d5db;
    background: var(--gs-chart-bg);
    color: var(--gs-chart-fg);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --gs-act: #56b4e9;
      --gs-grad: #f0a040;
      --gs-wgrad: #3ecf9a;
      --gs-loss: #56b4e9;
      --gs-chart-fg: #e5e7eb;
      --gs-chart-grid: rgba(229, 231, 235, 0.12);
      --gs-chart-bg: #111827;
      --gs-f32-band: rgba(251, 191, 36, 0.1);
      --gs-f32-edge: #fbbf24;
      --gs-marker-overflow: #f87171;
      --gs-marker-zero: #9ca3af;
      --gs-heat-none: #4b5563;
    }
  }
`;

/** A custom property of an element's computed style, or `fallback` where it is not set. */
export function readColour(element: Element, name: string, fallback: string): string {
  return getComputedStyle(element).getPropertyValue(name).trim() || fallback;
}

/** A CSS colour as [r, g, b] bytes, through a 1 × 1 canvas (any syntax the browser reads). */
export function parseColour(colour: string): [number, number, number] {
  const ctx = document.createElement("canvas").getContext("2d");
  if (!ctx) return [200, 200, 200];
  ctx.fillStyle = colour;
  ctx.fillRect(0, 0, 1, 1);
  const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
  return [r ?? 200, g ?? 200, b ?? 200];
}

/** The styles of a chart element that owns a uPlot: uPlot's own, the theme, a block host, the legend's font. */
export const uplotStyles = [
  unsafeCSS(uPlotCss),
  chartTheme,
  css`
    :host { display: block; }
    .u-legend { font: 13px ${unsafeCSS(FONT_FAMILY)}; }
  `,
];
