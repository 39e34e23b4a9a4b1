/**
 * Named configs: the lecture's chain of s·I layers, the textbook's broken initializations, what
 * residual connections and normalization do to a deep chain, and the lecture in float16, each next
 * to the cure that fixes it.
 * Every caption is a claim about its preset's chart, checked against the float64 reference in
 * tests/core/presets.test.ts; the training presets (`train` set) each show a problem and its cure as a
 * network learns, their captions checked against the reference's training in
 * tests/core/training-presets.test.ts.
 */
import { type PartialConfig, type RunConfig, residualForDepth } from "./config";

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
function lecturePreset(scale: number, numerics: RunConfig["numerics"], depth = 300): PartialConfig {
  return { ...lectureConfig(scale, depth), target: "gaussian", numerics, seed: PRESET_SEED };
}

/** The depth of the float16 lecture presets: past the layers where float16 breaks (28 and 25), short enough to see them. */
const FLOAT16_LECTURE_DEPTH = 40;

/**
 * A wide chain: 64 units, Gaussian inputs and targets, no biases; depth 300 and a batch of 64 unless
 * `layers` says otherwise (and adds a residual α or a norm).
 */
function wide(
  activation: PartialConfig["activation"],
  init: NonNullable<PartialConfig["init"]>,
  numerics: RunConfig["numerics"],
  layers: Pick<PartialConfig, "depth" | "batch" | "residual" | "norm"> = {},
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
    ...layers,
  };
}

/** The depth of the residual and norm presets: deep enough to tell them apart, short enough for the CPU reference. */
const SHORT_DEPTH = 200;

/**
 * The residual and norm presets' chain: plain randn weights, N(0, 1), and tanh, 200 layers of 64 units
 * and a batch of 32, with the given residual α and norm.
 */
function randnTanh(
  numerics: "tracked" | "float32",
  layers: Pick<PartialConfig, "residual" | "norm"> = {},
): PartialConfig {
  return wide("tanh", { scheme: "normal", sigma: 1 }, numerics, { depth: SHORT_DEPTH, batch: 32, ...layers });
}

/** α = 1/√L for the residual and norm presets' depth. */
const SHORT_ALPHA = residualForDepth(SHORT_DEPTH);

const TRACKED_NOTE = "Tracked numerics draw the true values past float32's band.";

/**
 * The tanh net the training presets' first group trains: 30 layers of 32 units, small biases
 * (N(0, 0.05²), so that the activations keep a size of their own however small the weights), a batch
 * of 16 Gaussian inputs and a teacher's targets y = T·x, 100 steps of momentum at η = 0.01, every
 * step recorded.
 */
function tanhLearner(init: NonNullable<PartialConfig["init"]>): PartialConfig {
  return {
    depth: 30,
    width: 32,
    batch: 16,
    activation: "tanh",
    init,
    biasSigma: 0.05,
    input: "gaussian",
    target: "teacher",
    numerics: "float32",
    seed: PRESET_SEED,
    train: { steps: 100, optimizer: "momentum", learningRate: 0.01, record: 1 },
  };
}

/** The depth of the training presets' linear chain. */
const LINEAR_DEPTH = 50;

/**
 * The linear chain the training presets' second group trains: 50 layers of 32 units with weights
 * N(0, 1.2²/n), 1.2 times Xavier's scale, a batch of 16 Gaussian inputs and a teacher's targets,
 * 60 steps of SGD at η = 0.01, every step recorded; `residual` puts each layer in a branch.
 */
