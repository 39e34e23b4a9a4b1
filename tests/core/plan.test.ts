/**
 * The buffer plan against SPEC.md's whole range: every config runs within 1 GiB of GPU buffers or
 * is refused with the bytes it needs, on an adapter with WebGPU's default limits.
 */
import { describe, expect, test } from "vitest";
import { INIT_SCHEMES, type InitConfig, validateConfig } from "../../src/core/config";
import {
  CapacityError,
  DEFAULT_MEMORY_BUDGET,
  exampleLayersPerDispatch,
  exampleWorkgroup,
  planRun,
  UnsupportedError,
} from "../../src/gpu/plan";
import { chainSchedule, computations } from "../../src/gpu/schedule";
import { EXAMPLE_DISPATCH_FLOPS } from "../../src/gpu/tuning";

/** WebGPU's default limits, the least any adapter offers. */
const DEFAULT_LIMITS = {
  maxBufferSize: 256 * 2 ** 20,
  maxStorageBufferBindingSize: 128 * 2 ** 20,
  minStorageBufferOffsetAlignment: 256,
};

const initOf = (scheme: (typeof INIT_SCHEMES)[number]): InitConfig =>
  scheme === "identity"
    ? { scheme, scale: 1 }
    : scheme === "gaussian" || scheme === "normal"
      ? { scheme, sigma: 1 }
      : { scheme, gain: 1 };

const NUMERICS = ["float32", "tracked"] as const;

describe("buffer plans across SPEC.md's range", () => {
  test("every corner of depth × width × batch fits 1 GiB, orthogonal weights aside", () => {
    for (const depth of [1, 2, 4096]) {
      for (const width of [1, 2048]) {
        for (const batch of [1, 4096]) {
          for (const [scheme, numerics] of INIT_SCHEMES.flatMap((s) =>
            [s, s].map((s, i) => [s, NUMERICS[i]] as const),
          )) {
            const config = validateConfig({ depth, width, batch, init: initOf(scheme), numerics });
            const label = `${depth} × ${width} × ${batch} ${scheme} ${numerics}`;
            let plan: ReturnType<typeof planRun>;
            try {
              plan = planRun(config, DEFAULT_LIMITS);
            } catch (error) {
              // Only orthogonal weights must be stored whole: 4096 layers of 2048² floats.
              expect(error, label).toBeInstanceOf(CapacityError);
              expect(scheme, label).toBe("orthogonal");
              expect((error as CapacityError).bytesNeeded, label).toBeGreaterThan(DEFAULT_MEMORY_BUDGET);
              continue;
            }
            expect(plan.totalBytes, label).toBeLessThanOrEqual(DEFAULT_MEMORY_BUDGET);
          }
        }
      }
    }
  });

  test("the largest config draws weights where used, recomputes, and reduces as it goes", () => {
    const config = validateConfig({ depth: 4096, width: 2048, batch: 4096 });
    const plan = planRun(config, DEFAULT_LIMITS);
    expect(plan.path).toBe("layered");
    expect(plan.storedWeights).toBe(false);
    expect(plan.weightsInKernel).toBe(false);
    expect(plan.reduceEachDispatch).toBe(true);
    expect(plan.bytes.weights).toBe(4 * 2048 * 2048);
    // 32 MiB per activation: 1 GiB holds a couple of dozen of them.
    expect(plan.positions).toBeGreaterThanOrEqual(20);
    expect(plan.totalBytes).toBeLessThanOrEqual(DEFAULT_MEMORY_BUDGET);
    expect(computations(4096, plan.positions)).toBeLessThanOrEqual(5);
    const forwardSteps = chainSchedule(4096, plan.positions).filter((step) => step.kind === "forward").length;
    expect(forwardSteps).toBeLessThanOrEqual(plan.forwardSteps);
  });

  test("weights that do not fit are drawn per step, or inside the kernels when not even one layer fits", () => {
    const config = validateConfig({ depth: 4096, width: 2048, batch: 3 });
    const plan = planRun(config, DEFAULT_LIMITS);
    expect(plan.storedWeights).toBe(false);
    expect(plan.weightsInKernel).toBe(false);
    expect(plan.bytes.weights).toBe(4 * 2048 * 2048);
    expect(plan.positions).toBe(4097);
    // A budget 1 MiB short of that plan leaves no room for one layer of weights (16 MiB).
    const lean = planRun(config, DEFAULT_LIMITS, { budget: plan.totalBytes - 2 ** 20 });
    expect(lean.weightsInKernel).toBe(true);
    expect(lean.bytes.weights).toBe(0);
    expect(lean.positions).toBe(4097);
    // With a batch above 4 in-kernel drawing is never chosen: activations are recomputed instead.
    const wider = validateConfig({ depth: 4096, width: 2048, batch: 5 });
    const widerPlan = planRun(wider, DEFAULT_LIMITS);
    const widerLean = planRun(wider, DEFAULT_LIMITS, { budget: widerPlan.totalBytes - 2 ** 20 });
    expect(widerLean.weightsInKernel).toBe(false);
    expect(widerLean.positions).toBeLessThan(4097);
  });

  test("small configs keep everything and reduce once", () => {
    const plan = planRun(validateConfig({ depth: 300, width: 64, batch: 64 }), DEFAULT_LIMITS);
    expect(plan.positions).toBe(301);
    expect(plan.storedWeights).toBe(true);
    expect(plan.reduceEachDispatch).toBe(false);
    expect(plan.forwardSteps).toBe(300);
  });
});

