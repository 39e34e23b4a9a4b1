/**
 * <gs-bench>: the benchmark on the user's own GPU, in the lab. Measures the adapter's FMA peak, then
 * runs the quick part of the bench's sweep (src/core/sweep.ts) and shows, per config, the GPU time,
 * GFLOP/s and its fraction of the peak, the path, the dispatches and the GPU memory of the run.
 */
import { css, html, LitElement, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { benchConfig, flopsPerRun, median, SWEEP } from "../core/sweep";
import { acquireGpu } from "../gpu/device";
import { runOnGpu, warmUp } from "../gpu/engine";
import { measurePeak, type PeakMeasurement } from "../gpu/peak";
import { planRun } from "../gpu/plan";

/** Configs above this many flops per run are left to `npm run bench` (minutes on a CPU-emulated GPU). */
export const PANEL_FLOP_LIMIT = 2e8;
const RUNS = 3;

export interface BenchRow {
  label: string;
  path: string;
  dispatches: number | null;
  gpuMs: number;
  gflops: number;
  mib: number;
}

@customElement("gs-bench")
export class GsBench extends LitElement {
  static override styles = css`
    :host { display: block; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 0.9rem; }
    th, td { padding: 0.2rem 0.6rem; text-align: right; border-bottom: 1px solid var(--gs-border, #d1d5db); }
    th:first-child, td:first-child { text-align: left; }
    button { font: inherit; padding: 0.3rem 0.8rem; border-radius: 6px; border: 1px solid var(--gs-border, #9ca3af);
      background: var(--gs-field, transparent); color: inherit; cursor: pointer; }
    .note { font-size: 0.85rem; opacity: 0.85; }
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

  private start = async () => {
    this.running = true;
    this.rows = [];
    this.error = null;
    try {
      const gpu = await acquireGpu();
      this.peak = await measurePeak();
      for (const point of SWEEP) {
        const config = benchConfig(point);
        const flops = flopsPerRun(config);
        if (flops > PANEL_FLOP_LIMIT) continue;
        await warmUp(config);
        const times: number[] = [];
        let dispatches: number | null = null;
        for (let i = 0; i < RUNS; i++) {
          const result = await runOnGpu(config);
          times.push(result.timingMs.gpu?.total ?? result.timingMs.wall);
          dispatches = result.dispatches ?? null;
        }
        const gpuMs = median(times);
        const plan = planRun(config, gpu.limits);
        this.rows = [
          ...this.rows,
          {
            label: `L ${config.depth}, n ${config.width}, B ${config.batch}`,
            path: plan.path,
            dispatches,
            gpuMs,
            gflops: flops / (gpuMs * 1e6),
            mib: plan.totalBytes / 2 ** 20,
          },
        ];
      }
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.running = false;
    }
  };

  override render() {
    const peak = this.peak;
    return html`
      <p class="note">
        Runs a tanh chain at each size below ${PANEL_FLOP_LIMIT.toExponential(0)} flops, ${RUNS} times after a warm-up, and the
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
      ${
        this.rows.length > 0
          ? html`<table>
              <thead><tr><th>config</th><th>path</th><th>dispatches</th><th>GPU ms</th><th>GFLOP/s</th><th>% peak</th><th>MiB</th></tr></thead>
              <tbody>
                ${this.rows.map(
                  (row) => html`<tr>
                    <td>${row.label}</td><td>${row.path}</td><td>${row.dispatches ?? "–"}</td>
                    <td>${row.gpuMs.toFixed(1)}</td><td>${row.gflops.toPrecision(3)}</td>
                    <td>${peak ? ((100 * row.gflops) / peak.gflops).toPrecision(2) : "–"}</td><td>${row.mib.toFixed(2)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
          : nothing
      }
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "gs-bench": GsBench;
  }
}
