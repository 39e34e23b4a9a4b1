/**
 * <gs-lab>: the coordinator. Owns the config (as typed and as validated), the URL, the runs, the
 * last result and the training; the views (controls, training buttons, presets, charts, verdict)
 * only render what it hands them and report what the user did.
 */
import { css, html, LitElement, nothing } from "lit";
import { customElement, query, state } from "lit/decorators.js";
import { type ConfigError, checkDraft, type RunConfig, validateConfig } from "../core/config";
import { PRESETS } from "../core/presets";
import type { RunResult, TrainingRecord } from "../core/result";
import { searchToConfig } from "../core/settings";
import type { DiagramPoint } from "../core/theory-reading";
import { verdict } from "../core/verdict";
import { CapacityError } from "../gpu/plan";
import { superscriptPowers } from "./chart-model";
import { applyChange, applyDiagramPoint, DraftMemory, toDraft, trainableDraft } from "./draft";
import { configSummary, download, exportName, lossText, resultToCsv, resultToJson } from "./export";
import type { GsChart } from "./gs-chart";
import type { ControlChange, DraftConfig } from "./gs-controls";
import type { TrainingAction } from "./gs-training";
import { type BackendState, RunScheduler } from "./run-scheduler";
import { lossValueText } from "./training-model";
import {
  currentStep,
  DEFAULT_TRAIN_CONFIG,
  singlePass,
  TRAINING_OFF,
  TrainingSession,
  type TrainingView,
  withoutDefaultTraining,
} from "./training-session";
import { UrlHistory } from "./url-history";
import "./gs-bench";
import "./gs-chart";
import "./gs-controls";
import "./gs-distributions";
import "./gs-heatmap";
import "./gs-loss-chart";
import "./gs-presets";
import "./gs-theory";
import "./gs-training";
import "./gs-verdict";

/** A run that takes longer than this shows its config and a cancel button (a quick one only a spinner). */
const SLOW_RUN_MS = 300;

const sameConfig = (a: RunConfig, b: RunConfig) => JSON.stringify(a) === JSON.stringify(b);

/** How a GPU run fit its memory: its MiB, and what it recomputed or redrew to fit (SPEC extension). */
export function memoryText(result: RunResult): string {
  const memory = result.memory;
  if (!memory) return "";
  const mib = memory.bytes / 2 ** 20;
  const parts = [`${mib < 10 ? mib.toFixed(1) : mib.toFixed(0)} MiB of GPU memory`];
  const layers = result.config.depth + 1;
  if (memory.activationsKept < layers) {
    parts.push(`${memory.activationsKept} of ${layers} activations kept, the rest recomputed`);
  }
  if (memory.weights === "regenerated") {
    // s·I weights are not drawn at all: the kernels write s on the diagonal where they use it.
    parts.push(
      result.config.init.scheme === "identity" ? "W = s·I computed where used" : "weights drawn again where used",
    );
  }
  return parts.join("; ");
}

/** The preset the config equals, if any (a preset's training equal to the default one counts as none, as in the config). */
function matchingPreset(config: RunConfig): string | null {
  const preset = PRESETS.find((p) => sameConfig(withoutDefaultTraining(validateConfig(p.config)), config));
  return preset?.id ?? null;
}

