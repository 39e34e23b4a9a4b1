/**
 * Weight initialization (SPEC.md, "Config"): each W_l ∈ ℝⁿˣⁿ as a function of (init, n, seed, l).
 * Every scheme but orthogonal is entrywise, so the GPU can regenerate any entry from one scalar
 * (initDistribution) and the Philox draw of that entry; orthogonal needs the QR of the whole layer.
 */
import type { InitConfig } from "./config";
import { normalEntry, Stream, symmetricUniformEntry } from "./random";

/** The law of one entry of W: s·δᵢⱼ, N(0, std²), U(−bound, bound), or gain·Q with Q Haar-orthogonal. */
export type InitDistribution =
  | { kind: "identity"; scale: number }
  | { kind: "normal"; std: number }
  | { kind: "uniform"; bound: number }
  | { kind: "orthogonal"; gain: number };

/** The distribution of an entry of an n × n layer (fan-in = fan-out = n) under init. */
export function initDistribution(init: InitConfig, n: number): InitDistribution {
  switch (init.scheme) {
    case "identity":
      return { kind: "identity", scale: init.scale };
    case "gaussian":
      return { kind: "normal", std: init.sigma / Math.sqrt(n) };
    case "normal":
      return { kind: "normal", std: init.sigma };
    case "xavier_normal":
      return { kind: "normal", std: init.gain * Math.sqrt(2 / (n + n)) };
    case "he_normal":
      return { kind: "normal", std: init.gain * Math.sqrt(2 / n) };
    case "lecun_normal":
      return { kind: "normal", std: init.gain * Math.sqrt(1 / n) };
    case "xavier_uniform":
      return { kind: "uniform", bound: init.gain * Math.sqrt(6 / (n + n)) };
    case "he_uniform":
      return { kind: "uniform", bound: init.gain * Math.sqrt(6 / n) };
    case "orthogonal":
      return { kind: "orthogonal", gain: init.gain };
  }
}

/** Var(Wᵢⱼ): std², bound²/3 for U(−bound, bound), gain²/n for gain·Q; null for identity (not random). */
export function initVariance(init: InitConfig, n: number): number | null {
  const dist = initDistribution(init, n);
  switch (dist.kind) {
    case "identity":
      return null;
    case "normal":
      return dist.std * dist.std;
    case "uniform":
      return (dist.bound * dist.bound) / 3;
    case "orthogonal":
      return (dist.gain * dist.gain) / n;
  }
}

/** Entry (row, column) of W_layer for an entrywise distribution: s·δ, std·N(0,1) or bound·U(−1,1). */
function entryOf(dist: InitDistribution, seed: number, layer: number, row: number, column: number): number {
  switch (dist.kind) {
    case "identity":
      return row === column ? dist.scale : 0;
    case "normal":
      return dist.std * normalEntry(seed, Stream.weights, layer, row, column);
    case "uniform":
      return dist.bound * symmetricUniformEntry(seed, Stream.weights, layer, row, column);
    case "orthogonal":
      throw new Error("orthogonal init has no entrywise formula: W = gain·Q(G) needs the whole layer (layerWeights)");
  }
}

/** Entry (row, column) of W_layer in float64, for every scheme but orthogonal (which throws). */
export function weightEntry(
  init: InitConfig,
  n: number,
  seed: number,
  layer: number,
  row: number,
  column: number,
): number {
  return entryOf(initDistribution(init, n), seed, layer, row, column);
}

/** All of W_layer, row-major n × n, in float64; orthogonal is gain·Q of the layer's Gaussian G. */
export function layerWeights(init: InitConfig, n: number, seed: number, layer: number): Float64Array {
  const dist = initDistribution(init, n);
  if (dist.kind === "orthogonal") return orthogonalLayer(dist.gain, n, seed, layer);
  const w = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) w[row * n + column] = entryOf(dist, seed, layer, row, column);
  }
  return w;
}

/** gain · Q(G) with Gᵢⱼ = normalEntry(seed, weights, layer, i, j). */
function orthogonalLayer(gain: number, n: number, seed: number, layer: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      g[row * n + column] = normalEntry(seed, Stream.weights, layer, row, column);
    }
  }
  const q = orthogonalFromGaussian(g, n);
  for (let i = 0; i < q.length; i++) q[i] = gain * (q[i] as number);
  return q;
}

