/**
 * Mean-field theory of a deep chain at initialization (Poole et al. 2016; Schoenholz et al. 2017):
 * for Gaussian-family weights of variance σ_w²/n and biases N(0, σ_b²), the pre-activations of a wide
 * net are Gaussian with a variance q_l that follows the length map
 *
 *     q_1 = σ_w² q_in + σ_b²,      q_l = σ_w² E[g(√q_{l-1} z)²] + σ_b²,      z ~ N(0, 1),
 *
 * to a fixed point q*, whose slope χ₁ = σ_w² E[g'(√q* z)²] says whether the chain is ordered
 * (χ₁ < 1: gradients vanish), chaotic (χ₁ > 1: they explode) or critical. Expectations over z come
 * from a trapezoid rule whose step keeps clear of the integrand's poles (gaussianExpectation); for
 * piecewise-linear activations, from their closed forms.
 */
import { ACTIVATIONS, type ActivationName, LEAKY_SLOPE } from "./activations";
import type { InitConfig } from "./config";
import { initVariance } from "./init";

/** The half-width of the range of z integrated over: the Gaussian weight beyond it is below 1e-19. */
const Z_RANGE = 9.5;
/** Terms of the trapezoid rule's error e^(−2π·d/h) kept below e^(−36) ≈ 2e-16 (d: the poles' distance). */
const POLE_DECAY = 36;
/** The largest step: the rule's error for the Gaussian weight itself, e^(−2π²/h²), is 1e-24 there. */
const MAX_STEP = 0.6;

/** The trapezoid rule's step for an integrand analytic within `poleDistance` of the real axis. */
function stepFor(poleDistance: number): number {
  return Math.min(MAX_STEP, (2 * Math.PI * poleDistance) / POLE_DECAY);
}

/**
 * E[f(z)] for z ~ N(0, 1) by the trapezoid rule on [−Z_RANGE, Z_RANGE]. For an integrand analytic
 * within `poleDistance` of the real axis (tanh(√q z) has poles at z = ±iπ/(2√q)) its error falls like
 * e^(−2π·poleDistance/h), so the step is chosen below the poles' distance: as accurate as Gauss–Hermite
 * of high order, and it does not slow down near the poles as a fixed rule does (96 Gauss–Hermite nodes
 * gave E[tanh(√10 z)²] only to 4e-7).
 */
export function gaussianExpectation(f: (z: number) => number, poleDistance = Number.POSITIVE_INFINITY): number {
  const { nodes, weights } = gaussianRule(stepFor(poleDistance));
  let sum = 0;
  for (let i = 0; i < nodes.length; i++) sum += (weights[i] as number) * f(nodes[i] as number);
  return sum;
}

/** The trapezoid rule's nodes z and weights for E[f(z)], z ~ N(0, 1), at step h on [−range, range]. */
export function gaussianRule(h: number, range = Z_RANGE): { nodes: number[]; weights: number[] } {
  const nodes: number[] = [];
  const weights: number[] = [];
  const count = Math.ceil(range / h);
  for (let i = -count; i <= count; i++) {
    nodes.push(i * h);
    weights.push((h * Math.exp(-((i * h) ** 2) / 2)) / Math.sqrt(2 * Math.PI));
  }
  return { nodes, weights };
}

/**
 * The trapezoid rule in u for E[f(x)], x ~ N(0, 1), with x = scale·sinh(u): nodes scale·sinh(k·h) on
 * [−range, range], weights h·scale·cosh(k·h)·φ(x). Its nodes crowd within `scale` of 0 and thin out
 * geometrically past it, for integrands that vary on the scale `scale` near 0 and slowly elsewhere. Its error
 * falls like e^(−2π·d/h) for f analytic on the image of the strip |Im u| < d; the Gaussian weight itself,
 * |φ(scale·sinh(v + i·d))| ∝ exp(−scale²(sinh²v·cos 2d − sin²d)/2), decays along that line only while
 * d < π/4, which caps d: an error of about e^(−π²/(2h)).
 */
