/** The float64 reference off the page's main thread: in a Web Worker where there are workers. */
import type { RunConfig } from "../core/config";
import { runReference } from "../core/reference";
import type { RunResult, Subnormals } from "../core/result";
import { trainReference } from "../core/training";
import { hasWorkers, WorkerPool } from "./pool";
import type { ReferenceRequest } from "./reference.worker";

const workers = new WorkerPool(
  () => new Worker(new URL("./reference.worker.ts", import.meta.url), { type: "module", name: "gradscope reference" }),
);

/**
 * SPEC.md's result of a validated config on the float64 reference (reporting the fraction done, at
 * most every 100 ms from a worker; with its histograms when asked): run in a Web Worker where there
 * are workers (the page), so the main thread stays free, and an abort ends it and rejects with the
 * signal's reason at once; run inline where there are none (Node: the CLI and the core tests).
 */
export async function runReferenceOffThread(
  config: RunConfig,
  subnormals: Subnormals,
  signal?: AbortSignal,
  onProgress?: (fraction: number) => void,
  histograms = false,
): Promise<RunResult> {
  signal?.throwIfAborted();
  if (!hasWorkers()) {
    const reference = config.train ? trainReference : runReference;
    return reference(config, { subnormals, histograms, ...(onProgress ? { onProgress } : {}) });
  }
  return workers.call<RunResult>({ config, subnormals, histograms } satisfies ReferenceRequest, signal, [], onProgress);
}
