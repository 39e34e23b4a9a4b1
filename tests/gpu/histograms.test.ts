/**
 * The GPU's histograms (the run option histograms: binades of a_l and ∂ℓ/∂a_l, saturated entries,
 * dead units) held to the reference's: exactly on chains whose every value is exact, within the
 * entries float32 rounding may move across a bin's edge on fresh random configs
 * (tests/gpu/histogram-agreement.ts), and the same bit for bit on every plan of the layered path;
 * on the fused and per-example paths too.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { ACTIVATION_NAMES } from "../../src/core/activations";
import { INIT_SCHEMES, type PartialConfig, type RunConfig, validateConfig } from "../../src/core/config";
import { lectureConfig } from "../../src/core/presets";
import { runReference } from "../../src/core/reference";
import { autotune, type GpuRunOptions, runOnGpu } from "../../src/gpu/engine";
import { exampleLayersPerDispatch, planRun, RUN_PATHS } from "../../src/gpu/plan";
import { expectHistogramsAgree } from "./histogram-agreement";
import { pick, randomInit, uniform } from "./random-draws";
import { requireGpu } from "./support";

beforeAll(() => {
  autotune.background = false;
});

/** The lecture's chain: every entry of a layer alike, s^l, exact for s a power of two. */
const lecture = (scale: number, depth: number, extra: PartialConfig = {}): RunConfig =>
  validateConfig({ ...lectureConfig(scale, depth), ...extra });

const NORMS = ["none", "layer", "batch"] as const;
const WIDTHS = [1, 3, 17, 64, 5, 33];

/**
 * Config i of a fresh draw: every activation, norm, residual connection and init recurring, both
 * numerics, widths and batches off multiples of 4 (norm groups of at least 4 entries, whose
 * gradients float32 does not decide: tests/gpu/layers.test.ts).
 */
function randomConfig(i: number): RunConfig {
  const norm = NORMS[i % 3] as (typeof NORMS)[number];
  const width = Math.max(WIDTHS[i % WIDTHS.length] as number, norm === "layer" ? 4 : 1);
  const batch = Math.max(1 + Math.floor(Math.random() * 12), norm === "batch" ? 4 : 1);
  const residual = Math.floor(i / 3) % 2 === 0 ? null : pick([0.1, 0.5, 1, uniform(0.05, 2)]);
  const activation = ACTIVATION_NAMES[i % ACTIVATION_NAMES.length];
  const lossOfNorm = norm !== "none" && residual === null && activation === "linear";
  return validateConfig({
    depth: 1 + Math.floor(Math.random() * 40),
    width,
    batch,
    activation,
    init: randomInit(INIT_SCHEMES[(i * 7) % INIT_SCHEMES.length] as (typeof INIT_SCHEMES)[number]),
    biasSigma: pick([0, 0.05, 0.3]),
    input: norm === "batch" ? "gaussian" : pick(["ones", "gaussian"] as const),
    target: lossOfNorm ? "gaussian" : pick(["zeros", "gaussian"] as const),
    seed: Math.floor(Math.random() * 2 ** 32),
    numerics: Math.floor(i / 2) % 2 === 0 ? "float32" : "tracked",
    residual,
    norm,
  });
}

type Numerics = RunConfig["numerics"];

/**
 * Config i of a fresh draw of plain chains (no norm, no residual connection) of this shape: every
 * activation in turn, every `schemeStride`-th init scheme, the rest at random.
 */
function plainChain(
  i: number,
  shape: Pick<RunConfig, "depth" | "width" | "batch">,
  numerics: Numerics,
  schemeStride: number,
): RunConfig {
  return validateConfig({
    ...shape,
    activation: ACTIVATION_NAMES[i % ACTIVATION_NAMES.length],
    init: randomInit(INIT_SCHEMES[(i * schemeStride) % INIT_SCHEMES.length] as (typeof INIT_SCHEMES)[number]),
    biasSigma: pick([0, 0.05, 0.3]),
    input: pick(["ones", "gaussian"] as const),
    target: pick(["zeros", "gaussian"] as const),
    seed: Math.floor(Math.random() * 2 ** 32),
    numerics,
  });
}

