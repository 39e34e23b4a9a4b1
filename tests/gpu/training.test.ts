/**
 * Training on the GPU (src/gpu/trainer.ts, shaders/update.wgsl) held to the float64 reference's
 * training (src/core/training.ts), step by step.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { type PartialConfig, validateConfig } from "../../src/core/config";
import { trainReference } from "../../src/core/training";
import { autotune } from "../../src/gpu/engine";
import { trainOnGpu } from "../../src/gpu/trainer";
import { requireGpu } from "./support";

beforeAll(async () => {
  autotune.background = false;
  await requireGpu();
});

describe("smoke", () => {
  test("a small tanh net", async () => {
    const config = validateConfig({
      depth: 5,
      width: 7,
      batch: 3,
      activation: "tanh",
      biasSigma: 0.1,
      train: { steps: 12, optimizer: "adam", learningRate: 0.01, record: 5 },
    } satisfies PartialConfig);
    const gpu = await trainOnGpu(config);
    const cpu = trainReference(config, { subnormals: "flushed" });
    console.log(JSON.stringify(gpu.training?.loss), JSON.stringify(cpu.training.loss));
    console.log(JSON.stringify(gpu.training?.records[1]), JSON.stringify(cpu.training.records[1]));
    expect(gpu.training?.loss).toHaveLength(13);
  });
});
