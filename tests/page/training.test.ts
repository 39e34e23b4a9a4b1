/**
 * The lab's training as a student uses it, in Chromium on SwiftShader: play, pause, step and reset
 * with the step counter and the loss curve, a config change that stops the training, the heatmap's
 * columns and colour scale, the loss going to ∞, errors beside the controls, the URL. Screenshots of
 * a run half-way go to tests/output/.
 */
import { mkdirSync } from "node:fs";
import type { Page } from "playwright";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { TrainingRecord } from "../../src/core/result";
import { type OpenPage, openBuiltPage } from "../support/page";

const OUTPUT = "tests/output";

/** A small chain that trains quickly on SwiftShader, for as many steps as the test needs. */
const SMALL = "/?depth=8&width=16&batch=16&act=tanh";

interface TrainingState {
  phase: string;
  busy: boolean;
  steps: number;
  records: TrainingRecord[];
  error: string | null;
  counter: string;
  lossShown: number;
  chartRecord: number | null;
  caption: string | null;
}

/** What the page shows of the training: the session's view, the counter's text, the loss curve's points. */
function trainingState(page: Page): Promise<TrainingState> {
  return page.evaluate(() => {
    const lab = window.gradscope.lab();
    const root = lab?.shadowRoot;
    const view = lab?.trainingView;
    if (!root || !view) throw new Error("the lab is missing");
    const counter = root.querySelector("gs-training")?.shadowRoot?.querySelector("#train-counter")?.textContent ?? "";
    const chart = root.querySelector("gs-chart");
    return {
      phase: view.phase,
      busy: view.busy,
      steps: view.loss.length,
      records: [...view.records],
      error: view.error,
      counter,
      lossShown: root.querySelector("gs-loss-chart")?.data.loss.length ?? 0,
      chartRecord: chart?.record?.step ?? null,
      caption: chart?.caption ?? null,
    };
  });
}

/** Presses one of the training's buttons. */
async function press(page: Page, action: "play" | "pause" | "step" | "reset"): Promise<void> {
  await page.locator(`gs-training #train-${action}`).click();
}

/** Waits until no advance is in flight (after a pause, a step or the end of the run). */
async function settled(page: Page): Promise<TrainingState> {
  await page.waitForFunction(() => {
    const view = window.gradscope.lab()?.trainingView;
    return view && !view.busy && view.phase !== "playing";
  });
  await page.evaluate(() => window.gradscope.lab()?.updateComplete);
  return trainingState(page);
}

/** Waits until the training has run at least `steps` losses. */
async function atLeast(page: Page, steps: number): Promise<TrainingState> {
  await page.waitForFunction((n) => (window.gradscope.lab()?.trainingView.loss.length ?? 0) >= n, steps, {
    timeout: 60_000,
  });
  return trainingState(page);
}

/** Types a value into a control's number box and commits it. */
async function setNumber(page: Page, field: string, value: string): Promise<void> {
  const input = page.locator(`gs-controls input[id="${field}"]`);
  await input.fill(value);
  await input.dispatchEvent("change");
  await page.evaluate(() => window.gradscope.lab()?.whenIdle());
}

