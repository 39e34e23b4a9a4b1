/**
 * `npm run bench`: the fixed sweep on the built page in the system Chromium — our WebGPU engine,
 * the float64 reference and tfjs on WebGPU against the adapter's measured peak. Prints a table and
 * writes bench/results/<date>-<adapter>.json and .html (plots); asserts nothing about time.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { chromium } from "playwright";
import { test } from "vitest";
import type { RunConfig } from "../src/core/config";
import type { RunResult } from "../src/core/result";
import { median } from "../src/core/sweep";
import type { PeakMeasurement } from "../src/gpu/peak";
import { chromiumArgs, findChromium } from "../tests/support/chromium";
import type { openBuiltPage } from "../tests/support/page";
import { openBenchPage } from "./page-bundle";
import type { GradscopeBench } from "./page-entry";
import type { PeerRun } from "./peer-tfjs";
import {
  type BenchRow,
  formatHtml,
  formatLayerTable,
  formatTable,
  type LayerRow,
  recordHeader,
  resultsPath,
} from "./report";
import { benchConfig, DEFAULT_LIMITS, flopsPerRun, LAYER_SWEEP, layerBenchConfig, planned, SWEEP } from "./sweep";

/** Timed runs wanted after the warm-up. */
const REPEATS = 5;
/**
 * Fewer timed runs when the warm-up says REPEATS of them would take longer than this, ms; none when
 * the warm-up alone took longer, and then the warm-up is the figure (shown as runs "w").
 */
const TIME_PER_CONFIG_MS = 15_000;
/** The float64 reference runs only up to this many flops (about 4 s in Chromium here). */
const CPU_FLOP_LIMIT = 3e9;
/** BENCH_QUICK=1: only the points up to this many flops, to try the bench out. */
const QUICK_FLOP_LIMIT = 2e8;
/** BENCH_ONLY=layers: only the layer sweep and the plain rows it is set against. */
const LAYERS_ONLY = process.env.BENCH_ONLY === "layers";
const layerWidths = new Set(LAYER_SWEEP.map((p) => p.width));

type Page = Awaited<ReturnType<typeof openBuiltPage>>["page"];
type Outcome<T> = { ok: T } | { error: string };

const repeatsAfter = (warmUpMs: number) => Math.max(0, Math.min(REPEATS, Math.floor(TIME_PER_CONFIG_MS / warmUpMs)));

/** One run of window.gradscope.run in the page; a rejection comes back as "Name: message". */
function runInPage(page: Page, config: RunConfig, backend: "webgpu" | "cpu"): Promise<Outcome<RunResult>> {
  return page.evaluate(
    async ([c, b]) => {
      try {
        return { ok: await window.gradscope.run(c, { backend: b }) };
      } catch (error) {
        const e = error as Error;
        return { error: `${e.name}: ${e.message}` };
      }
    },
    [config, backend] as const,
  ) as Promise<Outcome<RunResult>>;
}

/** tfjs' chain, `runs` timed runs, in the page. */
function peerInPage(page: Page, config: RunConfig, runs: number): Promise<Outcome<PeerRun[]>> {
  return page.evaluate(
    async ([shape, n]) => {
      try {
        const helpers = (window as unknown as { gradscopeBench: GradscopeBench }).gradscopeBench;
        return { ok: await helpers.runPeer(shape, n) };
      } catch (error) {
        const e = error as Error;
        return { error: `${e.name}: ${e.message}` };
      }
    },
    [{ depth: config.depth, width: config.width, batch: config.batch }, runs] as const,
  );
}

/**
 * Our engine: one warm-up (two when the shape class's tiling trial runs after the first, outside
 * the timed runs), then the median of up to REPEATS runs.
 */
