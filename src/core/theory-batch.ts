/**
 * Batch norm in mean field at a finite batch B and infinite width (Yang et al. 2019, "A Mean Field
 * Theory of Batch Normalization"), for Gaussian-family weights, as theoryFor's "mean-field-batchnorm".
 *
 * Forward. A unit's B pre-activations (one per example) are Gaussian across units, with the batch's
 * covariance. Normalizing over the batch takes out their mean (and with it the biases) and their scale,
 * so where that covariance is isotropic apart from its mean (a Gaussian input, then every layer by the
 * batch's symmetry), ẑ = √B·u with u uniform on the unit sphere of 1's complement, whatever σ_w and σ_b:
 *     E[a_l²] = E[g(ẑ₁)²]   for l ≥ 1.
 * Backward. ∂ℓ/∂z = Π·(g'(ẑ) ⊙ ∂ℓ/∂a)/σ, where σ² is the unit's batch variance and Π projects out 1 and
 * ẑ. Π removes the component along the activations that plain chains keep (theory-models.ts), so below
 * the top layer the gradient is independent of the forward pass and isotropic in 1's complement. σ² is
 * σ_w²·κ·χ²_{B−1}/B, independent of u, with κ = E[g(ẑ₁)²] − E[g(ẑ₁)g(ẑ₂)] the variance per direction of
 * a_{l−1} (the input's mean square at layer 1); E[1/χ²_{B−1}] = 1/(B − 3), so one layer down multiplies
 * the gradient's mean square by
 *     λ = B·E[T] / (κ·(B − 1)·(B − 3)),   T = tr(Π·D·(I − 11ᵀ/B)·D·Π),   D = diag g'(ẑ),
 * whatever σ_w: (B − 2)/(B − 3) for a linear chain, π/(π − 1) for ReLU as B → ∞. At the top,
 * ∂ℓ/∂a_L = a_L − y with y independent of ẑ_L: E‖Π·D·(a_L − y)‖² = E‖Π(g'g)(ẑ)‖² + E[y²]·E[tr(Π·D²)].
 *
 * Every expectation is over one coordinate of u or a pair. (u₁, u₂) is a linear image of a point of the
 * unit disk with density ∝ (1 − r²)^((B−5)/2); in polar coordinates with r = sin ψ its weight is
 * sin ψ·cos^(B−4) ψ, smooth for B ≥ 4, and the angle is split where ẑ₁ or ẑ₂ changes sign, so ReLU's kinks
 * fall on the pieces' ends: Gauss–Legendre on each piece gives λ to 1e-12 (rules 1.5 and 3 times as fine agree).
 */
import { ACTIVATIONS, type ActivationName } from "./activations";

/** What a batch-normalized layer does to a wide chain, at batch B, by the expectations above. */
export interface BatchNormLayer {
  /** E[g(ẑ)²]: the mean square of every a_l, l ≥ 1. */
  output: number;
  /** κ = E[g(ẑ₁)²] − E[g(ẑ₁)g(ẑ₂)]: a_l's batch variance per direction of 1's complement. */
  spread: number;
  /** B·E[T]/(B − 1): with the κ of the layer below, λ = gradientGain/(κ·(B − 3)). */
  gradientGain: number;
  /** E‖Π(g'g)(ẑ)‖²: the top layer's part of ∂ℓ/∂a_L = a_L. */
  topOutput: number;
  /** E[tr(Π·D²)]: the top layer's part of ∂ℓ/∂a_L = −y, per unit of E[y²]. */
  topTarget: number;
}

/** Nodes per radial piece and per angular piece of the disk's rule. */
const RADIAL_NODES = 32;
const ANGULAR_NODES = 24;
/** cos^m ψ ≤ e^(−mψ²/2) is below 1e-19 past ψ² = 88/m: the radial range for large batches. */
const RADIAL_TAIL = 88;

/** Gauss–Legendre nodes and weights on [−1, 1], by Newton's method on the Legendre polynomial. */
function gaussLegendre(count: number): { nodes: number[]; weights: number[] } {
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let i = 1; i <= count; i++) {
    let x = Math.cos((Math.PI * (i - 0.25)) / (count + 0.5));
    let slope = 1;
    for (let step = 0; step < 100; step++) {
      let previous = 1;
      let value = x;
      for (let k = 2; k <= count; k++) [previous, value] = [value, ((2 * k - 1) * x * value - (k - 1) * previous) / k];
      slope = (count * (x * value - previous)) / (x * x - 1);
      const dx = value / slope;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    nodes.push(x);
    weights.push(2 / ((1 - x * x) * slope * slope));
  }
  return { nodes, weights };
}

