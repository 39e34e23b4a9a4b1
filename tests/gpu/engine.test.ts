/**
 * The GPU engine held to the float64 reference on fresh random configs, the lecture cases, configs
 * too big for the adapter, and memory across repeated runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ACTIVATION_NAMES } from "../../src/core/activations";
import { INIT_SCHEMES, type RunConfig, validateConfig } from "../../src/core/config";
import { lectureConfig } from "../../src/core/presets";
import { runReference } from "../../src/core/reference";
import type { RunResult } from "../../src/core/result";
import { TILINGS } from "../../src/gpu/autotune";
import { liveBufferBytes } from "../../src/gpu/device";
import { autotune, type GpuRunOptions, runOnGpu } from "../../src/gpu/engine";
import { CapacityError, EXAMPLE_MAX_WIDTH, planBuffers, RUN_PATHS, type RunPath } from "../../src/gpu/plan";
import { expectSeries, lectureChain, lectureMarkers, log10Rms } from "../support/format-lecture";
import { expectAgreement, expectSameSeries, perturbedReference, SERIES, spread } from "./agreement";
import { pick, randomInit } from "./random-draws";
import { requireGpu } from "./support";

// A background tiling trial (tests/gpu/autotune.test.ts) would hold buffers while these tests count them.
beforeAll(() => {
  autotune.background = false;
});

const WIDTHS = [1, 2, 3, 17, 63, 130];
/** The random configs' numerics, in turn: each of NUMERICS (every fourth config is float16, every fourth bfloat16). */
const NUMERICS_CYCLE = ["float32", "tracked", "float16", "bfloat16"] as const;

/** Config i of a fresh draw: every activation and init recur, widths cycle through odd sizes. */
function randomConfig(i: number): RunConfig {
  const width = WIDTHS[i % WIDTHS.length] as number;
  // Keep the float64 reference's work (≈ 3·L·n²·B multiply-adds, run three times) to a few seconds.
  const depth = 1 + Math.floor(Math.random() * (width >= 63 ? 120 : 300));
  return validateConfig({
    depth,
    width,
    batch: 1 + Math.floor(Math.random() * (width >= 63 ? 20 : 37)),
    activation: ACTIVATION_NAMES[i % ACTIVATION_NAMES.length],
    init: randomInit(INIT_SCHEMES[i % INIT_SCHEMES.length] as (typeof INIT_SCHEMES)[number]),
    biasSigma: pick([0, 0, 0.05, 0.3]),
    input: pick(["ones", "gaussian"]),
    target: pick(["zeros", "gaussian"]),
    seed: Math.floor(Math.random() * 2 ** 32),
    numerics: NUMERICS_CYCLE[i % NUMERICS_CYCLE.length],
  });
}

/**
 * How config i is run: its own choice of path and plan, or the layered path with weights drawn where
 * they are used (inside the product kernels for batches up to 8), fewer activations kept than layers
 * (recomputed), statistics reduced after each dispatch, or all three, some in 8 × 8 tiles, or
 * (every third config, when it is not tracked and narrow enough) the per-example path — each held to
 * the reference like the rest.
 */
function randomRunOptions(i: number, config: RunConfig): GpuRunOptions {
  if (i % 3 === 0 && config.numerics !== "tracked" && config.width <= EXAMPLE_MAX_WIDTH) {
    return { path: "per-example" };
  }
  const positions = 4 + Math.floor(Math.random() * Math.max(1, config.depth - 3));
  const drawn = config.batch <= 8 ? ("in-kernel" as const) : ("regenerated" as const);
  const regenerated = config.init.scheme === "orthogonal" ? {} : { weights: drawn };
  const ways: GpuRunOptions[] = [
    {},
    { path: "layered", ...regenerated, block: 8 },
    { path: "layered", positions },
    { path: "layered", reduceEachDispatch: true, block: 8, workgroup: 128 },
    { path: "layered", positions, reduceEachDispatch: true, ...regenerated },
  ];
  return ways[i % ways.length] as GpuRunOptions;
}

