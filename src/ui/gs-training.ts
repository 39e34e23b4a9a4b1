/**
 * <gs-training>: the training's play, pause, step and reset, the step counter ("step 37 of 500"),
 * the current loss and, when the training failed, why. Emits `gs-train` with the button pressed;
 * the lab owns the trainer.
 */
import { css, html, LitElement, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { Backend } from "../core/result";
import { lossValueText } from "./training-model";
import { currentStep, TRAINING_OFF, type TrainingView } from "./training-session";

/** What a button of the training asks for. */
export type TrainingAction = "play" | "pause" | "step" | "reset";

const BACKEND_TEXT: Record<Backend, string> = { webgpu: "on the GPU", cpu: "on the CPU (float64 reference)" };

@customElement("gs-training")
export class GsTraining extends LitElement {
  static override styles = css`
    :host { display: grid; gap: 0.4rem; }
    .buttons { display: flex; flex-wrap: wrap; gap: 0.4rem; }
    button { font: inherit; padding: 0.3rem 0.7rem; border-radius: 6px; border: 1px solid var(--gs-border, #9ca3af);
      background: var(--gs-field, transparent); color: inherit; cursor: pointer; }
    button:disabled { opacity: 0.45; cursor: not-allowed; border-style: dashed; }
    #train-play:not(:disabled) { border-color: var(--gs-accent, #2563eb); box-shadow: inset 0 0 0 1px var(--gs-accent, #2563eb); }
    .icon { display: inline-block; min-width: 1em; }
    .progress { margin: 0; display: flex; flex-wrap: wrap; gap: 0 0.75rem; font-variant-numeric: tabular-nums; }
    #train-counter { font-weight: 600; }
    .phase { font-size: 0.85rem; opacity: 0.8; }
    progress { width: 100%; height: 0.5rem; accent-color: var(--gs-accent, #2563eb); }
    .error { margin: 0; padding: 0.4rem 0.6rem; border-radius: 8px; background: var(--gs-error-bg, #fee2e2); color: #7f1d1d;
      font-size: 0.9rem; overflow-wrap: anywhere; }
  `;

  /** The training as the session reports it. */
  @property({ attribute: false }) view: TrainingView = TRAINING_OFF;
  /** The steps T the config's training would run (shown before it starts). */
  @property({ type: Number }) steps = 0;
  /** The loss at step 0 before the training starts: the single pass's. */
  @property({ attribute: false }) initialLoss: number | null | undefined = undefined;
  /** The config cannot train (tracked numerics): every button is off. */
  @property({ type: Boolean }) unavailable = false;

  private emit(action: TrainingAction): void {
    this.dispatchEvent(new CustomEvent<TrainingAction>("gs-train", { detail: action, bubbles: true, composed: true }));
  }

  /** What the run is doing, in a few words. */
  private phaseText(): string {
    const { phase, backend, busy } = this.view;
    const where = backend ? ` ${BACKEND_TEXT[backend]}` : "";
    if (phase === "playing") return `training${where}…`;
    if (phase === "paused") return busy ? `stepping${where}…` : "paused";
    if (phase === "done") return "done";
    if (phase === "failed") return "stopped";
    return "not started";
  }

  override render() {
    const { phase, busy, loss, config, error } = this.view;
    const total = config?.train?.steps ?? this.steps;
    const step = currentStep(this.view);
    const shownLoss = loss.length > 0 ? loss.at(-1) : this.initialLoss;
    const idle = !this.unavailable && !busy && (phase === "off" || phase === "paused" || phase === "failed");
    return html`<div class="buttons" role="group" aria-label="Run the training">
        <button type="button" id="train-play" ?disabled=${!idle} @click=${() => this.emit("play")}>
          <span class="icon" aria-hidden="true">▶</span> Play</button>
        <button type="button" id="train-pause" ?disabled=${phase !== "playing"} @click=${() => this.emit("pause")}>
          <span class="icon" aria-hidden="true">❚❚</span> Pause</button>
        <button type="button" id="train-step" ?disabled=${!idle} title="One more step" @click=${() => this.emit("step")}>
          <span class="icon" aria-hidden="true">⇥</span> Step</button>
        <button type="button" id="train-reset" ?disabled=${phase === "off"} title="Back to step 0"
          @click=${() => this.emit("reset")}><span class="icon" aria-hidden="true">↺</span> Reset</button>
      </div>
      <p class="progress">
        <span id="train-counter">step ${step} of ${total}</span>
        <span id="train-loss">loss ${lossValueText(shownLoss)}</span>
        <span class="phase">${this.phaseText()}</span>
      </p>
      <progress max=${Math.max(1, total)} .value=${step} aria-label="Training progress"></progress>
      ${error ? html`<p class="error" id="train-error" role="alert">${error}</p>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-training": GsTraining;
  }
}
