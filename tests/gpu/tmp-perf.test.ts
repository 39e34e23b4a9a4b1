import { test } from "vitest";
import { validateConfig } from "../../src/core/config";
import { runOnGpu } from "../../src/gpu/engine";
import { requireGpu } from "./support";

test("perf", async () => {
  await requireGpu();
  for (const [depth, width, batch] of [
    [10, 1024, 64],
    [100, 256, 64],
    [100, 64, 256],
  ]) {
    const config = validateConfig({ depth, width, batch, activation: "tanh" });
    await runOnGpu(config);
    const rows = [];
    for (let i = 0; i < 3; i++) {
      const r = await runOnGpu(config);
      rows.push(`${r.timingMs.gpu?.forward.toFixed(0)}/${r.timingMs.gpu?.backward.toFixed(0)}`);
    }
    console.log(`PERF ${depth}x${width}x${batch} fwd/bwd ms: ${rows.join(" ")}`);
  }
}, 600_000);
