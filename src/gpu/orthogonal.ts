/**
 * Orthogonal weights for the GPU: each layer's QR (O(n³) in float64, seconds at width 1024) runs in
 * Web Workers, several layers at once, so the page's main thread only uploads the finished rows.
 */
import { hasWorkers, WorkerPool } from "../workers/pool";
import { type LayerRowsRequest, layerRows } from "./layer-rows";

/** Layers computed at once: one per core the main thread leaves, at most 4. */
function lanes(): number {
  const cores = typeof navigator === "undefined" ? 1 : (navigator.hardwareConcurrency ?? 1);
  return Math.max(1, Math.min(4, cores - 1));
}

let pool: WorkerPool | null = null;

function qrWorkers(): WorkerPool {
  pool ??= new WorkerPool(
    () => new Worker(new URL("../workers/qr.worker.ts", import.meta.url), { type: "module", name: "gradscope QR" }),
    lanes(),
  );
  return pool;
}

/**
 * Computes layers 1..depth of an orthogonal init as layerRows lays them out, and hands each to `use`
 * as it is ready (not in order). In Web Workers where there are workers: an abort ends them and
 * rejects with the signal's reason at once. Inline where there are none (Node), one layer per task,
 * checking the signal between layers.
 */
export async function forEachOrthogonalLayer(
  request: Omit<LayerRowsRequest, "layer"> & { depth: number },
  use: (layer: number, rows: Float32Array<ArrayBuffer>) => void,
  signal?: AbortSignal,
): Promise<void> {
  const { depth, ...shape } = request;
  if (!hasWorkers()) {
    for (let layer = 1; layer <= depth; layer++) {
      signal?.throwIfAborted();
      use(layer, layerRows({ ...shape, layer }));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return;
  }
  // One failed layer stops the others too.
  const stop = new AbortController();
  const stopped = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const workers = qrWorkers();
  let next = 1;
  const lane = async () => {
    while (next <= depth) {
      const layer = next++;
      use(
        layer,
        await workers.call<Float32Array<ArrayBuffer>>({ ...shape, layer } satisfies LayerRowsRequest, stopped),
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(lanes(), depth) }, lane));
  } catch (error) {
    stop.abort(error);
    throw signal?.aborted ? signal.reason : error;
  }
}
