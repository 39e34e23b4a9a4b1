/**
 * The page's whole config in the URL, as one declarative table (TensorFlow Playground's
 * State.PROPS): each URL parameter says how it reads its text into a config and how it writes it.
 *
 * Reading never throws: every parameter is checked by validateConfig, exactly as the API checks a
 * config, and one that is refused keeps its default and leaves a plain-text notice. A parameter
 * given more than once is read from its last occurrence, with a notice.
 */
import {
  ConfigError,
  DEFAULT_CONFIG,
  DEFAULT_TRAINING,
  defaultRecordEvery,
  INIT_SCHEMES,
  type InitScheme,
  type RunConfig,
  TRAIN_DEFAULTS,
  type TrainConfig,
  trainFields,
  validateConfig,
} from "./config";

/** One URL parameter: its name, the config field it sets, how it reads and writes it. */
export interface Setting {
  /** The URL parameter's name. */
  readonly key: string;
  /** The config field it sets, as validateConfig names it in its errors. */
  readonly field: string;
  /** The init schemes it belongs to (the scheme-specific parameters); absent: every config has it. */
  readonly schemes?: readonly InitScheme[];
  /** The config with this parameter's text applied, not yet validated. */
  readonly read: (config: RunConfig, text: string) => unknown;
  /** The parameter's text for a config. */
  readonly write: (config: RunConfig) => string;
  /** Whether the URL must carry the parameter: the config differs from DEFAULT_CONFIG there. */
  readonly differs: (config: RunConfig) => boolean;
}

type TopLevelField = Exclude<keyof RunConfig, "init" | "residual" | "train">;
type InitParameter = "scale" | "sigma" | "gain";

const SIGMA_SCHEMES: readonly InitScheme[] = ["gaussian", "normal"];
const GAIN_SCHEMES = INIT_SCHEMES.filter((scheme) => scheme !== "identity" && !SIGMA_SCHEMES.includes(scheme));
/** At most this many notices are listed; the rest are counted in one last notice. */
export const MAX_NOTICES = 20;
/** A value shown in a notice is cut to this many characters. */
export const NOTICE_VALUE_CHARS = 40;

/** A decimal number as String(x) writes one. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The number a decimal text spells, or the text itself (which validateConfig then refuses). An
 * exponent's "e 5" reads as "e+5": the URL decodes a "+" typed by hand to a space.
 */
export function parseDecimal(text: string): number | string {
  const decimal = text.replace(/e (?=\d+$)/i, "e+");
  return DECIMAL.test(decimal) ? Number(decimal) : text;
}

/** A number's shortest round-trip text; −0 keeps its sign. */
export function formatNumber(value: number): string {
  return Object.is(value, -0) ? "-0" : String(value);
}

/** A top-level field: numbers read as decimals, names as they are. */
function topLevel(key: string, field: TopLevelField): Setting {
  const numeric = typeof DEFAULT_CONFIG[field] === "number";
  return {
    key,
    field,
    read: (config, text) => ({ ...config, [field]: numeric ? parseDecimal(text) : text }),
    write: (config) => {
      const value = config[field];
      return typeof value === "number" ? formatNumber(value) : value;
    },
    differs: (config) => !Object.is(config[field], DEFAULT_CONFIG[field]),
  };
}

/** The URL's spelling of a plain chain's residual, null ("null" reads the same). */
const NO_RESIDUAL = "none";

/** α of a residual chain as a decimal, or "none" for a plain chain. */
const residual: Setting = {
  key: "residual",
  field: "residual",
  read: (config, text) => ({
    ...config,
    residual: text === NO_RESIDUAL || text === "null" ? null : parseDecimal(text),
  }),
  write: (config) => (config.residual === null ? NO_RESIDUAL : formatNumber(config.residual)),
  differs: (config) => !Object.is(config.residual, DEFAULT_CONFIG.residual),
};

/** The init scheme; choosing one gives its parameter that scheme's default. */
const initScheme: Setting = {
  key: "init",
  field: "init.scheme",
  read: (config, text) => ({ ...config, init: { scheme: text } }),
  write: (config) => config.init.scheme,
  differs: (config) => config.init.scheme !== DEFAULT_CONFIG.init.scheme,
};

/** A scheme's own parameter, written whenever the scheme or the parameter differs from the default. */
function initParameter(key: InitParameter, schemes: readonly InitScheme[]): Setting {
  const parameterOf = (config: RunConfig): unknown => (config.init as Record<string, unknown>)[key];
  return {
    key,
    field: `init.${key}`,
    schemes,
    read: (config, text) => ({ ...config, init: { ...config.init, [key]: parseDecimal(text) } }),
    write: (config) => formatNumber(parameterOf(config) as number),
    differs: (config) =>
      schemes.includes(config.init.scheme) &&
      (config.init.scheme !== DEFAULT_CONFIG.init.scheme ||
        !Object.is(parameterOf(config), parameterOf(DEFAULT_CONFIG))),
  };
}

/** A config's training as the fields a caller gives; DEFAULT_TRAINING where it has none. */
const trainingOf = (config: RunConfig): Record<string, unknown> =>
  config.train ? trainFields(config.train) : { ...DEFAULT_TRAINING };

/** The training a config has, or the one DEFAULT_TRAINING gives (what a notice says is used). */
const trainOrDefault = (config: RunConfig): TrainConfig =>
  config.train ?? (validateConfig({ train: DEFAULT_TRAINING }).train as TrainConfig);

/**
 * A field of the training, read into the config's training (DEFAULT_TRAINING's when it has none
 * yet), written where it differs from `fallback`. An optimizer's extra given with another optimizer
 * is refused by validateConfig.
 */
