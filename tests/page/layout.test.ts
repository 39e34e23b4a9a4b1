/**
 * The lab's first screen at a laptop (1280 × 860), a projector (1024 × 768) and a phone (390 × 844),
 * light and dark: what a newcomer sees before scrolling, whether the chart stays in view on a phone
 * while a control changes, and the theory panel scrolled into view. Screenshots go to tests/output/.
 */
import { mkdirSync } from "node:fs";
import type { Page } from "playwright";
import { describe, expect, test } from "vitest";
import { type OpenPage, openBuiltPage } from "../support/page";

const OUTPUT = "tests/output";

/** The viewport box of an element inside the lab's shadow root (CSS pixels). */
async function box(page: Page, selector: string): Promise<{ top: number; bottom: number }> {
  return page.evaluate((css) => {
    const element = window.gradscope.lab()?.shadowRoot?.querySelector(css);
    if (!element) throw new Error(`${css} is missing`);
    const rect = element.getBoundingClientRect();
    return { top: rect.top, bottom: rect.bottom };
  }, selector);
}

/**
 * The theory panel scrolled into view (on a phone, under the sticky chart): it fits the window's width,
 * its phase diagram is drawn at a readable size; a screenshot of the window.
 */
async function theoryInView(page: Page, size: { width: number; height: number }, name: string): Promise<void> {
  const panel = page.locator("gs-lab section.theory");
  await panel.evaluate((element) => element.scrollIntoView({ block: "end" }));
  const box = await panel.boundingBox();
  const diagram = await page.locator("gs-phase-diagram svg").boundingBox();
  expect(box?.x ?? -1).toBeGreaterThanOrEqual(0);
  expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(size.width);
  expect(box?.y ?? 0).toBeLessThan(size.height);
  expect(diagram?.width ?? 0).toBeGreaterThan(250);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.width);
  expect(await page.locator("gs-theory dd").count()).toBeGreaterThan(0);
  await page.screenshot({ path: `${OUTPUT}/layout-${size.width}x${size.height}-${name}-theory.png` });
}

async function openIdle(size: { width: number; height: number }, colorScheme: "light" | "dark"): Promise<OpenPage> {
  mkdirSync(OUTPUT, { recursive: true });
  const opened = await openBuiltPage("/", { viewport: size, colorScheme });
  await opened.page.evaluate(() => window.gradscope.lab()?.whenIdle());
  return opened;
}

describe("the first screen", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`1280 × 860, ${colorScheme}: the chart, its legend and the verdict, unscrolled`, async () => {
      const opened = await openIdle({ width: 1280, height: 860 }, colorScheme);
      try {
        const { page } = opened;
        expect((await box(page, "gs-chart")).top).toBeGreaterThan(0);
        // The legend is the chart's last part; the verdict sits under it.
        expect((await box(page, "gs-chart")).bottom).toBeLessThanOrEqual(860);
        expect((await box(page, "gs-verdict.reading")).bottom).toBeLessThanOrEqual(860);
        await page.screenshot({ path: `${OUTPUT}/layout-1280x860-${colorScheme}.png` });
        await theoryInView(page, { width: 1280, height: 860 }, colorScheme);
      } finally {
        await opened.close();
      }
    });

    test(`1024 × 768, ${colorScheme}: the whole chart, unscrolled`, async () => {
      const opened = await openIdle({ width: 1024, height: 768 }, colorScheme);
      try {
        expect((await box(opened.page, "gs-chart")).bottom).toBeLessThanOrEqual(768);
        await opened.page.screenshot({ path: `${OUTPUT}/layout-1024x768-${colorScheme}.png` });
        await theoryInView(opened.page, { width: 1024, height: 768 }, colorScheme);
      } finally {
        await opened.close();
      }
    });

    test(`390 × 844, ${colorScheme}: the chart stays in view while a control far down changes, and after a preset tap`, async () => {
      const opened = await openIdle({ width: 390, height: 844 }, colorScheme);
      try {
        const { page } = opened;
        const numerics = page.locator('gs-controls select[id="numerics"]');
        await numerics.scrollIntoViewIfNeeded();
        await numerics.selectOption("tracked");
        await page.evaluate(() => window.gradscope.lab()?.whenIdle());
        const chart = await box(page, "gs-chart");
        expect(chart.top).toBeGreaterThanOrEqual(0);
        expect(chart.bottom).toBeLessThanOrEqual(844);
        // The control is not hidden under the chart either.
        const control = await numerics.boundingBox();
        expect(control?.y ?? 0).toBeGreaterThanOrEqual(chart.bottom);
        await page.screenshot({ path: `${OUTPUT}/layout-390x844-${colorScheme}-control.png` });

        const preset = page.locator('gs-presets button[data-preset="vanish"]');
        await preset.scrollIntoViewIfNeeded();
        await preset.click();
        await page.evaluate(() => window.gradscope.lab()?.whenIdle());
        const after = await box(page, "gs-chart");
        expect(after.top).toBeGreaterThanOrEqual(0);
        expect(after.bottom).toBeLessThanOrEqual(844);
        expect(await page.evaluate(() => window.gradscope.lab()?.currentConfig.init)).toEqual({
          scheme: "identity",
          scale: 0.5,
        });
        await page.screenshot({ path: `${OUTPUT}/layout-390x844-${colorScheme}-preset.png` });
        // The s·I preset has no point on the diagram: its note says so. Gaussian weights give one.
        await theoryInView(page, { width: 390, height: 844 }, `${colorScheme}-preset`);
        expect(await page.locator("gs-theory figcaption").textContent()).toContain("s·I weights are not Gaussian");
      } finally {
        await opened.close();
      }
    });
  }
});

