/**
 * `run` of src/api.ts in Node: the CPU backend runs inline and loads nothing of WebGPU, a signal is
 * honoured, and options that are odd or do not apply to the backend are refused by name.
 */
import { describe, expect, it } from "vitest";
import { run, train, validateOptions } from "../../src/api";
import { ConfigError } from "../../src/core/config";

/** The ConfigError that validateOptions throws for `options` (fails the test if it returns instead). */
function refusal(options: unknown): ConfigError {
  try {
    validateOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`validateOptions accepted ${String(options)}`);
}

describe("run in Node", () => {
  it("runs the CPU backend without WebGPU", async () => {
    const result = await run({ depth: 3, width: 4, batch: 2 }, { backend: "cpu", subnormals: "flushed" });
    expect(result.backend).toBe("cpu");
    expect(result.subnormals).toBe("flushed");
    expect(result.log10ActRms).toHaveLength(4);
  });

  it("rejects with the reason of a signal aborted before the call, on both backends", async () => {
    const reason = new Error("stopped before it began");
    const signal = AbortSignal.abort(reason);
    const big = { depth: 60, width: 512, batch: 256 };
    await expect(run(big, { backend: "cpu", signal })).rejects.toBe(reason);
    await expect(run(big, { backend: "webgpu", signal })).rejects.toBe(reason);
  });
});

describe("validateOptions: odd options refused by name", () => {
  it("refuses options that are not a plain object, by their kind", () => {
    expect(refusal(new Map([["backend", "cpu"]])).message).toBe(
      'options must be an object such as { backend: "webgpu" }, got a Map',
    );
    expect(refusal(new Date(0)).message).toMatch(/^options must be .*, got a Date$/);
  });

  it("refuses an option inherited from the options' prototype, naming it", () => {
    const error = refusal(Object.create({ backend: "cpu" }));
    expect(error.field).toBe("options.backend");
    expect(error.message).toBe(
      'options.backend must be set on options itself, not inherited from its prototype, got "cpu"',
    );
  });

  it("refuses subnormals on the GPU backend, given or by default", () => {
    for (const options of [{ backend: "webgpu", subnormals: "flushed" }, { subnormals: "kept" }]) {
      const error = refusal(options);
      expect(error.field).toBe("subnormals");
      expect(error.message).toBe(
        `subnormals must be absent with backend "webgpu" (it applies only to backend "cpu"), got "${options.subnormals}"`,
      );
    }
  });

  it("refuses memoryBudgetBytes on the CPU backend", () => {
    expect(refusal({ backend: "cpu", memoryBudgetBytes: 1 << 20 }).message).toBe(
      'memoryBudgetBytes must be absent with backend "cpu" (it applies only to backend "webgpu"), got 1048576',
    );
  });

  it("takes a signal on either backend, and an option set to undefined as absent", () => {
    const signal = new AbortController().signal;
    expect(validateOptions({ backend: "cpu", signal })).toEqual({ backend: "cpu", signal });
    expect(validateOptions({ backend: "webgpu", signal, subnormals: undefined }).backend).toBe("webgpu");
    expect(validateOptions(undefined)).toEqual({ backend: "webgpu" });
  });
});

describe("the histograms option", () => {
  it("adds result.histograms on the CPU backend, one histogram per layer, and nothing without it", async () => {
    const config = { depth: 3, width: 4, batch: 2 };
    const result = await run(config, { backend: "cpu", histograms: true });
    expect(result.histograms?.act).toHaveLength(4);
    expect(result.histograms?.grad).toHaveLength(4);
    expect(result.histograms?.dead[0]).toBeNull();
    expect((await run(config, { backend: "cpu", histograms: false })).histograms).toBeUndefined();
    expect((await run(config, { backend: "cpu" })).histograms).toBeUndefined();
  });

  it("refuses a histograms that is not a boolean, by name", () => {
    expect(refusal({ backend: "cpu", histograms: "yes" }).message).toBe(
      'histograms must be a boolean (true or false), got "yes"',
    );
    expect(refusal({ histograms: 1 }).field).toBe("histograms");
  });

  it("refuses histograms with train, saying why, from run and from train", async () => {
    const config = { depth: 2, width: 2, batch: 1, train: { steps: 2, learningRate: 0.01 } };
    const why = /^histograms must be absent or false with train \(histograms describe a single pass/;
    for (const backend of ["cpu", "webgpu"]) {
      await expect(run(config, { backend, histograms: true })).rejects.toThrow(why);
      await expect(train(config, { backend, histograms: true })).rejects.toThrow(why);
    }
  });
});