@customElement("gs-lab")
export class GsLab extends LitElement {
  static override styles = css`
    :host { display: block; }
    /*
     * The chart first: on a wide screen the figure (chart, legend, verdict) heads the left column and
     * the controls stay beside it on the right; the presets and the benchmark follow under the figure.
     * The document order is the reading order on every layout: figure, controls, presets, benchmark.
     */
    .layout { display: grid; grid-template-columns: minmax(0, 1fr) minmax(16rem, 20rem); gap: 0.75rem 1.5rem;
      align-items: start;
      grid-template-areas: "plot controls" "reading controls" "training controls" "dist controls" "theory controls"
        "presets controls"
        "bench controls"; }
    .layout > * { min-width: 0; }
    .plot { grid-area: plot; display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.25rem; }
    .reading { grid-area: reading; }
    aside { grid-area: controls; grid-row: 1 / span 7; position: sticky; top: 1rem; max-height: calc(100vh - 2rem);
      overflow-y: auto; padding: 1rem; border-radius: 12px; border: 1px solid var(--gs-border, #d1d5db); }
    .presets { grid-area: presets; }
    .theory { grid-area: theory; }
    .distributions { grid-area: dist; }
    /* The loss curve and the heatmap side by side where the column is wide enough, else one above the other. */
    .training { grid-area: training; display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 22rem), 1fr));
      gap: 0.75rem 1.25rem; align-items: start; }
    .training > * { min-width: 0; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
      white-space: nowrap; }
    details { grid-area: bench; }
    .badge { display: none; }
    /*
     * One column on narrow screens: the chart (with the verdict's word) stays in view at the top while
     * the sentence, the controls and the presets scroll under it.
     */
    @media (max-width: 52rem) {
      .layout { grid-template-columns: minmax(0, 1fr);
        grid-template-areas: "plot" "reading" "controls" "training" "dist" "theory" "presets" "bench"; }
      aside { grid-row: auto; position: static; max-height: none; }
      .plot { position: sticky; top: 0; z-index: 1; background: var(--gs-bg, #fafaf9); padding: 0.25rem 0;
        box-shadow: 0 6px 6px -6px rgb(0 0 0 / 0.35); }
      .status .memory, .status .adapter, .status .where { display: none; }
      .badge { display: inline; }
    }
    /* One line whatever it holds, so the chart under it does not jump when a run starts or ends. */
    .status { display: flex; flex-wrap: nowrap; gap: 0.75rem; align-items: center; font-size: 0.9rem; height: 2rem;
      overflow: hidden; white-space: nowrap; }
    .status > * { flex: none; }
    .status .running, .status .time { flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
    .busy { display: inline-flex; gap: 0.4rem; align-items: center; }
    .busy::before { content: ""; width: 0.8rem; height: 0.8rem; border-radius: 50%; border: 2px solid currentColor;
      border-right-color: transparent; animation: spin 0.8s linear infinite; }
    @keyframes spin { to { transform: rotate(360deg); } }
    @media (prefers-reduced-motion: reduce) { .busy::before { animation: none; } }
    .notice { padding: 0.5rem 0.75rem; border-radius: 8px; background: var(--gs-notice, #fef3c7); color: #78350f; }
    .notices { display: grid; gap: 0.25rem; justify-items: start; margin-bottom: 1rem; }
    .notices .notice { margin: 0; justify-self: stretch; }
    .error { padding: 0.5rem 0.75rem; border-radius: 8px; background: var(--gs-error-bg, #fee2e2); color: #7f1d1d; }
    .exports { display: flex; gap: 0.5rem; flex-wrap: wrap; margin-top: 1rem; align-items: center; }
    .exports::before { content: "Export"; font-weight: 600; font-size: 0.9rem; }
    button { font: inherit; padding: 0.3rem 0.8rem; border-radius: 6px; border: 1px solid var(--gs-border, #9ca3af);
      background: var(--gs-field, transparent); color: inherit; cursor: pointer; }
    button:disabled { opacity: 0.45; cursor: not-allowed; border-style: dashed; }
    h2 { font-size: 1rem; margin: 0 0 0.5rem; }
  `;

  @state() private draft: DraftConfig;
  @state() private config: RunConfig;
  /** Every field of the draft that is not valid (the run uses the last valid value of each). */
  @state() private fieldErrors: ConfigError[] = [];
  @state() private result: RunResult | null = null;
  @state() private busy = false;
  @state() private backend: BackendState | null = null;
  @state() private notices: string[] = [];
  @state() private runError: string | null = null;
  /** The training as its session reports it (off until play or step). */
  @state() private training: TrainingView = TRAINING_OFF;
  @query("gs-chart") private chart!: GsChart;

  private scheduler: RunScheduler | null = null;
  /** The training run: on the GPU where the page runs on WebGPU, on the CPU otherwise. */
  private readonly session = new TrainingSession(
    (view) => {
      this.training = view;
    },
    () => (this.backend?.kind === "cpu" ? "cpu" : "webgpu"),
  );
  private readonly url = new UrlHistory();
  /** Each init scheme's parameter and the residual α, kept across changes. */
  private readonly memory = new DraftMemory();
  private runs = 0;
  /** The run in flight has taken over SLOW_RUN_MS: say what it is and offer to cancel it. */
  @state() private slowRun = false;
  /** The fraction of the run in flight that is done, where its backend reports it. */
  @state() private progress: number | null = null;
  private slowTimer = 0;
  private idleWaiters: (() => void)[] = [];

  constructor() {
    super();
    const { config, notices } = searchToConfig(location.search);
    this.config = withoutDefaultTraining(config);
    this.draft = toDraft(config);
    this.notices = notices;
  }

