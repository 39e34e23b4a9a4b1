/** <gs-chart> in Chromium: data, markers, float32 band, legend toggles, hover read-out, PNG export, 4096 layers. */
import type uPlot from "uplot";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { cdp, commands, page } from "vitest/browser";
import { type PartialConfig, validateConfig } from "../../src/core/config";
import { lectureConfig } from "../../src/core/presets";
import { runReference } from "../../src/core/reference";
import type { RunResult } from "../../src/core/result";
import { superscriptPowers } from "../../src/ui/chart-model";
import "../../src/ui/gs-chart";
import type { GsChart } from "../../src/ui/gs-chart";

const mounted: HTMLElement[] = [];

function reference(config: PartialConfig): RunResult {
  return runReference(validateConfig(config), { subnormals: "flushed" });
}

/** A <gs-chart> of the given width showing a result, drawn. */
async function mountChart(result: RunResult, width = 900): Promise<GsChart> {
  const box = document.createElement("div");
  box.style.width = `${width}px`;
  box.style.padding = "8px";
  document.body.append(box);
  mounted.push(box);
  const chart = document.createElement("gs-chart");
  box.append(chart);
  chart.result = result;
  await chart.updateComplete;
  expect(chart.uplot, "uPlot instance after the first draw").not.toBeNull();
  return chart;
}

/** Waits for the next animation frame (uPlot commits some updates on one). */
function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

function legendRows(chart: GsChart): HTMLTableRowElement[] {
  return [...(chart.shadowRoot?.querySelectorAll<HTMLTableRowElement>(".legend tr.u-series") ?? [])];
}

function legendValues(chart: GsChart): string[] {
  return legendRows(chart).map((row) => row.querySelector(".u-value")?.textContent ?? "");
}

beforeAll(async () => {
  await page.viewport(1000, 900);
});

afterEach(() => {
  for (const box of mounted.splice(0)) box.remove();
});

