/** `window.gradscope.run` on the built page, both backends, exactly as SPEC.md's "Automation" says. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { lectureConfig } from "../../src/core/presets";
import type { RunResult } from "../../src/core/result";
import { chainMisses, closedFormOf, float64Bound, trackedChainConfig } from "../support/chain";
import { type OpenPage, openBuiltPage } from "../support/page";

let opened: OpenPage;

beforeAll(async () => {
  opened = await openBuiltPage();
});

afterAll(async () => {
  await opened?.close();
});

const LECTURE = lectureConfig(1.5);

const runInPage = (config: unknown, options: unknown) =>
  opened.page.evaluate(([c, o]) => window.gradscope.run(c, o as never), [
    config,
    options,
  ] as const) as Promise<RunResult>;

const rejectionInPage = (config: unknown, options: unknown) =>
  opened.page.evaluate(
    ([c, o]) =>
      window.gradscope.run(c, o as never).then(
        () => "resolved",
        (error: Error) => `${error.name}: ${error.message}`,
      ),
    [config, options] as const,
  );

describe("window.gradscope.run on the built page", () => {
  for (const backend of ["webgpu", "cpu"] as const) {
    test(`${backend}: the lecture's 1.5·I overflows float32 at layer 219`, async () => {
      const result = await runInPage(LECTURE, { backend });
      expect(result.backend).toBe(backend);
      expect(result.firstNonFinite.forward).toBe(219);
      expect(result.log10ActRms).toHaveLength(301);
      expect(result.log10WeightGradNorm[0]).toBeNull();
      expect(result.config).toEqual({ ...LECTURE, biasSigma: 0, seed: 1, numerics: "float32" });
      expect(result.log10ActRms[100]).toBeCloseTo(100 * Math.log10(1.5), 5);
      expect(typeof result.timingMs.wall).toBe("number");
    });

    test(`${backend}: an invalid config is refused with the field, the value and what is allowed`, async () => {
      expect(await rejectionInPage({ depth: 0 }, { backend })).toBe(
        "ConfigError: depth must be an integer in 1..4096, got 0",
      );
      expect(await rejectionInPage({ width: 8, colour: "red" }, { backend })).toMatch(
        /^ConfigError: colour must be absent/,
      );
      expect(await rejectionInPage({ init: { scheme: "kaiming" } }, { backend })).toMatch(
        /init\.scheme must be one of/,
      );
    });
  }

  test("an unknown backend is refused by name", async () => {
    expect(await rejectionInPage({}, { backend: "tpu" })).toBe(
      'ConfigError: backend must be one of "webgpu", "cpu", got "tpu"',
    );
  });

  test("a signal gives up a long run; a signal that is not an AbortSignal is refused", async () => {
    expect(await rejectionInPage({}, { signal: "stop" })).toBe(
      'ConfigError: signal must be an AbortSignal (new AbortController().signal), got "stop"',
    );
    const message = await opened.page.evaluate(async () => {
      const controller = new AbortController();
      // 6·L·n²·B = 2.4e10 flops: many chunks.
      const run = window.gradscope.run({ depth: 60, width: 512, batch: 256 }, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error("stopped by the script")), 200);
      return run.then(
        () => "resolved",
        (error: Error) => error.message,
      );
    });
    expect(message).toBe("stopped by the script");
  });

  test("both backends agree on the default config (tanh, Xavier, width 64, batch 64, depth 50)", async () => {
    const gpu = await runInPage({}, { backend: "webgpu" });
    const cpu = await runInPage({}, { backend: "cpu", subnormals: gpu.subnormals });
    expect(gpu.config).toEqual(cpu.config);
    // A 50-layer tanh chain at Xavier init is contractive, so float32 rounding stays near 1e-6.
    for (const series of ["log10ActRms", "log10GradRms", "log10WeightGradNorm"] as const) {
      gpu[series].forEach((value, l) => {
        const want = cpu[series][l];
        if (want === null || want === undefined) expect(value).toBeNull();
        else expect(Math.abs((value as number) - want)).toBeLessThan(1e-4);
      });
    }
    expect(Math.abs((gpu.loss as number) / (cpu.loss as number) - 1)).toBeLessThan(1e-4);
  });

  test("cpu: a tracked 0.5·I chain at depth 2000 (10^−602) holds its closed form at every layer", async () => {
    const config = trackedChainConfig({ activation: "linear", scale: 0.5 }, 2000, "zeros");
    const result = await runInPage(config, { backend: "cpu" });
    const form = closedFormOf(config, "cpu");
    expect(chainMisses(result, form, float64Bound(form))).toEqual([]);
  });

  test("the run started right after a GPU device loss runs on a fresh device", async () => {
    // A page of its own: the loss may log errors that the shared page must not.
    const fresh = await openBuiltPage();
    try {
      const result = (await fresh.page.evaluate(async (config) => {
        await window.gradscope.loseGpuDevice();
        return window.gradscope.run(config);
      }, LECTURE)) as RunResult;
      expect(result.backend).toBe("webgpu");
      expect(result.firstNonFinite.forward).toBe(219);
      expect(result.log10ActRms[100]).toBeCloseTo(100 * Math.log10(1.5), 5);
      expect(fresh.errors.filter((e) => !/destroy|lost/i.test(e))).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  test("a config too big for the GPU is refused with the bytes it needs and the limit", async () => {
    // Orthogonal weights must be stored whole: 4096 layers of 2048² floats do not fit 1 GiB.
    const config = { depth: 4096, width: 2048, batch: 4096, init: { scheme: "orthogonal" } };
    const message = await rejectionInPage(config, { backend: "webgpu" });
    expect(message).toMatch(/^CapacityError: .* needs \d+ bytes of GPU memory, over the limit of 1073741824 bytes$/);
  });

  test("the page logged no errors", () => {
    expect(opened.errors).toEqual([]);
  });
});
