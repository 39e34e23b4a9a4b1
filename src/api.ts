/**
 * The automation API of SPEC.md: `run(config, { backend })` resolves to the result, or rejects with
 * the config error, on the GPU engine or the CPU reference. The page's controls use it too.
 *
 * Nothing of the GPU engine loads for the CPU backend (it reads WebGPU's globals, which Node has
 * only once the CLI installs them): the engine is imported when a run on the GPU asks for it.
 */
import { ConfigError, ownFields, validateConfig } from "./core/config";
import type { Backend, RunResult, Subnormals } from "./core/result";
import type { Trainer } from "./core/training";
import { runReferenceOffThread } from "./workers/reference-client";
import { referenceTrainer } from "./workers/trainer-client";

export interface RunOptions {
  /** "webgpu" (default) or "cpu", the float64 reference. */
  backend?: Backend;
  /** CPU backend only: the format's subnormals "kept" (IEEE, default) or "flushed" like many GPUs (not in tracked numerics). */
  subnormals?: Subnormals;
  /** GPU backend only: most bytes of GPU buffers the run may allocate (default 1 GiB). */
  memoryBudgetBytes?: number;
  /**
   * Both backends: aborting it rejects the run with the signal's reason at once; a GPU run stops
   * after the chunk in flight, a CPU run's worker is ended.
   */
  signal?: AbortSignal;
  /**
   * Both backends: also count a_l and ∂ℓ/∂a_l per binade, and each layer's saturated entries and
   * dead units (result.histograms). Not with `train`.
   */
  histograms?: boolean;
}

const BACKENDS: Backend[] = ["webgpu", "cpu"];
/** Each option and the backend it applies to (null: both). */
const OPTION_BACKENDS: Record<keyof RunOptions, Backend | null> = {
  backend: null,
  subnormals: "cpu",
  memoryBudgetBytes: "webgpu",
  signal: null,
  histograms: null,
};
const OPTION_KEYS = Object.keys(OPTION_BACKENDS);

/**
 * The run's options, checked: each a known option, set on the options object itself, with a valid
 * value, and one that applies to the chosen backend (an undefined one counts as absent); else a
 * ConfigError naming it.
 */
export function validateOptions(options: unknown): RunOptions & { backend: Backend } {
  if (options === undefined) return { backend: "webgpu" };
  const record = ownFields("options", options, 'an object such as { backend: "webgpu" }');
  for (const key of Object.keys(record)) {
    if (!OPTION_KEYS.includes(key))
      throw new ConfigError(`options.${key}`, record[key], `absent (options: ${OPTION_KEYS.join(", ")})`);
  }
  const backend = record.backend ?? "webgpu";
  if (!BACKENDS.includes(backend as Backend)) throw new ConfigError("backend", backend, 'one of "webgpu", "cpu"');
  for (const [key, only] of Object.entries(OPTION_BACKENDS)) {
    if (only !== null && only !== backend && record[key] !== undefined) {
      throw new ConfigError(
        key,
        record[key],
        `absent with backend "${backend}" (it applies only to backend "${only}")`,
      );
    }
  }
  if (record.subnormals !== undefined && record.subnormals !== "kept" && record.subnormals !== "flushed") {
    throw new ConfigError("subnormals", record.subnormals, 'one of "kept", "flushed"');
  }
  const budget = record.memoryBudgetBytes;
  if (budget !== undefined && !(typeof budget === "number" && Number.isInteger(budget) && budget > 0)) {
    throw new ConfigError("memoryBudgetBytes", budget, "a positive integer");
  }
  if (record.histograms !== undefined && typeof record.histograms !== "boolean") {
    throw new ConfigError("histograms", record.histograms, "a boolean (true or false)");
  }
  if (record.signal !== undefined && !(record.signal instanceof AbortSignal)) {
    throw new ConfigError("signal", record.signal, "an AbortSignal (new AbortController().signal)");
  }
  return { ...(record as RunOptions), backend: backend as Backend };
}

/** Why histograms are refused with training: they describe one pass. */
const TRAIN_HISTOGRAMS =
  "absent or false with train (histograms describe a single pass at initialization: run the config without train)";

/**
 * Runs a config (defaults filled in) on the chosen backend and resolves to SPEC.md's result. An
 * aborted signal rejects with its reason: at once when it was aborted before the call, and as soon
 * as it aborts during the run (the GPU engine stops at its next check, the CPU worker is ended).
 */
export async function run(config: unknown, options?: unknown): Promise<RunResult> {
  const valid = validateConfig(config);
  const { backend, subnormals, memoryBudgetBytes, signal, histograms } = validateOptions(options);
  if (histograms && valid.train) throw new ConfigError("histograms", histograms, TRAIN_HISTOGRAMS);
  signal?.throwIfAborted();
  if (backend === "cpu") return runReferenceOffThread(valid, subnormals ?? "kept", signal, undefined, histograms);
  const gpuOptions = {
    ...(memoryBudgetBytes ? { memoryBudgetBytes } : {}),
    ...(signal ? { signal } : {}),
    ...(histograms ? { histograms } : {}),
  };
  const gpuRun = valid.train
    ? import("./gpu/trainer").then(({ trainOnGpu }) => trainOnGpu(valid, gpuOptions))
    : import("./gpu/engine").then(({ runOnGpu }) => runOnGpu(valid, gpuOptions));
  return settleOnAbort(gpuRun, signal);
}

/**
 * A training run (the config's `train` set) that advances on request and keeps its weights and
 * optimizer state between advances: on the GPU (default) or in a worker on the CPU. The lab's
 * play, pause and step drive one; `run` drives one to the end.
 */
export async function train(config: unknown, options?: unknown): Promise<Trainer> {
  const valid = validateConfig(config);
  if (!valid.train)
    throw new ConfigError("train", undefined, "an object { steps, optimizer, learningRate, ... } to train");
  const { backend, subnormals, memoryBudgetBytes, signal, histograms } = validateOptions(options);
  if (signal) throw new ConfigError("signal", signal, "absent for train (pass a signal to each advance)");
  if (histograms) throw new ConfigError("histograms", histograms, TRAIN_HISTOGRAMS);
  if (backend === "cpu") return referenceTrainer(valid, subnormals ?? "kept");
  const { GpuTrainer } = await import("./gpu/trainer");
  return GpuTrainer.create(valid, memoryBudgetBytes ? { memoryBudgetBytes } : {});
}

/** The work's outcome, or a rejection with the signal's reason as soon as it aborts, whichever comes first. */
function settleOnAbort<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
