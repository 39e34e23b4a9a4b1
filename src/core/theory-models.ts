/**
 * SPEC.md's result.theory: what theory predicts for a config's per-layer curves, by the model that
 * applies to it: exact for s·I and orthogonal linear chains, mean field for Gaussian-family weights
 * (plain chains of any activation, residual chains of odd activations, plain chains with batch norm),
 * and null elsewhere (layer norm, orthogonal or s·I weights with biases or a curved activation where no
 * closed recursion exists).
 * Pure float64 arithmetic on the config and the measured RMS of the run's input; no run of the net.
 */
import { ACTIVATIONS, type ActivationName } from "./activations";
import type { RunConfig } from "./config";
import {
  curveMoments,
  type DepthScales,
  depthScales,
  type LayerMoments,
  type MeanField,
  meanField,
  weightVariance,
} from "./theory";
import { batchNormLayer } from "./theory-batch";
import { scalarMeanSquares } from "./theory-scalar";

/** The phase of a chain: gradients vanish (ordered), explode (chaotic) or neither (critical). */
export type Phase = MeanField["phase"];

/** SPEC.md's result.theory, with the mean-field depth scales and phase (a SPEC extension). */
export interface Theory {
  /**
   * "exact" (s·I and orthogonal linear chains), "mean-field" (plain Gaussian chains), "mean-field-residual",
   * "mean-field-batchnorm" (plain Gaussian chains with batch norm, at the run's batch size).
   */
  model: "exact" | "mean-field" | "mean-field-residual" | "mean-field-batchnorm";
  /**
   * σ_w² E[g'(√q* z)²], the gradient's mean-square gain per layer at the fixed point; s² or k² for exact
   * linear chains, (s·g'(z*))² for s·I chains of tanh and the sigmoid at theirs; batch norm's λ, the
   * same gain at every layer below the top.
   */
  chi1: number | null;
  /** The length map's fixed point; null where it is ∞ or not defined. */
  qStar: number | null;
  /** ordered (χ₁ < 1), chaotic (χ₁ > 1) or critical (|χ₁ − 1| < 1e-3); null where χ₁ is not defined. */
  phase: Phase | null;
  /** Depth over which q_l settles to q* (Schoenholz et al. 2017); null where ∞ or not defined. */
  xiQ: number | null;
  /** Depth over which two inputs' correlation settles; null where ∞ (critical) or not defined. */
  xiC: number | null;
  /** Predicted log10 RMS of a_l, l = 0..L. */
  log10ActRms: (number | null)[];
  /** Predicted log10 RMS of ∂ℓ/∂a_l, l = 0..L; null where the target's law is not modelled. */
  log10GradRms: (number | null)[];
}

/** log10 of the RMS of a mean square, null where it is 0 or not finite. */
function log10Rms(meanSquare: number | null): number | null {
  return meanSquare !== null && meanSquare > 0 && Number.isFinite(meanSquare) ? 0.5 * Math.log10(meanSquare) : null;
}

/**
 * E[y²] of the targets, for an input of mean square qIn: zeros 0; Gaussian 1; y = x and y = T·x (T with
 * entries N(0, 1/n)) qIn. Each is independent of a wide chain's output, except y = x for s·I chains,
 * which the exact model handles itself.
 */
function targetSquare(config: RunConfig, qIn: number): number {
  if (config.target === "zeros") return 0;
  if (config.target === "gaussian") return 1;
  return qIn;
}

/**
 * The prediction for a run, from the measured RMS of its input a_0, or null where no model applies.
 * Predictions are in expectation over the draws (and for the mean-field models, at infinite width).
 */
export function theoryFor(config: RunConfig, log10InputRms: number | null): Theory | null {
  if (log10InputRms === null || config.norm === "layer") return null;
  const qIn = 10 ** (2 * log10InputRms);
  if (config.norm === "batch") return batchNormOutside(config) === null ? batchNormChain(config, qIn) : null;
  if (config.init.scheme === "identity") return identityChain(config, config.init.scale, qIn);
  if (config.init.scheme === "orthogonal") return orthogonalChain(config, config.init.gain, qIn);
  const sigmaW2 = weightVariance(config.init, config.width);
  if (sigmaW2 === null) return null;
  if (config.residual !== null) return residualChain(config, sigmaW2, config.residual, qIn);
  return plainChain(config, sigmaW2, qIn);
}

