/**
 * The lab as a person uses it, in Chromium: presets, controls, the chart's data and markers, the
 * URL, a browser without WebGPU, hostile URLs. Screenshots of every preset go to tests/output/.
 */
import { mkdirSync } from "node:fs";
import type { Page } from "playwright";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunConfig } from "../../src/core/config";
import { PRESET_GROUPS, PRESETS } from "../../src/core/presets";
import type { RunResult } from "../../src/core/result";
import { meanField } from "../../src/core/theory";
import { formatExponent, verdict } from "../../src/core/verdict";
import { superscriptPowers } from "../../src/ui/chart-model";
import { type OpenPage, openBuiltPage } from "../support/page";

const OUTPUT = "tests/output";

interface LabState {
  config: RunConfig;
  result: RunResult | null;
  markers: { layer: number; label: string }[];
  act: (number | null)[];
  search: string;
  text: string;
}

/** Waits for the lab to finish its runs, then reads what it shows. */
async function labState(page: Page): Promise<LabState> {
  await page.evaluate(() => window.gradscope.lab()?.whenIdle());
  return page.evaluate(() => {
    /** Text of a node and every shadow root below it, as a person reads the page. */
    const deepText = (node: Node): string => {
      if (node.nodeType === Node.TEXT_NODE) return node.textContent ?? "";
      const element = node as Element;
      const children = [...(element.shadowRoot?.childNodes ?? []), ...node.childNodes];
      return children.map(deepText).join(" ");
    };
    const lab = window.gradscope.lab();
    const chart = lab?.shadowRoot?.querySelector("gs-chart");
    if (!lab || !chart) throw new Error("the lab or its chart is missing");
    return {
      config: lab.currentConfig,
      result: lab.lastResult,
      markers: chart.markers,
      act: chart.data.act,
      search: location.search,
      text: deepText(lab).replace(/\s+/g, " "),
    };
  });
}

async function clickPreset(page: Page, id: string): Promise<LabState> {
  await page.locator(`gs-presets button[data-preset="${id}"]`).click();
  return labState(page);
}

/** Types a value into a control's number box and commits it, as a person pressing Enter would. */
async function setNumber(page: Page, field: string, value: string): Promise<LabState> {
  const input = page.locator(`gs-controls input[id="${field}"]`);
  await input.fill(value);
  await input.dispatchEvent("change");
  return labState(page);
}

async function select(page: Page, field: string, value: string): Promise<LabState> {
  await page.locator(`gs-controls select[id="${field}"]`).selectOption(value);
  return labState(page);
}

const markerAt = (state: LabState, layer: number, text: RegExp) =>
  state.markers.some((m) => m.layer === layer && text.test(m.label));

