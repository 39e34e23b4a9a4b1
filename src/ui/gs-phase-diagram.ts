/**
 * <gs-phase-diagram>: the σ_w × σ_b plane of a plain mean-field chain of one activation, its critical
 * line χ₁ = 1 between the ordered (vanishing) and chaotic (exploding) regions, and a dot at the
 * config's point. Hovering reads σ_w, σ_b and χ₁ there; a click, or the arrow keys, emits
 * `gs-phase-pick` with the point to move the config to (Gaussian weights, rounded to 2 decimals).
 */
import { css, html, LitElement, nothing, svg } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { ActivationName } from "../core/activations";
import { criticalLine, DIAGRAM_RANGE, type DiagramPoint, lineExtent, phaseAt } from "../core/theory-reading";

/** The viewBox and the plot area's margins inside it. */
const WIDTH = 300;
const HEIGHT = 196;
const MARGIN = { left: 38, right: 10, top: 8, bottom: 32 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
/** An arrow key moves the point by this much in σ_w or σ_b; Page Up/Down by ten times as much in σ_w. */
const KEY_STEP = 0.05;
/** The smallest σ_w a pick gives: σ_w = 0 would zero every layer. */
const MIN_SIGMA_W = 0.05;

/** The critical line of each activation, computed once (tanh and sigmoid take a few ms). */
const lines = new Map<ActivationName, DiagramPoint[]>();
function cachedLine(name: ActivationName): DiagramPoint[] {
  let line = lines.get(name);
  if (!line) {
    line = criticalLine(name);
    lines.set(name, line);
  }
  return line;
}

const x = (sigmaW: number) => MARGIN.left + (Math.min(sigmaW, DIAGRAM_RANGE.sigmaW) / DIAGRAM_RANGE.sigmaW) * PLOT_W;
const y = (sigmaB: number) => MARGIN.top + (1 - Math.min(sigmaB, DIAGRAM_RANGE.sigmaB) / DIAGRAM_RANGE.sigmaB) * PLOT_H;
const points = (list: readonly DiagramPoint[]) => list.map((p) => `${x(p.sigmaW)},${y(p.sigmaB)}`).join(" ");

/** A point rounded to 2 decimals and held inside the diagram, as a pick moves the config there. */
export function pickOf(point: DiagramPoint): DiagramPoint {
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    sigmaW: round(Math.min(DIAGRAM_RANGE.sigmaW, Math.max(MIN_SIGMA_W, point.sigmaW))),
    sigmaB: round(Math.min(DIAGRAM_RANGE.sigmaB, Math.max(0, point.sigmaB))),
  };
}

/** "σ_w 1.50, σ_b 0.30: χ₁ 1.06, chaotic" for a point of an activation's diagram. */
export function pointText(name: ActivationName, point: DiagramPoint): string {
  const { chi1, phase } = phaseAt(name, point);
  return `σ_w ${point.sigmaW.toFixed(2)}, σ_b ${point.sigmaB.toFixed(2)}: χ₁ ${Number(chi1.toPrecision(3))}, ${phase}`;
}

function samePoint(a: DiagramPoint | null | undefined, b: DiagramPoint | null | undefined): boolean {
  return a === b || (!!a && !!b && a.sigmaW === b.sigmaW && a.sigmaB === b.sigmaB);
}

/** Whether a point lies inside the diagram's ranges. */
function inside(point: DiagramPoint): boolean {
  return point.sigmaW <= DIAGRAM_RANGE.sigmaW && point.sigmaB <= DIAGRAM_RANGE.sigmaB;
}

@customElement("gs-phase-diagram")
export class GsPhaseDiagram extends LitElement {
  static override styles = css`
    :host { display: block; --gs-ordered: rgba(37, 99, 235, 0.13); --gs-chaotic: rgba(220, 38, 38, 0.13);
      --gs-ordered-text: #1e3a8a; --gs-chaotic-text: #7f1d1d; }
    @media (prefers-color-scheme: dark) {
      :host { --gs-ordered: rgba(96, 165, 250, 0.2); --gs-chaotic: rgba(248, 113, 113, 0.2);
        --gs-ordered-text: #bfdbfe; --gs-chaotic-text: #fecaca; }
    }
    .plane { display: block; width: 100%; max-width: 24rem; border-radius: 6px; cursor: crosshair; touch-action: none; }
    .plane:focus-visible { outline: 2px solid var(--gs-accent, #2563eb); outline-offset: 2px; }
    svg { display: block; width: 100%; height: auto; overflow: visible; }
    text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: currentColor; }
    .axis-title { font-weight: 600; }
    .ordered { fill: var(--gs-ordered); }
    .chaotic { fill: var(--gs-chaotic); }
    .ordered-label { fill: var(--gs-ordered-text); font-weight: 650; }
    .chaotic-label { fill: var(--gs-chaotic-text); font-weight: 650; }
    .frame { fill: none; stroke: currentColor; stroke-opacity: 0.35; }
    .critical { fill: none; stroke: currentColor; stroke-width: 2; }
    .dot { fill: var(--gs-accent, #2563eb); stroke: var(--gs-bg, #fff); stroke-width: 2; }
    .cursor { fill: none; stroke: currentColor; stroke-width: 1.5; stroke-dasharray: 3 2; }
    .readout { margin: 0.25rem 0 0; font-size: 0.85rem; font-variant-numeric: tabular-nums; min-height: 1.3em; }
  `;

