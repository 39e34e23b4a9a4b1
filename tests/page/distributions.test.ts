/**
 * The lab's distributions view (<gs-distributions>) in Chromium: it draws each run's histograms, its
 * toggle switches tensors, the hover and keyboard read-outs give a known cell's count, a float32
 * overflow and underflow show in their rows, a saturating tanh net and a ReLU net with dead units
 * show in the strips, and a deep net's layers are summed per pixel. Screenshots go to tests/output/.
 */
import { mkdirSync } from "node:fs";
import type { Page } from "playwright";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DistributionRow } from "../../src/ui/distributions-model";
import { type OpenPage, openBuiltPage } from "../support/page";

const OUTPUT = "tests/output";

interface ViewState {
  tensor: string;
  depth: number;
  layersPerColumn: number;
  columns: number;
  span: { min: number; max: number } | null;
  zeros: number[];
  nonFinite: number[];
  readout: string;
  saturated: (number | null)[];
  dead: (number | null)[];
}

/** Loads a config's URL in the open page, waits for its run and the view's draw, and reads the view. */
async function show(page: Page, search: string): Promise<ViewState> {
  await page.evaluate((query) => {
    history.pushState(null, "", query);
    window.dispatchEvent(new PopStateEvent("popstate"));
  }, search);
  return viewState(page);
}

async function viewState(page: Page): Promise<ViewState> {
  await page.evaluate(() => window.gradscope.lab()?.whenIdle());
  await page.evaluate(() => window.gradscope.lab()?.shadowRoot?.querySelector("gs-distributions")?.updateComplete);
  return page.evaluate(() => {
    const view = window.gradscope.lab()?.shadowRoot?.querySelector("gs-distributions");
    const grid = view?.grid;
    const histograms = window.gradscope.lab()?.lastResult?.histograms;
    if (!view || !grid || !histograms) throw new Error("the distributions view has not drawn");
    return {
      tensor: view.tensor,
      depth: grid.depth,
      layersPerColumn: grid.layersPerColumn,
      columns: grid.columns,
      span: grid.span,
      zeros: grid.zeros,
      nonFinite: grid.nonFinite,
      readout: view.readout,
      saturated: histograms.saturated,
      dead: histograms.dead,
    };
  });
}

