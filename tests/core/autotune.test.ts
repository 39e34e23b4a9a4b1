import { afterEach, describe, expect, test, vi } from "vitest";
import { validateConfig } from "../../src/core/config";
import {
  Autotuner,
  DEFAULT_TILING,
  IDLE_MS,
  PROBE_FLOPS,
  type ProductTiling,
  STORE_PREFIX,
  TILINGS,
  type TilingStore,
  TRIAL_SAMPLES,
  type Trial,
  tuneKey,
} from "../../src/gpu/autotune";

const key = (t: ProductTiling) => `${t.workgroup}/${t.block}`;
/** The calls of one stage of a trial: its candidates in turn, TRIAL_SAMPLES rounds. */
const rounds = (...tilings: string[]) => Array.from({ length: TRIAL_SAMPLES }, () => tilings).flat();

/** A trial that records its calls and reports `ms["workgroup/block"]` (default 10). */
function fakeTrial(ms: Record<string, number>, gpuTime: boolean) {
  const calls: { depth: number; batch: number; tiling: string }[] = [];
  const trial: Trial = async (config, tiling) => {
    calls.push({ depth: config.depth, batch: config.batch, tiling: key(tiling) });
    return { ms: ms[key(tiling)] ?? 10, gpuTime };
  };
  return { trial, calls };
}

/** A Map behind the Storage methods the autotune uses. */
function memoryStore(): TilingStore & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

const WIDE = validateConfig({ depth: 300, width: 256, batch: 200, init: { scheme: "orthogonal" } });

afterEach(() => {
  vi.useRealTimers();
});

