/**
 * Training on the GPU (src/gpu/trainer.ts, shaders/update.wgsl) held to the float64 reference's
 * training (src/core/training.ts) step by step on fresh random configs, to the deep linear chain's
 * exact scalar recursion, and across the plans a training run may take.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { ACTIVATION_NAMES } from "../../src/core/activations";
import { type NormKind, OPTIMIZERS, type PartialConfig, type RunConfig, validateConfig } from "../../src/core/config";
import type { TrainingRecord } from "../../src/core/result";
import { type TrainedResult, trainReference } from "../../src/core/training";
import { liveBufferBytes } from "../../src/gpu/device";
import { autotune } from "../../src/gpu/engine";
import { CapacityError, choosePath, perExampleRefusal } from "../../src/gpu/plan";
import { GpuTrainer, trainOnGpu } from "../../src/gpu/trainer";
import { spread } from "./agreement";
import { pick, uniform } from "./random-draws";
import { requireGpu } from "./support";

beforeAll(async () => {
  autotune.background = false;
  await requireGpu();
});

type RecordSeries = Exclude<keyof TrainingRecord, "step">;
const RECORD_SERIES: RecordSeries[] = ["log10ActRms", "log10GradRms", "log10WeightGradRms", "log10UpdateRatio"];

/** log10 of each step's loss (null where not finite or zero). */
const log10Losses = (result: TrainedResult) =>
  result.training.loss.map((loss) => (loss !== null && loss > 0 ? Math.log10(loss) : null));

/**
 * Holds a GPU training run to the reference's. The GPU rounds every product, sum and update in
 * float32 and the reference only what it stores, so they may differ by what float32-sized errors do to
 * the run: measured as the spread between the reference and two references whose every stored value
 * (activations, gradients, weights, optimizer state, at every step) is moved by one float32 ulp
 * (ReferenceOptions.nudge). The tolerance, per series over the whole run, is 10× that spread plus a floor
 * of 2e-4 in log10 (float32 sums of squares), 1e-3 for weight-gradient and update statistics (sums over
 * the batch that can cancel), and twice those for the loss (the square of ∂ℓ/∂a_L's norm). Training
 * compounds differences step by step, which the nudged references do too, since they are trained: the
 * spread allowed at step t is the largest seen up to t, so early steps are held as tightly as a single
 * pass (a learning rate 1 % off fails: tested by hand on both paths' update kernels).
 */
function expectTrainingAgreement(config: RunConfig, gpu: TrainedResult): void {
  const label = JSON.stringify(config);
  const reference = trainReference(config, { subnormals: gpu.subnormals });
  const nudged = [3, 4].map((salt) => trainReference(config, { subnormals: gpu.subnormals, nudge: salt }));
  const referenceLoss = log10Losses(reference);
  const nudgedLosses = nudged.map(log10Losses);
  // Differences compound step by step: the sensitivity at step t is the largest seen up to t.
  const lossSensitivity = envelope(
    referenceLoss.map((want, t) => Math.max(...nudgedLosses.map((n) => gap(n[t], want)))),
  );
  expect(gpu.training.loss).toHaveLength(reference.training.loss.length);
  log10Losses(gpu).forEach((got, t) => {
    const want = referenceLoss[t] ?? null;
    const tolerance = 2 * (2e-4 + 10 * (lossSensitivity[t] as number));
    if (want === null) expect(got, `loss[${t}] of ${label}`).toBeNull();
    else expect(Math.abs((got as number) - want), `loss[${t}] of ${label}`).toBeLessThanOrEqual(tolerance);
  });
  expect(gpu.training.records.map((r) => r.step)).toEqual(reference.training.records.map((r) => r.step));
  for (const series of RECORD_SERIES) {
    const floor = series === "log10WeightGradRms" || series === "log10UpdateRatio" ? 1e-3 : 2e-4;
    const sensitivity = envelope(
      reference.training.records.map((record, k) =>
        Math.max(...nudged.map((n) => spread(n.training.records[k]?.[series] ?? [], record[series]))),
      ),
    );
    reference.training.records.forEach((record, k) => {
      const tolerance = floor + 10 * (sensitivity[k] as number);
      const got = gpu.training.records[k]?.[series] ?? [];
      record[series].forEach((want, l) => {
        const where = `${series}[${l}] at step ${record.step} of ${label}`;
        if (want === null) expect(got[l], where).toBeNull();
        else expect(Math.abs((got[l] as number) - want), where).toBeLessThanOrEqual(tolerance);
      });
    });
  }
}

