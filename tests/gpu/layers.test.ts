/**
 * Residual connections and norms on the GPU (the layered path's layer kernels, shaders/layer_*.wgsl)
 * held to the float64 reference on fresh random configs, on every plan the layered path has, and the
 * other paths' refusals.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ACTIVATION_NAMES } from "../../src/core/activations";
import { INIT_SCHEMES, type RunConfig, validateConfig } from "../../src/core/config";
import { lectureConfig } from "../../src/core/presets";
import { runReference } from "../../src/core/reference";
import type { RunResult } from "../../src/core/result";
import { liveBufferBytes } from "../../src/gpu/device";
import { autotune, type GpuRunOptions, runOnGpu } from "../../src/gpu/engine";
import { layerNormMeanSquare } from "../support/layer-norm";
import { expectAgreesWithReference } from "./agreement";
import { pick, randomInit, uniform } from "./random-draws";
import { requireGpu } from "./support";

beforeAll(() => {
  autotune.background = false;
});

const WIDTHS = [2, 3, 17, 63, 130, 5];
const BATCHES = [1, 4, 7, 13, 2, 33];
const NORMS = ["none", "layer", "batch"] as const;

/**
 * Config i of a fresh draw: every norm with and without a residual connection (never neither),
 * every activation and init recurring, widths and batches that are not multiples of 4, every numerics.
 */