/** χ₁, q*, the phase and depth scales of a mean-field chain. */
function fieldReading(name: ActivationName, sigmaW2: number, sigmaB2: number) {
  const field = meanField(name, sigmaW2, sigmaB2);
  const scales: DepthScales = depthScales(name, field);
  return {
    chi1: Number.isFinite(field.chi1) ? field.chi1 : null,
    qStar: Number.isFinite(field.qStar) ? field.qStar : null,
    phase: field.phase,
    ...scales,
  };
}

/** Relative change of q_l below which the length map has reached its fixed point to float64 precision. */
const SETTLED = 1e-15;

/**
 * Each layer's moments along a length map q_l = σ_w²·A_{l−1} + σ_b², A_l = next(A_{l−1}, moments): the
 * expectations are reused once q_l stops moving, so a deep chain costs its first layers only.
 */
function alongLengthMap(
  name: ActivationName,
  sigmaW2: number,
  sigmaB2: number,
  depth: number,
  qIn: number,
  next: (previous: number, moments: LayerMoments) => number,
): { meanSquare: number[]; layers: LayerMoments[] } {
  const meanSquare = [qIn];
  const layers: LayerMoments[] = [];
  let previousQ = Number.NaN;
  for (let l = 1; l <= depth; l++) {
    const q = sigmaW2 * (meanSquare[l - 1] as number) + sigmaB2;
    const settled = Math.abs(q - previousQ) <= SETTLED * previousQ;
    const moments = settled ? (layers[l - 2] as LayerMoments) : curveMoments(name, q);
    previousQ = q;
    layers.push(moments);
    meanSquare.push(next(meanSquare[l - 1] as number, moments));
  }
  return { meanSquare, layers };
}

/** ∂ℓ/∂a_l as c_l·a_l plus a fresh part r_l: the coefficient c_l and E[r_l²]. */
interface GradientParts {
  coherent: number;
  fresh: number;
}

/**
 * The gradient's mean square E[(∂ℓ/∂a_l)²] = c_l²·A_l + E[r_l²], l = L..0, from c_L = 1 and E[r_L²] = E[y²],
 * taking each layer down by `step` (given layer l's moments and A_{l−1}).
 */
function gradientDown(
  meanSquare: number[],
  layers: LayerMoments[],
  targetMeanSquare: number,
  step: (parts: GradientParts, moments: LayerMoments, below: number) => GradientParts,
): number[] {
  const depth = layers.length;
  const grad = new Array<number>(depth + 1);
  let parts: GradientParts = { coherent: 1, fresh: targetMeanSquare };
  grad[depth] = (meanSquare[depth] as number) + targetMeanSquare;
  for (let l = depth; l >= 1; l--) {
    const below = meanSquare[l - 1] as number;
    parts = step(parts, layers[l - 1] as LayerMoments, below);
    grad[l - 1] = parts.coherent * parts.coherent * below + parts.fresh;
  }
  return grad;
}

/**
 * A plain Gaussian chain in mean field (Poole et al. 2016): A_l = E[g(z_l)²] along the length map. The
 * gradient is not independent of the forward pass: ∂ℓ/∂a_L = a_L − y holds a_L itself, and conditioned on
 * W_l·a_{l−1}, W_l is a rank-one part along a_{l−1} plus an independent Gaussian, so W_lᵀ(g'(z_l) ⊙ c·a_l)
 * has a component along a_{l−1}. Writing ∂ℓ/∂a_l = c_l·a_l + r_l with r_l fresh, one layer down
 *     c_{l−1} = c_l·σ_w²·E[(g'g)'(z_l)],      E[r_{l−1}²] = σ_w²·(c_l²·E[(g'g)²] + E[g'²]·E[r_l²]),
 * from c_L = 1 and E[r_L²] = E[y²]. For a linear chain at σ_w = 1 and y = 0 this gives (L − l + 1)·E[a²], the second
 * moment of a product of Wishart matrices, where the gradient-independence assumption gives E[a²].
 */
