import { describe, expect, it } from "vitest";
import { mulhi32, philox4x32 } from "../../src/core/philox";
import { uniform24 } from "../../src/core/random";

/**
 * Philox-4x32-10 known answers, the three "philox4x32 10" rows of tests/kat_vectors in the Random123
 * distribution (format: counter[4] key[2] -> output[4]). Copied from D. E. Shaw Research's own copy of
 * those rows in DEShawResearch/Random123-Boost, libs/random/test/test_philox.cpp (commit 916db91,
 * test_kat_philox4x32: "cut-and-pasted from the kat_vectors file in the original Random123
 * distribution"); the same rows appear verbatim in independent ports of the file.
 */
const KAT_PHILOX4X32_10: readonly { counter: number[]; key: number[]; expected: number[] }[] = [
  {
    counter: [0x00000000, 0x00000000, 0x00000000, 0x00000000],
    key: [0x00000000, 0x00000000],
    expected: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    expected: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    // The hexadecimal digits of π.
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    expected: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

/** xorshift32 (Marsaglia 2003): a test-only source of words independent of the code under test. */
function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

describe("philox4x32", () => {
  it.each(KAT_PHILOX4X32_10.map((kat, index) => ({ index, ...kat })))(
    "matches Random123 kat_vectors row $index",
    ({ counter, key, expected }) => {
      const [c0, c1, c2, c3] = counter as [number, number, number, number];
      const [k0, k1] = key as [number, number];
      expect(Array.from(philox4x32(c0, c1, c2, c3, k0, k1))).toEqual(expected);
    },
  );

  it("writes into the given output block and returns it", () => {
    const out = new Uint32Array(4);
    const result = philox4x32(0, 0, 0, 0, 0, 0, out);
    expect(result).toBe(out);
    expect(Array.from(out)).toEqual(KAT_PHILOX4X32_10[0]?.expected);
  });
});

describe("mulhi32", () => {
  const reference = (a: number, b: number): number => Number((BigInt(a) * BigInt(b)) >> 32n);

  it("equals ⌊a·b / 2³²⌋ computed with BigInt on edge values", () => {
    const edges = [0, 1, 2, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xd2511f53, 0xcd9e8d57];
    for (const a of edges) {
      for (const b of edges) expect(mulhi32(a, b), `${a} * ${b}`).toBe(reference(a, b));
    }
  });

  it("equals ⌊a·b / 2³²⌋ computed with BigInt on 200 000 random pairs", () => {
    const next = xorshift32(0x9e3779b9);
    let mismatches = 0;
    let firstMismatch = "";
    for (let i = 0; i < 200_000; i++) {
      const a = next();
      const b = next();
      if (mulhi32(a, b) !== reference(a, b)) {
        mismatches++;
        firstMismatch ||= `${a} * ${b}: ${mulhi32(a, b)} != ${reference(a, b)}`;
      }
    }
    expect(firstMismatch).toBe("");
    expect(mismatches).toBe(0);
  });
});

describe("uniform24", () => {
  it("maps the extreme words to (0 + ½)/2²⁴ and (2²⁴ − 1 + ½)/2²⁴", () => {
    expect(uniform24(0)).toBe(2 ** -24);
    expect(uniform24(0xffffffff)).toBe(1 - 2 ** -24);
    expect(Math.fround(uniform24(0xffffffff))).toBe(uniform24(0xffffffff));
  });

  it("lies strictly in (0, 1) on edge and random words", () => {
    const next = xorshift32(12345);
    const words = [0, 1, 0xff, 0x100, 0x7fffffff, 0x80000000, 0xffffff00, 0xffffffff];
    for (let i = 0; i < 100_000; i++) words.push(next());
    const outside = words.filter((word) => !(uniform24(word) > 0 && uniform24(word) < 1));
    expect(outside).toEqual([]);
  });
});
