/**
 * <gs-controls>: a control for every field of the config. Sliders for continuous values (sizes and
 * scales on logarithmic sliders), the exact number editable beside each, and a reseed button; last,
 * the training's steps, optimizer (with its own extras) and learning rate, with the page's play,
 * pause, step and reset slotted under them. Emits `gs-change` with one field's new raw value; shows
 * the API's validation message inline.
 */
import { css, html, LitElement, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import { live } from "lit/directives/live.js";
import { ACTIVATION_NAMES } from "../core/activations";
import {
  type ConfigError,
  DEFAULT_TRAINING,
  describe,
  INIT_SCHEMES,
  INPUTS,
  type InitConfig,
  LIMITS,
  MAX_RESIDUAL,
  NORMS,
  NUMERICS,
  OPTIMIZERS,
  residualForDepth,
  TARGETS,
  TRAIN_DEFAULTS,
  TRAIN_LIMITS,
} from "../core/config";

/** A field of the draft config, as the validation error names it. */
export type ControlField =
  | "depth"
  | "width"
  | "batch"
  | "activation"
  | "init.scheme"
  | "init.scale"
  | "init.sigma"
  | "init.gain"
  | "biasSigma"
  | "residualMode"
  | "residual"
  | "norm"
  | "input"
  | "target"
  | "seed"
  | "numerics"
  | TrainingField;

/** A field of the training, as the validation error names it. */
export type TrainingField =
  | "train.steps"
  | "train.optimizer"
  | "train.learningRate"
  | "train.momentum"
  | "train.beta1"
  | "train.beta2"
  | "train.epsilon";

export interface ControlChange {
  field: ControlField;
  value: unknown;
  /** false while a slider is dragged, true when the value is settled (history gets an entry). */
  commit: boolean;
}

/** The config as typed so far: the same shape as a config, values possibly invalid. */
export type DraftConfig = Record<string, unknown> & { init: Record<string, unknown> };

interface SliderSpec {
  min: number;
  max: number;
  log: boolean;
  integer: boolean;
  /** Position 0 of a log slider stands for 0 (biasSigma). */
  zeroAtMin?: boolean;
}

const SLIDERS: Partial<Record<ControlField, SliderSpec>> = {
  depth: { ...LIMITS.depth, log: true, integer: true },
  width: { ...LIMITS.width, log: true, integer: true },
  batch: { ...LIMITS.batch, log: true, integer: true },
  "init.scale": { min: 0, max: 2, log: false, integer: false },
  "init.sigma": { min: 0.1, max: 10, log: true, integer: false },
  "init.gain": { min: 0.1, max: 10, log: true, integer: false },
  biasSigma: { min: 0.001, max: 10, log: true, integer: false, zeroAtMin: true },
  residual: { min: 0.01, max: MAX_RESIDUAL, log: true, integer: false, zeroAtMin: true },
  "train.steps": { ...TRAIN_LIMITS.steps, log: true, integer: true },
  "train.learningRate": { min: 1e-5, max: 10, log: true, integer: false },
};

/** Residual connections as the switch shows them: off is the config's null, on has an α. */
export const RESIDUAL_MODES = ["off", "on"] as const;

/** Whether `depth` is a depth the config takes (an integer in LIMITS.depth). */
export function isDepth(depth: unknown): depth is number {
  return typeof depth === "number" && Number.isInteger(depth) && depth >= LIMITS.depth.min && depth <= LIMITS.depth.max;
}

const STEPS = 1000;

/** What a screen reader says for a slider's value: "300 layers", "s = 1.5", "α = 0.0707" (4 digits at most). */
export function valueText(field: ControlField, value: unknown): string {
  const units: Partial<Record<ControlField, string>> = {
    depth: "layers",
    width: "units",
    batch: "examples",
    "train.steps": "steps",
  };
  const symbols: Partial<Record<ControlField, string>> = {
    "init.scale": "s",
    "init.sigma": "σ",
    "init.gain": "k",
    biasSigma: "bias σ",
    residual: "α",
    "train.learningRate": "η",
  };
  const unit = units[field];
  if (unit) return `${value} ${value === 1 ? unit.replace(/s$/, "") : unit}`;
  const shown = typeof value === "number" ? Number(value.toPrecision(4)) : value;
  return `${symbols[field] ?? field} = ${shown}`;
}

/** Slider position 0..STEPS of a value. */
export function sliderPosition(spec: SliderSpec, value: number): number {
  if (!Number.isFinite(value)) return 0;
  if (spec.zeroAtMin && value <= 0) return 0;
  const clamped = Math.min(spec.max, Math.max(spec.min, value));
  const t = spec.log
    ? Math.log(clamped / spec.min) / Math.log(spec.max / spec.min)
    : (clamped - spec.min) / (spec.max - spec.min);
  return Math.round(t * STEPS);
}

/** The value at slider position 0..STEPS, rounded to what a person would type. */
export function sliderValue(spec: SliderSpec, position: number): number {
  const t = position / STEPS;
  if (spec.zeroAtMin && position === 0) return 0;
  const raw = spec.log ? spec.min * (spec.max / spec.min) ** t : spec.min + t * (spec.max - spec.min);
  if (spec.integer) return Math.round(raw);
  return Number(raw.toPrecision(3));
}

const LABELS: Record<ControlField, string> = {
  depth: "Depth L (layers)",
  width: "Width n",
  batch: "Batch B",
  activation: "Activation",
  "init.scheme": "Initialization",
  "init.scale": "Scale s (W = s·I)",
  "init.sigma": "σ (entries N(0, σ²/n))",
  "init.gain": "Gain k",
  biasSigma: "Bias σ",
  residualMode: "Residual connections",
  residual: "Residual α",
  norm: "Normalization of z_l",
  input: "Input x",
  target: "Target y",
  seed: "Seed",
  numerics: "Numerics",
  "train.steps": "Steps",
  "train.optimizer": "Optimizer",
  "train.learningRate": "Learning rate η",
  "train.momentum": "Momentum μ",
  "train.beta1": "Adam β₁",
  "train.beta2": "Adam β₂",
  "train.epsilon": "Adam ε",
};

/** What an init scheme draws, beside its name in the list (the value stays the SPEC's name). */
const SCHEME_TEXT: Record<string, string> = {
  identity: "identity: W = s·I",
  gaussian: "gaussian: N(0, σ²/n)",
  normal: "normal: N(0, σ²), plain randn",
  xavier_normal: "xavier_normal: N(0, k²/n)",
  xavier_uniform: "xavier_uniform: U(±k·√(3/n))",
  he_normal: "he_normal: N(0, 2k²/n)",
  he_uniform: "he_uniform: U(±k·√(6/n))",
  lecun_normal: "lecun_normal: N(0, k²/n)",
  orthogonal: "orthogonal: k·Q, Q orthogonal",
};

/** What each choice of a list means, beside its name (the value stays the SPEC's name). */
const OPTION_TEXT: Partial<Record<ControlField, Record<string, string>>> = {
  "init.scheme": SCHEME_TEXT,
  residualMode: { off: "off: a_l = g(ẑ_l)", on: "on: a_l = a_{l−1} + α·g(ẑ_l)" },
  norm: { none: "none", layer: "layer: per example", batch: "batch: per unit" },
  "train.optimizer": {
    sgd: "sgd: W ← W − η·g",
    momentum: "momentum: v ← μv + g, W ← W − η·v",
    adam: "adam: about η per weight and step",
  },
};

/** What a field accepts, in the words on screen, where the API's words name something the page does not show. */
const ALLOWED: Partial<Record<ControlField, string>> = {
  residual: `a number in [0, ${MAX_RESIDUAL}] (or Residual connections off)`,
};

/** A short explanation under a control whose name alone says little. */
const HINTS: Partial<Record<ControlField, string>> = {
  "init.gain": "k multiplies the scheme's standard deviation; k = 1 is the scheme as published.",
  "init.scale": "Every layer multiplies by s: |s| > 1 explodes, |s| < 1 vanishes.",
  numerics:
    "float32: what training sees, overflow to ∞ and underflow to 0 included. float16, bfloat16: every stored " +
    "value rounded to that format, sums in float32 (float16 overflows past 65504; bfloat16 keeps float32's range " +
    "with 8 significant bits). tracked: the true magnitudes " +
    "(float32 values times a power of two kept apart), so nothing overflows; the chart's band shows float32's range.",
  target: "The loss is ½‖a_L − y‖² averaged over the batch; its gradient at layer L is a_L − y.",
  residual:
    "Each layer adds α times its branch to the layer before. 1/√L keeps the sum of L branches of order 1 at any " +
    "depth: set with the button, α follows the depth until you set another.",
  "train.steps":
    "Full-batch steps on this batch and target. Play or Step trains; a change of any setting starts again at step 0.",
  "train.learningRate": "Each SGD step moves every weight by η times its gradient; too large and the loss goes to ∞.",
  norm:
    "ẑ_l = (z_l − μ)/σ before the activation, over each example's n units (layer) or each unit's B examples " +
    "(batch), ε = 1e-5, no learned scale or shift. Batch norm couples the examples of a batch.",
};

function hint(field: ControlField) {
  const text = HINTS[field];
  return text ? html`<div class="hint" id="${field}-hint">${text}</div>` : nothing;
}

/** Which parameter an init scheme takes. */
export function initParamField(scheme: unknown): "init.scale" | "init.sigma" | "init.gain" {
  if (scheme === "identity") return "init.scale";
  if (scheme === "gaussian" || scheme === "normal") return "init.sigma";
  return "init.gain";
}

const OPTIONS: Partial<Record<ControlField, readonly string[]>> = {
  activation: ACTIVATION_NAMES,
  "init.scheme": INIT_SCHEMES,
  residualMode: RESIDUAL_MODES,
  norm: NORMS,
  input: INPUTS,
  target: TARGETS,
  numerics: NUMERICS,
  "train.optimizer": OPTIMIZERS,
};

/** The optimizer's own fields, shown while it is chosen. */
const OPTIMIZER_FIELDS: Record<string, TrainingField[]> = {
  sgd: [],
  momentum: ["train.momentum"],
  adam: ["train.beta1", "train.beta2", "train.epsilon"],
};

/** A training field's value where the draft leaves it out: the training every run starts from. */
function trainingDefault(key: string): unknown {
  return (DEFAULT_TRAINING as Record<string, unknown>)[key] ?? (TRAIN_DEFAULTS as Record<string, unknown>)[key];
}

@customElement("gs-controls")
export class GsControls extends LitElement {
  static override styles = css`
    :host { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.75rem; }
    .field { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.2rem; }
    label { font-weight: 600; font-size: 0.9rem; }
    .row { display: flex; gap: 0.5rem; align-items: center; }
    input[type="range"] { flex: 1; min-width: 0; accent-color: var(--gs-accent, #2563eb); }
    input[type="number"], select { font: inherit; padding: 0.25rem 0.4rem; border-radius: 6px;
      border: 1px solid var(--gs-border, #9ca3af); background: var(--gs-field, transparent); color: inherit; }
    input[type="number"] { width: 7rem; }
    select { width: 100%; }
    button { font: inherit; padding: 0.3rem 0.7rem; border-radius: 6px; border: 1px solid var(--gs-border, #9ca3af);
      background: var(--gs-field, transparent); color: inherit; cursor: pointer; }
    button[aria-pressed="true"] { border-color: var(--gs-accent, #2563eb); box-shadow: inset 0 0 0 1px var(--gs-accent, #2563eb); }
    button:disabled { opacity: 0.45; cursor: not-allowed; border-style: dashed; }
    .error { color: var(--gs-error, #b91c1c); font-size: 0.85rem; }
    .hint { font-size: 0.8rem; opacity: 0.8; }
    [aria-invalid="true"] { border-color: var(--gs-error, #b91c1c); }
    fieldset { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.75rem; min-width: 0; margin: 0.25rem 0 0;
      padding: 0.5rem 0.75rem 0.75rem; border: 1px solid var(--gs-border, #9ca3af); border-radius: 8px; }
    legend { font-weight: 650; padding: 0 0.3rem; }
  `;

  /** The config as typed so far. */
  @property({ attribute: false }) draft: DraftConfig | null = null;
  /** Every validation error, each shown next to its field in the words on screen. */
  @property({ attribute: false }) errors: readonly ConfigError[] = [];

  private emit(field: ControlField, value: unknown, commit: boolean): void {
    this.dispatchEvent(
      new CustomEvent<ControlChange>("gs-change", { detail: { field, value, commit }, bubbles: true, composed: true }),
    );
  }

  private value(field: ControlField): unknown {
    const draft = this.draft;
    if (!draft) return undefined;
    if (field.startsWith("init.")) return draft.init[field.slice(5)];
    if (field === "residualMode") return draft.residual === null ? "off" : "on";
    if (field.startsWith("train.")) {
      const key = field.slice(6);
      const train = draft.train as Record<string, unknown> | undefined;
      return train?.[key] ?? trainingDefault(key);
    }
    return draft[field];
  }

  private errorOf(field: ControlField): ConfigError | undefined {
    return this.errors.find((e) => e.field === field || (field === "init.scheme" && e.field === "init"));
  }

  private errorFor(field: ControlField, label: string) {
    const error = this.errorOf(field);
    if (!error) return nothing;
    const allowed = ALLOWED[field] ?? error.allowed;
    return html`<div class="error" id="${field}-error" role="alert">${label} must be ${allowed}, got ${describe(error.got)}</div>`;
  }

  private invalid(field: ControlField): "true" | "false" {
    return this.errorOf(field) ? "true" : "false";
  }

  private numberField(field: ControlField) {
    const spec = SLIDERS[field];
    const raw = this.value(field);
    const text = raw === undefined || raw === null ? "" : String(raw);
    // A number box whose text is not a number reports "" (the browser hides the text): say so instead.
    const readNumber = (input: HTMLInputElement) =>
      input.validity.badInput
        ? "text that is not a number"
        : input.value.trim() === ""
          ? input.value
          : Number(input.value);
    const label =
      field === "init.sigma" && this.draft?.init.scheme === "normal" ? "σ (entries N(0, σ²))" : LABELS[field];
    return html`<div class="field">
      <label for="${field}">${label}</label>
      <div class="row">
        ${
          spec
            ? html`<input type="range" min="0" max="${STEPS}" step="1" aria-label="${label} slider"
                aria-valuetext=${valueText(field, raw)}
                data-field="${field}" .value=${String(sliderPosition(spec, Number(raw)))}
                @input=${(e: Event) => this.emit(field, sliderValue(spec, Number((e.target as HTMLInputElement).value)), false)}
                @change=${(e: Event) => this.emit(field, sliderValue(spec, Number((e.target as HTMLInputElement).value)), true)} />`
            : nothing
        }
        <input id="${field}" type="number" step="any" .value=${text} aria-invalid=${this.invalid(field)}
          aria-describedby="${field}-error ${field}-hint"
          @change=${(e: Event) => this.emit(field, readNumber(e.target as HTMLInputElement), true)} />
        ${field === "seed" ? html`<button type="button" id="reseed" @click=${this.reseed}>Reseed</button>` : nothing}
        ${field === "residual" ? this.sqrtDepthButton() : nothing}
      </div>
      ${this.errorFor(field, label)} ${hint(field)}
    </div>`;
  }

  private selectField(field: ControlField) {
    const options = OPTIONS[field] ?? [];
    const current = String(this.value(field));
    return html`<div class="field">
      <label for="${field}">${LABELS[field]}</label>
      <select id="${field}" aria-invalid=${this.invalid(field)} aria-describedby="${field}-error ${field}-hint"
        @change=${(e: Event) => this.emit(field, (e.target as HTMLSelectElement).value, true)}>
        ${options.map(
          (option) =>
            // The live property, not the attribute: once a person has picked an option, the attribute no
            // longer moves the choice, and a preset or the URL must.
            html`<option value=${option} .selected=${live(option === current)}>${OPTION_TEXT[field]?.[option] ?? option}</option>`,
        )}
      </select>
      ${this.errorFor(field, LABELS[field])} ${hint(field)}
    </div>`;
  }

  /** Sets α = 1/√L of the draft's depth; pressed while α equals it (and so follows the depth). */
  private sqrtDepthButton() {
    const depth = this.draft?.depth;
    const valid = isDepth(depth);
    const follows = valid && this.draft?.residual === residualForDepth(depth);
    return html`<button type="button" id="residual-sqrt-depth" aria-pressed=${follows ? "true" : "false"}
      aria-label="1/√L: α follows the depth" ?disabled=${!valid}
      @click=${() => valid && this.emit("residual", residualForDepth(depth), true)}>1/√L</button>`;
  }

  private reseed = () => {
    const words = new Uint32Array(1);
    crypto.getRandomValues(words);
    this.emit("seed", words[0], true);
  };

  override render() {
    if (!this.draft) return nothing;
    const scheme = (this.draft.init as Partial<InitConfig>).scheme;
    return html`
      ${this.numberField("depth")} ${this.numberField("width")} ${this.numberField("batch")}
      ${this.selectField("activation")} ${this.selectField("init.scheme")} ${this.numberField(initParamField(scheme))}
      ${this.numberField("biasSigma")} ${this.selectField("residualMode")}
      ${this.draft.residual === null ? nothing : this.numberField("residual")} ${this.selectField("norm")}
      ${this.selectField("input")} ${this.selectField("target")}
      ${this.numberField("seed")} ${this.selectField("numerics")} ${this.renderTraining()}
    `;
  }

  /**
   * The training's fields, with the page's play, pause, step and reset slotted below them; disabled
   * with a note in tracked numerics, which cannot train.
   */
  private renderTraining() {
    const tracked = this.draft?.numerics === "tracked";
    const optimizer = String(this.value("train.optimizer"));
    return html`<fieldset class="training" ?disabled=${tracked} aria-describedby=${tracked ? "training-note" : nothing}>
      <legend>Training</legend>
      ${
        tracked
          ? html`<p class="hint" id="training-note">Training updates stored weights: set Numerics to float32, float16 or bfloat16 to train.</p>`
          : nothing
      }
      ${this.numberField("train.steps")} ${this.selectField("train.optimizer")} ${this.numberField("train.learningRate")}
      ${(OPTIMIZER_FIELDS[optimizer] ?? []).map((field) => this.numberField(field))}
      <slot name="training"></slot>
    </fieldset>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-controls": GsControls;
  }
}