describe("training in the lab", () => {
  let opened: OpenPage;

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    opened = await openBuiltPage(`${SMALL}&steps=100000`);
    await opened.page.evaluate(() => window.gradscope.lab()?.whenIdle());
  });

  afterAll(async () => {
    await opened?.close();
  });

  test("off until play: the single pass as before, the counter at step 0 of the run's steps", async () => {
    const state = await trainingState(opened.page);
    expect(state).toMatchObject({ phase: "off", steps: 0, counter: "step 0 of 100000", chartRecord: null });
    expect(await opened.page.locator("gs-lab gs-loss-chart").count()).toBe(0);
    expect(await opened.page.locator("gs-lab gs-heatmap").count()).toBe(0);
    expect(await opened.page.locator("gs-training #train-pause").isDisabled()).toBe(true);
  });

  test("play advances the step counter and the loss curve; pause stops both", async () => {
    const { page } = opened;
    await press(page, "play");
    const early = await atLeast(page, 5);
    const later = await atLeast(page, early.steps + 20);
    expect(later.phase).toBe("playing");
    await press(page, "pause");
    const paused = await settled(page);
    expect(paused.phase).toBe("paused");
    expect(paused.counter).toBe(`step ${paused.steps - 1} of 100000`);
    expect(paused.lossShown).toBe(paused.steps);
    // The per-layer chart follows the training: the latest record, and a caption saying which step.
    expect(paused.chartRecord).toBe(paused.records.at(-1)?.step);
    expect(paused.caption).toMatch(new RegExp(`^Step ${paused.chartRecord} of 100000: each layer after`));
    await page.waitForTimeout(1000);
    const still = await trainingState(page);
    expect(still.steps).toBe(paused.steps);
    expect(still.counter).toBe(paused.counter);
    expect(still.lossShown).toBe(paused.lossShown);
  });

  test("step advances by exactly one; play after pause continues from there", async () => {
    const { page } = opened;
    const before = await settled(page);
    await press(page, "step");
    const after = await settled(page);
    expect(after.steps).toBe(before.steps + 1);
    expect(after.counter).toBe(`step ${before.steps} of 100000`);
    await press(page, "play");
    const resumed = await atLeast(page, after.steps + 3);
    // Continued, not restarted: the losses seen so far are kept.
    const losses = await page.evaluate(() => window.gradscope.lab()?.trainingView.loss.slice(0, 3));
    expect(losses?.every((v) => v !== null)).toBe(true);
    expect(resumed.phase).toBe("playing");
    await press(page, "pause");
    await settled(page);
  });

  test("reset goes back to step 0 and the single pass", async () => {
    const { page } = opened;
    await press(page, "reset");
    const reset = await trainingState(page);
    expect(reset).toMatchObject({
      phase: "off",
      steps: 0,
      counter: "step 0 of 100000",
      chartRecord: null,
      caption: null,
    });
    expect(await page.locator("gs-lab gs-loss-chart").count()).toBe(0);
    // Step from off: the pass at step 0, then step 1.
    await press(page, "step");
    const one = await settled(page);
    expect(one.counter).toBe("step 1 of 100000");
    expect(one.steps).toBe(2);
  });

  test("changing the depth during play stops the training without an error", async () => {
    const { page } = opened;
    await press(page, "play");
    await atLeast(page, 10);
    await setNumber(page, "depth", "9");
    const stopped = await trainingState(page);
    expect(stopped).toMatchObject({ phase: "off", steps: 0, error: null, chartRecord: null });
    expect(await page.evaluate(() => window.gradscope.lab()?.lastResult?.config.depth)).toBe(9);
    await page.waitForTimeout(500);
    expect((await trainingState(page)).steps).toBe(0);
    expect(opened.errors).toEqual([]);
  });

  test("leaving the page disposes of the training", async () => {
    const { page } = opened;
    await press(page, "play");
    await atLeast(page, 3);
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pagehide")));
    const gone = await trainingState(page);
    expect(gone).toMatchObject({ phase: "off", steps: 0 });
  });

  test("the heatmap has one column per record and one colour scale that covers every value", async () => {
    const { page } = opened;
    await setNumber(page, "train.steps", "250");
    await press(page, "play");
    const done = await (async () => {
      await page.waitForFunction(() => window.gradscope.lab()?.trainingView.phase === "done", null, {
        timeout: 90_000,
      });
      return settled(page);
    })();
    expect(done.steps).toBe(251);
    expect(done.counter).toBe("step 250 of 250");
    // Every 2 steps (250 / 200 rounded up) and the last.
    expect(done.records.map((r) => r.step)).toEqual([...Array.from({ length: 126 }, (_, k) => 2 * k)]);
    for (const metric of ["grad", "update"] as const) {
      await page.locator(`gs-heatmap input[value="${metric}"]`).check();
      const map = await page.evaluate(() => {
        const heatmap = window.gradscope.lab()?.shadowRoot?.querySelector("gs-heatmap");
        return { columns: heatmap?.columns ?? [], scale: heatmap?.scale ?? null, metric: heatmap?.metric };
      });
      expect(map.metric).toBe(metric);
      expect(map.columns.map((c) => c.step)).toEqual(done.records.map((r) => r.step));
      for (const column of map.columns) expect(column.x1 - column.x0, `step ${column.step}`).toBeGreaterThan(1);
      const field = metric === "grad" ? "log10GradRms" : "log10UpdateRatio";
      const values = done.records.flatMap((r) => r[field].slice(1)).filter((v): v is number => v !== null);
      expect(values.length).toBeGreaterThan(0);
      expect(map.scale?.min).toBe(Math.min(...values));
      expect(map.scale?.max).toBe(Math.max(...values));
    }
    // The last step takes no update: its column has no update ratio.
    expect(done.records.at(-1)?.log10UpdateRatio.every((v) => v === null)).toBe(true);
    expect(await page.locator("gs-heatmap .tick").count()).toBeGreaterThan(1);
    expect(await page.locator("gs-training #train-play").isDisabled()).toBe(true);
    await press(page, "reset");
  });

  test("a loss that leaves float32 is marked on the loss curve: loss → ∞ at step k", async () => {
    const { page } = opened;
    await page.locator('gs-controls select[id="activation"]').selectOption("linear");
    await setNumber(page, "train.steps", "40");
    await setNumber(page, "train.learningRate", "10");
    await press(page, "play");
    await page.waitForFunction(() => window.gradscope.lab()?.trainingView.phase === "done", null, { timeout: 60_000 });
    const marker = await page.evaluate(() => {
      const view = window.gradscope.lab()?.trainingView;
      const chart = window.gradscope.lab()?.shadowRoot?.querySelector("gs-loss-chart");
      return { marker: chart?.breakMarker ?? null, first: view?.loss.indexOf(null) ?? -1 };
    });
    expect(marker.first).toBeGreaterThan(0);
    expect(marker.marker).toEqual({ step: marker.first, label: `loss → ∞ at step ${marker.first}` });
    expect(await page.locator("gs-training #train-loss").textContent()).toBe("loss not finite (∞ or NaN)");
    await page.screenshot({ path: `${OUTPUT}/training-loss-infinite.png` });
    await press(page, "reset");
    await page.locator('gs-controls select[id="activation"]').selectOption("tanh");
    await setNumber(page, "train.learningRate", "0.01");
  });

  test("training settings go in the URL and come back on reload and back/forward; bad ones show their error", async () => {
    const { page } = opened;
    await setNumber(page, "train.steps", "300");
    await page.locator('gs-controls select[id="train.optimizer"]').selectOption("adam");
    await page.evaluate(() => window.gradscope.lab()?.whenIdle());
    await setNumber(page, "train.learningRate", "0.003");
    await setNumber(page, "train.beta2", "0.99");
    const search = await page.evaluate(() => location.search);
    expect(search).toContain("steps=300&opt=adam&lr=0.003&beta2=0.99");
    const config = await page.evaluate(() => window.gradscope.lab()?.currentConfig);
    expect(config?.train).toMatchObject({ steps: 300, optimizer: "adam", learningRate: 0.003, beta2: 0.99 });

    await setNumber(page, "train.learningRate", "-1");
    expect(await page.locator('gs-controls [id="train.learningRate-error"]').textContent()).toBe(
      "Learning rate η must be a positive number up to 1000000, got -1",
    );
    expect(await page.evaluate(() => location.search)).toBe(search);
    await setNumber(page, "train.steps", "0");
    expect(await page.locator('gs-controls [id="train.steps-error"]').textContent()).toBe(
      "Steps must be an integer in 1..100000, got 0",
    );
    await setNumber(page, "train.learningRate", "0.003");
    await setNumber(page, "train.steps", "300");

    await page.reload();
    await page.waitForFunction(() => window.gradscope?.lab?.() != null);
    await page.evaluate(() => window.gradscope.lab()?.whenIdle());
    expect(await page.evaluate(() => window.gradscope.lab()?.currentConfig)).toEqual(config);
    expect(await page.locator('gs-controls input[id="train.steps"]').inputValue()).toBe("300");
    expect(await page.locator('gs-controls select[id="train.optimizer"]').inputValue()).toBe("adam");
    expect(await page.locator('gs-controls input[id="train.beta2"]').inputValue()).toBe("0.99");
    // Back: the learning rate before; the optimizer's extra is shown only for its optimizer.
    await page.goBack();
    await page.evaluate(() => window.gradscope.lab()?.whenIdle());
    expect(await page.evaluate(() => window.gradscope.lab()?.currentConfig.train?.beta2)).toBe(0.999);
    await page.locator('gs-controls select[id="train.optimizer"]').selectOption("sgd");
    expect(await page.locator('gs-controls input[id="train.beta2"]').count()).toBe(0);
    await page.locator('gs-controls select[id="train.optimizer"]').selectOption("adam");
    expect(await page.locator('gs-controls input[id="train.beta2"]').inputValue()).toBe("0.999");
  });

  test("a bad training value in the URL gives a notice and the default", async () => {
    const bad = await openBuiltPage(`${SMALL}&steps=0&opt=rmsprop&lr=2`);
    try {
      await bad.page.evaluate(() => window.gradscope.lab()?.whenIdle());
      const notices = await bad.page.locator("gs-lab .notice").allTextContents();
      expect(notices).toEqual([
        'ignored steps="0": train.steps must be an integer in 1..100000; using steps=500',
        'ignored opt="rmsprop": train.optimizer must be one of "sgd", "momentum", "adam"; using opt=sgd',
      ]);
      expect(await bad.page.evaluate(() => window.gradscope.lab()?.currentConfig.train)).toMatchObject({
        steps: 500,
        optimizer: "sgd",
        learningRate: 2,
      });
      expect(bad.errors).toEqual([]);
    } finally {
      await bad.close();
    }
  });

  test("tracked numerics cannot train: the training section says so and its buttons are off", async () => {
    const { page } = opened;
    await page.locator('gs-controls select[id="numerics"]').selectOption("tracked");
    await page.evaluate(() => window.gradscope.lab()?.whenIdle());
    expect(await page.locator("gs-controls #training-note").textContent()).toBe(
      "Training updates stored weights: set Numerics to float32, float16 or bfloat16 to train.",
    );
    expect(await page.locator("gs-training #train-play").isDisabled()).toBe(true);
    expect(await page.locator("gs-training #train-step").isDisabled()).toBe(true);
    expect(await page.evaluate(() => location.search)).not.toContain("steps=");
    // Back to float32: the training settings are still there.
    await page.locator('gs-controls select[id="numerics"]').selectOption("float32");
    await page.evaluate(() => window.gradscope.lab()?.whenIdle());
    expect(await page.evaluate(() => location.search)).toContain("steps=300&opt=adam");
  });

  test("a training preset fills the training controls without playing; play trains it to its end", async () => {
    const { page } = opened;
    await page.locator('gs-presets button[data-preset="train-explode"]').click();
    await page.evaluate(() => window.gradscope.lab()?.whenIdle());
    expect(await page.locator('gs-controls input[id="train.steps"]').inputValue()).toBe("60");
    expect(await page.locator('gs-controls select[id="train.optimizer"]').inputValue()).toBe("sgd");
    expect(await page.locator('gs-controls input[id="train.learningRate"]').inputValue()).toBe("0.01");
    expect(await page.locator('gs-presets button[data-preset="train-explode"]').getAttribute("aria-pressed")).toBe(
      "true",
    );
    const idle = await trainingState(page);
    expect(idle).toMatchObject({ phase: "off", steps: 0, counter: "step 0 of 60" });
    expect(await page.evaluate(() => location.search)).toContain("steps=60");
    await press(page, "play");
    await page.waitForFunction(() => window.gradscope.lab()?.trainingView.phase === "done", null, { timeout: 60_000 });
    const done = await settled(page);
    expect(done.records).toHaveLength(61);
    // Its caption's claim, as the page shows it: the loss overflows from step 1.
    const marker = await page.evaluate(
      () => window.gradscope.lab()?.shadowRoot?.querySelector("gs-loss-chart")?.breakMarker,
    );
    expect(marker?.step).toBe(1);
    await press(page, "reset");
  });

  test("no console errors during any of this", () => {
    expect(opened.errors).toEqual([]);
  });
});

