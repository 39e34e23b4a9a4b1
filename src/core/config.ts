/**
 * A run's config (SPEC.md, "Config") and its validation: every field, every range, unknown
 * fields and wrong types refused with an error that names the field, the value and what is allowed.
 */
import { ACTIVATION_NAMES, type ActivationName } from "./activations";

export const INIT_SCHEMES = [
  "identity",
  "gaussian",
  "normal",
  "xavier_normal",
  "xavier_uniform",
  "he_normal",
  "he_uniform",
  "lecun_normal",
  "orthogonal",
] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];
/** The schemes parameterized by σ: N(0, σ²/n) (gaussian) and N(0, σ²) (normal, the naive randn · σ). */
export type SigmaScheme = "gaussian" | "normal";
export type GainScheme = Exclude<InitScheme, "identity" | SigmaScheme>;

/** A layer's weight initialization, W ∈ ℝⁿˣⁿ. */
export type InitConfig =
  | { scheme: "identity"; scale: number }
  | { scheme: SigmaScheme; sigma: number }
  | { scheme: GainScheme; gain: number };

export const INPUTS = ["ones", "gaussian"] as const;
export const TARGETS = ["zeros", "gaussian", "input", "teacher"] as const;
/** How a run stores its values (SPEC.md): a binary format (src/core/formats.ts), or tracked magnitudes. */
export const NUMERICS = ["float32", "float16", "bfloat16", "tracked"] as const;
/** Normalization of z_l before the activation: none, over each example's units, or over the batch per unit. */
export const NORMS = ["none", "layer", "batch"] as const;
export type NormKind = (typeof NORMS)[number];
/** The largest α of a residual chain, a_l = a_{l-1} + α·g(ẑ_l). */
export const MAX_RESIDUAL = 10;

/**
 * α = 1/√L for a chain of L layers: each layer changes the gradient's mean square by about 1 + α²·χ
 * (χ its branch's gain), and with α² = 1/L the L layers multiply to about e^χ whatever the depth.
 */
export function residualForDepth(depth: number): number {
  return 1 / Math.sqrt(depth);
}

export const OPTIMIZERS = ["sgd", "momentum", "adam"] as const;
export type Optimizer = (typeof OPTIMIZERS)[number];

/** A training run (SPEC.md, "Training"): full-batch steps on the run's fixed batch, every field filled in. */
export interface TrainConfig {
  steps: number;
  optimizer: Optimizer;
  learningRate: number;
  /** momentum's μ: v ← μv + g (ignored by the others). */
  momentum: number;
  /** Adam's decay rates and ε (ignored by the others). */
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Per-layer statistics are recorded at steps 0, record, 2·record, … and at the last step. */
  record: number;
}

