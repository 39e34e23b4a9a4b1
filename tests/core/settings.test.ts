import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES } from "../../src/core/activations";
import {
  DEFAULT_CONFIG,
  INIT_SCHEMES,
  type InitConfig,
  LIMITS,
  MAX_INIT_MAGNITUDE,
  MAX_RESIDUAL,
  MIN_INIT_MAGNITUDE,
  NORMS,
  NUMERICS,
  OPTIMIZERS,
  type RunConfig,
  type TrainConfig,
  validateConfig,
} from "../../src/core/config";
import { lectureConfig } from "../../src/core/presets";
import {
  configToSearch,
  MAX_NOTICES,
  NOTICE_VALUE_CHARS,
  parseDecimal,
  quoteValue,
  SETTINGS,
  searchToConfig,
} from "../../src/core/settings";
import { mulberry32 } from "../support/random";

const LECTURE_SEARCH = "?depth=300&width=2&batch=1&act=linear&init=identity&scale=1.5&input=ones&target=zeros";

/** A random valid config: every field drawn, edges and odd floats among the numbers. */
function randomConfig(random: () => number): RunConfig {
  const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)] as T;
  const integer = (min: number, max: number): number =>
    pick([min, max, min + Math.floor(random() * (max - min + 1)), min + Math.floor(random() * 10)]);
  const magnitude = (): number =>
    pick([
      0,
      1,
      0.1 + 0.2,
      MIN_INIT_MAGNITUDE,
      MAX_INIT_MAGNITUDE,
      1 / 3,
      Math.SQRT2,
      10 ** (-20 + 26 * random()),
      random() * 10,
    ]);
  const scheme = pick(INIT_SCHEMES);
  let init: InitConfig;
  if (scheme === "identity") init = { scheme, scale: pick([-1, 1]) * pick([magnitude(), 1.5, 0.5, 0.9]) };
  else if (scheme === "gaussian" || scheme === "normal") init = { scheme, sigma: magnitude() };
  else init = { scheme, gain: magnitude() };
  const config: RunConfig = {
    depth: integer(LIMITS.depth.min, LIMITS.depth.max),
    width: integer(LIMITS.width.min, LIMITS.width.max),
    batch: integer(LIMITS.batch.min, LIMITS.batch.max),
    activation: pick(ACTIVATION_NAMES),
    init,
    biasSigma: pick([0, 0, magnitude()]),
    residual: pick([null, null, 0, MAX_RESIDUAL, 0.1 + 0.2, 1 / 3, random() * MAX_RESIDUAL]),
    norm: pick(NORMS),
    input: pick(["ones", "gaussian"] as const),
    target: pick(["zeros", "gaussian"] as const),
    seed: integer(LIMITS.seed.min, LIMITS.seed.max),
    numerics: pick(NUMERICS),
  };
  if (config.numerics === "float32" && random() < 0.5) config.train = randomTrain(random, pick, magnitude);
  expect(validateConfig(config)).toEqual(config);
  return config;
}

/** A random valid training: every optimizer, its extras drawn or left at their defaults, record drawn or not. */
function randomTrain(
  random: () => number,
  pick: <T>(options: readonly T[]) => T,
  magnitude: () => number,
): TrainConfig {
  const optimizer = pick(OPTIMIZERS);
  const steps = pick([1, 2, 100, 500, 100000, 1 + Math.floor(random() * 5000)]);
  const fraction = () => pick([0, 0.5, 0.9, 0.999, 1 - 2 ** -40, random()]);
  const fields: Record<string, unknown> = {
    steps,
    optimizer,
    learningRate: pick([0.01, 1e6, 1e-20, 0.1 + 0.2, magnitude() || 1]),
  };
  if (optimizer === "momentum" && random() < 0.5) fields.momentum = fraction();
  if (optimizer === "adam" && random() < 0.5) {
    fields.beta1 = fraction();
    fields.beta2 = fraction();
    fields.epsilon = pick([1e-8, 1, 1e-30, random() || 0.5]);
  }
  if (random() < 0.3) fields.record = 1 + Math.floor(random() * steps);
  return validateConfig({ train: fields }).train as TrainConfig;
}

