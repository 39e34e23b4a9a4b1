/**
 * The tiling autotune on the GPU: a run never waits for a trial (nor does its abort); the trial,
 * run when asked here (background trials are off so that they cannot overlap these runs), gives
 * later runs its choice and stores it for the adapter; a stored choice is used from the first run.
 */
import { beforeAll, describe, expect, test, vi } from "vitest";
import { validateConfig } from "../../src/core/config";
import { DEFAULT_TILING, STORE_PREFIX, TILINGS } from "../../src/gpu/autotune";
import { autotune, runOnGpu } from "../../src/gpu/engine";
import { requireGpu } from "./support";

/** What `body` gives, and the tilings ("workgroup/block") of the product pipelines compiled while it runs. */
async function tilingsCompiled<T>(body: () => Promise<T>): Promise<{ result: T; tilings: string[] }> {
  const spy = vi.spyOn(GPUDevice.prototype, "createComputePipeline");
  try {
    const result = await body();
    const constants = spy.mock.calls.map(([descriptor]) => descriptor.compute.constants ?? {});
    const tilings = constants.filter((c) => "BLOCK" in c).map((c) => `${c.WORKGROUP}/${c.BLOCK}`);
    return { result, tilings: [...new Set(tilings)] };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(() => {
  autotune.background = false;
  for (const key of Object.keys(localStorage)) if (key.startsWith(STORE_PREFIX)) localStorage.removeItem(key);
});

describe("the tiling autotune", () => {
  test("the first run of a new shape class uses the default tiling at once; later runs get the trial's choice", async () => {
    const { adapterName } = await requireGpu();
    const config = validateConfig({ depth: 3, width: 256, batch: 64 });
    const { result: first, tilings } = await tilingsCompiled(() => runOnGpu(config));
    expect(tilings).toEqual(["64/4"]);
    expect(await autotune.settle()).toBe(1);
    const choice = autotune.tiling(adapterName, config);
    expect(TILINGS).toContainEqual(choice);
    expect(localStorage.getItem(`${STORE_PREFIX}${adapterName}: 256x64`)).toBe(`${choice.workgroup}/${choice.block}`);
    // Every tiling gives the same bits.
    const again = await runOnGpu(config);
    expect(again.log10GradRms).toEqual(first.log10GradRms);
    expect(again.log10WeightGradNorm).toEqual(first.log10WeightGradNorm);
    expect(await autotune.settle()).toBe(0);
  });

  test("a choice stored for this adapter is used from the first run, without a trial", async () => {
    const { adapterName } = await requireGpu();
    localStorage.setItem(`${STORE_PREFIX}${adapterName}: 512x64`, "128/8");
    const config = validateConfig({ depth: 2, width: 400, batch: 50 });
    expect((await tilingsCompiled(() => runOnGpu(config))).tilings).toEqual(["128/8"]);
    // Nothing was queued for it (the tests before this one leave no trial queued).
    expect(await autotune.settle()).toBe(0);
    expect(autotune.tiling(`not ${adapterName}`, config)).toEqual(DEFAULT_TILING);
  });

  test("an abort during the first run of a new shape class is not held up by a trial", async () => {
    // 6·L·n²·B = 2.4e9 flops: submitted in chunks given a signal.
    const config = validateConfig({
      depth: 24,
      width: 256,
      batch: 256,
      activation: "relu",
      init: { scheme: "he_normal" },
    });
    const controller = new AbortController();
    const { result: rejection, tilings } = await tilingsCompiled(() => {
      const run = runOnGpu(config, { signal: controller.signal });
      controller.abort(new Error("the user moved on"));
      return run.catch((e: unknown) => e);
    });
    expect(rejection).toEqual(new Error("the user moved on"));
    expect(tilings.filter((tiling) => tiling !== "64/4")).toEqual([]);
  });
});
