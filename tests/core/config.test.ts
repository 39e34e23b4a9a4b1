import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES } from "../../src/core/activations";
import {
  ConfigError,
  checkDraft,
  DEFAULT_CONFIG,
  DEFAULT_TRAINING,
  INIT_SCHEMES,
  MAX_INIT_MAGNITUDE,
  MIN_INIT_MAGNITUDE,
  OPTIMIZERS,
  type RunConfig,
  type TrainConfig,
  trainFields,
  validateConfig,
} from "../../src/core/config";

/** SPEC.md's config table, transcribed by hand: the defaults every omitted field takes. */
const SPEC_DEFAULTS: RunConfig = {
  depth: 50,
  width: 64,
  batch: 64,
  activation: "tanh",
  init: { scheme: "xavier_normal", gain: 1 },
  biasSigma: 0,
  residual: null,
  norm: "none",
  input: "gaussian",
  target: "gaussian",
  seed: 1,
  numerics: "float32",
};

/** The ConfigError that validateConfig throws for `input` (fails the test if it returns instead). */
function refusal(input: unknown): ConfigError {
  try {
    validateConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`validateConfig accepted ${JSON.stringify(input)}`);
}

describe("validateConfig: defaults", () => {
  it("fills every field with SPEC.md's default", () => {
    expect(validateConfig({})).toEqual(SPEC_DEFAULTS);
    expect(validateConfig(undefined)).toEqual(SPEC_DEFAULTS);
    expect(DEFAULT_CONFIG).toEqual(SPEC_DEFAULTS);
  });

  it("keeps given fields and fills only the missing ones", () => {
    const config = validateConfig({ depth: 7, activation: "relu", numerics: "tracked" });
    expect(config).toEqual({ ...SPEC_DEFAULTS, depth: 7, activation: "relu", numerics: "tracked" });
    const normalized = validateConfig({ residual: 0.5, norm: "batch" });
    expect(normalized).toEqual({ ...SPEC_DEFAULTS, residual: 0.5, norm: "batch" });
  });

  it("returns a fresh object: changing a result leaves the defaults alone", () => {
    const config = validateConfig({});
    config.depth = 3;
    (config.init as { gain: number }).gain = 9;
    expect(validateConfig({})).toEqual(SPEC_DEFAULTS);
  });

  it("fills each init scheme's parameter: scale 1, sigma 1, gain 1", () => {
    expect(validateConfig({ init: { scheme: "identity" } }).init).toEqual({ scheme: "identity", scale: 1 });
    expect(validateConfig({ init: { scheme: "gaussian" } }).init).toEqual({ scheme: "gaussian", sigma: 1 });
    expect(validateConfig({ init: { scheme: "normal" } }).init).toEqual({ scheme: "normal", sigma: 1 });
    for (const scheme of INIT_SCHEMES.filter((s) => s !== "identity" && s !== "gaussian" && s !== "normal")) {
      expect(validateConfig({ init: { scheme } }).init).toEqual({ scheme, gain: 1 });
    }
  });
});

describe("validateConfig: valid edge values", () => {
  it.each([
    ["depth", 1],
    ["depth", 4096],
    ["width", 1],
    ["width", 2048],
    ["batch", 1],
    ["batch", 4096],
    ["seed", 0],
    ["seed", 2 ** 32 - 1],
    ["biasSigma", 0],
    ["biasSigma", MIN_INIT_MAGNITUDE],
    ["biasSigma", MAX_INIT_MAGNITUDE],
    ["biasSigma", 0.25],
    ["residual", null],
    ["residual", 0],
    ["residual", 0.5],
    ["residual", 10],
    ["norm", "none"],
    ["norm", "layer"],
    ["norm", "batch"],
    ["input", "ones"],
    ["input", "gaussian"],
    ["target", "zeros"],
    ["target", "gaussian"],
    ["numerics", "float32"],
    ["numerics", "float16"],
    ["numerics", "bfloat16"],
    ["numerics", "tracked"],
  ])("%s = %s", (field, value) => {
    expect(validateConfig({ [field]: value })).toEqual({ ...SPEC_DEFAULTS, [field]: value });
  });

  it.each(ACTIVATION_NAMES)("activation %s", (activation) => {
    expect(validateConfig({ activation }).activation).toBe(activation);
  });

  it.each([
    { scheme: "identity", scale: 1.5 },
    { scheme: "identity", scale: -0.5 },
    { scheme: "identity", scale: 0 },
    { scheme: "identity", scale: -MAX_INIT_MAGNITUDE },
    { scheme: "identity", scale: MIN_INIT_MAGNITUDE },
    { scheme: "gaussian", sigma: 2 },
    { scheme: "gaussian", sigma: 0 },
    { scheme: "xavier_normal", gain: 0.5 },
    { scheme: "xavier_uniform", gain: 2 },
    { scheme: "he_normal", gain: 1 },
    { scheme: "he_uniform", gain: MAX_INIT_MAGNITUDE },
    { scheme: "lecun_normal", gain: MIN_INIT_MAGNITUDE },
    { scheme: "orthogonal", gain: 1.1 },
  ])("init %j", (init) => {
    expect(validateConfig({ init }).init).toEqual(init);
  });
});

