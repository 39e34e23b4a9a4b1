import { describe, expect, it } from "vitest";
import type { InitConfig } from "../../src/core/config";
import { initDistribution, initVariance, layerWeights, orthogonalFromGaussian, weightEntry } from "../../src/core/init";
import { normalEntry, Stream, symmetricUniformEntry } from "../../src/core/random";

const SEED = 20240611;

/** Sample mean, variance (÷N) and kurtosis m₄/m₂² of a set of entries. */
function moments(values: Float64Array): { mean: number; variance: number; kurtosis: number; count: number } {
  const count = values.length;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / count;
  let m2 = 0;
  let m4 = 0;
  for (const v of values) {
    const d2 = (v - mean) ** 2;
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= count;
  m4 /= count;
  return { mean, variance: m2, kurtosis: m4 / (m2 * m2), count };
}

/** Entries of `layers` consecutive layers W_0..W_{layers−1}, concatenated. */
function sampleLayers(init: InitConfig, n: number, layers: number, seed = SEED): Float64Array {
  const all = new Float64Array(layers * n * n);
  for (let layer = 0; layer < layers; layer++) all.set(layerWeights(init, n, seed, layer), layer * n * n);
  return all;
}

/** Mᵀ·N for n × n row-major M and N. */
function transposeTimes(m: Float64Array, other: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      const mki = m[k * n + i] as number;
      for (let j = 0; j < n; j++) out[i * n + j] = (out[i * n + j] as number) + mki * (other[k * n + j] as number);
    }
  }
  return out;
}

/** max |Aᵢⱼ − c·δᵢⱼ|. */
function distanceFromScaledIdentity(a: Float64Array, n: number, c: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs((a[i * n + j] as number) - (i === j ? c : 0)));
  }
  return worst;
}

/** The layer's Gaussian G, Gᵢⱼ = normalEntry(seed, weights, layer, i, j), row-major. */
function gaussianMatrix(n: number, seed: number, layer: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) g[i * n + j] = normalEntry(seed, Stream.weights, layer, i, j);
  }
  return g;
}

/**
 * Every random scheme with the variance SPEC.md gives it, written out from the SPEC table (not from
 * the code under test), and the kurtosis of its law: 3 for a normal, 9/5 for a uniform, and for an
 * entry q of a Haar-orthogonal n × n matrix E[q⁴]/E[q²]² = (3/(n(n+2))) / (1/n)² = 3n/(n+2).
 * Gains ≠ 1 so that a dropped gain shows.
 */
const N = 256;
const LAYERS = 2; // 2 · 256² = 131 072 entries per scheme
const RANDOM_SCHEMES: readonly { init: InitConfig; variance: number; kurtosis: number; bound?: number }[] = [
  { init: { scheme: "gaussian", sigma: 1.5 }, variance: 1.5 ** 2 / N, kurtosis: 3 },
  { init: { scheme: "normal", sigma: 0.7 }, variance: 0.7 ** 2, kurtosis: 3 },
  { init: { scheme: "xavier_normal", gain: 1.2 }, variance: (1.2 ** 2 * 2) / (N + N), kurtosis: 3 },
  { init: { scheme: "he_normal", gain: 0.8 }, variance: (0.8 ** 2 * 2) / N, kurtosis: 3 },
  { init: { scheme: "lecun_normal", gain: 1.1 }, variance: 1.1 ** 2 / N, kurtosis: 3 },
  {
    init: { scheme: "xavier_uniform", gain: 1.3 },
    bound: 1.3 * Math.sqrt(6 / (N + N)),
    variance: (1.3 * Math.sqrt(6 / (N + N))) ** 2 / 3,
    kurtosis: 9 / 5,
  },
  {
    init: { scheme: "he_uniform", gain: 0.9 },
    bound: 0.9 * Math.sqrt(6 / N),
    variance: (0.9 * Math.sqrt(6 / N)) ** 2 / 3,
    kurtosis: 9 / 5,
  },
  { init: { scheme: "orthogonal", gain: 1.4 }, variance: 1.4 ** 2 / N, kurtosis: (3 * N) / (N + 2) },
];