function plainChain(config: RunConfig, sigmaW2: number, qIn: number): Theory {
  const name = config.activation;
  const sigmaB2 = config.biasSigma ** 2;
  const { meanSquare, layers } = alongLengthMap(name, sigmaW2, sigmaB2, config.depth, qIn, (_, m) => m.output);
  const grad = gradientDown(meanSquare, layers, targetSquare(config, qIn), ({ coherent, fresh }, m) => ({
    fresh: sigmaW2 * (coherent * coherent * m.outputDerivative + m.derivative * fresh),
    coherent: coherent * sigmaW2 * m.coherentGain,
  }));
  return {
    model: "mean-field",
    ...fieldReading(name, sigmaW2, sigmaB2),
    log10ActRms: meanSquare.map(log10Rms),
    log10GradRms: grad.map(log10Rms),
  };
}

/**
 * A residual chain a_l = a_{l−1} + α·g(z_l) of an odd activation (linear, tanh) in mean field: the mean of
 * the activations stays 0, so the residual branch is uncorrelated with its input and
 *     A_l = A_{l−1} + α²·E[g(z_l)²]      ((1 + α²σ_w²)^l·qIn for a linear chain without biases).
 * Backwards ∂ℓ/∂a_{l−1} = ∂ℓ/∂a_l + α·W_lᵀ(g'(z_l) ⊙ ∂ℓ/∂a_l), decomposed as for plain chains:
 *     c_{l−1} = c_l·(1 + α²σ_w²·E[(g'g)']),
 *     E[r_{l−1}²] = E[r_l²] + c_l²α²E[g²] + α²σ_w²·(c_l²·E[g'²]·A_{l−1} + c_l²α²·E[(g'g)²] + E[g'²]·E[r_l²]).
 * Null for activations with a mean (relu, leaky ReLU, sigmoid), whose skip and branch correlate.
 */
function residualChain(config: RunConfig, sigmaW2: number, alpha: number, qIn: number): Theory | null {
  const name = config.activation;
  if (name !== "linear" && name !== "tanh") return null;
  const a2 = alpha * alpha;
  const sigmaB2 = config.biasSigma ** 2;
  const { meanSquare, layers } = alongLengthMap(
    name,
    sigmaW2,
    sigmaB2,
    config.depth,
    qIn,
    (previous, m) => previous + a2 * m.output,
  );
  const grad = gradientDown(meanSquare, layers, targetSquare(config, qIn), ({ coherent, fresh }, m, below) => {
    const c2 = coherent * coherent;
    return {
      fresh:
        fresh +
        c2 * a2 * m.output +
        a2 * sigmaW2 * (c2 * m.derivative * below + c2 * a2 * m.outputDerivative + m.derivative * fresh),
      coherent: coherent * (1 + a2 * sigmaW2 * m.coherentGain),
    };
  });
  // A residual chain has no fixed point to settle to: its mean square grows with depth.
  return {
    model: "mean-field-residual",
    chi1: null,
    qStar: null,
    phase: null,
    xiQ: null,
    xiC: null,
    log10ActRms: meanSquare.map(log10Rms),
    log10GradRms: grad.map(log10Rms),
  };
}

/**
 * Linear chains whose every layer scales lengths by |k| (W = k·Q, Q orthogonal): ‖a_l‖ = |k|^l‖a_0‖ and
 * ‖∂ℓ/∂a_l‖ = |k|^(L−l)‖∂ℓ/∂a_L‖ exactly, for every example; biases add σ_b² per layer in expectation.
 */
function orthogonalChain(config: RunConfig, gain: number, qIn: number): Theory | null {
  if (config.activation !== "linear" || config.residual !== null) return null;
  return scaledLinearChain(config, gain, qIn, (meanSquareL) => meanSquareL + targetSquare(config, qIn));
}