export function sinhGaussianRule(scale: number, h: number, range = Z_RANGE): { nodes: number[]; weights: number[] } {
  const nodes: number[] = [];
  const weights: number[] = [];
  const count = Math.ceil(Math.asinh(range / scale) / h);
  for (let i = -count; i <= count; i++) {
    const x = scale * Math.sinh(i * h);
    nodes.push(x);
    weights.push((h * scale * Math.cosh(i * h) * Math.exp(-(x * x) / 2)) / Math.sqrt(2 * Math.PI));
  }
  return { nodes, weights };
}

/** How far from the real axis the poles of g(√q z) lie: π/(2√q) for tanh, π/√q for sigmoid. */
function poleDistance(name: ActivationName, q: number): number {
  return (name === "tanh" ? Math.PI / 2 : Math.PI) / Math.sqrt(q);
}

/** g'(z) of an activation, from its table's derivative of the output. */
export function derivative(name: ActivationName): (z: number) => number {
  const g = ACTIVATIONS[name];
  return (z) => g.derFromOutput(g.output(z));
}

/** The expectations over pre-activations z ~ N(0, q) that a layer's predictions need. */
export interface LayerMoments {
  /** E[g(z)²] */
  output: number;
  /** E[g'(z)²] */
  derivative: number;
  /** E[(g'(z)·g(z))²], the seed's g'-weighted output */
  outputDerivative: number;
  /** E[(g'g)'(z)] = E[z·g'(z)g(z)]/q (Stein's lemma), the gain of the gradient's component along a_l */
  coherentGain: number;
}

/**
 * Past this |x| the derivative of tanh (4e^(−2|x|)) and of the sigmoid (e^(−|x|)) are below 1e-16 of their
 * peak, and so are the moments' other integrands, which all carry a factor g'.
 */
const LOCALIZED: Record<"tanh" | "sigmoid", number> = { tanh: 20, sigmoid: 40 };

/**
 * Every moment of a layer at variance q, in one pass over the nodes: closed forms for piecewise-linear
 * g (slope s below 0: E[g²] = q(1 + s²)/2, E[g'²] = (1 + s²)/2, E[(g'g)²] = q(1 + s⁴)/2), else the
 * trapezoid rule. Where q is large, every integrand is made to vanish away from 0, so a wide Gaussian (large q) needs no
 * more nodes than the activation's own width: E[g²] is taken as c − E[g'] (tanh² = 1 − tanh'; for the
 * sigmoid, σ(x)² + σ(−x)² = 1 − 2σ'(x), so E[σ²] = ½ − E[σ']), and the nodes stop where g' has vanished.
 * An odd g makes every integrand even: the nodes cover z ≥ 0 only.
 */
export function layerMoments(name: ActivationName, q: number): LayerMoments {
  const slope = piecewiseSlope(name);
  if (slope !== null) {
    const s2 = slope * slope;
    return {
      output: (q * (1 + s2)) / 2,
      derivative: (1 + s2) / 2,
      outputDerivative: (q * (1 + s2 * s2)) / 2,
      coherentGain: (1 + s2) / 2,
    };
  }
  if (name === "tanh" && q < TANH_SERIES_BELOW) return tanhSeries(q);
  const curved = name as "tanh" | "sigmoid";
  const g = ACTIVATIONS[curved];
  const odd = curved === "tanh";
  const h = stepFor(poleDistance(curved, q));
  const root = Math.sqrt(q);
  // Localized only where that saves nodes: at small q, c − E[g'] would cancel (E[tanh²] ≈ q).
  const localized = LOCALIZED[curved] / root < Z_RANGE;
  const count = Math.ceil(Math.min(Z_RANGE, LOCALIZED[curved] / root) / h);
  const norm = h / Math.sqrt(2 * Math.PI);
  let slopeMean = 0;
  let outputSquare = 0;
  let derivative = 0;
  let outputDerivative = 0;
  let coherentGain = 0;
  for (let i = odd ? 0 : -count; i <= count; i++) {
    const z = i * h;
    const w = norm * Math.exp((-z * z) / 2) * (odd && i > 0 ? 2 : 1);
    const a = g.output(root * z);
    const d = g.derFromOutput(a);
    slopeMean += w * d;
    outputSquare += w * a * a;
    derivative += w * d * d;
    outputDerivative += w * (d * a) ** 2;
    coherentGain += w * z * d * a;
  }
  const output = !localized ? outputSquare : odd ? 1 - slopeMean : 0.5 - slopeMean;
  return { output, derivative, outputDerivative, coherentGain: coherentGain / root };
}