/** Random configs that failed an earlier version of the comparison, each for a reason now handled. */
const REGRESSIONS = [
  // sigmoid gradients just above float32's smallest normal: flushing inside sums (NEAR_UNDERFLOW)
  {
    depth: 276,
    width: 3,
    batch: 4,
    activation: "sigmoid",
    init: { scheme: "lecun_normal", gain: 1.4738993136815637 },
    biasSigma: 0.3,
    input: "ones",
    target: "zeros",
    seed: 680206400,
  },
  // gradients near float32's largest value: overflow inside sums (NEAR_OVERFLOW)
  {
    depth: 266,
    width: 3,
    batch: 37,
    activation: "linear",
    init: { scheme: "he_normal", gain: 1.0815863413271094 },
    input: "gaussian",
    target: "gaussian",
    seed: 2761589692,
  },
  // tracked tanh whose plain-float32 forward underflows on the GPU
  {
    depth: 259,
    width: 17,
    batch: 5,
    activation: "tanh",
    init: { scheme: "xavier_uniform", gain: 0.6724552855110588 },
    input: "gaussian",
    target: "zeros",
    seed: 1711058248,
    numerics: "tracked",
  },
  // leaky_relu activations flushed to zero: exact zeros begin at a different layer
  {
    depth: 256,
    width: 3,
    batch: 26,
    activation: "leaky_relu",
    init: { scheme: "xavier_normal", gain: 0.9746881685725403 },
    input: "gaussian",
    target: "zeros",
    seed: 3235253138,
  },
  // weight gradients of a batch sum that cancels
  {
    depth: 128,
    width: 2,
    batch: 34,
    activation: "leaky_relu",
    init: { scheme: "orthogonal", gain: 1.3929654125791453 },
    input: "gaussian",
    target: "gaussian",
    seed: 702634281,
    numerics: "tracked",
  },
  // leaky_relu derivative signs flipped by flushed activations
  {
    depth: 119,
    width: 3,
    batch: 31,
    activation: "leaky_relu",
    init: { scheme: "xavier_normal", gain: 1.3424042821902331 },
    input: "gaussian",
    target: "gaussian",
    seed: 70574041,
  },
  // a leaky_relu pre-activation within rounding of 0 at layer 19: the derivative's sign flips
  {
    depth: 69,
    width: 130,
    batch: 5,
    activation: "leaky_relu",
    init: { scheme: "gaussian", sigma: 1.3760305067828804 },
    input: "gaussian",
    target: "gaussian",
    seed: 4139792125,
    numerics: "tracked",
  },
] as const;

describe("GPU engine against the float64 reference", () => {
  afterAll(async () => {
    const { device } = await requireGpu();
    expect(liveBufferBytes(device)).toBe(0);
  });

  test("configs that once found a gap in these tolerances agree", async () => {
    await requireGpu();
    for (const partial of REGRESSIONS) {
      const config = validateConfig(partial);
      const gpu = await runOnGpu(config);
      const reference = runReference(config, { subnormals: gpu.subnormals });
      const perturbed = [1, 2].map((salt) => perturbedReference(config, gpu.subnormals, salt));
      expectAgreement(config, gpu, reference, perturbed);
    }
  });

  test("24 fresh random configs agree statistic by statistic", async () => {
    await requireGpu();
    for (let i = 0; i < 24; i++) {
      const config = randomConfig(i);
      const gpu = await runOnGpu(config, randomRunOptions(i, config));
      const reference = runReference(config, { subnormals: gpu.subnormals });
      const perturbed = [1, 2].map((salt) => perturbedReference(config, gpu.subnormals, salt));
      expectAgreement(config, gpu, reference, perturbed);
      expect(gpu.backend).toBe("webgpu");
      expect(gpu.config).toEqual(config);
    }
  });
});

