/**
 * What the lab reads out of a config's theory (theory-models.ts): the model in words, why no model
 * applies where none does, and the σ_w × σ_b phase diagram of a plain mean-field chain: its critical
 * line χ₁ = 1 and the point where a config lies on it.
 */
import { ACTIVATIONS, type ActivationName } from "./activations";
import type { InitConfig, RunConfig } from "./config";
import { derivative, layerMoments, meanField, weightVariance } from "./theory";
import {
  BATCH_NORM_MIN_BATCH,
  BATCH_NORM_MIN_VARIANCE,
  batchNormOutside,
  type Phase,
  scalarReach,
  type Theory,
} from "./theory-models";

/** The phase diagram's ranges: σ_w ∈ [0, 4] on x, σ_b ∈ [0, 1] on y. */
export const DIAGRAM_RANGE = { sigmaW: 4, sigmaB: 1 } as const;

/** A point of the phase diagram: the weights' σ_w (n·Var(W_ij) = σ_w²) and the biases' σ_b. */
export interface DiagramPoint {
  sigmaW: number;
  sigmaB: number;
}

/** The model of a theory in words: "mean field", "exact (s·I chain)", … */
export function modelWords(theory: Theory, init: InitConfig): string {
  if (theory.model === "mean-field") return "mean field (wide Gaussian layers)";
  if (theory.model === "mean-field-residual") return "mean field (residual chain)";
  if (theory.model === "mean-field-batchnorm")
    return "mean field with batch norm (wide Gaussian layers, this batch size)";
  return init.scheme === "orthogonal" ? "exact (orthogonal linear chain)" : "exact (s·I chain)";
}

/** What a phase means for the gradient, in words; "—" where the chain has no phase. */
export function phaseWords(phase: Phase | null): string {
  if (phase === "ordered") return "ordered (χ₁ < 1): gradients vanish";
  if (phase === "chaotic") return "chaotic (χ₁ > 1): gradients explode";
  if (phase === "critical") return "critical (χ₁ ≈ 1): the edge of chaos";
  return "—";
}

/** The largest g' of a curved activation: g'(0) for tanh (1) and sigmoid (¼). */
function steepestSlope(name: ActivationName): number {
  return derivative(name)(0);
}

/**
 * Why theoryFor gives no prediction for a config, or null where it gives one: the same cases, in
 * words (tests/core/theory-reading.test.ts holds the two together).
 */
export function theoryAbsence(config: RunConfig): string | null {
  const { activation, init, residual } = config;
  if (config.norm === "layer")
    return "no model here covers layer norm: it divides z_l by statistics over each example's units, which no layer-by-layer recursion of mean squares here follows";
  if (config.norm === "batch") return batchNormAbsence(config);
  if (init.scheme === "identity") return identityAbsence(config, init.scale);
  if (init.scheme === "orthogonal") {
    if (residual !== null) return "no model here covers orthogonal weights with residual connections";
    if (activation !== "linear")
      return `orthogonal weights are exact only for a linear chain: with ${activation} no closed recursion exists, and mean field needs Gaussian-family weights`;
    return null;
  }
  if (residual !== null && activation !== "linear" && activation !== "tanh")
    return `mean field covers residual chains of odd activations (linear, tanh) only: ${activation} has a mean, so the skip and the branch correlate`;
  return null;
}

