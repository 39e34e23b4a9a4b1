/**
 * Residual connections and normalized layers held to theory, not only to another implementation: what each
 * test claims is derived in its comment, with the tolerance it allows. All runs are linear chains with
 * Gaussian weights N(0, σ²/n) and inputs N(0, 1), in tracked numerics (float64, nothing rounded).
 */
import { describe, expect, it } from "vitest";
import { type PartialConfig, type RunConfig, validateConfig } from "../../src/core/config";
import { runReference } from "../../src/core/reference";
import type { RunResult } from "../../src/core/result";
import { layerNormMeanSquare } from "../support/layer-norm";

/** A linear chain with W ~ N(0, σ²/n), x ~ N(0, 1), tracked numerics. */
function linearChain(sigma: number, extra: PartialConfig): RunConfig {
  return validateConfig({
    activation: "linear",
    init: { scheme: "gaussian", sigma },
    input: "gaussian",
    target: "gaussian",
    numerics: "tracked",
    ...extra,
  });
}

const log10Of = (values: (number | null)[], l: number) => values[l] as number;

describe("a linear residual chain grows like (1 + α²σ²)^l in mean square, at any width", () => {
  // a_l = (I + α·W_l)·a_{l−1} with W_l independent of a_{l−1}. For the batch A = a_{l−1} (n × B) scaled to
  // ‖A‖_F = 1, S = A·Aᵀ (trace 1, ‖S‖_F ≤ 1), the ratio of mean squares r_l = ‖a_l‖²/‖a_{l−1}‖² (summed over the
  // batch; r_l = 10^(2·(log10ActRms[l] − log10ActRms[l−1]))) is
  //   r_l = 1 + 2α·tr(W S) + α²·Σ_i w_iᵀ S w_i          (w_i the rows of W, each N(0, σ²/n · I)),
  //   E[r_l | A] = 1 + α²σ²                             (E tr(W S) = 0, E w_iᵀ S w_i = σ²·tr S / n),
  //   Var[r_l | A] = (4α²σ² + 2α⁴σ⁴)·‖S‖_F²/n ≤ (4α²σ² + 2α⁴σ⁴)/n   (the two terms are uncorrelated: odd and
  //                                                                  even in W; Var tr(WS) = σ²‖S‖²/n).
  // So E‖a_l‖²/n = (1 + α²σ²)^l exactly, at any width (no mean-field limit). The deviations r_l − (1 + α²σ²)
  // have mean 0 given the layers before, so over L layers and several seeds (independent Philox streams) they
  // are uncorrelated, and the mean r̄ of N of them has Var ≤ (4α²σ² + 2α⁴σ⁴)/(n·N). Tolerance: 6 standard
  // deviations of that bound (Chebyshev: a wrong run passes with probability ≤ 1/36 per case; these fixed seeds
  // pass). It tells 1 + α²σ² from 1 + α²σ²/2 or 1 + ασ² in every case. The log-slope itself would be biased
  // low at small n (E log r < log E r), which is why the ratio of mean squares is averaged, not its log.
  const CASES = [
    { alpha: 0.5, sigma: 1, width: 8, batch: 64, seeds: 40 },
    { alpha: 0.5, sigma: 1, width: 64, batch: 64, seeds: 4 },
    { alpha: 0.5, sigma: 1, width: 256, batch: 16, seeds: 1 },
    { alpha: 2, sigma: 0.5, width: 8, batch: 64, seeds: 40 },
    { alpha: 2, sigma: 0.5, width: 64, batch: 64, seeds: 4 },
    { alpha: 1.5, sigma: 1, width: 32, batch: 32, seeds: 8 },
  ];
  const depth = 30;
  for (const { alpha, sigma, width, batch, seeds } of CASES) {
    it(`α = ${alpha}, σ = ${sigma}, n = ${width}, B = ${batch}: the mean ratio of mean squares is 1 + α²σ²`, () => {
      const ratios: number[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        const result = runReference(linearChain(sigma, { depth, width, batch, residual: alpha, seed }));
        for (let l = 1; l <= depth; l++) {
          ratios.push(10 ** (2 * (log10Of(result.log10ActRms, l) - log10Of(result.log10ActRms, l - 1))));
        }
      }
      const mean = ratios.reduce((sum, r) => sum + r, 0) / ratios.length;
      const a2s2 = (alpha * sigma) ** 2;
      const deviation = Math.sqrt((4 * a2s2 + 2 * a2s2 * a2s2) / (width * ratios.length));
      expect(Math.abs(mean - (1 + a2s2))).toBeLessThan(6 * deviation);
      // The mean-square slope per layer, ½·log10 r̄, against ½·log10(1 + α²σ²).
      expect(Math.abs(0.5 * Math.log10(mean) - 0.5 * Math.log10(1 + a2s2))).toBeLessThan(
        (0.5 * Math.log10(Math.E) * 6 * deviation) / (1 + a2s2 - 6 * deviation),
      );
    });
  }
});