const cache = new Map<string, BatchNormLayer>();

/** The expectations of a batch-normalized layer of activation `name` at batch B ≥ 4 (cached per pair). */
export function batchNormLayer(name: ActivationName, batch: number): BatchNormLayer {
  const key = `${name} ${batch}`;
  const known = cache.get(key);
  if (known) return known;
  const layer = computeLayer(name, batch);
  cache.set(key, layer);
  return layer;
}

/**
 * The five functions of ẑ whose squares and pair products the layer needs: g, g', g'·ẑ, and r = g'g − ẑ
 * and r·ẑ (Π·g'g = Π·r, since Π·ẑ = 0: for a linear chain r = 0, and the top layer's part is exactly 0).
 */
function integrands(name: ActivationName, z: number, into: Float64Array, at: number): void {
  const g = ACTIVATIONS[name];
  const a = g.output(z);
  const d = g.derFromOutput(a);
  into[at] = a;
  into[at + 1] = d;
  into[at + 2] = d * z;
  into[at + 3] = d * a - z;
  into[at + 4] = (d * a - z) * z;
}

/** E[f(ẑ₁)²] and E[f(ẑ₁)f(ẑ₂)] for each integrand, by the disk's rule. */
function pairMoments(name: ActivationName, batch: number): { square: number[]; pair: number[] } {
  const square = [0, 0, 0, 0, 0];
  const pair = [0, 0, 0, 0, 0];
  const values = new Float64Array(10);
  // u₁ = α·y₊ + β·y₋, u₂ = α·y₊ − β·y₋ in an orthonormal basis of the projections of e₁ and e₂ onto 1's complement.
  const alpha = Math.sqrt(2 - 4 / batch) / 2;
  const beta = Math.SQRT1_2;
  const root = Math.sqrt(batch);
  const power = batch - 4;
  const psiMax = power > 0 ? Math.min(Math.PI / 2, Math.sqrt(RADIAL_TAIL / power)) : Math.PI / 2;
  const kink = Math.atan2(alpha, beta);
  const cuts = [kink, Math.PI - kink, Math.PI + kink, 2 * Math.PI - kink, 2 * Math.PI + kink];
  const radial = gaussLegendre(RADIAL_NODES);
  const angular = gaussLegendre(ANGULAR_NODES);
  let total = 0;
  for (let i = 0; i < RADIAL_NODES; i++) {
    const psi = (psiMax / 2) * ((radial.nodes[i] as number) + 1);
    const r = Math.sin(psi);
    const radialWeight = (psiMax / 2) * (radial.weights[i] as number) * r * Math.cos(psi) ** power;
    for (let piece = 0; piece < 4; piece++) {
      const from = cuts[piece] as number;
      const half = ((cuts[piece + 1] as number) - from) / 2;
      for (let j = 0; j < ANGULAR_NODES; j++) {
        const phi = from + half * ((angular.nodes[j] as number) + 1);
        const w = radialWeight * half * (angular.weights[j] as number);
        const plus = alpha * r * Math.cos(phi);
        const minus = beta * r * Math.sin(phi);
        const z1 = root * (plus + minus);
        const z2 = root * (plus - minus);
        total += w;
        integrands(name, z1, values, 0);
        integrands(name, z2, values, 5);
        for (let f = 0; f < 5; f++) {
          const v1 = values[f] as number;
          const v2 = values[f + 5] as number;
          square[f] = (square[f] as number) + w * v1 * v1;
          pair[f] = (pair[f] as number) + w * v1 * v2;
        }
      }
    }
  }
  return { square: square.map((s) => s / total), pair: pair.map((p) => p / total) };
}

function computeLayer(name: ActivationName, batch: number): BatchNormLayer {
  const { square, pair } = pairMoments(name, batch);
  const [g2, d2, dz2, r2, rz2] = square as [number, number, number, number, number];
  const [gg, dd, dzdz, rr, rzrz] = pair as [number, number, number, number, number];
  const b = batch;
  // E[T] from the pairs: T = (1 − 2/B)Σd² + (Σd)²/B² − (Σd²ẑ² − (Σdẑ)²/B)/B.
  const trace = (b - 2) * d2 + (d2 + (b - 1) * dd) / b - dz2 + (dz2 + (b - 1) * dzdz) / b;
  return {
    output: g2,
    spread: g2 - gg,
    gradientGain: (b * trace) / (b - 1),
    // E‖Πr‖² = E‖r‖² − E(Σr)²/B − E(ẑ·r)²/B for r = g'g − ẑ.
    topOutput: (b - 1) * (r2 - rr) - rz2 - (b - 1) * rzrz,
    topTarget: (b - 1) * d2 - dz2,
  };
}