/** Why a chain with batch norm has no prediction (batchNormOutside's cases), or null where it has one. */
function batchNormAbsence(config: RunConfig): string | null {
  const outside = batchNormOutside(config);
  if (outside === null) return null;
  const model = "batch norm's mean field";
  switch (outside) {
    case "residual":
      return `${model} covers plain chains only: with residual connections the skip path is never normalized`;
    case "weights":
      return `${model} needs Gaussian-family weights: ${config.init.scheme === "identity" ? "s·I" : "orthogonal"} weights do not mix the units`;
    case "input":
      return "every example is the same (input ones): batch norm maps a batch of equal examples to zeros at every layer";
    case "batch": {
      const linear =
        config.batch > 3
          ? ` (for a linear chain, √((B−2)/(B−3)) = ×${shown(Math.sqrt((config.batch - 2) / (config.batch - 3)))} a layer)`
          : "";
      return `${model} needs a batch of at least ${BATCH_NORM_MIN_BATCH}: with ${config.batch} examples a unit's batch variance, which batch norm divides by, is too often near 0, so a few units carry the gradient's growth and a net of practical width falls well short of the infinite-width rate${linear}. Gradients still explode, faster than with larger batches`;
    }
    case "epsilon":
      return `σ_w = ${shown(Math.sqrt(weightVariance(config.init, config.width) ?? 0))} is too small beside batch norm's ε = 1e-5: a unit's batch variance, about σ_w² times a_l's, is under ${BATCH_NORM_MIN_VARIANCE} = 10³·ε, and the model leaves ε out`;
  }
}

/** Why an s·I chain has no prediction: residual connections, biases on a nonlinear chain, or past the curved chain's reach. */
function identityAbsence(config: RunConfig, scale: number): string | null {
  const { activation } = config;
  if (config.residual !== null) return "no model here covers an s·I chain with residual connections";
  if (activation === "linear") return null;
  if (config.biasSigma > 0) return `an s·I chain of ${activation} with biases has no closed form here`;
  const reach = scalarReach(activation, scale);
  if (reach === null) return null;
  return (
    `|s|·max g′ = ${Number(reach.toPrecision(3))} ${reach > 1 ? ">" : "="} 1: units whose input lies near 0 stay linear through every layer, so the ` +
    "expectation is carried by inputs no batch samples"
  );
}

/** The config's point on the phase diagram: σ_w = √(n·Var(W_ij)) and σ_b; null for s·I and orthogonal weights. */
export function configPoint(config: RunConfig): DiagramPoint | null {
  const sigmaW2 = weightVariance(config.init, config.width);
  return sigmaW2 === null ? null : { sigmaW: Math.sqrt(sigmaW2), sigmaB: config.biasSigma };
}

/** χ₁ and the phase of a plain mean-field chain at a point of the diagram. */
export function phaseAt(name: ActivationName, point: DiagramPoint): { chi1: number; phase: Phase } {
  const field = meanField(name, point.sigmaW ** 2, point.sigmaB ** 2);
  return { chi1: field.chi1, phase: field.phase };
}

/** On the critical line at fixed point q: σ_w² = 1/E[g'(√q z)²] and σ_b² = q − σ_w²·E[g(√q z)²]. */
function lineAt(name: ActivationName, q: number): { sigmaW2: number; sigmaB2: number } {
  const moments = layerMoments(name, q);
  const sigmaW2 = 1 / moments.derivative;
  return { sigmaW2, sigmaB2: q - sigmaW2 * moments.output };
}

/** q from 1e-8 to 1e6, a factor 2 apart: where the search for each σ_b starts. */
const Q_GRID = Array.from({ length: 48 }, (_, i) => 1e-8 * 2 ** i);

/**
 * The critical line χ₁ = 1 at `count` values of σ_b evenly over [0, sigmaBMax], σ_b increasing.
 * Piecewise-linear g: E[g'²] does not depend on q, so σ_w = 1/√E[g'²] at every σ_b. Curved g: on the
 * line, q* and (σ_w, σ_b) determine each other, σ_w² = 1/E[g'(√q* z)²] and σ_b² = q* − σ_w²E[g²], so
 * each σ_b is a bisection on q* of one expectation a step: no fixed point is solved for (criticalSigmaW
 * solves one at every step of its own bisection, about a hundred times slower). An odd g without
 * biases has q* = 0 and σ_w = 1/g'(0).
 */