/** |a − b| where both are numbers, else 0. */
const gap = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined ? 0 : Math.abs(a - b);

/** The running maximum of a series. */
function envelope(values: number[]): number[] {
  let most = 0;
  return values.map((value) => {
    most = Math.max(most, value);
    return most;
  });
}

const WIDTHS = [2, 3, 5, 17, 33, 63];
/** The random configs' numerics in turn (every optimizer meets each, since 3 and 4 are coprime). */
const TRAINING_NUMERICS = ["float32", "float16", "float32", "bfloat16"] as const;
const BATCHES = [1, 3, 7, 13];

/**
 * Config i of a fresh draw: every optimizer, activation, layer kind and numerics recurring; widths and batches
 * that are not multiples of 4; learning rates where tens of steps learn without blowing up. A norm
 * takes groups of at least 4 entries (below that its gradient is a cancellation rounding decides).
 */
function randomTrainingConfig(i: number): RunConfig {
  const optimizer = OPTIMIZERS[i % OPTIMIZERS.length] as (typeof OPTIMIZERS)[number];
  const width = WIDTHS[i % WIDTHS.length] as number;
  const batch = BATCHES[(i + 1) % BATCHES.length] as number;
  const norms: NormKind[] = [
    "none",
    ...(width >= 4 ? (["layer"] as const) : []),
    ...(batch >= 4 ? (["batch"] as const) : []),
  ];
  const learningRate = optimizer === "adam" ? uniform(0.001, 0.01) : uniform(0.005, 0.05);
  return validateConfig({
    depth: 2 + Math.floor(Math.random() * 9),
    width,
    batch,
    activation: ACTIVATION_NAMES[i % ACTIVATION_NAMES.length],
    init: pick([
      { scheme: "xavier_normal", gain: uniform(0.8, 1.2) },
      { scheme: "he_uniform", gain: uniform(0.6, 1) },
      { scheme: "orthogonal", gain: 1 },
      { scheme: "gaussian", sigma: uniform(0.8, 1.2) },
    ] as const),
    biasSigma: pick([0, 0.1]),
    residual: pick([null, null, 0.5]),
    norm: pick(norms),
    input: "gaussian",
    target: pick(["gaussian", "teacher", "input"] as const),
    seed: Math.floor(Math.random() * 2 ** 32),
    numerics: TRAINING_NUMERICS[i % TRAINING_NUMERICS.length],
    train: { steps: 6 + Math.floor(Math.random() * 7), optimizer, learningRate, record: 1 + (i % 3) },
  } satisfies PartialConfig);
}

describe("a GPU training run agrees with the float64 reference's, step by step", () => {
  for (let i = 0; i < 12; i++) {
    test(`fresh random config ${i}, on its path and on the layered path`, async () => {
      const config = randomTrainingConfig(i);
      expectTrainingAgreement(config, await trainOnGpu(config));
      if (choosePath(config) !== "layered")
        expectTrainingAgreement(config, await trainOnGpu(config, { path: "layered" }));
    });
  }

  test("narrow plain nets train on the fused path; others, and the per-example path's, on the layered", () => {
    const narrow = validateConfig({ depth: 100, width: 8, batch: 4, train: { steps: 3, learningRate: 0.1 } });
    expect(choosePath(narrow)).toBe("fused");
    expect(choosePath({ ...narrow, norm: "layer" })).toBe("layered");
    expect(choosePath({ ...narrow, batch: 64 })).toBe("layered");
    // n²·B past FUSED_MAX_WORK: the layered path trains faster, although a single pass stays fused.
    expect(choosePath({ ...narrow, width: 16, batch: 16 })).toBe("layered");
    expect(choosePath({ ...narrow, width: 16, batch: 16, train: undefined })).toBe("fused");
    expect(perExampleRefusal(narrow)).toMatch(/^training runs on the layered and fused paths only/);
  });
});

