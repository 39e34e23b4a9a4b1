/**
 * The reference's histograms (the run option { histograms: true }): binades of a_l and ∂ℓ/∂a_l in true
 * magnitude, against closed forms (s·I chains on inputs of ones, exact with BigInt where tracked
 * numerics leave float32's range) and against a brute-force count read off the float64 bits; the
 * fractions of saturated entries and dead units on known cases and by brute force.
 */
import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES, ACTIVATIONS } from "../../src/core/activations";
import { type PartialConfig, type RunConfig, validateConfig } from "../../src/core/config";
import type { Tensor } from "../../src/core/layers/numerics";
import { lectureConfig } from "../../src/core/presets";
import { histogramOf, runReference } from "../../src/core/reference";
import { type Histogram, type RunResult, trimmed } from "../../src/core/result";
import { mulberry32 } from "../support/random";

/** The lecture's chain at n = 3, B = 2: a_l = s^l·x and ∂ℓ/∂a_l = s^(2L−l)·x, every entry alike. */
const identityChain = (scale: number, depth: number, extra: PartialConfig = {}): RunConfig =>
  validateConfig({ ...lectureConfig(scale, depth), width: 3, batch: 2, ...extra });

/** A histogram of `count` entries, all in one binade. */
const single = (binade: number, count: number): Histogram => ({
  minExponent: binade || 0, // not −0

  counts: [count],
  zeros: 0,
  nonFinite: 0,
});

const allZero = (count: number): Histogram => ({ minExponent: null, counts: [], zeros: count, nonFinite: 0 });

/** ⌊log₂|v|⌋ of a finite non-zero float64, read off its bits (subnormals by their leading bit). */
function binadeFromBits(v: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const exponent = (high >>> 20) & 0x7ff;
  if (exponent > 0) return exponent - 1023;
  const mantissaHigh = high & 0xfffff;
  return mantissaHigh > 0 ? 31 - Math.clz32(mantissaHigh) - 1042 : 31 - Math.clz32(low) - 1074;
}

/** Brute force: each tensor's entries binned one by one off their bits, times the tensor's power of two. */
function bruteHistogram(tensor: Tensor): Histogram {
  const counts = new Map<number, number>();
  let zeros = 0;
  let nonFinite = 0;
  for (const v of tensor.values) {
    if (v === 0) zeros++;
    else if (!Number.isFinite(v)) nonFinite++;
    else {
      const binade = binadeFromBits(v) + tensor.exponent;
      counts.set(binade, (counts.get(binade) ?? 0) + 1);
    }
  }
  const binades = [...counts.keys()].sort((a, b) => a - b);
  if (binades.length === 0) return { minExponent: null, counts: [], zeros, nonFinite };
  const first = binades[0] as number;
  const dense = Array.from({ length: (binades.at(-1) as number) - first + 1 }, (_, i) => counts.get(first + i) ?? 0);
  return { minExponent: first, counts: dense, zeros, nonFinite };
}

/** The reference with histograms, and every tensor it computed. */
function runWithTensors(config: RunConfig) {
  const act: Tensor[] = [];
  const grad: Tensor[] = [];
  const branch: Tensor[] = [];
  const result = runReference(config, {
    histograms: true,
    onTensor: (kind, layer, tensor) => {
      ({ act, grad, branch })[kind][layer] = tensor;
    },
  });
  return { result, act, grad, branch };
}

const histogramsOf = (result: RunResult) => {
  if (!result.histograms) throw new Error("the result has no histograms");
  return result.histograms;
};

