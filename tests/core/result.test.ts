import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/core/config";
import { assembleResult, log10Norm, type RunSummaries, summarize, type TensorSummary } from "../../src/core/result";

const LOG10_2 = Math.log10(2);

describe("summarize", () => {
  it("keeps max|v|, Σ(v / max|v|)² and the power of two", () => {
    expect(summarize([3, -4], 7)).toEqual({ maxAbs: 4, scaledSumSq: (3 / 4) ** 2 + 1, nonFinite: false, exponent2: 7 });
  });

  it("reports an all-zero tensor (−0 included) and an empty one as maxAbs 0, Σ 0", () => {
    for (const values of [[0, -0, 0], []]) {
      expect(summarize(values)).toEqual({ maxAbs: 0, scaledSumSq: 0, nonFinite: false, exponent2: 0 });
    }
  });

  it("flags Infinity and NaN, and sums only the finite entries", () => {
    for (const bad of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
      const summary = summarize([2, bad, -1]);
      expect(summary.nonFinite).toBe(true);
      expect(summary.maxAbs).toBe(2);
      expect(summary.scaledSumSq).toBe(1 + 0.25);
    }
  });

  it("does not overflow Σv² near float64's top nor underflow it among subnormals", () => {
    // ‖(1e308, 1e308)‖ = √2·1e308 although 1e308² = ∞; ‖(5e-324, 5e-324)‖ = √2·5e-324 although (5e-324)² = 0.
    expect(log10Norm(summarize([1e308, -1e308]), 1)).toBeCloseTo(308 + 0.5 * LOG10_2, 12);
    expect(log10Norm(summarize([5e-324, 5e-324]), 1)).toBeCloseTo(Math.log10(5e-324) + 0.5 * LOG10_2, 12);
  });
});

describe("log10Norm", () => {
  it("is log10(‖v‖ / √divisor) times 2^exponent2", () => {
    // ‖(3, 4)‖ = 5: the norm, the RMS over 2 entries (5/√2), and 5·2¹⁰.
    expect(log10Norm(summarize([3, 4]), 1)).toBeCloseTo(Math.log10(5), 14);
    expect(log10Norm(summarize([3, 4]), 2)).toBeCloseTo(Math.log10(5 / Math.SQRT2), 14);
    expect(log10Norm(summarize([3, 4], 10), 1)).toBeCloseTo(Math.log10(5) + 10 * LOG10_2, 13);
  });

  it("reports magnitudes beyond float64's range (tracked numerics)", () => {
    expect(log10Norm(summarize([1], 5000), 1)).toBeCloseTo(5000 * LOG10_2, 9);
    expect(log10Norm(summarize([1], -5000), 1)).toBeCloseTo(-5000 * LOG10_2, 9);
  });

  it("is null for an all-zero or a non-finite tensor", () => {
    expect(log10Norm(summarize([0, 0]), 2)).toBeNull();
    expect(log10Norm(summarize([]), 1)).toBeNull();
    expect(log10Norm(summarize([1, Number.NaN]), 2)).toBeNull();
    expect(log10Norm(summarize([Number.POSITIVE_INFINITY]), 1)).toBeNull();
  });
});

/** A summary of one tensor: finite with the given values, all zero, or with a NaN. */
const finite = (values: number[], exponent2 = 0): TensorSummary => summarize(values, exponent2);
const zero = (count: number): TensorSummary => summarize(new Array<number>(count).fill(0));
const nonFinite = (count: number): TensorSummary => summarize([Number.NaN, ...new Array<number>(count - 1).fill(1)]);