  /** The last validated config. */
  get currentConfig(): RunConfig {
    return this.config;
  }

  /** Runs completed since the page opened (for measuring the update rate). */
  get completedRuns(): number {
    return this.runs;
  }

  /** The last result shown. */
  get lastResult(): RunResult | null {
    return this.result;
  }

  /** The training as shown: its phase, losses and records (for scripts and tests). */
  get trainingView(): TrainingView {
    return this.training;
  }

  /** Resolves once no run is in flight or waiting (for scripts and tests). */
  whenIdle(): Promise<void> {
    if (!this.busy) return this.updateComplete.then(() => undefined);
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.scheduler = new RunScheduler(
      {
        onResult: (result, config) => {
          this.runs++;
          this.result = result;
          this.runError = null;
          this.url.ran(this.withOwnTraining(config));
        },
        onError: (message, config, error) => {
          this.runError = message;
          if (error instanceof CapacityError) this.url.refused(this.withOwnTraining(config));
          else this.url.ran(this.withOwnTraining(config));
        },
        onBusy: (busy) => {
          this.busy = busy;
          clearTimeout(this.slowTimer);
          this.slowRun = false;
          this.progress = null;
          if (busy) this.slowTimer = window.setTimeout(() => (this.slowRun = true), SLOW_RUN_MS);
          if (!busy) {
            this.updateComplete.then(() => {
              for (const resolve of this.idleWaiters.splice(0)) resolve();
            });
          }
        },
        onBackend: (backend) => {
          this.backend = backend;
        },
        onProgress: (fraction, config) => {
          if (sameConfig(config, singlePass(this.config))) this.progress = fraction;
        },
      },
      { forceCpu: typeof navigator === "undefined" || !navigator.gpu, histograms: true },
    );
    if (!navigator.gpu) this.backend = { kind: "cpu", reason: "this browser has no WebGPU (navigator.gpu is missing)" };
    window.addEventListener("popstate", this.onPopState);
    window.addEventListener("pagehide", this.onPageHide);
    this.busy = true;
    this.scheduler.request(singlePass(this.config));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener("popstate", this.onPopState);
    window.removeEventListener("pagehide", this.onPageHide);
    this.scheduler?.dispose();
    this.session.reset();
  }

  /** Leaving the page frees the trainer's GPU buffers or worker. */
  private onPageHide = () => this.session.reset();

  /** The config whose single pass is `config`: the current one where that is its single pass (the URL holds its training too). */
  private withOwnTraining(config: RunConfig): RunConfig {
    return sameConfig(config, singlePass(this.config)) ? this.config : config;
  }

  private onPopState = () => {
    const { config, notices } = searchToConfig(location.search);
    this.notices = notices;
    this.url.forget();
    this.fieldErrors = [];
    this.draft = toDraft(config);
    this.run(withoutDefaultTraining(config));
  };

  /**
   * Makes `config` current: any training stops (its advance aborted, its trainer disposed) and the
   * single pass of the new config runs, unless only the training changed and its single pass is on
   * screen already (then the URL follows at once; else once the pass has run).
   */
  private run(config: RunConfig): void {
    this.session.reset();
    const shown = this.result !== null && sameConfig(this.result.config, singlePass(config));
    this.config = config;
    if (shown && !this.busy) {
      this.url.ran(config);
      return;
    }
    this.busy = true;
    this.progress = null;
    this.scheduler?.request(singlePass(config));
  }

  private onChange = (event: CustomEvent<ControlChange>) => {
    const { field, value, commit } = event.detail;
    this.draft = applyChange(this.draft, field, value, this.memory, this.config);
    this.tryDraft(commit);
  };

  /**
   * Applies the draft: every valid field takes effect even while another is invalid (that one keeps
   * its last valid value, and its error shows beside it), and a changed config runs.
   */
  private tryDraft(commit: boolean): void {
    const checked = checkDraft(trainableDraft(this.draft), this.config);
    const config = withoutDefaultTraining(checked.config);
    this.fieldErrors = checked.errors;
    // A slider's keyboard step fires input and change with the same value: one run, not two.
    if (JSON.stringify(config) === JSON.stringify(this.config)) {
      if (commit) this.url.settled();
      return;
    }
    this.url.request(config, commit);
    this.run(config);
  }