describe("histograms of the reference: closed forms", () => {
  it("an s·I chain on ones puts every entry of a layer in one binade: 2^−l and 2^l exactly", () => {
    for (const scale of [0.5, 2]) {
      const config = identityChain(scale, 40);
      const { act, grad } = histogramsOf(runReference(config, { histograms: true }));
      const step = Math.log2(scale);
      act.forEach((h, l) => {
        expect(h, `a_${l} at s = ${scale}`).toEqual(single(step * l, 6));
      });
      grad.forEach((h, l) => {
        expect(h, `∂ℓ/∂a_${l} at s = ${scale}`).toEqual(single(step * (80 - l), 6));
      });
    }
  });

  it("float32 numerics: 0.5^l runs through the subnormals to 2^−149, then every entry is a zero", () => {
    const config = identityChain(0.5, 160);
    const { act } = histogramsOf(runReference(config, { histograms: true }));
    for (let l = 0; l <= 149; l++) expect(act[l], `a_${l}`).toEqual(single(-l, 6));
    for (let l = 150; l <= 160; l++) expect(act[l], `a_${l}`).toEqual(allZero(6));
    const flushed = histogramsOf(runReference(config, { histograms: true, subnormals: "flushed" }));
    expect(flushed.act[126]).toEqual(single(-126, 6));
    expect(flushed.act[127]).toEqual(allZero(6));
  });

  it("float32 numerics: 1.5^l overflows into non-finite entries at layer 219", () => {
    const { act } = histogramsOf(runReference(identityChain(1.5, 230), { histograms: true }));
    expect(act[218]).toEqual(single(127, 6));
    expect(act[219]).toEqual({ minExponent: null, counts: [], zeros: 0, nonFinite: 6 });
  });

  it("tracked numerics follow s^l far below 2^−149: the binade of M^l·2^(lE) exactly, from BigInt", () => {
    // s = 1e−3 rounds to M·2^E in float32 (M a 24-bit integer); s^l = M^l·2^(lE), and the reference's
    // float64 chain rounds each product once, relatively 2⁻⁵³, far from changing a binade here.
    const s = Math.fround(1e-3);
    const E = Math.floor(Math.log2(s)) - 23;
    const M = BigInt(s * 2 ** -E);
    const config = identityChain(s, 300, { numerics: "tracked" });
    const { act } = histogramsOf(runReference(config, { histograms: true }));
    let power = 1n;
    for (let l = 0; l <= 300; l++) {
      expect(act[l], `a_${l}`).toEqual(single(power.toString(2).length - 1 + l * E, 6));
      power *= M;
    }
    expect((act[300] as Histogram).minExponent).toBeLessThan(-2900);
  });

  it("sums to n·B per layer, and an all-zero tensor has counts [] and minExponent null", () => {
    const config = identityChain(0, 3);
    const { act, grad } = histogramsOf(runReference(config, { histograms: true }));
    expect(act[0]).toEqual(single(0, 6));
    for (let l = 1; l <= 3; l++) expect(act[l]).toEqual(allZero(6));
    for (const h of grad) expect(h).toEqual(allZero(6));
  });
});

