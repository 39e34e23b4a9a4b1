/**
 * Recovery from a lost GPU device: the run after a loss, or the one in flight, runs on a fresh
 * device; one that loses that device too rejects with GpuDeviceLostError; a caller's abort stays
 * the caller's.
 */
import { describe, expect, test } from "vitest";
import { validateConfig } from "../../src/core/config";
import { lectureConfig } from "../../src/core/presets";
import { runReference } from "../../src/core/reference";
import { acquireGpu, GpuDeviceLostError, loseGpuDevice, runOneShot, withGpu } from "../../src/gpu/device";
import { runOnGpu } from "../../src/gpu/engine";
import { requireGpu } from "./support";

const LECTURE = validateConfig(lectureConfig(1.5));
const DOUBLE = `
  @group(0) @binding(0) var<storage, read_write> values: array<f32, 2>;
  @compute @workgroup_size(1) fn main() { values[1] = values[0] * 2.0; }`;

/** 2·3 on the device: fails (mapAsync rejects) if the device is lost. */
const double = async (device: GPUDevice) => [
  ...new Float32Array(await runOneShot(device, DOUBLE, { input: new Float32Array([3, 0]), workgroups: 1 })),
];

describe("a lost GPU device", () => {
  test("the run started right after a device is destroyed gets a fresh one and the lecture's result", async () => {
    const before = await requireGpu();
    // Destroyed directly, as by a driver reset: `device.lost` settles only after the run has begun.
    before.device.destroy();
    const result = await runOnGpu(LECTURE);
    expect(result.backend).toBe("webgpu");
    expect(result.firstNonFinite.forward).toBe(219);
    expect(result.log10ActRms[218]).toBeCloseTo(218 * Math.log10(1.5), 5);
    expect(result.log10GradRms).toEqual(
      runReference(LECTURE).log10GradRms.map((v) => (v === null ? null : expect.closeTo(v, 4))),
    );
    expect((await acquireGpu()).device).not.toBe(before.device);
  });

  test("loseGpuDevice forgets the device at once: the next acquireGpu gives a fresh one", async () => {
    const before = await requireGpu();
    await loseGpuDevice();
    const after = await acquireGpu();
    expect(after.device).not.toBe(before.device);
    expect(await double(after.device)).toEqual([3, 6]);
    expect((await runOnGpu(LECTURE)).firstNonFinite.forward).toBe(219);
  });

  test("a run whose device is lost in flight runs again on a fresh device", async () => {
    const devices: GPUDevice[] = [];
    const values = await withGpu(async ({ device }) => {
      devices.push(device);
      if (devices.length === 1) device.destroy();
      return double(device);
    });
    expect(values).toEqual([3, 6]);
    expect(devices).toHaveLength(2);
    expect(devices[1]).not.toBe(devices[0]);
  });

  test("a run that loses the fresh device too rejects with GpuDeviceLostError", async () => {
    let attempts = 0;
    const error = await withGpu(async ({ device }) => {
      attempts++;
      device.destroy();
      return double(device);
    }).catch((e: unknown) => e);
    expect(attempts).toBe(2);
    expect(error).toBeInstanceOf(GpuDeviceLostError);
    expect((error as Error).name).toBe("GpuDeviceLostError");
    expect((error as Error).message).toMatch(
      /^the GPU device was lost during the run, and again when it was run on a fresh device/,
    );
    // The next run gets a device of its own.
    expect((await runOnGpu(LECTURE)).firstNonFinite.forward).toBe(219);
  });

  test("a caller's abort is rejected with its reason, not retried; other failures are not retried", async () => {
    const controller = new AbortController();
    let attempts = 0;
    const aborted = await withGpu(async ({ device }) => {
      attempts++;
      controller.abort(new Error("the user moved on"));
      device.destroy();
      return double(device);
    }, controller.signal).catch((e: unknown) => e);
    expect(aborted).toEqual(new Error("the user moved on"));
    expect(attempts).toBe(1);
    const failed = await withGpu(async () => {
      attempts++;
      throw new RangeError("block must be one of 4, 8, got 6");
    }).catch((e: unknown) => e);
    expect(String(failed)).toBe("RangeError: block must be one of 4, 8, got 6");
    expect(attempts).toBe(2);
  });
});