function trainSetting(key: string, name: keyof TrainConfig, fallback: (train: TrainConfig) => unknown): Setting {
  const numeric = name !== "optimizer";
  return {
    key,
    field: `train.${name}`,
    read: (config, text) => ({
      ...config,
      train: { ...trainingOf(config), [name]: numeric ? parseDecimal(text) : text },
    }),
    write: (config) => {
      const value = trainOrDefault(config)[name];
      return typeof value === "number" ? formatNumber(value) : value;
    },
    differs: (config) => config.train !== undefined && !Object.is(config.train[name], fallback(config.train)),
  };
}

/** Every URL parameter, in the order the URL lists them (the scheme before its parameter). */
export const SETTINGS: readonly Setting[] = [
  topLevel("depth", "depth"),
  topLevel("width", "width"),
  topLevel("batch", "batch"),
  topLevel("act", "activation"),
  initScheme,
  initParameter("scale", ["identity"]),
  initParameter("sigma", SIGMA_SCHEMES),
  initParameter("gain", GAIN_SCHEMES),
  topLevel("bias", "biasSigma"),
  residual,
  topLevel("norm", "norm"),
  topLevel("input", "input"),
  topLevel("target", "target"),
  topLevel("seed", "seed"),
  topLevel("numerics", "numerics"),
  // Steps are written whenever the config trains: they say that it does.
  trainSetting("steps", "steps", () => undefined),
  trainSetting("opt", "optimizer", () => TRAIN_DEFAULTS.optimizer),
  trainSetting("lr", "learningRate", () => DEFAULT_TRAINING.learningRate),
  trainSetting("momentum", "momentum", () => TRAIN_DEFAULTS.momentum),
  trainSetting("beta1", "beta1", () => TRAIN_DEFAULTS.beta1),
  trainSetting("beta2", "beta2", () => TRAIN_DEFAULTS.beta2),
  trainSetting("eps", "epsilon", () => TRAIN_DEFAULTS.epsilon),
  trainSetting("record", "record", (train) => defaultRecordEvery(train.steps)),
];

const SETTING_KEYS = SETTINGS.map((setting) => setting.key);

/** The URL query ("?depth=300&…") of a valid config: only what differs from DEFAULT_CONFIG; "" for the default. */
export function configToSearch(config: RunConfig): string {
  const params = new URLSearchParams();
  for (const setting of SETTINGS) if (setting.differs(config)) params.append(setting.key, setting.write(config));
  const query = params.toString();
  return query ? `?${query}` : "";
}

/** A value as a notice quotes it: cut to NOTICE_VALUE_CHARS, control and direction characters escaped. */
export function quoteValue(text: string): string {
  const cut = text.length > NOTICE_VALUE_CHARS ? `${text.slice(0, NOTICE_VALUE_CHARS - 1)}…` : text;
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A parameter the config could not take: its name, its text, and why (for a caller that stops there). */
export interface Refusal {
  key: string;
  text: string;
  reason: string;
}

/** The config with one parameter's text applied, or the same config, the notice why not and the refusal. */
function applySetting(
  config: RunConfig,
  setting: Setting,
  text: string,
): { config: RunConfig; notice?: string; refusal?: Refusal } {
  const { key } = setting;
  const shown = `${key}=${quoteValue(text)}`;
  if (setting.schemes && !setting.schemes.includes(config.init.scheme)) {
    const belongs = setting.schemes.map((scheme) => `init=${scheme}`).join(", ");
    const reason = `it applies only to ${belongs}, and init is ${config.init.scheme}`;
    return { config, notice: `ignored ${shown}: ${reason}`, refusal: { key, text, reason } };
  }
  try {
    return { config: validateConfig(setting.read(config, text)) };
  } catch (error) {
    const reason = error instanceof ConfigError ? `${error.field} must be ${error.allowed}` : String(error);
    return {
      config,
      notice: `ignored ${shown}: ${reason}; using ${key}=${setting.write(config)}`,
      refusal: { key, text, reason },
    };
  }
}

/**
 * The config a URL query describes, starting from DEFAULT_CONFIG; a plain-text notice per parameter
 * refused or given more than once (the page shows them and runs the config); and the refusals alone
 * (each parameter whose value the config does not carry, unknown ones too), for a caller that
 * refuses to run then, as the CLI does.
 */
export function searchToConfig(search: string): { config: RunConfig; notices: string[]; refusals: Refusal[] } {
  const params = new URLSearchParams(search);
  const notices: string[] = [];
  const refusals: Refusal[] = [];
  let config = structuredClone(DEFAULT_CONFIG) as RunConfig;
  for (const setting of SETTINGS) {
    const texts = params.getAll(setting.key);
    const text = texts.at(-1);
    if (text === undefined) continue;
    if (texts.length > 1)
      notices.push(`${setting.key} was given ${texts.length} times; read the last, ${quoteValue(text)}`);
    const applied = applySetting(config, setting, text);
    config = applied.config;
    if (applied.notice) notices.push(applied.notice);
    if (applied.refusal) refusals.push(applied.refusal);
  }
  for (const key of new Set(params.keys())) {
    if (!SETTING_KEYS.includes(key)) {
      const parameters = `parameters: ${SETTING_KEYS.join(", ")}`;
      notices.push(`ignored unknown parameter ${quoteValue(key)} (${parameters})`);
      refusals.push({ key, text: params.get(key) ?? "", reason: `unknown parameter (${parameters})` });
    }
  }
  return { config, notices: capNotices(notices), refusals };
}

/** The first MAX_NOTICES notices, and a count of the rest. */
function capNotices(notices: string[]): string[] {
  if (notices.length <= MAX_NOTICES) return notices;
  return [...notices.slice(0, MAX_NOTICES), `… and ${notices.length - MAX_NOTICES} more notices`];
}