describe("the fused path for narrow nets", () => {
  /** Largest |a − b| over a series, and whether the nulls sit at the same layers. */
  const compareSeries = (a: (number | null)[], b: (number | null)[]) => ({
    nullsAgree: a.every((v, l) => (v === null) === (b[l] === null)),
    worst: spread(a, b),
  });

  test("fused runs equal layered runs of the same config (every activation, both numerics)", async () => {
    await requireGpu();
    const cases = ACTIVATION_NAMES.flatMap((activation, i) =>
      (["float32", "tracked"] as const).map((numerics, j) =>
        validateConfig({
          depth: 30 + 7 * i,
          width: [2, 3, 17, 5, 9][i],
          batch: [1, 2, 5, 3, 13][(i + j) % 5],
          activation,
          init: [{ scheme: "identity", scale: 1.2 }, { scheme: "he_uniform" }, { scheme: "orthogonal", gain: 1.1 }][
            (i + j) % 3
          ],
          biasSigma: j === 0 ? 0 : 0.2,
          input: j === 0 ? "ones" : "gaussian",
          target: i % 2 === 0 ? "zeros" : "gaussian",
          seed: 1000 + 17 * i + j,
          numerics,
        }),
      ),
    );
    for (const config of cases) {
      const fused = await runOnGpu(config, { path: "fused" });
      const layered = await runOnGpu(config, { path: "layered" });
      const label = JSON.stringify(config);
      // The same products summed in a different order (the layered kernels in groups of four, and
      // the partial sums of squares grouped differently): float32 rounding, a few ulps per layer,
      // compounding over these ≤ 58 layers to well under 1e-5 in log10.
      for (const series of ["log10ActRms", "log10GradRms", "log10WeightGradNorm"] as const) {
        const { nullsAgree, worst } = compareSeries(fused[series], layered[series]);
        expect(nullsAgree, `${series} of ${label}`).toBe(true);
        expect(worst, `${series} of ${label}`).toBeLessThan(1e-5);
      }
      expect(fused.firstNonFinite, label).toEqual(layered.firstNonFinite);
      expect(fused.firstAllZero, label).toEqual(layered.firstAllZero);
      expect(fused.dispatches, label).toBeLessThan(layered.dispatches as number);
    }
  });

  test("random weights drawn where used, when storing them does not fit, change no bit", async () => {
    await requireGpu();
    const config = validateConfig({
      depth: 60,
      width: 17,
      batch: 3,
      activation: "tanh",
      init: { scheme: "he_uniform", gain: 1.2 },
      biasSigma: 0.1,
      seed: 77,
    });
    const stored = await runOnGpu(config);
    expect(stored.memory?.weights).toBe("stored");
    expect(stored.dispatches).toBe(4);
    const drawn = await runOnGpu(config, { memoryBudgetBytes: (stored.memory?.bytes as number) - 1 });
    expect(drawn.memory?.weights).toBe("regenerated");
    expect(drawn.dispatches).toBe(3);
    expectSameSeries(drawn, stored);
  });

  test("the lecture at depth 4096 takes at most 4 dispatches", async () => {
    const result = await runOnGpu(validateConfig({ ...lectureConfig(1.5, 4096), numerics: "tracked" }));
    expect(result.dispatches).toBeLessThanOrEqual(4);
    expect(Math.abs((result.log10ActRms[4096] as number) - 4096 * Math.log10(1.5))).toBeLessThan(1.1e-4);
  });
});

describe("the per-example path for narrow float32 nets", () => {
  test("per-example runs equal layered runs of the same config (every activation, odd sizes, ranges of layers)", async () => {
    await requireGpu();
    const cases = ACTIVATION_NAMES.map((activation, i) =>
      validateConfig({
        // 150 × 64 × 70 takes two ranges of layers per pass (exampleLayersPerDispatch: 117).
        depth: [40, 23, 150, 61, 9][i],
        width: [1, 3, 64, 17, 33][i],
        batch: [300, 37, 70, 9, 13][i],
        activation,
        init: [{ scheme: "identity", scale: 1.1 }, { scheme: "he_uniform" }, { scheme: "orthogonal", gain: 1.1 }][
          i % 3
        ],
        biasSigma: i % 2 === 0 ? 0 : 0.2,
        input: i % 2 === 0 ? "ones" : "gaussian",
        target: i % 3 === 0 ? "zeros" : "gaussian",
        seed: 2000 + 31 * i,
      }),
    );
    for (const config of cases) {
      const perExample = await runOnGpu(config, { path: "per-example" });
      const layered = await runOnGpu(config, { path: "layered" });
      const label = JSON.stringify(config);
      // The products are summed in the layered kernels' order; only the partial sums of squares
      // behind each statistic are grouped differently (per example, not per 4 × 4 block): float32
      // rounding of those sums, far under 1e-5 in log10.
      for (const series of SERIES) {
        expect(spread(perExample[series], layered[series]), `${series} of ${label}`).toBeLessThan(1e-5);
        const nulls = (run: RunResult) => run[series].map((v) => v === null);
        expect(nulls(perExample), `nulls of ${series} of ${label}`).toEqual(nulls(layered));
      }
      expect(perExample.firstNonFinite, label).toEqual(layered.firstNonFinite);
      expect(perExample.firstAllZero, label).toEqual(layered.firstAllZero);
      expect(perExample.loss, label).toBeCloseTo(layered.loss as number, 4);
      expect(perExample.dispatches, label).toBeLessThan(layered.dispatches as number);
    }
  });

  test("it is chosen for width 16 × batch 64, and refused, saying why, for tracked numerics", async () => {
    await requireGpu();
    const config = validateConfig({ depth: 50, width: 16, batch: 64, activation: "tanh" });
    const chosen = await runOnGpu(config);
    // Weights, forward, backward, weight gradients, reduction.
    expect(chosen.dispatches).toBe(5);
    const tracked = validateConfig({ ...config, numerics: "tracked" });
    await expect(runOnGpu(tracked, { path: "per-example" })).rejects.toThrow(/runs no tracked numerics/);
  });
});

