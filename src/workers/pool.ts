/**
 * Web Workers for work that would hold the page's main thread too long (the float64 reference, the
 * QR of orthogonal weights): a pool of workers running one script, each call abortable at once by
 * ending its worker; and `serve`, the worker's side of a call.
 */

/** A worker's answer to one call: its result, or the error it threw, by name and message. */
export type WorkerReply<T> = { result: T } | { error: { name: string; message: string } };
/** A message a worker may send before its answer: how far the call has come, 0..1. */
export type WorkerProgress = { progress: number };

/** How often a worker reports progress at most. */
const PROGRESS_MS = 100;

/** Whether this environment has Web Workers: the page does; Node (the CLI, the core tests) does not. */
export function hasWorkers(): boolean {
  return typeof Worker === "function";
}

/**
 * Workers of one script, started on demand: each call runs on an idle worker or a new one; an abort
 * ends that worker and rejects the call with the signal's reason at once. Up to `keep` idle workers
 * wait for the next calls.
 */
export class WorkerPool {
  private readonly idle: Worker[] = [];

  constructor(
    private readonly start: () => Worker,
    private keep = 1,
  ) {}

  /** Ends the idle workers (a call in flight ends its own when it settles). */
  close(): void {
    for (const worker of this.idle.splice(0)) worker.terminate();
    this.keep = 0;
  }

  /** Sends `request` (moving `transfer`) to a worker; resolves to its result or rejects with its error. */
  call<T>(
    request: unknown,
    signal?: AbortSignal,
    transfer: Transferable[] = [],
    onProgress?: (fraction: number) => void,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const worker = this.idle.pop() ?? this.start();
    return new Promise<T>((resolve, reject) => {
      const finish = (reusable: boolean) => {
        signal?.removeEventListener("abort", onAbort);
        worker.onmessage = null;
        worker.onerror = null;
        if (reusable && this.idle.length < this.keep) this.idle.push(worker);
        else worker.terminate();
      };
      const onAbort = () => {
        finish(false);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      worker.onmessage = (event: MessageEvent<WorkerReply<T> | WorkerProgress>) => {
        const reply = event.data;
        if ("progress" in reply) {
          onProgress?.(reply.progress);
          return;
        }
        finish(true);
        if ("result" in reply) resolve(reply.result);
        else reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        finish(false);
        reject(new Error(event.message || "the worker failed to start"));
      };
      worker.postMessage(request, transfer);
    });
  }
}

/**
 * The worker's side: answers each message with `handle(message)`'s result, moving the buffers it
 * names, or with the error it threw.
 */
export function serve<Q, T>(
  handle: (request: Q, progress: (fraction: number) => void) => { result: T; transfer?: Transferable[] },
): void {
  // Progress goes out at most every PROGRESS_MS, so a run of many small layers does not flood the page.
  let last = 0;
  const progress = (fraction: number) => {
    const now = performance.now();
    if (now - last < PROGRESS_MS && fraction < 1) return;
    last = now;
    self.postMessage({ progress: fraction } satisfies WorkerProgress);
  };
  self.onmessage = (event: MessageEvent<Q>) => {
    let reply: { message: WorkerReply<T>; transfer: Transferable[] };
    try {
      last = performance.now();
      const { result, transfer = [] } = handle(event.data, progress);
      reply = { message: { result }, transfer };
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      reply = { message: { error: { name: error.name, message: error.message } }, transfer: [] };
    }
    self.postMessage(reply.message, { transfer: reply.transfer });
  };
}
