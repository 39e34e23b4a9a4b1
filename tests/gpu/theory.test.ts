/**
 * result.theory on the GPU: the same prediction as the reference's, from the GPU's own measured input,
 * on every path, and a wide net's measured curves on the GPU following it.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { validateConfig } from "../../src/core/config";
import { runReference } from "../../src/core/reference";
import { theoryFor } from "../../src/core/theory-models";
import { runOnGpu } from "../../src/gpu/engine";
import { requireGpu } from "./support";

beforeAll(async () => {
  await requireGpu();
});

describe("result.theory on the GPU", () => {
  test("is theoryFor of the run's own a_0, within float32's rounding of the reference's, on each path", async () => {
    for (const [path, partial] of [
      ["fused", { depth: 30, width: 8, batch: 4 }],
      ["per-example", { depth: 30, width: 12, batch: 64 }],
      ["layered", { depth: 30, width: 37, batch: 9, residual: 0.3 }],
    ] as const) {
      const config = validateConfig({
        ...partial,
        activation: "tanh",
        init: { scheme: "gaussian", sigma: 1.2 },
        biasSigma: 0.1,
      });
      const gpu = await runOnGpu(config, { path });
      const cpu = runReference(config);
      expect(gpu.theory, path).toEqual(theoryFor(config, gpu.log10ActRms[0] ?? null));
      expect(gpu.theory?.model).toBe(partial.depth && "residual" in partial ? "mean-field-residual" : "mean-field");
      for (let l = 0; l <= config.depth; l++) {
        expect(gpu.theory?.log10ActRms[l], `${path} a_${l}`).toBeCloseTo(cpu.theory?.log10ActRms[l] as number, 6);
        expect(gpu.theory?.log10GradRms[l], `${path} ∂ℓ/∂a_${l}`).toBeCloseTo(cpu.theory?.log10GradRms[l] as number, 6);
      }
    }
  });

  test("a wide ReLU net at He's init measured on the GPU follows the predicted gradient, (2(L − l) + 1)-fold", async () => {
    const config = validateConfig({
      depth: 10,
      width: 256,
      batch: 16,
      activation: "relu",
      init: { scheme: "he_normal", gain: 1 },
      target: "zeros",
    });
    const gpu = await runOnGpu(config);
    // The random-walk tolerance of tests/core/theory.test.ts at n = 256 over the 2L − l + 1 layers.
    const tolerance = (layers: number) => 0.5 * Math.log10(1 + 3 * Math.sqrt((5 * layers) / config.width));
    for (let l = 0; l <= config.depth; l++) {
      const measured = gpu.log10GradRms[l] as number;
      expect(Math.abs(measured - (gpu.theory?.log10GradRms[l] as number)), `∂ℓ/∂a_${l}`).toBeLessThan(
        tolerance(2 * config.depth - l + 1),
      );
    }
    // Each layer down adds 2·E[a²] to E[(∂ℓ/∂a)²] = E[a²] at layer L, where the gradient-independence assumption
    // predicts a flat curve.
    expect((gpu.theory?.log10GradRms[0] as number) - (gpu.theory?.log10GradRms[config.depth] as number)).toBeCloseTo(
      0.5 * Math.log10(2 * config.depth + 1),
      6,
    );
  });

  test("a wide ReLU net with batch norm measured on the GPU follows batch norm's mean field: ×λ a layer at any σ_w", async () => {
    const config = validateConfig({
      depth: 10,
      width: 256,
      batch: 12,
      activation: "relu",
      norm: "batch",
      init: { scheme: "gaussian", sigma: 3 },
      biasSigma: 0.5,
    });
    const gpu = await runOnGpu(config);
    expect(gpu.theory?.model).toBe("mean-field-batchnorm");
    const tolerance = (layers: number) => 0.5 * Math.log10(1 + 3 * Math.sqrt((5 * layers) / config.width));
    for (let l = 0; l <= config.depth; l++) {
      expect(Math.abs((gpu.log10ActRms[l] as number) - (gpu.theory?.log10ActRms[l] as number)), `a_${l}`).toBeLessThan(
        tolerance(Math.max(l, 1)),
      );
      expect(
        Math.abs((gpu.log10GradRms[l] as number) - (gpu.theory?.log10GradRms[l] as number)),
        `∂ℓ/∂a_${l}`,
      ).toBeLessThan(tolerance(2 * config.depth - l + 1));
    }
    // The gradient grows ×√λ ≈ 1.28 a layer backward: a flat prediction would miss layer 1 by 10^0.86, past the
    // tolerance there (0.23).
    expect((gpu.theory?.log10GradRms[1] as number) - (gpu.theory?.log10GradRms[9] as number)).toBeGreaterThan(0.8);
  });
});