/** Moves the mouse onto a cell of the map and returns the read-out. */
async function hover(page: Page, layer: number, row: DistributionRow | { binade: number }): Promise<string> {
  const point = await page.evaluate(
    ([l, r]) => {
      const view = window.gradscope.lab()?.shadowRoot?.querySelector("gs-distributions");
      const canvas = view?.shadowRoot?.querySelector("canvas.map");
      const at = view?.pointOf(l, r);
      if (!canvas || !at) return null;
      const box = canvas.getBoundingClientRect();
      return { x: box.left + at.x, y: box.top + at.y };
    },
    [layer, row] as const,
  );
  if (!point) throw new Error(`no cell at layer ${layer}, row ${JSON.stringify(row)}`);
  await page.locator("gs-distributions canvas.map").scrollIntoViewIfNeeded();
  const again = await page.evaluate(
    ([l, r]) => {
      const view = window.gradscope.lab()?.shadowRoot?.querySelector("gs-distributions");
      const box = view?.shadowRoot?.querySelector("canvas.map")?.getBoundingClientRect();
      const at = view?.pointOf(l, r);
      return box && at ? { x: box.left + at.x, y: box.top + at.y } : null;
    },
    [layer, row] as const,
  );
  await page.mouse.move(again?.x ?? point.x, again?.y ?? point.y);
  return (await page.locator("gs-distributions #distributions-readout").textContent()) ?? "";
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.locator("gs-distributions").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${OUTPUT}/distributions-${name}.png` });
}

describe("the distributions view", () => {
  let opened: OpenPage;

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    opened = await openBuiltPage("/");
  });

  afterAll(async () => {
    await opened?.close();
  });

  test("draws the default run's activations, one column per layer, and its toggle shows the gradients", async () => {
    const { page } = opened;
    const act = await viewState(page);
    expect(act).toMatchObject({ tensor: "act", depth: 50, layersPerColumn: 1, columns: 51 });
    expect(act.span).not.toBeNull();
    // A healthy tanh net: no entry saturated anywhere.
    expect(Math.max(...act.saturated.map((v) => v ?? 0))).toBeLessThan(0.05);
    await screenshot(page, "xavier-tanh-act");
    await page.locator('gs-distributions input[value="grad"]').check();
    const grad = await viewState(page);
    expect(grad.tensor).toBe("grad");
    expect(grad.span).not.toEqual(act.span);
    expect(await page.locator("gs-distributions #distributions-title").textContent()).toContain("∂ℓ/∂aₗ");
    await screenshot(page, "xavier-tanh-grad");
    await page.locator('gs-distributions input[value="act"]').check();
    expect((await viewState(page)).tensor).toBe("act");
  });

  test("s·I on ones puts all n·B entries of a_l in binade ⌊log₂ sˡ⌋: the hover read-out says so", async () => {
    const { page } = opened;
    const state = await show(page, "/?depth=40&width=4&batch=2&act=linear&init=identity&scale=1.5&input=ones");
    expect(state.columns).toBe(41);
    for (const layer of [0, 7, 40]) {
      const binade = Math.floor(layer * Math.log2(1.5));
      const text = await hover(page, layer, { binade });
      expect(text).toContain(`layer ${layer} ·`);
      expect(text).toContain(`2${superscriptText(binade)} ≤ |aₗ| < 2${superscriptText(binade + 1)}`);
      expect(text).toContain("8 of 8 entries (100 %)");
      // A binade beside it holds none of them.
      expect(await hover(page, layer, { binade: layer === 0 ? 1 : binade - 1 })).toContain("0 of 8 entries (0 %)");
    }
    expect(await hover(page, 3, { binade: 1 })).toContain("(2–4)");
    // A linear net has no saturation strips.
    expect(await hover(page, 3, "zero")).toBe("layer 3 · zero: 0 of 8 entries (0 %)");
  });

  test("the keyboard moves through layers and rows, and the slider says the cell in words", async () => {
    const { page } = opened;
    await show(page, "/?depth=40&width=4&batch=2&act=linear&init=identity&scale=1.5&input=ones");
    const map = page.locator("gs-distributions canvas.map");
    await map.focus();
    expect(await map.getAttribute("aria-valuetext")).toMatch(/^layer 0 · 2 to the 0 ≤ \|aₗ\| < 2 to the 1 .*8 of 8/);
    for (let i = 0; i < 7; i++) await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    expect(await map.getAttribute("aria-valuenow")).toBe("7");
    expect(await map.getAttribute("aria-valuetext")).toMatch(/^layer 7 · 2 to the 2 ≤ .*0 of 8 entries/);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    expect(await map.getAttribute("aria-valuetext")).toBe("layer 7 · zero: 0 of 8 entries (0 %)");
    await page.keyboard.press("End");
    expect(await map.getAttribute("aria-valuenow")).toBe("40");
  });

  test("1.5·I in float32 overflows at layer 219 and 0.5·I underflows to zeros: both show in their rows", async () => {
    const { page } = opened;
    const explode = await show(
      page,
      "/?depth=300&width=2&batch=1&act=linear&init=identity&scale=1.5&input=ones&target=gaussian",
    );
    expect(explode.nonFinite.slice(0, 219).every((count) => count === 0)).toBe(true);
    expect(explode.nonFinite.slice(219).every((count) => count === 2)).toBe(true);
    expect(await hover(page, 250, "nonFinite")).toContain("layer 250 · not finite (∞ or NaN): 2 of 2 entries (100 %)");
    await screenshot(page, "explode-float32");
    await page.locator('gs-distributions input[value="grad"]').check();
    // The loss is not finite: so is every gradient.
    expect((await viewState(page)).nonFinite.every((count) => count === 2)).toBe(true);
    await page.locator('gs-distributions input[value="act"]').check();

    const tracked = await show(
      page,
      "/?depth=300&width=2&batch=1&act=linear&init=identity&scale=1.5&input=ones&target=gaussian&numerics=tracked",
    );
    expect(tracked.nonFinite.every((count) => count === 0)).toBe(true);
    expect(tracked.span?.max).toBe(Math.floor(300 * Math.log2(1.5)));
    await screenshot(page, "explode-tracked");

    const vanish = await show(
      page,
      "/?depth=300&width=2&batch=1&act=linear&init=identity&scale=0.5&input=ones&target=gaussian",
    );
    const zeroLayer = vanish.zeros.findIndex((count) => count > 0);
    expect([127, 150]).toContain(zeroLayer);
    expect(vanish.zeros.slice(zeroLayer).every((count) => count === 2)).toBe(true);
    expect(await hover(page, 280, "zero")).toContain("layer 280 · zero: 2 of 2 entries (100 %)");
    await screenshot(page, "vanish-float32");
  });

  test("a tanh net with weights 40× Xavier's: RMS near 1, but nearly every entry saturated", async () => {
    const { page } = opened;
    const state = await show(page, "/?depth=50&act=tanh&init=gaussian&sigma=40");
    const result = await page.evaluate(() => window.gradscope.lab()?.lastResult?.log10ActRms ?? []);
    expect(Math.abs(result[50] as number)).toBeLessThan(0.05);
    for (const fraction of state.saturated.slice(1)) expect(fraction).toBeGreaterThan(0.9);
    // Nearly every entry of a_50 is within a factor 2 of 1: in [1/2, 1), or rounded to 1 in float32.
    const justUnder = await hover(page, 50, { binade: -1 });
    expect(justUnder).toMatch(/^layer 50 · 2⁻¹ ≤ \|aₗ\| < 2⁰ \(0\.5–1\): \d+ of 4096 entries .* · saturated 9\d/);
    const one = await hover(page, 50, { binade: 0 });
    expect(one).toMatch(/^layer 50 · 2⁰ ≤ \|aₗ\| < 2¹ \(1–2\): \d+ of 4096 entries/);
    expect(percentIn(justUnder) + percentIn(one)).toBeGreaterThan(90);
    expect(await hover(page, 50, "saturated")).toMatch(/^layer 50 · saturated 9\d(\.\d+)? %, dead units \d/);
    await screenshot(page, "saturating-tanh");
    // The preset of plain randn weights: RMS 0.94, entries at ±1, most of them saturated.
    const naive = await show(page, "/?depth=300&act=tanh&init=normal&sigma=1&numerics=tracked");
    expect(Math.min(...naive.saturated.slice(1).map((v) => v ?? 0))).toBeGreaterThan(0.5);
    await screenshot(page, "naive-tanh");
  });

  test("zooming the line chart into some layers zooms the map's columns with it; a double click zooms out", async () => {
    const { page } = opened;
    await show(page, "/?depth=100&act=tanh&init=xavier_normal");
    /** Page x of layer l's column on the map, and on the chart. */
    const positions = (layer: number) =>
      page.evaluate((l) => {
        const lab = window.gradscope.lab()?.shadowRoot;
        const view = lab?.querySelector("gs-distributions");
        const canvas = view?.shadowRoot?.querySelector("canvas.map")?.getBoundingClientRect();
        const plot = lab?.querySelector("gs-chart")?.uplot;
        if (!view || !canvas || !plot) throw new Error("the view or the chart has not drawn");
        return {
          map: canvas.left + (view.pointOf(l, "zero")?.x ?? Number.NaN),
          chart: plot.over.getBoundingClientRect().left + plot.valToPos(l, "x"),
        };
      }, layer);
    const over = page.locator("gs-chart .u-over");
    await over.scrollIntoViewIfNeeded();
    const box = await over.boundingBox();
    if (!box) throw new Error("the chart's plot has no box");
    // Drag from layer 20 to layer 40 on the chart.
    await page.mouse.move(box.x + 0.2 * box.width, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 0.3 * box.width, box.y + box.height / 2, { steps: 4 });
    await page.mouse.move(box.x + 0.4 * box.width, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await viewState(page);
    const zoomed = await page.evaluate(
      () => window.gradscope.lab()?.shadowRoot?.querySelector("gs-chart")?.uplot?.scales.x,
    );
    expect(zoomed?.min).toBeGreaterThan(15);
    expect(zoomed?.max).toBeLessThan(45);
    const middle = await positions(30);
    expect(Math.abs(middle.map - middle.chart)).toBeLessThanOrEqual(1);
    await screenshot(page, "zoomed");
    await over.dblclick();
    await viewState(page);
    const whole = await positions(80);
    expect(Math.abs(whole.map - whole.chart)).toBeLessThanOrEqual(1);
  });

  test("a ReLU net with biases N(0, 1): dead units show in their strip", async () => {
    const { page } = opened;
    const state = await show(page, "/?depth=50&act=relu&init=he_normal&bias=1");
    expect(state.dead[50]).toBeGreaterThan(0.2);
    const text = await hover(page, 50, "dead");
    expect(text).toMatch(/^layer 50 · saturated \d+(\.\d+)? %, dead units \d+(\.\d+)? %$/);
    await screenshot(page, "relu-dead");
  });

  test("4096 layers are summed in runs per pixel column, and the read-out says so", async () => {
    const { page } = opened;
    const state = await show(page, "/?depth=4096&width=2&batch=1&act=linear&init=identity&scale=0.999&input=ones");
    expect(state.layersPerColumn).toBeGreaterThan(1);
    expect(state.columns).toBe(Math.ceil(4097 / state.layersPerColumn));
    const k = state.layersPerColumn;
    expect(await hover(page, 2000, "zero")).toContain(
      `layers ${Math.floor(2000 / k) * k}–${Math.floor(2000 / k) * k + k - 1} (${k} summed) · zero: 0 of ${2 * k} entries`,
    );
    await screenshot(page, "depth-4096");
  });

  test("no console errors during any of this", () => {
    expect(opened.errors).toEqual([]);
  });
});

/** k in the superscript digits the read-out writes: −3 → "⁻³". */
function superscriptText(k: number): string {
  return [...String(k)].map((c) => (c === "-" ? "⁻" : "⁰¹²³⁴⁵⁶⁷⁸⁹"[Number(c)])).join("");
}

/** The percentage in a read-out's "(12.5 %)". */
function percentIn(text: string): number {
  return Number(/\(([\d.]+) %/.exec(text)?.[1] ?? Number.NaN);
}