/** The exact curves of a linear chain scaling by k per layer, given E‖a_L − y‖² per unit from E‖a_L‖². */
function scaledLinearChain(
  config: RunConfig,
  k: number,
  qIn: number,
  outputError: (meanSquareL: number) => number,
): Theory {
  const k2 = k * k;
  const sigmaB2 = config.biasSigma ** 2;
  const act = [qIn];
  for (let l = 1; l <= config.depth; l++) act.push(k2 * (act[l - 1] as number) + sigmaB2);
  const grad = new Array<number>(config.depth + 1);
  grad[config.depth] = outputError(act[config.depth] as number);
  for (let l = config.depth; l >= 1; l--) grad[l - 1] = k2 * (grad[l] as number);
  const qStar = k2 < 1 ? sigmaB2 / (1 - k2) : null;
  return {
    model: "exact",
    chi1: k2,
    qStar,
    phase: phaseOf(k2),
    xiQ: k2 > 0 && k2 < 1 ? -1 / Math.log(k2) : null,
    xiC: k2 > 0 && k2 < 1 ? -1 / Math.log(k2) : null,
    log10ActRms: act.map(log10Rms),
    log10GradRms: grad.map(log10Rms),
  };
}

function phaseOf(chi1: number): Phase {
  return Math.abs(chi1 - 1) < 1e-3 ? "critical" : chi1 < 1 ? "ordered" : "chaotic";
}

/**
 * |s|·max g' of an s·I chain of a curved activation where it is past what scalarChain models (above 1,
 * or 1 for tanh, whose paths near 0 then stay linear over the whole depth); null where it is modelled
 * (and for positively homogeneous activations, exact at any s).
 */
export function scalarReach(activation: ActivationName, s: number): number | null {
  if (ACTIVATIONS[activation].positivelyHomogeneous) return null;
  // The largest |g'|: g'(0), 1 for tanh and ¼ for the sigmoid.
  const reach = Math.abs(s) * (activation === "sigmoid" ? 0.25 : 1);
  return reach > 1 || (reach === 1 && activation === "tanh") ? reach : null;
}

/**
 * s·I chains: every unit follows its own scalar map x ← g(s·x), so the curves are exact expectations over
 * the input's law (all ones, or N(0, 1)): the RMS of a_l is that of g∘s iterated l times, and ∂ℓ/∂a_l is
 * ∂ℓ/∂a_L times the product of s·g' along the unit's path. Linear chains with biases follow the exact
 * scaled recursion; a curved activation with biases has no closed form here (null).
 */
function identityChain(config: RunConfig, s: number, qIn: number): Theory | null {
  if (config.residual !== null) return null;
  if (config.activation === "linear") {
    // y = x correlates with a_L = s^L·x: E(a_L − x)² = A_L + qIn − 2·s^L·qIn.
    const correlation = config.target === "input" ? 2 * s ** config.depth * qIn : 0;
    return scaledLinearChain(config, s, qIn, (meanSquareL) => meanSquareL + targetSquare(config, qIn) - correlation);
  }
  if (config.biasSigma > 0) return null;
  return scalarChain(config, s);
}

/**
 * The s·I chain of a curved or piecewise-linear activation without biases, as an expectation over the
 * input. A positively homogeneous g maps x to |x|·f(sign x), so the two inputs ±1 give it exactly. A
 * curved g only where |s|·max g' ≤ 1: past that (tanh at s > 1), units whose input lies within about
 * s^−L of 0 stay linear and their gradient grows like s^L, so the expectation is carried by inputs that
 * no batch samples, and it says nothing of what a run measures (null).
 */
function scalarChain(config: RunConfig, s: number): Theory | null {
  if (scalarReach(config.activation, s) !== null) return null;
  const { act, grad } = scalarMeanSquares(config, s);
  const fixed = ACTIVATIONS[config.activation].positivelyHomogeneous ? null : scalarFixedPoint(config.activation, s);
  return {
    model: "exact",
    chi1: fixed?.chi1 ?? null,
    qStar: fixed?.qStar ?? null,
    phase: fixed ? phaseOf(fixed.chi1) : null,
    xiQ: null,
    xiC: null,
    log10ActRms: Array.from(act, log10Rms),
    log10GradRms: Array.from(grad, log10Rms),
  };
}

