/**
 * The dense layer and its activation, each forward next to its backward:
 *
 *     z = W a + b                    ∂ℓ/∂a = Wᵀ ∂ℓ/∂z,   B·∂loss/∂W = Σ_b ∂ℓ_b/∂z a_bᵀ
 *     h = g(z)                       ∂ℓ/∂z = ∂ℓ/∂h ⊙ g'(z), g' read from the output h
 *
 * on (batch × width) tensors, row-major, with the numerics passed in.
 */
import type { Activation } from "../activations";
import { type Numerics, pow2Factor, shifted, type Tensor, topExponent } from "./numerics";

/** A dense layer's parameters: W (n × n, row-major), b (n), and ⌈log₂⌉ of the biases' scale (−∞ without). */
export interface DenseParameters {
  weights: Float64Array;
  biases: Float64Array;
  biasExponent: number;
}

/**
 * z = W a + b, rounded once per entry. With a scaled forward (tracked, g positively homogeneous) z is
 * kept at the exponent of the larger of W a's input and b, so that no depth overflows or underflows;
 * otherwise at exponent 0 (the input's power of two applied to the sum, exactly).
 */
export function denseForward(input: Tensor, params: DenseParameters, numerics: Numerics): Tensor {
  const { weights: w, biases: bias } = params;
  const n = bias.length;
  const batch = input.values.length / n;
  const exponent = numerics.scaledForward ? Math.max(topExponent(input), params.biasExponent) : 0;
  // The shifts may lie outside float64's range (a chain at 1e−20 per layer is at 2^−272000 by layer 4096).
  const inShift = input.exponent - exponent;
  const biasShift = -exponent;
  const inFactor = pow2Factor(inShift);
  const biasFactor = pow2Factor(biasShift);
  const a = input.values;
  const out = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += (w[i * n + j] as number) * (a[b * n + j] as number);
      out[b * n + i] = numerics.round(
        shifted(sum, inShift, inFactor) + shifted(bias[i] as number, biasShift, biasFactor),
      );
    }
  }
  return { values: out, exponent };
}

/** ∂ℓ/∂a = Wᵀ ∂ℓ/∂z per example, rounded once per entry, at ∂ℓ/∂z's exponent. */
export function denseBackward(gradZ: Tensor, weights: Float64Array, n: number, numerics: Numerics): Tensor {
  const dz = gradZ.values;
  const batch = dz.length / n;
  const out = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (dz[b * n + i] as number) * (weights[i * n + j] as number);
      out[b * n + j] = numerics.round(sum);
    }
  }
  return { values: out, exponent: gradZ.exponent };
}

/** B·∂loss/∂W = Σ_b ∂ℓ_b/∂z a_bᵀ (n × n, row-major), rounded once per entry, at the product of the scales. */
export function denseWeightGradient(gradZ: Tensor, input: Tensor, n: number, numerics: Numerics): Tensor {
  const dz = gradZ.values;
  const a = input.values;
  const batch = dz.length / n;
  const entries = new Float64Array(n * n);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      const d = dz[b * n + i] as number;
      const row = i * n;
      for (let j = 0; j < n; j++) entries[row + j] = (entries[row + j] as number) + d * (a[b * n + j] as number);
    }
  }
  return { values: entries.map(numerics.round), exponent: gradZ.exponent + input.exponent };
}

/**
 * h = g(z), rounded once per entry. A scaled forward keeps z's exponent (g commutes with positive
 * scaling); otherwise g is applied to the true value and h is at exponent 0.
 */
export function activationForward(z: Tensor, g: Activation, numerics: Numerics): Tensor {
  const { round } = numerics;
  if (numerics.scaledForward) return { values: z.values.map((v) => round(g.output(v))), exponent: z.exponent };
  const factor = pow2Factor(z.exponent);
  return { values: z.values.map((v) => round(g.output(shifted(v, z.exponent, factor)))), exponent: 0 };
}

/** ∂ℓ/∂z = c·∂ℓ/∂h ⊙ g'(z), rounded once per entry, with g' read from the output h (c = α in a residual chain). */
export function activationBackward(gradH: Tensor, c: number, h: Tensor, g: Activation, numerics: Numerics): Tensor {
  const out = h.values;
  const { round } = numerics;
  const values =
    c === 1
      ? gradH.values.map((d, k) => round(d * g.derFromOutput(out[k] as number)))
      : gradH.values.map((d, k) => round(c * d * g.derFromOutput(out[k] as number)));
  return { values, exponent: gradH.exponent };
}