describe("the per-example path", () => {
  const plain = (width: number, batch: number, depth = 100) => validateConfig({ depth, width, batch });

  test("is chosen for narrow float32, float16 and bfloat16 nets past one fused workgroup, up to n²·B = 2^15", () => {
    const path = (width: number, batch: number) => planRun(plain(width, batch), DEFAULT_LIMITS).path;
    expect(path(16, 64)).toBe("per-example");
    expect(path(16, 128)).toBe("per-example");
    expect(path(16, 129)).toBe("layered");
    expect(path(2, 4096)).toBe("per-example");
    expect(path(64, 8)).toBe("per-example");
    expect(path(16, 16)).toBe("fused");
    const tracked = validateConfig({ depth: 100, width: 16, batch: 64, numerics: "tracked" });
    expect(planRun(tracked, DEFAULT_LIMITS).path).toBe("layered");
    for (const numerics of ["float16", "bfloat16"] as const) {
      const format = validateConfig({ depth: 100, width: 16, batch: 64, numerics });
      expect(planRun(format, DEFAULT_LIMITS).path).toBe("per-example");
      expect(planRun({ ...format, batch: 4 }, DEFAULT_LIMITS).path).toBe("fused");
    }
  });

  test("forced where it cannot run, it is refused saying why", () => {
    const tracked = validateConfig({ depth: 100, width: 16, batch: 64, numerics: "tracked" });
    expect(() => planRun(tracked, DEFAULT_LIMITS, { path: "per-example" })).toThrow(
      "the per-example path runs no tracked numerics: they scale each layer by the whole batch, which no one invocation sees",
    );
    expect(() => planRun(plain(65, 4), DEFAULT_LIMITS, { path: "per-example" })).toThrow(
      "the per-example path runs widths up to 64, got 65",
    );
  });

  test("stores weights and every layer's ∂ℓ/∂z, and cuts long passes into ranges of layers", () => {
    const config = plain(16, 128, 4096);
    const plan = planRun(config, DEFAULT_LIMITS);
    expect(plan.path).toBe("per-example");
    expect(plan.storedWeights).toBe(true);
    expect(plan.bytes.gradients).toBe(4096 * 4 * 16 * 128);
    expect(plan.bytes.activations).toBe(4097 * 4 * 16 * 128);
    expect(plan.partialsPerLayer).toBe(128);
    // 2·16²·128 = 65536 flops per layer: 1024 layers per dispatch, four ranges per pass.
    expect(exampleLayersPerDispatch(config)).toBe(EXAMPLE_DISPATCH_FLOPS / 65536);
    expect(plan.dispatches).toBe(1 + 2 + 3 * 4);
    expect(exampleLayersPerDispatch(plain(2, 1, 4096))).toBe(4096);
  });

  test("falls back to the layered path when its single buffers cannot hold the run", () => {
    // ∂ℓ/∂z of every layer takes 32 MiB in one buffer: above a 16 MiB cap.
    const plan = planRun(plain(16, 128, 4096), DEFAULT_LIMITS, { layerBufferCap: 16 * 2 ** 20 });
    expect(plan.path).toBe("layered");
    expect(plan.totalBytes).toBeLessThanOrEqual(DEFAULT_MEMORY_BUDGET);
  });

  test("spreads a batch over at least eight workgroups where it can", () => {
    expect([1, 37, 64, 300, 1024, 4096].map(exampleWorkgroup)).toEqual([4, 4, 8, 32, 64, 64]);
  });
});

describe("the fused path's weights", () => {
  test("random weights are stored, s·I is regenerated, and random weights too big to store are regenerated", () => {
    const plan = (depth: number, width: number, init: InitConfig) =>
      planRun(validateConfig({ depth, width, batch: 1, init }), DEFAULT_LIMITS);
    const xavier = plan(100, 64, { scheme: "xavier_normal", gain: 1 });
    expect(xavier.path).toBe("fused");
    expect(xavier.storedWeights).toBe(true);
    expect(xavier.bytes.weights).toBe(100 * 4 * 64 * 64);
    expect(plan(4096, 2, { scheme: "identity", scale: 1.5 }).storedWeights).toBe(false);
    // 4096 layers of 256² floats are 1 GiB: over the budget, so drawn where used instead.
    const big = plan(4096, 256, { scheme: "he_normal", gain: 1 });
    expect(big.path).toBe("fused");
    expect(big.storedWeights).toBe(false);
    expect(big.bytes.weights).toBe(0);
  });
});

