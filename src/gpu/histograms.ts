/**
 * The layout of the histograms' buffer (the run option histograms) that shaders/histogram.wgsl
 * fills and the readback reads: one record of u32 words per layer l = 0..L, at l·recordWords:
 *
 *     0 .. 278       bins of a_l: ⌊log₂|v|⌋ = −149..127 of the stored float32 value, zeros, non-finite
 *     279 .. 557     bins of ∂ℓ/∂a_l, likewise
 *     558            entries of layer l with |g'| < 0.01 (l ≥ 1)
 *     559 ..         a bitset of the n units: set where a unit has |g'| ≥ 0.01 on some example (l ≥ 1)
 *
 * A recomputed activation (checkpointing) counts into one more record after layer L's, which nothing
 * reads: it was counted when first computed, and a kernel that always counts somewhere needs no branch.
 * Stored values are binned as float32 numbers; in tracked numerics each tensor's bins are shifted by
 * its power of two (its statistics slot's exponent) on readback, so the result is in true magnitude.
 */
import type { Histogram, HistogramCounts } from "../core/result";

/** Bins per tensor: the 277 binades of float32 (subnormals included), then zeros, then non-finite. */
export const HISTOGRAM_BINS = 279;
const BINADES = 277;
/** ⌊log₂⌋ of float32's smallest subnormal, the binade of bin 0. */
const LOWEST_BINADE = -149;
const SATURATED = 2 * HISTOGRAM_BINS;
const LIVE = SATURATED + 1;

/** Where each layer's histograms lie in the buffer, for a chain of `depth` layers of `width` units. */
export class HistogramLayout {
  constructor(
    readonly depth: number,
    readonly width: number,
  ) {}

  /** Words of one layer's record (hist_record_words in shaders/histogram.wgsl). */
  get recordWords(): number {
    return LIVE + Math.ceil(this.width / 32);
  }

  /** The record a recomputed activation counts into, after layer L's: nothing reads it. */
  get discarded(): number {
    return this.depth + 1;
  }

  /** Bytes of the buffer: L + 2 records. */
  get bytes(): number {
    return 4 * (this.depth + 2) * this.recordWords;
  }

  /** Bytes of the records of layers 0..L, which the readback copies. */
  get reportedBytes(): number {
    return 4 * (this.depth + 1) * this.recordWords;
  }

  /**
   * The counts in the buffer's words, each tensor's bins at true magnitude: shifted by the power of
   * two its stored values are scaled by (`exponents.act[l]`, `exponents.grad[l]`).
   */
  read(words: Uint32Array, exponents: { act: number[]; grad: number[] }): HistogramCounts {
    const layers = Array.from({ length: this.depth + 1 }, (_, l) => l);
    const record = (l: number) => words.subarray(l * this.recordWords, (l + 1) * this.recordWords);
    const bins = (l: number, tensor: number, exponent: number): Histogram => {
      const counts = record(l).subarray(tensor * HISTOGRAM_BINS, (tensor + 1) * HISTOGRAM_BINS);
      return {
        minExponent: LOWEST_BINADE + exponent,
        counts: Array.from(counts.subarray(0, BINADES)),
        zeros: counts[BINADES] as number,
        nonFinite: counts[BINADES + 1] as number,
      };
    };
    const deadUnits = (l: number) => {
      let live = 0;
      for (const word of record(l).subarray(LIVE)) live += popCount(word);
      return this.width - live;
    };
    return {
      act: layers.map((l) => bins(l, 0, exponents.act[l] as number)),
      grad: layers.map((l) => bins(l, 1, exponents.grad[l] as number)),
      saturatedEntries: layers.map((l) => (l === 0 ? 0 : (record(l)[SATURATED] as number))),
      deadUnits: layers.map((l) => (l === 0 ? 0 : deadUnits(l))),
    };
  }
}

/** Set bits of a 32-bit word. */
function popCount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}
