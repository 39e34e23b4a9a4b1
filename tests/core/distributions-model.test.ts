/** What the lab's distributions view draws (src/ui/distributions-model.ts): plain data, checked in Node. */
import { describe, expect, it } from "vitest";
import { type PartialConfig, validateConfig } from "../../src/core/config";
import { lectureConfig } from "../../src/core/presets";
import { runReference } from "../../src/core/reference";
import type { Histogram, Histograms } from "../../src/core/result";
import {
  binadeRangeText,
  binadeSpan,
  cellReadout,
  columnEntries,
  columnFraction,
  columnLayers,
  distributionGrid,
  distributionSummary,
  magnitudeTicks,
  perSlot,
  powerOfTwoValue,
  rowBinades,
  rowOrder,
  shareScale,
  shareTickLabel,
  showsSaturation,
  widenedSpan,
} from "../../src/ui/distributions-model";

/** The reference's histograms of a config. */
function histogramsOf(config: PartialConfig): Histograms {
  const histograms = runReference(validateConfig(config), { histograms: true }).histograms;
  if (!histograms) throw new Error("the reference returned no histograms");
  return histograms;
}

const histogram = (minExponent: number | null, counts: number[], zeros = 0, nonFinite = 0): Histogram => ({
  minExponent,
  counts,
  zeros,
  nonFinite,
});

/** Four layers of 4 entries each (n·B = 4), with zeros, non-finite entries and saturation. */
const SMALL: Histograms = {
  act: [histogram(-2, [1, 3]), histogram(0, [2], 2), histogram(null, [], 1, 3), histogram(5, [4])],
  grad: [histogram(null, [], 4), histogram(null, [], 4), histogram(null, [], 4), histogram(null, [], 4)],
  saturated: [null, 0.25, 0.5, 1],
  dead: [null, 0, 0.5, 1],
};

describe("the binades a run spans", () => {
  it("runs from the lowest to the highest non-empty binade of any layer, null without any", () => {
    expect(binadeSpan(SMALL.act)).toEqual({ min: -2, max: 5 });
    expect(binadeSpan(SMALL.grad)).toBeNull();
  });

  it("is widened about its middle to at least 8 binades", () => {
    expect(widenedSpan({ min: 0, max: 0 })).toEqual({ min: -3, max: 4 });
    expect(widenedSpan({ min: -2, max: 5 })).toEqual({ min: -2, max: 5 });
    expect(widenedSpan({ min: 10, max: 13 })).toEqual({ min: 8, max: 15 });
    expect(widenedSpan({ min: -100, max: 100 })).toEqual({ min: -100, max: 100 });
  });

  it("sums layers and binades in runs that fit the pixels", () => {
    expect(perSlot(51, 700)).toBe(1);
    expect(perSlot(4097, 700)).toBe(6);
    expect(perSlot(4097, 683)).toBe(6);
    expect(perSlot(10, 0)).toBe(10);
  });
});