describe("layer norm on a linear chain keeps every a_l at RMS √(v/(v + ε))", () => {
  // a_l = ẑ_l = (z − mean_i z)/√(v + ε) per example, v = mean_i (z − mean_i z)² its population variance over the
  // n units: mean_i a_l = 0 and mean_i a_l² = v/(v + ε), exactly. Over the batch, RMS(a_l)² = mean_b v_b/(v_b + ε),
  // with v_b read from the z_l the run reports (onPreActivation, z·2^e). Float64: the two sides differ by a few
  // ulps (1e-13 in log10 allows 200), at every depth and σ_w: v ≫ ε (σ = 3, which explodes 3^l without the
  // norm, and 1), v ≈ ε (σ = 0.003: RMS ≈ 0.7) and v ≪ ε, biases or none.
  const CASES: PartialConfig[] = [
    { width: 16, batch: 4, depth: 40 },
    { width: 7, batch: 1, depth: 40, biasSigma: 0.5 },
    { width: 33, batch: 3, depth: 20, biasSigma: 2 },
  ];
  for (const sigma of [3, 1, 0.01, 0.003, 1e-4]) {
    for (const shape of CASES) {
      it(`σ = ${sigma}, n = ${shape.width}, B = ${shape.batch}, bias σ ${shape.biasSigma ?? 0}`, () => {
        const config = linearChain(sigma, { ...shape, norm: "layer" });
        const predicted: number[] = [0];
        const result = runReference(config, {
          onPreActivation: (layer, z, exponent2) => {
            predicted[layer] = layerNormMeanSquare(z, exponent2, config.width);
          },
        });
        for (let l = 1; l <= config.depth; l++) {
          const want = 0.5 * Math.log10(predicted[l] as number);
          expect(Math.abs(log10Of(result.log10ActRms, l) - want), `layer ${l}`).toBeLessThan(1e-13);
        }
      });
    }
  }
});