/**
 * Q of G = QR (G row-major n × n) with diag(R) > 0, row-major: Haar-distributed when G is Gaussian.
 * Householder in float64: R_kk = −sign(x₀)‖x‖ per column, then Q ← Q·diag(sign R_kk).
 */
export function orthogonalFromGaussian(g: Float64Array, n: number): Float64Array {
  if (g.length !== n * n) throw new RangeError(`orthogonalFromGaussian: expected ${n * n} entries, got ${g.length}`);
  // Work on transposes so that every column operation runs over contiguous memory.
  const columns = transpose(g, n);
  const reflectors = new Float64Array(n * n);
  const rDiagonal = new Float64Array(n);
  for (let k = 0; k < n - 1; k++) {
    rDiagonal[k] = householderStep(columns, reflectors, n, k);
  }
  if (n > 0) rDiagonal[n - 1] = columns[n * n - 1] as number;
  const qColumns = accumulateQ(reflectors, n);
  for (let k = 0; k < n; k++) {
    if ((rDiagonal[k] as number) < 0) scaleRow(qColumns, n, k, -1);
  }
  return transpose(qColumns, n);
}

/**
 * Householder step k: the unit v (row k of reflectors, entries k..n−1) with (I − 2vvᵀ)·x = R_kk·e_k for
 * x = A[k..n−1, k] (row k of `columns`), applied to columns k+1..n−1 of A. Returns R_kk; a zero x gives
 * v = 0 (no reflection) and R_kk = 0.
 */
function householderStep(columns: Float64Array, reflectors: Float64Array, n: number, k: number): number {
  const base = k * n;
  let normSq = 0;
  for (let i = k; i < n; i++) normSq += (columns[base + i] as number) ** 2;
  const x0 = columns[base + k] as number;
  if (normSq === 0) return 0;
  const rkk = x0 >= 0 ? -Math.sqrt(normSq) : Math.sqrt(normSq);
  // ‖x − rkk·e₀‖² = ‖x‖² − 2·rkk·x₀ + rkk², with no cancellation since rkk and x₀ have opposite signs.
  const vNorm = Math.sqrt(2 * normSq - 2 * rkk * x0);
  reflectors[base + k] = (x0 - rkk) / vNorm;
  for (let i = k + 1; i < n; i++) reflectors[base + i] = (columns[base + i] as number) / vNorm;
  for (let j = k + 1; j < n; j++) reflect(columns, j * n, reflectors, base, k, n);
  return rkk;
}

/** target[offset + k..n) ← (I − 2vvᵀ)·target[offset + k..n), v = reflectors[vOffset + k..n). */
function reflect(
  target: Float64Array,
  offset: number,
  reflectors: Float64Array,
  vOffset: number,
  k: number,
  n: number,
): void {
  let dot = 0;
  for (let i = k; i < n; i++) dot += (reflectors[vOffset + i] as number) * (target[offset + i] as number);
  const twice = 2 * dot;
  for (let i = k; i < n; i++) {
    target[offset + i] = (target[offset + i] as number) - twice * (reflectors[vOffset + i] as number);
  }
}

/** Qᵀ of Q = H_0·H_1⋯H_{n−2}, by backward accumulation (H_k touches only rows and columns ≥ k). */
function accumulateQ(reflectors: Float64Array, n: number): Float64Array {
  const qColumns = new Float64Array(n * n);
  for (let i = 0; i < n; i++) qColumns[i * n + i] = 1;
  for (let k = n - 2; k >= 0; k--) {
    for (let j = k; j < n; j++) reflect(qColumns, j * n, reflectors, k * n, k, n);
  }
  return qColumns;
}

/** Row `row` of an n × n row-major matrix times factor, in place. */
function scaleRow(m: Float64Array, n: number, row: number, factor: number): void {
  for (let i = row * n; i < (row + 1) * n; i++) m[i] = factor * (m[i] as number);
}

/** Mᵀ of an n × n row-major matrix, as a new array. */
function transpose(m: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) t[j * n + i] = m[i * n + j] as number;
  }
  return t;
}