/** The optimizer and its extras when a training config leaves them out. */
export const TRAIN_DEFAULTS = { optimizer: "sgd", momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/** The fields of a training config that are only read by one optimizer, and that optimizer. */
export const OPTIMIZER_EXTRAS = { momentum: "momentum", beta1: "adam", beta2: "adam", epsilon: "adam" } as const;

/**
 * The training a page or a URL starts from when only some of its fields are given (the API itself
 * takes no default for steps and learningRate): 500 steps of SGD with η = 0.01.
 */
export const DEFAULT_TRAINING = { steps: 500, learningRate: 0.01 } as const;

/** A training config's fields as a caller would give them. */
export type TrainFields = NonNullable<PartialConfig["train"]>;

/**
 * The fewest fields that validate to `train`: steps, optimizer and learning rate, the extras of its
 * own optimizer where they differ from TRAIN_DEFAULTS, and `record` where it differs from its default.
 */
export function trainFields(train: TrainConfig): TrainFields {
  const fields: TrainFields = { steps: train.steps, optimizer: train.optimizer, learningRate: train.learningRate };
  for (const [key, owner] of Object.entries(OPTIMIZER_EXTRAS) as [keyof typeof OPTIMIZER_EXTRAS, Optimizer][]) {
    if (owner === train.optimizer && !Object.is(train[key], TRAIN_DEFAULTS[key])) fields[key] = train[key];
  }
  if (train.record !== defaultRecordEvery(train.steps)) fields.record = train.record;
  return fields;
}

/** Steps of a training run, and the most per-layer records its default `record` keeps. */
export const TRAIN_LIMITS = { steps: { min: 1, max: 100000 }, defaultRecords: 200, maxLearningRate: 1e6 } as const;

/**
 * The smallest `record` whose multiples among steps 1..T are at most TRAIN_LIMITS.defaultRecords (step 0
 * and the last step are recorded besides).
 */
export const defaultRecordEvery = (steps: number) => Math.floor(steps / (TRAIN_LIMITS.defaultRecords + 1)) + 1;

/** A complete, validated config: every field present. */
export interface RunConfig {
  depth: number;
  width: number;
  batch: number;
  activation: ActivationName;
  init: InitConfig;
  biasSigma: number;
  /** α of a residual chain, a_l = a_{l-1} + α·g(ẑ_l); null for a plain chain, a_l = g(ẑ_l). */
  residual: number | null;
  norm: NormKind;
  input: (typeof INPUTS)[number];
  target: (typeof TARGETS)[number];
  seed: number;
  numerics: (typeof NUMERICS)[number];
  /** Absent: one forward and backward pass at initialization; else a training run. */
  train?: TrainConfig;
}

/** What a caller may pass: any subset of the fields; the rest take their defaults. */
export type PartialConfig = Partial<Omit<RunConfig, "init" | "train">> & {
  init?: Partial<InitConfig> & { scheme: InitScheme };
  train?: Partial<TrainConfig> & Pick<TrainConfig, "steps" | "learningRate">;
};

export const DEFAULT_CONFIG: Readonly<RunConfig> = Object.freeze<RunConfig>({
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
});

/** Integer ranges of the size fields and the seed. */
export const LIMITS = {
  depth: { min: 1, max: 4096 },
  width: { min: 1, max: 2048 },
  batch: { min: 1, max: 4096 },
  seed: { min: 0, max: 4294967295 },
} as const;

/**
 * |scale|, sigma, gain and biasSigma are 0 or within [MIN_INIT_MAGNITUDE, MAX_INIT_MAGNITUDE]: every
 * drawn weight and bias is then a normal float32 number, and powers of two of them stay in range.
 */
export const MIN_INIT_MAGNITUDE = 1e-20;
export const MAX_INIT_MAGNITUDE = 1e6;

/** A config field that is not valid: which field, what it got, what it accepts. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly got: unknown,
    readonly allowed: string,
  ) {
    super(`${field} must be ${allowed}, got ${describe(got)}`);
    this.name = "ConfigError";
  }
}

/**
 * A value as a person would type it, short enough for an error message; an object that is neither
 * plain nor an array by its kind ("a Map", "an instance of Settings").
 */
export function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function" || typeof value === "symbol") return typeof value;
  if (typeof value === "object" && value !== null && !Array.isArray(value) && !isPlainObject(value)) {
    return kindOf(value);
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * An object literal (or one made by Object.create(null), or from another realm): its prototype is
 * Object.prototype or has none itself. Maps, Dates, arrays and class instances are not.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/** "a Map", "a Date", "an instance of Settings": what kind of object a non-plain one is. */
function kindOf(value: object): string {
  const name: unknown = (value.constructor as { name?: unknown } | undefined)?.name;
  if (typeof name !== "string" || name === "" || name === "Object") return "an object with a prototype of its own";
  const article = /^[AEIOU]/.test(name) ? "an" : "a";
  const builtIn = Object.prototype.toString.call(value) !== "[object Object]";
  return builtIn ? `${article} ${name}` : `an instance of ${name}`;
}

/**
 * A plain object of fields (`field` names it: "" for the config, "init", "options"), or a
 * ConfigError: for a field inherited from its prototype, naming that field, else for a value that
 * is not a plain object.
 */
export function ownFields(field: string, value: unknown, allowed: string): Record<string, unknown> {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) {
        const where = field || "the config";
        throw new ConfigError(
          field ? `${field}.${key}` : key,
          (value as Record<string, unknown>)[key],
          `set on ${where} itself, not inherited from its prototype`,
        );
      }
    }
  }
  if (!isPlainObject(value)) throw new ConfigError(field || "config", value, allowed);
  return value;
}

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, value, `an integer in ${min}..${max}`);
  }
  return value;
}

/** 0, or a number whose magnitude is in [MIN_INIT_MAGNITUDE, MAX_INIT_MAGNITUDE] (negative only if allowed). */
function magnitude(field: string, value: unknown, allowNegative: boolean): number {
  const size = typeof value === "number" ? Math.abs(value) : Number.NaN;
  const valid =
    typeof value === "number" &&
    (allowNegative || value >= 0) &&
    (size === 0 || (size >= MIN_INIT_MAGNITUDE && size <= MAX_INIT_MAGNITUDE));
  if (!valid) {
    const range = `[${MIN_INIT_MAGNITUDE}, ${MAX_INIT_MAGNITUDE}]`;
    throw new ConfigError(
      field,
      value,
      allowNegative ? `0 or a number with magnitude in ${range}` : `0 or a number in ${range}`,
    );
  }
  return value;
}

/** null, or a number in [0, MAX_RESIDUAL]. */
function residualOf(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== "number" || !(value >= 0 && value <= MAX_RESIDUAL)) {
    throw new ConfigError("residual", value, `null (a plain chain) or a number in [0, ${MAX_RESIDUAL}]`);
  }
  return value;
}

