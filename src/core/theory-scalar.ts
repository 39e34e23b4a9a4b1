/**
 * s·I chains without biases (W_l = s·I): every unit follows its own scalar map x ← g(s·x), so the mean
 * squares of a_l and ∂ℓ/∂a_l are exact expectations over the input's law (all ones, or N(0, 1) by
 * quadrature): the RMS of a_l is that of g∘s iterated l times, and ∂ℓ/∂a_l is ∂ℓ/∂a_L times the
 * product of s·g' along the unit's path. theoryFor (theory-models.ts) turns them into curves.
 */
import { ACTIVATIONS, type ActivationName } from "./activations";
import type { RunConfig } from "./config";
import { gaussianRule, sinhGaussianRule } from "./theory";

/** E[a_l²] and E[(∂ℓ/∂a_l)²], l = 0..L. */
export interface ScalarMeanSquares {
  act: Float64Array;
  grad: Float64Array;
}

/** A path that has turned linear: from its last layer on, a_k = a_last·s^(k−last) and its gain is s. */
const LINEAR = 1;
/** A path that has reached its fixed point (to the last bit or two): from its last layer on, it stays there. */
const FIXED = 2;

/** Below this |a| a tanh path is linear: tanh and its slope are z and 1 to float64 precision. */
const TANH_LINEAR_BELOW = 1e-8;

/**
 * tanh(z), below |z| = 0.1 by its Taylor polynomial to z¹³ (the next term is 1.5e-17 of it, and the sum
 * is within 2 ulp of tanh): a deep chain near s = 1 spends most of its layers there, and a polynomial
 * costs a fraction of Math.tanh.
 */
function tanhOutput(z: number): number {
  const z2 = z * z;
  if (z2 >= 0.01) return Math.tanh(z);
  return (
    z +
    z *
      z2 *
      (-1 / 3 + z2 * (2 / 15 + z2 * (-17 / 315 + z2 * (62 / 2835 + z2 * (-1382 / 155925 + z2 * (21844 / 6081075))))))
  );
}

/**
 * The nodes and weights over x ~ N(0, 1) of a tanh s·I chain (|s| < 1). Every singularity of the integrands
 * (polynomials in x and the path a_l(x)) lies on the imaginary axis: tanh(w) is imaginary only where w is,
 * so a_l(x) reaches a pole of tanh only from an imaginary x. There a_l(iy) = ±i·b_l with b_l = tan(|s|·b_{l−1}),
 * which shrinks to 0 from any |y| below b*, the positive root of tan(|s|·b) = b (b* > 1.22·√(1 − s²) at
 * every |s| < 1, b*² → 3(1 − |s|) as |s| → 1): the integrands are analytic off {iy : |y| ≥ b*}. Near x = 0,
 * where paths stay linear for about 1/(1 − s²) layers, they vary on the scale √(1 − s²), and slowly
 * elsewhere. With x = c·sinh(u), c = √(1 − s²) < b*, the strip |Im u| < π/2 maps into the analytic region
 * (Re x = 0 only at Re u = 0, where |x| = c·|sin Im u| < c), so the trapezoid rule in u errs only by the
 * Gaussian weight's bound d < π/4 (sinhGaussianRule): about e^(−π²/(2h)), e^(−30) at h = π²/60; against a
 * uniform rule of step 0.05·√(1 − s²), 3e-12 or less in log10 RMS for |s| from 0.1 to 0.9999 at depths up
 * to 4096, with asinh(8.5/c)/h nodes on x ≥ 0 (38 at s = 0.999).
 */
function tanhInputRule(s: number): { nodes: number[]; weights: number[] } {
  return sinhGaussianRule(Math.sqrt(1 - s * s), Math.PI ** 2 / 60, 8.5);
}

/**
 * The nodes and weights over x ~ N(0, 1) of a sigmoid s·I chain (|s| ≤ 4): a uniform step that keeps clear
 * of σ(s·x)'s poles at distance π/|s|, as layerMoments' does (its compositions' poles are no nearer where
 * |s|·σ' ≤ 1), to about 1e-9.
 */
function sigmoidInputRule(s: number): { nodes: number[]; weights: number[] } {
  return gaussianRule(Math.min(0.5, (2 * Math.PI * Math.PI) / Math.abs(s) / 30), 8.5);
}

