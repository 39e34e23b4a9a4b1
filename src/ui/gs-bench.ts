/**
 * <gs-bench>: the benchmark on the user's own GPU, in the lab. Measures the adapter's FMA peak, times
 * the two kinds of preset the lab runs, then the quick part of the bench's sweep (src/core/sweep.ts),
 * grouped by the axis it varies, and says what each column means and what the numbers mean for the
 * presets.
 */
import { css, html, LitElement, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { type RunConfig, validateConfig } from "../core/config";
import { PRESETS } from "../core/presets";
import { benchConfig, flopsPerRun, median, SWEEP, type SweepPoint } from "../core/sweep";
import { acquireGpu } from "../gpu/device";
import { runOnGpu, warmUp } from "../gpu/engine";
import { measurePeak, type PeakMeasurement } from "../gpu/peak";
import { planRun } from "../gpu/plan";

/** Configs above this many flops per run are left to `npm run bench` (minutes on a CPU-emulated GPU). */
export const PANEL_FLOP_LIMIT = 2e8;
const RUNS = 3;

/** The groups of rows, in the order shown: the presets first, then each axis of the sweep. */
export const GROUPS = {
  presets: "The lab's presets",
  depth: "Depth, at width 2 and batch 1",
  width: "Width, at depth 100 and batch 64",
  batch: "Batch, at depth 100 and width 64",
} as const;

export interface BenchRow {
  group: keyof typeof GROUPS;
  label: string;
  path: string;
  dispatches: number | null;
  gpuMs: number;
  /** The median wall time of the whole run call: what a redraw waits for. */
  wallMs: number;
  gflops: number;
  bytes: number;
}

/** Bytes as a person reads them: "640 B", "12.5 KiB", "3.2 MiB", "997 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const [value, unit] = bytes < 2 ** 20 ? [bytes / 1024, "KiB"] : [bytes / 2 ** 20, "MiB"];
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${unit}`;
}

/** The presets' two shapes: the lecture's (n = 2, B = 1) and the wide nets' (n = 64, B = 64). */
function presetShapes(): { label: string; config: RunConfig }[] {
  const pick = (id: string) => validateConfig(PRESETS.find((p) => p.id === id)?.config);
  return [
    { label: "lecture presets: L 300, n 2, B 1", config: pick("explode") },
    { label: "wide presets: L 300, n 64, B 64", config: pick("xavier-tanh") },
  ];
}

@customElement("gs-bench")
export class GsBench extends LitElement {
  static override styles = css`
    :host { display: block; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 0.9rem; }
    th, td { padding: 0.2rem 0.6rem; text-align: right; border-bottom: 1px solid var(--gs-border, #d1d5db); }
    th:first-child, td:first-child { text-align: left; }
    tbody th[colspan] { text-align: left; padding-top: 0.6rem; font-weight: 650; }
    button { font: inherit; padding: 0.3rem 0.8rem; border-radius: 6px; border: 1px solid var(--gs-border, #9ca3af);
      background: var(--gs-field, transparent); color: inherit; cursor: pointer; }
    button:disabled { opacity: 0.45; cursor: not-allowed; border-style: dashed; }
    .note, dl { font-size: 0.85rem; opacity: 0.9; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 0.75rem; }
    dt { font-weight: 600; }
    dd { margin: 0; }
    .error { color: var(--gs-error, #b91c1c); }
  `;

  @state() private running = false;
  @state() private peak: PeakMeasurement | null = null;
  @state() private rows: BenchRow[] = [];
  @state() private error: string | null = null;

  /** The rows measured so far (for scripts and tests). */
  get results(): { peak: PeakMeasurement | null; rows: BenchRow[]; running: boolean } {
    return { peak: this.peak, rows: this.rows, running: this.running };
  }

  /** The median GPU time of RUNS runs after a warm-up, as a row. */
  private async measure(group: BenchRow["group"], label: string, config: RunConfig): Promise<BenchRow> {
    const gpu = await acquireGpu();
    await warmUp(config);
    const times: number[] = [];
    const walls: number[] = [];
    let dispatches: number | null = null;
    for (let i = 0; i < RUNS; i++) {
      const result = await runOnGpu(config);
      times.push(result.timingMs.gpu?.total ?? result.timingMs.wall);
      walls.push(result.timingMs.wall);
      dispatches = result.dispatches ?? null;
    }
    const gpuMs = median(times);
    const plan = planRun(config, gpu.limits);
    return {
      group,
      label,
      path: plan.path,
      dispatches,
      gpuMs,
      wallMs: median(walls),
      gflops: flopsPerRun(config) / (gpuMs * 1e6),
      bytes: plan.totalBytes,
    };
  }

  private start = async () => {
    this.running = true;
    this.rows = [];
    this.error = null;
    try {
      this.peak = await measurePeak();
      for (const { label, config } of presetShapes())
        this.rows = [...this.rows, await this.measure("presets", label, config)];
      const points = SWEEP.filter((point) => flopsPerRun(benchConfig(point)) <= PANEL_FLOP_LIMIT);
      const varying = (p: SweepPoint) => p[p.axis];
      for (const axis of ["depth", "width", "batch"] as const) {
        for (const point of points.filter((p) => p.axis === axis).sort((a, b) => varying(a) - varying(b))) {
          const label = `L ${point.depth}, n ${point.width}, B ${point.batch}`;
          this.rows = [...this.rows, await this.measure(axis, label, benchConfig(point))];
        }
      }
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.running = false;
    }
  };

  /** What the presets' rows mean for the lab: the time of one redraw, and redraws per second while dragging. */
  private presetReading() {
    const presets = this.rows.filter((row) => row.group === "presets");
    if (presets.length < 2) return nothing;
    const [lecture, wide] = presets as [BenchRow, BenchRow];
    // A redraw waits for the whole run call, not only its GPU time, and no faster than the screen refreshes.
    const rate = (row: BenchRow) =>
      row.wallMs <= 1000 / 60
        ? "a redraw every frame of the screen"
        : row.wallMs <= 500
          ? `about ${Math.floor(1000 / row.wallMs)} redraws a second`
          : `a redraw every ${(row.wallMs / 1000).toFixed(1)} s`;
    return html`<p>
      On this GPU a lecture preset's run takes <strong>${lecture.gpuMs.toFixed(1)} ms</strong> and a wide preset's
      <strong>${wide.gpuMs.toFixed(0)} ms</strong> of GPU time (${lecture.wallMs.toFixed(0)} and ${wide.wallMs.toFixed(0)} ms
      from the call to the result): while you drag a slider the chart can follow with ${rate(lecture)} for the
      lecture and ${rate(wide)} for the wide nets (a new shape's first run also compiles its kernels).
    </p>`;
  }

  private renderTable() {
    if (this.rows.length === 0) return nothing;
    const peak = this.peak;
    const groups = (Object.keys(GROUPS) as (keyof typeof GROUPS)[]).filter((g) => this.rows.some((r) => r.group === g));
    return html`<table>
      <thead><tr><th>config</th><th>path</th><th>dispatches</th><th>GPU ms</th><th>GFLOP/s</th><th>% peak</th><th>GPU memory</th></tr></thead>
      ${groups.map(
        (group) => html`<tbody>
          <tr><th colspan="7" scope="rowgroup">${GROUPS[group]}</th></tr>
          ${this.rows
            .filter((row) => row.group === group)
            .map(
              (row) => html`<tr class="row">
                <td>${row.label}</td><td>${row.path}</td><td>${row.dispatches ?? "–"}</td>
                <td>${row.gpuMs.toFixed(1)}</td><td>${row.gflops.toPrecision(3)}</td>
                <td>${peak ? ((100 * row.gflops) / peak.gflops).toPrecision(2) : "–"}</td><td>${formatBytes(row.bytes)}</td>
              </tr>`,
            )}
        </tbody>`,
      )}
    </table>
    <dl>
      <dt>config</dt><dd>depth L, width n, batch B: the presets' rows run two presets as they are (1.5·I and
        Xavier + tanh), the others a tanh chain with Xavier weights</dd>
      <dt>path</dt><dd>how the engine ran it: fused (one workgroup loops over every layer), per-example (one
        invocation per example), layered (one dispatch per layer and pass)</dd>
      <dt>dispatches</dt><dd>compute dispatches of one run</dd>
      <dt>GPU ms</dt><dd>the median of ${RUNS} runs after a warm-up: GPU timestamps where the adapter has them, else wall time</dd>
      <dt>GFLOP/s</dt><dd>6·L·n²·B flops of a forward and backward pass over GPU ms</dd>
      <dt>% peak</dt><dd>that over the peak measured above; small nets cannot fill a GPU, so a few % is expected there</dd>
      <dt>GPU memory</dt><dd>every buffer the run allocates</dd>
    </dl>`;
  }

  override render() {
    const peak = this.peak;
    return html`
      <p class="note">
        Times the lab's two kinds of preset and a tanh chain at each size below ${PANEL_FLOP_LIMIT.toExponential(0)} flops, and the
        adapter's peak of independent vec4 multiply-adds. The full sweep, with the TensorFlow.js peer: <code>npm run bench</code>.
      </p>
      <button type="button" id="run-bench" ?disabled=${this.running} @click=${this.start}>
        ${this.running ? "Measuring…" : "Benchmark this GPU"}
      </button>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        peak
          ? html`<p>Peak: <strong>${peak.gflops.toFixed(1)} GFLOP/s</strong>, or
              ${peak.loadBoundGflops.toFixed(2)} GFLOP/s loading one vec4 per multiply-add (${peak.clock}).</p>`
          : nothing
      }
      ${this.presetReading()} ${this.renderTable()}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-bench": GsBench;
  }
}
