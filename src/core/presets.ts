/**
 * Named configs: the lecture's chain of s·I layers and the textbook's broken initializations, each
 * next to the cure that fixes it. Every caption is a claim about its preset's chart, checked
 * against the float64 reference in tests/core/presets.test.ts.
 */
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
  /** What to look for, in one or two sentences: true of the preset's chart. */
  caption: string;
  config: PartialConfig;
}

/**
 * Every preset is one draw, seed 1: its caption describes that chart. The captions' numbers are
 * rounded so that they also hold for other seeds (tested on three), but a reseeded chart is no
 * longer the preset.
 */
const PRESET_SEED = 1;

/** A disease (or a few) and the cure that fixes it, shown side by side. */
export interface PresetGroup {
  title: string;
  diseases: readonly Preset[];
  cure: Preset;
}

/**
 * The lecture chain as the page shows it: tracked numerics, so the gradient is drawn at every layer
 * however far it leaves float32 (the band and markers show where a float32 run breaks), and a
 * target N(0, 1), so the loss's gradient at layer L is of order 1 instead of the output itself.
 */
function lecturePreset(scale: number, numerics: "tracked" | "float32"): PartialConfig {
  return { ...lectureConfig(scale), target: "gaussian", numerics, seed: PRESET_SEED };
}

/** A wide chain at depth 300: 64 units, a batch of 64, Gaussian inputs and targets, no biases. */
function wide(
  activation: PartialConfig["activation"],
  init: NonNullable<PartialConfig["init"]>,
  numerics: "tracked" | "float32",
): PartialConfig {
  return {
    depth: 300,
    width: 64,
    batch: 64,
    activation,
    init,
    biasSigma: 0,
    input: "gaussian",
    target: "gaussian",
    numerics,
    seed: PRESET_SEED,
  };
}

const TRACKED_NOTE = "Tracked numerics draw the true values past float32's band.";

export const PRESET_GROUPS: readonly PresetGroup[] = [
  {
    title: "The lecture: W = s·I",
    diseases: [
      {
        id: "explode",
        title: "1.5·I explodes",
        caption:
          "Each layer multiplies by 1.5: activations leave float32's range at layer 219, where a float32 run " +
          `overflows, and backwards the gradient grows 1.5× per layer, by 10^52.7 from layer 300 to layer 1. ${TRACKED_NOTE}`,
        config: lecturePreset(1.5, "tracked"),
      },
      {
        id: "vanish",
        title: "0.5·I vanishes",
        caption:
          "Each layer halves the signal: activations leave float32's range at layer 127 (a float32 GPU that flushes " +
          "subnormals holds only zeros from there), and backwards the gradient halves per layer: at layer 1 it is " +
          `10^-90.0 of the one at layer 300, and every layer's weight gradient is near 10^-90: no layer learns. ${TRACKED_NOTE}`,
        config: lecturePreset(0.5, "tracked"),
      },
      {
        id: "slow-vanish",
        title: "0.9·I fades",
        caption:
          "Only 10% less per layer and float32 holds every value, yet the gradient at layer 1 is 10^-13.7 of the one " +
          "at layer 300. The weight-gradient line stays flat: a layer's weight gradient is its gradient times the " +
          "activation entering it, and here one shrinks exactly as fast as the other grows.",
        config: lecturePreset(0.9, "float32"),
      },
    ],
    cure: {
      id: "orthogonal-linear",
      title: "Orthogonal + linear",
      caption:
        "Orthogonal matrices preserve length exactly: the linear chain's curves are flat through every layer, " +
        "with 64 units instead of 2.",
      config: wide("linear", { scheme: "orthogonal", gain: 1 }, "float32"),
    },
  },
  {
    title: "tanh and sigmoid",
    diseases: [
      {
        id: "naive-tanh",
        title: "N(0, 1) + tanh saturates",
        caption:
          "Plain randn weights make each pre-activation about √64 = 8 wide: tanh saturates and the activations sit " +
          "near ±1 (RMS 0.94). The gradient does not vanish, though: the few units near 0 pass it on through weights 8× " +
          "too large, and it grows about ×2 per layer backwards, nearly 10^90 by layer 1; float32 would overflow " +
          `around layer 170. ${TRACKED_NOTE}`,
        config: wide("tanh", { scheme: "normal", sigma: 1 }, "tracked"),
      },
      {
        id: "deep-sigmoid",
        title: "Deep sigmoid vanishes",
        caption:
          "Sigmoid's slope is at most 1/4: the activations hold steady, but each layer passes on about a quarter of the " +
          "gradient, so the first layers' weight gradients are near 10^-190 and they barely learn; float32 would see " +
          `zero gradients from about layer 240. ${TRACKED_NOTE}`,
        config: wide("sigmoid", { scheme: "xavier_normal", gain: 1 }, "tracked"),
      },
    ],
    cure: {
      id: "xavier-tanh",
      title: "Xavier + tanh",
      caption:
        "Xavier scales weights by 1/√n and tanh is zero-centred with slope 1 at 0: over 300 layers the gradient at " +
        "layer 1 stays within 3 decades of the one at layer 300 (the verdict's stable), and float32 holds every " +
        "value. The curves still drift down slowly, by a power of the depth rather than a factor per layer: " +
        "decades, not the tens of decades of the problems.",
      config: wide("tanh", { scheme: "xavier_normal", gain: 1 }, "float32"),
    },
  },
  {
    title: "ReLU",
    diseases: [
      {
        id: "naive-relu",
        title: "N(0, 1) + ReLU explodes",
        caption:
          "Plain randn weights multiply each layer by about √(64/2) ≈ 5.7: activations grow about ×5.6 per layer and " +
          "float32 would overflow around layer 52; backwards the gradient grows as fast, some 10^224 times from " +
          "layer 300 to layer 1. " +
          TRACKED_NOTE,
        config: wide("relu", { scheme: "normal", sigma: 1 }, "tracked"),
      },
      {
        id: "xavier-relu",
        title: "Xavier + ReLU fades",
        caption:
          "Xavier's variance ignores that ReLU zeroes half of each layer: the signal loses about √2 per layer " +
          "(×0.7), the gradient fades as fast backwards (about 10^-47 at layer 1), and every layer's weight gradient " +
          `is near 10^-48. Slower than randn's explosion, as fatal at this depth. ${TRACKED_NOTE}`,
        config: wide("relu", { scheme: "xavier_normal", gain: 1 }, "tracked"),
      },
    ],
    cure: {
      id: "he-relu",
      title: "He + ReLU",
      caption:
        "He's variance 2/n makes up for the half that ReLU zeroes: over 300 layers the gradient at layer 1 stays " +
        "within 3 decades of the one at layer 300 (the verdict's stable), and float32 holds every value. The slow " +
        "drift left, under 3 decades, comes from the finite width: 64 units per layer, not infinitely many.",
      config: wide("relu", { scheme: "he_normal", gain: 1 }, "float32"),
    },
  },
];

/** Every preset, each once, in the order the page shows them. */
export const PRESETS: readonly Preset[] = PRESET_GROUPS.flatMap((group) => [...group.diseases, group.cure]);
