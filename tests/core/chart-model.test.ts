/** What <gs-chart> draws, as plain data (src/ui/chart-model.ts): the predicted curves beside the measured ones. */
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/core/config";
import { runReference } from "../../src/core/reference";
import type { TrainingRecord } from "../../src/core/result";
import { chartData, chartSummary, hasPrediction, layerReadout, shownTheory } from "../../src/ui/chart-model";

const result = runReference(validateConfig({ depth: 6, width: 16, batch: 4 }));
const normed = runReference(validateConfig({ depth: 6, width: 16, batch: 4, norm: "layer" }));
const record = (step: number): TrainingRecord => ({
  step,
  log10ActRms: result.log10ActRms,
  log10GradRms: result.log10GradRms,
  log10WeightGradRms: result.log10WeightGradRms,
  log10UpdateRatio: result.log10WeightGradRms,
});

describe("the predicted curves", () => {
  it("are the theory's log10 RMS of a_l and ∂ℓ/∂a_l, layer by layer; all null without a theory", () => {
    const theory = result.theory;
    expect(theory).not.toBeNull();
    const data = chartData(result, theory);
    expect(data.actPredicted).toEqual(theory?.log10ActRms);
    expect(data.gradPredicted).toEqual(theory?.log10GradRms);
    expect(hasPrediction(data)).toBe(true);
    const none = chartData(normed, normed.theory);
    expect(normed.theory).toBeNull();
    expect(none.actPredicted).toEqual(Array(7).fill(null));
    expect(none.gradPredicted).toEqual(Array(7).fill(null));
    expect(hasPrediction(none)).toBe(false);
  });

  it("predict the network at initialization: shown with the result and a step-0 record, not after training", () => {
    expect(shownTheory(result)).toBe(result.theory);
    expect(shownTheory(result, record(0))).toBe(result.theory);
    expect(shownTheory(result, record(5))).toBeNull();
    expect(shownTheory(null)).toBeNull();
  });

  it("are named in the summary as dashed, with their model, unless switched off", () => {
    const summary = chartSummary(result);
    expect(summary).toMatch(
      /; dashed, mean field \(wide Gaussian layers\): predicted activation RMS from 10 to the -?[\d.]+ at layer 0 to 10 to the -?[\d.]+ at layer 6, predicted gradient RMS from /,
    );
    expect(chartSummary(result, null, new Set(["actPredicted"]))).toMatch(
      /; dashed, mean field \(wide Gaussian layers\): predicted gradient RMS from /,
    );
    expect(chartSummary(result, null, new Set(["actPredicted", "gradPredicted"]))).not.toContain("dashed");
    expect(chartSummary(result, null, new Set(["act"]))).not.toMatch(/(^|; )activation RMS/);
    expect(chartSummary(normed)).not.toContain("dashed");
    expect(chartSummary(result, record(3))).not.toContain("dashed");
  });

  it("are read out with the measured values at a layer where drawn", () => {
    const readout = layerReadout(chartData(result, result.theory), 3);
    expect(readout).toMatch(
      /^layer 3: activation RMS 10 to the .*, weight-gradient RMS 10 to the .*, predicted activation RMS 10 to the .*, predicted gradient RMS 10 to the /,
    );
    expect(layerReadout(chartData(normed, null), 3)).not.toContain("predicted");
  });
});