/** Below this q, tanh's moments come from their series in q (the next terms are O(q³), 1e-16 relative). */
const TANH_SERIES_BELOW = 1e-6;

/**
 * tanh's moments at small q, from tanh² x = x² − (2/3)x⁴ + (17/45)x⁶ − … and E[x²ᵏ] = (2k − 1)!!·qᵏ:
 * E[tanh²] = q − 2q² + (17/3)q³, E[tanh'²] = 1 − 2q + 7q², E[(tanh'·tanh)²] = q − 8q² + (182/3)q³,
 * E[(tanh'·tanh)'] = 1 − 4q + 17q². The second-order terms matter: just past σ_w = 1 without biases,
 * χ₁ − 1 ≈ (4/3)q*² is all there is to tell chaos from order.
 */
function tanhSeries(q: number): LayerMoments {
  const q2 = q * q;
  return {
    output: q - 2 * q2 + (17 / 3) * q2 * q,
    derivative: 1 - 2 * q + 7 * q2,
    outputDerivative: q - 8 * q2 + (182 / 3) * q2 * q,
    coherentGain: 1 - 4 * q + 17 * q2,
  };
}

/** Steps of ln q between the points of the moments' table (interpolated by cubics: about 1e-9 relative). */
const TABLE_STEP = 0.02;
/** The table's range of q; outside it the moments are computed at each q. */
const TABLE_RANGE = [1e-6, 1e6] as const;
/** Per activation, the moments at q = e^(k·TABLE_STEP), filled as the curves ask for them. */
const momentTables = new Map<ActivationName, Map<number, LayerMoments>>();

function tablePoint(name: ActivationName, k: number): LayerMoments {
  const table = momentTables.get(name) ?? new Map<number, LayerMoments>();
  momentTables.set(name, table);
  const moments = table.get(k) ?? layerMoments(name, Math.exp(k * TABLE_STEP));
  table.set(k, moments);
  return moments;
}

/**
 * layerMoments for the curves, which visit thousands of values of q: a cubic through the four points of a
 * table in ln q around it (its points computed once per activation and kept), about 1e-9 relative.
 * Piecewise-linear activations and q outside 1e-6..1e6 are computed directly.
 */
export function curveMoments(name: ActivationName, q: number): LayerMoments {
  if (piecewiseSlope(name) !== null || !(q >= TABLE_RANGE[0] && q <= TABLE_RANGE[1])) return layerMoments(name, q);
  const u = Math.log(q) / TABLE_STEP;
  const k = Math.floor(u);
  const t = u - k;
  // Lagrange weights of the points k − 1, k, k + 1, k + 2 at k + t.
  const weights = [
    (-t * (t - 1) * (t - 2)) / 6,
    ((t + 1) * (t - 1) * (t - 2)) / 2,
    (-(t + 1) * t * (t - 2)) / 2,
    ((t + 1) * t * (t - 1)) / 6,
  ];
  const result = { output: 0, derivative: 0, outputDerivative: 0, coherentGain: 0 };
  for (let j = 0; j < 4; j++) {
    const point = tablePoint(name, k - 1 + j);
    const w = weights[j] as number;
    result.output += w * point.output;
    result.derivative += w * point.derivative;
    result.outputDerivative += w * point.outputDerivative;
    result.coherentGain += w * point.coherentGain;
  }
  return result;
}

/** E[g(√q z)²]. */
export function meanSquareOutput(name: ActivationName, q: number): number {
  return layerMoments(name, q).output;
}

/** E[g'(√q z)²]. */
export function meanSquareDerivative(name: ActivationName, q: number): number {
  return layerMoments(name, q).derivative;
}

/** The slope below 0 of a piecewise-linear activation (1 for linear), or null for a curved one. */
function piecewiseSlope(name: ActivationName): number | null {
  if (name === "linear") return 1;
  if (name === "relu") return 0;
  if (name === "leaky_relu") return LEAKY_SLOPE;
  return null;
}

/** σ_w² of a Gaussian-family init (n·Var(W_ij)), or null where mean-field theory does not apply (s·I, orthogonal). */
export function weightVariance(init: InitConfig, n: number): number | null {
  if (init.scheme === "identity" || init.scheme === "orthogonal") return null;
  const variance = initVariance(init, n);
  return variance === null ? null : n * variance;
}

