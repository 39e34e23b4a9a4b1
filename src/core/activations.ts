/**
 * The activation table: each g(z) next to its derivative, the derivative written in terms of the
 * output a = g(z) (as training frameworks compute it), so the backward pass needs only a_l.
 * shaders/activations.wgsl has the same entries under the same ids.
 */

export interface Activation {
  /** Id shared with the WGSL switch in shaders/activations.wgsl. */
  readonly id: number;
  /** g(z). */
  readonly output: (z: number) => number;
  /** g'(z) as a function of a = g(z). */
  readonly derFromOutput: (a: number) => number;
  /** g(c·z) = c·g(z) for c > 0: a run may rescale z freely (tracked numerics). */
  readonly positivelyHomogeneous: boolean;
}

export const LEAKY_SLOPE = 0.01;

export const ACTIVATIONS = {
  linear: { id: 0, output: (z) => z, derFromOutput: () => 1, positivelyHomogeneous: true },
  // biome-ignore lint/complexity/useMathMinMax: relu(NaN) is 0 here as in the WGSL select, not NaN.
  relu: { id: 1, output: (z) => (z > 0 ? z : 0), derFromOutput: (a) => (a > 0 ? 1 : 0), positivelyHomogeneous: true },
  leaky_relu: {
    id: 2,
    output: (z) => (z > 0 ? z : LEAKY_SLOPE * z),
    derFromOutput: (a) => (a > 0 ? 1 : LEAKY_SLOPE),
    positivelyHomogeneous: true,
  },
  tanh: { id: 3, output: Math.tanh, derFromOutput: (a) => 1 - a * a, positivelyHomogeneous: false },
  sigmoid: {
    id: 4,
    output: (z) => 1 / (1 + Math.exp(-z)),
    derFromOutput: (a) => a * (1 - a),
    positivelyHomogeneous: false,
  },
} as const satisfies Record<string, Activation>;

export type ActivationName = keyof typeof ACTIVATIONS;
export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationName[];
