/**
 * `npm run bench -- --histograms`: what the run option histograms adds to a run's GPU time, on the
 * built page in the system Chromium, for the rows of HISTOGRAM_SWEEP (the bench's tanh chain with
 * Xavier-normal weights). Each row's runs with and without histograms are measured in one sitting,
 * alternating (with, without, then without, with, ...), so a machine whose load comes and goes
 * moves both alike; the figure is the median of the paired ratios. Prints a Markdown table and
 * writes bench/results/<date>-<adapter>-histograms.json; asserts nothing about time.
 */
import { test } from "vitest";
import type { RunConfig } from "../src/core/config";
import type { RunResult } from "../src/core/result";
import { median } from "../src/core/sweep";
import { HistogramLayout } from "../src/gpu/histograms";
import type { openBuiltPage } from "../tests/support/page";
import { openBenchPage } from "./page-bundle";
import type { GradscopeBench } from "./page-entry";
import { type AdapterReport, recordHeader, resultsPath, writeRecord } from "./report";
import { benchConfig, DEFAULT_LIMITS, HISTOGRAM_SWEEP, planned } from "./sweep";

/** Pairs of timed runs per row (BENCH_PAIRS overrides). */
const PAIRS = Number(process.env.BENCH_PAIRS ?? 9);
/** issue 13's bound on the ratio at width ≥ 64. */
const TARGET = 1.2;
/** The width from which TARGET applies. */
const TARGET_WIDTH = 64;

type Page = Awaited<ReturnType<typeof openBuiltPage>>["page"];

/** One run of window.gradscope.run in the page, with or without histograms. */
function runInPage(page: Page, config: RunConfig, histograms: boolean): Promise<RunResult> {
  return page.evaluate(([c, h]) => window.gradscope.run(c, { backend: "webgpu", histograms: h }), [
    config,
    histograms,
  ] as const) as Promise<RunResult>;
}

/** The adapter as the page sees it (the bench bundle's adapterInfo). */
function adapterOf(page: Page): Promise<AdapterReport & { limits: typeof DEFAULT_LIMITS }> {
  return page.evaluate(() =>
    (window as unknown as { gradscopeBench: GradscopeBench }).gradscopeBench.adapterInfo(),
  ) as Promise<AdapterReport & { limits: typeof DEFAULT_LIMITS }>;
}

/** A run's GPU time (timestamps: init + forward + backward), or its wall time where there are none. */
const gpuMs = (result: RunResult) => result.timingMs.gpu?.total ?? result.timingMs.wall;

interface HistogramRow {
  depth: number;
  width: number;
  batch: number;
  path: string;
  dispatches: { without: number | null; with: number | null };
  histogramBytes: number;
  withoutMs: number[];
  withMs: number[];
  medianWithoutMs: number;
  medianWithMs: number;
  /** Median over the pairs of (with / without), each pair measured back to back. */
  pairedRatio: number;
  medianRatio: number;
}

async function measureRow(page: Page, point: (typeof HISTOGRAM_SWEEP)[number]): Promise<HistogramRow> {
  const config = benchConfig({ axis: "width", ...point });
  // Warm-up: both variants' pipelines, and the shape's tiling trial between them and the timed runs.
  await runInPage(page, config, false);
  const counted = await runInPage(page, config, true);
  await page.evaluate(() => window.gradscope.settleTuning());
  const plain = await runInPage(page, config, false);
  const withMs: number[] = [];
  const withoutMs: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    for (const histograms of i % 2 === 0 ? [true, false] : [false, true]) {
      const result = await runInPage(page, config, histograms);
      (histograms ? withMs : withoutMs).push(gpuMs(result));
    }
  }
  const plan = planned(config, DEFAULT_LIMITS, { histograms: true });
  return {
    ...point,
    path: "refused" in plan ? "refused" : plan.path,
    dispatches: { without: plain.dispatches ?? null, with: counted.dispatches ?? null },
    histogramBytes: new HistogramLayout(point.depth, point.width).bytes,
    withoutMs,
    withMs,
    medianWithoutMs: median(withoutMs),
    medianWithMs: median(withMs),
    pairedRatio: median(withMs.map((ms, i) => ms / (withoutMs[i] as number))),
    medianRatio: median(withMs) / median(withoutMs),
  };
}

function formatTable(rows: HistogramRow[]): string {
  const lines = [
    "| L | n | B | path | GPU ms without | GPU ms with | with / without (paired median) | ratio of medians | target |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const met = r.pairedRatio <= TARGET ? "met" : "missed";
    const target = r.width >= TARGET_WIDTH ? `≤ ${TARGET}: ${met}` : `none (width < ${TARGET_WIDTH})`;
    lines.push(
      `| ${r.depth} | ${r.width} | ${r.batch} | ${r.path} | ${r.medianWithoutMs.toFixed(0)} | ${r.medianWithMs.toFixed(0)} | ${r.pairedRatio.toFixed(3)} | ${r.medianRatio.toFixed(3)} | ${target} |`,
    );
  }
  return lines.join("\n");
}

test("bench: the run option histograms against the same runs without", async () => {
  const began = performance.now();
  const opened = await openBenchPage(true);
  const { page } = opened;
  try {
    const adapter = await adapterOf(page);
    const browserVersion = page.context().browser()?.version() ?? "unknown";
    const rows: HistogramRow[] = [];
    for (const point of HISTOGRAM_SWEEP) {
      const row = await measureRow(page, point);
      rows.push(row);
      console.log(`L ${row.depth} n ${row.width} B ${row.batch}: paired ratio ${row.pairedRatio.toFixed(3)}`);
    }
    const notes = [
      `adapter: ${[adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter(Boolean).join(" / ")}; Chromium ${browserVersion}`,
      "config: tanh, Xavier-normal weights, Gaussian input and target, no bias, float32 (the bench's chain)",
      `GPU ms: timestamp time of init + forward + backward (wall where the adapter has none), median of ${PAIRS} runs each, taken in alternating pairs after a warm-up of both and the shape's tiling trial`,
      `with / without: the median over the pairs of their ratio (issue 13's target: ≤ ${TARGET} at width ≥ ${TARGET_WIDTH})`,
    ];
    const table = formatTable(rows);
    const elapsed = (performance.now() - began) / 1000;
    console.log(`${table}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n\nbench took ${elapsed.toFixed(0)} s`);
    const name = resultsPath(adapter, "-histograms");
    writeRecord(name, { ...recordHeader(adapter, adapter.limits, browserVersion, "none"), pairs: PAIRS, notes, rows });
  } finally {
    await opened.close();
  }
}, 1_800_000);
