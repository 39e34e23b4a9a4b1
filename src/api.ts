/**
 * The automation API of SPEC.md: `run(config, { backend })` resolves to the result, or rejects with
 * the config error, on the GPU engine or the CPU reference. The page's controls use it too.
 */
import { ConfigError, validateConfig } from "./core/config";
import { runReference } from "./core/reference";
import type { Backend, RunResult, Subnormals } from "./core/result";
import { runOnGpu } from "./gpu/engine";

export interface RunOptions {
  /** "webgpu" (default) or "cpu", the float64 reference. */
  backend?: Backend;
  /** CPU backend, float32 numerics: "kept" (IEEE, default) or "flushed" like many GPUs. */
  subnormals?: Subnormals;
  /** GPU backend: most bytes of GPU buffers the run may allocate (default 1 GiB). */
  memoryBudgetBytes?: number;
  /** GPU backend: aborting it stops a long run between chunks; the promise rejects with its reason. */
  signal?: AbortSignal;
}

const BACKENDS: Backend[] = ["webgpu", "cpu"];
const OPTION_KEYS = ["backend", "subnormals", "memoryBudgetBytes", "signal"];

function validateOptions(options: unknown): RunOptions {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ConfigError("options", options, 'an object such as { backend: "webgpu" }');
  }
  const record = options as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!OPTION_KEYS.includes(key))
      throw new ConfigError(`options.${key}`, record[key], `absent (options: ${OPTION_KEYS.join(", ")})`);
  }
  if (record.backend !== undefined && !BACKENDS.includes(record.backend as Backend)) {
    throw new ConfigError("backend", record.backend, 'one of "webgpu", "cpu"');
  }
  if (record.subnormals !== undefined && record.subnormals !== "kept" && record.subnormals !== "flushed") {
    throw new ConfigError("subnormals", record.subnormals, 'one of "kept", "flushed"');
  }
  const budget = record.memoryBudgetBytes;
  if (budget !== undefined && !(typeof budget === "number" && Number.isInteger(budget) && budget > 0)) {
    throw new ConfigError("memoryBudgetBytes", budget, "a positive integer");
  }
  if (record.signal !== undefined && !(record.signal instanceof AbortSignal)) {
    throw new ConfigError("signal", record.signal, "an AbortSignal (new AbortController().signal)");
  }
  return record as RunOptions;
}

/** Runs a config (defaults filled in) on the chosen backend and resolves to SPEC.md's result. */
export async function run(config: unknown, options?: unknown): Promise<RunResult> {
  const valid = validateConfig(config);
  const { backend = "webgpu", subnormals, memoryBudgetBytes, signal } = validateOptions(options);
  if (backend === "cpu") return runReference(valid, subnormals ? { subnormals } : {});
  return runOnGpu(valid, { ...(memoryBudgetBytes ? { memoryBudgetBytes } : {}), ...(signal ? { signal } : {}) });
}