function oneOf<T extends string>(field: string, value: unknown, options: readonly T[]): T {
  if (typeof value !== "string" || !(options as readonly string[]).includes(value)) {
    throw new ConfigError(field, value, `one of ${options.map((o) => `"${o}"`).join(", ")}`);
  }
  return value as T;
}

function refuseUnknown(field: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        field ? `${field}.${key}` : key,
        value[key],
        `absent: ${field || "config"} has no field "${key}" (fields: ${known.join(", ")})`,
      );
    }
  }
}

function validateInit(init: unknown): InitConfig {
  const value = ownFields("init", init, `an object { scheme, ... } with scheme one of ${INIT_SCHEMES.join(", ")}`);
  const scheme = oneOf("init.scheme", value.scheme, INIT_SCHEMES);
  if (scheme === "identity") {
    refuseUnknown("init", value, ["scheme", "scale"]);
    return { scheme, scale: value.scale === undefined ? 1 : magnitude("init.scale", value.scale, true) };
  }
  if (scheme === "gaussian" || scheme === "normal") {
    refuseUnknown("init", value, ["scheme", "sigma"]);
    return { scheme, sigma: value.sigma === undefined ? 1 : magnitude("init.sigma", value.sigma, false) };
  }
  refuseUnknown("init", value, ["scheme", "gain"]);
  return { scheme, gain: value.gain === undefined ? 1 : magnitude("init.gain", value.gain, false) };
}

/** What a config must be, as its ConfigError says. */
const CONFIG_OBJECT = "an object of config fields, such as { depth: 300 }";

/** The config with defaults filled in, or a ConfigError naming the first field that is not valid. */
export function validateConfig(input: unknown): RunConfig {
  if (input === undefined) return structuredClone(DEFAULT_CONFIG) as RunConfig;
  const fields = ownFields("", input, CONFIG_OBJECT);
  refuseUnknown("", fields, [...Object.keys(DEFAULT_CONFIG), "train"]);
  const field = <K extends keyof RunConfig>(key: K): unknown =>
    fields[key] === undefined ? DEFAULT_CONFIG[key] : fields[key];
  const config: RunConfig = {
    depth: integerIn("depth", field("depth"), LIMITS.depth.min, LIMITS.depth.max),
    width: integerIn("width", field("width"), LIMITS.width.min, LIMITS.width.max),
    batch: integerIn("batch", field("batch"), LIMITS.batch.min, LIMITS.batch.max),
    activation: oneOf("activation", field("activation"), ACTIVATION_NAMES),
    init: validateInit(field("init")),
    biasSigma: magnitude("biasSigma", field("biasSigma"), false),
    residual: residualOf(field("residual")),
    norm: oneOf("norm", field("norm"), NORMS),
    input: oneOf("input", field("input"), INPUTS),
    target: oneOf("target", field("target"), TARGETS),
    seed: integerIn("seed", field("seed"), LIMITS.seed.min, LIMITS.seed.max),
    numerics: oneOf("numerics", field("numerics"), NUMERICS),
  };
  if (fields.train === undefined) return config;
  if (config.numerics === "tracked") {
    throw new ConfigError(
      "numerics",
      config.numerics,
      '"float32", "float16" or "bfloat16" when train is set (training applies its updates to stored weights, which tracked magnitudes do not fit)',
    );
  }
  return { ...config, train: validateTrain(fields.train) };
}

/** A number in [min, max) (or [min, max] when `closed`), else a ConfigError naming the field. */
function numberIn(field: string, value: unknown, min: number, max: number, closed: boolean): number {
  const valid = typeof value === "number" && value >= min && (closed ? value <= max : value < max);
  if (!valid) throw new ConfigError(field, value, `a number in [${min}, ${max}${closed ? "]" : ")"}`);
  return value;
}

/** A positive number up to `max`, else a ConfigError naming the field. */
function positiveUpTo(field: string, value: unknown, max: number): number {
  if (typeof value !== "number" || !(value > 0 && value <= max)) {
    throw new ConfigError(field, value, `a positive number up to ${max}`);
  }
  return value;
}

const TRAIN_OBJECT =
  '{ steps, optimizer, learningRate, ... }, e.g. { steps: 100, optimizer: "sgd", learningRate: 0.01 }';