function randomConfig(i: number): RunConfig {
  const norm = NORMS[i % 3] as (typeof NORMS)[number];
  // A norm over a group of m ≤ 3 entries leaves ẑ an (m − 2)-dimensional set (two points at m = 2), so the
  // gradient through it is a cancellation that float32 rounding decides on either backend: such groups
  // (layer norm at widths 2 and 3, batch norm at batches 1 to 3) get 4 more entries.
  const width =
    (WIDTHS[i % WIDTHS.length] as number) + (norm === "layer" && (WIDTHS[i % WIDTHS.length] as number) < 4 ? 4 : 0);
  const drawnBatch = BATCHES[(i + Math.floor(i / 6)) % BATCHES.length] as number;
  const batch = drawnBatch + (norm === "batch" && drawnBatch < 4 ? 4 : 0);
  const residual = norm === "none" || i % 2 === 0 ? pick([0.1, 0.5, 1, uniform(0.05, 2)]) : null;
  const activation = ACTIVATION_NAMES[i % ACTIVATION_NAMES.length];
  // Two configs whose exact gradients are sums that cancel, where float32 sums leave a floor of about 1e-7
  // of the terms and the reference's float64 sums one of 1e-16, so the two differ by far more than rounding
  // moves either: a batch of identical examples (inputs of ones) under batch norm, whose weight gradients
  // Σ_b ∂ℓ_b/∂z_b a_bᵀ = (Σ_b ∂ℓ_b/∂z_b)·aᵀ are 0 (batch norm's ∂ℓ/∂z sums to 0 over the batch); and a last
  // layer a_L = ẑ_L with y = 0, whose loss ½‖ẑ_L‖² is constant to ε/(v + ε), so ∂ℓ/∂z_L cancels to that.
  const input = norm === "batch" ? "gaussian" : pick(["ones", "gaussian"] as const);
  const lossOfNorm = norm !== "none" && residual === null && activation === "linear";
  return validateConfig({
    depth: 1 + Math.floor(Math.random() * (width >= 63 ? 60 : 150)),
    width,
    batch,
    activation,
    init: randomInit(INIT_SCHEMES[(i * 7) % INIT_SCHEMES.length] as (typeof INIT_SCHEMES)[number]),
    biasSigma: pick([0, 0.05, 0.3]),
    input,
    target: lossOfNorm ? "gaussian" : pick(["zeros", "gaussian"] as const),
    seed: Math.floor(Math.random() * 2 ** 32),
    numerics: (["float32", "tracked", "float16", "bfloat16"] as const)[Math.floor(i / 2) % 4],
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

/** Configs that found a gap in an earlier tolerance, each now covered by the nudged reference (tests/gpu/agreement.ts). */
const REGRESSIONS = [
  // sigmoid saturated by a growing residual chain: g' = a(1 − a) from an a within a few ulps of 1
  {
    depth: 30,
    width: 63,
    batch: 2,
    activation: "sigmoid",
    init: { scheme: "identity", scale: 0.9343119523785506 },
    biasSigma: 0.3,
    residual: 0.5,
    input: "ones",
    target: "zeros",
    seed: 1847890255,
  },
  // sigmoid at z ≈ 17, where 1/(1 + e^−z) rounded to 1 on the GPU (g' = 0, no weight gradient at all) and the
  // correctly rounded a is the float32 below 1 (shaders/activations.wgsl's precise_sigmoid)
  {
    depth: 33,
    width: 63,
    batch: 2,
    activation: "sigmoid",
    init: { scheme: "identity", scale: 1.0108618279930695 },
    residual: 0.5,
    input: "ones",
    target: "zeros",
    seed: 3685972768,
  },
  // a_L = ẑ_L with y = 0: ∂ℓ/∂z_L cancels to ε/(v + ε) of its terms
  {
    depth: 95,
    width: 5,
    batch: 33,
    activation: "linear",
    init: { scheme: "orthogonal", gain: 0.9314837393989266 },
    biasSigma: 0.05,
    norm: "batch",
    input: "gaussian",
    target: "zeros",
    seed: 3610960142,
  },
  // batch norm of identical examples: weight gradients that cancel to 0 over the batch
  {
    depth: 118,
    width: 17,
    batch: 7,
    activation: "leaky_relu",
    init: { scheme: "he_normal", gain: 0.9185969978887434 },
    biasSigma: 0.3,
    residual: 0.5,
    norm: "batch",
    input: "ones",
    target: "gaussian",
    seed: 3039744740,
    numerics: "tracked",
  },
] as const;

describe("residual connections and norms on the GPU", () => {
  test("configs that once found a gap in the tolerance agree", async () => {
    await requireGpu();
    for (const partial of REGRESSIONS) {
      const config = validateConfig(partial);
      expectAgreesWithReference(config, await runOnGpu(config));
    }
  });

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

  test("the fused and per-example paths refuse them, and the planner takes the layered path", async () => {
    await requireGpu();
    const config = validateConfig({ depth: 20, width: 8, batch: 4, norm: "layer", residual: 0.5 });
    for (const path of ["fused", "per-example"] as const) {
      await expect(runOnGpu(config, { path })).rejects.toThrow(`the ${path} path cannot run this config`);
    }
    const result = await runOnGpu(config);
    expect(result.backend).toBe("webgpu");
    expectAgreesWithReference(config, result);
  });
});

/** One float32 rounding moves a value by a factor within 1 ± 2⁻²⁴: at most this much in log10. */
const ROUNDING = Math.log10(1 + 2 ** -24);
const at = (values: (number | null)[], l: number) => values[l] as number;

describe("residual chains on the GPU against exact results and theory", () => {
  // W_l = s·I, inputs of ones, g linear, y = 0: a_l = a_{l−1} + α·s·a_{l−1} = c^l·x with c = 1 + α·s, and
  // ∂ℓ/∂a_{l−1} = (I + α·W_l)ᵀ ∂ℓ/∂a_l = c·∂ℓ/∂a_l, so log10 RMS(a_l) = l·log10|c| and log10 RMS(∂ℓ/∂a_l) =
  // (2L − l)·log10|c|. α and s are exact in float32 and so is c; each layer rounds its product, its h and its
  // sum (3 roundings forward, 3 back), and the statistics' sums 4 more: a bound of (3·steps + 4)·ROUNDING.
  const CHAINS = [
    { alpha: 0.5, scale: 1, depth: 4096 },
    { alpha: 0.25, scale: -2, depth: 4096 },
    { alpha: 2, scale: -1.25, depth: 1000 },
  ];
  for (const { alpha, scale, depth } of CHAINS) {
    const c = 1 + alpha * scale;
    test(`α = ${alpha}, s = ${scale}: c = ${c}, to depth ${depth} in tracked numerics (10^${Math.round(2 * depth * Math.log10(Math.abs(c)))})`, async () => {
      await requireGpu();
      const config = validateConfig({
        depth,
        width: 3,
        batch: 2,
        activation: "linear",
        init: { scheme: "identity", scale },
        input: "ones",
        target: "zeros",
        residual: alpha,
        numerics: "tracked",
      });
      const result = await runOnGpu(config);
      const slope = Math.log10(Math.abs(c));
      for (let l = 0; l <= depth; l++) {
        expect(Math.abs(at(result.log10ActRms, l) - l * slope), `a_${l}`).toBeLessThan((3 * l + 4) * ROUNDING);
        const steps = 3 * depth + 3 * (depth - l) + 4;
        expect(Math.abs(at(result.log10GradRms, l) - (2 * depth - l) * slope), `∂ℓ/∂a_${l}`).toBeLessThan(
          steps * ROUNDING,
        );
      }
      expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
      expect(result.firstAllZero).toEqual({ forward: null, backward: null });
    });
  }

  test("in float16 and bfloat16 a residual sum a + α·h below half an ulp of a rounds back to a: the chain stalls", async () => {
    await requireGpu();
    // s = 1, α = 2⁻¹²: a_l = a_{l−1}·(1 + 2⁻¹²) exactly, which float32 keeps (10^0.0318 by layer 300) and
    // float16 (half an ulp of 1 is 2⁻¹¹) and bfloat16 (2⁻⁸) round back to 1 at every layer, on both backends.
    const chain = (numerics: RunConfig["numerics"]) =>
      validateConfig({ ...lectureConfig(1, 300), width: 3, batch: 2, residual: 2 ** -12, numerics });
    for (const numerics of ["float16", "bfloat16"] as const) {
      for (const result of [await runOnGpu(chain(numerics)), runReference(chain(numerics))]) {
        expect(result.log10ActRms, `${numerics} on ${result.backend}`).toEqual(result.log10ActRms.map(() => 0));
      }
    }
    const float32 = await runOnGpu(chain("float32"));
    expect(float32.log10ActRms[300]).toBeCloseTo(300 * Math.log10(1 + 2 ** -12), 6);
  });

  test("a linear residual chain grows like (1 + α²σ²)^l in mean square (tests/core/layer-theory.test.ts)", async () => {
    await requireGpu();
    // The derivation and bound are tests/core/layer-theory.test.ts's: the mean of the L ratios of mean squares
    // r_l has E = 1 + α²σ² and a standard deviation at most √((4α²σ² + 2α⁴σ⁴)/(n·L)); 6 of them allowed.
    const [alpha, sigma, width, depth] = [0.5, 1, 256, 40];
    const config = validateConfig({
      depth,
      width,
      batch: 16,
      activation: "linear",
      init: { scheme: "gaussian", sigma },
      input: "gaussian",
      target: "gaussian",
      residual: alpha,
      seed: 11,
    });
    const result = await runOnGpu(config);
    let sum = 0;
    for (let l = 1; l <= depth; l++) sum += 10 ** (2 * (at(result.log10ActRms, l) - at(result.log10ActRms, l - 1)));
    const a2s2 = (alpha * sigma) ** 2;
    const deviation = Math.sqrt((4 * a2s2 + 2 * a2s2 * a2s2) / (width * depth));
    expect(Math.abs(sum / depth - (1 + a2s2))).toBeLessThan(6 * deviation);
  });
});

describe("norms on the GPU against theory", () => {
  test("layer norm keeps every a_l at RMS √(v/(v + ε)), v from the reference's z_l", async () => {
    await requireGpu();
    // tests/core/layer-theory.test.ts: mean_i a_l² = v/(v + ε) per example, exactly; the GPU's a_l is that up
    // to float32 rounding of z, the mean, the variance and ẑ (a few ulps: 1e-6 in log10 allows ~50).
    for (const sigma of [3, 0.003]) {
      const config = validateConfig({
        depth: 40,
        width: 33,
        batch: 5,
        activation: "linear",
        init: { scheme: "gaussian", sigma },
        biasSigma: 0.5,
        input: "gaussian",
        target: "gaussian",
        norm: "layer",
      });
      const predicted: number[] = [];
      runReference(config, {
        onPreActivation: (layer, z, exponent2) => {
          predicted[layer] = 0.5 * Math.log10(layerNormMeanSquare(z, exponent2, config.width));
        },
      });
      const result = await runOnGpu(config);
      for (let l = 1; l <= config.depth; l++) {
        expect(Math.abs(at(result.log10ActRms, l) - (predicted[l] as number)), `σ ${sigma}, a_${l}`).toBeLessThan(1e-6);
      }
    }
  });

  test("batch norm makes the gradient grow backwards by (B − 2)/(B − 3) per layer while every a_l has RMS 1", async () => {
    await requireGpu();
    // tests/core/layer-theory.test.ts derives the rate (Yang et al. 2019) and the band [0.55, 1.3]× it, measured
    // at width 256 on the reference; the GPU's runs of the same configs must fall in it too, and agree with
    // the reference's to float32 rounding.
    const depth = 30;
    for (const batch of [6, 16]) {
      const rate = 0.5 * Math.log10((batch - 2) / (batch - 3));
      let slope = 0;
      for (const seed of [1, 2]) {
        const config = validateConfig({
          depth,
          width: 256,
          batch,
          activation: "linear",
          init: { scheme: "gaussian", sigma: 1 },
          input: "gaussian",
          target: "gaussian",
          numerics: "tracked",
          norm: "batch",
          seed,
        });
        const result: RunResult = await runOnGpu(config);
        for (let l = 1; l <= depth; l++) expect(Math.abs(at(result.log10ActRms, l)), `a_${l}`).toBeLessThan(1e-3);
        slope += (at(result.log10GradRms, 3) - at(result.log10GradRms, depth - 2)) / (depth - 5) / 2;
      }
      expect(slope / rate, `B = ${batch}`).toBeGreaterThan(0.55);
      expect(slope / rate, `B = ${batch}`).toBeLessThan(1.3);
    }
  }, 120_000);
});
