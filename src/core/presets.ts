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

export interface Preset {
  id: string;
  title: string;
  /** What to look for, in one or two sentences. */
  caption: string;
  config: PartialConfig;
}

/** A wide chain with a cure for its activation: fan-in-scaled init at depth 300. */
function cure(activation: PartialConfig["activation"], init: NonNullable<PartialConfig["init"]>): PartialConfig {
  return {
    depth: 300,
    width: 64,
    batch: 64,
    activation,
    init,
    biasSigma: 0,
    input: "gaussian",
    target: "gaussian",
    numerics: "float32",
  };
}

/** The lecture's three chains and three cures, in the order the page shows them. */
export const PRESETS: readonly Preset[] = [
  {
    id: "explode",
    title: "1.5·I explodes",
    caption: "Every layer multiplies by 1.5, so activations grow like 1.5^l and float32 overflows at layer 219.",
    config: { ...lectureConfig(1.5), numerics: "float32" },
  },
  {
    id: "vanish",
    title: "0.5·I vanishes",
    caption:
      "Every layer halves the signal: after about 127 layers float32 holds only zeros, and so does the gradient.",
    config: { ...lectureConfig(0.5), numerics: "float32" },
  },
  {
    id: "slow-vanish",
    title: "0.9·I fades",
    caption:
      "Only 10% less per layer, yet the gradient reaching layer 1 is 10^-14 of the one at layer 300: the first layers barely learn.",
    config: { ...lectureConfig(0.9), numerics: "float32" },
  },
  {
    id: "xavier-tanh",
    title: "Xavier + tanh",
    caption:
      "Xavier scales weights by 1/√n so tanh layers roughly keep their variance: the curves stay within a few decades.",
    config: cure("tanh", { scheme: "xavier_normal", gain: 1 }),
  },
  {
    id: "he-relu",
    title: "He + ReLU",
    caption:
      "ReLU zeroes half of each layer; He's 2/n variance makes up for it, so activations and gradients stay within a few decades over 300 layers.",
    config: cure("relu", { scheme: "he_normal", gain: 1 }),
  },
  {
    id: "orthogonal-linear",
    title: "Orthogonal + linear",
    caption: "Orthogonal matrices preserve length exactly: the linear chain's curves are flat through every layer.",
    config: cure("linear", { scheme: "orthogonal", gain: 1 }),
  },
];
