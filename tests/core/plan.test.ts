/**
 * The buffer plan against SPEC.md's whole range: every config runs within 1 GiB of GPU buffers or
 * is refused with the bytes it needs, on an adapter with WebGPU's default limits.
 */
import { describe, expect, test } from "vitest";
import { INIT_SCHEMES, type InitConfig, validateConfig } from "../../src/core/config";
import { CapacityError, DEFAULT_MEMORY_BUDGET, planRun } from "../../src/gpu/plan";
import { chainSchedule, computations } from "../../src/gpu/schedule";

/** WebGPU's default limits, the least any adapter offers. */
const DEFAULT_LIMITS = {
  maxBufferSize: 256 * 2 ** 20,
  maxStorageBufferBindingSize: 128 * 2 ** 20,
  minStorageBufferOffsetAlignment: 256,
};

const initOf = (scheme: (typeof INIT_SCHEMES)[number]): InitConfig =>
  scheme === "identity" ? { scheme, scale: 1 } : scheme === "gaussian" ? { scheme, sigma: 1 } : { scheme, gain: 1 };

describe("buffer plans across SPEC.md's range", () => {
  test("every corner of depth × width × batch fits 1 GiB, orthogonal weights aside", () => {
    for (const depth of [1, 2, 4096]) {
      for (const width of [1, 2048]) {
        for (const batch of [1, 4096]) {
          for (const scheme of INIT_SCHEMES) {
            const config = validateConfig({ depth, width, batch, init: initOf(scheme), numerics: "tracked" });
            const label = `${depth} × ${width} × ${batch} ${scheme}`;
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