describe("the lab", () => {
  let opened: OpenPage;

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    opened = await openBuiltPage();
    await labState(opened.page);
  });

  afterAll(async () => {
    await opened?.close();
  });

  test("the lecture presets draw every gradient; in float32 1.5·I overflows at 219 and 0.5·I reaches all zeros", async () => {
    const { page } = opened;
    const explode = await clickPreset(page, "explode");
    expect(explode.config).toMatchObject({
      depth: 300,
      width: 2,
      activation: "linear",
      init: { scheme: "identity", scale: 1.5 },
      target: "gaussian",
      numerics: "tracked",
    });
    // Tracked: the whole curve, the gradient at every layer, and a marker where float32 would overflow.
    expect(explode.result?.log10GradRms.every((v) => v !== null)).toBe(true);
    expect(explode.act[300]).toBeCloseTo(300 * Math.log10(1.5), 3);
    expect(markerAt(explode, 219, /activation leaves float32 range \(overflow\)/)).toBe(true);
    expect(explode.text).toContain("a float32 pass would overflow at layer 219 (activations)");
    const explode32 = await select(page, "numerics", "float32");
    expect(explode32.result?.firstNonFinite.forward).toBe(219);
    expect(markerAt(explode32, 219, /float32 overflow/i)).toBe(true);
    expect(explode32.act[100]).toBeCloseTo(100 * Math.log10(1.5), 4);
    expect(explode32.act[219]).toBeNull();

    const vanish = await clickPreset(page, "vanish");
    expect(vanish.result?.log10GradRms.every((v) => v !== null)).toBe(true);
    expect(markerAt(vanish, 127, /activation leaves float32 range \(underflow\)/)).toBe(true);
    expect(vanish.text).toContain(
      "Gradient at layer 1 is 10⁻⁹⁰·⁰ of the gradient at layer 300, past the 3 decades that count as vanishing",
    );
    const vanish32 = await select(page, "numerics", "float32");
    const zeroLayer = vanish32.result?.firstAllZero.forward as number;
    expect(zeroLayer).toBe(vanish32.result?.subnormals === "flushed" ? 127 : 150);
    expect(markerAt(vanish32, zeroLayer, /zero/i)).toBe(true);
  });

  test("the float16 lecture presets mark where float16 breaks: overflow at 28, zeros from 25", async () => {
    const { page } = opened;
    const explode = await clickPreset(page, "float16-explode");
    expect(explode.config).toMatchObject({ depth: 40, init: { scheme: "identity", scale: 1.5 }, numerics: "float16" });
    expect(explode.result?.firstNonFinite).toEqual({ forward: 28, backward: 40 });
    expect(markerAt(explode, 28, /float16 overflow \(forward\)/)).toBe(true);
    expect(explode.text).toContain("a float16 pass overflows at layer 28 (activations)");
    const vanish = await clickPreset(page, "float16-vanish");
    // float16's subnormals are normal float32 numbers on the GPU: kept on every device.
    expect(vanish.result?.subnormals).toBe("kept");
    expect(markerAt(vanish, 25, /all zero \(forward\)/)).toBe(true);
    const bfloat = await select(page, "numerics", "bfloat16");
    expect(bfloat.result?.config.numerics).toBe("bfloat16");
    expect(bfloat.result?.firstAllZero.forward).toBeNull();
  });

  test("every preset renders; screenshots in tests/output/", async () => {
    const { page } = opened;
    const cures = new Set(PRESET_GROUPS.map((group) => group.cure.id));
    for (const preset of PRESETS) {
      const state = await clickPreset(page, preset.id);
      expect(state.result, preset.id).not.toBeNull();
      expect(state.text).toContain(superscriptPowers(preset.caption));
      // The GPU's run reads as the caption says: a cure is stable, a problem is not, and draws every gradient
      // (but float16's problems, which show where float16 breaks the chain: no gradient passes that layer).
      const reading = verdict(state.result as RunResult);
      if (cures.has(preset.id)) expect(reading.kind, preset.id).toBe("stable");
      else {
        expect(reading.kind, preset.id).toMatch(/^(exploding|vanishing)$/);
        expect(
          preset.config.numerics === "float16" || state.result?.log10GradRms.every((v) => v !== null),
          preset.id,
        ).toBe(true);
      }
      await page.screenshot({ path: `${OUTPUT}/preset-${preset.id}.png`, fullPage: true });
    }
  });

  test("depth, activation and init controls change the chart accordingly", async () => {
    const { page } = opened;
    await clickPreset(page, "xavier-tanh");
    const deeper = await setNumber(page, "depth", "120");
    expect(deeper.config.depth).toBe(120);
    expect(deeper.act).toHaveLength(121);
    // The status line says how the run fit GPU memory.
    expect(deeper.text).toMatch(/last run \d+ ms on webgpu \d+(\.\d)? MiB of GPU memory/);

    const relu = await select(page, "activation", "relu");
    expect(relu.config.activation).toBe("relu");
    expect(relu.result?.config.activation).toBe("relu");
    expect(relu.act).not.toEqual(deeper.act);

    const identity = await select(page, "init.scheme", "identity");
    expect(identity.config.init).toEqual({ scheme: "identity", scale: 1 });
    const scaled = await setNumber(page, "init.scale", "1.1");
    expect(scaled.config.init).toEqual({ scheme: "identity", scale: 1.1 });
    // relu(1.1·a) = 1.1·relu(a) once a is non-negative: activations grow ×1.1 per layer from layer 1.
    expect((scaled.act[101] as number) - (scaled.act[1] as number)).toBeCloseTo(100 * Math.log10(1.1), 3);

    const slider = page.locator('gs-controls input[data-field="depth"]');
    await slider.fill("500");
    const dragged = await labState(page);
    expect(dragged.config.depth).toBeGreaterThan(30);
    expect(dragged.act).toHaveLength(dragged.config.depth + 1);
  });

  test("a narrow net with a larger batch draws the reference's curves, with its histograms", async () => {
    const { page } = opened;
    await clickPreset(page, "xavier-tanh");
    await setNumber(page, "width", "16");
    const state = await setNumber(page, "batch", "64");
    expect(state.config).toMatchObject({ width: 16, batch: 64, numerics: "float32", biasSigma: 0 });
    // The per-example path, histograms and all: weights, forward, backward, weight gradients, reduction.
    expect(state.result?.dispatches).toBe(5);
    expect(state.result?.histograms?.act).toHaveLength(state.config.depth + 1);
    const cpu = await page.evaluate((config) => window.gradscope.run(config, { backend: "cpu" }), state.config);
    for (const series of ["log10ActRms", "log10GradRms", "log10WeightGradNorm"] as const) {
      const shown = state.result?.[series] ?? [];
      expect(shown).toHaveLength(state.config.depth + 1);
      shown.forEach((value, l) => {
        const want = cpu[series][l];
        if (want === null || want === undefined) expect(value, `${series}[${l}]`).toBeNull();
        else expect(Math.abs((value as number) - want), `${series}[${l}]`).toBeLessThan(1e-4);
      });
    }
    expect(state.act).toEqual(state.result?.log10ActRms);
    await page.screenshot({ path: `${OUTPUT}/per-example-16x64.png`, fullPage: true });
  });

  test("an invalid value shows the API's message in the words on screen and keeps the last run", async () => {
    const { page } = opened;
    const before = await clickPreset(page, "he-relu");
    const after = await setNumber(page, "depth", "0");
    expect(after.config).toEqual(before.config);
    await expect
      .poll(() => page.locator("gs-controls #depth-error").textContent())
      .toBe("Depth L (layers) must be an integer in 1..4096, got 0");
    const fixed = await setNumber(page, "depth", "40");
    expect(fixed.config.depth).toBe(40);
    expect(await page.locator("gs-controls #depth-error").count()).toBe(0);
  });

  test("while one field is invalid another still applies, and every error shows", async () => {
    const { page } = opened;
    const before = await clickPreset(page, "he-relu");
    await setNumber(page, "depth", "0");
    const gain = await setNumber(page, "init.gain", "-2");
    expect(gain.config).toEqual(before.config);
    const wider = await setNumber(page, "width", "24");
    expect(wider.config).toEqual({ ...before.config, width: 24 });
    expect(await page.locator("gs-controls #depth-error").textContent()).toMatch(/^Depth L \(layers\) must be/);
    expect(await page.locator("gs-controls [id='init.gain-error']").textContent()).toBe(
      "Gain k must be 0 or a number in [1e-20, 1000000], got -2",
    );
    // Nothing refused entered the URL.
    expect(wider.search).not.toMatch(/depth=0|gain=-2/);
    await setNumber(page, "depth", "300");
    await setNumber(page, "init.gain", "1");
  });

  test("a config refused for capacity enters neither the URL nor the history", async () => {
    const { page } = opened;
    const before = await clickPreset(page, "orthogonal-linear");
    const entries = await page.evaluate(() => history.length);
    // 300 orthogonal layers of 2048² floats are 5 GB: refused before anything is allocated.
    const refused = await setNumber(page, "width", "2048");
    expect(refused.text).toMatch(/needs \d+ bytes of GPU memory, over the limit/);
    expect(refused.search).toBe(before.search);
    expect(await page.evaluate(() => history.length)).toBe(entries);
    const fits = await setNumber(page, "width", "32");
    expect(fits.search).toContain("width=32");
    expect(await page.evaluate(() => history.length)).toBe(entries + 1);
  });

  test("one arrow key on a slider runs the chain once and adds one history entry", async () => {
    const { page } = opened;
    await clickPreset(page, "xavier-tanh");
    const before = await page.evaluate(() => ({
      runs: window.gradscope.lab()?.completedRuns ?? 0,
      entries: history.length,
    }));
    await page.locator('gs-controls input[type="range"][data-field="depth"]').focus();
    await page.keyboard.press("ArrowRight");
    const after = await labState(page);
    expect(after.config.depth).not.toBe(300);
    const counts = await page.evaluate(() => ({
      runs: window.gradscope.lab()?.completedRuns ?? 0,
      entries: history.length,
    }));
    expect(counts).toEqual({ runs: before.runs + 1, entries: before.entries + 1 });
    // The next change is a new entry, not a replacement of this one.
    await setNumber(page, "width", "40");
    expect(await page.evaluate(() => history.length)).toBe(before.entries + 2);
  });

  test("switching the init scheme and back keeps each scheme's parameter", async () => {
    const { page } = opened;
    await clickPreset(page, "he-relu");
    await setNumber(page, "init.gain", "1.3");
    const identity = await select(page, "init.scheme", "identity");
    expect(identity.config.init).toEqual({ scheme: "identity", scale: 1 });
    await setNumber(page, "init.scale", "0.7");
    const back = await select(page, "init.scheme", "he_normal");
    expect(back.config.init).toEqual({ scheme: "he_normal", gain: 1.3 });
    const again = await select(page, "init.scheme", "identity");
    expect(again.config.init).toEqual({ scheme: "identity", scale: 0.7 });
  });

  test("reseed changes the curve and nothing else", async () => {
    const { page } = opened;
    const before = await clickPreset(page, "he-relu");
    await page.locator("gs-controls #reseed").click();
    const after = await labState(page);
    expect(after.config.seed).not.toBe(before.config.seed);
    expect({ ...after.config, seed: 0 }).toEqual({ ...before.config, seed: 0 });
    expect(after.act).not.toEqual(before.act);
    // Changing anything else keeps the seed.
    const wider = await setNumber(page, "width", "48");
    expect(wider.config.seed).toBe(after.config.seed);
  });

  test("the URL round-trips the state through reload and back/forward", async () => {
    const { page } = opened;
    const first = await clickPreset(page, "vanish");
    expect(first.search).toContain("scale=0.5");
    const second = await setNumber(page, "depth", "200");
    expect(second.search).toContain("depth=200");
    await page.reload();
    await page.waitForFunction(() => typeof window.gradscope?.lab === "function" && window.gradscope.lab() !== null);
    const reloaded = await labState(page);
    expect(reloaded.config).toEqual(second.config);
    await page.goBack();
    const back = await labState(page);
    expect(back.config).toEqual(first.config);
    expect(back.act).toHaveLength(301);
    await page.goForward();
    const forward = await labState(page);
    expect(forward.config).toEqual(second.config);
  });

  test("exports name the config, say what the CSV holds, and keep a non-finite loss", async () => {
    const { page } = opened;
    const save = async (id: string) => {
      const [download] = await Promise.all([page.waitForEvent("download"), page.locator(`gs-lab #${id}`).click()]);
      const path = await download.path();
      return { name: download.suggestedFilename(), bytes: (await import("node:fs")).readFileSync(path) };
    };
    await clickPreset(page, "explode");
    const explode = await select(page, "numerics", "float32");
    const csv = await save("export-csv");
    const seed = explode.config.seed; // an earlier test may have reseeded
    expect(csv.name).toBe(
      `gradscope-L300-n2-B1-linear-identity1.5-bias0-resnone-normnone-xones-ygaussian-float32-seed${seed}.csv`,
    );
    const lines = csv.bytes.toString("utf8").trim().split("\n");
    const comments = lines.filter((line) => line.startsWith("#"));
    expect(comments[0]).toContain(
      "depth 300 · width 2 · batch 1 · linear · identity s = 1.5 · bias σ 0 · residual none · norm none · input ones",
    );
    expect(JSON.parse(comments[1]?.replace("# config: ", "") ?? "")).toEqual(explode.config);
    expect(comments[2]).toBe("# loss: not finite (float32 overflow)");
    const rows = lines.slice(comments.length);
    expect(rows[0]).toBe("layer,log10_act_rms,log10_grad_rms,log10_weight_grad_rms,log10_weight_grad_norm");
    expect(rows).toHaveLength(302);
    expect(Number(rows[101]?.split(",")[1])).toBeCloseTo(explode.act[100] as number, 10);
    // From layer 219 a_l overflowed: "nonfinite", not an empty cell that could mean zero.
    expect(rows[220]?.split(",")[1]).toBe("nonfinite");
    expect(rows[1]?.split(",")[3]).toBe(""); // layer 0 has no weight gradient
    const json = JSON.parse((await save("export-json")).bytes.toString("utf8"));
    expect(json.firstNonFinite.forward).toBe(219);
    expect(json.loss).toBe("not finite (float32 overflow)");
    // The legend of the PNG lists only what is drawn: no measured gradient is finite here (the predicted one is).
    const drawn = await page.evaluate(() =>
      window.gradscope.lab()?.shadowRoot?.querySelector("gs-chart")?.drawnSeries(),
    );
    expect(drawn).toEqual(["act", "actPredicted", "gradPredicted"]);
    const png = await save("export-png");
    expect([...png.bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(png.name).toBe(
      `gradscope-L300-n2-B1-linear-identity1.5-bias0-resnone-normnone-xones-ygaussian-float32-seed${seed}.png`,
    );

    await clickPreset(page, "vanish");
    const vanish = await select(page, "numerics", "float32");
    const zeroCsv = await save("export-csv");
    expect(zeroCsv.name).toBe(
      `gradscope-L300-n2-B1-linear-identity0.5-bias0-resnone-normnone-xones-ygaussian-float32-seed${seed}.csv`,
    );
    const zeros = zeroCsv.bytes.toString("utf8").trim().split("\n");
    const zeroLayer = vanish.result?.firstAllZero.forward as number;
    const zeroRow = zeros.find((line) => line.startsWith(`${zeroLayer},`));
    expect(zeroRow?.split(",")[1]).toBe("zero");
  });

  test("residual connections and normalization: set with the controls, run, kept in the URL, restored on reload", async () => {
    const { page } = opened;
    await clickPreset(page, "he-relu");
    await setNumber(page, "depth", "100");
    await setNumber(page, "width", "32");
    const sqrtDepth = page.locator("gs-controls #residual-sqrt-depth");
    // Switched on, α starts at 1/√L, and the 1/√L button is pressed: α follows the depth.
    const on = await select(page, "residualMode", "on");
    expect(on.config.residual).toBe(0.1);
    expect(on.result?.config.residual).toBe(0.1);
    expect(on.search).toContain("residual=0.1");
    expect(await sqrtDepth.getAttribute("aria-pressed")).toBe("true");
    expect(
      await page.locator('gs-controls input[type="range"][data-field="residual"]').getAttribute("aria-valuetext"),
    ).toBe("α = 0.1");
    const deeper = await setNumber(page, "depth", "400");
    expect(deeper.config).toMatchObject({ depth: 400, residual: 0.05 });
    expect(deeper.act).toHaveLength(401);
    // Another α stops following; the button sets 1/√L again.
    const typed = await setNumber(page, "residual", "0.3");
    expect(await sqrtDepth.getAttribute("aria-pressed")).toBe("false");
    expect((await setNumber(page, "depth", "100")).config.residual).toBe(typed.config.residual);
    await sqrtDepth.click();
    const back = await labState(page);
    expect(back.config.residual).toBe(0.1);
    // Off and on again: α is remembered (here, that it follows the depth).
    expect((await select(page, "residualMode", "off")).config.residual).toBeNull();
    expect(await page.locator('gs-controls input[id="residual"]').count()).toBe(0);
    await setNumber(page, "depth", "64");
    expect((await select(page, "residualMode", "on")).config.residual).toBe(0.125);

    const normed = await select(page, "norm", "batch");
    expect(normed.config).toMatchObject({ depth: 64, residual: 0.125, norm: "batch" });
    expect(normed.result?.config).toMatchObject({ residual: 0.125, norm: "batch" });
    expect(normed.search).toContain("residual=0.125");
    expect(normed.search).toContain("norm=batch");
    // The GPU's layered path runs them: no fallback to the CPU.
    expect(normed.result?.backend).toBe("webgpu");
    expect(normed.text).not.toMatch(/WebGPU unavailable/);
    await page.screenshot({ path: `${OUTPUT}/residual-batch-norm-controls.png`, fullPage: true });

    // An α the config refuses, in the words on screen; the last valid α keeps running.
    const refused = await setNumber(page, "residual", "11");
    expect(refused.config).toEqual(normed.config);
    expect(await page.locator("gs-controls #residual-error").textContent()).toBe(
      "Residual α must be a number in [0, 10] (or Residual connections off), got 11",
    );
    await setNumber(page, "residual", "0.125");

    await page.reload();
    await page.waitForFunction(() => typeof window.gradscope?.lab === "function" && window.gradscope.lab() !== null);
    const reloaded = await labState(page);
    expect(reloaded.config).toEqual(normed.config);
    expect(await page.locator('gs-controls select[id="residualMode"]').inputValue()).toBe("on");
    expect(await page.locator('gs-controls input[id="residual"]').inputValue()).toBe("0.125");
    expect(await page.locator('gs-controls select[id="norm"]').inputValue()).toBe("batch");
    expect(await sqrtDepth.getAttribute("aria-pressed")).toBe("true");
  });

  test("the residual and norm presets follow their captions: α = 1/√L follows the depth", async () => {
    const { page } = opened;
    // The GPU's rounding moves the decades of these chaotic chains; each stays within its caption's words
    // (checked on the reference's draws in tests/core/presets.test.ts).
    const captionWords: [string, (ratio: number) => boolean][] = [
      ["plain-tanh-200", (ratio) => Math.abs(ratio - 58) < 1.5],
      ["residual-alpha-1", (ratio) => ratio > 14],
      ["residual-sqrt-depth", (ratio) => Math.abs(ratio) < 1],
      ["layer-norm-tanh", (ratio) => ratio > 6],
      ["batch-norm-explodes", (ratio) => Math.abs(ratio - 6) < 0.5],
      ["norm-in-residual", (ratio) => formatExponent(ratio) === "0.1"],
    ];
    for (const [id, holds] of captionWords) {
      const state = await clickPreset(page, id);
      const reading = verdict(state.result as RunResult);
      expect(state.result?.backend, id).toBe("webgpu");
      expect(holds(reading.gradientRatioLog10 as number), `${id}: 10^${reading.gradientRatioLog10}`).toBe(true);
      if (id === "plain-tanh-200")
        expect(Math.abs((reading.float32Limit?.layer as number) - 70)).toBeLessThanOrEqual(5);
    }
    const cure = await clickPreset(page, "residual-sqrt-depth");
    expect(cure.config.residual).toBe(1 / Math.sqrt(200));
    expect(await page.locator("gs-controls #residual-sqrt-depth").getAttribute("aria-pressed")).toBe("true");
    const deeper = await setNumber(page, "depth", "50");
    expect(deeper.config.residual).toBe(1 / Math.sqrt(50));
    expect(verdict(deeper.result as RunResult).kind).toBe("stable");
    const normed = await clickPreset(page, "batch-norm-explodes");
    expect(normed.config).toMatchObject({ batch: 8, norm: "batch", residual: null });
    // Every a_l at RMS 1, and the gradient 10^6 at layer 1.
    for (const value of normed.act.slice(1)) expect(Math.abs(value as number)).toBeLessThan(0.005);
    expect(verdict(normed.result as RunResult).gradientRatioLog10).toBeGreaterThan(5);
  });

  test("exports carry residual α and the norm in the file name, the CSV's comments and the PNG's header", async () => {
    const { page } = opened;
    const save = async (id: string) => {
      const [download] = await Promise.all([page.waitForEvent("download"), page.locator(`gs-lab #${id}`).click()]);
      return {
        name: download.suggestedFilename(),
        text: (await import("node:fs")).readFileSync(await download.path()),
      };
    };
    const state = await clickPreset(page, "norm-in-residual");
    const stem =
      "gradscope-L200-n64-B32-tanh-normal1-bias0-res0.07071067811865475-normlayer-xgaussian-ygaussian-float32-seed1";
    const csv = await save("export-csv");
    expect(csv.name).toBe(`${stem}.csv`);
    const comments = csv.text
      .toString("utf8")
      .split("\n")
      .filter((line) => line.startsWith("#"));
    expect(comments[0]).toContain("bias σ 0 · residual α = 1/√200 · norm layer · input gaussian");
    expect(JSON.parse(comments[1]?.replace("# config: ", "") ?? "")).toEqual(state.config);
    expect((await save("export-json")).name).toBe(`${stem}.json`);
    // The PNG's header lines, as the lab hands them to the chart.
    await page.evaluate(() => {
      const chart = window.gradscope.lab()?.shadowRoot?.querySelector("gs-chart");
      if (!chart) throw new Error("the chart is missing");
      const toPNG = chart.toPNG.bind(chart);
      chart.toPNG = (title, lines) => {
        (window as unknown as { pngLines: unknown }).pngLines = lines;
        return toPNG(title, lines);
      };
    });
    expect((await save("export-png")).name).toBe(`${stem}.png`);
    const lines = await page.evaluate(() => (window as unknown as { pngLines: string[] }).pngLines);
    expect(lines[0]).toBe(comments[0]?.replace(/^# gradscope run on \w+: /, ""));
  });

  test("the benchmark panel measures this GPU's peak and the quick sweep", async () => {
    const { page } = opened;
    await page.locator("gs-lab details summary").click();
    await page.locator("gs-bench #run-bench").click();
    await page.waitForFunction(
      () => {
        const bench = window.gradscope.lab()?.shadowRoot?.querySelector("gs-bench");
        return bench !== null && bench !== undefined && !bench.results.running && bench.results.rows.length > 0;
      },
      undefined,
      { timeout: 110_000 },
    );
    const results = await page.evaluate(() => window.gradscope.lab()?.shadowRoot?.querySelector("gs-bench")?.results);
    expect(results?.peak?.gflops).toBeGreaterThan(0);
    // The quick sweep: depth 10, 100, 1000, 4096 at width 2 (fused: the Xavier weights' draw,
    // forward, backward, reduction) and more.
    const rows = results?.rows ?? [];
    const sweep = rows.filter((row) => row.group !== "presets");
    const fused = sweep.filter((row) => row.path === "fused");
    expect(fused.map((row) => row.label)).toContain("L 4096, n 2, B 1");
    expect(fused.every((row) => row.dispatches === 4)).toBe(true);
    expect(rows.every((row) => row.gpuMs > 0 && row.gflops > 0 && row.bytes > 0)).toBe(true);
    // The presets first, then each axis in order, its rows sorted by the size they vary.
    expect(rows.slice(0, 2).map((row) => row.group)).toEqual(["presets", "presets"]);
    expect(sweep.filter((row) => row.group === "depth").map((row) => row.label)).toEqual([
      "L 10, n 2, B 1",
      "L 100, n 2, B 1",
      "L 1000, n 2, B 1",
      "L 4096, n 2, B 1",
    ]);
    expect(await page.locator("gs-bench tbody tr.row").count()).toBe(rows.length);
    // Each text node apart, so that cells do not run together ("120.0" then "0.0205" is not "0.00").
    const text = await page.evaluate(() => {
      const root = window.gradscope.lab()?.shadowRoot?.querySelector("gs-bench")?.shadowRoot;
      if (!root) return "";
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      const parts: string[] = [];
      while (walker.nextNode()) parts.push(walker.currentNode.textContent ?? "");
      return parts.join(" ").replace(/\s+/g, " ");
    });
    expect(text).toMatch(/a lecture preset's run takes [\d.]+ ms and a wide preset's \d+ ms of GPU time/);
    expect(text).toContain("6·L·n²·B flops of a forward and backward pass over GPU ms");
    expect(text).toMatch(
      /(a redraw every frame of the screen|about \d+ redraws a second|a redraw every [\d.]+ s) for the lecture/,
    );
    expect(text).not.toMatch(/0\.00\b/);
    await page.screenshot({ path: `${OUTPUT}/bench-panel.png`, fullPage: true });
  }, 150_000);

  test("theory: predicted curves dashed and toggled in the legend, χ₁ in the panel, the phase diagram moves the config; no model, the reason", async () => {
    const { page } = opened;
    await clickPreset(page, "xavier-tanh");
    await setNumber(page, "depth", "50");
    await select(page, "init.scheme", "gaussian");
    await setNumber(page, "init.sigma", "1.5");
    const state = await setNumber(page, "biasSigma", "0.3");
    expect(state.config).toMatchObject({
      activation: "tanh",
      init: { scheme: "gaussian", sigma: 1.5 },
      biasSigma: 0.3,
    });
    const theory = state.result?.theory;
    expect(theory?.model).toBe("mean-field");
    const chart = () =>
      page.evaluate(() => {
        const element = window.gradscope.lab()?.shadowRoot?.querySelector("gs-chart");
        return { predicted: element?.data.actPredicted, drawn: element?.drawnSeries() };
      });
    expect((await chart()).predicted).toEqual(theory?.log10ActRms);
    expect((await chart()).drawn).toEqual(["act", "grad", "weightGrad", "actPredicted", "gradPredicted"]);
    const legendEntry = page.locator("gs-chart .u-legend th", { hasText: "predicted gradient RMS" });
    await legendEntry.click();
    expect((await chart()).drawn).toEqual(["act", "grad", "weightGrad", "actPredicted"]);
    expect(await legendEntry.getAttribute("aria-pressed")).toBe("false");
    await legendEntry.click();
    expect((await chart()).drawn).toContain("gradPredicted");

    // The panel's χ₁ and q* are meanField's at σ_w² = 2.25, σ_b² = 0.09; the verdict compares the slopes.
    const field = meanField("tanh", 2.25, 0.09);
    const facts = await page.locator("gs-theory dd").allTextContents();
    expect(facts[1]).toMatch(new RegExp(`^${Number(field.chi1.toPrecision(3))}: the gradient's RMS grows ×`));
    expect(facts[2]).toBe(String(Number(field.qStar.toPrecision(3))));
    expect(facts[5]).toMatch(/^chaotic \(χ₁ > 1\): gradients explode, 3 decades every \d+ layers$/);
    expect(state.text).toMatch(/Mean field predicts gradients ×[\d.]+ per layer backward, measured ×[\d.]+ \(/);

    // The diagram's plot area spans σ_w 0..4 and σ_b 0..1: hover reads a point, a click runs it.
    const plane = page.locator("gs-phase-diagram .plane");
    await plane.scrollIntoViewIfNeeded();
    const frame = await page.locator("gs-phase-diagram rect.frame").boundingBox();
    if (!frame) throw new Error("the phase diagram's frame is missing");
    const at = (sigmaW: number, sigmaB: number) => ({
      x: frame.x + (sigmaW / 4) * frame.width,
      y: frame.y + (1 - sigmaB) * frame.height,
    });
    const hover = at(2, 0.5);
    await page.mouse.move(hover.x, hover.y);
    const chiThere = Number(meanField("tanh", 4, 0.25).chi1.toPrecision(3));
    await expect
      .poll(() => page.locator("gs-phase-diagram #readout").textContent())
      .toBe(`σ_w 2.00, σ_b 0.50: χ₁ ${chiThere}, chaotic; click to run it`);
    await page.screenshot({ path: `${OUTPUT}/theory-panel-hover.png`, fullPage: true });
    const runs = await page.evaluate(() => window.gradscope.lab()?.completedRuns ?? 0);
    const target = at(2.5, 0.5);
    await page.mouse.click(target.x, target.y);
    const picked = await labState(page);
    const { init, biasSigma } = picked.config;
    expect(init.scheme).toBe("gaussian");
    const sigma = (init as { sigma: number }).sigma;
    expect(Math.abs(sigma - 2.5)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(biasSigma - 0.5)).toBeLessThanOrEqual(0.02);
    expect(picked.result?.config).toEqual(picked.config);
    expect(await page.evaluate(() => window.gradscope.lab()?.completedRuns ?? 0)).toBeGreaterThan(runs);
    expect(picked.search).toContain(`sigma=${sigma}`);
    expect(picked.search).toContain(`bias=${biasSigma}`);
    expect(await page.locator('gs-controls input[id="init.sigma"]').inputValue()).toBe(String(sigma));
    // The keyboard moves the point too, one step of 0.05 a key.
    await plane.focus();
    await page.keyboard.press("ArrowLeft");
    const left = await labState(page);
    expect((left.config.init as { sigma: number }).sigma).toBeCloseTo(sigma - 0.05, 10);
    await page.keyboard.press("ArrowUp");
    expect((await labState(page)).config.biasSigma).toBeCloseTo(biasSigma + 0.05, 10);
    await page.screenshot({ path: `${OUTPUT}/theory-panel.png`, fullPage: true });

    // Layer norm: no model, and the panel says why; no predicted curve nor its legend entry.
    const normed = await select(page, "norm", "layer");
    expect(normed.result?.theory).toBeNull();
    expect(await page.locator("gs-theory #theory-absent").textContent()).toMatch(
      /^No prediction for this config: no model here covers layer norm/,
    );
    expect((await chart()).drawn).toEqual(["act", "grad", "weightGrad"]);
    expect(await legendEntry.isVisible()).toBe(false);
    expect(normed.text).not.toContain("predicts");
    await page.screenshot({ path: `${OUTPUT}/theory-panel-no-model.png`, fullPage: true });

    // Batch norm over this batch: its own model, with the growth λ per layer in the panel and the verdict.
    const batched = await select(page, "norm", "batch");
    expect(batched.config.batch).toBeGreaterThanOrEqual(6);
    const batchTheory = batched.result?.theory;
    expect(batchTheory?.model).toBe("mean-field-batchnorm");
    expect((await chart()).predicted).toEqual(batchTheory?.log10ActRms);
    const panel = page.locator("gs-theory #theory-reading");
    await expect.poll(() => panel.textContent()).toMatch(/mean field with batch norm/);
    expect(await panel.textContent()).toContain(
      `×${Number(Math.sqrt(batchTheory?.chi1 as number).toPrecision(3))} per layer backward from layer ${batched.config.depth - 1} down to layer 1`,
    );
    expect(batched.text).toMatch(
      /Mean field \(batch norm\) predicts gradients ×[0-9.]+ per layer backward, measured ×[0-9.]+/,
    );
    // The diagram reads the config's weights as a plain chain, and says so (the pointer off the diagram).
    await page.mouse.move(0, 0);
    await expect
      .poll(() => page.locator("gs-phase-diagram #readout").textContent())
      .toMatch(/^This config's weights in a plain chain, without its batch norm: σ_w/);
    await page.screenshot({ path: `${OUTPUT}/theory-panel-batch-norm.png`, fullPage: true });
    await select(page, "norm", "none");
  });

  test("no console errors during any of this", () => {
    expect(opened.errors).toEqual([]);
  });
});

describe("the lab in unusual browsers", () => {
  test("without WebGPU it runs on the CPU and says so", async () => {
    const opened = await openBuiltPage("/?depth=120&width=16&batch=8", { withoutWebGpu: true });
    try {
      const state = await labState(opened.page);
      expect(state.result?.backend).toBe("cpu");
      expect(state.text).toMatch(/WebGPU unavailable/);
      expect(state.act).toHaveLength(121);
      // A slow CPU run reports its progress from the worker.
      const width = opened.page.locator(`gs-controls input[id="width"]`);
      await width.fill("600");
      await width.dispatchEvent("change");
      await opened.page.waitForFunction(() => {
        const bar = window.gradscope.lab()?.shadowRoot?.querySelector("progress");
        return bar instanceof HTMLProgressElement && bar.value > 0;
      });
      const explode = await clickPreset(opened.page, "explode");
      expect(explode.result?.backend).toBe("cpu");
      expect(explode.result?.log10GradRms.every((v) => v !== null)).toBe(true);
      expect(explode.text).toContain("a float32 pass would overflow at layer 219 (activations)");
      await opened.page.screenshot({ path: `${OUTPUT}/no-webgpu.png`, fullPage: true });
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("on a phone in the dark colour scheme every control stays reachable", async () => {
    const opened = await openBuiltPage("/?depth=120&width=16&batch=8&residual=0.5", {
      viewport: { width: 390, height: 844 },
      colorScheme: "dark",
    });
    try {
      const state = await labState(opened.page);
      expect(state.result).not.toBeNull();
      // One column: nothing wider than the screen, and each control can take the keyboard focus.
      const overflow = await opened.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const ids = ["depth", "width", "batch", "activation", "init.scheme", "residualMode", "residual"];
      for (const id of [...ids, "residual-sqrt-depth", "norm", "seed", "numerics", "reseed"]) {
        const control = opened.page.locator(`gs-controls [id="${id}"]`);
        await control.focus();
        expect(await control.evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement), id).toBe(true);
      }
      await opened.page.screenshot({ path: `${OUTPUT}/phone-dark.png`, fullPage: true });
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("the lab's run right after a GPU device loss gets a fresh device", async () => {
    const opened = await openBuiltPage("/?depth=40&width=8&batch=4");
    try {
      const first = await labState(opened.page);
      expect(first.result?.backend).toBe("webgpu");
      // The loss and the next request in one go: the run starts before `device.lost` has settled.
      await opened.page.evaluate(async () => {
        await window.gradscope.loseGpuDevice();
        const controls = window.gradscope.lab()?.shadowRoot?.querySelector("gs-controls");
        const depth = controls?.shadowRoot?.querySelector<HTMLInputElement>('input[id="depth"]');
        if (!depth) throw new Error("the depth box is missing");
        depth.value = "41";
        depth.dispatchEvent(new Event("change"));
      });
      const recovered = await labState(opened.page);
      expect(recovered.result?.backend).toBe("webgpu");
      expect(recovered.act).toHaveLength(42);
      expect(recovered.text).not.toMatch(/WebGPU unavailable/);
      expect(opened.errors.filter((e) => !/destroy|lost/i.test(e))).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("a run of many minutes is given up as soon as the user changes the config", async () => {
    // 6·L·n²·B = 3.2e12 flops: about twenty minutes on SwiftShader, and checkpointed (2 GB of
    // activations). Changing the width must not wait for it.
    const opened = await openBuiltPage("/?depth=500&width=1024&batch=1024");
    try {
      await opened.page.waitForFunction(() => window.gradscope.lab()?.shadowRoot?.querySelector(".busy"));
      const state = await setNumber(opened.page, "width", "16");
      expect(state.config.width).toBe(16);
      expect(state.result?.config.width).toBe(16);
      expect(state.act).toHaveLength(501);
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("a slow run says what is running, fades the older chart, and can be cancelled", async () => {
    const heavy = "/?depth=500&width=1024&batch=1024";
    const opened = await openBuiltPage(heavy);
    try {
      const { page } = opened;
      // The first run: no "no run yet" while it computes, but what it is.
      await page.waitForFunction(() => window.gradscope.lab()?.shadowRoot?.querySelector("#cancel-run"));
      const lab = page.locator("gs-lab");
      expect(await lab.locator(".running").textContent()).toContain("running depth 500 · width 1024 · batch 1024");
      expect(await lab.locator("gs-chart .empty").textContent()).toMatch(/^Running depth 500 · width 1024/);
      // The GPU reports each chunk of the long run: a progress bar fills.
      await page.waitForFunction(() => {
        const bar = window.gradscope.lab()?.shadowRoot?.querySelector("progress");
        return bar instanceof HTMLProgressElement && bar.value > 0;
      });
      await lab.locator("#cancel-run").click();
      await page.evaluate(() => window.gradscope.lab()?.whenIdle());
      expect(await lab.locator("#cancel-run").count()).toBe(0);

      // With a result on screen, a slow new config fades it until it is cancelled: then the
      // controls go back to the chart's config and the URL keeps it.
      const small = await setNumber(page, "width", "16");
      expect(small.result?.config.width).toBe(16);
      const search = small.search;
      await page.locator('gs-controls input[id="width"]').fill("1024");
      await page.locator('gs-controls input[id="width"]').dispatchEvent("change");
      await page.waitForFunction(() => window.gradscope.lab()?.shadowRoot?.querySelector("#cancel-run"));
      expect(await lab.locator("gs-chart").getAttribute("stale")).not.toBeNull();
      await lab.locator("#cancel-run").click();
      const after = await labState(page);
      expect(after.config.width).toBe(16);
      expect(await page.locator('gs-controls input[id="width"]').inputValue()).toBe("16");
      expect(after.search).toBe(search);
      expect(await lab.locator("gs-chart").getAttribute("stale")).toBeNull();
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("hostile URL parameters leave a working page with a visible notice", async () => {
    const hostile =
      "/?depth=1e99&width=NaN&batch=-3&act=%3Cscript%3Ealert(1)%3C%2Fscript%3E&init=__proto__&seed=4294967296" +
      "&numerics=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&bias=Infinity&unknown=1&scale=abc";
    const opened = await openBuiltPage(hostile);
    try {
      let dialogs = 0;
      opened.page.on("dialog", (dialog) => {
        dialogs++;
        void dialog.dismiss();
      });
      const state = await labState(opened.page);
      expect(state.config).toMatchObject({ depth: 50, width: 64, batch: 64, activation: "tanh", numerics: "float32" });
      expect(state.result).not.toBeNull();
      expect(state.text).toMatch(/depth/);
      expect(await opened.page.locator("gs-lab img, gs-lab script").count()).toBe(0);
      expect(dialogs).toBe(0);
      await opened.page.screenshot({ path: `${OUTPUT}/hostile-url.png`, fullPage: true });
      await opened.page.locator("gs-lab #dismiss-notices").click();
      expect(await opened.page.locator("gs-lab .notice").count()).toBe(0);
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
