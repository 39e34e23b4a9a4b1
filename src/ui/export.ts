/** The result as files: CSV (one row per layer) and JSON, their names, and a download of any blob. */
import { type InitConfig, type RunConfig, residualForDepth } from "../core/config";
import { formatName } from "../core/formats";
import type { NullCause, RunResult } from "../core/result";

/** The init as a person writes it: "identity s = 1.5", "normal σ = 1", "he_normal k = 1". */
export function initText(init: InitConfig): string {
  if (init.scheme === "identity") return `identity s = ${init.scale}`;
  if ("sigma" in init) return `${init.scheme} σ = ${init.sigma}`;
  return `${init.scheme} k = ${init.gain}`;
}

/** The residual α as a person writes it: "residual none", "residual α = 0.5", "residual α = 1/√200" (α = 1/√L exactly). */
export function residualText(config: RunConfig): string {
  if (config.residual === null) return "residual none";
  const sqrtDepth = config.residual === residualForDepth(config.depth) ? `1/√${config.depth}` : null;
  return `residual α = ${sqrtDepth ?? config.residual}`;
}

/** Every field of a config in one line: "depth 300 · width 2 · batch 1 · linear · identity s = 1.5 · …". */
export function configSummary(config: RunConfig): string {
  return [
    `depth ${config.depth}`,
    `width ${config.width}`,
    `batch ${config.batch}`,
    config.activation,
    initText(config.init),
    `bias σ ${config.biasSigma}`,
    residualText(config),
    `norm ${config.norm}`,
    `input ${config.input}`,
    `target ${config.target}`,
    config.numerics,
    `seed ${config.seed}`,
  ].join(" · ");
}

/** The loss as text: its value (to `digits` significant digits, else in full), or why it has none. */
export function lossText(result: RunResult, digits?: number): string {
  if (result.loss !== null) return digits ? result.loss.toPrecision(digits) : String(result.loss);
  const { numerics } = result.config;
  return numerics === "tracked" ? "beyond float64's range" : `not finite (${formatName(numerics)} overflow)`;
}

const cell = (value: number | null | undefined, cause: NullCause | undefined) => {
  if (value !== null && value !== undefined) return String(value);
  return cause === "zero" ? "zero" : cause === "nonFinite" ? "nonfinite" : "";
};

/**
 * One row per layer: log10 of the activation RMS, gradient RMS, weight-gradient RMS and norm, after
 * commented lines with the config and the loss. A layer whose values are all exactly zero reads
 * "zero", one with an infinite or NaN value "nonfinite"; an empty cell does not exist (layer 0's
 * weight gradient).
 */
export function resultToCsv(result: RunResult): string {
  const causes = result.nullCauses;
  const rows = result.log10ActRms.map((act, l) =>
    [
      l,
      cell(act, causes.act[l]),
      cell(result.log10GradRms[l], causes.grad[l]),
      cell(result.log10WeightGradRms[l], causes.weightGrad[l]),
      cell(result.log10WeightGradNorm[l], causes.weightGrad[l]),
    ].join(","),
  );
  const comments = [
    `# gradscope run on ${result.backend}: ${configSummary(result.config)}`,
    `# config: ${JSON.stringify(result.config)}`,
    `# loss: ${lossText(result)}`,
    "# columns: log10 of each magnitude; zero = every value exactly 0; nonfinite = an infinite or NaN value",
  ];
  const header = "layer,log10_act_rms,log10_grad_rms,log10_weight_grad_rms,log10_weight_grad_norm";
  return `${[...comments, header, ...rows].join("\n")}\n`;
}

/** The result as JSON; a loss that is not a finite number is written as text saying why, not a bare null. */
export function resultToJson(result: RunResult): string {
  const loss = result.loss === null ? lossText(result) : result.loss;
  return JSON.stringify({ ...result, loss }, null, 2);
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

/**
 * A file name that tells configs apart, every field of the config in it:
 * gradscope-L300-n2-B1-linear-identity1.5-bias0-resnone-normnone-xones-ygaussian-tracked-seed1.csv.
 */
export function exportName(result: RunResult, extension: string): string {
  const c = result.config;
  const init = c.init;
  const parameter = init.scheme === "identity" ? init.scale : "sigma" in init ? init.sigma : init.gain;
  const parts = [
    `L${c.depth}`,
    `n${c.width}`,
    `B${c.batch}`,
    c.activation,
    `${init.scheme}${parameter}`,
    `bias${c.biasSigma}`,
    `res${c.residual ?? "none"}`,
    `norm${c.norm}`,
    `x${c.input}`,
    `y${c.target}`,
    c.numerics,
    `seed${c.seed}`,
  ];
  return `gradscope-${parts.join("-")}.${extension}`;
}
