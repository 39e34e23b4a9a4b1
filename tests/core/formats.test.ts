/**
 * Rounding to float16 and bfloat16 (src/core/formats.ts) against their bit patterns: every one of
 * the 65536 patterns of each format and the midpoints between them, IEEE's edge cases, and float32
 * through the same code against Math.fround; and the lecture chain's markers in each format.
 */
import { describe, expect, test } from "vitest";
import { validateConfig } from "../../src/core/config";
import { FLOAT_FORMATS, roundToFormat, storageFormat } from "../../src/core/formats";
import { storeRounding } from "../../src/core/layers/numerics";
import { lectureConfig } from "../../src/core/presets";
import { runReference } from "../../src/core/reference";
import { expectSeries, lectureChain, lectureMarkers, log10Rms } from "../support/format-lecture";
import { decode16, positiveValues } from "../support/formats";

const { float16, bfloat16, float32 } = FLOAT_FORMATS;

describe.each([
  ["float16", float16],
  ["bfloat16", bfloat16],
] as const)("rounding to %s", (_name, format) => {
  const values = positiveValues(format);

  test("the format's table matches its bit patterns: largest, smallest normal, smallest subnormal", () => {
    expect(values.at(-1)).toBe(format.max);
    expect(values[1]).toBe(format.minSubnormal);
    expect(values[1 << format.mantissaBits]).toBe(format.minNormal);
  });

  test("every value of the format rounds to itself, with its sign", () => {
    const moved = values.filter(
      (value) => roundToFormat(value, format) !== value || !Object.is(roundToFormat(-value, format), -value),
    );
    expect(moved).toEqual([]);
  });

  test("each midpoint rounds to the neighbour with the even pattern; just off it, to the nearer", () => {
    const wrong: number[] = [];
    for (let k = 0; k + 1 < values.length; k++) {
      const low = values[k] as number;
      const high = values[k + 1] as number;
      const middle = (low + high) / 2;
      const even = k % 2 === 0 ? low : high;
      const nudge = (high - low) * 2 ** -30;
      const right =
        roundToFormat(middle, format) === even &&
        roundToFormat(-middle, format) === -even &&
        roundToFormat(middle - nudge, format) === low &&
        roundToFormat(middle + nudge, format) === high;
      if (!right) wrong.push(middle);
    }
    expect(wrong).toEqual([]);
  });

  test("past the largest value: the midpoint above it and beyond are ±∞, just below it is the largest", () => {
    const ulp = 2 ** (format.maxExponent - format.mantissaBits);
    const overflow = format.max + ulp / 2;
    expect(roundToFormat(overflow, format)).toBe(Number.POSITIVE_INFINITY);
    expect(roundToFormat(-overflow, format)).toBe(Number.NEGATIVE_INFINITY);
    expect(roundToFormat(overflow * (1 - 2 ** -40), format)).toBe(format.max);
    expect(roundToFormat(1e300, format)).toBe(Number.POSITIVE_INFINITY);
    expect(roundToFormat(Number.MAX_VALUE, format)).toBe(Number.POSITIVE_INFINITY);
  });

  test("zeros, infinities and NaN are kept; what rounds to zero keeps its sign", () => {
    expect(Object.is(roundToFormat(0, format), 0)).toBe(true);
    expect(Object.is(roundToFormat(-0, format), -0)).toBe(true);
    expect(roundToFormat(Number.NEGATIVE_INFINITY, format)).toBe(Number.NEGATIVE_INFINITY);
    expect(roundToFormat(Number.NaN, format)).toBeNaN();
    // Half the smallest subnormal is a tie between 0 and it: 0 is even.
    expect(Object.is(roundToFormat(-format.minSubnormal / 2, format), -0)).toBe(true);
    expect(roundToFormat((format.minSubnormal / 2) * (1 + 2 ** -52), format)).toBe(format.minSubnormal);
    expect(Object.is(roundToFormat(-Number.MIN_VALUE, format), -0)).toBe(true);
  });
});