describe("residual connections and norms", () => {
  const epilogueConfigs = [{ residual: 0.5 }, { norm: "layer" }, { residual: 0, norm: "batch" }] as const;

  test("take the layered path whatever their size: the fused and per-example paths refuse them, saying why", () => {
    for (const extra of epilogueConfigs) {
      // Sizes the fused path (8 × 4) and the per-example path (16 × 64, float32) would otherwise take.
      for (const [width, batch] of [
        [8, 4],
        [16, 64],
      ] as const) {
        const config = validateConfig({ depth: 10, width, batch, ...extra });
        expect(planRun(config, DEFAULT_LIMITS).path, JSON.stringify(extra)).toBe("layered");
        expect(planRun(config, DEFAULT_LIMITS, { path: "layered" }).epilogue).toBe(true);
        for (const path of ["fused", "per-example"] as const) {
          let refusal: unknown = null;
          try {
            planRun(config, DEFAULT_LIMITS, { path });
          } catch (error) {
            refusal = error;
          }
          expect(refusal, `${JSON.stringify(extra)} ${path}`).toBeInstanceOf(UnsupportedError);
          expect((refusal as Error).message).toBe(
            `the ${path} path cannot run this config: residual connections and norms run on the layered path ` +
              "only (shaders/layer_*.wgsl); the fused and per-example kernels have no port yet",
          );
        }
      }
    }
    // The plain chain, residual null and norm "none", still takes the fused path and no layer kernels.
    const plain = planRun(
      validateConfig({ depth: 10, width: 8, batch: 4, residual: null, norm: "none" }),
      DEFAULT_LIMITS,
    );
    expect(plain.path).toBe("fused");
    expect(plain.epilogue).toBe(false);
  });

  test("each position holds a layer's state, and the plan counts its bytes, slots and dispatches", () => {
    const base = { depth: 100, width: 130, batch: 7 } as const;
    const row = 132;
    const tensor = 4 * row * 7;
    const plain = planRun(validateConfig(base), DEFAULT_LIMITS, { path: "layered" });
    const both = planRun(validateConfig({ ...base, residual: 1, norm: "layer" }), DEFAULT_LIMITS);
    const batchNorm = planRun(validateConfig({ ...base, norm: "batch" }), DEFAULT_LIMITS);
    expect(plain.activations.layerBytes).toBe(tensor);
    // a_l, h_l, ẑ_l and one 1/σ per example (7, padded to 8).
    expect(both.activations.layerBytes).toBe(3 * tensor + 4 * 8);
    // a_l (= h_l), ẑ_l and one 1/σ per unit (130, padded to 132).
    expect(batchNorm.activations.layerBytes).toBe(2 * tensor + 4 * 132);
    expect(both.bytes.gradients).toBe(3 * tensor);
    expect(both.bytes.preActivations).toBe(tensor);
    expect(both.slots).toBe(plain.slots);
    expect(both.slotLayout.total).toBe(plain.slots + 2 * base.depth);
    // One layer kernel per forward step and one per layer backward.
    expect(both.dispatches - plain.dispatches).toBe(2 * base.depth);
  });
});