  /** The activation whose chain the diagram describes. */
  @property() activation: ActivationName = "tanh";
  /** The config's point, or null where its weights are not Gaussian-family (s·I, orthogonal); a new equal point does not redraw. */
  @property({ attribute: false, hasChanged: (a?: DiagramPoint | null, b?: DiagramPoint | null) => !samePoint(a, b) })
  point: DiagramPoint | null = null;
  /** What the config adds to a plain chain ("batch norm", "residual connections and layer norm"), or "" for a plain chain. */
  @property() beyond = "";
  /** The point under the pointer. */
  @state() private hover: DiagramPoint | null = null;
  private pendingMove: PointerEvent | null = null;

  override render() {
    const line = cachedLine(this.activation);
    const beyond = lineExtent(line) === "beyond";
    const label = `Phase diagram of plain ${this.activation} chains: σ_w on x from 0 to ${DIAGRAM_RANGE.sigmaW}, σ_b on y from 0 to ${DIAGRAM_RANGE.sigmaB}. Arrow keys move the config: left and right σ_w, up and down σ_b`;
    const current = this.point && inside(this.point) ? this.point : null;
    return html`<div class="plane" tabindex="0" role="slider" aria-roledescription="phase diagram" aria-label=${label}
        aria-valuemin="0" aria-valuemax=${DIAGRAM_RANGE.sigmaW} aria-valuenow=${this.point ? this.point.sigmaW.toFixed(2) : "0"}
        aria-valuetext=${this.point ? pointText(this.activation, this.point) : "no point: the weights are not Gaussian"}
        @keydown=${this.onKey} @pointermove=${this.onPointerMove} @pointerleave=${this.onPointerLeave} @click=${this.onClick}>
        <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" aria-hidden="true">
          ${this.regions(line, beyond)} ${this.axes()}
          ${current ? svg`<circle class="dot" cx=${x(current.sigmaW)} cy=${y(current.sigmaB)} r="5.5"></circle>` : nothing}
          ${this.hover ? svg`<circle class="cursor" cx=${x(this.hover.sigmaW)} cy=${y(this.hover.sigmaB)} r="5"></circle>` : nothing}
        </svg>
      </div>
      <p class="readout" id="readout">${this.readout()}</p>`;
  }

  /** The ordered and chaotic regions either side of the critical line, the line and the labels. */
  private regions(line: readonly DiagramPoint[], beyond: boolean) {
    const left = MARGIN.left;
    const right = MARGIN.left + PLOT_W;
    const top = MARGIN.top;
    const bottom = MARGIN.top + PLOT_H;
    if (beyond) {
      const sigmas = line.map((p) => p.sigmaW);
      const at = `${Math.min(...sigmas).toFixed(1)}–${Math.max(...sigmas).toFixed(1)}`;
      return svg`<rect class="ordered" x=${left} y=${top} width=${PLOT_W} height=${PLOT_H}></rect>
        <text class="ordered-label" x=${left + PLOT_W / 2} y=${top + PLOT_H / 2 - 8} text-anchor="middle">ordered: χ₁ &lt; 1 everywhere here</text>
        <text x=${left + PLOT_W / 2} y=${top + PLOT_H / 2 + 8} text-anchor="middle">χ₁ = 1 lies at σ_w ≈ ${at}</text>`;
    }
    const ordered = `${left},${bottom} ${points(line)} ${left},${top}`;
    const chaotic = `${points(line)} ${right},${top} ${right},${bottom}`;
    const mid = line[Math.floor(line.length / 2)] ?? { sigmaW: 1, sigmaB: 0.5 };
    const topPoint = line.at(-1) ?? mid;
    return svg`<polygon class="ordered" points=${ordered}></polygon>
      <polygon class="chaotic" points=${chaotic}></polygon>
      <polyline class="critical" points=${points(line)}></polyline>
      <text class="ordered-label" x=${(left + x(line[0]?.sigmaW ?? 1)) / 2} y=${y(0.12)} text-anchor="middle">ordered</text>
      <text class="chaotic-label" x=${(x(mid.sigmaW) + right) / 2} y=${y(0.45)} text-anchor="middle">chaotic</text>
      <text x=${x(topPoint.sigmaW) + 5} y=${y(0.9)}>χ₁ = 1</text>`;
  }