/** [what is wrong, config, the field named, the value as the message shows it, a piece of what is allowed]. */
const INVALID: readonly [string, unknown, string, string, string][] = [
  ["depth 0", { depth: 0 }, "depth", "0", "an integer in 1..4096"],
  ["depth 4097", { depth: 4097 }, "depth", "4097", "an integer in 1..4096"],
  ["depth 2.5", { depth: 2.5 }, "depth", "2.5", "an integer in 1..4096"],
  ["depth a string", { depth: "300" }, "depth", '"300"', "an integer in 1..4096"],
  ["depth NaN", { depth: Number.NaN }, "depth", "NaN", "an integer in 1..4096"],
  ["depth Infinity", { depth: Number.POSITIVE_INFINITY }, "depth", "Infinity", "an integer in 1..4096"],
  ["depth null", { depth: null }, "depth", "null", "an integer in 1..4096"],
  ["width 0", { width: 0 }, "width", "0", "an integer in 1..2048"],
  ["width 2049", { width: 2049 }, "width", "2049", "an integer in 1..2048"],
  ["width negative", { width: -3 }, "width", "-3", "an integer in 1..2048"],
  ["batch 4097", { batch: 4097 }, "batch", "4097", "an integer in 1..4096"],
  ["batch 1.5", { batch: 1.5 }, "batch", "1.5", "an integer in 1..4096"],
  ["batch a boolean", { batch: true }, "batch", "true", "an integer in 1..4096"],
  ["seed negative", { seed: -1 }, "seed", "-1", "an integer in 0..4294967295"],
  ["seed 2^32", { seed: 2 ** 32 }, "seed", "4294967296", "an integer in 0..4294967295"],
  ["seed a string", { seed: "7" }, "seed", '"7"', "an integer in 0..4294967295"],
  ["seed -Infinity", { seed: Number.NEGATIVE_INFINITY }, "seed", "-Infinity", "an integer in 0..4294967295"],
  ["unknown top-level field", { depht: 10 }, "depht", "10", 'config has no field "depht"'],
  ["unknown init field", { init: { scheme: "identity", gain: 2 } }, "init.gain", "2", 'init has no field "gain"'],
  ["sigma on a gain scheme", { init: { scheme: "he_normal", sigma: 1 } }, "init.sigma", "1", "scheme, gain"],
  ["bad scheme", { init: { scheme: "kaiming" } }, "init.scheme", '"kaiming"', '"identity"'],
  ["scheme missing", { init: { gain: 1 } }, "init.scheme", "undefined", '"orthogonal"'],
  ["init a string", { init: "xavier_normal" }, "init", '"xavier_normal"', "an object { scheme, ... }"],
  ["init null", { init: null }, "init", "null", "an object { scheme, ... }"],
  ["init an array", { init: ["identity"] }, "init", '["identity"]', "an object { scheme, ... }"],
  ["scale a string", { init: { scheme: "identity", scale: "1.5" } }, "init.scale", '"1.5"', "magnitude in [1e-20"],
  ["scale too big", { init: { scheme: "identity", scale: -2e6 } }, "init.scale", "-2000000", "magnitude in [1e-20"],
  ["sigma negative", { init: { scheme: "gaussian", sigma: -1 } }, "init.sigma", "-1", "0 or a number in [1e-20"],
  ["gain NaN", { init: { scheme: "orthogonal", gain: Number.NaN } }, "init.gain", "NaN", "0 or a number in [1e-20"],
  ["gain Infinity", { init: { scheme: "he_uniform", gain: Infinity } }, "init.gain", "Infinity", "1000000]"],
  ["unknown activation", { activation: "gelu" }, "activation", '"gelu"', '"leaky_relu"'],
  ["activation wrong case", { activation: "ReLU" }, "activation", '"ReLU"', '"relu"'],
  ["bad input", { input: "zeros" }, "input", '"zeros"', '"ones", "gaussian"'],
  ["bad target", { target: "ones" }, "target", '"ones"', '"zeros", "gaussian"'],
  ["bad numerics", { numerics: "float64" }, "numerics", '"float64"', '"float32", "float16", "bfloat16", "tracked"'],
  ["biasSigma negative", { biasSigma: -0.1 }, "biasSigma", "-0.1", "0 or a number in [1e-20, 1000000]"],
  ["biasSigma too big", { biasSigma: 1e7 }, "biasSigma", "10000000", "0 or a number in [1e-20, 1000000]"],
  ["biasSigma tiny positive", { biasSigma: 1e-21 }, "biasSigma", "1e-21", "0 or a number in [1e-20, 1000000]"],
  ["biasSigma a string", { biasSigma: "0" }, "biasSigma", '"0"', "0 or a number in [1e-20, 1000000]"],
  ["residual negative", { residual: -0.5 }, "residual", "-0.5", "null (a plain chain) or a number in [0, 10]"],
  ["residual above 10", { residual: 10.5 }, "residual", "10.5", "null (a plain chain) or a number in [0, 10]"],
  ["residual a string", { residual: "0.5" }, "residual", '"0.5"', "a number in [0, 10]"],
  ["residual NaN", { residual: Number.NaN }, "residual", "NaN", "a number in [0, 10]"],
  ["residual Infinity", { residual: Infinity }, "residual", "Infinity", "a number in [0, 10]"],
  ["residual a boolean", { residual: true }, "residual", "true", "a number in [0, 10]"],
  ["bad norm", { norm: "group" }, "norm", '"group"', '"none", "layer", "batch"'],
  ["norm wrong case", { norm: "Layer" }, "norm", '"Layer"', '"layer"'],
  ["norm null", { norm: null }, "norm", "null", '"none", "layer", "batch"'],
  ["config an array", [{ depth: 3 }], "config", '[{"depth":3}]', "an object of config fields"],
  ["config a string", "depth=3", "config", '"depth=3"', "an object of config fields"],
  ["config null", null, "config", "null", "an object of config fields"],
  ["config a number", 42, "config", "42", "an object of config fields"],
];