export function criticalLine(
  name: ActivationName,
  sigmaBMax: number = DIAGRAM_RANGE.sigmaB,
  count = 41,
): DiagramPoint[] {
  const sigmaBs = Array.from({ length: count }, (_, i) => (sigmaBMax * i) / (count - 1));
  if (ACTIVATIONS[name].positivelyHomogeneous) {
    const sigmaW = 1 / Math.sqrt(layerMoments(name, 1).derivative);
    return sigmaBs.map((sigmaB) => ({ sigmaW, sigmaB }));
  }
  // σ_b² along the grid of q, as far as the largest σ_b needs (each expectation costs more as q grows).
  const grid: number[] = [];
  for (const q of Q_GRID) {
    grid.push(lineAt(name, q).sigmaB2);
    if ((grid.at(-1) as number) >= sigmaBMax * sigmaBMax) break;
  }
  const odd = ACTIVATIONS[name].output(0) === 0;
  return sigmaBs.flatMap((sigmaB) => {
    if (sigmaB === 0 && odd) return [{ sigmaW: 1 / steepestSlope(name), sigmaB }];
    const q = solveForSigmaB2(name, grid, sigmaB * sigmaB);
    return q === null ? [] : [{ sigmaW: Math.sqrt(lineAt(name, q).sigmaW2), sigmaB }];
  });
}

/** The q* whose critical σ_b² is `target`: the first grid step that reaches it, then bisection in log q; null past the grid. */
function solveForSigmaB2(name: ActivationName, grid: number[], target: number): number | null {
  const above = grid.findIndex((sigmaB2) => sigmaB2 >= target);
  if (above < 0) return null;
  if (above === 0) return Q_GRID[0] as number;
  let lo = { q: Q_GRID[above - 1] as number, sigmaB2: grid[above - 1] as number };
  let hi = { q: Q_GRID[above] as number, sigmaB2: grid[above] as number };
  for (let i = 0; i < BISECTIONS; i++) {
    const q = Math.sqrt(lo.q * hi.q);
    const mid = { q, sigmaB2: lineAt(name, q).sigmaB2 };
    if (mid.sigmaB2 < target) lo = mid;
    else hi = mid;
  }
  // The bracket is a factor 2^(2^−BISECTIONS) wide: linear in between, to float64's precision of σ_w.
  return lo.q + ((hi.q - lo.q) * (target - lo.sigmaB2)) / (hi.sigmaB2 - lo.sigmaB2);
}

/** Halvings of a factor-2 bracket of q* in log q before the last step interpolates. */
const BISECTIONS = 12;

/**
 * Where the critical line lies against the diagram's σ_w range: "inside" where part of it is drawn,
 * "beyond" where χ₁ < 1 across the whole diagram (sigmoid: g' ≤ ¼ keeps χ₁ ≤ σ_w²/16 < 1 for σ_w < 4).
 */
export function lineExtent(
  line: readonly DiagramPoint[],
  sigmaWMax: number = DIAGRAM_RANGE.sigmaW,
): "inside" | "beyond" {
  return line.some((p) => p.sigmaW <= sigmaWMax) ? "inside" : "beyond";
}