describe("the lecture on the GPU", () => {
  const lecture = (scale: number, depth: number, numerics: RunConfig["numerics"]) =>
    validateConfig({ ...lectureConfig(scale, depth), numerics });

  test("1.5·I with x = (1, 1) first overflows float32 at layer 219", async () => {
    const result = await runOnGpu(lecture(1.5, 300, "float32"));
    expect(result.firstNonFinite.forward).toBe(219);
    expect(result.log10ActRms[218]).toBeCloseTo(218 * Math.log10(1.5), 5);
    expect(result.log10ActRms[219]).toBeNull();
  });

  test("1.5·I tracked reaches layer 4096 at 4096·log10(1.5)", async () => {
    const result = await runOnGpu(lecture(1.5, 4096, "tracked"));
    // 1.5^l is rounded once per layer in float32 (relative error ≤ 2^-24 each), so after 4096
    // layers log10 may drift by at most 4096 · 2^-24 / ln 10 ≈ 1.1e-4.
    expect(Math.abs((result.log10ActRms[4096] as number) - 4096 * Math.log10(1.5))).toBeLessThan(1.1e-4);
    expect(result.log10ActRms.every((v) => v !== null)).toBe(true);
    expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
    // The gradient of ½‖a_L‖² with respect to a_l is 1.5^(2L−l)·x: at l = 0 it is 10^1442.
    expect(Math.abs((result.log10GradRms[0] as number) - 2 * 4096 * Math.log10(1.5))).toBeLessThan(3e-4);
  });

  test("in float16 and bfloat16, 1.5·I overflows and 0.5·I reaches zeros where the rounded recursion says, at its values, on each path", async () => {
    const { subnormals: device } = await requireGpu();
    for (const numerics of ["float16", "bfloat16"] as const) {
      for (const path of RUN_PATHS) {
        for (const [scale, depth, target] of [
          [1.5, 300, "zeros"],
          [0.5, 300, "gaussian"],
          [1.5, 20, "zeros"],
          [0.5, 20, "zeros"],
          [0.5, 40, "gaussian"],
        ] as const) {
          const config = validateConfig({ ...lectureConfig(scale, depth), numerics, target });
          const result = await runOnGpu(config, { path });
          // float16's subnormals are normal float32 numbers, kept on every device; bfloat16's are float32's.
          expect(result.subnormals).toBe(numerics === "float16" ? "kept" : device);
          const { firstNonFinite, firstAllZero } = result;
          const label = `${numerics} ${scale}·I, depth ${depth}, ${target} target, ${path} path`;
          expect({ firstNonFinite, firstAllZero }, label).toEqual(lectureMarkers(config, result.subnormals));
          // Every value as the recursion rounds it; the statistics' float32 sums of squares, to 1e-6 in log10.
          const chain = lectureChain(config, result.subnormals);
          expectSeries(result.log10ActRms, log10Rms(chain.act), 1e-6, label);
          expectSeries(result.log10GradRms, log10Rms(chain.grad), 1e-6, label);
        }
      }
    }
    const half = await runOnGpu(lecture(1.5, 300, "float16"));
    expect(half.firstNonFinite.forward).toBe(28);
    expect(half.log10ActRms[27]).toBeCloseTo(Math.log10(56832), 10);
    expect((await runOnGpu(lecture(0.5, 300, "float16"))).firstAllZero.forward).toBe(25);
    expect((await runOnGpu(lecture(1.5, 300, "bfloat16"))).firstNonFinite.forward).toBe(220);
    const brain = await runOnGpu(lecture(0.5, 300, "bfloat16"));
    expect(brain.firstAllZero.forward).toBe(brain.subnormals === "flushed" ? 127 : 134);
  });

  test("0.5·I reaches exact zeros where float32 does, with this device's subnormals", async () => {
    const result = await runOnGpu(lecture(0.5, 300, "float32"));
    expect(result.firstAllZero.forward).toBe(result.subnormals === "flushed" ? 127 : 150);
    expect(result.firstAllZero.forward).toBe(
      runReference(result.config, { subnormals: result.subnormals }).firstAllZero.forward,
    );
  });
});