describe("training errors", () => {
  test("a training too big for the GPU says so with its bytes, beside the training controls", async () => {
    // 300 stored weights of 1024² floats are 1.26 GB: over the 1 GiB budget (a single pass draws them as it goes).
    const opened = await openBuiltPage("/?depth=300&width=1024&batch=1");
    try {
      const { page } = opened;
      await press(page, "play");
      await page.waitForFunction(() => window.gradscope.lab()?.trainingView.phase === "failed", null, {
        timeout: 60_000,
      });
      const error = await page.locator("gs-training #train-error").textContent();
      expect(error).toMatch(
        /^Training does not fit: .*needs \d+ bytes of GPU memory, over the limit of 1073741824 bytes/,
      );
      expect(await page.locator("gs-training #train-play").isDisabled()).toBe(false);
      // (The single pass of this config runs on meanwhile: SwiftShader takes minutes over it.)
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("a GPU device lost during training stops it with a message; play starts again on a fresh device", async () => {
    const opened = await openBuiltPage(`${SMALL}&steps=100000`);
    try {
      const { page } = opened;
      await page.evaluate(() => window.gradscope.lab()?.whenIdle());
      await press(page, "play");
      await atLeast(page, 5);
      await page.evaluate(() => window.gradscope.loseGpuDevice());
      await page.waitForFunction(() => window.gradscope.lab()?.trainingView.phase === "failed", null, {
        timeout: 60_000,
      });
      expect(await page.locator("gs-training #train-error").textContent()).toMatch(/^Training stopped: .*lost/);
      // Play again starts over on a fresh device; a change of config clears the message.
      await setNumber(page, "depth", "9");
      expect(await page.locator("gs-training #train-error").count()).toBe(0);
      await press(page, "play");
      const again = await atLeast(page, 5);
      expect(again.error).toBeNull();
      await press(page, "pause");
      await settled(page);
      expect(opened.errors.filter((e) => !/destroy|lost/i.test(e))).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("without WebGPU the training runs on the CPU reference in a worker", async () => {
    const opened = await openBuiltPage(`${SMALL}&steps=20`, { withoutWebGpu: true });
    try {
      const { page } = opened;
      await page.evaluate(() => window.gradscope.lab()?.whenIdle());
      await press(page, "play");
      await page.waitForFunction(() => window.gradscope.lab()?.trainingView.phase === "done", null, {
        timeout: 90_000,
      });
      const state = await settled(page);
      expect(state.counter).toBe("step 20 of 20");
      expect(await page.evaluate(() => window.gradscope.lab()?.trainingView.backend)).toBe("cpu");
      expect(await page.locator("gs-training .phase").textContent()).toBe("done");
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});

describe("training screenshots, half-way through a run", () => {
  for (const [viewport, colorScheme] of [
    [{ width: 1280, height: 860 }, "light"],
    [{ width: 1280, height: 860 }, "dark"],
    [{ width: 1024, height: 768 }, "light"],
    [{ width: 390, height: 844 }, "light"],
    [{ width: 390, height: 844 }, "dark"],
  ] as const) {
    const name = `training-${viewport.width}x${viewport.height}-${colorScheme}`;
    test(`${name}: the charts fit and every caption says what its chart shows`, async () => {
      const opened = await openBuiltPage("/?depth=20&width=32&batch=32&steps=300&lr=0.05", { viewport, colorScheme });
      try {
        const { page } = opened;
        await page.evaluate(() => window.gradscope.lab()?.whenIdle());
        await press(page, "play");
        await atLeast(page, 150);
        await press(page, "pause");
        const state = await settled(page);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
        expect(state.caption).toBe(
          `Step ${state.chartRecord} of 300: each layer after ${state.chartRecord} training steps` +
            (state.chartRecord === state.steps - 1
              ? ""
              : ` (the latest recorded step; the training is at step ${state.steps - 1})`),
        );
        expect(await page.locator("gs-verdict.reading .qualifier").textContent()).toBe("At initialization (step 0): ");
        expect(await page.locator("gs-lab .status .loss").textContent()).toMatch(
          new RegExp(`^loss [\\d.]+ at step ${state.steps - 1}$`),
        );
        await page.screenshot({ path: `${OUTPUT}/${name}.png` });
        // The charts' bottom at the screen's (on a phone the per-layer chart stays at the top).
        await page.evaluate(() =>
          window.gradscope.lab()?.shadowRoot?.querySelector("gs-heatmap")?.scrollIntoView({ block: "end" }),
        );
        await page.screenshot({ path: `${OUTPUT}/${name}-charts.png` });
        await page.locator("gs-training").scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${OUTPUT}/${name}-controls.png` });
        expect(opened.errors).toEqual([]);
      } finally {
        await opened.close();
      }
    });
  }
});
