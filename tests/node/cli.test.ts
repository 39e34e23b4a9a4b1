/**
 * The engine in Node through Dawn (`npx gradscope run ...`): the same results as in the browser,
 * on SwiftShader here (GRADSCOPE_GPU=swiftshader), and clear refusals of bad options.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { validateConfig } from "../../src/core/config";
import { runReference } from "../../src/core/reference";
import type { RunResult } from "../../src/core/result";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";

/** Runs the CLI (with SwiftShader unless `gpu` is "none") and returns its exit code, stdout and stderr. */
function gradscope(args: string[], gpu: "swiftshader" | "none" = "swiftshader") {
  if (!existsSync("dist-node/cli.js")) throw new Error("dist-node/cli.js is missing: run `npm run build:node`");
  const env = { ...process.env, GRADSCOPE_GPU: gpu === "none" ? "" : gpu };
  const child = spawnSync(process.execPath, ["bin/gradscope.mjs", ...args], {
    env,
    encoding: "utf8",
    timeout: 100_000,
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe.skipIf(!existsSync(SWIFTSHADER))("gradscope run in Node", () => {
  test("the lecture's 1.5·I overflows float32 at layer 219 on Dawn's WebGPU", () => {
    const args = ["run", "--depth", "300", "--width", "2", "--batch", "1", "--act", "linear", "--init", "identity"];
    const { status, stdout, stderr } = gradscope([...args, "--scale", "1.5", "--input", "ones", "--target", "zeros"]);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const result = JSON.parse(stdout) as RunResult;
    expect(result.backend).toBe("webgpu");
    expect(result.firstNonFinite.forward).toBe(219);
    expect(result.log10ActRms[200]).toBeCloseTo(200 * Math.log10(1.5), 4);
  });

  test("--numerics float16 and bfloat16: the lecture's markers on Dawn's WebGPU are the reference's", () => {
    const args = ["run", "--depth", "300", "--width", "2", "--batch", "1", "--act", "linear", "--init", "identity"];
    for (const numerics of ["float16", "bfloat16"]) {
      for (const scale of ["1.5", "0.5"]) {
        const flags = [...args, "--scale", scale, "--input", "ones", "--target", "zeros", "--numerics", numerics];
        const { status, stdout } = gradscope(flags);
        expect(status).toBe(0);
        const gpu = JSON.parse(stdout) as RunResult;
        expect(gpu.config.numerics).toBe(numerics);
        const cpu = runReference(gpu.config, { subnormals: gpu.subnormals });
        expect(gpu.firstNonFinite, `${numerics} ${scale}·I`).toEqual(cpu.firstNonFinite);
        expect(gpu.firstAllZero, `${numerics} ${scale}·I`).toEqual(cpu.firstAllZero);
      }
    }
  });

  test("a layered run agrees with the float64 reference", () => {
    const flags = {
      depth: "40",
      width: "33",
      batch: "20",
      act: "tanh",
      init: "he_normal",
      gain: "0.9",
      bias: "0.1",
      seed: "7",
    };
    const { status, stdout } = gradscope(["run", ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])]);
    expect(status).toBe(0);
    const gpu = JSON.parse(stdout) as RunResult;
    const config = validateConfig({
      depth: 40,
      width: 33,
      batch: 20,
      activation: "tanh",
      init: { scheme: "he_normal", gain: 0.9 },
      biasSigma: 0.1,
      seed: 7,
    });
    expect(gpu.config).toEqual(config);
    const cpu = runReference(config, { subnormals: gpu.subnormals });
    // A contracting 40-layer tanh chain: float32 rounding moves each statistic by under 1e-5 in log10.
    for (const series of ["log10ActRms", "log10GradRms", "log10WeightGradNorm"] as const) {
      cpu[series].forEach((want, l) => {
        if (want === null) expect(gpu[series][l]).toBeNull();
        else expect(Math.abs((gpu[series][l] as number) - want)).toBeLessThan(1e-4);
      });
    }
  });

  test("--histograms prints result.histograms, the same on Dawn's WebGPU as on the CPU for the lecture's 0.5·I", () => {
    const args = ["run", "--depth", "160", "--width", "2", "--batch", "1", "--act", "linear", "--init", "identity"];
    const lecture = [...args, "--scale", "0.5", "--input", "ones", "--target", "zeros", "--histograms"];
    const gpu = gradscope(lecture);
    expect(gpu.status).toBe(0);
    const result = JSON.parse(gpu.stdout) as RunResult;
    expect(result.histograms?.act[150]).toEqual({ minExponent: null, counts: [], zeros: 2, nonFinite: 0 });
    const cpu = gradscope([...lecture, "--backend", "cpu"], "none");
    expect(cpu.status).toBe(0);
    const reference = JSON.parse(cpu.stdout) as RunResult;
    if (result.subnormals === "kept") expect(result.histograms).toEqual(reference.histograms);
    expect(result.histograms?.act.slice(0, 127)).toEqual(reference.histograms?.act.slice(0, 127));
    const plain = gradscope([...args.slice(0, 3), "--backend", "cpu"], "none");
    expect(JSON.parse(plain.stdout).histograms).toBeUndefined();
    const training = gradscope(["run", "--depth", "3", "--steps", "5", "--histograms", "--backend", "cpu"], "none");
    expect(training.status).toBe(1);
    expect(training.stderr).toContain("histograms must be absent or false with train");
  });

  test("bad options are refused, naming the option", () => {
    const zero = gradscope(["run", "--depth", "0", "--backend", "cpu"]);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain("depth must be an integer in 1..4096");
    const unknown = gradscope(["run", "--colour", "red"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option --colour");
    const backend = gradscope(["run", "--backend", "tpu"]);
    expect(backend.status).toBe(2);
    expect(backend.stderr).toContain("--backend must be webgpu or cpu");
  });
});

describe("gradscope without a GPU", () => {
  test("run --backend cpu prints the reference's result and exits 0, loading nothing of WebGPU", () => {
    const { status, stdout, stderr } = gradscope(["run", "--backend", "cpu", "--depth", "5"], "none");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const result = JSON.parse(stdout) as RunResult;
    expect(result.backend).toBe("cpu");
    expect(result.config).toEqual(validateConfig({ depth: 5 }));
    expect(result.log10ActRms).toHaveLength(6);
  });

  test("--steps and --lr train, on Dawn's WebGPU and on the CPU, to the same loss curve", () => {
    const flags = ["run", "--depth", "6", "--width", "5", "--batch", "3", "--target", "teacher"];
    const training = ["--steps", "20", "--opt", "momentum", "--lr", "0.02", "--record", "10"];
    const runs = (["webgpu", "cpu"] as const).map((backend) => {
      const { status, stdout, stderr } = gradscope([...flags, ...training, "--backend", backend]);
      expect(stderr).toBe("");
      expect(status).toBe(0);
      return JSON.parse(stdout) as RunResult;
    });
    const [gpu, cpu] = runs as [RunResult, RunResult];
    expect(gpu.config.train).toMatchObject({ steps: 20, optimizer: "momentum", learningRate: 0.02, record: 10 });
    expect(gpu.training?.records.map((r) => r.step)).toEqual([0, 10, 20]);
    expect(gpu.training?.loss[20] as number).toBeLessThan(gpu.training?.loss[0] as number);
    // float32 against float64 over 20 steps of a well-conditioned run (tests/gpu/training.test.ts).
    gpu.training?.loss.forEach((loss, t) => {
      expect(Math.abs(Math.log10(loss as number) - Math.log10(cpu.training?.loss[t] as number))).toBeLessThan(1e-3);
    });
  });

  test.each(["run --help", "run -h", "help", "--help", "-h"])("gradscope %s prints the usage and exits 0", (line) => {
    const { status, stdout } = gradscope(line.split(" "), "none");
    expect(status).toBe(0);
    expect(stdout).toMatch(/^usage: gradscope run \[--backend webgpu\|cpu\]/);
  });

  test("--version prints the package's version and exits 0", () => {
    const { status, stdout } = gradscope(["--version"], "none");
    expect(status).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("a refused flag exits 2 without claiming a value it would use; a repeated one is a note, and it runs", () => {
    const zero = gradscope(["run", "--backend", "cpu", "--depth", "0"], "none");
    expect(zero.status).toBe(2);
    expect(zero.stderr).toBe('gradscope: --depth "0" refused: depth must be an integer in 1..4096\n');
    const twice = gradscope(["run", "--backend", "cpu", "--depth", "3", "--depth", "4", "--width", "3"], "none");
    expect(twice.stderr).toBe('gradscope: note: depth was given 2 times; read the last, "4"\n');
    expect(twice.status).toBe(0);
    expect((JSON.parse(twice.stdout) as RunResult).config.depth).toBe(4);
  });
});
