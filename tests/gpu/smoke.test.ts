import { expect, test } from "vitest";
import { validateConfig } from "../../src/core/config";
import { runReference } from "../../src/core/reference";
import { runOnGpu } from "../../src/gpu/engine";

test("smoke", async () => {
  for (const partial of [
    { depth: 3, width: 3, batch: 2, activation: "tanh" },
    { depth: 300, width: 2, batch: 1, activation: "linear", init: { scheme: "identity", scale: 1.5 }, input: "ones" },
    {
      depth: 20,
      width: 17,
      batch: 5,
      activation: "relu",
      init: { scheme: "he_normal" },
      biasSigma: 0.1,
      numerics: "tracked",
    },
  ]) {
    const config = validateConfig(partial);
    const gpu = await runOnGpu(config);
    const cpu = runReference(config, { subnormals: gpu.subnormals });
    console.log(
      JSON.stringify({ loss: [gpu.loss, cpu.loss], fnf: [gpu.firstNonFinite, cpu.firstNonFinite], t: gpu.timingMs }),
    );
    const diff = (a: (number | null)[], b: (number | null)[]) =>
      Math.max(
        ...a.map((v, i) => (v === null || b[i] === null ? (v === b[i] ? 0 : 99) : Math.abs(v - (b[i] as number)))),
      );
    console.log(
      "act",
      diff(gpu.log10ActRms, cpu.log10ActRms),
      "grad",
      diff(gpu.log10GradRms, cpu.log10GradRms),
      "wg",
      diff(gpu.log10WeightGradNorm, cpu.log10WeightGradNorm),
    );
    console.log(gpu.log10ActRms.slice(0, 4), cpu.log10ActRms.slice(0, 4));
    console.log(gpu.log10GradRms.slice(0, 4), cpu.log10GradRms.slice(0, 4));
    console.log(gpu.log10WeightGradNorm.slice(0, 4), cpu.log10WeightGradNorm.slice(0, 4));
  }
  expect(1).toBe(1);
});