describe("init statistics over 131 072 entries (n = 256, 2 layers)", () => {
  /*
   * Tolerances are 6 standard errors of the statistic for N independent entries of variance σ²:
   *   mean:      SE = σ/√N.
   *   variance:  SE = σ²·√((κ − 1)/N) with κ the kurtosis: √(2/N)·σ² for a normal (κ = 3),
   *              √(0.8/N)·σ² for a uniform (κ = 9/5); we use the normal's, the larger.
   *              N = 131 072 gives 6·√(2/N) = 2.3 % of σ².
   *   kurtosis:  SE = √(24/N) for a normal (0.0135; 6 SE = 0.081); the delta method gives a smaller
   *              N·Var ≈ 1.32 for a uniform, so 6·√(24/N) bounds both and still tells 3 from 9/5.
   * Orthogonal entries are not independent, but the same tolerances hold: each row of Q is a unit
   * vector, so the mean square is exactly gain²/n, and 1ᵀQ1 = n·(uᵀQu) with Qu uniform on the sphere
   * gives Var(mean) = gain²/n³, the independent-entry value.
   */
  it.each(RANDOM_SCHEMES.map((c) => ({ name: c.init.scheme, ...c })))(
    "$name: mean, variance and kurtosis within 6 standard errors of SPEC",
    ({ init, variance, kurtosis }) => {
      const stats = moments(sampleLayers(init, N, LAYERS));
      expect(stats.count).toBe(LAYERS * N * N);
      const sigma = Math.sqrt(variance);
      expect(Math.abs(stats.mean)).toBeLessThan((6 * sigma) / Math.sqrt(stats.count));
      expect(Math.abs(stats.variance - variance)).toBeLessThan(6 * variance * Math.sqrt(2 / stats.count));
      expect(Math.abs(stats.kurtosis - kurtosis)).toBeLessThan(6 * Math.sqrt(24 / stats.count));
    },
  );

  it.each(RANDOM_SCHEMES.filter((c) => c.bound !== undefined).map((c) => ({ name: c.init.scheme, ...c })))(
    "$name: every entry strictly inside (−a, a), and the sample reaches within 0.1 % of a",
    ({ init, bound }) => {
      const a = bound as number;
      let largest = 0;
      for (const w of sampleLayers(init, N, LAYERS)) largest = Math.max(largest, Math.abs(w));
      expect(largest).toBeLessThan(a);
      // P(all 131 072 entries inside (−0.999a, 0.999a)) = 0.999^131072 ≈ e⁻¹³¹.
      expect(largest).toBeGreaterThan(0.999 * a);
    },
  );
});

describe("initDistribution and initVariance", () => {
  const n = 64;

  it("gives each scheme's law with SPEC's parameters", () => {
    expect(initDistribution({ scheme: "identity", scale: 0.9 }, n)).toEqual({ kind: "identity", scale: 0.9 });
    expect(initDistribution({ scheme: "gaussian", sigma: 2 }, n)).toEqual({ kind: "normal", std: 2 / 8 });
    expect(initDistribution({ scheme: "normal", sigma: 2 }, n)).toEqual({ kind: "normal", std: 2 });
    expect(initDistribution({ scheme: "orthogonal", gain: 1.5 }, n)).toEqual({ kind: "orthogonal", gain: 1.5 });
    const std = (init: InitConfig): number => {
      const dist = initDistribution(init, n);
      return dist.kind === "normal" ? dist.std : Number.NaN;
    };
    const bound = (init: InitConfig): number => {
      const dist = initDistribution(init, n);
      return dist.kind === "uniform" ? dist.bound : Number.NaN;
    };
    expect(std({ scheme: "xavier_normal", gain: 2 })).toBeCloseTo(2 * Math.sqrt(2 / 128), 15);
    expect(std({ scheme: "he_normal", gain: 2 })).toBeCloseTo(2 * Math.sqrt(2 / 64), 15);
    expect(std({ scheme: "lecun_normal", gain: 2 })).toBeCloseTo(2 / 8, 15);
    expect(bound({ scheme: "xavier_uniform", gain: 2 })).toBeCloseTo(2 * Math.sqrt(6 / 128), 15);
    expect(bound({ scheme: "he_uniform", gain: 2 })).toBeCloseTo(2 * Math.sqrt(6 / 64), 15);
  });

  it("initVariance is SPEC's variance for every random scheme and null for identity", () => {
    for (const { init, variance } of RANDOM_SCHEMES) {
      expect(initVariance(init, N), init.scheme).toBeCloseTo(variance, 15);
    }
    expect(initVariance({ scheme: "identity", scale: 1.5 }, N)).toBeNull();
  });
});