/** A number to 3 significant digits, as the panel shows it ("0.953", "12.4", "1.23e+4"). */
function shown(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/** One line of the theory panel: a quantity and its value in words. */
export interface TheoryFact {
  label: string;
  value: string;
}

/**
 * The theory panel's lines: the model, χ₁ with the gradient's RMS factor √χ₁ per layer, q*, the depth
 * scales ξ_q and ξ_c ("∞" at criticality, "—" where not defined) and the phase in words.
 */
export function theoryFacts(theory: Theory, config: RunConfig): TheoryFact[] {
  return [
    { label: "Model", value: modelWords(theory, config.init) },
    { label: "χ₁", value: chiWords(theory, config) },
    { label: "q*", value: fixedPointWords(theory, config) },
    { label: "ξ_q", value: depthWords(theory, theory.xiQ, "for q_l to reach q*") },
    { label: "ξ_c", value: depthWords(theory, theory.xiC, "for two inputs' correlation to settle") },
    { label: "Phase", value: phaseWords(theory.phase) + decadesWords(theory) },
  ];
}

/** χ₁ and what it does to the gradient: its RMS changes ×√χ₁ per layer backward (at q*, in mean field). */
function chiWords(theory: Theory, config: RunConfig): string {
  const chi1 = theory.chi1;
  if (chi1 === null) return "— (no fixed point to read it at)";
  const factor = shown(Math.sqrt(chi1));
  // Batch norm's λ holds from ∂ℓ/∂a_{L−1} down to ∂ℓ/∂a_1: the top layer and layer 1 (the input's length) differ.
  const top = theory.log10GradRms.length - 2;
  const where =
    theory.model === "exact"
      ? config.activation === "linear"
        ? ""
        : " at the fixed point"
      : theory.model === "mean-field-batchnorm"
        ? ` from layer ${top} down to layer 1`
        : " at q*";
  if (Number(factor) === 1) return `${shown(chi1)}: the gradient's RMS keeps its size${where} (×√χ₁ = ×1 per layer)`;
  const change = chi1 < 1 ? "shrinks" : "grows";
  return `${shown(chi1)}: the gradient's RMS ${change} ×${factor} per layer backward${where} (×√χ₁)`;
}

/**
 * How many layers the gradient takes to change by 3 decades at ×√χ₁ a layer, after the phase (", 3 decades
 * every 79 layers"): a shallow chaotic net can still read stable in the verdict. Empty where χ₁ ≈ 1 or not defined.
 */
function decadesWords(theory: Theory): string {
  const chi1 = theory.chi1;
  if (chi1 === null || chi1 <= 0 || theory.phase === "critical" || theory.phase === null) return "";
  const layers = Math.ceil(6 / Math.abs(Math.log10(chi1)));
  return `, 3 decades every ${layers} layer${layers === 1 ? "" : "s"}`;
}

/** q*, "∞" where the length map grows without bound, or why it has none. */
function fixedPointWords(theory: Theory, config: RunConfig): string {
  if (theory.qStar !== null) return theory.qStar === 0 ? "0: the activations shrink to 0" : shown(theory.qStar);
  if (theory.model === "mean-field-residual") return "— (a residual chain's mean square grows with depth)";
  if (theory.model === "mean-field-batchnorm") return "— (batch norm sets every layer's length: no map to iterate)";
  const chi1 = theory.chi1;
  if (chi1 === null) return "—";
  if (theory.model === "mean-field" || chi1 > 1 || config.biasSigma > 0)
    return "∞: the mean square of a_l grows without bound";
  return "— (every q is fixed: each layer keeps a_l's length)";
}

/** A depth scale in layers and what settles over it; "∞" where null at criticality, "—" where not defined. */
function depthWords(theory: Theory, xi: number | null, what: string): string {
  if (xi !== null) return `${shown(xi)} layers ${what}`;
  if (theory.model === "mean-field-batchnorm") return "— (not modelled with batch norm)";
  return theory.phase === "critical" ? "∞ (critical)" : "—";
}

/** What a config adds to the phase diagram's plain chain: residual connections, a norm; none for a plain chain. */
export function plainChainExtras(config: RunConfig): string[] {
  return [
    ...(config.residual === null ? [] : ["residual connections"]),
    ...(config.norm === "none" ? [] : [`${config.norm} norm`]),
  ];
}

/**
 * What the phase diagram says of this config, beyond its dot: no point for s·I or orthogonal weights,
 * a point off the diagram, a chain the diagram does not describe (residual connections, a norm).
 */
export function diagramNotes(config: RunConfig): string[] {
  const notes: string[] = [];
  const point = configPoint(config);
  if (point === null) {
    const weights = config.init.scheme === "identity" ? "s·I weights" : "Orthogonal weights";
    notes.push(`${weights} are not Gaussian: this config has no point here.`);
  } else if (point.sigmaW > DIAGRAM_RANGE.sigmaW || point.sigmaB > DIAGRAM_RANGE.sigmaB) {
    notes.push(`This config (σ_w ${point.sigmaW.toFixed(2)}, σ_b ${point.sigmaB.toFixed(2)}) lies off the diagram.`);
  }
  const extras = plainChainExtras(config);
  if (extras.length > 0) notes.push(`The diagram is of plain chains; this one has ${extras.join(" and ")}.`);
  notes.push("A click or the arrow keys run Gaussian weights N(0, σ_w²/n) and biases N(0, σ_b²) at that point.");
  return notes;
}
