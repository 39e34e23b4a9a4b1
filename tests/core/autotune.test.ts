import { describe, expect, test } from "vitest";
import { validateConfig } from "../../src/core/config";
import {
  DEFAULT_TILING,
  layeredTiling,
  PROBE_FLOPS,
  type ProductTiling,
  TILINGS,
  type Trial,
  tuneKey,
} from "../../src/gpu/autotune";

const key = (t: ProductTiling) => `${t.workgroup}/${t.block}`;

/** A trial that records its calls and reports `ms["workgroup/block"]` (default 10). */
function fakeTrial(ms: Record<string, number>, gpuTime: boolean) {
  const calls: { depth: number; batch: number; tiling: string }[] = [];
  const trial: Trial = async (config, tiling) => {
    calls.push({ depth: config.depth, batch: config.batch, tiling: key(tiling) });
    return { ms: ms[key(tiling)] ?? 10, gpuTime };
  };
  return { trial, calls };
}

describe("product-kernel autotune", () => {
  test("may choose every workgroup size with 4 × 4 or 8 × 8 tiles", () => {
    expect(TILINGS.map(key)).toEqual(["64/4", "128/4", "256/4", "64/8", "128/8", "256/8"]);
  });

  test("picks the tile, then the workgroup size, once per device and shape class", async () => {
    const device = {} as GPUDevice;
    const { trial, calls } = fakeTrial({ "64/4": 9, "64/8": 5, "128/4": 1, "128/8": 3, "256/8": 7 }, true);
    const config = validateConfig({ depth: 300, width: 256, batch: 200, init: { scheme: "orthogonal" } });
    // 8 × 8 beats 4 × 4 at 64 invocations; then 128 beats 64 and 256 with 8 × 8 (128/4 is not tried).
    expect(await layeredTiling(device, config, trial)).toEqual({ workgroup: 128, block: 8 });
    // GPU time leaves compilation out: one trial per candidate, one layer, Xavier weights.
    expect(calls.map((c) => c.tiling)).toEqual(["64/4", "64/8", "128/8", "256/8"]);
    expect(calls.every((c) => c.depth === 1)).toBe(true);
    // The same class (256 × 256 after rounding up) is not tried again; another device is.
    const sameClass = validateConfig({ width: 200, batch: 250 });
    expect(await layeredTiling(device, sameClass, trial)).toEqual({ workgroup: 128, block: 8 });
    expect(calls).toHaveLength(4);
    expect(await layeredTiling({} as GPUDevice, config, trial)).toEqual({ workgroup: 128, block: 8 });
    expect(calls).toHaveLength(8);
    expect(tuneKey(config)).toBe("256x256");
  });

  test("wall-clock trials are warmed up first, and big batches are cut", async () => {
    const { trial, calls } = fakeTrial({ "64/4": 1 }, false);
    const config = validateConfig({ depth: 10, width: 2048, batch: 4096 });
    expect(await layeredTiling({} as GPUDevice, config, trial)).toEqual(DEFAULT_TILING);
    expect(calls).toHaveLength(8);
    expect(calls[0]?.batch).toBe(PROBE_FLOPS / (2 * 2048 * 2048));
  });

  test("small products keep the default without a trial; a failed trial is not kept", async () => {
    const device = {} as GPUDevice;
    const { trial, calls } = fakeTrial({}, true);
    expect(await layeredTiling(device, validateConfig({ width: 16, batch: 64 }), trial)).toEqual(DEFAULT_TILING);
    expect(calls).toHaveLength(0);
    const failing: Trial = async () => {
      throw new Error("device lost");
    };
    const config = validateConfig({ width: 512, batch: 64 });
    expect(await layeredTiling(device, config, failing)).toEqual(DEFAULT_TILING);
    expect(await layeredTiling(device, config, trial)).toEqual(DEFAULT_TILING);
    expect(calls).toHaveLength(4);
  });
});