describe("training plans", () => {
  const train = (optimizer: "sgd" | "momentum" | "adam", steps = 100) => ({ steps, optimizer, learningRate: 0.01 });

  test("store every weight, with the optimizer's moments beside them, and count their bytes", () => {
    const n = 64;
    const row = n;
    for (const [optimizer, moments] of [
      ["sgd", 0],
      ["momentum", 1],
      ["adam", 2],
    ] as const) {
      const config = validateConfig({ depth: 50, width: n, batch: 16, train: train(optimizer) });
      const plan = planRun(config, DEFAULT_LIMITS);
      expect(plan.path).toBe("layered");
      expect(plan.storedWeights).toBe(true);
      expect(plan.training?.moments).toBe(moments);
      expect(plan.training?.state.layers).toBe(moments > 0 ? 50 : 0);
      expect(plan.training?.state.layerBytes).toBe(4 * moments * (n + 1) * row);
      expect(plan.bytes.training).toBe(plan.training?.bytes);
      // The W_l and ΔW_l slots of the update ratio.
      expect(plan.slots).toBe(5 * 50 + 2);
    }
  });

  test("narrow plain nets take the fused path; the per-example path refuses training, saying why", () => {
    const narrow = validateConfig({ depth: 300, width: 2, batch: 1, train: train("adam") });
    const plan = planRun(narrow, DEFAULT_LIMITS);
    expect(plan.path).toBe("fused");
    expect(plan.storedWeights).toBe(true);
    // Adam's corrections: 8 bytes a step.
    expect(plan.training?.bytes).toBeGreaterThanOrEqual(8 * 100);
    const batch = validateConfig({ depth: 30, width: 16, batch: 64, train: train("sgd") });
    expect(planRun(batch, DEFAULT_LIMITS).path).toBe("layered");
    expect(() => planRun(batch, DEFAULT_LIMITS, { path: "per-example" })).toThrow(UnsupportedError);
    expect(() => planRun(batch, DEFAULT_LIMITS, { path: "per-example" })).toThrow(
      /training runs on the layered and fused paths only/,
    );
  });

  test("never draw weights where used nor reduce after each dispatch, and are refused with their bytes past the budget", () => {
    const config = validateConfig({ depth: 400, width: 512, batch: 8, train: train("adam") });
    // 400 × 512² floats of weights and twice that of moments: 1.2 GiB.
    const error = (() => {
      try {
        planRun(config, DEFAULT_LIMITS);
      } catch (thrown) {
        return thrown as CapacityError;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(CapacityError);
    expect(error?.bytesNeeded).toBeGreaterThan(3 * 400 * 512 * 512 * 4);
    expect(error?.bytesByRole?.training).toBeGreaterThan(2 * 400 * 512 * 512 * 4);
    expect(() => planRun(config, DEFAULT_LIMITS, { weights: "regenerated" })).toThrow(/stores its weights/);
  });

  test("reduce after each dispatch, then keep fewer activations, when they do not fit", () => {
    // Every layer's partials (1/8 of its activations) pass the binding limit: reduced as they go.
    const reduced = planRun(
      validateConfig({ depth: 1000, width: 256, batch: 512, train: train("sgd") }),
      DEFAULT_LIMITS,
    );
    expect(reduced.reduceEachDispatch).toBe(true);
    expect(reduced.positions).toBe(1001);
    // The activations alone (1 GiB) do not fit either: checkpointed.
    const config = validateConfig({ depth: 1000, width: 256, batch: 1024, train: train("sgd") });
    const plan = planRun(config, DEFAULT_LIMITS);
    expect(plan.positions).toBeLessThan(1001);
    expect(plan.totalBytes).toBeLessThanOrEqual(DEFAULT_MEMORY_BUDGET);
  });
});

describe("the histograms' plan", () => {
  test("counts the bins of every layer (and a discarded record), their readback, and nothing without them", () => {
    const config = validateConfig({ depth: 100, width: 70, batch: 8 });
    const plain = planRun(config, DEFAULT_LIMITS);
    const counted = planRun(config, DEFAULT_LIMITS, { histograms: true });
    // A record: 2 × 279 bins, the saturated count, ⌈70 / 32⌉ = 3 bitset words.
    const record = 4 * (2 * 279 + 1 + 3);
    expect(plain.histograms).toBeNull();
    expect(plain.bytes.histograms).toBe(0);
    expect(counted.histograms?.recordWords).toBe(record / 4);
    expect(counted.bytes.histograms).toBe(102 * record + 101 * record);
    expect(counted.totalBytes - plain.totalBytes).toBe(counted.bytes.histograms);
  });

  test("still fits SPEC's largest config in 1 GiB, by checkpointing", () => {
    const config = validateConfig({ depth: 4096, width: 2048, batch: 4096 });
    const plan = planRun(config, DEFAULT_LIMITS, { histograms: true });
    expect(plan.totalBytes).toBeLessThanOrEqual(DEFAULT_MEMORY_BUDGET);
    expect(plan.bytes.histograms).toBeLessThan(25 * 2 ** 20);
  });

  test("takes the path the run takes without them: fused for narrow nets, per-example for larger batches", () => {
    expect(planRun(validateConfig({ depth: 10, width: 4, batch: 2 }), DEFAULT_LIMITS, { histograms: true }).path).toBe(
      "fused",
    );
    for (const config of [
      // The lab's narrow net with a larger batch, and the histograms bench's per-example row.
      validateConfig({ depth: 100, width: 16, batch: 64 }),
      validateConfig({ depth: 300, width: 16, batch: 64, numerics: "bfloat16" }),
    ]) {
      expect(planRun(config, DEFAULT_LIMITS).path).toBe("per-example");
      const counted = planRun(config, DEFAULT_LIMITS, { histograms: true });
      expect(counted.path).toBe("per-example");
      expect(counted.histograms?.recordWords).toBe(2 * 279 + 1 + 1);
    }
  });
});