describe("gs-chart", () => {
  test("plots the result's arrays and marks float32 overflow at 219 for 1.5·I", async () => {
    const result = reference(lectureConfig(1.5, 300));
    expect(result.firstNonFinite.forward).toBe(219);
    const chart = await mountChart(result);
    expect(chart.data.layers).toEqual(Array.from({ length: 301 }, (_, l) => l));
    expect(chart.data.act).toEqual(result.log10ActRms);
    expect(chart.data.grad).toEqual(result.log10GradRms);
    expect(chart.data.weightGrad).toEqual(result.log10WeightGradRms);
    expect(chart.uplot?.data[1]).toEqual(result.log10ActRms);
    expect(chart.markers).toContainEqual(
      expect.objectContaining({ layer: 219, label: "float32 overflow (forward) at 219" }),
    );
    expect(chart.markers).toContainEqual(
      expect.objectContaining({ layer: 300, label: "float32 overflow (backward) at 300" }),
    );
    const label = chart.shadowRoot?.querySelector("#summary")?.textContent ?? "";
    expect(label).toMatch(/^Per-layer magnitudes for 300 layers/);
    expect(label).toContain("activation RMS from 10 to the 0 at layer 0 to 10 to the 38.39 at layer 218");
    expect(label).toContain("float32 overflow (forward) at 219");
    await page.screenshot({ element: chart, path: "../output/chart-lecture-1.5-float32.png" });
  });

  test("marks float16 overflow at 28 for 1.5·I in float16, named for its format", async () => {
    const result = reference({ ...lectureConfig(1.5, 40), numerics: "float16" });
    const chart = await mountChart(result);
    expect(chart.markers).toContainEqual(
      expect.objectContaining({ layer: 28, label: "float16 overflow (forward) at 28" }),
    );
    expect(chart.markers).toContainEqual(
      expect.objectContaining({ layer: 40, label: "float16 overflow (backward) at 40" }),
    );
    expect(chart.markers.some((m) => m.label.includes("float32"))).toBe(false);
    expect(chart.shadowRoot?.querySelector("#summary")?.textContent).toContain("40 layers, float16 numerics");
  });

  test("marks where 0.5·I's activations flush to all zero", async () => {
    const result = reference(lectureConfig(0.5, 300));
    const zero = result.firstAllZero.forward;
    expect(zero).not.toBeNull();
    const chart = await mountChart(result);
    expect(chart.markers).toContainEqual(
      expect.objectContaining({ layer: zero, label: `all zero (forward) at ${zero}` }),
    );
    expect(chart.markers.some((m) => m.label.startsWith("float32 overflow"))).toBe(false);
    await page.screenshot({ element: chart, path: "../output/chart-lecture-0.5-float32.png" });
  });

  test("tracked 1.5·I at depth 2000: no overflow marker, leaves float32 range at 219, band drawn", async () => {
    const result = reference({ ...lectureConfig(1.5, 2000), numerics: "tracked" });
    expect(result.firstNonFinite).toEqual({ forward: null, backward: null });
    const chart = await mountChart(result);
    expect(chart.markers.some((m) => m.label.includes("float32 overflow"))).toBe(false);
    const leaves = chart.markers.filter((m) => m.label.includes("activation leaves float32 range"));
    expect(leaves.map((m) => m.layer)).toEqual([219]);
    // ∂ℓ/∂a_L = a_L = 1.5^2000·x is past float32's top already at layer L, where the backward pass starts.
    const gradient = chart.markers.filter((m) => m.label.includes("gradient leaves float32 range"));
    expect(gradient).toEqual([expect.objectContaining({ layer: 2000, label: expect.stringContaining("(overflow)") })]);
    // The y scale reaches the tracked maximum (10^704 for the gradient) without overflowing.
    const yMax = chart.uplot?.scales.y?.max ?? 0;
    expect(yMax).toBeGreaterThan(Math.max(...result.log10GradRms.map((v) => v ?? 0)));
    await page.screenshot({ element: chart, path: "../output/chart-lecture-1.5-tracked-2000.png" });
  });

  test("tracked 0.5·I: leaves float32 range below at 126, screenshot", async () => {
    const result = reference({ ...lectureConfig(0.5, 1000), numerics: "tracked" });
    const chart = await mountChart(result, 520);
    const leaves = chart.markers.filter((m) => m.label.includes("activation leaves float32 range"));
    // RMS of (0.5^l, 0.5^l) = 2^-l drops below 2^-126 at l = 127.
    expect(leaves).toEqual([expect.objectContaining({ layer: 127, label: expect.stringContaining("(underflow)") })]);
    // ∂ℓ/∂a_l = 0.5^(2L−l)·x: below float32's range from layer L = 1000 down.
    const gradient = chart.markers.filter((m) => m.label.includes("gradient leaves float32 range"));
    expect(gradient).toEqual([expect.objectContaining({ layer: 1000, label: expect.stringContaining("(underflow)") })]);
    await page.screenshot({ element: chart, path: "../output/chart-lecture-0.5-tracked-1000-narrow.png" });
  });

  test("the legend toggles a series by click and by keyboard", async () => {
    const chart = await mountChart(reference({ ...lectureConfig(1.5, 300), numerics: "tracked" }));
    const rows = legendRows(chart);
    expect(rows).toHaveLength(6); // layer read-out + three series + two predicted
    const actLabel = rows[1]?.querySelector("th") as HTMLElement;
    expect(actLabel.textContent).toContain("activation RMS");
    expect(chart.seriesVisible("act")).toBe(true);
    actLabel.click();
    expect(chart.seriesVisible("act")).toBe(false);
    expect(chart.seriesVisible("grad")).toBe(true);
    expect(actLabel.getAttribute("aria-pressed")).toBe("false");
    actLabel.focus();
    actLabel.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(chart.seriesVisible("act")).toBe(true);
    expect(actLabel.getAttribute("aria-pressed")).toBe("true");
    expect(actLabel.tabIndex).toBe(0);
  });

  test("draws the theory's predicted curves dashed in their measured series' colours, toggled from the legend; none without a theory", async () => {
    const result = reference({
      depth: 40,
      width: 64,
      batch: 8,
      init: { scheme: "gaussian", sigma: 1.5 },
      biasSigma: 0.3,
    });
    const chart = await mountChart(result);
    const u = chart.uplot!;
    expect(chart.data.actPredicted).toEqual(result.theory?.log10ActRms);
    expect(chart.data.gradPredicted).toEqual(result.theory?.log10GradRms);
    // uPlot keeps a series' stroke as a function of the plot and the series' index.
    const stroke = (i: number) => ((u.series[i] as uPlot.Series).stroke as (u: uPlot, i: number) => string)(u, i);
    expect(stroke(4)).toBe(stroke(1));
    expect(stroke(5)).toBe(stroke(2));
    expect(u.series[4]?.dash?.length).toBe(2);
    expect(u.series[1]?.dash).toBeUndefined();
    const rows = legendRows(chart);
    expect(rows.map((row) => getComputedStyle(row).display !== "none")).toEqual([true, true, true, true, true, true]);
    expect(rows[4]?.querySelector(".u-marker")?.getAttribute("style")).toContain("dashed");
    expect(chart.drawnSeries()).toEqual(["act", "grad", "weightGrad", "actPredicted", "gradPredicted"]);
    const summary = () => chart.shadowRoot?.querySelector("#summary")?.textContent ?? "";
    expect(summary()).toContain("; dashed, mean field (wide Gaussian layers): predicted activation RMS from");
    await page.screenshot({ element: chart, path: "../output/chart-predicted-tanh-1.5-0.3.png" });
    const toggle = (i: number) => (rows[i] as HTMLTableRowElement).querySelector("th")?.click();
    toggle(5);
    toggle(4);
    await chart.updateComplete;
    expect(chart.seriesVisible("gradPredicted")).toBe(false);
    expect(chart.drawnSeries()).toEqual(["act", "grad", "weightGrad"]);
    expect(summary()).not.toContain("dashed");
    toggle(4);
    await chart.updateComplete;
    expect(summary()).toContain("; dashed, mean field (wide Gaussian layers): predicted activation RMS from");
    // A layer-norm chain has no theory: no predicted curve and no legend entry for one.
    chart.result = reference({ depth: 40, width: 64, batch: 8, norm: "layer" });
    await chart.updateComplete;
    expect(chart.data.actPredicted.every((v) => v === null)).toBe(true);
    const shownRows = legendRows(chart).map((row) => getComputedStyle(row).display !== "none");
    expect(shownRows).toEqual([true, true, true, true, false, false]);
    expect(summary()).not.toContain("dashed");
  });

  test("the hover read-out shows the layer and each series as 10ˣ (superscript, as the axis) at the cursor", async () => {
    const result = reference({ ...lectureConfig(1.5, 300), numerics: "tracked" });
    const chart = await mountChart(result);
    const u = chart.uplot!;
    const rect = u.over.getBoundingClientRect();
    const clientX = rect.left + u.valToPos(100, "x");
    const clientY = rect.top + rect.height / 2;
    u.over.dispatchEvent(new MouseEvent("mouseenter", { clientX, clientY, bubbles: true }));
    u.over.dispatchEvent(new MouseEvent("mousemove", { clientX, clientY, bubbles: true }));
    await nextFrame();
    expect(u.cursor.idx).toBe(100);
    const expected = (x: number | null | undefined) =>
      x === null || x === undefined ? "—" : superscriptPowers(`10^${x.toPrecision(4)}`);
    expect(legendValues(chart)).toEqual([
      "100",
      expected(result.log10ActRms[100]),
      expected(result.log10GradRms[100]),
      expected(result.log10WeightGradRms[100]),
      expected(result.theory?.log10ActRms[100]),
      expected(result.theory?.log10GradRms[100]),
    ]);
    expect(legendValues(chart)[1]).toBe("10¹⁷·⁶¹"); // 100·log10(1.5) = 17.609
    await page.screenshot({ element: chart, path: "../output/chart-hover-layer-100.png" });
    // Layer 0 has no weight gradient: "—".
    u.setCursor({ left: u.valToPos(0, "x"), top: rect.height / 2 });
    await nextFrame();
    expect(legendValues(chart)[0]).toBe("0");
    expect(legendValues(chart)[3]).toBe("—");
  });

  test("a training record replaces the result's layers, with its caption and markers; null goes back", async () => {
    const result = reference({ depth: 8, width: 4, batch: 2 });
    const chart = await mountChart(result);
    const act = result.log10ActRms.map((v, l) => (l >= 6 ? null : (v as number) + 1));
    const grad = result.log10GradRms.map((v, l) => (l <= 2 ? null : v));
    const record = {
      step: 5,
      log10ActRms: act,
      log10GradRms: grad,
      log10WeightGradRms: result.log10WeightGradRms,
      log10UpdateRatio: result.log10WeightGradRms,
    };
    chart.record = record;
    chart.caption = "Step 5 of 10: each layer after 5 training steps";
    await chart.updateComplete;
    expect(chart.data.act).toEqual(act);
    expect(chart.data.grad).toEqual(grad);
    expect(chart.markers.map((m) => m.label)).toEqual([
      "0 or not finite (backward) at 2",
      "0 or not finite (forward) at 6",
    ]);
    expect(chart.shadowRoot?.querySelector("#caption")?.textContent).toBe(chart.caption);
    expect(chart.shadowRoot?.querySelector("#summary")?.textContent).toMatch(
      /^Per-layer magnitudes after 5 training steps, 8 layers; /,
    );
    chart.record = null;
    chart.caption = null;
    await chart.updateComplete;
    expect(chart.data.act).toEqual(result.log10ActRms);
    expect(chart.markers).toEqual([]);
    expect(chart.shadowRoot?.querySelector("#caption")).toBeNull();
  });

  test("follows a switch to the dark colour scheme", async () => {
    const chart = await mountChart(reference({ ...lectureConfig(0.5, 1000), numerics: "tracked" }));
    const session = cdp() as unknown as { send(method: string, params: object): Promise<unknown> };
    const dark = { features: [{ name: "prefers-color-scheme", value: "dark" }] };
    try {
      await session.send("Emulation.setEmulatedMedia", dark);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await chart.updateComplete;
      expect(getComputedStyle(chart).getPropertyValue("--gs-act").trim()).toBe("#56b4e9");
      const swatch = legendRows(chart)[1]?.querySelector<HTMLElement>(".u-marker");
      expect(swatch?.style.background).toBe("rgb(86, 180, 233)"); // the legend was rebuilt in the dark palette
      await page.screenshot({ element: chart, path: "../output/chart-dark-0.5-tracked.png" });
    } finally {
      await session.send("Emulation.setEmulatedMedia", { features: [] });
    }
  });

  test("the values are reachable without hover: arrow keys move a read-out through the layers", async () => {
    const result = reference({ ...lectureConfig(1.5, 300), numerics: "tracked" });
    const chart = await mountChart(result);
    const plot = chart.shadowRoot?.querySelector<HTMLElement>('[role="slider"]') as HTMLElement;
    expect(plot.tabIndex).toBe(0);
    plot.focus();
    const press = async (key: string) => {
      plot.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
      await chart.updateComplete;
      await nextFrame();
    };
    await press("End");
    expect(plot.getAttribute("aria-valuenow")).toBe("300");
    await press("PageDown");
    await press("ArrowRight");
    await press("ArrowLeft");
    await press("ArrowLeft");
    expect(plot.getAttribute("aria-valuenow")).toBe("289");
    const act = (result.log10ActRms[289] as number).toPrecision(4);
    const spoken = (values: readonly (number | null)[] = []) => (values[289] as number).toPrecision(4);
    expect(plot.getAttribute("aria-valuetext")).toBe(
      `layer 289: activation RMS 10 to the ${act}, gradient RMS 10 to the ${spoken(result.log10GradRms)}, ` +
        `weight-gradient RMS 10 to the ${spoken(result.log10WeightGradRms)}, ` +
        `predicted activation RMS 10 to the ${spoken(result.theory?.log10ActRms)}, ` +
        `predicted gradient RMS 10 to the ${spoken(result.theory?.log10GradRms)}`,
    );
    // The legend follows the keyboard as it follows the mouse.
    expect(chart.uplot?.cursor.idx).toBe(289);
    expect(legendValues(chart)[1]).toBe(superscriptPowers(`10^${act}`));
  });

  test("toPNG returns a non-empty PNG", async () => {
    const chart = await mountChart(reference(lectureConfig(1.5, 300)));
    const blob = await chart.toPNG();
    expect(blob.type).toBe("image/png");
    expect(blob.size).toBeGreaterThan(2000);
    const signature = new Uint8Array(await blob.slice(0, 8).arrayBuffer());
    expect([...signature]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const base64 = btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
    await commands.writeFile("tests/output/chart-export.png", base64, "base64");
  });

  test("toPNG wraps its legend into rows on a narrow chart: five entries, none cut off", async () => {
    const result = reference({ depth: 20, width: 16, batch: 4 });
    const narrow = await mountChart(result, 360);
    const wide = await mountChart(result, 900);
    const legendHeight = async (chart: GsChart) => {
      const bitmap = await createImageBitmap(await chart.toPNG("gradscope", []));
      return bitmap.height - (chart.uplot?.ctx.canvas.height ?? 0);
    };
    expect(narrow.drawnSeries()).toHaveLength(5);
    // Title and legend strip: the wide chart's legend is one row of 28 px, the narrow one's at least three.
    expect((await legendHeight(narrow)) - (await legendHeight(wide))).toBeGreaterThanOrEqual(2 * 28);
  });

  test("a new result of another depth redraws with setData and re-ranges the x scale", async () => {
    const chart = await mountChart(reference(lectureConfig(1.5, 300)));
    const first = chart.uplot;
    chart.result = reference(lectureConfig(0.9, 50));
    chart.result = reference(lectureConfig(0.9, 80)); // a burst: one draw
    await chart.updateComplete;
    expect(chart.uplot).toBe(first);
    expect(chart.uplot?.scales.x?.max).toBe(80);
    expect(chart.uplot?.data[0]).toHaveLength(81);
    chart.result = null;
    await chart.updateComplete;
    expect(chart.uplot).toBeNull();
  });

  test("follows the host's width, shorter on narrow screens", async () => {
    const chart = await mountChart(reference(lectureConfig(1.5, 300)), 900);
    expect(chart.uplot?.width).toBe(900);
    expect(chart.uplot?.height).toBe(360);
    (chart.parentElement as HTMLElement).style.width = "360px";
    await nextFrame();
    await nextFrame();
    expect(chart.uplot?.width).toBe(360);
    expect(chart.uplot?.height).toBe(240);
  });

  test("4096 layers render", async () => {
    const result = reference({ ...lectureConfig(1.01, 4096), numerics: "tracked" });
    const started = performance.now();
    const chart = await mountChart(result);
    const elapsed = performance.now() - started;
    expect(chart.data.layers).toHaveLength(4097);
    expect(chart.uplot?.scales.x?.max).toBe(4096);
    expect(elapsed).toBeLessThan(2000);
    const redraw = performance.now();
    chart.uplot?.redraw();
    expect(performance.now() - redraw).toBeLessThan(200);
    await page.screenshot({ element: chart, path: "../output/chart-4096-tracked.png" });
  });
});