async function measureOurs(page: Page, config: RunConfig, row: BenchRow): Promise<void> {
  const first = await runInPage(page, config, "webgpu");
  const tuned = "ok" in first && (await page.evaluate(() => window.gradscope.settleTuning())) > 0;
  const warm = tuned ? await runInPage(page, config, "webgpu") : first;
  if ("error" in warm) {
    if (warm.error.startsWith("CapacityError")) row.refused = warm.error;
    else row.errors = [...(row.errors ?? []), `webgpu: ${warm.error}`];
    return;
  }
  row.dispatches = warm.ok.dispatches ?? null;
  const repeats = repeatsAfter(warm.ok.timingMs.wall);
  const gpu: number[] = repeats === 0 && warm.ok.timingMs.gpu ? [warm.ok.timingMs.gpu.total] : [];
  const wall: number[] = repeats === 0 ? [warm.ok.timingMs.wall] : [];
  for (let i = 0; i < repeats; i++) {
    const result = await runInPage(page, config, "webgpu");
    if ("error" in result) throw new Error(`webgpu run failed after its warm-up: ${result.error}`);
    wall.push(result.ok.timingMs.wall);
    if (result.ok.timingMs.gpu) gpu.push(result.ok.timingMs.gpu.total);
  }
  row.repeats = repeats;
  row.oursWallMs = median(wall);
  row.oursClock = gpu.length === wall.length ? "timestamp-query" : "wall";
  row.oursMs = gpu.length === wall.length ? median(gpu) : row.oursWallMs;
  row.oursGflops = row.flops / (row.oursMs * 1e6);
}

/** tfjs: one warm-up run, then the median of up to REPEATS runs (on fresh weights). */
async function measurePeer(page: Page, config: RunConfig, row: BenchRow): Promise<void> {
  const warm = await peerInPage(page, config, 1);
  if ("error" in warm) {
    row.errors = [...(row.errors ?? []), `tfjs: ${warm.error}`];
    return;
  }
  const repeats = repeatsAfter((warm.ok[0] as PeerRun).wallMs);
  const timed = repeats === 0 ? warm : await peerInPage(page, config, repeats);
  if ("error" in timed) {
    row.errors = [...(row.errors ?? []), `tfjs: ${timed.error}`];
    return;
  }
  row.peerRepeats = repeats;
  row.peerMs = median(timed.ok.map((r) => r.wallMs));
  row.peerGflops = row.flops / (row.peerMs * 1e6);
  if (row.oursWallMs !== undefined) row.peerOverOurs = row.peerMs / row.oursWallMs;
}

/** Each layer kind of LAYER_SWEEP, timed like the sweep's rows, beside the plain row of the same shape. */
async function measureLayers(page: Page, rows: BenchRow[], limits: typeof DEFAULT_LIMITS): Promise<LayerRow[]> {
  const layerRows: LayerRow[] = [];
  for (const point of LAYER_SWEEP) {
    const config = layerBenchConfig(point);
    const plain = rows.find((r) => r.axis === "width" && r.width === point.width && r.depth === point.depth && !r.note);
    const plan = planned(config, limits);
    const timing: BenchRow = {
      axis: "width",
      depth: config.depth,
      width: config.width,
      batch: config.batch,
      flops: flopsPerRun(config),
      dispatches: null,
      peakGpuBytes: null,
    };
    await measureOurs(page, config, timing);
    layerRows.push({
      kind: point.kind,
      depth: config.depth,
      width: config.width,
      batch: config.batch,
      ...(timing.oursMs !== undefined ? { oursMs: timing.oursMs } : {}),
      ...(plain?.oursMs !== undefined ? { plainMs: plain.oursMs } : {}),
      dispatches: timing.dispatches,
      plainDispatches: plain?.dispatches ?? null,
      ...("refused" in plan ? {} : { path: plan.path }),
      peakGpuBytes: "refused" in plan ? null : plan.totalBytes,
      ...(timing.errors ? { errors: timing.errors } : {}),
    });
    console.log(`L ${config.depth} n ${config.width} B ${config.batch} ${point.kind}: ${timing.oursMs?.toFixed(1)} ms`);
  }
  return layerRows;
}