/** searchToConfig of a query that must carry one refused parameter: its notice, checked to be the only one. */
function onlyNotice(search: string): { config: RunConfig; notice: string } {
  const { config, notices } = searchToConfig(search);
  expect(notices, search.slice(0, 200)).toHaveLength(1);
  return { config, notice: notices[0] as string };
}

describe("SETTINGS", () => {
  it("has one entry per URL parameter, each named once, the init scheme before its parameters", () => {
    const keys = SETTINGS.map((s) => s.key);
    expect(keys).toEqual([
      "depth",
      "width",
      "batch",
      "act",
      "init",
      "scale",
      "sigma",
      "gain",
      "bias",
      "residual",
      "norm",
      "input",
      "target",
      "seed",
      "numerics",
      "steps",
      "opt",
      "lr",
      "momentum",
      "beta1",
      "beta2",
      "eps",
      "record",
    ]);
  });

  it("gives every scheme exactly one parameter", () => {
    for (const scheme of INIT_SCHEMES) {
      expect(SETTINGS.filter((s) => s.schemes?.includes(scheme)).length, scheme).toBe(1);
    }
  });
});

describe("configToSearch", () => {
  it("writes nothing for the default config", () => {
    expect(configToSearch(validateConfig({}))).toBe("");
  });

  it("writes the lecture config as the lecture URL, in the table's order", () => {
    expect(configToSearch(validateConfig(lectureConfig(1.5, 300)))).toBe(LECTURE_SEARCH);
  });

  it("writes a scheme's parameter whenever the scheme differs, and only that scheme's", () => {
    expect(configToSearch(validateConfig({ init: { scheme: "he_normal" } }))).toBe("?init=he_normal&gain=1");
    expect(configToSearch(validateConfig({ init: { scheme: "xavier_normal", gain: 2 } }))).toBe("?gain=2");
    expect(configToSearch(validateConfig({ init: { scheme: "gaussian", sigma: 1 } }))).toBe("?init=gaussian&sigma=1");
  });

  it("writes a residual chain's α and the norm; a plain chain and no norm write nothing", () => {
    expect(configToSearch(validateConfig({ residual: 0.5, norm: "layer" }))).toBe("?residual=0.5&norm=layer");
    expect(configToSearch(validateConfig({ residual: 0, norm: "batch" }))).toBe("?residual=0&norm=batch");
    expect(configToSearch(validateConfig({ residual: null, norm: "none" }))).toBe("");
  });

  it("writes numbers in their shortest round-trip form, a '+' escaped so the URL keeps it", () => {
    const config = validateConfig({ init: { scheme: "identity", scale: 0.1 + 0.2 }, biasSigma: 1e-20 });
    expect(configToSearch(config)).toBe("?init=identity&scale=0.30000000000000004&bias=1e-20");
    expect(configToSearch(validateConfig({ biasSigma: 1e6, seed: 4294967295 }))).toBe("?bias=1000000&seed=4294967295");
    expect(configToSearch(validateConfig({ init: { scheme: "identity", scale: -1e-7 } }))).toBe(
      "?init=identity&scale=-1e-7",
    );
  });
});

