/**
 * The run's random numbers as functions of (seed, stream, layer, row, column): one Philox block
 * per tensor entry, so the GPU can regenerate any entry where it needs it. shaders/random.wgsl
 * mirrors every function here.
 */
import { philox4x32 } from "./philox";

/** Philox key word 1 for each tensor drawn at random. */
export const Stream = { weights: 0, biases: 1, inputs: 2, targets: 3 } as const;
export type StreamId = (typeof Stream)[keyof typeof Stream];

const block = new Uint32Array(4);

/** The Philox block of one entry: key (seed, stream), counter (column, row, layer, 0). */
export function entryBlock(seed: number, stream: StreamId, layer: number, row: number, column: number): Uint32Array {
  return philox4x32(column, row, layer, 0, seed, stream, block);
}

/** Uniform on (0, 1) from the top 23 bits of a word: (⌊x / 2⁹⌋ + ½) / 2²³, exact in float32. */
export function uniform24(word: number): number {
  return ((word >>> 9) + 0.5) / 8388608;
}

/** Standard normal by Box–Muller from two words: √(−2 ln u₁) · cos(2π u₂). */
export function boxMuller(word0: number, word1: number): number {
  const u1 = uniform24(word0);
  const u2 = uniform24(word1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** The N(0, 1) draw of one entry (words 0 and 1 of its block). */
export function normalEntry(seed: number, stream: StreamId, layer: number, row: number, column: number): number {
  const words = entryBlock(seed, stream, layer, row, column);
  return boxMuller(words[0] as number, words[1] as number);
}

/** The U(−1, 1) draw of one entry (word 2 of its block). */
export function symmetricUniformEntry(
  seed: number,
  stream: StreamId,
  layer: number,
  row: number,
  column: number,
): number {
  const words = entryBlock(seed, stream, layer, row, column);
  return 2 * uniform24(words[2] as number) - 1;
}