/**
 * The units' inputs x and their weights in the expectation: the input 1; ±1 for a positively homogeneous
 * g, which maps x to |x|·f(sign x); else a rule over N(0, 1), where an odd g gives x and −x the same
 * squares: one of each pair, twice.
 */
function inputLaw(config: RunConfig, s: number): { xs: number[]; ws: number[] } {
  const g = ACTIVATIONS[config.activation];
  if (config.input === "ones") return { xs: [1], ws: [1] };
  if (g.positivelyHomogeneous) return { xs: [1, -1], ws: [0.5, 0.5] };
  const { nodes, weights } = config.activation === "tanh" ? tanhInputRule(s) : sigmoidInputRule(s);
  const odd = g.output(0) === 0;
  const xs: number[] = [];
  const ws: number[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const x = nodes[i] as number;
    if (odd && x < 0) continue;
    xs.push(x);
    ws.push((weights[i] as number) * (odd && x > 0 ? 2 : 1));
  }
  return { xs, ws };
}

/**
 * Every unit's path, layer by layer: row l holds a_l of the paths still followed (values, with the unit
 * of each in `units`), from rowStart[l] to rowStart[l + 1]. A path stops being followed at its last
 * layer once it turns linear or reaches its fixed point (how: LINEAR or FIXED, 0 where it reaches L). The
 * paths of a layer are computed together: they are independent, so the processor overlaps them.
 */
interface Paths {
  values: Float64Array;
  units: Int32Array;
  rowStart: Int32Array;
  last: Int32Array;
  how: Int8Array;
  lastValue: Float64Array;
}

/**
 * The rows' storage, kept between calls and grown as needed: a fresh buffer of a few MB costs about as
 * much as the paths written into it (the pages' first touch). Valid until the next followPaths.
 */
const storage = { values: new Float64Array(0), units: new Int32Array(0) };

/** Makes room in `storage` for `size` entries, keeping the first `kept`. */
function reserve(size: number, kept: number): void {
  if (size <= storage.values.length) return;
  const capacity = Math.max(size, 2 * storage.values.length);
  const values = new Float64Array(capacity);
  const units = new Int32Array(capacity);
  values.set(storage.values.subarray(0, kept));
  units.set(storage.units.subarray(0, kept));
  storage.values = values;
  storage.units = units;
}

/** Every unit's path from its input xs, the paths of each layer side by side (Paths). */
function followPaths(activation: ActivationName, s: number, depth: number, xs: number[]): Paths {
  const n = xs.length;
  const output = activation === "tanh" ? tanhOutput : ACTIVATIONS[activation].output;
  const linearBelow = activation === "tanh" ? TANH_LINEAR_BELOW : 0;
  const rowStart = new Int32Array(depth + 2);
  const last = new Int32Array(n).fill(depth);
  const how = new Int8Array(n);
  const lastValue = new Float64Array(n);
  const before = new Float64Array(n).fill(Number.NaN);
  reserve(n, 0);
  let { values, units } = storage;
  for (let j = 0; j < n; j++) {
    values[j] = xs[j] as number;
    units[j] = j;
  }
  let k = n;
  for (let l = 1; l <= depth; l++) {
    const start = rowStart[l - 1] as number;
    rowStart[l] = k;
    const end = k;
    reserve(2 * end - start, end);
    ({ values, units } = storage);
    for (let i = start; i < end; i++) {
      const j = units[i] as number;
      const previous = values[i] as number;
      const stop =
        Math.abs(previous) < linearBelow
          ? LINEAR
          : Math.abs(previous - (before[j] as number)) <= 1e-15 * Math.abs(previous)
            ? FIXED
            : 0;
      if (stop !== 0) {
        last[j] = l - 1;
        how[j] = stop;
        lastValue[j] = previous;
        continue;
      }
      before[j] = previous;
      values[k] = output(s * previous);
      units[k++] = j;
    }
  }
  rowStart[depth + 1] = k;
  for (let i = rowStart[depth] as number; i < k; i++) lastValue[units[i] as number] = values[i] as number;
  return { values, units, rowStart, last, how, lastValue };
}