describe("histograms of the reference: brute force", () => {
  it("equal a count of every tensor's float64 bits, on small random nets of every kind", () => {
    const random = mulberry32(1313);
    for (let i = 0; i < 20; i++) {
      const config = validateConfig({
        depth: 1 + Math.floor(random() * 12),
        width: 1 + Math.floor(random() * 9),
        batch: 1 + Math.floor(random() * 6),
        activation: ACTIVATION_NAMES[i % ACTIVATION_NAMES.length],
        init: { scheme: "gaussian", sigma: 0.3 + 3 * random() },
        biasSigma: i % 3 === 0 ? 0.2 : 0,
        residual: i % 4 === 1 ? 0.5 : null,
        norm: (["none", "layer", "batch"] as const)[i % 3],
        numerics: i % 2 === 0 ? "float32" : "tracked",
        seed: i,
      });
      const { result, act, grad, branch } = runWithTensors(config);
      const label = JSON.stringify(config);
      const histograms = histogramsOf(result);
      expect(histograms.act, label).toEqual(act.map(bruteHistogram));
      expect(histograms.grad, label).toEqual(grad.map(bruteHistogram));
      const n = config.width;
      const g = ACTIVATIONS[config.activation];
      branch.forEach((h, l) => {
        const saturated = [...h.values].map((v) => Math.abs(g.derFromOutput(v)) < 0.01);
        const deadUnits = Array.from({ length: n }, (_, i) => saturated.every((s, k) => k % n !== i || s));
        expect(histograms.saturated[l], `saturated[${l}] of ${label}`).toBe(
          saturated.filter(Boolean).length / (n * config.batch),
        );
        expect(histograms.dead[l], `dead[${l}] of ${label}`).toBe(deadUnits.filter(Boolean).length / n);
      });
      expect(histograms.saturated[0]).toBeNull();
      expect(histograms.dead[0]).toBeNull();
      for (const h of [...histograms.act, ...histograms.grad]) {
        const total = h.counts.reduce((sum, c) => sum + c, 0) + h.zeros + h.nonFinite;
        expect(total, label).toBe(n * config.batch);
      }
    }
  });

  it("histogramOf bins values times 2^exponent2 and trims to the non-empty binades", () => {
    expect(histogramOf([3, -0.75, 0, Number.NaN, 1, -Number.POSITIVE_INFINITY, 5e-324], 10)).toEqual({
      minExponent: -1064,
      counts: [1, ...new Array(1072).fill(0), 1, 1, 1],
      zeros: 1,
      nonFinite: 2,
    });
    expect(trimmed({ minExponent: -149, counts: [0, 0, 4, 0, 1, 0], zeros: 2, nonFinite: 0 })).toEqual({
      minExponent: -147,
      counts: [4, 0, 1],
      zeros: 2,
      nonFinite: 0,
    });
    expect(trimmed({ minExponent: -149, counts: [0, 0], zeros: 3, nonFinite: 1 })).toEqual({
      minExponent: null,
      counts: [],
      zeros: 3,
      nonFinite: 1,
    });
  });
});

describe("saturated entries and dead units", () => {
  it("relu with every pre-activation negative: every unit of every layer dead", () => {
    const config = validateConfig({
      depth: 5,
      width: 8,
      batch: 4,
      activation: "relu",
      init: { scheme: "identity", scale: -1 },
      input: "ones",
    });
    const { saturated, dead } = histogramsOf(runReference(config, { histograms: true }));
    expect(saturated).toEqual([null, 1, 1, 1, 1, 1]);
    expect(dead).toEqual([null, 1, 1, 1, 1, 1]);
  });

  it("relu on the identity: a unit is dead where its input is negative on every example", () => {
    // a_1 = relu(x): unit i is dead where x_bi ≤ 0 for every b, and stays so (relu(0) = 0).
    const config = validateConfig({ depth: 3, width: 64, batch: 2, activation: "relu", init: { scheme: "identity" } });
    const { act, result } = runWithTensors(config);
    const x = (act[0] as Tensor).values;
    const deadUnits = Array.from({ length: 64 }, (_, i) => (x[i] as number) <= 0 && (x[64 + i] as number) <= 0);
    const expected = deadUnits.filter(Boolean).length / 64;
    expect(expected).toBeGreaterThan(0.1);
    expect(histogramsOf(result).dead).toEqual([null, expected, expected, expected]);
  });

  it("tanh under N(0, 10⁶/n) weights saturates almost every entry; linear and leaky_relu never saturate", () => {
    const base = { depth: 10, width: 64, batch: 16, init: { scheme: "gaussian", sigma: 1000 } } as const;
    const tanh = histogramsOf(runReference(validateConfig({ ...base, activation: "tanh" }), { histograms: true }));
    for (let l = 2; l <= 10; l++) expect(tanh.saturated[l]).toBeGreaterThan(0.99);
    for (const activation of ["linear", "leaky_relu"] as const) {
      const { saturated, dead } = histogramsOf(
        runReference(validateConfig({ ...base, activation }), { histograms: true }),
      );
      expect(saturated).toEqual([null, ...new Array(10).fill(0)]);
      expect(dead).toEqual([null, ...new Array(10).fill(0)]);
    }
  });
});