  /** A point picked on the phase diagram: Gaussian weights and biases there, run as a control's change would be. */
  private onDiagramPick = (event: CustomEvent<DiagramPoint>) => {
    this.draft = applyDiagramPoint(this.draft, event.detail, this.memory, this.config);
    this.tryDraft(true);
  };

  private onPreset = (event: CustomEvent<string>) => {
    const preset = PRESETS.find((p) => p.id === event.detail);
    if (!preset) return;
    this.draft = toDraft(validateConfig(preset.config));
    this.tryDraft(true);
    // On a phone the presets lie below the controls: bring the chart back into view.
    const figure = this.renderRoot.querySelector(".plot");
    if (figure && figure.getBoundingClientRect().top < 0) figure.scrollIntoView({ block: "start" });
  };

  private exportCsv = () => {
    if (this.result)
      download(new Blob([resultToCsv(this.result)], { type: "text/csv" }), exportName(this.result, "csv"));
  };

  private exportJson = () => {
    if (this.result)
      download(new Blob([resultToJson(this.result)], { type: "application/json" }), exportName(this.result, "json"));
  };

  private exportPng = async () => {
    const result = this.result;
    if (!result) return;
    const reading = verdict(result);
    const shown = this.shownRecord();
    const lines = shown
      ? [
          configSummary(result.config),
          `${shown.caption} · loss ${lossValueText(this.training.loss[shown.record.step])}`,
        ]
      : [
          configSummary(result.config),
          superscriptPowers(`loss ${lossText(result, 4)} · ${reading.kind}: ${reading.text}`),
          ...(reading.theory ? [reading.theory.text] : []),
        ];
    download(await this.chart.toPNG(`gradscope · ${result.backend}`, lines), exportName(result, "png"));
  };

  private renderStatus() {
    const backend = this.backend;
    const result = this.result;
    // The CPU fallback's notice is its own line: the status line is one line and cuts what overflows.
    const fallback =
      backend?.kind === "cpu"
        ? html`<p class="notice" role="status">WebGPU unavailable: ${backend.reason}. Running the float64 reference on the CPU.</p>`
        : nothing;
    // While a slow run is on, the line says what runs (and its progress) instead of the last run's figures;
    // while the chart shows a training step, the loss is that step's.
    const training = this.training.loss.length > 0;
    const loss = training
      ? `loss ${lossValueText(this.training.loss.at(-1))} at step ${currentStep(this.training)}`
      : result && `loss ${lossText(result, 4)}`;
    const figures =
      result && !(this.busy && this.slowRun)
        ? html`<span class="loss">${loss}</span>
            <span class="time">last run ${result.timingMs.wall.toFixed(0)} ms<span class="where"> on ${result.backend}</span></span>
            ${result.memory ? html`<span class="memory">${memoryText(result)}</span>` : nothing}
            ${backend?.kind === "webgpu" ? html`<span class="adapter">WebGPU: ${backend.adapter}</span>` : nothing}`
        : nothing;
    // Not a live region: timings change with every run; the verdict below is the one that is announced.
    return html`${fallback}<div class="status">
      ${
        result && !training
          ? html`<gs-verdict class="badge" compact aria-hidden="true" .result=${result}></gs-verdict>`
          : nothing
      }
      ${this.busy ? this.renderRunning() : nothing} ${figures}
    </div>`;
  }

  /** What is running, once a run has taken long enough to notice, with a way to give it up. */
  private renderRunning() {
    if (!this.slowRun) return html`<span class="busy">running…</span>`;
    const done = this.progress;
    return html`<span class="busy running" title=${configSummary(this.config)}>running ${configSummary(this.config)}</span>
      ${
        done === null
          ? nothing
          : html`<progress id="run-progress" max="1" .value=${done} aria-label="Run progress"></progress>
              <span class="percent">${Math.round(100 * done)} %</span>`
      }
      <button type="button" id="cancel-run" @click=${this.cancel}>Cancel</button>`;
  }

  /** Gives up the run in flight and any waiting: the controls and the URL go back to the chart's config. */
  private cancel = () => {
    this.scheduler?.dispose();
    this.url.refused(this.config);
    this.fieldErrors = [];
    if (this.result) {
      // Back to the chart's config, with the training settings as they were.
      const train = this.config.train;
      this.config = train ? { ...this.result.config, train } : this.result.config;
      this.draft = toDraft(this.config);
    }
  };

  /** Whether the chart shows another config than the one computing now. */
  private stale(): boolean {
    return this.busy && this.result !== null && !sameConfig(this.result.config, singlePass(this.config));
  }