function validateTrain(train: unknown): TrainConfig {
  const value = ownFields("train", train, `absent or an object ${TRAIN_OBJECT}`);
  const known = ["steps", "optimizer", "learningRate", "momentum", "beta1", "beta2", "epsilon", "record"];
  refuseUnknown("train", value, known);
  const { steps: limits } = TRAIN_LIMITS;
  const steps = integerIn("train.steps", value.steps, limits.min, limits.max);
  const optimizer = oneOf("train.optimizer", value.optimizer ?? TRAIN_DEFAULTS.optimizer, OPTIMIZERS);
  const fallback = <T>(v: unknown, d: T) => (v === undefined ? d : v);
  // An extra at its default changes nothing, so a validated config (which has them all) validates again.
  const onlyFor = (key: keyof typeof OPTIMIZER_EXTRAS, owner: Optimizer) => {
    if (value[key] !== undefined && !Object.is(value[key], TRAIN_DEFAULTS[key]) && optimizer !== owner) {
      throw new ConfigError(
        `train.${key}`,
        value[key],
        `absent with optimizer "${optimizer}" (it applies to "${owner}")`,
      );
    }
  };
  for (const [key, owner] of Object.entries(OPTIMIZER_EXTRAS)) onlyFor(key as keyof typeof OPTIMIZER_EXTRAS, owner);
  return {
    steps,
    optimizer,
    learningRate: positiveUpTo("train.learningRate", value.learningRate, TRAIN_LIMITS.maxLearningRate),
    momentum: numberIn("train.momentum", fallback(value.momentum, TRAIN_DEFAULTS.momentum), 0, 1, false),
    beta1: numberIn("train.beta1", fallback(value.beta1, TRAIN_DEFAULTS.beta1), 0, 1, false),
    beta2: numberIn("train.beta2", fallback(value.beta2, TRAIN_DEFAULTS.beta2), 0, 1, false),
    epsilon: positiveUpTo("train.epsilon", fallback(value.epsilon, TRAIN_DEFAULTS.epsilon), 1),
    record: integerIn("train.record", fallback(value.record, defaultRecordEvery(steps)), 1, limits.max),
  };
}

/** A draft config checked field by field: the config to run, and every field that is not valid. */
export interface DraftCheck {
  /** The draft with each invalid field replaced by the fallback's value (an unknown field dropped). */
  config: RunConfig;
  /** One error per invalid field, in the order validateConfig meets them. */
  errors: ConfigError[];
}

/**
 * Every invalid field of a draft, not only the first, and the config that keeps the draft's valid
 * fields and takes `fallback`'s value for each invalid one (an init parameter that does not belong
 * to the fallback's scheme takes its default). A page applies the valid changes while it shows
 * every error.
 */
export function checkDraft(draft: unknown, fallback: RunConfig): DraftCheck {
  if (!isPlainObject(draft)) {
    return {
      config: structuredClone(fallback),
      errors: [new ConfigError("config", draft, CONFIG_OBJECT)],
    };
  }
  const candidate: Record<string, unknown> = structuredClone(draft);
  const errors: ConfigError[] = [];
  // Each pass replaces the field validateConfig refused; a config has fewer fields than this.
  for (let pass = 0; pass < 32; pass++) {
    try {
      return { config: validateConfig(candidate), errors };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
      replaceField(candidate, error.field, fallback);
    }
  }
  return { config: structuredClone(fallback), errors };
}

/** Puts the fallback's value where `field` (as ConfigError names it) was refused. */
function replaceField(candidate: Record<string, unknown>, field: string, fallback: RunConfig): void {
  const [top, sub] = field.split(".") as [string, string | undefined];
  if (top === "train" || (top === "numerics" && fallback.numerics === "tracked")) {
    replaceTrainField(candidate, top === "train" ? sub : undefined, fallback);
    return;
  }
  if (!(top in fallback)) {
    delete candidate[top];
    return;
  }
  if (top !== "init" || sub === undefined || sub === "scheme" || !isPlainObject(candidate.init)) {
    candidate[top] = structuredClone(fallback[top as keyof RunConfig]);
    return;
  }
  const init = candidate.init;
  const own = (fallback.init as Record<string, unknown>)[sub];
  if (init.scheme === fallback.init.scheme && own !== undefined) init[sub] = own;
  else delete init[sub];
}

/**
 * Puts the fallback's training field where `sub` was refused: its own value where it has one that
 * applies to the draft's optimizer, else the field's default (DEFAULT_TRAINING for steps and the
 * learning rate). A refused train object, or train beside the fallback's tracked numerics (which
 * cannot train), is replaced by the fallback's training, or dropped when it has none.
 */
function replaceTrainField(candidate: Record<string, unknown>, sub: string | undefined, fallback: RunConfig): void {
  const own: Record<string, unknown> = fallback.train ? trainFields(fallback.train) : { ...DEFAULT_TRAINING };
  const train = candidate.train;
  if (sub === undefined || !isPlainObject(train)) {
    if (fallback.train) candidate.train = own;
    else delete candidate.train;
    return;
  }
  const owner = OPTIMIZER_EXTRAS[sub as keyof typeof OPTIMIZER_EXTRAS];
  const applies = owner === undefined || (train.optimizer ?? TRAIN_DEFAULTS.optimizer) === owner;
  if (applies && own[sub] !== undefined && own[sub] !== train[sub]) train[sub] = own[sub];
  else delete train[sub];
}