describe("known float16 and bfloat16 bit patterns", () => {
  test("float16: 1 is 0x3c00, 65504 is 0x7bff, 2⁻¹⁴ is 0x0400, 2⁻²⁴ is 0x0001; 65520 and up is ∞", () => {
    expect(decode16(0x3c00, float16)).toBe(1);
    expect(float16.max).toBe(65504);
    expect(decode16(0x7bff, float16)).toBe(65504);
    expect(decode16(0x0400, float16)).toBe(2 ** -14);
    expect(decode16(0x0001, float16)).toBe(2 ** -24);
    expect(roundToFormat(65519.99, float16)).toBe(65504);
    expect(roundToFormat(65520, float16)).toBe(Number.POSITIVE_INFINITY);
    expect(roundToFormat(-65520, float16)).toBe(Number.NEGATIVE_INFINITY);
    // 1 + 2⁻¹¹ is the midpoint of 1 (0x3c00) and 1 + 2⁻¹⁰ (0x3c01): to 1; 1 + 3·2⁻¹¹ to 0x3c02.
    expect(roundToFormat(1 + 2 ** -11, float16)).toBe(1);
    expect(roundToFormat(1 + 3 * 2 ** -11, float16)).toBe(decode16(0x3c02, float16));
    // 3·2⁻²⁵, the midpoint of 2⁻²⁴ (0x0001) and 2⁻²³ (0x0002), goes to 0x0002.
    expect(roundToFormat(3 * 2 ** -25, float16)).toBe(2 ** -23);
    expect(roundToFormat(0.1, float16)).toBe(decode16(0x2e66, float16));
  });

  test("bfloat16: 1 is 0x3f80, its largest is 0x7f7f, 2⁻¹²⁶ is 0x0080, 2⁻¹³³ is 0x0001", () => {
    expect(decode16(0x3f80, bfloat16)).toBe(1);
    expect(decode16(0x7f7f, bfloat16)).toBe(bfloat16.max);
    expect(bfloat16.max).toBe((2 - 2 ** -7) * 2 ** 127);
    expect(decode16(0x0080, bfloat16)).toBe(2 ** -126);
    expect(decode16(0x0001, bfloat16)).toBe(2 ** -133);
    expect(roundToFormat((2 - 2 ** -8) * 2 ** 127, bfloat16)).toBe(Number.POSITIVE_INFINITY);
    expect(roundToFormat(1 + 2 ** -8, bfloat16)).toBe(1);
    expect(roundToFormat(1 + 3 * 2 ** -8, bfloat16)).toBe(1 + 2 ** -6);
    expect(roundToFormat(0.1, bfloat16)).toBe(decode16(0x3dcd, bfloat16));
  });

  test("rounded once from the float64 value: through float32 first, a value just above a tie would round down", () => {
    const justAboveTie = 1 + 2 ** -11 + 2 ** -40;
    expect(Math.fround(justAboveTie)).toBe(1 + 2 ** -11);
    expect(roundToFormat(Math.fround(justAboveTie), float16)).toBe(1);
    expect(roundToFormat(justAboveTie, float16)).toBe(1 + 2 ** -10);
    const bfloatAboveTie = 1 + 2 ** -8 + 2 ** -40;
    expect(roundToFormat(bfloatAboveTie, bfloat16)).toBe(1 + 2 ** -7);
  });
});

describe("the same rounding in float32", () => {
  test("equals Math.fround on float64 values of every float32 magnitude, their ties and subnormals", () => {
    let state = 12345;
    const random = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const mismatches: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const exponent = Math.floor(random() * 300) - 160;
      const value = (random() < 0.5 ? -1 : 1) * (1 + random()) * 2 ** exponent;
      // The midpoint between value's two float32 neighbours (exact in float64).
      const low = Math.fround(value);
      const ulp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(low) || 2 ** -149)), -126) - 23);
      for (const v of [value, low + ulp / 2]) {
        if (Number.isFinite(v) && !Object.is(roundToFormat(v, float32), Math.fround(v))) mismatches.push(v);
      }
    }
    expect(mismatches).toEqual([]);
    expect(roundToFormat(float32.max * (1 + 2 ** -25), float32)).toBe(Math.fround(float32.max * (1 + 2 ** -25)));
  });
});

describe("the numerics' store rounding", () => {
  test("float16 and bfloat16 round as their format; flushed, the format's subnormals are zero", () => {
    const half = validateConfig({ numerics: "float16" });
    expect(storeRounding(half, "kept")(2 ** -20)).toBe(2 ** -20);
    expect(storeRounding(half, "flushed")(2 ** -15)).toBe(0);
    expect(storeRounding(half, "flushed")(2 ** -14)).toBe(2 ** -14);
    expect(storeRounding(half, "kept")(70000)).toBe(Number.POSITIVE_INFINITY);
    const brain = validateConfig({ numerics: "bfloat16" });
    expect(storeRounding(brain, "kept")(2 ** -130)).toBe(2 ** -130);
    expect(storeRounding(brain, "flushed")(2 ** -130)).toBe(0);
    expect(storeRounding(brain, "kept")(1 + 2 ** -9)).toBe(1);
  });

  test("each numerics names its format, tracked none", () => {
    expect(storageFormat("float16")).toBe(float16);
    expect(storageFormat("bfloat16")).toBe(bfloat16);
    expect(storageFormat("float32")).toBe(float32);
    expect(storageFormat("tracked")).toBeNull();
  });
});