/** Opens the written HTML report and screenshots it for a person to look at. */
async function screenshot(htmlPath: string, pngPath: string): Promise<void> {
  const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1640, height: 900 } });
    await page.goto(`file://${process.cwd()}/${htmlPath}`);
    await page.screenshot({ path: pngPath, fullPage: true });
  } finally {
    await browser.close();
  }
}

test("bench: the sweep on both backends, tfjs and the adapter's peak", async () => {
  const began = performance.now();
  const quick = process.env.BENCH_QUICK === "1";
  const opened = await openBenchPage(false);
  const { page } = opened;
  try {
    const adapter = await page.evaluate(() =>
      (window as unknown as { gradscopeBench: GradscopeBench }).gradscopeBench.adapterInfo(),
    );
    const browserVersion = page.context().browser()?.version() ?? "unknown";
    const peerBackend = await page.evaluate(() =>
      (window as unknown as { gradscopeBench: GradscopeBench }).gradscopeBench.peerReady(),
    );
    const peak: PeakMeasurement = await page.evaluate(() =>
      (window as unknown as { gradscopeBench: GradscopeBench }).gradscopeBench.measurePeak(),
    );
    console.log(
      `adapter ${JSON.stringify(adapter.info)}, peak ${peak.gflops.toFixed(2)} GFLOP/s (fma ${peak.fmaGflops.toFixed(2)}, a·b+c ${peak.mulAddGflops.toFixed(2)}, loading one vec4 per multiply-add ${peak.loadBoundGflops.toFixed(2)}, ${peak.clock})`,
    );
    const limits = adapter.limits ?? DEFAULT_LIMITS;
    const rows: BenchRow[] = [];
    for (const point of SWEEP) {
      const config = benchConfig(point);
      const flops = flopsPerRun(config);
      if (quick && flops > QUICK_FLOP_LIMIT) continue;
      if (LAYERS_ONLY && !(point.axis === "width" && !point.note && layerWidths.has(point.width))) continue;
      const plan = planned(config, limits);
      const row: BenchRow = {
        axis: point.axis,
        depth: config.depth,
        width: config.width,
        batch: config.batch,
        ...(point.note ? { note: point.note } : {}),
        flops,
        dispatches: null,
        ...("refused" in plan ? {} : { path: plan.path }),
        peakGpuBytes: "refused" in plan ? null : plan.totalBytes,
      };
      const started = performance.now();
      await measureOurs(page, config, row);
      if (!row.refused) {
        if (flops <= CPU_FLOP_LIMIT) {
          const cpu = await runInPage(page, config, "cpu");
          if ("ok" in cpu) row.cpuMs = cpu.ok.timingMs.wall;
          else row.errors = [...(row.errors ?? []), `cpu: ${cpu.error}`];
        }
        if (row.oursGflops !== undefined) row.fractionOfPeak = row.oursGflops / peak.gflops;
      }
      await measurePeer(page, config, row);
      rows.push(row);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`L ${row.depth} n ${row.width} B ${row.batch}: ${seconds} s${row.errors ? ` ${row.errors}` : ""}`);
    }
    const layerRows = await measureLayers(page, rows, limits);
    const table = `${formatTable(rows)}\n\nlayer kinds (layered path; × plain: GPU ms over the plain chain's of the same shape above):\n${formatLayerTable(layerRows)}`;
    const notes = [
      `adapter: ${[adapter.info.vendor, adapter.info.architecture, adapter.info.device, adapter.info.description].filter(Boolean).join(" / ")}; Chromium ${browserVersion}; tfjs backend ${peerBackend}`,
      "chain: tanh, Xavier-normal weights, Gaussian input and target, no bias, float32 numerics; the same shape in tfjs",
      `GPU ms: our run's timestamp-query total (init, forward and backward passes) where the adapter has timestamps, else wall; median of up to ${REPEATS} runs after one warm-up, fewer ("runs") where ${REPEATS} would take over ${TIME_PER_CONFIG_MS / 1000} s, and the warm-up alone (runs "w") where it took over ${TIME_PER_CONFIG_MS / 1000} s; the same for tfjs`,
      "wall ms: our whole window.gradscope.run (buffers, encoding, submission, readback); tfjs ms: wall time of forward, backward and reading back every layer's weight-gradient norm (its weights are made beforehand, ours are drawn inside the run)",
      "tfjs/ours: tfjs wall over our wall; above 1 means ours is faster",
      `CPU ms: the float64 reference, one run, skipped above ${CPU_FLOP_LIMIT.toExponential(0)} flops`,
      "GFLOP/s: 6·L·n²·B flops per run (2·n²·B per layer forward, twice that backward) over GPU ms",
      `% peak: our GFLOP/s over the adapter's measured peak of ${peak.gflops.toFixed(2)} GFLOP/s (vec4 multiply-add chains: ${peak.invocations} invocations × ${peak.chains} chains × ${peak.iterations} steps, 8 flops each; fma() ${peak.fmaGflops.toFixed(2)}, a·b + c ${peak.mulAddGflops.toFixed(2)}, ${peak.clock}); the same fma() chains loading their vec4 multiplier from a storage buffer: ${peak.loadBoundGflops.toFixed(2)} GFLOP/s, the ceiling where loads bound (a 4 × 4 product block does 2 vec4 multiply-adds per vec4 it loads, an 8 × 8 tile 4)`,
      "dispatches: counted by the engine (result.dispatches); layered path 2L + 3 + weight buffers (+ 1 with biases) when every layer is kept, fused path (batch × width ≤ 256) 3 + stored-weight draws, per-example path (float32, n²·B ≤ 2^15) weight draw 1 + 3 per range of layers (forward, backward, weight gradients; a range up to 2^26 flops) + reduce 1",
      "GPU MiB: planRun(config, adapter limits).totalBytes, every buffer of the run",
      "layer kinds: the width axis' chain (depth 100, batch 64) with residual α = 0.5, layer norm, batch norm, or both residual and layer norm, timed as above (no tfjs: its chain is plain); each adds a layer kernel per forward step and one per layer backward",
      ...rows.filter((r) => r.note).map((r) => `L ${r.depth} n ${r.width} B ${r.batch}: ${r.note}`),
      ...rows
        .filter((r) => r.errors)
        .map((r) => `L ${r.depth} n ${r.width} B ${r.batch} failed: ${r.errors?.join("; ")}`),
      ...(quick ? [`BENCH_QUICK: only configs up to ${QUICK_FLOP_LIMIT.toExponential(0)} flops`] : []),
    ];
    const elapsed = (performance.now() - began) / 1000;
    console.log(`${table}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n\nbench took ${elapsed.toFixed(0)} s`);

    const date = new Date().toISOString().slice(0, 10);
    const name = resultsPath(adapter, `${quick ? "-quick" : ""}${LAYERS_ONLY ? "-layers" : ""}`);
    mkdirSync("bench/results", { recursive: true });
    const record = {
      ...recordHeader(adapter, limits, browserVersion, peerBackend),
      peak,
      settings: { repeats: REPEATS, timePerConfigMs: TIME_PER_CONFIG_MS, cpuFlopLimit: CPU_FLOP_LIMIT, quick },
      notes,
      rows,
      layerRows,
      elapsedSeconds: elapsed,
    };
    writeFileSync(`${name}.json`, `${JSON.stringify(record, null, 2)}\n`);
    writeFileSync(
      `${name}.html`,
      formatHtml(
        `gradscope bench, ${date}, ${adapter.info.description || adapter.info.architecture}`,
        rows,
        table,
        notes,
      ),
    );
    mkdirSync("tests/output", { recursive: true });
    await screenshot(`${name}.html`, "tests/output/bench-plot.png");
    console.log(`wrote ${name}.json, ${name}.html and tests/output/bench-plot.png`);
  } finally {
    await opened.close();
  }
}, 1_800_000);
