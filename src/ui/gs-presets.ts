/** <gs-presets>: the lecture and the textbook's broken inits, each group beside its cure, one click each. */
import { css, html, LitElement } from "lit";
import { customElement, property } from "lit/decorators.js";
import { PRESET_GROUPS, type Preset } from "../core/presets";
import { superscriptPowers } from "./chart-model";

@customElement("gs-presets")
export class GsPresets extends LitElement {
  static override styles = css`
    :host { display: grid; gap: 0.75rem; }
    section { display: grid; gap: 0.35rem; }
    h3 { font-size: 0.85rem; margin: 0; font-weight: 650; opacity: 0.85; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem;
      grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); }
    button { width: 100%; height: 100%; display: flex; flex-direction: column; align-items: flex-start; text-align: left; font: inherit; padding: 0.5rem 0.7rem; border-radius: 8px;
      cursor: pointer; border: 1px solid var(--gs-border, #9ca3af); background: var(--gs-field, transparent); color: inherit; }
    .cure button { border-style: dashed; border-color: var(--gs-cure, #15803d); }
    button[aria-pressed="true"] { border-style: solid; border-color: var(--gs-accent, #2563eb);
      box-shadow: inset 0 0 0 1px var(--gs-accent, #2563eb); }
    .title { font-weight: 650; display: block; }
    .kind { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.04em; opacity: 0.75; display: block; }
    .caption { font-size: 0.85rem; opacity: 0.85; display: block; margin-top: 0.2rem; }
  `;

  /** Id of the preset the current config equals, if any. */
  @property() active: string | null = null;

  private button(preset: Preset, kind: "problem" | "cure") {
    return html`<li class=${kind}>
      <button type="button" data-preset=${preset.id} aria-pressed=${preset.id === this.active ? "true" : "false"}
        @click=${() => this.dispatchEvent(new CustomEvent("gs-preset", { detail: preset.id, bubbles: true, composed: true }))}>
        <span class="kind" id="${preset.id}-kind">${kind}</span>
        <span class="title" id="${preset.id}-title">${preset.title}</span>
        <span class="caption" id="${preset.id}-caption">${superscriptPowers(preset.caption)}</span>
      </button>
    </li>`;
  }

  override render() {
    return PRESET_GROUPS.map(
      (group) => html`<section aria-label=${group.title}>
        <h3>${group.title}</h3>
        <ul>
          ${group.diseases.map((preset) => this.button(preset, "problem"))} ${this.button(group.cure, "cure")}
        </ul>
      </section>`,
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-presets": GsPresets;
  }
}