describe("the lecture in float16 and bfloat16 (tests/support/format-lecture.ts derives its layers and values)", () => {
  const lecture = (numerics: "float16" | "bfloat16", scale: number, depth = 300, target = "zeros" as const) =>
    validateConfig({ ...lectureConfig(scale, depth), numerics, target });

  test("1.5·I on ones overflows at layer 28 in float16 and 220 in bfloat16 (1.5^l rounded each layer lags 1.5^l)", () => {
    for (const [numerics, layer] of [
      ["float16", 28],
      ["bfloat16", 220],
    ] as const) {
      for (const subnormals of ["kept", "flushed"] as const) {
        const config = lecture(numerics, 1.5);
        const result = runReference(config, { subnormals });
        expect(lectureMarkers(config, subnormals).firstNonFinite.forward).toBe(layer);
        expect(result.firstNonFinite.forward, `${numerics}, ${subnormals}`).toBe(layer);
        expect(result.log10ActRms[layer - 1]).not.toBeNull();
        expect(result.log10ActRms[layer]).toBeNull();
        expect(result.nullCauses.act[layer]).toBe("nonFinite");
      }
    }
  });

  test("0.5·I on ones is all zero from layer 25 in float16 (15 without its subnormals), 134 in bfloat16 (127 without)", () => {
    for (const [numerics, kept, flushed] of [
      ["float16", 25, 15],
      ["bfloat16", 134, 127],
    ] as const) {
      const config = lecture(numerics, 0.5);
      for (const [subnormals, layer] of [
        ["kept", kept],
        ["flushed", flushed],
      ] as const) {
        expect(lectureMarkers(config, subnormals).firstAllZero.forward).toBe(layer);
        const result = runReference(config, { subnormals });
        expect(result.firstAllZero.forward, `${numerics}, ${subnormals}`).toBe(layer);
        expect(result.log10ActRms[layer - 1]).toBeCloseTo((layer - 1) * Math.log10(0.5), 10);
        expect(result.subnormals).toBe(subnormals);
      }
    }
  });

  test("every marker, forward and backward, where the rounded recursion puts it, and every value its value", () => {
    for (const numerics of ["float16", "bfloat16"] as const) {
      for (const scale of [1.5, 0.5, 0.9, -1.5, 1.1]) {
        for (const depth of [12, 20, 40, 300]) {
          for (const target of ["zeros", "gaussian"] as const) {
            for (const subnormals of ["kept", "flushed"] as const) {
              const config = validateConfig({ ...lecture(numerics, scale, depth), target, seed: depth });
              const result = runReference(config, { subnormals });
              const { firstNonFinite, firstAllZero } = result;
              const label = `${numerics} ${scale}·I, depth ${depth}, ${target} target, subnormals ${subnormals}`;
              expect({ firstNonFinite, firstAllZero }, label).toEqual(lectureMarkers(config, subnormals));
              const chain = lectureChain(config, subnormals);
              expectSeries(result.log10ActRms, log10Rms(chain.act), 1e-12, label);
              expectSeries(result.log10GradRms, log10Rms(chain.grad), 1e-12, label);
            }
          }
        }
      }
    }
    // The backward markers on their own: 1.5·I for 20 layers stays finite forward (1.5^20 ≈ 3325), and
    // its gradient 1.5^(40−l) passes float16's 65520 going down, at layer 40 − 28 = 12.
    const backward = runReference(lecture("float16", 1.5, 20));
    expect(backward.firstNonFinite).toEqual({ forward: null, backward: 12 });
    // 0.5·I for 20 layers: a_20 = 2⁻²⁰ (a subnormal), and the gradient 2^−(40−l) is zero from l = 40 − 25.
    expect(runReference(lecture("float16", 0.5, 20)).firstAllZero).toEqual({ forward: null, backward: 15 });
  });
});
