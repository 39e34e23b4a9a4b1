/** What the lab's training charts draw (src/ui/training-model.ts): plain data, checked in Node. */
import { describe, expect, it } from "vitest";
import type { TrainingRecord } from "../../src/core/result";
import {
  colourScale,
  lossBreak,
  lossData,
  lossRange,
  lossSplits,
  lossTickLabel,
  recordAt,
  scaleTickLabel,
  scaleTicks,
  viridis,
} from "../../src/ui/training-model";

const record = (step: number, grad: (number | null)[], update: (number | null)[] = grad): TrainingRecord => ({
  step,
  log10ActRms: grad.map(() => 0),
  log10GradRms: grad,
  log10WeightGradRms: grad,
  log10UpdateRatio: update,
});

describe("the loss curve", () => {
  it("keeps what a log axis can draw, and marks the first loss it cannot", () => {
    expect(lossData([3, 2, null, 0, 1]).loss).toEqual([3, 2, null, null, 1]);
    expect(lossBreak([3, 2, 1])).toBeNull();
    expect(lossBreak([3, 2, null, 0])).toEqual({ step: 2, label: "loss → ∞ at step 2" });
    expect(lossBreak([3, 0, null])).toEqual({ step: 1, label: "loss = 0 at step 1" });
    expect(lossBreak([null])).toEqual({ step: 0, label: "loss → ∞ at step 0" });
  });

  it("ranges over whole decades, at least one, and labels ticks as digits or powers of ten", () => {
    expect(lossRange(25, 32)).toEqual([10, 100]);
    expect(lossRange(10, 10)).toEqual([10, 100]);
    expect(lossRange(3e-7, 2e4)).toEqual([1e-7, 1e5]);
    expect(lossRange(null, null)).toEqual([1, 10]);
    expect(lossTickLabel(20)).toBe("20");
    expect(lossTickLabel(0.001)).toBe("0.001");
    expect(lossTickLabel(1e30)).toBe("10³⁰");
    expect(lossTickLabel(3e30)).toBe("");
  });

  it("ticks 1, 2, 5 per decade over two decades at most, else powers of ten, about six of them", () => {
    expect(lossSplits(10, 100)).toEqual([10, 20, 50, 100]);
    expect(lossSplits(1, 100).length).toBe(7);
    expect(lossSplits(100, 1e36)).toEqual([1e6, 1e12, 1e18, 1e24, 1e30, 1e36]);
    expect(lossSplits(0.5, 3)).toEqual([0.5, 1, 2]);
  });
});

describe("the heatmap", () => {
  const records = [
    record(0, [null, -1, -2.5]),
    record(3, [null, 0.25, null], [null, null, null]),
    record(5, [null, 1, -2]),
  ];

  it("has one colour scale over every record's values, layers 1..L, nulls left out", () => {
    expect(colourScale(records, "grad")).toEqual({ min: -2.5, max: 1 });
    expect(colourScale([record(0, [null, 2, 2])], "grad")).toEqual({ min: 1.5, max: 2.5 });
    expect(colourScale([record(0, [null, null])], "grad")).toBeNull();
  });

  it("finds the record whose column holds a step: from its step for `every` steps, or to the next record", () => {
    expect([0, 2.9, 3, 4.99, 5, 7.9, 8].map((x) => recordAt(records, x, 3))).toEqual([0, 0, 1, 1, 2, 2, -1]);
    expect(recordAt(records, -1, 3)).toBe(-1);
    expect(recordAt([], 0, 1)).toBe(-1);
  });

  it("labels its legend in decades, or tenths of one for a narrow scale, at most six ticks", () => {
    expect(scaleTicks(-3.2, 1.7)).toEqual([-3, -2, -1, 0, 1]);
    expect(scaleTicks(-40, 12)).toEqual([-40, -30, -20, -10, 0, 10]);
    expect(scaleTicks(-0.83, 0.01)).toEqual([-0.8, -0.6, -0.4, -0.2, 0]);
    expect(scaleTickLabel(-3)).toBe("10⁻³");
    expect(scaleTickLabel(-0.4)).toBe("10⁻⁰·⁴");
  });

  it("colours on viridis from dark purple to yellow, out-of-range values clamped", () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(-5)).toEqual(viridis(0));
    expect(viridis(Number.NaN)).toEqual(viridis(0));
  });
});