describe("GPU memory", () => {
  test("a config too big for the adapter is refused before allocating, with its bytes and the limit", async () => {
    const { device } = await requireGpu();
    const before = liveBufferBytes(device);
    // Orthogonal weights must be stored: 4096 layers of 2048² floats are 64 GiB.
    const config = validateConfig({ depth: 4096, width: 2048, batch: 64, init: { scheme: "orthogonal" } });
    const error = await runOnGpu(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapacityError);
    const { bytesNeeded, limit, message } = error as CapacityError;
    expect(bytesNeeded).toBeGreaterThan(4096 * 2048 * 2048 * 4);
    expect(limit).toBe(1 << 30);
    expect(message).toContain(String(bytesNeeded));
    expect(message).toContain(String(limit));
    expect(liveBufferBytes(device)).toBe(before);
    // Four activations of 40 kB and one layer of weights already pass a 100 kB budget.
    const small = await runOnGpu(validateConfig({ depth: 10, width: 100, batch: 100 }), {
      memoryBudgetBytes: 100_000,
    }).catch((e: unknown) => e);
    expect(small).toBeInstanceOf(CapacityError);
    expect(liveBufferBytes(device)).toBe(before);
  });

  test("arrays split across several buffers give the same result bit for bit", async () => {
    await requireGpu();
    const config = validateConfig({
      depth: 37,
      width: 19,
      batch: 7,
      activation: "relu",
      init: { scheme: "he_uniform" },
      biasSigma: 0.1,
    });
    const whole = await runOnGpu(config, { path: "layered" });
    // Rows padded to 20 floats: one layer of activations is 20·7·4 = 560 bytes and of weights
    // 20²·4 = 1600 bytes (strides 768 and 1792): a 4 KiB cap puts 5 activation layers and 2 weight
    // layers in each buffer.
    const split = await runOnGpu(config, { path: "layered", maxLayerBufferBytes: 4096 });
    // 2L + 3 dispatches, + 1 bias draw, + 1 draw per weight buffer (1, then 19 of 2 layers).
    expect(whole.dispatches).toBe(2 * 37 + 3 + 1 + 1);
    expect(split.dispatches).toBe(2 * 37 + 3 + 1 + 19);
    expectSameSeries(split, whole);
    // Without a chosen path, a fused run that cannot fit its single buffers falls back to layered.
    const auto = await runOnGpu(config, { maxLayerBufferBytes: 4096 });
    expect(auto.log10ActRms).toEqual(whole.log10ActRms);
    const tooSmall = await runOnGpu(config, { path: "layered", maxLayerBufferBytes: 1024 }).catch((e: unknown) => e);
    expect(tooSmall).toBeInstanceOf(CapacityError);
    expect((tooSmall as CapacityError).message).toMatch(
      /^one layer of weights needs 1600 bytes .* limit of 1024 bytes$/,
    );
  });

  test("every tiling the autotune may choose gives the same result bit for bit", async () => {
    await requireGpu();
    // Odd sizes: 8 × 8 tiles with a last row of tiles past the batch, a last column past the width
    // (67 units: tiles at 64..71, blocks at 64..67 and 68..71), in both numerics and with weights
    // drawn inside the kernels.
    const configs = [
      validateConfig({ depth: 12, width: 67, batch: 45, activation: "relu", biasSigma: 0.1 }),
      validateConfig({ depth: 9, width: 13, batch: 21, activation: "tanh", numerics: "tracked", seed: 9 }),
      validateConfig({ depth: 7, width: 30, batch: 3, activation: "sigmoid", input: "ones", seed: 4 }),
    ];
    for (const [index, config] of configs.entries()) {
      const extra = index === 2 ? { weights: "in-kernel" as const } : {};
      const runs = [];
      for (const tiling of TILINGS) runs.push(await runOnGpu(config, { path: "layered", ...tiling, ...extra }));
      for (const [i, run] of runs.entries())
        expectSameSeries(run, runs[0], `${JSON.stringify(TILINGS[i])} of ${index}`);
    }
    const config = configs[0] as RunConfig;
    const wrong = await runOnGpu(config, { path: "layered", workgroup: 100 }).catch((e: unknown) => e);
    expect(String(wrong)).toBe("RangeError: workgroup must be one of 64, 128, 256, got 100");
    const wrongBlock = await runOnGpu(config, { path: "layered", block: 6 }).catch((e: unknown) => e);
    expect(String(wrongBlock)).toBe("RangeError: block must be one of 4, 8, got 6");
    const wrongPath = await runOnGpu(config, { path: "tiled" as RunPath }).catch((e: unknown) => e);
    expect(String(wrongPath)).toBe("RangeError: path must be one of layered, fused, per-example, got tiled");
    // A shape big enough for a trial: it runs with whatever the trial chose.
    const tuned = await runOnGpu(validateConfig({ depth: 3, width: 256, batch: 70 }));
    expect(tuned.log10GradRms.every((v) => v !== null)).toBe(true);
  });

  test("recomputed activations and weights drawn where used change no bit of the result", async () => {
    await requireGpu();
    const cases = [
      { depth: 24, width: 40, batch: 9, activation: "relu", init: { scheme: "he_normal" }, biasSigma: 0.1 },
      { depth: 25, width: 33, batch: 12, activation: "tanh", numerics: "tracked" },
      {
        depth: 35,
        width: 20,
        batch: 20,
        activation: "linear",
        init: { scheme: "identity", scale: 1.1 },
        numerics: "tracked",
      },
      { depth: 5, width: 70, batch: 5, activation: "sigmoid", init: { scheme: "orthogonal" } },
    ] as const;
    for (const partial of cases) {
      const config = validateConfig(partial);
      const label = JSON.stringify(partial);
      const kept = await runOnGpu(config, { path: "layered" });
      const random = config.init.scheme !== "orthogonal";
      const regenerated = random ? { weights: "regenerated" as const } : {};
      const inKernel = random ? { weights: "in-kernel" as const } : {};
      for (const options of [
        { positions: 4 },
        { positions: Math.max(4, Math.ceil(config.depth / 3)) },
        regenerated,
        inKernel,
        { positions: 5, ...regenerated },
        { positions: 6, ...inKernel },
      ]) {
        const run = await runOnGpu(config, { path: "layered", ...options });
        const what = `${label} ${JSON.stringify(options)}`;
        expectSameSeries(run, kept, what);
        expect(run.firstAllZero, what).toEqual(kept.firstAllZero);
        expect(run.firstNonFinite, what).toEqual(kept.firstNonFinite);
        expect(run.loss, what).toEqual(kept.loss);
      }
    }
  });

  test("statistics reduced after each dispatch agree with one reduction to float32 rounding", async () => {
    await requireGpu();
    const config = validateConfig({ depth: 30, width: 45, batch: 23, activation: "tanh", biasSigma: 0.2 });
    const once = await runOnGpu(config, { path: "layered" });
    const each = await runOnGpu(config, { path: "layered", reduceEachDispatch: true });
    const eachRecomputed = await runOnGpu(config, { path: "layered", reduceEachDispatch: true, positions: 6 });
    expectSameSeries(eachRecomputed, each);
    expect(each.dispatches as number).toBeGreaterThan(2 * config.depth * 2);
    // The sums of squares differ only in summation order: a few float32 roundings of Σ.
    for (const series of ["log10ActRms", "log10GradRms", "log10WeightGradNorm"] as const) {
      each[series].forEach((value, l) => {
        const other = once[series][l];
        if (value === null || other === null || other === undefined) expect(value).toBe(other);
        else expect(Math.abs(value - other), `${series}[${l}]`).toBeLessThan(1e-6);
      });
    }
  });

  test("a run that would not fit with every layer kept is checkpointed, not refused", async () => {
    const { limits } = await requireGpu();
    const config = validateConfig({ depth: 60, width: 40, batch: 300, activation: "tanh" });
    const full = planBuffers(config, limits, { path: "layered" });
    expect(full.positions).toBe(61);
    // 40 fewer activations than every layer's: more than weights drawn where used and statistics
    // reduced after each dispatch would save, so activations must be recomputed.
    const budget = full.totalBytes - 40 * full.activations.stride;
    const bounded = planBuffers(config, limits, { path: "layered", budget });
    expect(bounded.positions).toBeLessThan(61);
    expect(bounded.positions).toBeGreaterThan(10);
    expect(bounded.totalBytes).toBeLessThanOrEqual(budget);
    expect(bounded.forwardSteps).toBeGreaterThan(60);
    const unbounded = await runOnGpu(config);
    const run = await runOnGpu(config, { memoryBudgetBytes: budget });
    expect(run.memory).toEqual({
      bytes: bounded.totalBytes,
      budgetBytes: budget,
      activationsKept: bounded.positions,
      weights: "stored",
      reducedEachDispatch: false,
    });
    expect(unbounded.memory?.activationsKept).toBe(61);
    expectSameSeries(run, unbounded);
    expect(run.dispatches as number).toBeGreaterThan(unbounded.dispatches as number);
  });

  test("a small batch with no room for one layer of weights draws them inside the kernels", async () => {
    const { limits } = await requireGpu();
    const config = validateConfig({ depth: 40, width: 67, batch: 3, activation: "tanh", biasSigma: 0.1 });
    const stored = planBuffers(config, limits, { path: "layered" });
    expect(stored.storedWeights).toBe(true);
    // Room for everything but the weights, and not for one layer of them either.
    const budget = stored.totalBytes - stored.bytes.weights + Math.floor(stored.weights.layerBytes / 2);
    const drawn = planBuffers(config, limits, { path: "layered", budget });
    expect(drawn.weightsInKernel).toBe(true);
    expect(drawn.bytes.weights).toBe(0);
    const kept = await runOnGpu(config, { path: "layered" });
    const run = await runOnGpu(config, { path: "layered", memoryBudgetBytes: budget });
    expect(run.memory?.weights).toBe("regenerated");
    expectSameSeries(run, kept);
    // No draw dispatches at all: data, 40 forward, seed, 40 backward, bias draw, reduce.
    expect(run.dispatches).toBe(2 * 40 + 3 + 1);
  });

  test("a long run given a signal goes in chunks, gives the same result, and stops when aborted", async () => {
    const { device } = await requireGpu();
    // 6·L·n²·B = 2.4e9 flops, above CHUNKED_FLOPS.
    const config = validateConfig({
      depth: 24,
      width: 256,
      batch: 256,
      activation: "relu",
      init: { scheme: "he_normal" },
    });
    const whole = await runOnGpu(config);
    const fractions: number[] = [];
    const chunked = await runOnGpu(config, {
      signal: new AbortController().signal,
      onProgress: (fraction) => fractions.push(fraction),
    });
    expectSameSeries(chunked, whole);
    // Each chunk reports the share of the work done: more than one chunk, rising, ending at 1.
    expect(fractions.length).toBeGreaterThan(1);
    expect(
      fractions.every((f, i) => f > 0 && (i === 0 || f > (fractions[i - 1] as number))),
      String(fractions),
    ).toBe(true);
    expect(fractions.at(-1)).toBe(1);
    expect(chunked.timingMs.gpu).toBeUndefined();
    const controller = new AbortController();
    const aborted = runOnGpu(config, { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error("the user moved on")), 50);
    // Rejected, so it stopped between chunks (a run past its last chunk resolves).
    expect(await aborted).toEqual(new Error("the user moved on"));
    expect(liveBufferBytes(device)).toBe(0);
    const after = await runOnGpu(config);
    expect(after.log10GradRms).toEqual(whole.log10GradRms);
  });

  test("repeated runs free everything they allocate", async () => {
    const { device } = await requireGpu();
    const config = validateConfig({ depth: 40, width: 33, batch: 9, numerics: "tracked", biasSigma: 0.1 });
    const first = await runOnGpu(config);
    expect(liveBufferBytes(device)).toBe(0);
    for (let i = 0; i < 5; i++) {
      const again = await runOnGpu(config);
      expect(again.log10ActRms).toEqual(first.log10ActRms);
      expect(liveBufferBytes(device)).toBe(0);
    }
  });
});
