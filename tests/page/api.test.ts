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
      expect(result.config).toEqual({
        ...LECTURE,
        biasSigma: 0,
        residual: null,
        norm: "none",
        seed: 1,
        numerics: "float32",
      });
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

  for (const backend of ["webgpu", "cpu"] as const) {
    test(`${backend}: a signal aborted before the call rejects at once with its reason`, async () => {
      const { outcome, ms } = await opened.page.evaluate(async (backend) => {
        const reason = new Error("aborted before the call");
        const started = performance.now();
        // 6·L·n²·B = 2.4e10 flops: seconds of work that must not begin.
        const config = { depth: 60, width: 512, batch: 256 };
        const outcome = await window.gradscope.run(config, { backend, signal: AbortSignal.abort(reason) }).then(
          () => "resolved",
          (error: unknown) => (error === reason ? "rejected with the reason" : String(error)),
        );
        return { outcome, ms: performance.now() - started };
      }, backend);
      expect(outcome).toBe("rejected with the reason");
      expect(ms).toBeLessThan(500);
    });
  }

  /** Starts a run given a signal, aborts it 300 ms later, and says how the run ended and how soon after the abort. */
  const abortDuring = (config: unknown, options: Record<string, unknown>) =>
    opened.page.evaluate(
      async ([c, o]) => {
        const controller = new AbortController();
        const settled = window.gradscope.run(c, { ...o, signal: controller.signal } as never).then(
          () => "resolved",
          (error: unknown) => (error === controller.signal.reason ? "rejected with the reason" : String(error)),
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        const aborted = performance.now();
        controller.abort(new Error("stopped by the script"));
        const outcome = await settled;
        return { outcome, ms: performance.now() - aborted };
      },
      [config, options] as const,
    );

  test("cpu: an abort during a run rejects at once with its reason", async () => {
    // 3·L·n²·B = 1.3e9 multiply-adds: seconds on the CPU.
    const { outcome, ms } = await abortDuring({ depth: 100, width: 256, batch: 64 }, { backend: "cpu" });
    expect(outcome).toBe("rejected with the reason");
    expect(ms).toBeLessThan(250);
  });

  /** The longest pause of the page's main thread (ms between timer ticks) while the run lasts, and how it ended. */
  const longestPauseDuring = (config: unknown, options: unknown) =>
    opened.page.evaluate(
      async ([c, o]) => {
        let last = performance.now();
        let longest = 0;
        let done = false;
        const tick = () => {
          const now = performance.now();
          longest = Math.max(longest, now - last);
          last = now;
          if (!done) setTimeout(tick, 0);
        };
        setTimeout(tick, 0);
        const outcome = await window.gradscope.run(c, o as never).then(
          (result) => `${result.backend}, ${result.log10ActRms.length} layers`,
          (error: Error) => `${error.name}: ${error.message}`,
        );
        done = true;
        return { outcome, longest: Math.max(longest, performance.now() - last) };
      },
      [config, options] as const,
    );

  test("cpu: the main thread stays responsive while the reference runs (seconds of work)", async () => {
    const { outcome, longest } = await longestPauseDuring({ depth: 12, width: 256, batch: 64 }, { backend: "cpu" });
    expect(outcome).toBe("cpu, 13 layers");
    expect(longest).toBeLessThan(200);
  });

  test("webgpu: the main thread stays responsive while orthogonal weights of width 1024 are drawn", async () => {
    const config = { depth: 3, width: 1024, batch: 8, init: { scheme: "orthogonal" } };
    const { outcome, longest } = await longestPauseDuring(config, { backend: "webgpu" });
    expect(outcome).toBe("webgpu, 4 layers");
    expect(longest).toBeLessThan(200);
  });

  test("webgpu: an orthogonal run is given up at once when its signal aborts during the QR", async () => {
    const config = { depth: 8, width: 1024, batch: 8, init: { scheme: "orthogonal" } };
    const { outcome, ms } = await abortDuring(config, { backend: "webgpu" });
    expect(outcome).toBe("rejected with the reason");
    expect(ms).toBeLessThan(250);
  });

  test("odd configs and options are refused by name", async () => {
    const messages = await opened.page.evaluate(async () => {
      class Settings {
        depth = 5;
      }
      const refusal = (config: unknown, options?: unknown) =>
        window.gradscope.run(config, options as never).then(
          () => "resolved",
          (error: Error) => `${error.name}: ${error.message}`,
        );
      return Promise.all([
        refusal(new Map([["depth", 5]])),
        refusal(new Date(0)),
        refusal(new Settings()),
        refusal(Object.create({ depth: 5 })),
        refusal({ depth: 5 }, { backend: "webgpu", subnormals: "flushed" }),
        refusal({ depth: 5 }, { backend: "cpu", memoryBudgetBytes: 1 << 20 }),
        refusal({ depth: 5 }, Object.create({ backend: "cpu" })),
      ]);
    });
    const plain = "ConfigError: config must be an object of config fields, such as { depth: 300 }, got";
    expect(messages).toEqual([
      `${plain} a Map`,
      `${plain} a Date`,
      `${plain} an instance of Settings`,
      "ConfigError: depth must be set on the config itself, not inherited from its prototype, got 5",
      'ConfigError: subnormals must be absent with backend "webgpu" (it applies only to backend "cpu"), got "flushed"',
      'ConfigError: memoryBudgetBytes must be absent with backend "cpu" (it applies only to backend "webgpu"), got 1048576',
      'ConfigError: options.backend must be set on options itself, not inherited from its prototype, got "cpu"',
    ]);
  });

  test("both backends train a config with train, to the same loss curve, with its records", async () => {
    const config = {
      depth: 12,
      width: 9,
      batch: 5,
      biasSigma: 0.1,
      target: "teacher",
      train: { steps: 30, optimizer: "momentum", learningRate: 0.02, record: 10 },
    };
    const [gpu, cpu] = await Promise.all([
      runInPage(config, { backend: "webgpu" }),
      runInPage(config, { backend: "cpu" }),
    ]);
    for (const result of [gpu, cpu]) {
      expect(result.training?.loss).toHaveLength(31);
      expect(result.training?.records.map((r) => r.step)).toEqual([0, 10, 20, 30]);
      expect(result.training?.loss[0]).toBe(result.loss);
      expect(result.training?.loss[30] as number).toBeLessThan(result.loss as number);
    }
    // float32 against float64 over 30 steps of a well-conditioned run (tests/gpu/training.test.ts argues the bound).
    gpu.training?.loss.forEach((loss, t) => {
      expect(
        Math.abs(Math.log10(loss as number) - Math.log10(cpu.training?.loss[t] as number)),
        `step ${t}`,
      ).toBeLessThan(1e-3);
    });
  });

  test("a trainer advances, pauses between advances and is disposed, on both backends", async () => {
    const summary = await opened.page.evaluate(async () => {
      const out: Record<string, unknown> = {};
      for (const backend of ["webgpu", "cpu"] as const) {
        const trainer = await window.gradscope.train(
          { depth: 6, width: 5, batch: 3, train: { steps: 10, learningRate: 0.05 } },
          { backend },
        );
        const first = await trainer.advance(4);
        const second = await trainer.advance(100);
        const done = trainer.done;
        trainer.dispose();
        const afterDispose = await trainer.advance(1).then(
          () => "resolved",
          (error: Error) => error.message,
        );
        out[backend] = {
          first: [first.from, first.loss.length],
          second: [second.from, second.loss.length],
          done,
          afterDispose,
        };
      }
      return out;
    });
    for (const backend of ["webgpu", "cpu"]) {
      expect(summary[backend]).toEqual({
        first: [0, 4],
        second: [4, 7],
        done: true,
        afterDispose: "this trainer was disposed",
      });
    }
  });

  test("bad training configs are refused by name", async () => {
    expect(await rejectionInPage({ train: { steps: 10, learningRate: 0 } }, undefined)).toBe(
      "ConfigError: train.learningRate must be a positive number up to 1000000, got 0",
    );
    const noTrain = await opened.page.evaluate(() =>
      window.gradscope.train({ depth: 3 }).then(
        () => "resolved",
        (error: Error) => `${error.name}: ${error.message}`,
      ),
    );
    expect(noTrain).toMatch(/^ConfigError: train must be an object/);
  });

  test("both backends count histograms with { histograms: true }, the CPU's in its worker, alike for 0.5·I", async () => {
    const lecture = lectureConfig(0.5, 120);
    const gpu = await runInPage(lecture, { backend: "webgpu", histograms: true });
    const cpu = await runInPage(lecture, { backend: "cpu", subnormals: gpu.subnormals, histograms: true });
    expect(gpu.histograms).toEqual(cpu.histograms);
    // ∂ℓ/∂a_l = 0.5^(240 − l): 2^−126 at l = 114, the last normal float32.
    expect(cpu.histograms?.grad[114]).toEqual({ minExponent: -126, counts: [2], zeros: 0, nonFinite: 0 });
    expect(await rejectionInPage(lecture, { histograms: "yes" })).toBe(
      'ConfigError: histograms must be a boolean (true or false), got "yes"',
    );
  });

  test("the page logged no errors", () => {
    expect(opened.errors).toEqual([]);
  });
});
