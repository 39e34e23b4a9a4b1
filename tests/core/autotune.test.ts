import { describe, expect, test } from "vitest";
import { validateConfig } from "../../src/core/config";
import { layeredWorkgroup, PROBE_FLOPS, type Trial, tuneKey, WORKGROUP_CHOICES } from "../../src/gpu/autotune";

/** A trial that records its calls and reports `ms[workgroup]`. */
function fakeTrial(ms: Record<number, number>, gpuTime: boolean) {
  const calls: { depth: number; batch: number; workgroup: number }[] = [];
  const trial: Trial = async (config, workgroup) => {
    calls.push({ depth: config.depth, batch: config.batch, workgroup });
    return { ms: ms[workgroup] as number, gpuTime };
  };
  return { trial, calls };
}

describe("workgroup autotune", () => {
  test("picks the fastest size, once per device and shape class", async () => {
    const device = {} as GPUDevice;
    const { trial, calls } = fakeTrial({ 64: 9, 128: 4, 256: 7 }, true);
    const config = validateConfig({ depth: 300, width: 256, batch: 200, init: { scheme: "orthogonal" } });
    expect(await layeredWorkgroup(device, config, trial)).toBe(128);
    // GPU time leaves compilation out: one trial per size, one layer, Xavier weights.
    expect(calls.map((c) => c.workgroup)).toEqual([...WORKGROUP_CHOICES]);
    expect(calls.every((c) => c.depth === 1)).toBe(true);
    // The same class (256 × 256 after rounding up) is not tried again; another device is.
    expect(await layeredWorkgroup(device, validateConfig({ width: 200, batch: 250 }), trial)).toBe(128);
    expect(calls).toHaveLength(3);
    expect(await layeredWorkgroup({} as GPUDevice, config, trial)).toBe(128);
    expect(calls).toHaveLength(6);
    expect(tuneKey(config)).toBe("256x256");
  });

  test("wall-clock trials are warmed up first, and big batches are cut", async () => {
    const { trial, calls } = fakeTrial({ 64: 1, 128: 4, 256: 7 }, false);
    const config = validateConfig({ depth: 10, width: 2048, batch: 4096 });
    expect(await layeredWorkgroup({} as GPUDevice, config, trial)).toBe(64);
    expect(calls).toHaveLength(6);
    expect(calls[0]?.batch).toBe(PROBE_FLOPS / (2 * 2048 * 2048));
  });

  test("small products keep the default without a trial; a failed trial is not kept", async () => {
    const device = {} as GPUDevice;
    const { trial, calls } = fakeTrial({ 64: 1, 128: 1, 256: 1 }, true);
    expect(await layeredWorkgroup(device, validateConfig({ width: 16, batch: 64 }), trial)).toBe(64);
    expect(calls).toHaveLength(0);
    const failing: Trial = async () => {
      throw new Error("device lost");
    };
    const config = validateConfig({ width: 512, batch: 64 });
    expect(await layeredWorkgroup(device, config, failing)).toBe(64);
    expect(await layeredWorkgroup(device, config, trial)).toBe(64);
    expect(calls).toHaveLength(3);
  });
});