describe("weightEntry", () => {
  const n = 48;
  const entrywise = RANDOM_SCHEMES.filter((c) => c.init.scheme !== "orthogonal").map((c) => c.init);

  it.each(
    [...entrywise, { scheme: "identity", scale: -1.25 } as InitConfig].map((init) => ({ name: init.scheme, init })),
  )("$name: equals the matching entry of layerWeights", ({ init }) => {
    for (const layer of [0, 3]) {
      const w = layerWeights(init, n, SEED, layer);
      for (let row = 0; row < n; row++) {
        for (let column = 0; column < n; column++) {
          expect(weightEntry(init, n, SEED, layer, row, column)).toBe(w[row * n + column]);
        }
      }
    }
  });

  it("is std · normalEntry and bound · (2·uniform − 1) of the entry's own Philox block", () => {
    expect(weightEntry({ scheme: "lecun_normal", gain: 1.1 }, n, 9, 4, 7, 30)).toBe(
      1.1 * Math.sqrt(1 / n) * normalEntry(9, Stream.weights, 4, 7, 30),
    );
    expect(weightEntry({ scheme: "gaussian", sigma: 1.1 }, n, 9, 4, 7, 30)).toBe(
      (1.1 / Math.sqrt(n)) * normalEntry(9, Stream.weights, 4, 7, 30),
    );
    expect(weightEntry({ scheme: "he_uniform", gain: 0.7 }, n, 9, 4, 7, 30)).toBe(
      0.7 * Math.sqrt(6 / n) * symmetricUniformEntry(9, Stream.weights, 4, 7, 30),
    );
  });

  it("refuses orthogonal, which has no entrywise formula", () => {
    expect(() => weightEntry({ scheme: "orthogonal", gain: 1 }, n, SEED, 0, 0, 0)).toThrow(/orthogonal/);
  });
});

describe("identity", () => {
  it.each([
    [1, 1.5],
    [2, 0.5],
    [5, 0.9],
    [64, -2],
    [130, 1],
  ])("n = %i, s = %d: W is exactly s·I", (n, s) => {
    const w = layerWeights({ scheme: "identity", scale: s }, n, SEED, 3);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) expect(w[i * n + j]).toBe(i === j ? s : 0);
    }
  });
});

