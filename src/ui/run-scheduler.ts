/**
 * Runs configs for the page, newest first: while a run is in flight only the latest request is
 * kept, and a long run in flight is given up (between its chunks on the GPU, at once on the CPU). Runs go to the GPU engine when WebGPU works and to the float64 reference in a Web Worker
 * when it does not; a failed GPU run (one that lost its device and then the fresh one too, say:
 * a single loss is recovered by the engine) falls back to the worker and the next request tries
 * the GPU again.
 */
import type { RunConfig } from "../core/config";
import type { RunResult } from "../core/result";
import { acquireGpu } from "../gpu/device";
import { runOnGpu } from "../gpu/engine";
import { CapacityError } from "../gpu/plan";
import { runReferenceOffThread } from "../workers/reference-client";

/** Multiply-adds above which the CPU fallback refuses a config (minutes of work in JavaScript). */
export const CPU_WORK_LIMIT = 4e9;

export type BackendState = { kind: "webgpu"; adapter: string } | { kind: "cpu"; reason: string };

export interface SchedulerEvents {
  onResult: (result: RunResult, config: RunConfig) => void;
  /** A run failed: its message, its config, and the error itself (a CapacityError: it does not fit). */
  onError: (message: string, config: RunConfig, error: unknown) => void;
  onBusy: (busy: boolean) => void;
  onBackend: (state: BackendState) => void;
  /** How far the run in flight has come, 0..1, where the backend can tell (a long, chunked run). */
  onProgress?: (fraction: number, config: RunConfig) => void;
}

/** Multiply-adds of one run: forward, backward and weight gradients, L·n²·B each. */
export function runWork(config: RunConfig): number {
  return 3 * config.depth * config.width * config.width * config.batch;
}

/** Throws, in words, when one pass of `config` is more work than the CPU fallback takes (CPU_WORK_LIMIT). */
export function checkCpuWork(config: RunConfig): void {
  const work = runWork(config);
  if (work > CPU_WORK_LIMIT) {
    throw new Error(
      `this config takes ${work.toExponential(1)} multiply-adds, too many for the CPU reference (limit ${CPU_WORK_LIMIT.toExponential(0)}); reduce depth, width or batch`,
    );
  }
}

export class RunScheduler {
  private inFlight = false;
  private pending: RunConfig | null = null;
  /** Aborts the run in flight, if any: a GPU run after its chunk in flight, a CPU run at once. */
  private current: AbortController | null = null;
  private forceCpu: boolean;
  /** Each run also counts its histograms (the run option { histograms: true }). */
  private readonly histograms: boolean;

  constructor(
    private readonly events: SchedulerEvents,
    options: { forceCpu?: boolean; histograms?: boolean } = {},
  ) {
    this.forceCpu = options.forceCpu ?? false;
    this.histograms = options.histograms ?? false;
  }

  /** Asks for a run of `config`; replaces any request still waiting. */
  request(config: RunConfig): void {
    this.pending = config;
    // A CPU run is abandoned at once (its worker ended) so the newest request starts; a long GPU
    // run stops after the chunk it is on (a short one finishes first).
    this.current?.abort();
    if (!this.inFlight) void this.drain();
  }

  private async drain(): Promise<void> {
    this.inFlight = true;
    this.events.onBusy(true);
    while (this.pending) {
      const config = this.pending;
      this.pending = null;
      try {
        const result = await this.runOnce(config);
        if (result) this.events.onResult(result, config);
      } catch (error) {
        this.events.onError(error instanceof Error ? error.message : String(error), config, error);
      }
    }
    this.inFlight = false;
    this.events.onBusy(false);
  }

  private async runOnce(config: RunConfig): Promise<RunResult | null> {
    if (!this.forceCpu) {
      let adapter: string | null = null;
      try {
        adapter = (await acquireGpu()).adapterName;
      } catch (error) {
        this.forceCpu = true;
        this.events.onBackend({ kind: "cpu", reason: (error as Error).message });
      }
      if (adapter !== null) {
        const controller = new AbortController();
        this.current = controller;
        try {
          const result = await runOnGpu(config, {
            signal: controller.signal,
            onProgress: (fraction) => this.events.onProgress?.(fraction, config),
            histograms: this.histograms,
          });
          this.events.onBackend({ kind: "webgpu", adapter });
          return result;
        } catch (error) {
          if (controller.signal.aborted) return null;
          if (error instanceof CapacityError) throw error;
          this.events.onBackend({
            kind: "cpu",
            reason: `the GPU run failed (${(error as Error).message}); retrying on the GPU next time`,
          });
        } finally {
          this.current = null;
        }
      }
    }
    return this.runOnWorker(config);
  }

  private async runOnWorker(config: RunConfig): Promise<RunResult | null> {
    checkCpuWork(config);
    const controller = new AbortController();
    this.current = controller;
    try {
      return await runReferenceOffThread(
        config,
        "flushed",
        controller.signal,
        (fraction) => this.events.onProgress?.(fraction, config),
        this.histograms,
      );
    } catch (error) {
      if (controller.signal.aborted) return null;
      throw error;
    } finally {
      this.current = null;
    }
  }

  /** Gives up the run in flight and any waiting request; the scheduler can still be used afterwards. */
  dispose(): void {
    this.pending = null;
    this.current?.abort();
  }
}