describe("searchToConfig: round trip", () => {
  const seed = (Date.now() ^ (Math.random() * 2 ** 32)) >>> 0;

  it(`reads back every one of 300 random valid configs, with no notice (seed ${seed})`, () => {
    const random = mulberry32(seed);
    const schemes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const config = randomConfig(random);
      schemes.add(config.init.scheme);
      const search = configToSearch(config);
      const read = searchToConfig(search);
      expect(read.config, `seed ${seed}, ${search}`).toEqual(config);
      expect(read.notices, `seed ${seed}, ${search}`).toEqual([]);
    }
    expect([...schemes].sort()).toEqual([...INIT_SCHEMES].sort());
  });

  it("writes a training as its steps and what differs from the defaults, and reads it back", () => {
    const train = (fields: object) => validateConfig({ train: { steps: 500, learningRate: 0.01, ...fields } });
    expect(configToSearch(train({}))).toBe("?steps=500");
    expect(configToSearch(train({ steps: 37, optimizer: "momentum", learningRate: 0.1 + 0.2 }))).toBe(
      "?steps=37&opt=momentum&lr=0.30000000000000004",
    );
    expect(configToSearch(train({ optimizer: "momentum", momentum: 0.5 }))).toBe(
      "?steps=500&opt=momentum&momentum=0.5",
    );
    expect(configToSearch(train({ optimizer: "adam", learningRate: 1e-3, beta2: 0.99, epsilon: 1e-6 }))).toBe(
      "?steps=500&opt=adam&lr=0.001&beta2=0.99&eps=0.000001",
    );
    // record is written only where it is not every ceil(steps / 200) steps.
    expect(configToSearch(train({ steps: 1000, record: 5 }))).toBe("?steps=1000");
    expect(configToSearch(train({ steps: 1000, record: 1 }))).toBe("?steps=1000&record=1");
    for (const config of [train({}), train({ optimizer: "adam", beta1: 0, record: 7 }), train({ steps: 100000 })]) {
      expect(searchToConfig(configToSearch(config))).toEqual({ config, notices: [], refusals: [] });
    }
    // A field alone starts from DEFAULT_TRAINING: 500 steps of SGD at η = 0.01.
    expect(searchToConfig("?lr=0.5").config.train).toEqual(train({ learningRate: 0.5 }).train);
    expect(searchToConfig("?opt=adam").config.train).toEqual(train({ optimizer: "adam" }).train);
  });

  it("reads residual=none and residual=null as a plain chain, and α as a decimal", () => {
    for (const text of ["none", "null"]) {
      const { config, notices } = searchToConfig(`?residual=${text}&norm=batch`);
      expect(config).toEqual(validateConfig({ residual: null, norm: "batch" }));
      expect(notices).toEqual([]);
    }
    expect(searchToConfig("?residual=1e+1").config.residual).toBe(10);
    expect(searchToConfig("?residual=0.30000000000000004").config.residual).toBe(0.1 + 0.2);
  });

  it("reads back the odd numbers: 0.1 + 0.2, 1e-20, −1.5, −0, 2³² − 1, every scheme and numerics", () => {
    const configs: RunConfig[] = [
      validateConfig({ init: { scheme: "identity", scale: -1.5 }, seed: 4294967295, numerics: "tracked" }),
      validateConfig({ init: { scheme: "identity", scale: -0 }, seed: 0 }),
      validateConfig({ residual: 0.1 + 0.2, norm: "layer", numerics: "tracked" }),
      validateConfig({ residual: -0, norm: "batch" }),
      validateConfig({ init: { scheme: "gaussian", sigma: 0.1 + 0.2 }, biasSigma: 1e-20 }),
      validateConfig({ init: { scheme: "orthogonal", gain: 1e-20 }, biasSigma: 0.1 + 0.2, activation: "leaky_relu" }),
      validateConfig({ init: { scheme: "xavier_uniform", gain: 1e6 }, depth: 4096, width: 2048, batch: 4096 }),
      ...INIT_SCHEMES.map((scheme) => validateConfig({ init: { scheme } })),
      validateConfig(lectureConfig(0.5)),
    ];
    for (const config of configs) {
      const read = searchToConfig(configToSearch(config));
      expect(read.config).toEqual(config);
      expect(Object.is(read.config.init, config.init)).toBe(false);
      expect(read.notices).toEqual([]);
    }
  });

  it("reads the lecture URL as the lecture config, with or without its '?'", () => {
    for (const search of [LECTURE_SEARCH, LECTURE_SEARCH.slice(1)]) {
      expect(searchToConfig(search)).toEqual({
        config: validateConfig(lectureConfig(1.5, 300)),
        notices: [],
        refusals: [],
      });
    }
  });

  it("reads the empty query as the default config, a fresh copy", () => {
    const { config, notices } = searchToConfig("");
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config).not.toBe(DEFAULT_CONFIG);
    expect(notices).toEqual([]);
  });

  it("reads a '+' that the URL decoded to a space as the '+' of an exponent", () => {
    expect(searchToConfig("?init=identity&scale=1e+3").config.init).toEqual({ scheme: "identity", scale: 1000 });
  });
});