describe("orthogonal", () => {
  const sizes = [1, 2, 3, 17, 64, 130];

  it.each(sizes)("n = %i: QᵀQ = I and QQᵀ = I to 1e-12", (n) => {
    for (const layer of [0, 1]) {
      const q = layerWeights({ scheme: "orthogonal", gain: 1 }, n, SEED, layer);
      expect(distanceFromScaledIdentity(transposeTimes(q, q, n), n, 1)).toBeLessThan(1e-12);
      const qt = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qt[j * n + i] = q[i * n + j] as number;
      expect(distanceFromScaledIdentity(transposeTimes(qt, qt, n), n, 1)).toBeLessThan(1e-12);
    }
  });

  it.each(sizes)("n = %i: W = gain·Q, so WᵀW = gain²·I", (n) => {
    const gain = 1.7;
    const w = layerWeights({ scheme: "orthogonal", gain }, n, SEED, 2);
    const q = layerWeights({ scheme: "orthogonal", gain: 1 }, n, SEED, 2);
    expect(distanceFromScaledIdentity(transposeTimes(w, w, n), n, gain * gain)).toBeLessThan(1e-12);
    for (let i = 0; i < n * n; i++) expect(w[i]).toBe(gain * (q[i] as number));
  });

  it.each(sizes)("n = %i: Q is the Q of G = QR with diag(R) > 0 (R = QᵀG upper triangular)", (n) => {
    const g = gaussianMatrix(n, SEED, 5);
    const q = orthogonalFromGaussian(g, n);
    expect(layerWeights({ scheme: "orthogonal", gain: 1 }, n, SEED, 5)).toEqual(q);
    const r = transposeTimes(q, g, n);
    let scale = 0;
    for (const v of g) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < n; i++) {
      expect(r[i * n + i] as number).toBeGreaterThan(0);
      for (let j = 0; j < i; j++) expect(Math.abs(r[i * n + j] as number)).toBeLessThan(1e-12 * n * scale);
    }
  });

  it("fixes signs on known matrices: −I → −I, diag(2, −3, 0.5) → diag(1, −1, 1), a swap → itself", () => {
    const entries = (q: Float64Array): number[] => Array.from(q, (v) => v + 0); // −0 reads as 0
    expect(entries(orthogonalFromGaussian(new Float64Array([-1, 0, 0, -1]), 2))).toEqual([-1, 0, 0, -1]);
    const diagonal = orthogonalFromGaussian(new Float64Array([2, 0, 0, 0, -3, 0, 0, 0, 0.5]), 3);
    expect(entries(diagonal)).toEqual([1, 0, 0, 0, -1, 0, 0, 0, 1]);
    const swap = orthogonalFromGaussian(new Float64Array([0, 1, 1, 0]), 2);
    expect(distanceFromScaledIdentity(transposeTimes(swap, new Float64Array([0, 1, 1, 0]), 2), 2, 1)).toBeLessThan(
      1e-15,
    );
    // A general 3 × 3 with a hand-checked first column: q₀ = g₀/‖g₀‖ = (3, 0, −4)/5.
    const q = orthogonalFromGaussian(new Float64Array([3, 1, 2, 0, 2, -1, -4, 1, 1]), 3);
    expect(q[0]).toBeCloseTo(0.6, 14);
    expect(q[3]).toBeCloseTo(0, 14);
    expect(q[6]).toBeCloseTo(-0.8, 14);
  });

  it("refuses an array that is not n × n", () => {
    expect(() => orthogonalFromGaussian(new Float64Array(5), 2)).toThrow(RangeError);
  });

  it("looks Haar: over 400 matrices of n = 16, tr Q has mean 0 and mean square 1", () => {
    /*
     * For Haar Q ∈ O(n), E[tr Q] = 0 and E[(tr Q)²] = 1 (n ≥ 2), and the moments of tr Q match those
     * of N(0, 1) up to order n (Diaconis–Shahshahani), so Var(tr Q) = 1 and Var((tr Q)²) = 3 − 1 = 2.
     * With M = 400: SE(mean) = 1/20, SE(mean square) = √(2/400) ≈ 0.071; 6 SE each. Without the
     * sign fix Householder QR gives Q₀₀ = −|G₀₀|/‖G₋₀‖ < 0 always and a trace near −√n.
     */
    const n = 16;
    const count = 400;
    let sum = 0;
    let sumSq = 0;
    for (let layer = 0; layer < count; layer++) {
      const q = layerWeights({ scheme: "orthogonal", gain: 1 }, n, SEED, layer);
      let trace = 0;
      for (let i = 0; i < n; i++) trace += q[i * n + i] as number;
      sum += trace;
      sumSq += trace * trace;
    }
    expect(Math.abs(sum / count)).toBeLessThan(6 / Math.sqrt(count));
    expect(Math.abs(sumSq / count - 1)).toBeLessThan(6 * Math.sqrt(2 / count));
  });
});

describe("reproducibility", () => {
  const n = 32;
  const schemes: InitConfig[] = RANDOM_SCHEMES.map((c) => c.init);

  it.each(schemes.map((init) => ({ name: init.scheme, init })))(
    "$name: the same (seed, layer) gives identical weights, another layer or seed different ones",
    ({ init }) => {
      const w = layerWeights(init, n, SEED, 4);
      expect(layerWeights(init, n, SEED, 4)).toEqual(w);
      const differs = (other: Float64Array): boolean => other.some((v, i) => v !== w[i]);
      expect(differs(layerWeights(init, n, SEED, 5))).toBe(true);
      expect(differs(layerWeights(init, n, SEED + 1, 4))).toBe(true);
      // Not merely some entries: independent draws share essentially none.
      let shared = 0;
      const other = layerWeights(init, n, SEED + 1, 4);
      for (let i = 0; i < n * n; i++) if (other[i] === w[i]) shared++;
      expect(shared).toBeLessThan(3);
    },
  );
});
