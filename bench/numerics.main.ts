/**
 * `npm run bench -- --numerics`: a pass in float16 and in bfloat16 against float32 at the same
 * config (issue 13's bound: at most 1.2× float32), on the built page in the system Chromium, through
 * the bench bundle's engine on the path each config's plan takes. Prints a Markdown table and writes
 * bench/results/<date>-<adapter>-numerics.json; asserts nothing about time.
 */
import { test } from "vitest";
import { median } from "../src/core/sweep";
import { openBenchPage } from "./page-bundle";
import { callBench, type Page, unwrap } from "./page-call";
import { formatNumericsTable, type NumericsRow, recordHeader, resultsPath, writeRecord } from "./report";
import { BENCH_NUMERICS, DEFAULT_LIMITS, NUMERICS_SWEEP, numericsBenchConfig, planned, type TrainPoint } from "./sweep";

/** Rounds after the warm-up; each runs every numerics once, in an order that turns round by round. */
const ROUNDS = 7;

/** A pass's GPU ms (timestamps: init + forward + backward), else its wall ms. */
const passMs = (timing: { wall: number; gpu?: { total: number } }) => timing.gpu?.total ?? timing.wall;

/**
 * One shape in each numerics: a warm-up of each (compiling its pipelines, and the shape class's tiling
 * trial, shared by all three), then ROUNDS rounds, each running float32, float16 and bfloat16 once in
 * an order rotated by one per round, so that a machine whose load drifts meets each numerics alike.
 */
async function measurePoint(page: Page, point: TrainPoint): Promise<NumericsRow> {
  const configs = BENCH_NUMERICS.map((numerics) => numericsBenchConfig(point, numerics));
  for (const config of configs) unwrap(await callBench(page, "passOurs", config));
  unwrap(await callBench(page, "settleTuning"));
  for (const config of configs) unwrap(await callBench(page, "passOurs", config));
  const runs: Record<string, number[]> = Object.fromEntries(BENCH_NUMERICS.map((n) => [n, []]));
  let timestamps = true;
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < configs.length; k++) {
      const config = configs[(round + k) % configs.length] as (typeof configs)[number];
      const { timingMs } = unwrap(await callBench(page, "passOurs", config));
      timestamps &&= timingMs.gpu !== undefined;
      runs[config.numerics]?.push(passMs(timingMs));
    }
  }
  const plan = planned(configs[0] as (typeof configs)[number], DEFAULT_LIMITS);
  return {
    ...point,
    path: "path" in plan ? plan.path : "refused",
    clock: timestamps ? "timestamp-query" : "wall",
    rounds: ROUNDS,
    ms: Object.fromEntries(Object.entries(runs).map(([numerics, values]) => [numerics, median(values)])),
    least: Object.fromEntries(Object.entries(runs).map(([numerics, values]) => [numerics, Math.min(...values)])),
    runs,
  };
}

test("bench: float16 and bfloat16 passes against float32's", async () => {
  const began = performance.now();
  const opened = await openBenchPage(false);
  const { page } = opened;
  try {
    const adapter = unwrap(await callBench(page, "adapterInfo"));
    const rows: NumericsRow[] = [];
    for (const point of NUMERICS_SWEEP) {
      const row = await measurePoint(page, point);
      rows.push(row);
      console.log(`L ${row.depth} n ${row.width} B ${row.batch}: ${JSON.stringify(row.ms)}`);
    }
    const table = formatNumericsTable(rows);
    const notes = [
      "chain: tanh, Xavier-normal weights, Gaussian input and target, no bias; each numerics on the path the engine's plan takes",
      `ms: median (and least) over ${ROUNDS} rounds of one pass's timestamp-query GPU time (weight draw, forward, backward), each round running the three numerics once in a rotating order, after a warm-up of each and the shape's tiling trial; a ratio is ≤ 1.2 where its median's or its least's is`,
    ];
    const elapsed = (performance.now() - began) / 1000;
    console.log(`${table}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n\nbench took ${elapsed.toFixed(0)} s`);
    const name = resultsPath(adapter, "-numerics");
    const browserVersion = page.context().browser()?.version() ?? "unknown";
    const record = {
      ...recordHeader(adapter, adapter.limits ?? DEFAULT_LIMITS, browserVersion, "none"),
      notes,
      rows,
      elapsedSeconds: elapsed,
    };
    writeRecord(name, record);
  } finally {
    await opened.close();
  }
}, 1_800_000);
