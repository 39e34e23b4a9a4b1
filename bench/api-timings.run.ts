/**
 * Wall time of `window.gradscope.run` on both backends for issue 2's three sizes, measured on the
 * built page in the system Chromium (`npm run timings`). Prints a table; asserts nothing about time.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { expect, test } from "vitest";
import type { RunResult } from "../src/core/result";
import { openBuiltPage } from "../tests/support/page";

const SIZES = [
  { depth: 1000, width: 2, batch: 1 },
  { depth: 300, width: 64, batch: 64 },
  { depth: 100, width: 256, batch: 256 },
];
const REPEATS = 3;
/** Each figure is also appended here as soon as it is measured. */
const LOG = "tests/output/timings.txt";

/** Runs per second the lab completes while its depth slider is dragged around 300 (width 64, batch 64). */
async function dragRate(): Promise<string> {
  const opened = await openBuiltPage("/?depth=300&width=64&batch=64");
  try {
    await opened.page.evaluate(() => window.gradscope.lab()?.whenIdle());
    const measured = await opened.page.evaluate(async () => {
      const lab = window.gradscope.lab();
      const slider = lab?.shadowRoot
        ?.querySelector("gs-controls")
        ?.shadowRoot?.querySelector<HTMLInputElement>('input[data-field="depth"]');
      if (!lab || !slider) throw new Error("no depth slider");
      const start = slider.valueAsNumber;
      const before = lab.completedRuns;
      const began = performance.now();
      for (let step = 0; performance.now() - began < 20_000; step++) {
        slider.value = String(start + ((step % 5) - 2));
        slider.dispatchEvent(new Event("input", { bubbles: true }));
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      slider.dispatchEvent(new Event("change", { bubbles: true }));
      await lab.whenIdle();
      const seconds = (performance.now() - began) / 1000;
      return { runs: lab.completedRuns - before, seconds };
    });
    const rate = measured.runs / measured.seconds;
    return `lab, dragging depth around 300 (width 64, batch 64) for 20 s: ${measured.runs} runs in ${measured.seconds.toFixed(1)} s = ${rate.toFixed(2)} runs/s`;
  } finally {
    await opened.close();
  }
}

test("wall time of window.gradscope.run", async () => {
  mkdirSync("tests/output", { recursive: true });
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
          // The warm-up runs again when the shape class's tiling trial ran after it (outside the timed runs).
          else if ((await opened.page.evaluate(() => window.gradscope.settleTuning())) > 0) i--;
          gpuMs = result.timingMs.gpu?.total;
        }
        times.sort((a, b) => a - b);
        const median = times[Math.floor(times.length / 2)] as number;
        const gpu = gpuMs === undefined ? "" : `  (GPU passes ${gpuMs.toFixed(0)} ms)`;
        rows.push(
          `depth ${size.depth} width ${size.width} batch ${size.batch}  ${backend.padEnd(6)} ${median.toFixed(0).padStart(7)} ms${gpu}`,
        );
        appendFileSync(LOG, `${rows.at(-1)}\n`);
      }
    }
    console.log(
      ["window.gradscope.run wall time (webgpu: median of 3 after one warm-up; cpu: one run)", ...rows].join("\n"),
    );
    const rate = await dragRate();
    console.log(rate);
    appendFileSync(LOG, `${rate}\n`);
    expect(opened.errors).toEqual([]);
  } finally {
    await opened.close();
  }
}, 900_000);
