/**
 * Wall time of `window.gradscope.run` on both backends for issue 2's three sizes, measured on the
 * built page in the system Chromium (`npm run timings`). Prints a table; asserts nothing about time.
 */
import { expect, test } from "vitest";
import type { RunResult } from "../src/core/result";
import { openBuiltPage } from "../tests/support/page";

const SIZES = [
  { depth: 1000, width: 2, batch: 1 },
  { depth: 300, width: 64, batch: 64 },
  { depth: 100, width: 256, batch: 256 },
];
const REPEATS = 3;

test("wall time of window.gradscope.run", async () => {
  const opened = await openBuiltPage();
  try {
    const rows: string[] = [];
    for (const size of SIZES) {
      for (const backend of ["webgpu", "cpu"] as const) {
        const times: number[] = [];
        let gpuMs: number | undefined;
        for (let i = 0; i < (backend === "cpu" ? 1 : REPEATS + 1); i++) {
          const result = (await opened.page.evaluate(([config, b]) => window.gradscope.run(config, { backend: b }), [
            size,
            backend,
          ] as const)) as RunResult;
          if (backend === "cpu" || i > 0) times.push(result.timingMs.wall);
          gpuMs = result.timingMs.gpu?.total;
        }
        times.sort((a, b) => a - b);
        const median = times[Math.floor(times.length / 2)] as number;
        const gpu = gpuMs === undefined ? "" : `  (GPU passes ${gpuMs.toFixed(0)} ms)`;
        rows.push(
          `depth ${size.depth} width ${size.width} batch ${size.batch}  ${backend.padEnd(6)} ${median.toFixed(0).padStart(7)} ms${gpu}`,
        );
      }
    }
    console.log(
      ["window.gradscope.run wall time (webgpu: median of 3 after one warm-up; cpu: one run)", ...rows].join("\n"),
    );
    expect(opened.errors).toEqual([]);
  } finally {
    await opened.close();
  }
}, 900_000);
