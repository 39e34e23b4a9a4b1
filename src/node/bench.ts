/**
 * `gradscope bench` (and `npm run bench -- --node`): the bench's sweep on Dawn's WebGPU in Node, for
 * a machine with a GPU and no browser. Prints a table and writes
 * bench/results/<date>-node-<adapter>.json; the browser bench adds the tfjs peer.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { benchConfig, flopsPerRun, SWEEP } from "../core/sweep";

const RUNS = 5;
/** Without --full, configs above this many flops per run are skipped (minutes on SwiftShader). */
const QUICK_FLOP_LIMIT = 2e8;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** Runs the sweep; the WebGPU globals must be installed first. Returns the exit code. */
export async function bench(args: string[]): Promise<number> {
  const full = args.includes("--full");
  const { acquireGpu } = await import("../gpu/device");
  const { runOnGpu } = await import("../gpu/engine");
  const { measurePeak } = await import("../gpu/peak");
  const { planRun } = await import("../gpu/plan");
  const gpu = await acquireGpu();
  const peak = await measurePeak();
  console.log(`adapter ${gpu.adapterName}; peak ${peak.gflops.toFixed(2)} GFLOP/s (${peak.clock})`);
  const rows = [];
  console.log("    L     n     B   GPU ms  GFLOP/s  % peak     path  dispatches  GPU MiB");
  for (const point of SWEEP) {
    const config = benchConfig(point);
    const flops = flopsPerRun(config);
    if (!full && flops > QUICK_FLOP_LIMIT) continue;
    await runOnGpu(config);
    const times: number[] = [];
    let dispatches = 0;
    for (let i = 0; i < RUNS; i++) {
      const result = await runOnGpu(config);
      times.push(result.timingMs.gpu?.total ?? result.timingMs.wall);
      dispatches = result.dispatches ?? 0;
    }
    const gpuMs = median(times);
    const gflops = flops / (gpuMs * 1e6);
    const plan = planRun(config, gpu.limits);
    const row = { ...point, gpuMs, gflops, percentOfPeak: (100 * gflops) / peak.gflops, path: plan.path, dispatches };
    rows.push({ ...row, gpuBytes: plan.totalBytes });
    const cells = [
      String(config.depth).padStart(5),
      String(config.width).padStart(5),
      String(config.batch).padStart(5),
      gpuMs.toFixed(1).padStart(8),
      gflops.toPrecision(3).padStart(8),
      row.percentOfPeak.toPrecision(2).padStart(7),
      plan.path.padStart(8),
      String(dispatches).padStart(11),
      (plan.totalBytes / 2 ** 20).toFixed(2).padStart(8),
    ];
    console.log(cells.join(" "));
  }
  const slug =
    gpu.adapterName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "adapter";
  const file = `bench/results/${new Date().toISOString().slice(0, 10)}-node-${slug}.json`;
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(file, `${JSON.stringify({ adapter: gpu.adapterName, peak, runs: RUNS, full, rows }, null, 2)}\n`);
  console.log(`wrote ${file}${full ? "" : " (quick sweep; --full for every size)"}`);
  return 0;
}
