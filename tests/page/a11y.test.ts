/**
 * The lab for a keyboard and screen-reader user: an automated accessibility check (axe-core) at a
 * laptop and a phone size, light and dark, what the sliders and the verdict say, and the tab order.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "playwright";
import { describe, expect, test } from "vitest";
import { openBuiltPage } from "../support/page";

/** The focused element, through shadow roots: its region (landmark or section label) and page position. */
function focused(page: Page): Promise<{ region: string; top: number; label: string }> {
  return page.evaluate(() => {
    let element = document.activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    if (!element) return { region: "none", top: 0, label: "" };
    let node: Node | null = element;
    let region = "page";
    while (node) {
      if (node instanceof Element && node.matches("section.plot, aside, section.theory, section.presets, details")) {
        region = node.getAttribute("aria-label") ?? node.tagName.toLowerCase();
        break;
      }
      node = node.parentNode ?? (node instanceof ShadowRoot ? node.host : null);
    }
    const rect = element.getBoundingClientRect();
    return { region, top: rect.top + window.scrollY, label: element.id || element.getAttribute("aria-label") || "" };
  });
}

/** The regions in the order Tab visits them (each run of stops once), and each stop's page position. */
async function tabRegions(page: Page, presses: number): Promise<{ regions: string[]; tops: number[] }> {
  const regions: string[] = [];
  const tops: number[] = [];
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press("Tab");
    const { region, top } = await focused(page);
    if (region === "page" || region === "none") break; // past the last control: focus left the lab
    if (regions.at(-1) !== region) regions.push(region);
    tops.push(top);
  }
  return { regions, tops };
}

describe("accessibility", () => {
  for (const [name, viewport, colorScheme, path] of [
    ["laptop, light", { width: 1280, height: 860 }, "light", "/"],
    ["phone, dark", { width: 390, height: 844 }, "dark", "/"],
    ["phone, dark, with residual α and a norm", { width: 390, height: 844 }, "dark", "/?residual=0.5&norm=layer"],
  ] as const) {
    test(`axe-core finds no violation (${name})`, async () => {
      const opened = await openBuiltPage(path, { viewport, colorScheme });
      try {
        await opened.page.evaluate(() => window.gradscope.lab()?.whenIdle());
        const { violations } = await new AxeBuilder({ page: opened.page }).analyze();
        const summary = violations.map(
          (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`,
        );
        expect(summary).toEqual([]);
      } finally {
        await opened.close();
      }
    });
  }

  for (const [name, viewport, colorScheme] of [
    ["laptop, light", { width: 1280, height: 860 }, "light"],
    ["phone, dark", { width: 390, height: 844 }, "dark"],
  ] as const) {
    test(`axe-core finds no violation with the training controls and charts shown (${name})`, async () => {
      const opened = await openBuiltPage("/?depth=8&width=16&batch=16&steps=50&opt=momentum", {
        viewport,
        colorScheme,
      });
      try {
        const { page } = opened;
        await page.evaluate(() => window.gradscope.lab()?.whenIdle());
        await page.locator("gs-training #train-step").click();
        await page.waitForFunction(() => {
          const view = window.gradscope.lab()?.trainingView;
          return view?.loss.length === 2 && !view.busy;
        });
        await page.evaluate(() => window.gradscope.lab()?.updateComplete);
        expect(await page.locator("gs-lab gs-heatmap").count()).toBe(1);
        expect(await page.locator('gs-controls input[id="train.momentum"]').count()).toBe(1);
        const { violations } = await new AxeBuilder({ page }).analyze();
        const summary = violations.map(
          (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`,
        );
        expect(summary).toEqual([]);
      } finally {
        await opened.close();
      }
    });
  }

  test("sliders say their value in words, and the verdict is a live region read as separate words", async () => {
    const opened = await openBuiltPage("/?depth=300&width=2&batch=1&act=linear&init=identity&scale=0.9");
    try {
      const { page } = opened;
      await page.evaluate(() => window.gradscope.lab()?.whenIdle());
      const slider = (field: string) => page.locator(`gs-controls input[type="range"][data-field="${field}"]`);
      expect(await slider("depth").getAttribute("aria-valuetext")).toBe("300 layers");
      expect(await slider("width").getAttribute("aria-valuetext")).toBe("2 units");
      expect(await slider("batch").getAttribute("aria-valuetext")).toBe("1 example");
      expect(await slider("init.scale").getAttribute("aria-valuetext")).toBe("s = 0.9");
      const verdict = page.locator("gs-verdict.reading");
      const sentence = page.locator("gs-verdict.reading p");
      expect(await verdict.getAttribute("aria-live")).toBe("polite");
      expect(await verdict.getAttribute("role")).toBe("status");
      expect(await sentence.textContent()).toMatch(/^vanishing: gradient at layer 1/i);
      // The timing line is not announced.
      const status = page.locator("gs-lab .status");
      expect(await status.getAttribute("aria-live")).toBeNull();
      expect(await status.locator("[role=status], [aria-live]").count()).toBe(0);
      // A change of config changes what the live region holds.
      await page.locator('gs-controls input[id="init.scale"]').fill("1.5");
      await page.locator('gs-controls input[id="init.scale"]').dispatchEvent("change");
      await page.evaluate(() => window.gradscope.lab()?.whenIdle());
      expect(await sentence.textContent()).toMatch(/^exploding: /i);
    } finally {
      await opened.close();
    }
  });

  test("Tab follows the reading order: chart, controls, theory, presets on a laptop; top to bottom on a phone", async () => {
    for (const viewport of [
      { width: 1280, height: 860 },
      { width: 390, height: 844 },
    ]) {
      const opened = await openBuiltPage("/", { viewport });
      try {
        await opened.page.evaluate(() => window.gradscope.lab()?.whenIdle());
        const { regions, tops } = await tabRegions(opened.page, 60);
        expect(regions.slice(0, 4), JSON.stringify({ viewport, regions })).toEqual([
          "Per-layer magnitudes",
          "Network settings",
          "Theory",
          "Presets",
        ]);
        if (viewport.width < 600) {
          // One column: each stop lies at or below the one before (or beside it, in the same row).
          for (let i = 1; i < tops.length; i++) expect(tops[i]).toBeGreaterThanOrEqual((tops[i - 1] as number) - 20);
        }
      } finally {
        await opened.close();
      }
    }
  });
});