describe("the deep linear chain at W = c·I follows its scalar recursion on the GPU", () => {
  // tests/core/training.test.ts derives the recursion and the tolerance: s ← s − η n g(s) and its
  // momentum and Adam forms, loss = n(s^L − 1)²/2; the GPU's float32 updates carry the same few-ulp
  // error in s per step as the reference's stored weights.
  const cases = [
    { optimizer: "sgd", c: 0.9, eta: 0.02, depth: 6, n: 3 },
    { optimizer: "momentum", c: 0.95, eta: 0.005, depth: 8, n: 5 },
    { optimizer: "adam", c: 1.1, eta: 0.001, depth: 12, n: 5 },
  ] as const;
  for (const { optimizer, c, eta, depth, n } of cases) {
    test(`${optimizer}, c = ${c}, depth ${depth}`, async () => {
      const steps = 30;
      const config = validateConfig({
        depth,
        width: n,
        batch: 3,
        activation: "linear",
        init: { scheme: "identity", scale: c },
        input: "ones",
        target: "input",
        train: { steps, optimizer, learningRate: eta },
      });
      const gpu = await trainOnGpu(config);
      let s = c;
      let m = 0;
      let v = 0;
      for (let t = 0; t <= steps; t++) {
        const end = s ** depth;
        const want = (n * (end - 1) ** 2) / 2;
        const tolerance = n * Math.sqrt((2 * want) / n) * depth * Math.max(1, s) ** depth * 1e-6 + 1e-12;
        expect(Math.abs((gpu.training.loss[t] as number) - want), `step ${t}`).toBeLessThanOrEqual(tolerance);
        const g = s ** (depth - 1) * (end - 1);
        if (optimizer === "sgd") s -= eta * n * g;
        else if (optimizer === "momentum") {
          m = 0.9 * m + g;
          s -= eta * n * m;
        } else {
          m = 0.9 * m + 0.1 * g;
          v = 0.999 * v + 0.001 * g * g;
          s -= (eta * n * (m / (1 - 0.9 ** (t + 1)))) / (Math.sqrt(v / (1 - 0.999 ** (t + 1))) + 1e-8);
        }
      }
    });
  }
});

describe("training in float16 and bfloat16 stores each updated weight in the format", () => {
  // One unit, W = 0.9 (a 1 × 1 chain, so no zero weight that a small step would move), ∂loss/∂W ≈ −0.28: each
  // step (SGD 2e-4·0.28; momentum at most 5e-5·0.28/(1 − 0.9); Adam about η = 1e-4) is below half an ulp
  // of 0.9 in float16 (2⁻¹² ≈ 2.4e-4) and bfloat16 (2⁻⁹), so every update rounds back to the weight and the
  // loss never moves, while the 100 steps add up to more than that half ulp (unrounded weights would move
  // z = W·a across it); float32 (half an ulp 2⁻²⁵) takes each step.
  const RATES = { sgd: 2e-4, momentum: 5e-5, adam: 1e-4 } as const;
  for (const optimizer of OPTIMIZERS) {
    test(`${optimizer}: steps below half an ulp leave the weights, on both paths`, async () => {
      const chain = (numerics: RunConfig["numerics"]) =>
        validateConfig({
          depth: 6,
          width: 1,
          batch: 1,
          activation: "linear",
          init: { scheme: "identity", scale: 0.9 },
          input: "ones",
          target: "input",
          numerics,
          train: { steps: 100, optimizer, learningRate: RATES[optimizer], record: 100 },
        });
      for (const numerics of ["float16", "bfloat16"] as const) {
        const config = chain(numerics);
        for (const result of [
          await trainOnGpu(config),
          await trainOnGpu(config, { path: "layered" }),
          trainReference(config),
        ]) {
          const loss = result.training.loss;
          expect(loss, `${numerics} on ${result.backend}`).toEqual(loss.map(() => loss[0]));
        }
      }
      const float32 = (await trainOnGpu(chain("float32"))).training.loss;
      expect(float32[100]).toBeLessThan(float32[0] as number);
    });
  }
});

