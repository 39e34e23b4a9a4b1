/** The WGSL generator against the TypeScript one: Philox bit for bit, the draws to a few ulp. */
import { describe, expect, test } from "vitest";
import philoxWgsl from "../../shaders/philox.wgsl?raw";
import randomWgsl from "../../shaders/random.wgsl?raw";
import { philox4x32 } from "../../src/core/philox";
import { normalEntry, Stream, symmetricUniformEntry } from "../../src/core/random";
import { requireGpu, runKernel } from "./support";

const COUNT = 1 << 14;

describe("WGSL random numbers", () => {
  test("Philox-4x32-10 equals the TypeScript generator bit for bit over 16384 counters and keys", async () => {
    const { device } = await requireGpu();
    // Counters and keys spread over the whole 32-bit range by a multiplicative hash of the index.
    const code = `${philoxWgsl}
      @group(0) @binding(0) var<storage, read_write> out: array<vec4<u32>>;
      fn spread(i: u32, salt: u32) -> u32 { return ((i + salt) * 0x9e3779b1u) ^ (i << 7u); }
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
        let i = id.x;
        if (i >= ${COUNT}u) { return; }
        out[i] = philox4x32(vec4<u32>(spread(i, 1u), spread(i, 2u), spread(i, 3u), spread(i, 4u)),
                            vec2<u32>(spread(i, 5u), spread(i, 6u)));
      }`;
    const words = new Uint32Array(await runKernel(device, code, 4 * COUNT, COUNT));
    const spread = (i: number, salt: number) => (Math.imul(i + salt, 0x9e3779b1) ^ (i << 7)) >>> 0;
    let mismatches = 0;
    for (let i = 0; i < COUNT; i++) {
      const expected = philox4x32(spread(i, 1), spread(i, 2), spread(i, 3), spread(i, 4), spread(i, 5), spread(i, 6));
      for (let w = 0; w < 4; w++) if (words[4 * i + w] !== expected[w]) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  test("normal and uniform draws match the float64 ones to 8 float32 ulp", async () => {
    const { device } = await requireGpu();
    const code = `${philoxWgsl}\n${randomWgsl}
      @group(0) @binding(0) var<storage, read_write> out: array<vec2<f32>>;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
        let i = id.x;
        if (i >= ${COUNT}u) { return; }
        out[i] = vec2<f32>(normal_entry(12345u, STREAM_WEIGHTS, 1u + i / 128u, i % 128u, 7u * i),
                           symmetric_uniform_entry(12345u, STREAM_WEIGHTS, 1u + i / 128u, i % 128u, 7u * i));
      }`;
    const values = new Float32Array(await runKernel(device, code, 2 * COUNT, COUNT));
    // An ulp of float32 at |v| is 2^(⌊log2|v|⌋ − 23); errors are measured in ulps of the float64 value.
    const ulps = (got: number, want: number) =>
      Math.abs(got - want) / 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
    let worstNormal = 0;
    let worstUniform = 0;
    for (let i = 0; i < COUNT; i++) {
      const layer = 1 + Math.floor(i / 128);
      const normal = normalEntry(12345, Stream.weights, layer, i % 128, 7 * i);
      const uniform = symmetricUniformEntry(12345, Stream.weights, layer, i % 128, 7 * i);
      // Near a zero of cos the result is tiny and an absolute error of ~1e-7 is many ulps: judge it absolutely.
      worstNormal = Math.max(
        worstNormal,
        Math.abs(normal) < 1e-3
          ? Math.abs((values[2 * i] as number) - normal) / 1.2e-7
          : ulps(values[2 * i] as number, normal),
      );
      worstUniform = Math.max(worstUniform, ulps(values[2 * i + 1] as number, uniform));
    }
    expect(worstUniform).toBeLessThanOrEqual(0.5);
    expect(worstNormal).toBeLessThanOrEqual(8);
  });
});
