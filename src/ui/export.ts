/** The result as files: CSV (one row per layer) and JSON, and a download of any blob. */
import type { RunResult } from "../core/result";

/** One row per layer: layer, log10 activation RMS, gradient RMS, weight-gradient RMS and norm. */
export function resultToCsv(result: RunResult): string {
  const cell = (value: number | null | undefined) => (value === null || value === undefined ? "" : String(value));
  const rows = result.log10ActRms.map((act, l) =>
    [
      l,
      cell(act),
      cell(result.log10GradRms[l]),
      cell(result.log10WeightGradRms[l]),
      cell(result.log10WeightGradNorm[l]),
    ].join(","),
  );
  const header = "layer,log10_act_rms,log10_grad_rms,log10_weight_grad_rms,log10_weight_grad_norm";
  return `${[header, ...rows].join("\n")}\n`;
}

/** Saves a blob under a file name through a temporary link. */
export function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name naming the run: gradscope-L300-n2-linear-identity.csv. */
export function exportName(result: RunResult, extension: string): string {
  const { depth, width, activation, init } = result.config;
  return `gradscope-L${depth}-n${width}-${activation}-${init.scheme}.${extension}`;
}