describe("every plan of a training run gives the same bits", () => {
  const config = validateConfig({
    depth: 9,
    width: 13,
    batch: 6,
    activation: "tanh",
    biasSigma: 0.2,
    residual: 0.7,
    norm: "layer",
    target: "teacher",
    train: { steps: 7, optimizer: "adam", learningRate: 0.01, record: 2 },
  });

  test("checkpointed activations and other tilings", async () => {
    const base = await trainOnGpu(config, { block: 4, workgroup: 64 });
    for (const options of [
      { positions: 4, block: 4, workgroup: 64 },
      { block: 8, workgroup: 128 },
    ]) {
      const other = await trainOnGpu(config, options);
      expect(other.training, JSON.stringify(options)).toEqual(base.training);
    }
  });

  test("statistics reduced after each dispatch: the same run, summed in another order", async () => {
    const base = await trainOnGpu(config, { block: 4, workgroup: 64 });
    const each = await trainOnGpu(config, { block: 4, workgroup: 64, reduceEachDispatch: true });
    expect(each.memory).toMatchObject({ weights: "stored", reducedEachDispatch: true, activationsKept: 10 });
    expect(base.memory?.reducedEachDispatch).toBe(false);
    // The weights and every value are the same bits; only the sums of squares behind each statistic
    // are added in another order, a float32 rounding of each: 1e-6 in log10 is 20 ulps.
    each.training.loss.forEach((loss, t) => {
      expect(Math.abs(Math.log10(loss as number) - Math.log10(base.training.loss[t] as number))).toBeLessThan(1e-6);
    });
    each.training.records.forEach((record, k) => {
      for (const series of RECORD_SERIES) {
        expect(spread(record[series], base.training.records[k]?.[series] ?? []), series).toBeLessThan(1e-6);
        expect(record[series].map((v) => v === null)).toEqual(
          base.training.records[k]?.[series].map((v) => v === null),
        );
      }
    });
  });

  test("a trainer advanced one pass at a time gives the run's losses and records", async () => {
    const whole = await trainOnGpu(config, { block: 4, workgroup: 64 });
    const trainer = await GpuTrainer.create(config, { block: 4, workgroup: 64 });
    try {
      const loss: (number | null)[] = [];
      const records: TrainingRecord[] = [];
      while (!trainer.done) {
        const update = await trainer.advance(1);
        expect(update.from).toBe(loss.length);
        loss.push(...update.loss);
        records.push(...update.records);
      }
      expect({ loss, records }).toEqual(whole.training);
      await expect(trainer.advance(1)).resolves.toMatchObject({ loss: [], records: [] });
    } finally {
      trainer.dispose();
    }
    await expect(trainer.advance(1)).rejects.toThrow(/disposed/);
  });
});

describe("a training run's limits", () => {
  test("a config whose weights and optimizer state do not fit is refused with the bytes it needs", async () => {
    const config = validateConfig({
      depth: 100,
      width: 256,
      batch: 8,
      train: { steps: 10, optimizer: "adam", learningRate: 0.001 },
    });
    // 100 layers × 256² floats of weights, and twice that of Adam's moments: about 79 MB.
    const error = await trainOnGpu(config, { memoryBudgetBytes: 50e6 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapacityError);
    expect((error as CapacityError).bytesNeeded).toBeGreaterThan(3 * 100 * 256 * 256 * 4);
    expect((error as Error).message).toMatch(/training \d+/);
  });

  test("an abort stops the run and frees its buffers", async () => {
    const gpu = await requireGpu();
    const before = liveBufferBytes(gpu.device);
    const config = validateConfig({ depth: 40, width: 32, batch: 16, train: { steps: 5000, learningRate: 0.01 } });
    const controller = new AbortController();
    const run = trainOnGpu(config, {
      signal: controller.signal,
      onProgress: () => controller.abort(new Error("stop")),
    });
    await expect(run).rejects.toThrow("stop");
    expect(liveBufferBytes(gpu.device)).toBe(before);
  });

  test("a diverging run reports its loss as null from the step it overflows", async () => {
    // 1.5^60 ≈ 4e10 forward, its square in the gradient: the first update overflows float32's weights.
    const config = validateConfig({
      depth: 60,
      width: 4,
      batch: 2,
      activation: "linear",
      init: { scheme: "identity", scale: 1.5 },
      input: "ones",
      target: "input",
      train: { steps: 5, learningRate: 0.1 },
    });
    const gpu = await trainOnGpu(config);
    const cpu = trainReference(config, { subnormals: gpu.subnormals });
    expect(gpu.training.loss[0]).not.toBeNull();
    expect(gpu.training.loss.slice(2)).toEqual([null, null, null, null]);
    expect(gpu.training.loss.map((l) => l === null)).toEqual(cpu.training.loss.map((l) => l === null));
  });
});
