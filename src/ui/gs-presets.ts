/** <gs-presets>: the lecture and its cures, one click each, with what to look for. */
import { css, html, LitElement } from "lit";
import { customElement, property } from "lit/decorators.js";
import { PRESETS } from "../core/presets";

@customElement("gs-presets")
export class GsPresets extends LitElement {
  static override styles = css`
    :host { display: block; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem;
      grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); }
    button { width: 100%; text-align: left; font: inherit; padding: 0.5rem 0.7rem; border-radius: 8px; cursor: pointer;
      border: 1px solid var(--gs-border, #9ca3af); background: var(--gs-field, transparent); color: inherit; }
    button[aria-pressed="true"] { border-color: var(--gs-accent, #2563eb); box-shadow: inset 0 0 0 1px var(--gs-accent, #2563eb); }
    .title { font-weight: 650; display: block; }
    .caption { font-size: 0.85rem; opacity: 0.85; display: block; margin-top: 0.2rem; }
  `;

  /** Id of the preset the current config equals, if any. */
  @property() active: string | null = null;

  override render() {
    return html`<ul>
      ${PRESETS.map(
        (preset) => html`<li>
          <button type="button" data-preset=${preset.id} aria-pressed=${preset.id === this.active ? "true" : "false"}
            @click=${() => this.dispatchEvent(new CustomEvent("gs-preset", { detail: preset.id, bubbles: true, composed: true }))}>
            <span class="title">${preset.title}</span>
            <span class="caption">${preset.caption}</span>
          </button>
        </li>`,
      )}
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-presets": GsPresets;
  }
}
