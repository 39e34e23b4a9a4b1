/** Fresh random choices for the GPU tests' random configs (Math.random: a new draw every run). */
import type { INIT_SCHEMES, InitConfig } from "../../src/core/config";

/** One of the options, uniformly. */
export const pick = <T>(options: readonly T[]): T => options[Math.floor(Math.random() * options.length)] as T;

/** A number uniform in [low, high). */
export const uniform = (low: number, high: number) => low + (high - low) * Math.random();

/** An init of this scheme with a random parameter, in ranges where deep chains stay interesting. */
export function randomInit(scheme: (typeof INIT_SCHEMES)[number]): InitConfig {
  if (scheme === "identity") return { scheme, scale: uniform(0.6, 1.4) };
  if (scheme === "gaussian") return { scheme, sigma: uniform(0.5, 2) };
  // N(0, σ²) without fan-in scaling: σ²·n per layer, so wide chains overflow float32 as they would in training.
  if (scheme === "normal") return { scheme, sigma: uniform(0.05, 0.6) };
  return { scheme, gain: uniform(0.6, 1.6) };
}