function linearLearner(residual: number | null): PartialConfig {
  return {
    depth: LINEAR_DEPTH,
    width: 32,
    batch: 16,
    activation: "linear",
    init: { scheme: "gaussian", sigma: 1.2 },
    biasSigma: 0,
    residual,
    input: "gaussian",
    target: "teacher",
    numerics: "float32",
    seed: PRESET_SEED,
    train: { steps: 60, optimizer: "sgd", learningRate: 0.01, record: 1 },
  };
}

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
  {
    title: "Residual connections: a_l = a_{l−1} + α·g(ẑ_l)",
    diseases: [
      {
        id: "plain-tanh-200",
        title: "No skips: N(0, 1) + tanh",
        caption:
          "The chain the next presets give skips to: plain randn weights and tanh, 200 layers of 64 units. The " +
          "gradient grows about ×2 per layer backwards, about 10^58 by layer 1; float32 would overflow around " +
          `layer 70. ${TRACKED_NOTE}`,
        config: randnTanh("tracked"),
      },
      {
        id: "residual-alpha-1",
        title: "Residual, α = 1: still explodes",
        caption:
          "The same weights with a skip around every layer, a_l = a_{l−1} + tanh(ẑ_l). The skip passes the " +
          "gradient on unchanged, but each layer still adds a full branch to it: more than 10^14 by layer 1, far " +
          "less than without skips, still exploding. The activations grow to RMS near √200 ≈ 14: 200 branches of size " +
          "about 1 add up like a random walk.",
        config: randnTanh("float32", { residual: 1 }),
      },
    ],
    cure: {
      id: "residual-sqrt-depth",
      title: "Residual, α = 1/√L",
      caption:
        "α = 1/√L ≈ 0.071: 200 branches that small add up to a sum of order 1 (the activations grow 10^0.1 in " +
        "all), and the gradient at layer 1 is within a decade of the one at layer 200 (the verdict's stable), with the very " +
        "weights that explode the chain without skips. Set with the 1/√L button, α follows the depth.",
      config: randnTanh("float32", { residual: SHORT_ALPHA }),
    },
  },
  {
    title: "Normalization: ẑ_l = (z_l − μ)/σ before g",
    diseases: [
      {
        id: "layer-norm-tanh",
        title: "Layer norm + tanh: the gradient still grows",
        caption:
          "Layer norm gives each example's ẑ_l RMS 1 whatever the weights' scale (N(0, 1) here; Xavier's gives " +
          "the same rates), so a_l = tanh(ẑ_l) holds at RMS about 0.63 at every layer. The gradient is not held: " +
          "tanh passes on more gradient than signal (E[tanh′²]/E[tanh²] ≈ 1.18 in mean square), about ×1.08 per " +
          "layer backwards, more than 10^6 by layer 1.",
        config: randnTanh("float32", { norm: "layer" }),
      },
      {
        id: "batch-norm-explodes",
        title: "Batch norm explodes at initialization",
        caption:
          "A linear chain with batch norm over 8 examples: every a_l has RMS 1, yet the gradient grows about ×1.07 " +
          "per layer backwards, about 10^6 by layer 1 (Yang et al. 2019). The batch size sets the rate, not σ_w: B = 4 " +
          "makes it about ×1.3, while σ = 0.5 or 16 leaves it at about ×1.07. The dashed curve is a wide net's " +
          "theory, √((B−2)/(B−3)) = ×1.10 a layer at B = 8; 64 units fall about 2% a layer short of it, " +
          "which over 200 layers leaves the dashed curve some 10^2 above the measured one.",
        config: wide("linear", { scheme: "gaussian", sigma: 1 }, "float32", {
          depth: SHORT_DEPTH,
          batch: 8,
          norm: "batch",
        }),
      },
    ],
    cure: {
      id: "norm-in-residual",
      title: "Norm inside a residual branch",
      caption:
        "The modern block: a_l = a_{l−1} + α·tanh(ẑ_l), with layer norm in the branch and α = 1/√L. The skips " +
        "carry the gradient past every norm: at layer 1 it is 10^0.1 of the one at layer 200, and the activations " +
        "grow under 10^0.1. Batch norm in the branch is held the same way.",
      config: randnTanh("float32", { residual: SHORT_ALPHA, norm: "layer" }),
    },
  },
  {
    title: "The lecture in float16: 5 exponent bits",
    diseases: [
      {
        id: "float16-explode",
        title: "1.5·I overflows float16 at layer 28",
        caption:
          "float16's largest value is 65504: 1.5·I overflows at layer 28, where float32 holds to layer 219, and the " +
          "gradient, seeded with ∞, is ∞ at every layer. bfloat16 keeps float32's 8 exponent bits and overflows at " +
          "layer 220: its 8-bit rounding of each 1.5·a_{l−1} falls behind 1.5ˡ by a layer.",
        config: lecturePreset(1.5, "float16", FLOAT16_LECTURE_DEPTH),
      },
      {
        id: "float16-vanish",
        title: "0.5·I reaches zero in float16 at layer 25",
        caption:
          "Halving each layer, float16 reaches its smallest subnormal 2⁻²⁴ at layer 24 and zero at layer 25 (at 15 " +
          "without its subnormals), where float32 holds to layer 150. Backwards the gradient halves from the " +
          "target's size to zero, by about layer 15.",
        config: lecturePreset(0.5, "float16", FLOAT16_LECTURE_DEPTH),
      },
    ],
    cure: {
      id: "xavier-tanh-float16",
      title: "Xavier + tanh in float16",
      caption:
        "The tanh group's cure in float16: a sound init keeps activations and gradients within a few decades of 1, " +
        "far inside float16's normal range (6·10^-5 to 65504), so float16 holds every value and reads as float32 " +
        "does: the gradient at layer 1 within 3 decades of the one at layer 300, within 0.1 of float32's ratio.",
      config: wide("tanh", { scheme: "xavier_normal", gain: 1 }, "float16"),
    },
  },
  {
    title: "Training: which layers learn",
    diseases: [
      {
        id: "train-small-init",
        title: "0.1·randn: the first layers freeze",
        caption:
          "Weights of 0.1·randn are too small for 32 inputs: the gradient shrinks about ×0.56 per layer on its way " +
          "back, so all through training the first 10 layers' updates stay under a millionth of their weights, over " +
          "1000× smaller than the last layer's. They barely learn, and the loss falls only 6% in 100 steps.",
        config: tanhLearner({ scheme: "normal", sigma: 0.1 }),
      },
    ],
    cure: {
      id: "train-orthogonal",
      title: "Orthogonal: every layer learns",
      caption:
        "The same net with orthogonal weights, which keep the gradient's size through every layer: at the first step " +
        "all 30 layers' updates are within a factor 2 of each other, and through training every layer's update stays " +
        "between 10^-4 and 10^-1.7 of its weights. Every layer learns: the loss falls more than 4× in 100 steps.",
      config: tanhLearner({ scheme: "orthogonal", gain: 1 }),
    },
  },
  {
    title: "Training through depth: skips",
    diseases: [
      {
        id: "train-explode",
        title: "Exploding chain: the loss overflows",
        caption:
          "A linear chain of 50 layers with weights 1.2× Xavier's: the signal and the gradient grow about " +
          "×1.2 per layer, and every layer's weight gradient is over 10^6. The first step (SGD, learning rate " +
          "0.01) moves each layer's weights by more than 10^4 times their size, and from step 1 on the loss " +
          "overflows float32's range.",
        config: linearLearner(null),
      },
    ],
    cure: {
      id: "train-residual",
      title: "Residual, α = 1/√L: it trains",
      caption:
        "The same weights and learning rate, each layer in a residual branch with α = 1/√L ≈ 0.14: the " +
        "gradient at layer 1 is within a decade of the one at layer 50, at every step all 50 layers' updates are " +
        "within a factor 2 of each other, and the loss falls at every step, more than 10× in 60 steps.",
      config: linearLearner(residualForDepth(LINEAR_DEPTH)),
    },
  },
];

/** Every preset, each once, in the order the page shows them. */
export const PRESETS: readonly Preset[] = PRESET_GROUPS.flatMap((group) => [...group.diseases, group.cure]);
