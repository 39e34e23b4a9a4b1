/**
 * The lecture chain in float16 and bfloat16: where its markers must fall, derived from the formats
 * themselves by iterating the chain's rounded recursion, independently of the reference's layers.
 *
 * The chain: width 2, batch 1, x = ones, W_l = s·I, linear, no biases, target y. Each entry of a layer
 * is one product s·v (the other term is 0·v), so with r the rounding to the format (flushing its
 * subnormals when asked):
 *   a_0 = 1,            a_l = r(s·a_{l−1})          (z_l = r(s·a_{l−1}), a_l = r(z_l) = z_l)
 *   ∂ℓ/∂a_L = r(a_L − y),   ∂ℓ/∂a_{l−1} = r(s·∂ℓ/∂a_l)   (∂ℓ/∂z_l = r(∂ℓ/∂a_l · 1) = ∂ℓ/∂a_l)
 * The closed forms these iterations refine (a format with p − 1 = m mantissa bits, smallest normal
 * 2^e_min, largest value M): 1.5^l first rounds past M, to ∞, at l = ⌈ln(M + ulp/2) / ln 1.5⌉ (float16:
 * 65520, l = 28; bfloat16: l = 219, but its 8-bit rounding of each 1.5·a_{l−1} lags 1.5^l, so it
 * overflows one layer later, at 220); 0.5^l is exact down to the smallest subnormal 2^(e_min − m), and
 * half of that is a tie that rounds to 0, so a_l is zero from l = m − e_min + 1 (float16: 25, bfloat16:
 * 134), or, with subnormals flushed, from l = 1 − e_min (float16: 15, bfloat16: 127).
 */
import { expect } from "vitest";
import type { RunConfig } from "../../src/core/config";
import { storeRounding } from "../../src/core/layers/numerics";
import { Stream } from "../../src/core/random";
import { dataTensor } from "../../src/core/reference";
import type { LayerPair, Subnormals } from "../../src/core/result";

/** The markers of a result, as the recursion gives them. */
export interface LectureMarkers {
  firstNonFinite: LayerPair;
  firstAllZero: LayerPair;
}

/** The chain's entries as the recursion gives them: a_l (l = 0..L) and ∂ℓ/∂a_l (l = 0..L), each a layer's entries. */
export interface LectureChain {
  act: number[][];
  grad: number[][];
}

/** The first layer, in the order given, whose entries meet `test` (some or every entry), or null. */
function firstLayer(values: number[][], order: number[], test: (v: number) => boolean, every: boolean) {
  const layer = order.find((l) => (every ? values[l]?.every(test) : values[l]?.some(test)));
  return layer ?? null;
}

/** The entries of a lecture chain config (identity init, linear, no biases) in a binary format, by the recursion. */
export function lectureChain(config: RunConfig, subnormals: Subnormals): LectureChain {
  if (config.init.scheme !== "identity" || config.activation !== "linear" || config.biasSigma !== 0)
    throw new Error("the lecture chain is s·I, linear, without biases");
  const round = storeRounding(config, subnormals);
  const s = round(config.init.scale);
  const depth = config.depth;
  const act: number[][] = [Array.from({ length: config.width * config.batch }, () => 1)];
  for (let l = 1; l <= depth; l++) act.push((act[l - 1] as number[]).map((a) => round(s * a)));
  const targets = Array.from(dataTensor(config, Stream.targets, round), round);
  const grad: number[][] = [];
  grad[depth] = (act[depth] as number[]).map((a, k) => round(a - (targets[k] as number)));
  for (let l = depth; l >= 1; l--) grad[l - 1] = (grad[l] as number[]).map((g) => round(s * g));
  return { act, grad };
}

/** The markers of a lecture chain config in a binary format, from its recursion. */
export function lectureMarkers(config: RunConfig, subnormals: Subnormals): LectureMarkers {
  const { act, grad } = lectureChain(config, subnormals);
  const forward = act.map((_, l) => l);
  const backward = [...forward].reverse();
  const nonFinite = (v: number) => !Number.isFinite(v);
  const zero = (v: number) => v === 0;
  return {
    firstNonFinite: {
      forward: firstLayer(act, forward, nonFinite, false),
      backward: firstLayer(grad, backward, nonFinite, false),
    },
    firstAllZero: { forward: firstLayer(act, forward, zero, true), backward: firstLayer(grad, backward, zero, true) },
  };
}

/** log10 of the RMS of each layer's entries; null where one is not finite or all are zero (as a result has it). */
export function log10Rms(layers: number[][]): (number | null)[] {
  return layers.map((values) => {
    if (values.some((v) => !Number.isFinite(v)) || values.every((v) => v === 0)) return null;
    return 0.5 * Math.log10(values.reduce((sum, v) => sum + v * v, 0) / values.length);
  });
}

/** A result's series equal to the recursion's: null at the same layers, within `tolerance` in log10 elsewhere. */
export function expectSeries(got: (number | null)[], want: (number | null)[], tolerance: number, label: string) {
  expect(
    got.map((v) => v === null),
    label,
  ).toEqual(want.map((v) => v === null));
  const worst = Math.max(0, ...got.map((v, l) => (v === null ? 0 : Math.abs(v - (want[l] as number)))));
  expect(worst, label).toBeLessThanOrEqual(tolerance);
}