  private axes() {
    const bottom = MARGIN.top + PLOT_H;
    const ticksW = Array.from({ length: DIAGRAM_RANGE.sigmaW + 1 }, (_, i) => i);
    const ticksB = [0, 0.5, 1];
    return svg`<rect class="frame" x=${MARGIN.left} y=${MARGIN.top} width=${PLOT_W} height=${PLOT_H}></rect>
      ${ticksW.map((t) => svg`<text x=${x(t)} y=${bottom + 13} text-anchor="middle">${t}</text>`)}
      ${ticksB.map((t) => svg`<text x=${MARGIN.left - 5} y=${y(t) + 4} text-anchor="end">${t}</text>`)}
      <text class="axis-title" x=${MARGIN.left + PLOT_W / 2} y=${HEIGHT - 2} text-anchor="middle">σ_w (weights)</text>
      <text class="axis-title" transform="translate(10 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">σ_b (biases)</text>`;
  }

  /** What the pointer is over, else the config's point, with χ₁ and the phase there. */
  private readout(): string {
    if (this.hover) return `${pointText(this.activation, this.hover)}; click to run it`;
    if (this.point) {
      // The diagram's χ₁ is a plain chain's: a config with more is read as the plain chain of its weights.
      const which = this.beyond ? `This config's weights in a plain chain, without its ${this.beyond}` : "This config";
      return `${which}: ${pointText(this.activation, this.point)}`;
    }
    return "";
  }

  /** The diagram's point under a pointer event (viewBox units to σ_w, σ_b), or null outside the plot area. */
  private pointAt(event: MouseEvent): DiagramPoint | null {
    const svgElement = this.renderRoot.querySelector("svg");
    const matrix = svgElement?.getScreenCTM();
    if (!svgElement || !matrix) return null;
    const at = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    const sigmaW = ((at.x - MARGIN.left) / PLOT_W) * DIAGRAM_RANGE.sigmaW;
    const sigmaB = (1 - (at.y - MARGIN.top) / PLOT_H) * DIAGRAM_RANGE.sigmaB;
    const slack = 0.02;
    if (sigmaW < -slack || sigmaW > DIAGRAM_RANGE.sigmaW + slack) return null;
    if (sigmaB < -slack || sigmaB > DIAGRAM_RANGE.sigmaB + slack) return null;
    return pickOf({ sigmaW, sigmaB });
  }

  /** Pointer moves coalesce to one read-out per animation frame (χ₁ there costs a fixed point). */
  private onPointerMove = (event: PointerEvent) => {
    if (!this.pendingMove) {
      requestAnimationFrame(() => {
        const move = this.pendingMove;
        this.pendingMove = null;
        if (move) this.hover = this.pointAt(move);
      });
    }
    this.pendingMove = event;
  };

  private onPointerLeave = () => {
    this.pendingMove = null;
    this.hover = null;
  };

  private onClick = (event: MouseEvent) => {
    const point = this.pointAt(event);
    if (point) this.pick(point);
  };

  /** Arrow keys move the point by KEY_STEP (from the config's point, else from σ_w = 1, σ_b = 0); each move is a pick. */
  private onKey = (event: KeyboardEvent) => {
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-KEY_STEP, 0],
      ArrowRight: [KEY_STEP, 0],
      ArrowDown: [0, -KEY_STEP],
      ArrowUp: [0, KEY_STEP],
      PageDown: [-10 * KEY_STEP, 0],
      PageUp: [10 * KEY_STEP, 0],
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const from = this.point ?? { sigmaW: 1, sigmaB: 0 };
    this.pick(pickOf({ sigmaW: from.sigmaW + move[0], sigmaB: from.sigmaB + move[1] }));
  };

  private pick(point: DiagramPoint): void {
    this.dispatchEvent(
      new CustomEvent<DiagramPoint>("gs-phase-pick", { detail: point, bubbles: true, composed: true }),
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-phase-diagram": GsPhaseDiagram;
  }
}
