/**
 * The layered product kernels' tiling (workgroup size and output tile), chosen per adapter by a
 * short trial that never holds up a run: a run of a shape class (width and batch rounded up to powers
 * of two) with no choice yet uses DEFAULT_TILING at once and queues the trial, which starts when no
 * run has been in flight for IDLE_MS (or when settle() asks for it). A trial times one-layer runs,
 * the tile first and then the workgroup size (tryEach), each candidate by the median of
 * TRIAL_SAMPLES runs after a warm-up that compiles its pipelines unless GPU timestamps leave the
 * compilation out, their batch cut so that a product is at most PROBE_FLOPS; a trial run that
 * overlapped a run of the caller's is timed again. The choice is kept per adapter and shape class,
 * in localStorage where there is one, so a reload finds it.
 * Shapes whose products are too small for the choice to matter keep the default without a trial.
 * Every candidate gives the same bits.
 */
import type { RunConfig } from "../core/config";
import { median } from "../core/sweep";
import { WORKGROUP } from "./plan";

/** Workgroup sizes tried (every adapter allows 256 invocations per workgroup). */
export const WORKGROUP_CHOICES = [64, 128, 256] as const;
/** Output tiles tried: 4 × 4 (more invocations) or 8 × 8 (each loaded vec4 used twice as often). */
export const BLOCK_CHOICES = [4, 8] as const;

/** How the product kernels cut their work: invocations per workgroup, and the side of each one's tile. */
export interface ProductTiling {
  workgroup: number;
  block: number;
}

/** The tiling without a trial. */
export const DEFAULT_TILING: ProductTiling = { workgroup: WORKGROUP, block: 4 };

/** Every tiling the autotune may choose. */
export const TILINGS: ProductTiling[] = BLOCK_CHOICES.flatMap((block) =>
  WORKGROUP_CHOICES.map((workgroup) => ({ workgroup, block })),
);
/**
 * Flops of one layer's forward product below which no trial is run: the 4 × 4 default is kept.
 * Measured on SwiftShader, 8 × 8 tiles were already 1.4× faster at 64 × 64 × 256 (2^21 flops), and
 * no faster at 64 × 64 × 64.
 */
export const TUNE_MIN_FLOPS = 2 ** 21;

/** Flops of one product in a trial run at most (the batch is cut to fit, down to 4). */
export const PROBE_FLOPS = 2 ** 27;

/**
 * Timed runs of each candidate in a trial, taken in turns with the other candidates of its stage;
 * its time is their median, which one run at a busy or a quiet moment of a shared machine does not move.
 */
export const TRIAL_SAMPLES = 3;

/** Times one run of a config with a tiling: ms, and whether they are GPU time (no compilation). */
export type Trial = (config: RunConfig, tiling: ProductTiling) => Promise<{ ms: number; gpuTime: boolean }>;

/** Ms with no run in flight after which a queued trial starts by itself. */
export const IDLE_MS = 1000;

/** Where the choices outlive the page: localStorage in a browser. */
export type TilingStore = Pick<Storage, "getItem" | "setItem">;

/** Prefix of the storage keys; the rest is the adapter's description and the shape class. */
export const STORE_PREFIX = "gradscope.tiling:";

const nextPowerOfTwo = (x: number) => 2 ** Math.ceil(Math.log2(x));
const label = (tiling: ProductTiling) => `${tiling.workgroup}/${tiling.block}`;

/** The shape class a choice is kept for. */
export function tuneKey(config: RunConfig): string {
  return `${nextPowerOfTwo(config.width)}x${nextPowerOfTwo(config.batch)}`;
}

/** localStorage, or null where there is none or it may not be used (Node, sandboxed frames). */
function browserStore(): TilingStore | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

/** Chooses the tilings: at once from what it knows, by trials in idle time for the rest. */
export class Autotuner {
  /** Whether queued trials start by themselves in idle time; if not, only settle() runs them. */
  background = true;
  /** Choices by "adapter: shape class". */
  private readonly chosen = new Map<string, ProductTiling>();
  /** Shape classes waiting for a trial, by the same key, with a config of theirs. */
  private readonly waiting = new Map<string, RunConfig>();
  private runsInFlight = 0;
  private runsStarted = 0;
  private lastRunEnded = Number.NEGATIVE_INFINITY;
  /** settle() calls waiting: trials then start as soon as no run is in flight. */
  private hurry = 0;
  private wake: (() => void) | null = null;
  private trying: Promise<void> | null = null;

  constructor(
    private readonly trial: Trial,
    private readonly store: TilingStore | null = browserStore(),
    private readonly idleMs = IDLE_MS,
  ) {}

  /**
   * The tiling for this config's layered kernels on this adapter, at once: the one a trial chose
   * (in this session or a stored one), else DEFAULT_TILING, queueing a trial for the shape class.
   */
  tiling(adapter: string, config: RunConfig): ProductTiling {
    if (2 * config.width * config.width * config.batch < TUNE_MIN_FLOPS) return DEFAULT_TILING;
    const key = `${adapter}: ${tuneKey(config)}`;
    const known = this.chosen.get(key) ?? (this.waiting.has(key) ? null : this.recall(key));
    if (known) return known;
    if (!this.waiting.has(key)) this.waiting.set(key, config);
    if (this.background) this.start();
    return DEFAULT_TILING;
  }