describe("searchToConfig: hostile input", () => {
  /** Every other field the query sets, to check that a refused one leaves them alone. */
  const OTHERS = "width=2&act=linear&seed=7";
  const expectOthersKept = (config: RunConfig) => {
    expect(config.width).toBe(2);
    expect(config.activation).toBe("linear");
    expect(config.seed).toBe(7);
  };

  const refusedDepths = [
    "1e99",
    "NaN",
    "Infinity",
    "-Infinity",
    "",
    "abc",
    "-5",
    "0",
    "300.5",
    "0x10",
    "1_000",
    " 12",
    "<script>alert(1)</script>",
  ];
  for (const depth of refusedDepths) {
    it(`refuses depth=${JSON.stringify(depth)}: default depth, a notice naming it, the rest kept`, () => {
      const { config, notice } = onlyNotice(`?${OTHERS}&depth=${encodeURIComponent(depth)}`);
      expect(config.depth).toBe(DEFAULT_CONFIG.depth);
      expectOthersKept(config);
      expect(notice).toBe(`ignored depth=${quoteValue(depth)}: depth must be an integer in 1..4096; using depth=50`);
    });
  }

  it("refuses a residual outside [0, 10] or not a number, and a norm that is not one", () => {
    for (const text of ["-1", "10.5", "abc", "Infinity", "NaN", ""]) {
      const { config, notice } = onlyNotice(`?${OTHERS}&residual=${encodeURIComponent(text)}`);
      expect(config.residual).toBeNull();
      expectOthersKept(config);
      expect(notice).toBe(
        `ignored residual=${quoteValue(text)}: residual must be null (a plain chain) or a number in [0, 10]; ` +
          "using residual=none",
      );
    }
    const kept = onlyNotice(`?${OTHERS}&residual=0.5&norm=group`);
    expect(kept.config.residual).toBe(0.5);
    expect(kept.config.norm).toBe("none");
    expect(kept.notice).toBe('ignored norm="group": norm must be one of "none", "layer", "batch"; using norm=none');
  });

  it("refuses bad training values by their URL names, keeping the rest of the training", () => {
    const steps = onlyNotice(`?${OTHERS}&steps=0&lr=0.5`);
    expectOthersKept(steps.config);
    expect(steps.config.train?.learningRate).toBe(0.5);
    expect(steps.config.train?.steps).toBe(500);
    expect(steps.notice).toBe('ignored steps="0": train.steps must be an integer in 1..100000; using steps=500');
    const rate = onlyNotice("?steps=20&lr=-1");
    expect(rate.config.train).toMatchObject({ steps: 20, learningRate: 0.01 });
    expect(rate.notice).toBe(
      'ignored lr="-1": train.learningRate must be a positive number up to 1000000; using lr=0.01',
    );
    const optimizer = onlyNotice("?steps=20&opt=rmsprop");
    expect(optimizer.config.train?.optimizer).toBe("sgd");
    expect(optimizer.notice).toBe(
      'ignored opt="rmsprop": train.optimizer must be one of "sgd", "momentum", "adam"; using opt=sgd',
    );
    // An extra of another optimizer is refused, and so is training with tracked numerics.
    const extra = onlyNotice("?steps=20&opt=sgd&beta1=0.5");
    expect(extra.config.train?.beta1).toBe(0.9);
    expect(extra.notice).toMatch(/^ignored beta1="0.5": train.beta1 must be absent with optimizer "sgd"/);
    const tracked = onlyNotice("?numerics=tracked&steps=20");
    expect(tracked.config.train).toBeUndefined();
    expect(tracked.config.numerics).toBe("tracked");
    expect(tracked.notice).toMatch(
      /^ignored steps="20": numerics must be "float32", "float16" or "bfloat16" when train is set/,
    );
  });

  it("refuses a seed of 2³² and a negative one", () => {
    for (const seed of ["4294967296", "-1", "1.5"]) {
      const { config, notice } = onlyNotice(`?width=2&act=linear&seed=${seed}`);
      expect(config.seed).toBe(DEFAULT_CONFIG.seed);
      expect(config.width).toBe(2);
      expect(notice).toBe(`ignored seed="${seed}": seed must be an integer in 0..4294967295; using seed=1`);
    }
  });

  it("refuses names that are not options, those of Object.prototype included", () => {
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "LINEAR", "tanh "]) {
      const { config, notice } = onlyNotice(`?${OTHERS.replace("act=linear", `act=${encodeURIComponent(name)}`)}`);
      expect(config.activation).toBe(DEFAULT_CONFIG.activation);
      expect(config.width).toBe(2);
      expect(notice).toMatch(/^ignored act=".*": activation must be one of "linear", .*; using act=tanh$/);
    }
    for (const field of ["init", "norm", "residual", "input", "target", "numerics"]) {
      const { config, notice } = onlyNotice(`?${OTHERS}&${field}=__proto__`);
      expect(config).toEqual(validateConfig({ width: 2, activation: "linear", seed: 7 }));
      expect(notice).toContain(`ignored ${field}="__proto__": `);
    }
  });

  it("ignores unknown keys, those of Object.prototype included, with a notice each", () => {
    const { config, notices } = searchToConfig(`?${OTHERS}&constructor=1&__proto__=1&toString=x&Depth=3&=5`);
    expectOthersKept(config);
    expect(config.depth).toBe(DEFAULT_CONFIG.depth);
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(notices).toHaveLength(5);
    expect(notices[0]).toBe(
      'ignored unknown parameter "constructor" (parameters: depth, width, batch, act, init, scale, sigma, gain, ' +
        "bias, residual, norm, input, target, seed, numerics, steps, opt, lr, momentum, beta1, beta2, eps, record)",
    );
    expect(
      notices
        .slice(1)
        .map((n) => n.slice(0, n.indexOf(" (")))
        .sort(),
    ).toEqual([
      'ignored unknown parameter ""',
      'ignored unknown parameter "Depth"',
      'ignored unknown parameter "__proto__"',
      'ignored unknown parameter "toString"',
    ]);
  });

  it("keeps the scheme and the default gain for init=orthogonal&gain=abc", () => {
    const { config, notice } = onlyNotice(`?${OTHERS}&init=orthogonal&gain=abc`);
    expect(config.init).toEqual({ scheme: "orthogonal", gain: 1 });
    expectOthersKept(config);
    expect(notice).toBe('ignored gain="abc": init.gain must be 0 or a number in [1e-20, 1000000]; using gain=1');
  });

  it("refuses init parameters out of range, with the scheme's default", () => {
    const cases: [string, InitConfig][] = [
      ["init=identity&scale=1e7", { scheme: "identity", scale: 1 }],
      ["init=identity&scale=1e-21", { scheme: "identity", scale: 1 }],
      ["init=gaussian&sigma=-1", { scheme: "gaussian", sigma: 1 }],
      ["gain=-2", { scheme: "xavier_normal", gain: 1 }],
      ["init=he_uniform&gain=Infinity", { scheme: "he_uniform", gain: 1 }],
    ];
    for (const [search, init] of cases) {
      const { config, notice } = onlyNotice(`?${OTHERS}&${search}`);
      expect(config.init, search).toEqual(init);
      expectOthersKept(config);
      expect(notice).toMatch(/^ignored (scale|sigma|gain)=".*": init\.\w+ must be .*; using \w+=1$/);
    }
  });

  it("refuses a parameter that belongs to another scheme", () => {
    const { config, notice } = onlyNotice(`?${OTHERS}&init=he_normal&scale=2`);
    expect(config.init).toEqual({ scheme: "he_normal", gain: 1 });
    expectOthersKept(config);
    expect(notice).toBe('ignored scale="2": it applies only to init=identity, and init is he_normal');
    const sigmaWithDefault = onlyNotice("?sigma=2");
    expect(sigmaWithDefault.config).toEqual(DEFAULT_CONFIG);
    expect(sigmaWithDefault.notice).toBe(
      'ignored sigma="2": it applies only to init=gaussian, init=normal, and init is xavier_normal',
    );
    const gainWithIdentity = onlyNotice("?init=identity&gain=2");
    expect(gainWithIdentity.notice).toMatch(/^ignored gain="2": it applies only to init=xavier_normal, .*orthogonal, /);
  });

  it("refuses a scheme parameter whose scheme was refused, keeping the default scheme", () => {
    const { config, notices } = searchToConfig("?init=bogus&scale=2");
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/^ignored init="bogus": init\.scheme must be one of .*; using init=xavier_normal$/);
  });

  it("reads a repeated key from its last occurrence, with a notice", () => {
    const twice = onlyNotice(`?${OTHERS}&depth=10&depth=20`);
    expect(twice.config.depth).toBe(20);
    expectOthersKept(twice.config);
    expect(twice.notice).toBe('depth was given 2 times; read the last, "20"');
    const { config, notices } = searchToConfig("?depth=10&depth=abc");
    expect(config.depth).toBe(DEFAULT_CONFIG.depth);
    expect(notices).toEqual([
      'depth was given 2 times; read the last, "abc"',
      'ignored depth="abc": depth must be an integer in 1..4096; using depth=50',
    ]);
  });

  it("cuts 10 kB values and keys to a short, quoted, one-line notice", () => {
    const long = `<script>${"x".repeat(10_000)}\n</script>`;
    const value = onlyNotice(`?${OTHERS}&input=${encodeURIComponent(long)}`);
    expectOthersKept(value.config);
    expect(value.config.input).toBe(DEFAULT_CONFIG.input);
    expect(value.notice.startsWith(`ignored input="<script>${"x".repeat(NOTICE_VALUE_CHARS - 9)}…": `)).toBe(true);
    expect(value.notice.length).toBeLessThan(200);
    const key = onlyNotice(`?${OTHERS}&${"k".repeat(10_000)}=1`);
    expectOthersKept(key.config);
    expect(key.notice.length).toBeLessThan(250);
    const digits = onlyNotice(`?${OTHERS}&depth=${"9".repeat(10_000)}`);
    expect(digits.config.depth).toBe(DEFAULT_CONFIG.depth);
  });

  it("quotes values as plain text: control and direction characters escaped", () => {
    expect(quoteValue('a"b\nc')).toBe('"a\\"b\\nc"');
    expect(quoteValue("evil\u202egnp.exe")).toBe('"evil\\u202egnp.exe"');
    expect(quoteValue("x".repeat(100))).toBe(`"${"x".repeat(NOTICE_VALUE_CHARS - 1)}…"`);
  });

  it("lists at most MAX_NOTICES notices and counts the rest", () => {
    const search = Array.from({ length: 100 }, (_, i) => `junk${i}=1`).join("&");
    const { config, notices } = searchToConfig(search);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(notices).toHaveLength(MAX_NOTICES + 1);
    expect(notices.at(-1)).toBe(`… and ${100 - MAX_NOTICES} more notices`);
  });

  it("never throws on random text, and always returns a valid config", () => {
    const seed = (Date.now() ^ (Math.random() * 2 ** 32)) >>> 0;
    const random = mulberry32(seed);
    const alphabet = ["depth", "init", "scale", "gain", "act", "=", "&", "?", "%", "%zz", "%E0%A4%A", "1", "e", "-"];
    for (let i = 0; i < 500; i++) {
      const length = Math.floor(random() * 20);
      const search = Array.from({ length }, () => {
        const r = random();
        return r < 0.8
          ? (alphabet[Math.floor(random() * alphabet.length)] as string)
          : String.fromCharCode(Math.floor(random() * 0xffff));
      }).join("");
      const { config, notices } = searchToConfig(search);
      expect(validateConfig(config), `seed ${seed}: ${search}`).toEqual(config);
      for (const notice of notices) expect(notice).not.toMatch(/[\n\r]/);
    }
  });

  it("parses only decimals as numbers", () => {
    expect(parseDecimal("1.5")).toBe(1.5);
    expect(parseDecimal("-1e-20")).toBe(-1e-20);
    expect(parseDecimal(".5")).toBe(0.5);
    expect(parseDecimal("1e 21")).toBe(1e21);
    for (const text of ["", " ", "0x1f", "0b1", "Infinity", "NaN", "1,5", "1e", "e5", "--1"]) {
      expect(parseDecimal(text)).toBe(text);
    }
  });
});

describe("searchToConfig: refusals, for a caller that stops there", () => {
  it("lists each value the config does not carry, and not a parameter read from its last occurrence", () => {
    const { refusals, notices } = searchToConfig("?depth=0&sigma=2&colour=red&width=3&width=4");
    expect(refusals).toEqual([
      { key: "depth", text: "0", reason: "depth must be an integer in 1..4096" },
      { key: "sigma", text: "2", reason: "it applies only to init=gaussian, init=normal, and init is xavier_normal" },
      { key: "colour", text: "red", reason: expect.stringMatching(/^unknown parameter \(parameters: depth, /) },
    ]);
    expect(notices).toHaveLength(4);
  });
});