test("a window narrowed from a laptop's width to a phone's keeps the page within it: the chart shrinks", async () => {
  const opened = await openIdle({ width: 1280, height: 860 }, "light");
  try {
    const { page } = opened;
    await page.waitForFunction(() => window.gradscope.lab()?.shadowRoot?.querySelector("gs-chart")?.uplot);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(
      () => (window.gradscope.lab()?.shadowRoot?.querySelector("gs-chart")?.uplot?.width ?? 999) <= 390,
    );
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  } finally {
    await opened.close();
  }
});

test("the PNG export is drawn at the device's pixel ratio, with the title, config and verdict above the chart", async () => {
  const opened = await openBuiltPage("/?depth=40&width=8&batch=4", { deviceScaleFactor: 2 });
  try {
    const { page } = opened;
    await page.evaluate(() => window.gradscope.lab()?.whenIdle());
    // The chart draws its first plot on the render after the run (a clean CI clone once read 0 here).
    const chartWidth = await page
      .waitForFunction(() => window.gradscope.lab()?.shadowRoot?.querySelector("gs-chart")?.uplot?.width || null)
      .then((handle) => handle.jsonValue() as Promise<number>);
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("gs-lab #export-png").click()]);
    const bytes = (await import("node:fs")).readFileSync(await download.path());
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    const width = bytes.readUInt32BE(16);
    const height = bytes.readUInt32BE(20);
    expect(width).toBe(2 * chartWidth);
    const canvasHeight = await page.evaluate(
      () => window.gradscope.lab()?.shadowRoot?.querySelector("gs-chart")?.uplot?.ctx.canvas.height ?? 0,
    );
    // A header of at least a title and two lines (config, verdict) above the plot, a legend strip below.
    expect(height).toBeGreaterThan(canvasHeight + 2 * 3 * 18);
    mkdirSync(OUTPUT, { recursive: true });
    (await import("node:fs")).writeFileSync(`${OUTPUT}/export-dpr2.png`, bytes);
  } finally {
    await opened.close();
  }
});

test("the residual and norm controls fit their column on a laptop and a phone; on a phone the chart stays in view as they change", async () => {
  for (const viewport of [
    { width: 1280, height: 860 },
    { width: 390, height: 844 },
  ]) {
    mkdirSync(OUTPUT, { recursive: true });
    const opened = await openBuiltPage("/?depth=50&residual=0.5&norm=layer", { viewport });
    try {
      const { page } = opened;
      await page.evaluate(() => window.gradscope.lab()?.whenIdle());
      // Nothing wider than its column: the α row (slider, number, 1/√L) and the lists' longest choices shrink to fit.
      const fit = await page.evaluate(() => {
        const lab = window.gradscope.lab()?.shadowRoot;
        const aside = lab?.querySelector("aside")?.getBoundingClientRect();
        const controls = lab?.querySelector("gs-controls");
        const widest = Math.max(
          ...[...(controls?.shadowRoot?.querySelectorAll("input, select, button") ?? [])].map(
            (element) => element.getBoundingClientRect().right,
          ),
        );
        return {
          overflow: (controls?.scrollWidth ?? 0) - (controls?.clientWidth ?? 0),
          widest,
          right: aside?.right ?? 0,
        };
      });
      expect(fit.overflow, `${viewport.width}`).toBeLessThanOrEqual(0);
      expect(fit.widest, `${viewport.width}`).toBeLessThanOrEqual(fit.right);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
      const norm = page.locator('gs-controls select[id="norm"]');
      await norm.scrollIntoViewIfNeeded();
      await norm.selectOption("batch");
      await page.evaluate(() => window.gradscope.lab()?.whenIdle());
      expect(await page.evaluate(() => window.gradscope.lab()?.currentConfig.norm)).toBe("batch");
      if (viewport.width < 800) {
        const chart = await box(page, "gs-chart");
        expect(chart.top).toBeGreaterThanOrEqual(0);
        expect(chart.bottom).toBeLessThanOrEqual(viewport.height);
        expect((await norm.boundingBox())?.y ?? 0).toBeGreaterThanOrEqual(chart.bottom);
      }
      await page.screenshot({ path: `${OUTPUT}/layout-${viewport.width}x${viewport.height}-residual-norm.png` });
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  }
});