describe("assembleResult", () => {
  // depth 3, width 2, batch 1: act[0..3], grad[0..3] (∂ℓ/∂a_l), weightGrad[1..3] (B·∂loss/∂W_l).
  const float32 = validateConfig({ depth: 3, width: 2, batch: 1 });
  const tracked = validateConfig({ depth: 3, width: 2, batch: 1, numerics: "tracked" });

  it("turns sums into logs: RMS over width·batch, norms of ∂loss/∂W_l = (B·∂loss/∂W_l)/B, loss = ‖a_L − y‖²/2B", () => {
    const config = validateConfig({ depth: 1, width: 2, batch: 4 });
    const summaries: RunSummaries = {
      act: [finite([1, 1, 1, 1, 1, 1, 1, 1]), finite([2, 0, 0, 0, 0, 0, 0, 0])],
      grad: [finite([3, 4, 0, 0, 0, 0, 0, 0], 1), finite([3, 4, 0, 0, 0, 0, 0, 0])],
      weightGrad: [null, finite([6, 8, 0, 0])],
    };
    const result = assembleResult(config, "cpu", summaries, "kept", { wall: 1.5 });
    expect(result.config).toBe(config);
    expect(result.backend).toBe("cpu");
    expect(result.subnormals).toBe("kept");
    expect(result.timingMs).toEqual({ wall: 1.5 });
    expect(result.log10ActRms[0]).toBeCloseTo(0, 14);
    expect(result.log10ActRms[1]).toBeCloseTo(Math.log10(2 / Math.sqrt(8)), 14);
    expect(result.log10GradRms[0]).toBeCloseTo(Math.log10((2 * 5) / Math.sqrt(8)), 14);
    expect(result.log10GradRms[1]).toBeCloseTo(Math.log10(5 / Math.sqrt(8)), 14);
    expect(result.log10WeightGradNorm[0]).toBeNull();
    expect(result.log10WeightGradNorm[1]).toBeCloseTo(Math.log10(10 / 4), 14);
    // Four entries over a batch of four (n = 2): the RMS is the norm over n = 2.
    expect(result.log10WeightGradRms[0]).toBeNull();
    expect(result.log10WeightGradRms[1]).toBeCloseTo(Math.log10(10 / 4 / 2), 14);
    expect(result.loss).toBeCloseTo(25 / 8, 13);
    expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
    expect(result.firstAllZero).toEqual({ forward: null, backward: null });
  });

  it("finds the first all-zero layer forward (from 0) and backward (from L), and reports null logs there", () => {
    const summaries: RunSummaries = {
      act: [finite([1, 1]), finite([1e-30, 0]), zero(2), zero(2)],
      grad: [zero(2), zero(2), finite([0, 1]), finite([1, 1])],
      weightGrad: [null, zero(4), zero(4), finite([1, 0, 0, 0])],
    };
    const result = assembleResult(float32, "cpu", summaries, "flushed", { wall: 0 });
    expect(result.firstAllZero).toEqual({ forward: 2, backward: 1 });
    expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
    expect(result.log10ActRms.map((v) => v === null)).toEqual([false, false, true, true]);
    expect(result.log10GradRms.map((v) => v === null)).toEqual([true, true, false, false]);
    expect(result.log10WeightGradNorm).toEqual([null, null, null, 0]);
    // A zero layer is told from an overflowed one, per layer.
    expect(result.nullCauses.act).toEqual([null, null, "zero", "zero"]);
    expect(result.nullCauses.grad).toEqual(["zero", "zero", null, null]);
    expect(result.nullCauses.weightGrad).toEqual([null, "zero", "zero", null]);
    expect(result.subnormals).toBe("flushed");
  });

  it("a zero a_L − y gives loss 0, not null", () => {
    const summaries: RunSummaries = {
      act: [finite([1, 1]), finite([1, 1]), finite([1, 1]), finite([1, 1])],
      grad: [zero(2), zero(2), zero(2), zero(2)],
      weightGrad: [null, zero(4), zero(4), zero(4)],
    };
    const result = assembleResult(float32, "cpu", summaries, "kept", { wall: 0 });
    expect(result.loss).toBe(0);
    expect(result.firstAllZero).toEqual({ forward: null, backward: 3 });
  });

  it("finds the first non-finite layer in float32, with null logs and loss", () => {
    const summaries: RunSummaries = {
      act: [finite([1, 1]), finite([1, 1]), nonFinite(2), nonFinite(2)],
      grad: [nonFinite(2), nonFinite(2), nonFinite(2), nonFinite(2)],
      weightGrad: [null, nonFinite(4), nonFinite(4), nonFinite(4)],
    };
    const result = assembleResult(float32, "cpu", summaries, "kept", { wall: 0 });
    expect(result.firstNonFinite).toEqual({ forward: 2, backward: 3 });
    expect(result.firstAllZero).toEqual({ forward: null, backward: null });
    expect(result.loss).toBeNull();
    expect(result.log10ActRms.slice(2)).toEqual([null, null]);
    expect(result.log10GradRms).toEqual([null, null, null, null]);
    expect(result.log10WeightGradNorm).toEqual([null, null, null, null]);
    expect(result.nullCauses.act).toEqual([null, null, "nonFinite", "nonFinite"]);
    expect(result.nullCauses.grad).toEqual(["nonFinite", "nonFinite", "nonFinite", "nonFinite"]);
  });

  it("in tracked numerics, firstNonFinite is always null", () => {
    const summaries: RunSummaries = {
      act: [finite([1, 1]), nonFinite(2), nonFinite(2), nonFinite(2)],
      grad: [nonFinite(2), nonFinite(2), nonFinite(2), nonFinite(2)],
      weightGrad: [null, nonFinite(4), nonFinite(4), nonFinite(4)],
    };
    expect(assembleResult(tracked, "cpu", summaries, "kept", { wall: 0 }).firstNonFinite).toEqual({
      forward: null,
      backward: null,
    });
  });

  it("in tracked numerics, reports logs beyond float64 and a null loss when the loss itself overflows", () => {
    // a_l = 2^(1000·l); a_L − y = 2^3000: log10 RMS = 3000·log10 2 ≈ 903, loss = 2^6000/2 is not a float64.
    const summaries: RunSummaries = {
      act: [0, 1, 2, 3].map((l) => finite([1, 1], 1000 * l)),
      grad: [0, 1, 2, 3].map((l) => finite([1, 1], 3000 + 1000 * (3 - l))),
      weightGrad: [null, ...[1, 2, 3].map(() => finite([1, 1, 1, 1], 5000))],
    };
    const result = assembleResult(tracked, "cpu", summaries, "kept", { wall: 0 });
    expect(result.log10ActRms[3]).toBeCloseTo(3000 * LOG10_2, 9);
    expect(result.log10GradRms[0]).toBeCloseTo(6000 * LOG10_2, 9);
    expect(result.log10WeightGradNorm[2]).toBeCloseTo(5000 * LOG10_2 + Math.log10(2), 9);
    expect(result.loss).toBeNull();
    expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
  });

  it("in tracked numerics, the loss is the nearest float64: reported when ‖a_L − y‖² is not one, 0 below 2⁻¹⁰⁷⁴", () => {
    // width 2, batch 64, a_L − y = 2^e·ones: ‖a_L − y‖² = 128·2^2e over the batch, loss = 2^2e.
    const config = validateConfig({ depth: 1, width: 2, batch: 64, numerics: "tracked" });
    const loss = (e: number) =>
      assembleResult(
        config,
        "cpu",
        {
          act: [zero(128), zero(128)],
          grad: [zero(128), finite(new Array(128).fill(1), e)],
          weightGrad: [null, zero(4)],
        },
        "kept",
        { wall: 0 },
      ).loss;
    // 2^1020: ‖a_L − y‖² = 2^1027 overflows float64, the loss does not.
    expect(Math.log2(loss(510) as number)).toBeCloseTo(1020, 10);
    expect(loss(512)).toBeNull();
    expect(loss(-600)).toBe(0);
  });
});