describe("batch norm makes gradients explode at initialization though every a_l is normalized", () => {
  // Yang, Pennington, Rao, Sohl-Dickstein & Schoenholz, "A Mean Field Theory of Batch Normalization", ICLR 2019:
  // in a wide batch-normalized chain at initialization the gradient grows exponentially backwards, for every
  // σ_w and activation, at a rate set by the batch size. For g linear the rate follows in a few lines.
  //
  // Forward: every unit of a_{l−1} has batch mean 0 and variance ≈ 1, so unit i of z_l = W a_{l−1} is, over the
  // batch, ≈ N(0, σ²·K) with K the batch kernel; at the isotropic fixed point K = B/(B − 1)·(I − 11ᵀ/B), so
  // v_i = mean_b z_i² = σ²·χ²_{B−1}/(B − 1) and ẑ_i = z_i/√v_i is a uniform direction (norm √B) in 1⊥,
  // independent of v_i.
  // Backward through unit i: ∂ℓ/∂z_i = (∂ℓ/∂ẑ_i − mean − ẑ_i·mean(∂ℓ/∂ẑ_i·ẑ_i))/√v_i, the projection P_i of
  // ∂ℓ/∂ẑ_i onto the (B − 2)-dimensional complement of 1 and ẑ_i, over √v_i; ∂ℓ/∂a_{l−1} = Wᵀ·∂ℓ/∂z. At large
  // width, with W's entries N(0, σ²/n) independent of what they multiply (the gradient-independence assumption
  // of mean-field theory), ‖∂ℓ/∂a_{l−1}‖² = σ²·Σ_i ‖P_i ∂ℓ/∂ẑ_i‖²/v_i. An incoming gradient already in 1⊥ (every
  // layer's is, below the top) loses to P_i, on average, the 1 of its B − 1 dimensions along ẑ_i, and
  // E[σ²/v_i] = (B − 1)·E[1/χ²_{B−1}] = (B − 1)/(B − 3). So per layer backwards
  //     ‖∂ℓ/∂a_{l−1}‖² / ‖∂ℓ/∂a_l‖² = (B − 1)/(B − 3) · (B − 2)/(B − 1) = (B − 2)/(B − 3):
  // σ_w cancels (σ² over v_i ∝ σ²), and B alone decides: 2 at B = 4, 1.2 at B = 8, 1.034 at B = 32.
  //
  // σ_w cancels exactly, not only on average: with one seed, W = σ·G for the same G, ẑ = (Gz' − mean)/√(v' + ε/σ²)
  // and ∂ℓ/∂a_{l−1} = σ·Gᵀ·∂ℓ/∂z with ∂ℓ/∂z ∝ 1/σ: the whole gradient profile is the same for every σ up to
  // the ε/(σ²·v') in each √(v + ε): at σ ≥ 4, ε/σ² ≤ 6e-7, and v' ≈ χ²_7/7 is rarely below 0.05, so each layer
  // moves the gradient by ≲ 1e-5 relative, ≲ 1e-4 in log10 over 30 layers.
  const explosion = (batch: number) => 0.5 * Math.log10((batch - 2) / (batch - 3));
  /** Mean growth per layer of log10GradRms backwards over layers 3..L − 2 (away from the input and the loss). */
  const backwardSlope = (result: RunResult) => {
    const L = result.config.depth;
    return (log10Of(result.log10GradRms, 3) - log10Of(result.log10GradRms, L - 2)) / (L - 5);
  };
  const depth = 30;
  const width = 256;

  it("the gradient grows (B − 2)/(B − 3) per layer in mean square while every a_l has RMS 1", () => {
    // Finite width: single runs at n = 256 measured 0.7–1.05 times the rate, the two-seed means here 0.86–1.01
    // (they converge as n grows: 0.92–1.1 at n = 1024, B = 16). A band of [0.55, 1.3]× the rate still tells each
    // B from its neighbours (the rates at B = 6, 8, 16, 32 are 0.062, 0.040, 0.016, 0.0074 in log10 per layer).
    const slopes: number[] = [];
    for (const batch of [6, 8, 16, 32]) {
      let sum = 0;
      for (const seed of [1, 2]) {
        const result = runReference(linearChain(1, { depth, width, batch, norm: "batch", seed }));
        // Each unit's batch has variance v/(v + ε) with v ≈ χ²_{B−1}/(B − 1) ≫ ε: RMS(a_l) = 1 to 1e-3.
        for (let l = 1; l <= depth; l++) expect(Math.abs(log10Of(result.log10ActRms, l))).toBeLessThan(1e-3);
        sum += backwardSlope(result);
      }
      const slope = sum / 2;
      slopes.push(slope);
      expect(slope / explosion(batch), `B = ${batch}`).toBeGreaterThan(0.55);
      expect(slope / explosion(batch), `B = ${batch}`).toBeLessThan(1.3);
    }
    // Smaller batches explode faster.
    for (let k = 1; k < slopes.length; k++) expect(slopes[k] as number).toBeLessThan(slopes[k - 1] as number);
  }, 120_000);

  it("σ_w does not change the gradient at all; without the norm it sets it (σ^(L−l))", () => {
    const profiles = [4, 16, 64].map((sigma) =>
      runReference(linearChain(sigma, { depth, width: 64, batch: 8, norm: "batch" })),
    );
    const reference = profiles[0] as RunResult;
    expect(backwardSlope(reference)).toBeGreaterThan(0.5 * explosion(8));
    for (const result of profiles.slice(1)) {
      for (let l = 0; l <= depth; l++) {
        expect(
          Math.abs(log10Of(result.log10GradRms, l) - log10Of(reference.log10GradRms, l)),
          `layer ${l}`,
        ).toBeLessThan(1e-4);
      }
    }
    // The same chains without batch norm: the gradient falls or grows by σ per layer (E‖Wᵀg‖² = σ²‖g‖²).
    const plain = [1, 4].map((sigma) => runReference(linearChain(sigma, { depth, width: 64, batch: 8 })));
    const difference = backwardSlope(plain[1] as RunResult) - backwardSlope(plain[0] as RunResult);
    expect(Math.abs(difference - Math.log10(4))).toBeLessThan(0.05);
  });
});
