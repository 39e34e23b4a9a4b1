/**
 * Residual connections and norms on the GPU (the layered path's layer kernels, shaders/layer_*.wgsl)
 * held to the float64 reference on fresh random configs, on every plan the layered path has, and the
 * other paths' refusals.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ACTIVATION_NAMES } from "../../src/core/activations";
import { INIT_SCHEMES, type InitConfig, type RunConfig, validateConfig } from "../../src/core/config";
import { liveBufferBytes } from "../../src/gpu/device";
import { autotune, type GpuRunOptions, runOnGpu } from "../../src/gpu/engine";
import { UnsupportedError } from "../../src/gpu/plan";
import { expectAgreesWithReference } from "./agreement";
import { requireGpu } from "./support";

beforeAll(() => {
  autotune.background = false;
});

const WIDTHS = [2, 3, 17, 63, 130, 5];
const BATCHES = [1, 4, 7, 13, 2, 33];
const NORMS = ["none", "layer", "batch"] as const;
const pick = <T>(options: readonly T[]): T => options[Math.floor(Math.random() * options.length)] as T;
const uniform = (low: number, high: number) => low + (high - low) * Math.random();

function randomInit(scheme: (typeof INIT_SCHEMES)[number]): InitConfig {
  if (scheme === "identity") return { scheme, scale: uniform(0.6, 1.4) };
  if (scheme === "gaussian") return { scheme, sigma: uniform(0.5, 2) };
  if (scheme === "normal") return { scheme, sigma: uniform(0.05, 0.6) };
  return { scheme, gain: uniform(0.6, 1.6) };
}

/**
 * Config i of a fresh draw: every norm with and without a residual connection (never neither),
 * every activation and init recurring, widths and batches that are not multiples of 4, both numerics.
 */
function randomConfig(i: number): RunConfig {
  const width = WIDTHS[i % WIDTHS.length] as number;
  const norm = NORMS[i % 3] as (typeof NORMS)[number];
  const residual = norm === "none" || i % 2 === 0 ? pick([0.1, 0.5, 1, uniform(0.05, 2)]) : null;
  return validateConfig({
    depth: 1 + Math.floor(Math.random() * (width >= 63 ? 60 : 150)),
    width,
    batch: BATCHES[(i + Math.floor(i / 6)) % BATCHES.length] as number,
    activation: ACTIVATION_NAMES[i % ACTIVATION_NAMES.length],
    init: randomInit(INIT_SCHEMES[(i * 7) % INIT_SCHEMES.length] as (typeof INIT_SCHEMES)[number]),
    biasSigma: pick([0, 0.05, 0.3]),
    input: pick(["ones", "gaussian"]),
    target: pick(["zeros", "gaussian"]),
    seed: Math.floor(Math.random() * 2 ** 32),
    numerics: Math.floor(i / 2) % 2 === 0 ? "float32" : "tracked",
    residual,
    norm,
  });
}

/** The layered path's plans in turn: its own choice, weights drawn where used, checkpoints, reductions after each dispatch, 8 × 8 tiles. */
function runOptions(i: number, config: RunConfig): GpuRunOptions {
  const positions = 4 + Math.floor(Math.random() * Math.max(1, config.depth - 3));
  const drawn = config.batch <= 4 ? ("in-kernel" as const) : ("regenerated" as const);
  const regenerated = config.init.scheme === "orthogonal" ? {} : { weights: drawn };
  const ways: GpuRunOptions[] = [
    {},
    { ...regenerated, block: 8 },
    { positions },
    { reduceEachDispatch: true, block: 8, workgroup: 128 },
    { positions, reduceEachDispatch: true, ...regenerated },
  ];
  return ways[i % ways.length] as GpuRunOptions;
}

describe("residual connections and norms on the GPU", () => {
  afterAll(async () => {
    const { device } = await requireGpu();
    expect(liveBufferBytes(device)).toBe(0);
  });

  test("18 fresh random configs agree with the reference statistic by statistic, on every layered plan", async () => {
    await requireGpu();
    for (let i = 0; i < 18; i++) {
      const config = randomConfig(i);
      const gpu = await runOnGpu(config, runOptions(i, config));
      expect(gpu.backend).toBe("webgpu");
      expectAgreesWithReference(config, gpu);
    }
  });
});
