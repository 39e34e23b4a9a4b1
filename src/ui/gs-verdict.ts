/**
 * <gs-verdict>: the run's reading in one sentence — vanishing, exploding or stable, and where float32
 * breaks — and, where theory predicts the run, a second on how far the measured growth is from it.
 */
import { css, html, LitElement, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { RunResult } from "../core/result";
import { verdict } from "../core/verdict";
import { superscriptPowers } from "./chart-model";

@customElement("gs-verdict")
export class GsVerdict extends LitElement {
  static override styles = css`
    :host { display: block; }
    p { margin: 0; font-size: 1.05rem; }
    .kind { font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; font-size: 0.8rem;
      padding: 0.1rem 0.45rem; border-radius: 999px; margin-right: 0.5rem; vertical-align: 0.1em;
      background: var(--gs-kind-bg, #e5e7eb); }
    .vanishing { background: var(--gs-vanishing, #bfdbfe); color: #1e3a8a; }
    .exploding, .broken { background: var(--gs-exploding, #fecaca); color: #7f1d1d; }
    .stable { background: var(--gs-stable, #bbf7d0); color: #14532d; }
    .qualifier { font-weight: 600; }
    .hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  `;

  @property({ attribute: false }) result: RunResult | null = null;
  /** Only the word (a badge beside the chart on narrow screens), not the sentence. */
  @property({ type: Boolean }) compact = false;
  /** Words before the sentence saying which network it reads ("At initialization (step 0):"), where the chart shows another. */
  @property() qualifier: string | null = null;

  override render() {
    if (!this.result) return nothing;
    const reading = verdict(this.result);
    if (this.compact) return html`<span class="kind ${reading.kind}">${reading.kind}</span>`;
    // The badge and the sentence are separate words to a screen reader too: a hidden colon between them.
    const qualifier = this.qualifier ? html`<span class="qualifier">${this.qualifier} </span>` : nothing;
    const theory = reading.theory ? html` <span id="theory">${reading.theory.text}</span>` : nothing;
    return html`<p><span class="kind ${reading.kind}">${reading.kind}</span><span class="hidden">: </span>${qualifier}<span
      id="text">${superscriptPowers(reading.text)}</span>${theory}</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-verdict": GsVerdict;
  }
}