/** The layered path's plans in turn: its own, checkpoints, reductions after each dispatch, 8 × 8 tiles, weights drawn. */
function runOptions(i: number, config: RunConfig): GpuRunOptions {
  const positions = 4 + Math.floor(Math.random() * Math.max(1, config.depth - 3));
  const regenerated = config.init.scheme === "orthogonal" ? {} : { weights: "regenerated" as const };
  const ways: GpuRunOptions[] = [
    {},
    { positions },
    { reduceEachDispatch: true, block: 8, workgroup: 128 },
    { ...regenerated, block: 8 },
  ];
  return { histograms: true, ...(ways[i % ways.length] as GpuRunOptions) };
}

describe("histograms on the GPU against the reference", () => {
  test("the lecture's 0.5·I chain: every layer's binade, through the subnormals to exact zeros", async () => {
    await requireGpu();
    const config = lecture(0.5, 160);
    const gpu = await runOnGpu(config, { histograms: true });
    const cpu = runReference(config, { histograms: true, subnormals: gpu.subnormals });
    expect(gpu.histograms).toEqual(cpu.histograms);
    expect(gpu.histograms?.act[100]).toEqual({ minExponent: -100, counts: [2], zeros: 0, nonFinite: 0 });
  });

  test("1.5·I overflows into non-finite entries at layer 219; tracked 1e−3·I reaches binade −9966 at layer 1000", async () => {
    for (const config of [lecture(1.5, 230), lecture(Math.fround(1e-3), 1000, { numerics: "tracked" })]) {
      const gpu = await runOnGpu(config, { histograms: true });
      expect(gpu.histograms).toEqual(runReference(config, { histograms: true }).histograms);
    }
    const tracked = await runOnGpu(lecture(Math.fround(1e-3), 1000, { numerics: "tracked" }), { histograms: true });
    expect(tracked.histograms?.act[1000]?.minExponent).toBe(Math.floor(1000 * Math.log2(Math.fround(1e-3))));
  });

  test("12 fresh random configs agree bin by bin but for entries near a bin's edge", async () => {
    for (let i = 0; i < 12; i++) {
      const config = randomConfig(i);
      const gpu = await runOnGpu(config, runOptions(i, config));
      expectHistogramsAgree(config, gpu);
    }
  });

  test("relu with every pre-activation negative: every unit dead, on each path; tanh under N(0, 10⁶/n) weights saturated", async () => {
    const dead = validateConfig({
      depth: 6,
      width: 37,
      batch: 9,
      activation: "relu",
      init: { scheme: "identity", scale: -1 },
      input: "ones",
    });
    for (const path of RUN_PATHS) {
      const deadRun = await runOnGpu(dead, { histograms: true, path });
      expect(deadRun.histograms?.dead, path).toEqual([null, 1, 1, 1, 1, 1, 1]);
      expect(deadRun.histograms?.saturated, path).toEqual([null, 1, 1, 1, 1, 1, 1]);
      const reference = runReference(dead, { histograms: true, subnormals: deadRun.subnormals });
      expect(deadRun.histograms, path).toEqual(reference.histograms);
    }
    const tanh = validateConfig({ depth: 10, width: 64, batch: 16, init: { scheme: "gaussian", sigma: 1000 } });
    const tanhRun = await runOnGpu(tanh, { histograms: true });
    for (let l = 2; l <= 10; l++) expect(tanhRun.histograms?.saturated[l]).toBeGreaterThan(0.99);
    expectHistogramsAgree(tanh, tanhRun);
  });
});