describe("the grid", () => {
  it("keeps each layer's counts, zeros and non-finite entries in its own column", () => {
    const grid = distributionGrid(SMALL, "act", 4, 1, 100);
    expect(grid).toMatchObject({ depth: 3, columns: 4, span: { min: -2, max: 5 }, binadesPerRow: 1, rows: 8 });
    const column = (c: number) => [...grid.counts.slice(c * grid.rows, (c + 1) * grid.rows)];
    expect(column(0)).toEqual([1, 3, 0, 0, 0, 0, 0, 0]);
    expect(column(1)).toEqual([0, 0, 2, 0, 0, 0, 0, 0]);
    expect(column(3)).toEqual([0, 0, 0, 0, 0, 0, 0, 4]);
    expect(grid.zeros).toEqual([0, 2, 1, 0]);
    expect(grid.nonFinite).toEqual([0, 0, 3, 0]);
  });

  it("sums runs of layers and of binades, every entry counted once", () => {
    const grid = distributionGrid(SMALL, "act", 4, 3, 3);
    expect(grid).toMatchObject({ columns: 2, layersPerColumn: 3, binadesPerRow: 3, rows: 3 });
    expect(columnLayers(grid, 0)).toEqual({ first: 0, last: 2 });
    expect(columnLayers(grid, 1)).toEqual({ first: 3, last: 3 });
    expect(columnEntries(grid, 0)).toBe(12);
    expect(columnEntries(grid, 1)).toBe(4);
    expect(rowBinades(grid, 0)).toEqual({ first: -2, last: 0 });
    expect(rowBinades(grid, 2)).toEqual({ first: 4, last: 5 });
    expect([...grid.counts]).toEqual([6, 0, 0, 0, 0, 4]);
    expect(grid.zeros).toEqual([3, 0]);
    expect(grid.nonFinite).toEqual([3, 0]);
    for (let c = 0; c < grid.columns; c++) {
      let total = (grid.zeros[c] as number) + (grid.nonFinite[c] as number);
      for (let r = 0; r < grid.rows; r++) total += grid.counts[c * grid.rows + r] as number;
      expect(total).toBe(columnEntries(grid, c));
    }
  });

  it("has no rows where no layer has a finite non-zero entry", () => {
    const grid = distributionGrid(SMALL, "grad", 4, 1, 100);
    expect(grid).toMatchObject({ span: null, rows: 0 });
    expect(grid.zeros).toEqual([4, 4, 4, 4]);
  });

  it("puts every entry of s·I on ones at layer l in binade ⌊log₂ sˡ⌋", () => {
    const histograms = histogramsOf({ ...lectureConfig(1.5, 40), batch: 3 });
    const grid = distributionGrid(histograms, "act", 6, 1, 200);
    for (let l = 0; l <= 40; l++) {
      const row = Math.floor(l * Math.log2(1.5)) - (grid.span?.min ?? 0);
      expect(grid.counts[l * grid.rows + row], `layer ${l}`).toBe(6);
    }
  });

  it("finds float32's overflow of 1.5·I at layer 219 and the zeros of 0.5·I", () => {
    const explode = distributionGrid(histogramsOf(lectureConfig(1.5)), "act", 2, 1, 200);
    expect(explode.nonFinite.findIndex((count) => count > 0)).toBe(219);
    expect(explode.nonFinite.slice(219).every((count) => count === 2)).toBe(true);
    const vanish = distributionGrid(histogramsOf(lectureConfig(0.5)), "act", 2, 1, 200);
    expect(vanish.zeros.findIndex((count) => count > 0)).toBe(150);
  });
});

