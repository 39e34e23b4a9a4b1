/**
 * The GPU's histograms (the run option histograms) held to the reference's.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { validateConfig } from "../../src/core/config";
import { runReference } from "../../src/core/reference";
import { autotune, runOnGpu } from "../../src/gpu/engine";
import { requireGpu } from "./support";

beforeAll(() => {
  autotune.background = false;
});

describe("histograms on the GPU", () => {
  test("the lecture's 0.5·I chain: every layer's binade, to exact zeros, as the reference", async () => {
    await requireGpu();
    const config = validateConfig({
      depth: 160,
      width: 2,
      batch: 1,
      activation: "linear",
      init: { scheme: "identity", scale: 0.5 },
      input: "ones",
      target: "zeros",
    });
    const gpu = await runOnGpu(config, { histograms: true });
    const cpu = runReference(config, { histograms: true, subnormals: gpu.subnormals });
    expect(gpu.histograms).toEqual(cpu.histograms);
  });
});