  private onTrain = (event: CustomEvent<TrainingAction>) => {
    const action = event.detail;
    if (action === "play") this.session.play(this.config);
    else if (action === "pause") this.session.pause();
    else if (action === "step") this.session.step(this.config);
    else this.session.reset();
  };

  /** What the per-layer chart shows while training: the latest record, and its caption. */
  private shownRecord(): { record: TrainingRecord; caption: string } | null {
    const record = this.training.records.at(-1);
    if (!record) return null;
    const total = this.training.config?.train?.steps ?? 0;
    const at = currentStep(this.training);
    const later = record.step < at ? ` (the latest recorded step; the training is at step ${at})` : "";
    return {
      record,
      caption: `Step ${record.step} of ${total}: each layer after ${record.step} training steps${later}`,
    };
  }

  /** The loss curve and the heatmap, once the training has a loss. */
  private renderTraining() {
    const { loss, records, config } = this.training;
    if (loss.length === 0) return nothing;
    const steps = config?.train?.steps ?? 1;
    return html`<section class="training" aria-labelledby="training-heading">
      <h2 id="training-heading" class="visually-hidden">Training</h2>
      <gs-loss-chart .loss=${loss} .steps=${steps}></gs-loss-chart>
      <gs-heatmap .records=${records} .steps=${steps} .every=${config?.train?.record ?? 1}></gs-heatmap>
    </section>`;
  }

  override render() {
    const shown = this.shownRecord();
    return html`
      ${
        this.notices.length > 0
          ? html`<div class="notices" role="alert">
              ${this.notices.map((notice) => html`<p class="notice">${notice}</p>`)}
              <button type="button" id="dismiss-notices" @click=${() => {
                this.notices = [];
              }}>Dismiss</button>
            </div>`
          : nothing
      }
      <div class="layout">
        <section class="plot" aria-label="Per-layer magnitudes" aria-busy=${this.busy ? "true" : "false"}>
          ${this.renderStatus()}
          ${this.runError ? html`<p class="error" role="alert">${this.runError}</p>` : nothing}
          <gs-chart .result=${this.result} ?stale=${this.stale()} .record=${shown?.record ?? null}
            .caption=${shown?.caption ?? null}
            .placeholder=${this.busy ? `Running ${configSummary(this.config)}…` : null}></gs-chart>
        </section>
        <gs-verdict class="reading" role="status" aria-live="polite" aria-atomic="true" .result=${this.result}
          .qualifier=${shown ? "At initialization (step 0):" : null}></gs-verdict>
        ${this.renderTraining()}
        <aside aria-label="Network settings">
          <gs-controls .draft=${this.draft} .errors=${this.fieldErrors} @gs-change=${this.onChange}>
            <gs-training slot="training" .view=${this.training} .steps=${(this.config.train ?? DEFAULT_TRAIN_CONFIG).steps}
              .initialLoss=${this.result?.loss} ?unavailable=${this.config.numerics === "tracked"}
              @gs-train=${this.onTrain}></gs-training>
          </gs-controls>
          <div class="exports" role="group" aria-label="Export the last run">
            <button type="button" id="export-csv" ?disabled=${!this.result} @click=${this.exportCsv}>CSV</button>
            <button type="button" id="export-json" ?disabled=${!this.result} @click=${this.exportJson}>JSON</button>
            <button type="button" id="export-png" ?disabled=${!this.result} @click=${this.exportPng}>PNG</button>
          </div>
        </aside>
        <section class="distributions" aria-label="Distributions per layer">
          <h2 id="distributions-heading" class="visually-hidden">Distributions per layer</h2>
          <gs-distributions .result=${this.result} .alignTo=${this.chart ?? null} ?stale=${this.stale()}></gs-distributions>
        </section>
        <section class="theory" aria-label="Theory">
          <h2>Theory at initialization</h2>
          <gs-theory .result=${this.result} .config=${this.config} @gs-phase-pick=${this.onDiagramPick}></gs-theory>
        </section>
        <section class="presets" aria-label="Presets">
          <h2>Problems and their cures</h2>
          <gs-presets .active=${matchingPreset(this.config)} @gs-preset=${this.onPreset}></gs-presets>
        </section>
        <details>
          <summary>Benchmark this GPU</summary>
          <gs-bench></gs-bench>
        </details>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-lab": GsLab;
  }
}