/**
 * The fixed point a* = g(s·a*) every unit of a curved s·I chain within scalarReach converges to (0 for
 * tanh at |s| < 1; the map contracts, |s|·g' ≤ 1), with χ₁ = (s·g'(s·a*))², the gradient's mean-square gain
 * per layer there, and q* = (s·a*)², the pre-activation's length there.
 */
function scalarFixedPoint(name: ActivationName, s: number): { chi1: number; qStar: number } {
  const g = ACTIVATIONS[name];
  let a = g.output(0);
  for (let i = 0; i < 10_000; i++) {
    const next = g.output(s * a);
    if (Math.abs(next - a) <= 1e-16) {
      a = next;
      break;
    }
    a = next;
  }
  return { chi1: (s * g.derFromOutput(a)) ** 2, qStar: (s * a) ** 2 };
}

/** The smallest batch whose mean field holds at a width a run reaches: E[1/χ²_{B−1}] needs a finite variance. */
export const BATCH_NORM_MIN_BATCH = 6;
/** σ_w² times the variance per direction it scales, below which ε = 1e-5 moves λ by more than about 0.1% a layer. */
export const BATCH_NORM_MIN_VARIANCE = 0.01;

/** Why a batch-normalized config is outside batchNormChain's model, or null where it is inside. */
export type BatchNormOutside = "residual" | "weights" | "input" | "batch" | "epsilon";

/**
 * Where batch norm's mean field does not hold: residual chains; weights that are not Gaussian-family
 * (s·I, orthogonal); an input of equal examples, which batch norm zeroes; batches under 6, whose 1/σ²
 * has an infinite variance (B = 4: a layer of 256 units gains ×1.7 where the limit says ×2, closing as
 * n^(−1/3)); and weights so small that ε is not small beside the batch variance. Null inside.
 */
export function batchNormOutside(config: RunConfig): BatchNormOutside | null {
  if (config.residual !== null) return "residual";
  const sigmaW2 = weightVariance(config.init, config.width);
  if (sigmaW2 === null) return "weights";
  if (config.input === "ones") return "input";
  if (config.batch < BATCH_NORM_MIN_BATCH) return "batch";
  const spread = Math.min(1, batchNormLayer(config.activation, config.batch).spread);
  return sigmaW2 * spread < BATCH_NORM_MIN_VARIANCE ? "epsilon" : null;
}

/**
 * A plain chain with batch norm in mean field at the run's batch B (theory-batch.ts): a_l has the
 * mean square E[g(ẑ)²] from layer 1, whatever σ_w and σ_b; ∂ℓ/∂a_L = a_L − y; one layer down, the
 * gradient's mean square is E‖Π·D·(a_L − y)‖²/(κ_{L−1}(B − 3)) and then ×λ_l = B·E[T]/(κ_{l−1}(B − 1)(B − 3))
 * a layer, κ_0 the input's mean square and κ_l = κ above it. Gradients explode at any σ_w.
 */
function batchNormChain(config: RunConfig, qIn: number): Theory {
  const layer = batchNormLayer(config.activation, config.batch);
  const depth = config.depth;
  const b = config.batch;
  const targetMeanSquare = targetSquare(config, qIn);
  const spreadBelow = (l: number) => (l === 1 ? qIn : layer.spread);
  const act = [qIn, ...new Array<number>(depth).fill(layer.output)];
  const grad = new Array<number>(depth + 1);
  grad[depth] = layer.output + targetMeanSquare;
  grad[depth - 1] = (layer.topOutput + targetMeanSquare * layer.topTarget) / (spreadBelow(depth) * (b - 3));
  for (let l = depth - 1; l >= 1; l--)
    grad[l - 1] = ((grad[l] as number) * layer.gradientGain) / (spreadBelow(l) * (b - 3));
  const chi1 = layer.gradientGain / (layer.spread * (b - 3));
  return {
    model: "mean-field-batchnorm",
    chi1,
    qStar: null,
    phase: phaseOf(chi1),
    xiQ: null,
    xiC: null,
    log10ActRms: act.map(log10Rms),
    log10GradRms: grad.map(log10Rms),
  };
}
