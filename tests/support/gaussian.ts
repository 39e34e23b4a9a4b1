/** Expectations over a Gaussian, for the mean-field predictions the tests compare runs with. */

/** E[f(√q z)] for z ~ N(0, 1), by Simpson's rule on [−12, 12] (the tails beyond add under 1e-30). */
export function gaussianMean(f: (x: number) => number, q = 1): number {
  const steps = 4800;
  const h = 24 / steps;
  let sum = 0;
  for (let k = 0; k <= steps; k++) {
    const z = -12 + k * h;
    const weight = k === 0 || k === steps ? 1 : k % 2 ? 4 : 2;
    sum += weight * f(Math.sqrt(q) * z) * Math.exp((-z * z) / 2);
  }
  return (sum * h) / 3 / Math.sqrt(2 * Math.PI);
}
