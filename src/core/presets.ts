/** Named configs: the lecture's chain of s·I layers and the initializations that cure it. */
import type { PartialConfig } from "./config";

/** The lecture case: n = 2, x = (1, 1), linear, no bias, W_l = s·I, so a_l = s^l·x exactly. */
export function lectureConfig(scale: number, depth = 300): PartialConfig {
  return {
    depth,
    width: 2,
    batch: 1,
    activation: "linear",
    init: { scheme: "identity", scale },
    input: "ones",
    target: "zeros",
  };
}