/** The mean-field reading of a chain: σ_w², σ_b², its fixed point q*, χ₁ and its phase. */
export interface MeanField {
  sigmaW2: number;
  sigmaB2: number;
  qStar: number;
  chi1: number;
  phase: "ordered" | "chaotic" | "critical";
}

/** |χ₁ − 1| below this reads critical. */
export const CRITICAL_TOLERANCE = 1e-3;

/**
 * The fixed point q* of the length map: in closed form for piecewise-linear g (∞ where the map grows
 * without bound), 0 for an odd g without biases on the ordered side, else the root of
 * q = σ_w²·E[g(√q z)²] + σ_b² by bisection (q0: the start of a linear map that neither grows nor shrinks).
 */
export function fixedPoint(name: ActivationName, sigmaW2: number, sigmaB2: number, q0 = 1): number {
  const slope = piecewiseSlope(name);
  if (slope !== null) {
    // A linear map q ← a·q + σ_b²: its fixed point, or ∞ (0 without biases) where a ≥ 1.
    const a = (sigmaW2 * (1 + slope * slope)) / 2;
    if (a < 1) return sigmaB2 / (1 - a);
    if (sigmaB2 > 0 || a > 1) return q0 > 0 || sigmaB2 > 0 ? Number.POSITIVE_INFINITY : 0;
    return q0;
  }
  const g = ACTIVATIONS[name];
  const slopeAtZero = g.derFromOutput(g.output(0));
  // An odd activation with |g(x)| ≤ g'(0)·|x| and no biases shrinks q to 0 when σ_w²·g'(0)² ≤ 1
  // (tanh: the ordered side of σ_w = 1), however slowly (like 1/l at σ_w = 1).
  if (sigmaB2 === 0 && g.output(0) === 0 && sigmaW2 * slopeAtZero * slopeAtZero <= 1) return 0;
  // A bounded g: F(q) = σ_w²·E[g(√q z)²] + σ_b² − q is positive just above 0 (or at 0) and negative past
  // σ_w²·sup g² + σ_b² (sup g² = 1 for tanh and sigmoid), so bisection finds q* to float64 precision
  // however slowly the map itself would converge near the critical line.
  const excess = (q: number) => sigmaW2 * meanSquareOutput(name, q) + sigmaB2 - q;
  let lo = sigmaB2 > 0 || g.output(0) !== 0 ? 0 : 1e-300;
  let hi = sigmaW2 + sigmaB2 + 1;
  if (!(excess(lo) >= 0)) return 0;
  for (let i = 0; i < 2000 && hi - lo > 1e-15 * hi; i++) {
    const mid = lo === 0 || hi / lo < 4 ? (lo + hi) / 2 : Math.sqrt(lo * hi);
    if (excess(mid) >= 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The mean-field fixed point, χ₁ and phase of an activation at (σ_w², σ_b²). */
export function meanField(name: ActivationName, sigmaW2: number, sigmaB2: number): MeanField {
  const qStar = fixedPoint(name, sigmaW2, sigmaB2);
  const chi1 = sigmaW2 * meanSquareDerivative(name, Number.isFinite(qStar) ? qStar : 1);
  const phase = Math.abs(chi1 - 1) < CRITICAL_TOLERANCE ? "critical" : chi1 < 1 ? "ordered" : "chaotic";
  return { sigmaW2, sigmaB2, qStar, chi1, phase };
}

/**
 * Predicted log10 RMS of a_l, l = 0..L, for inputs of mean square qIn: log10 √qIn at l = 0, then
 * ½·log10 E[g(√q_l z)²] along the length map; null past float64's range.
 */
export function predictedLog10ActRms(
  name: ActivationName,
  sigmaW2: number,
  sigmaB2: number,
  depth: number,
  qIn = 1,
): (number | null)[] {
  const out: (number | null)[] = [0.5 * Math.log10(qIn)];
  let meanSquare = qIn;
  for (let l = 1; l <= depth; l++) {
    const q = sigmaW2 * meanSquare + sigmaB2;
    meanSquare = meanSquareOutput(name, q);
    out.push(meanSquare > 0 && Number.isFinite(meanSquare) ? 0.5 * Math.log10(meanSquare) : null);
  }
  return out;
}

/**
 * The σ_w where χ₁ = 1 at this σ_b, by bisection on [lo, hi]; null where χ₁ − 1 does not change sign
 * there (the sigmoid's line lies past σ_w = 10: its g' ≤ ¼).
 */
export function criticalSigmaW(name: ActivationName, sigmaB: number, lo = 0.5, hi = 4): number | null {
  const excess = (sigmaW: number) => meanField(name, sigmaW * sigmaW, sigmaB * sigmaB).chi1 - 1;
  if (excess(lo) > 0 || excess(hi) < 0) return null;
  let a = lo;
  let b = hi;
  for (let i = 0; i < 80; i++) {
    const mid = (a + b) / 2;
    if (excess(mid) < 0) a = mid;
    else b = mid;
  }
  return (a + b) / 2;
}

/**
 * E[f(u₁)·f(u₂)] for (u₁, u₂) Gaussian with variance q each and correlation c, by a product trapezoid
 * rule (31² nodes: enough for a depth scale).
 */
function correlatedExpectation(f: (u: number) => number, q: number, c: number): number {
  const { nodes, weights } = gaussianRule(0.5, 7.5);
  const root = Math.sqrt(q);
  const across = Math.sqrt(Math.max(0, 1 - c * c));
  let sum = 0;
  for (let i = 0; i < nodes.length; i++) {
    const z1 = nodes[i] as number;
    let inner = 0;
    for (let j = 0; j < nodes.length; j++)
      inner += (weights[j] as number) * f(root * (c * z1 + across * (nodes[j] as number)));
    sum += (weights[i] as number) * f(root * z1) * inner;
  }
  return sum;
}

/**
 * The correlation map's stable fixed point c* of two inputs' pre-activations (Poole et al. 2016),
 * c ← (σ_w²·E[g(u₁)g(u₂)] + σ_b²)/q*: 1 on the ordered side, below 1 on the chaotic side, found there by
 * bisection on [0, 1) to 1e-6 (the map lies above c at 0 and below it just under 1, where its slope is χ₁ > 1).
 */
export function correlationFixedPoint(name: ActivationName, field: MeanField): number {
  if (field.chi1 <= 1 || !(field.qStar > 0) || !Number.isFinite(field.qStar)) return 1;
  const g = ACTIVATIONS[name].output;
  const map = (c: number) => (field.sigmaW2 * correlatedExpectation(g, field.qStar, c) + field.sigmaB2) / field.qStar;
  let lo = 0;
  let hi = 1 - 1e-9;
  if (map(lo) <= lo) return 0;
  for (let i = 0; i < 20; i++) {
    const mid = (lo + hi) / 2;
    if (map(mid) > mid) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The mean-field depth scales over which q_l reaches q* (ξ_q) and two inputs' correlation reaches c* (ξ_c). */
export interface DepthScales {
  /** −1/ln(σ_w²·E[(g'g)'(√q* z)]) (Schoenholz et al. 2017); the map's slope at q* = 0 is χ₁; null where q* is ∞ or at a slope of 1. */
  xiQ: number | null;
  /** −1/ln of the correlation map's slope at c*: χ₁ on the ordered side; null (∞) at criticality. */
  xiC: number | null;
}

/** ξ_q and ξ_c of a mean-field chain (Schoenholz et al. 2017, eqs. 9 and 11). */
export function depthScales(name: ActivationName, field: MeanField): DepthScales {
  const scale = (slope: number) => (slope > 0 && slope < 1 - 1e-9 ? -1 / Math.log(slope) : null);
  const finite = Number.isFinite(field.qStar);
  const qSlope = !finite
    ? Number.NaN
    : field.qStar > 0
      ? field.sigmaW2 * layerMoments(name, field.qStar).coherentGain
      : field.chi1;
  const xiQ = scale(qSlope);
  if (field.phase === "critical") return { xiQ, xiC: null };
  const cStar = correlationFixedPoint(name, field);
  if (cStar >= 1) return { xiQ, xiC: scale(field.chi1) };
  const der = derivative(name);
  const slope = field.sigmaW2 * correlatedExpectation(der, field.qStar, cStar);
  return { xiQ, xiC: scale(slope) };
}