describe("validateConfig: invalid configs", () => {
  it("covers at least 20 invalid configs", () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(20);
  });

  it.each(INVALID)("%s", (_what, input, field, got, allowed) => {
    const error = refusal(input);
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field} must be `)).toBe(true);
    expect(error.message).toContain(allowed);
    expect(error.message.endsWith(`, got ${got}`)).toBe(true);
  });

  it("words the depth error as SPEC.md does", () => {
    expect(refusal({ depth: 0 }).message).toBe("depth must be an integer in 1..4096, got 0");
  });

  it("names the first invalid field in the table's order", () => {
    expect(refusal({ depth: 0, width: 0 }).field).toBe("depth");
    expect(refusal({ biasSigma: -1, residual: -1, norm: "x", input: "x" }).field).toBe("biasSigma");
    expect(refusal({ residual: -1, norm: "x", input: "x" }).field).toBe("residual");
    expect(refusal({ norm: "x", input: "x" }).field).toBe("norm");
    expect(refusal({ width: 9999, activation: "gelu" }).field).toBe("width");
  });

  it("shortens long values in the message", () => {
    const error = refusal({ activation: "x".repeat(500) });
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain("...");
  });
});

describe("training configs", () => {
  it("validateConfig takes back its own output, every optimizer's extras at their defaults", () => {
    for (const optimizer of OPTIMIZERS) {
      const config = validateConfig({ depth: 3, train: { steps: 10, optimizer, learningRate: 0.1 } });
      expect(validateConfig(config), optimizer).toEqual(config);
    }
    // An extra another optimizer reads is still refused where it would change something.
    expect(() => validateConfig({ train: { steps: 10, learningRate: 0.1, momentum: 0.5 } })).toThrow(
      'train.momentum must be absent with optimizer "sgd" (it applies to "momentum"), got 0.5',
    );
  });

  it("trainFields gives the fewest fields that validate to the training", () => {
    const train = (fields: object) =>
      validateConfig({ train: { steps: 1000, learningRate: 0.01, ...fields } }).train as TrainConfig;
    expect(trainFields(train({}))).toEqual({ steps: 1000, optimizer: "sgd", learningRate: 0.01 });
    expect(trainFields(train({ optimizer: "adam", beta1: 0.9, beta2: 0.99, record: 5 }))).toEqual({
      steps: 1000,
      optimizer: "adam",
      learningRate: 0.01,
      beta2: 0.99,
    });
    const momentum = train({ optimizer: "momentum", momentum: 0, record: 1 });
    expect(trainFields(momentum)).toEqual({
      steps: 1000,
      optimizer: "momentum",
      learningRate: 0.01,
      momentum: 0,
      record: 1,
    });
    expect(validateConfig({ train: trainFields(momentum) }).train).toEqual(momentum);
  });
});

describe("checkDraft: every invalid field, and the valid ones applied", () => {
  const fallback = validateConfig({ depth: 300, width: 2, init: { scheme: "identity", scale: 1.5 } });

  it("reports each invalid field once and keeps the draft's valid changes", () => {
    const { config, errors } = checkDraft(
      { ...fallback, depth: 0, width: 8, batch: 1.5, init: { scheme: "identity", scale: Number.NaN }, colour: "red" },
      fallback,
    );
    expect(errors.map((e) => e.field)).toEqual(["colour", "depth", "batch", "init.scale"]);
    expect(config).toEqual({ ...fallback, width: 8 });
  });

  it("keeps the fallback's residual for an invalid one, and a valid norm beside it", () => {
    const withResidual = { ...fallback, residual: 0.5 };
    const { config, errors } = checkDraft({ ...withResidual, residual: 11, norm: "layer" }, withResidual);
    expect(errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      "residual: residual must be null (a plain chain) or a number in [0, 10], got 11",
    ]);
    expect(config).toEqual({ ...withResidual, norm: "layer" });
  });

  it("gives a new scheme's invalid parameter its default, and an invalid scheme the fallback's init", () => {
    const gain = checkDraft({ ...fallback, init: { scheme: "he_normal", gain: -1 } }, fallback);
    expect(gain.errors.map((e) => e.field)).toEqual(["init.gain"]);
    expect(gain.config.init).toEqual({ scheme: "he_normal", gain: 1 });
    const scheme = checkDraft({ ...fallback, depth: 12, init: { scheme: "kaiming" } }, fallback);
    expect(scheme.errors.map((e) => e.field)).toEqual(["init.scheme"]);
    expect(scheme.config).toEqual({ ...fallback, depth: 12 });
  });

  it("keeps a draft's valid training fields, gives an invalid one the fallback's, and drops another optimizer's extras", () => {
    const trained = validateConfig({
      ...fallback,
      train: { steps: 40, optimizer: "momentum", learningRate: 0.1, momentum: 0.5 },
    });
    const draft = { ...fallback, train: { steps: 0, optimizer: "adam", learningRate: 0.2, momentum: 0.5, beta1: 2 } };
    const { config, errors } = checkDraft(draft, trained);
    expect(errors.map((e) => e.field)).toEqual(["train.steps", "train.momentum", "train.beta1"]);
    expect(config.train).toEqual(validateConfig({ train: { steps: 40, optimizer: "adam", learningRate: 0.2 } }).train);
    // Without a fallback training, a refused steps or learning rate takes DEFAULT_TRAINING's.
    const fresh = checkDraft({ ...fallback, train: { steps: 1.5, learningRate: -1 } }, fallback);
    expect(fresh.errors.map((e) => e.field)).toEqual(["train.steps", "train.learningRate"]);
    expect(fresh.config.train).toMatchObject(DEFAULT_TRAINING);
    // Training beside tracked numerics is refused; with a tracked fallback the training goes.
    const tracked = validateConfig({ ...fallback, numerics: "tracked" });
    const both = checkDraft({ ...tracked, train: { steps: 5, learningRate: 1 } }, tracked);
    expect(both.errors.map((e) => e.field)).toEqual(["numerics"]);
    expect(both.config).toEqual(tracked);
  });

  it("a valid draft has no errors; a draft that is not an object falls back whole", () => {
    expect(checkDraft({ ...fallback, depth: 7 }, fallback)).toEqual({ config: { ...fallback, depth: 7 }, errors: [] });
    const notObject = checkDraft("300", fallback);
    expect(notObject.config).toEqual(fallback);
    expect(notObject.errors[0]?.field).toBe("config");
  });
});

describe("validateConfig: objects that are not plain, and inherited fields", () => {
  class Settings {
    depth = 5;
  }

  it.each([
    ["a Map", new Map([["depth", 5]]), "a Map"],
    ["a Date", new Date(0), "a Date"],
    ["a class instance", new Settings(), "an instance of Settings"],
    ["a typed array", new Float32Array(2), "a Float32Array"],
  ])("refuses %s as the config, naming what it got", (_what, input, got) => {
    const error = refusal(input);
    expect(error.field).toBe("config");
    expect(error.message).toBe(`config must be an object of config fields, such as { depth: 300 }, got ${got}`);
  });

  it("refuses a field inherited from the config's prototype, naming it", () => {
    const error = refusal(Object.create({ depth: 5 }));
    expect(error.field).toBe("depth");
    expect(error.message).toBe("depth must be set on the config itself, not inherited from its prototype, got 5");
  });

  it("refuses a Map, a class instance or an inherited field as the init", () => {
    const map = refusal({ init: new Map([["scheme", "orthogonal"]]) });
    expect(map.field).toBe("init");
    expect(map.message).toMatch(/^init must be an object \{ scheme, \.\.\. \}.*, got a Map$/);
    const inherited = refusal({ init: Object.create({ scheme: "orthogonal" }) });
    expect(inherited.field).toBe("init.scheme");
    expect(inherited.message).toMatch(/^init\.scheme must be set on init itself, not inherited/);
  });

  it("reads no field from Object.prototype", () => {
    const prototype = Object.prototype as Record<string, unknown>;
    prototype.depth = 7;
    try {
      expect(refusal({}).message).toBe(
        "depth must be set on the config itself, not inherited from its prototype, got 7",
      );
    } finally {
      delete prototype.depth;
    }
  });

  it("still takes an object without a prototype", () => {
    const bare = Object.assign(Object.create(null), { depth: 9 });
    expect(validateConfig(bare).depth).toBe(9);
  });
});

describe("validateConfig: train", () => {
  const train = (value: unknown) => validateConfig({ train: value }).train;
  const refusal = (value: unknown, numerics?: string) => {
    try {
      validateConfig({ train: value, ...(numerics ? { numerics } : {}) });
    } catch (error) {
      return (error as ConfigError).message;
    }
    return "accepted";
  };

  it("is absent unless given, and fills every optimizer's defaults", () => {
    expect(validateConfig({}).train).toBeUndefined();
    expect(train({ steps: 1000, learningRate: 0.1 })).toEqual({
      steps: 1000,
      optimizer: "sgd",
      learningRate: 0.1,
      momentum: 0.9,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      record: 5,
    });
    expect(train({ steps: 200, optimizer: "adam", learningRate: 0.001, beta2: 0.99 })?.beta2).toBe(0.99);
    expect(train({ steps: 50, learningRate: 1, record: 7 })?.record).toBe(7);
  });

  it("records at most 200 steps by default", () => {
    for (const steps of [1, 199, 200, 201, 1000, 100000]) {
      const record = train({ steps, learningRate: 0.1 })?.record as number;
      expect(Math.floor(steps / record)).toBeLessThanOrEqual(200);
      expect(record === 1 || Math.floor(steps / (record - 1)) > 200).toBe(true);
    }
  });

  it("names each bad field, what it got and what it accepts", () => {
    expect(refusal({ steps: 0, learningRate: 0.1 })).toBe("train.steps must be an integer in 1..100000, got 0");
    expect(refusal({ steps: 10 })).toBe("train.learningRate must be a positive number up to 1000000, got undefined");
    expect(refusal({ steps: 10, learningRate: -1 })).toMatch(/^train.learningRate must be a positive number/);
    expect(refusal({ steps: 10, learningRate: 0.1, optimizer: "rmsprop" })).toBe(
      'train.optimizer must be one of "sgd", "momentum", "adam", got "rmsprop"',
    );
    expect(refusal({ steps: 10, learningRate: 0.1, optimizer: "momentum", momentum: 1 })).toBe(
      "train.momentum must be a number in [0, 1), got 1",
    );
    expect(refusal({ steps: 10, learningRate: 0.1, beta1: 0.5 })).toBe(
      'train.beta1 must be absent with optimizer "sgd" (it applies to "adam"), got 0.5',
    );
    expect(refusal({ steps: 10, learningRate: 0.1, optimizer: "adam", epsilon: 0 })).toMatch(/^train.epsilon must be/);
    expect(refusal({ steps: 10, learningRate: 0.1, record: 0 })).toBe(
      "train.record must be an integer in 1..100000, got 0",
    );
    expect(refusal({ steps: 10, learningRate: 0.1, lr: 0.1 })).toMatch(
      /^train.lr must be absent: train has no field "lr"/,
    );
    expect(refusal(10)).toMatch(/^train must be absent or an object/);
    expect(refusal({ steps: 10, learningRate: 0.1 }, "tracked")).toMatch(
      /^numerics must be "float32", "float16" or "bfloat16" when train is set/,
    );
    expect(refusal({ steps: 10, learningRate: 0.1 }, "float16")).toBe("accepted");
    expect(refusal({ steps: 10, learningRate: 0.1 }, "bfloat16")).toBe("accepted");
  });

  it("takes the targets input and teacher", () => {
    expect(validateConfig({ target: "input" }).target).toBe("input");
    expect(validateConfig({ target: "teacher" }).target).toBe("teacher");
  });
});
