/**
 * shaders/format.wgsl's rounding against src/core/formats.ts bit for bit, on float32 inputs (where
 * the two round the same value): every value of each format, the midpoints between them and their
 * float32 neighbours, and float32 patterns spread over every exponent.
 */
import { describe, expect, test } from "vitest";
import commonWgsl from "../../shaders/common.wgsl?raw";
import formatWgsl from "../../shaders/format.wgsl?raw";
import { FLOAT_FORMATS, type FloatFormat, roundToFormat } from "../../src/core/formats";
import { runOneShot } from "../../src/gpu/device";
import { FORMAT_IDS } from "../../src/gpu/run-encoder";
import { positiveValues } from "../support/formats";
import { requireGpu } from "./support";

/**
 * Float32 inputs: every value of the format and its negative, the midpoints between neighbours
 * (exact in float32) and the float32 values on either side of them, and float32 patterns spread over
 * every exponent.
 */
function inputs(format: FloatFormat): Float32Array<ArrayBuffer> {
  const values = positiveValues(format);
  const floats: number[] = [];
  const below = new Float32Array(1);
  const bits = new Uint32Array(below.buffer);
  values.forEach((value, k) => {
    floats.push(value, -value);
    const next = values[k + 1] ?? format.max + 2 ** (format.maxExponent - format.mantissaBits);
    const middle = (value + next) / 2;
    below[0] = middle;
    bits[0] = (bits[0] as number) - 1;
    floats.push(middle, -middle, below[0] as number);
    bits[0] = (bits[0] as number) + 2;
    floats.push(below[0] as number);
  });
  let state = 7;
  const spread = new Uint32Array(1 << 16);
  for (let i = 0; i < spread.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    spread[i] = state;
  }
  return new Float32Array([...floats, ...new Float32Array(spread.buffer)]);
}

/** The kernel: each word's float32 rounded by round_to_format in this FORMAT. */
function kernel(format: number, count: number): string {
  return `${commonWgsl}\n${formatWgsl.replace("override FORMAT: u32 = 0u;", `const FORMAT: u32 = ${format}u;`)}
    @group(0) @binding(0) var<storage, read_write> words: array<u32>;
    @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
      if (id.x >= ${count}u) { return; }
      words[id.x] = bitcast<u32>(round_to_format(bitcast<f32>(words[id.x])));
    }`;
}

describe("WGSL rounding to float16 and bfloat16", () => {
  test.each(["float16", "bfloat16"] as const)("equals the reference's rounding bit for bit in %s", async (name) => {
    const { device } = await requireGpu();
    const format = FLOAT_FORMATS[name];
    const floats = inputs(format);
    const code = kernel(FORMAT_IDS[name], floats.length);
    const got = new Float32Array(
      await runOneShot(device, code, { input: floats, workgroups: Math.ceil(floats.length / 64) }),
    );
    const wrong: string[] = [];
    for (let i = 0; i < floats.length; i++) {
      const input = floats[i] as number;
      const want = roundToFormat(input, format);
      const value = got[i] as number;
      // bfloat16's subnormals are float32 subnormals: a device may flush them (src/gpu/device.ts).
      const flushable = Math.abs(want) < format.minNormal && name === "bfloat16";
      const same = Number.isNaN(want) ? Number.isNaN(value) : Object.is(value, want) || (flushable && value === 0);
      if (!same && wrong.length < 10) wrong.push(`${input} → ${value}, want ${want}`);
    }
    expect(wrong).toEqual([]);
  });
});
