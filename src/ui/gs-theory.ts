/**
 * <gs-theory>: what theory says of the run on the chart (its model, χ₁, q*, the depth scales and the
 * phase, or why no model applies), beside the phase diagram of the current config's activation with a
 * dot at its (σ_w, σ_b). The diagram's `gs-phase-pick` bubbles up to the lab, which moves the config.
 */
import { css, html, LitElement, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { RunConfig } from "../core/config";
import type { RunResult } from "../core/result";
import { configPoint, diagramNotes, plainChainExtras, theoryAbsence, theoryFacts } from "../core/theory-reading";
import "./gs-phase-diagram";

@customElement("gs-theory")
export class GsTheory extends LitElement {
  static override styles = css`
    :host { display: block; }
    .columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 17rem), 1fr)); gap: 0.75rem 1.5rem;
      align-items: start; }
    dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.3rem 0.75rem; margin: 0; font-size: 0.9rem; }
    dt { font-weight: 600; }
    dd { margin: 0; font-variant-numeric: tabular-nums; }
    .absent { margin: 0; font-size: 0.9rem; }
    figure { margin: 0; }
    figcaption { font-size: 0.8rem; opacity: 0.85; display: grid; gap: 0.15rem; margin-top: 0.2rem; }
    figcaption p { margin: 0; }
  `;

  /** The run on the chart, whose theory the lines read; null before the first run. */
  @property({ attribute: false }) result: RunResult | null = null;
  /** The current config, whose point the diagram shows (it may be computing, newer than the result's). */
  @property({ attribute: false }) config: RunConfig | null = null;

  override render() {
    return html`<div class="columns">
      <div class="reading" id="theory-reading">${this.renderReading()}</div>
      ${this.config ? this.renderDiagram(this.config) : nothing}
    </div>`;
  }

  /** The theory's lines for the run on the chart, or why there are none. */
  private renderReading() {
    const result = this.result;
    if (!result) return html`<p class="absent">No run yet.</p>`;
    const theory = result.theory;
    if (!theory) {
      const reason = theoryAbsence(result.config) ?? "the input has no finite RMS to start the prediction from";
      return html`<p class="absent" id="theory-absent"><strong>No prediction for this config:</strong> ${reason}.</p>`;
    }
    return html`<dl>
      ${theoryFacts(theory, result.config).map((fact) => html`<dt>${fact.label}</dt><dd>${fact.value}</dd>`)}
    </dl>`;
  }

  private renderDiagram(config: RunConfig) {
    return html`<figure>
      <gs-phase-diagram
        .activation=${config.activation}
        .point=${configPoint(config)}
        .beyond=${plainChainExtras(config).join(" and ")}
      ></gs-phase-diagram>
      <figcaption>${diagramNotes(config).map((note) => html`<p>${note}</p>`)}</figcaption>
    </figure>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-theory": GsTheory;
  }
}