describe("histograms on every plan of the layered path", () => {
  test("checkpointed, regenerated, reduced after each dispatch, 8 × 8 tiles: the same histograms bit for bit", async () => {
    const configs = [
      validateConfig({ depth: 30, width: 19, batch: 6, activation: "relu", biasSigma: 0.1, seed: 5 }),
      validateConfig({ depth: 25, width: 8, batch: 5, residual: 0.5, norm: "layer", numerics: "tracked", seed: 6 }),
    ];
    for (const config of configs) {
      const stored = await runOnGpu(config, { histograms: true });
      expect(stored.memory?.activationsKept).toBe(config.depth + 1);
      for (const options of [
        { positions: 5 },
        { positions: 9, weights: "regenerated" as const },
        { reduceEachDispatch: true, block: 8 },
      ]) {
        const run = await runOnGpu(config, { histograms: true, ...options });
        expect(run.histograms, JSON.stringify(options)).toEqual(stored.histograms);
      }
    }
  });

  test("a small memory budget checkpoints the run, and it counts each activation once", async () => {
    const { limits } = await requireGpu();
    const config = validateConfig({ depth: 60, width: 64, batch: 32, activation: "tanh", seed: 3 });
    const full = planRun(config, limits, { histograms: true });
    // Below what weights drawn where used would save: only keeping fewer activations fits.
    const budget = full.totalBytes - full.bytes.weights - 30 * full.activations.stride;
    const stored = await runOnGpu(config, { histograms: true });
    const checkpointed = await runOnGpu(config, { histograms: true, memoryBudgetBytes: budget });
    expect(checkpointed.memory?.activationsKept).toBeLessThan(config.depth + 1);
    expect(checkpointed.histograms).toEqual(stored.histograms);
  });
});

describe("histograms on the other paths", () => {
  test("the fused path counts them too: fresh narrow configs of every activation, both numerics", async () => {
    for (let i = 0; i < ACTIVATION_NAMES.length * 2; i++) {
      const width = 1 + Math.floor(Math.random() * 16);
      const batch = 1 + Math.floor(Math.random() * Math.floor(256 / width));
      const depth = 1 + Math.floor(Math.random() * 60);
      const config = plainChain(i, { depth, width, batch }, i % 2 === 0 ? "float32" : "tracked", 5);
      const gpu = await runOnGpu(config, { histograms: true });
      expect(gpu.dispatches, JSON.stringify(config)).toBeLessThanOrEqual(5);
      expectHistogramsAgree(config, gpu);
    }
  });

  test("the per-example path counts them too: fresh configs of every activation, float32, float16 and bfloat16", async () => {
    const numerics = ["float32", "float16", "bfloat16"] as const;
    for (let i = 0; i < 2 * ACTIVATION_NAMES.length; i++) {
      // Odd widths (rows of vec4s with padding) and odd batches (off the examples' workgroup).
      const width = 1 + 2 * Math.floor(Math.random() * 32);
      const batch = 9 + 2 * Math.floor(Math.random() * 40);
      const depth = 1 + Math.floor(Math.random() * 50);
      const config = plainChain(i, { depth, width, batch }, numerics[i % numerics.length] as Numerics, 3);
      const gpu = await runOnGpu(config, { histograms: true, path: "per-example" });
      expectHistogramsAgree(config, gpu);
    }
  });

  test("the per-example path counts each layer once over ranges of layers, and the planner keeps it with histograms", async () => {
    const { limits } = await requireGpu();
    // 134 layers per dispatch at 63 × 63: two ranges each way.
    const deep = validateConfig({ depth: 150, width: 63, batch: 63, activation: "relu", biasSigma: 0.05, seed: 8 });
    expect(exampleLayersPerDispatch(deep)).toBeLessThan(deep.depth);
    const ranged = await runOnGpu(deep, { histograms: true, path: "per-example" });
    expectHistogramsAgree(deep, ranged);
    const examples = validateConfig({ depth: 10, width: 16, batch: 64 });
    expect(planRun(examples, limits, { histograms: true }).path).toBe("per-example");
    const run = await runOnGpu(examples, { histograms: true });
    expect(run.dispatches).toBeLessThanOrEqual(8);
    expectHistogramsAgree(examples, run);
    expect((await runOnGpu(examples)).histograms).toBeUndefined();
  });
});