describe("the colour scale and the read-outs", () => {
  it("runs from one entry of a column to all of them, its ticks in percent", () => {
    expect(shareScale({ entries: 4096, layersPerColumn: 1 })).toEqual({ min: -Math.log10(4096), max: 0 });
    expect(shareScale({ entries: 2, layersPerColumn: 6 })).toEqual({ min: -Math.log10(12), max: 0 });
    expect(shareScale({ entries: 1, layersPerColumn: 1 })).toEqual({ min: -1, max: 0 });
    expect(shareTickLabel(0)).toBe("100 %");
    expect(shareTickLabel(-2)).toBe("1 %");
    expect(shareTickLabel(-4)).toBe("0.01 %");
    expect(shareTickLabel(Math.log10(0.5))).toBe("50 %");
  });

  it("writes a power of two exactly where short, else to 3 digits, however large", () => {
    expect(powerOfTwoValue(-3)).toBe("0.125");
    expect(powerOfTwoValue(10)).toBe("1024");
    expect(powerOfTwoValue(20)).toBe("1.05·10⁶");
    expect(powerOfTwoValue(-12)).toBe("0.000244");
    expect(powerOfTwoValue(-20)).toBe("9.54·10⁻⁷");
    expect(powerOfTwoValue(2396)).toMatch(/^\d\.\d+·10⁷²¹$/);
    expect(powerOfTwoValue(-20, true)).toBe("9.54 times 10 to the -7");
  });

  it("names a binade or a run of them", () => {
    expect(binadeRangeText(-3, -3, "act")).toBe("2⁻³ ≤ |aₗ| < 2⁻² (0.125–0.25)");
    expect(binadeRangeText(-6, -4, "grad")).toBe("2⁻⁶ ≤ |∂ℓ/∂aₗ| < 2⁻³ (0.015625–0.125, 3 binades)");
    expect(binadeRangeText(1, 1, "act", true)).toBe("2 to the 1 ≤ |aₗ| < 2 to the 2 (2 to 4)");
  });

  it("reads out a cell: its layers, row, count and share, and the column's saturation", () => {
    const grid = distributionGrid(SMALL, "act", 4, 1, 100);
    expect(cellReadout(grid, SMALL, 0, 1, true)).toBe(
      "layer 0 · 2⁻¹ ≤ |aₗ| < 2⁰ (0.5–1): 3 of 4 entries (75 %) · no saturation at layer 0 (the input)",
    );
    expect(cellReadout(grid, SMALL, 2, "nonFinite", true)).toBe(
      "layer 2 · not finite (∞ or NaN): 3 of 4 entries (75 %) · saturated 50 %, dead units 50 %",
    );
    expect(cellReadout(grid, SMALL, 1, "zero", false)).toBe("layer 1 · zero: 2 of 4 entries (50 %)");
    expect(cellReadout(grid, SMALL, 3, "dead", true)).toBe("layer 3 · saturated 100 %, dead units 100 %");
    const summed = distributionGrid(SMALL, "act", 4, 2, 100);
    expect(cellReadout(summed, SMALL, 1, "zero", true)).toBe(
      "layers 2–3 (2 summed) · zero: 1 of 8 entries (12.5 % of the summed layers) · saturated 75 %, dead units 75 % (mean)",
    );
  });

  it("steps through the rows from the strips at the bottom to the non-finite row at the top", () => {
    const grid = distributionGrid(SMALL, "act", 4, 1, 100);
    expect(rowOrder(grid, true)).toEqual(["dead", "saturated", "zero", 0, 1, 2, 3, 4, 5, 6, 7, "nonFinite"]);
    expect(rowOrder(distributionGrid(SMALL, "grad", 4, 1, 100), false)).toEqual(["zero", "nonFinite"]);
  });

  it("shows the saturation strips for the activations of ReLU, tanh and sigmoid nets only", () => {
    for (const activation of ["relu", "tanh", "sigmoid"] as const)
      expect(showsSaturation("act", activation)).toBe(true);
    for (const activation of ["linear", "leaky_relu"] as const) expect(showsSaturation("act", activation)).toBe(false);
    expect(showsSaturation("grad", "tanh")).toBe(false);
    expect(columnFraction(SMALL.saturated, 0, 0)).toBeNull();
    expect(columnFraction(SMALL.saturated, 0, 3)).toBeCloseTo(0.5833, 4);
  });

  it("labels the magnitude axis in powers of ten, as many as fit", () => {
    const ticks = magnitudeTicks({ min: -10, max: 10 }, 10);
    expect(ticks.map((tick) => tick.label)).toEqual(["10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹", "10²", "10³"]);
    expect(ticks[4]?.log2).toBeCloseTo(Math.log2(10), 12);
    const sparse = magnitudeTicks({ min: -300, max: 300 }, 0.3);
    expect(sparse.map((tick) => tick.label)).toEqual([
      "10⁻⁸⁰",
      "10⁻⁶⁰",
      "10⁻⁴⁰",
      "10⁻²⁰",
      "10⁰",
      "10²⁰",
      "10⁴⁰",
      "10⁶⁰",
      "10⁸⁰",
    ]);
  });

  it("sums a run up for screen readers: where its entries lie, where zeros and non-finite ones start", () => {
    const summary = distributionSummary(histogramsOf(lectureConfig(1.5)), "act", 2, false);
    expect(summary).toContain("Distribution of activations aₗ by power of two, layers 0 to 300");
    expect(summary).toContain("layer 0: from 2 to the 0 to 2 to the 1, most in binade 2 to the 0");
    expect(summary).toContain("layer 300: 100 % not finite");
    expect(summary).toContain("non-finite entries from layer 219");
    expect(distributionSummary(SMALL, "act", 4, true)).toContain("most saturated: layer 3, 100 %");
  });
});
