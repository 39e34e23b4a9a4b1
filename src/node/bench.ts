/**
 * `gradscope bench` (and `npm run bench -- --node`): the bench's sweep on Dawn's WebGPU in Node, for
 * a machine with a GPU and no browser, with the tfjs WebGPU peer on the same adapter where its dev
 * dependencies are installed. Prints a table and writes bench/results/<date>-node-<adapter>.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { benchConfig, flopsPerRun, median, SWEEP } from "../core/sweep";

const RUNS = 5;
/** Without --full, configs above this many flops per run are skipped (minutes on SwiftShader). */
const QUICK_FLOP_LIMIT = 2e8;

/** The peer runs fewer times (only its warm-up) where its warm-up took longer than this. */
const PEER_SLOW_MS = 15_000;

type Peer = typeof import("../../bench/peer-tfjs");

/** The tfjs peer (bench/peer-tfjs.ts), or null with the reason where tfjs is not installed. */
async function loadPeer(): Promise<{ peer: Peer | null; why: string }> {
  try {
    const peer = await import("../../bench/peer-tfjs");
    return { peer, why: `tfjs backend ${await peer.peerReady()}` };
  } catch (error) {
    return { peer: null, why: `no tfjs peer (${(error as Error).message}); npm install adds it` };
  }
}

/**
 * The peer's wall ms for a shape: the median of RUNS after a warm-up, or the warm-up alone if slow;
 * null if tfjs fails on it.
 */
async function peerMs(peer: Peer, shape: { depth: number; width: number; batch: number }): Promise<number | null> {
  try {
    const [warmUp] = await peer.runPeer(shape, 1);
    const first = warmUp?.wallMs ?? Number.NaN;
    if (first > PEER_SLOW_MS) return first;
    return median((await peer.runPeer(shape, RUNS)).map((run) => run.wallMs));
  } catch (error) {
    console.log(`tfjs failed on ${JSON.stringify(shape)}: ${(error as Error).message}`);
    return null;
  }
}

/** Runs the sweep; the WebGPU globals must be installed first. Returns the exit code. */
export async function bench(args: string[]): Promise<number> {
  const full = args.includes("--full");
  const { acquireGpu } = await import("../gpu/device");
  const { runOnGpu, warmUp } = await import("../gpu/engine");
  const { measurePeak } = await import("../gpu/peak");
  const { planRun } = await import("../gpu/plan");
  const gpu = await acquireGpu();
  const peak = await measurePeak();
  const { peer, why } = await loadPeer();
  console.log(
    `adapter ${gpu.adapterName}; peak ${peak.gflops.toFixed(2)} GFLOP/s, ${peak.loadBoundGflops.toFixed(2)} loading one vec4 per multiply-add (${peak.clock}); ${why}`,
  );
  const rows = [];
  console.log("    L     n     B   GPU ms  wall ms  GFLOP/s  % peak  tfjs ms  tfjs/ours     path  dispatches  GPU MiB");
  for (const point of SWEEP) {
    const config = benchConfig(point);
    const flops = flopsPerRun(config);
    if (!full && flops > QUICK_FLOP_LIMIT) continue;
    await warmUp(config);
    const times: number[] = [];
    const walls: number[] = [];
    let dispatches = 0;
    for (let i = 0; i < RUNS; i++) {
      const result = await runOnGpu(config);
      times.push(result.timingMs.gpu?.total ?? result.timingMs.wall);
      walls.push(result.timingMs.wall);
      dispatches = result.dispatches ?? 0;
    }
    const gpuMs = median(times);
    const wallMs = median(walls);
    const gflops = flops / (gpuMs * 1e6);
    const plan = planRun(config, gpu.limits);
    const tfjsMs = peer ? await peerMs(peer, config) : null;
    // As in the browser bench: the peer's wall time over ours (above 1: ours is faster).
    const tfjsOverOurs = tfjsMs === null ? null : tfjsMs / wallMs;
    const percentOfPeak = (100 * gflops) / peak.gflops;
    const row = { ...point, gpuMs, wallMs, gflops, percentOfPeak, tfjsMs, tfjsOverOurs, path: plan.path, dispatches };
    rows.push({ ...row, gpuBytes: plan.totalBytes });
    const cells = [
      String(config.depth).padStart(5),
      String(config.width).padStart(5),
      String(config.batch).padStart(5),
      gpuMs.toFixed(1).padStart(8),
      wallMs.toFixed(1).padStart(8),
      gflops.toPrecision(3).padStart(8),
      row.percentOfPeak.toPrecision(2).padStart(7),
      (tfjsMs === null ? "-" : tfjsMs.toFixed(1)).padStart(8),
      (tfjsOverOurs === null ? "-" : tfjsOverOurs.toFixed(2)).padStart(10),
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
  const report = { adapter: gpu.adapterName, peak, peer: why, runs: RUNS, full, rows };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${file}${full ? "" : " (quick sweep; --full for every size)"}`);
  return 0;
}