/**
 * E[a_l²] and E[(∂ℓ/∂a_l)²] of an s·I chain of g without biases where scalarReach allows it (|s|·max g'
 * ≤ 1, below 1 for tanh), for target zeros, Gaussian (E[y²] = 1, independent of a_L) or input (y = x).
 */
export function scalarMeanSquares(config: RunConfig, s: number): ScalarMeanSquares {
  const depth = config.depth;
  const der = ACTIVATIONS[config.activation].derFromOutput;
  const { xs, ws } = inputLaw(config, s);
  const paths = followPaths(config.activation, s, depth, xs);
  const act = new Float64Array(depth + 1);
  const grad = new Float64Array(depth + 1);
  // y = x is the unit's own input; other targets are independent of it, with E[y²] = targetLaw.
  const targetLaw = config.target === "zeros" ? 0 : config.target === "input" ? Number.NaN : 1;
  const s2 = s * s;
  // A linear path is geometric, a_k = s·a_{k−1} and gain s: its tail's squares are summed for every path at
  // once, each layer adding its paths' first tail terms to a carry scaled by s² a layer (up for a_l, down
  // for ∂ℓ/∂a_l), so a path costs the layers before it turns linear only.
  const actTail = new Float64Array(depth + 2);
  const gradTail = new Float64Array(depth + 2);
  const gradTailEnd = new Float64Array(depth + 2);
  // w·∂ℓ/∂a_l's square for each unit, from its last layer down.
  const back = new Float64Array(xs.length);
  for (let j = 0; j < xs.length; j++) {
    const w = ws[j] as number;
    const last = paths.last[j] as number;
    const a = paths.lastValue[j] as number;
    const linear = paths.how[j] === LINEAR;
    const top = linear ? a * s ** (depth - last) : a;
    let b = w * (Number.isNaN(targetLaw) ? (top - (xs[j] as number)) ** 2 : top * top + targetLaw);
    if (linear) {
      // Layers last + 1..L: a_k = a_last·s^(k−last), ∂ℓ/∂a_k = ∂ℓ/∂a_L·s^(L−k).
      actTail[last + 1] = (actTail[last + 1] as number) + w * a * a * s2;
      gradTail[depth] = (gradTail[depth] as number) + b;
      b *= s2 ** (depth - last - 1);
      gradTailEnd[last + 1] = (gradTailEnd[last + 1] as number) + b;
      b *= s2;
    } else if (paths.how[j] === FIXED) {
      // Layers last + 1..L stay at a_last, each with gain s·g'(a_last).
      const gain2 = (s * der(a)) ** 2;
      for (let l = depth; l > last; l--) {
        act[l] = (act[l] as number) + w * a * a;
        grad[l] = (grad[l] as number) + b;
        b *= gain2;
      }
    }
    back[j] = b;
  }
  for (let l = depth; l >= 0; l--) {
    let actSum = 0;
    let gradSum = 0;
    for (let i = paths.rowStart[l] as number; i < (paths.rowStart[l + 1] as number); i++) {
      const j = paths.units[i] as number;
      const a = paths.values[i] as number;
      actSum += (ws[j] as number) * a * a;
      gradSum += back[j] as number;
      back[j] = (back[j] as number) * (s * der(a)) ** 2;
    }
    act[l] = (act[l] as number) + actSum;
    grad[l] = (grad[l] as number) + gradSum;
  }
  sumTails(act, grad, { actTail, gradTail, gradTailEnd }, s2);
  return { act, grad };
}

/**
 * Adds the linear paths' tails: a_l's carry grows by each layer's first terms and shrinks by s² a layer
 * upwards; ∂ℓ/∂a_l's runs from L down, each path's part taken out of it below its first tail layer.
 */
function sumTails(
  act: Float64Array,
  grad: Float64Array,
  tails: { actTail: Float64Array; gradTail: Float64Array; gradTailEnd: Float64Array },
  s2: number,
): void {
  const depth = act.length - 1;
  let up = 0;
  for (let l = 0; l <= depth; l++) {
    up = up * s2 + (tails.actTail[l] as number);
    act[l] = (act[l] as number) + up;
  }
  let down = 0;
  for (let l = depth; l >= 0; l--) {
    down = down * s2 + (tails.gradTail[l] as number);
    grad[l] = (grad[l] as number) + down;
    down -= tails.gradTailEnd[l] as number;
  }
}