  /** Marks a run of the caller's in flight until the returned function is called: no trial starts meanwhile. */
  runStarted(): () => void {
    this.runsInFlight++;
    this.runsStarted++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.runsInFlight--;
      this.lastRunEnded = performance.now();
      this.wake?.();
    };
  }

  /**
   * Runs the queued trials now (each once no run is in flight) and resolves, when none is left, to
   * the number of shape classes tried.
   */
  async settle(): Promise<number> {
    this.hurry++;
    let tried = 0;
    try {
      while (this.waiting.size > 0) {
        tried += this.waiting.size;
        this.start();
        this.wake?.();
        await this.trying;
      }
    } finally {
      this.hurry--;
    }
    return tried;
  }

  private start(): void {
    this.trying ??= this.tryWaiting().finally(() => {
      this.trying = null;
    });
  }

  private async tryWaiting(): Promise<void> {
    for (const [key, config] of this.waiting) {
      const choice = await tryEach(config, (probe, tiling) => this.measure(probe, tiling)).catch(() => null);
      this.waiting.delete(key);
      // A failed trial (a lost device, say) is not kept: the next run of the class queues another.
      if (choice) this.remember(key, choice);
    }
  }

  /** One trial run, started when the device is quiet and run again if a run of the caller's overlapped it. */
  private async measure(probe: RunConfig, tiling: ProductTiling): ReturnType<Trial> {
    for (;;) {
      await this.quiet();
      const before = this.runsStarted;
      const timed = await this.trial(probe, tiling);
      if (this.runsStarted === before) return timed;
    }
  }

  /** Resolves once no run is in flight and, unless settle() is waiting, none has been for idleMs. */
  private async quiet(): Promise<void> {
    for (;;) {
      const idleFor = performance.now() - this.lastRunEnded;
      const waitMs =
        this.runsInFlight > 0 ? Number.POSITIVE_INFINITY : this.hurry > 0 ? 0 : Math.max(0, this.idleMs - idleFor);
      if (waitMs === 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (Number.isFinite(waitMs)) {
          timer = setTimeout(resolve, waitMs);
          // In Node, a trial yet to start does not keep the process alive.
          (timer as unknown as { unref?: () => void }).unref?.();
        }
      });
      clearTimeout(timer);
      this.wake = null;
    }
  }

  private recall(key: string): ProductTiling | null {
    let stored: string | null = null;
    try {
      stored = this.store?.getItem(STORE_PREFIX + key) ?? null;
    } catch {
      return null;
    }
    const tiling = TILINGS.find((candidate) => label(candidate) === stored) ?? null;
    if (tiling) this.chosen.set(key, tiling);
    return tiling;
  }

  private remember(key: string, tiling: ProductTiling): void {
    this.chosen.set(key, tiling);
    try {
      this.store?.setItem(STORE_PREFIX + key, label(tiling));
    } catch {
      // A full or forbidden storage only costs a trial after the next reload.
    }
  }
}

/**
 * The fastest candidate on a one-layer run of the config's shape (Xavier weights: no CPU QR), in
 * two stages: the tiles at the default workgroup size, then the other workgroup sizes with the
 * better tile. Four candidates rather than six, since each compiles its own pipelines, and compiling
 * takes longer than a trial run on CPU-emulated GPUs (about 0.25 s per pipeline on SwiftShader).
 * Each candidate's time is the median of TRIAL_SAMPLES timed runs, the candidates of a stage taking
 * turns: on a shared machine whose load comes and goes, one run each picked 4 × 4 tiles for wide
 * layers now and then, up to about 1.7× slower there than 8 × 8 (100 × 64 × 1024).
 */
async function tryEach(config: RunConfig, trial: Trial): Promise<ProductTiling> {
  const { width: n } = config;
  const batch = Math.min(config.batch, Math.max(4, Math.floor(PROBE_FLOPS / (2 * n * n))));
  // A plain layer: the tiling is the products', and a shape class's choice must not depend on whether
  // its first config had residual connections or norms (their layer kernels do not tile).
  const probe: RunConfig = {
    ...config,
    depth: 1,
    batch,
    init: { scheme: "xavier_normal", gain: 1 },
    residual: null,
    norm: "none",
    train: undefined,
  };
  let best = DEFAULT_TILING;
  let bestMs = Number.POSITIVE_INFINITY;
  const stage = async (candidates: ProductTiling[]) => {
    const times = await sampleInTurns(candidates, (tiling, sample) => timeOnce(probe, tiling, sample, trial));
    for (const [index, tiling] of candidates.entries()) {
      const ms = median(times[index] as number[]);
      if (ms < bestMs) {
        best = tiling;
        bestMs = ms;
      }
    }
  };
  await stage(BLOCK_CHOICES.map((block) => ({ workgroup: DEFAULT_TILING.workgroup, block })));
  const { block } = best;
  await stage(
    WORKGROUP_CHOICES.filter((w) => w !== DEFAULT_TILING.workgroup).map((workgroup) => ({ workgroup, block })),
  );
  return best;
}

/** TRIAL_SAMPLES times of each candidate, taken in rounds that time every candidate once in turn. */
async function sampleInTurns(
  candidates: ProductTiling[],
  time: (tiling: ProductTiling, sample: number) => Promise<number>,
): Promise<number[][]> {
  const times: number[][] = candidates.map(() => []);
  for (let sample = 0; sample < TRIAL_SAMPLES; sample++) {
    for (const [index, tiling] of candidates.entries()) times[index]?.push(await time(tiling, sample));
  }
  return times;
}

/** One timed trial run; the first of a wall-clock candidate comes after a warm-up that compiles its pipelines. */
async function timeOnce(probe: RunConfig, tiling: ProductTiling, sample: number, trial: Trial): Promise<number> {
  let timed = await trial(probe, tiling);
  if (sample === 0 && !timed.gpuTime) timed = await trial(probe, tiling);
  return timed.ms;
}
