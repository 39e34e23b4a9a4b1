/**
 * Tracked numerics on the GPU to depth 4096, in both directions far past float32's and float64's range,
 * held to the closed form of the s·I chain (tests/support/chain.ts) on the fused and the layered path.
 */
import { describe, expect, test } from "vitest";
import type { RunConfig } from "../../src/core/config";
import { runOnGpu } from "../../src/gpu/engine";
import type { RunPath } from "../../src/gpu/plan";
import {
  type ChainForm,
  type ChainSeries,
  chainMisses,
  closedFormOf,
  float64Bound,
  TRACKED_CHAINS,
  trackedChainConfig,
} from "../support/chain";
import { requireGpu } from "./support";

/** One float32 rounding moves a value by a factor within 1 ± 2⁻²⁴: at most this much in log10. */
const ROUNDING = Math.log10(1 + 2 ** -24);

/**
 * How far each statistic may lie from the closed form: one float32 rounding (ROUNDING) per rounded step
 * behind it. The closed form takes s and leaky_relu's slope as float32 stores them, and every power of two
 * the tracked numerics shift by is exact, so only these round:
 *   a_l:        each layer's product s·a_{l−1}, and the slope's product at a negative layer: l + m(l);
 *   ∂ℓ/∂a_l:    those of a_L, the seed a_L − y (y drawn in float32 within 8 ulp of the float64 draw: 9),
 *               then per layer back the product by s and the slope's: (L − l) + m(L) − m(l);
 *   ∂loss/∂W_l: those of ∂ℓ/∂a_l and a_{l−1}, the slope's and the outer product's: 2 more;
 *   loss:       twice those of ∂ℓ/∂a_L;
 * plus 4 for the statistics' own float32 sums of squares, and the reference's float64 bound for the logs.
 */
function bound(form: ChainForm, depth: number): (series: ChainSeries, layer: number) => number {
  const m = form.negativeLayers;
  const act = (l: number) => l + m(l);
  const grad = (l: number) => act(depth) + 9 + depth - l + m(depth) - m(l);
  const steps: Record<ChainSeries, (l: number) => number> = {
    log10ActRms: act,
    log10GradRms: grad,
    log10WeightGradNorm: (l) => grad(l) + act(l - 1) + 2,
    log10WeightGradRms: (l) => grad(l) + act(l - 1) + 2,
    loss: () => 2 * grad(depth),
  };
  const float64 = float64Bound(form);
  return (series, l) => (steps[series](l) + 4) * ROUNDING + float64(series, l);
}

async function expectClosedForm(config: RunConfig, path: RunPath): Promise<void> {
  const result = await runOnGpu(config, { path });
  const form = closedFormOf(config, "webgpu");
  expect(chainMisses(result, form, bound(form, config.depth))).toEqual([]);
  expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
  expect(result.firstAllZero).toEqual({ forward: null, backward: null });
}

describe("tracked chains to depth 4096 on the GPU, against the closed form", () => {
  for (const chain of TRACKED_CHAINS) {
    const depth = chain.scale < 0 ? 4095 : 4096;
    test(`${chain.activation}, s = ${chain.scale}, depth ${depth}: fused with both targets, layered with y = 0`, async () => {
      await requireGpu();
      for (const target of ["zeros", "gaussian"] as const) {
        await expectClosedForm(trackedChainConfig(chain, depth, target), "fused");
      }
      await expectClosedForm(trackedChainConfig(chain, depth, "zeros"), "layered");
    });
  }
});