describe("product-kernel autotune", () => {
  test("may choose every workgroup size with 4 × 4 or 8 × 8 tiles", () => {
    expect(TILINGS.map(key)).toEqual(["64/4", "128/4", "256/4", "64/8", "128/8", "256/8"]);
  });

  test("picks the tile, then the workgroup size, once per adapter and shape class", async () => {
    const { trial, calls } = fakeTrial({ "64/4": 9, "64/8": 5, "128/4": 1, "128/8": 3, "256/8": 7 }, true);
    const tuner = new Autotuner(trial, null);
    tuner.background = false;
    expect(tuner.tiling("adapter A", WIDE)).toEqual(DEFAULT_TILING);
    expect(await tuner.settle()).toBe(1);
    // 8 × 8 beats 4 × 4 at 64 invocations; then 128 beats 64 and 256 with 8 × 8 (128/4 is not tried).
    expect(tuner.tiling("adapter A", WIDE)).toEqual({ workgroup: 128, block: 8 });
    // GPU time leaves compilation out: no warm-up, TRIAL_SAMPLES runs per candidate, one layer, Xavier weights.
    expect(calls.map((c) => c.tiling)).toEqual([...rounds("64/4", "64/8"), ...rounds("128/8", "256/8")]);
    expect(calls.every((c) => c.depth === 1)).toBe(true);
    // The same class (256 × 256 after rounding up) is not tried again; another adapter is.
    expect(tuner.tiling("adapter A", validateConfig({ width: 200, batch: 250 }))).toEqual({ workgroup: 128, block: 8 });
    expect(await tuner.settle()).toBe(0);
    expect(tuner.tiling("adapter B", WIDE)).toEqual(DEFAULT_TILING);
    expect(await tuner.settle()).toBe(1);
    expect(calls).toHaveLength(2 * 4 * TRIAL_SAMPLES);
    expect(tuneKey(WIDE)).toBe("256x256");
  });

  test("one sample taken at a busy or a quiet moment of the machine does not decide the choice", async () => {
    // 8 × 8 tiles take 5 ms and 4 × 4 10 ms, but the first 4 × 4 run lands on a quiet moment (3 ms)
    // and the first 8 × 8 run on a busy one (50 ms): one sample each, or the least of each, would
    // keep 4 × 4, up to about 1.7× slower for wide layers on SwiftShader.
    const samples: Record<string, number[]> = { "64/4": [3, 10, 10], "64/8": [50, 5, 5] };
    const calls: string[] = [];
    const tuner = new Autotuner(async (_config, tiling) => {
      calls.push(key(tiling));
      return { ms: samples[key(tiling)]?.shift() ?? 20, gpuTime: true };
    }, null);
    tuner.background = false;
    tuner.tiling("adapter", WIDE);
    await tuner.settle();
    expect(tuner.tiling("adapter", WIDE)).toEqual({ workgroup: 64, block: 8 });
    // The candidates of a stage take turns, so a busy stretch falls on each of them.
    expect(calls.slice(0, 2 * TRIAL_SAMPLES)).toEqual(rounds("64/4", "64/8"));
  });

  test("wall-clock trials are warmed up first, and big batches are cut", async () => {
    const { trial, calls } = fakeTrial({ "64/4": 1 }, false);
    const tuner = new Autotuner(trial, null);
    tuner.tiling("adapter", validateConfig({ depth: 10, width: 2048, batch: 4096 }));
    await tuner.settle();
    // A warm-up before each candidate's first timed run, which would include compiling its pipelines.
    expect(calls.slice(0, 3).map((c) => c.tiling)).toEqual(["64/4", "64/4", "64/8"]);
    expect(calls).toHaveLength(4 * (TRIAL_SAMPLES + 1));
    expect(calls[0]?.batch).toBe(PROBE_FLOPS / (2 * 2048 * 2048));
    expect(tuner.tiling("adapter", validateConfig({ depth: 10, width: 2048, batch: 4096 }))).toEqual(DEFAULT_TILING);
  });

  test("the trial times plain layers, whatever residual connection or norm the config that started it has", async () => {
    const probes: { residual: number | null; norm: string }[] = [];
    const tuner = new Autotuner(async (config) => {
      probes.push({ residual: config.residual, norm: config.norm });
      return { ms: 10, gpuTime: true };
    }, null);
    tuner.tiling("adapter", validateConfig({ depth: 50, width: 256, batch: 200, residual: 0.5, norm: "batch" }));
    await tuner.settle();
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((p) => p.residual === null && p.norm === "none")).toBe(true);
  });

  test("small products keep the default without a trial; a failed trial is not kept", async () => {
    const { trial, calls } = fakeTrial({}, true);
    const tuner = new Autotuner(trial, null);
    expect(tuner.tiling("adapter", validateConfig({ width: 16, batch: 64 }))).toEqual(DEFAULT_TILING);
    expect(await tuner.settle()).toBe(0);
    expect(calls).toHaveLength(0);
    const failing = new Autotuner(async () => {
      throw new Error("device lost");
    }, null);
    const config = validateConfig({ width: 512, batch: 64 });
    failing.tiling("adapter", config);
    expect(await failing.settle()).toBe(1);
    expect(failing.tiling("adapter", config)).toEqual(DEFAULT_TILING);
    expect(await failing.settle()).toBe(1);
  });

  test("a run never waits for a trial: the first runs of a class get the default while it is tried", () => {
    let trials = 0;
    // A trial that never ends: a run that awaited it would never start.
    const tuner = new Autotuner(() => {
      trials++;
      return new Promise(() => {});
    }, null);
    const ended = tuner.runStarted();
    expect(tuner.tiling("adapter", WIDE)).toEqual(DEFAULT_TILING);
    ended();
    expect(tuner.tiling("adapter", WIDE)).toEqual(DEFAULT_TILING);
    expect(trials).toBe(0);
  });

  test("a trial starts only after IDLE_MS with no run in flight, and a trial run that a run overlapped is timed again", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const { trial, calls } = fakeTrial({ "64/8": 1 }, true);
    let overlap: (() => void) | null = null;
    const tuner = new Autotuner(async (config, tiling) => {
      // A run of the caller's starts during the first trial run.
      if (calls.length === 0) overlap = tuner.runStarted();
      return trial(config, tiling);
    }, null);
    const first = tuner.runStarted();
    tuner.tiling("adapter", WIDE);
    await vi.advanceTimersByTimeAsync(10 * IDLE_MS);
    expect(calls).toHaveLength(0);
    first();
    await vi.advanceTimersByTimeAsync(IDLE_MS / 2);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(IDLE_MS);
    // The first trial run overlapped a run: nothing more until that run ends and the device idles.
    expect(calls.map((c) => c.tiling)).toEqual(["64/4"]);
    (overlap as unknown as () => void)();
    await vi.advanceTimersByTimeAsync(IDLE_MS + 1);
    expect(calls.map((c) => c.tiling)).toEqual(["64/4", ...rounds("64/4", "64/8"), ...rounds("128/8", "256/8")]);
    expect(tuner.tiling("adapter", WIDE)).toEqual({ workgroup: 64, block: 8 });
  });

  test("choices are stored per adapter and shape class and read back by a new session", async () => {
    const store = memoryStore();
    const { trial, calls } = fakeTrial({ "64/8": 2, "256/8": 1 }, true);
    const before = new Autotuner(trial, store);
    before.tiling("adapter A", WIDE);
    await before.settle();
    expect([...store.items]).toEqual([[`${STORE_PREFIX}adapter A: 256x256`, "256/8"]]);
    const after = new Autotuner(trial, store);
    after.background = false;
    expect(after.tiling("adapter A", WIDE)).toEqual({ workgroup: 256, block: 8 });
    expect(after.tiling("adapter B", WIDE)).toEqual(DEFAULT_TILING);
    expect(await after.settle()).toBe(1);
    expect(calls).toHaveLength(2 * 4 * TRIAL_SAMPLES);
    // A stored value that is no tiling is ignored, and storage that throws costs only a trial.
    store.items.set(`${STORE_PREFIX}adapter A: 512x64`, "100/6");
    expect(after.tiling("adapter A", validateConfig({ width: 512, batch: 64 }))).toEqual(DEFAULT_TILING);
    const broken = new Autotuner(trial, {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
    });
    broken.tiling("adapter A", WIDE);
    expect(await broken.settle()).toBe(1);
    expect(broken.tiling("adapter A", WIDE)).toEqual({ workgroup: 256, block: 8 });
  });
});
