/**
 * `gradscope run --depth 300 --width 2 ... [--backend webgpu|cpu]`: runs one config and prints the
 * result JSON. Options are the lab's URL parameters (src/core/settings.ts) written as flags.
 * Nothing of WebGPU loads for `--backend cpu`.
 */
import { version } from "../../package.json";
import { configToSearch, type Refusal, SETTINGS, searchToConfig } from "../core/settings";
import { installNodeWebGpu } from "./webgpu";

const USAGE = `usage: gradscope run [--backend webgpu|cpu] [--histograms] ${SETTINGS.map((s) => `[--${s.key} V]`).join(" ")}
       gradscope bench [--full]
       gradscope help | --help | -h | --version
run prints SPEC.md's result as JSON (--histograms adds result.histograms); bench times the benchmark sweep on this machine's GPU.
Without a GPU, WebGPU can run on SwiftShader: see README.md.`;

const HELP = ["help", "--help", "-h"];

/**
 * Splits "--key value" pairs into URL parameters and the backend, and the flag --histograms (no
 * value); throws on anything else.
 */
export function parseArgs(args: string[]): { search: string; backend: "webgpu" | "cpu"; histograms: boolean } {
  const params = new URLSearchParams();
  let backend: "webgpu" | "cpu" = "webgpu";
  let histograms = false;
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i] as string;
    if (flag === "--histograms") {
      histograms = true;
      i--;
      continue;
    }
    const value = args[i + 1];
    if (!flag.startsWith("--") || value === undefined)
      throw new Error(`expected --name value, got ${JSON.stringify(flag)}`);
    const key = flag.slice(2);
    if (key === "backend") {
      if (value !== "webgpu" && value !== "cpu")
        throw new Error(`--backend must be webgpu or cpu, got ${JSON.stringify(value)}`);
      backend = value;
    } else if (SETTINGS.some((s) => s.key === key)) params.append(key, value);
    else
      throw new Error(
        `unknown option --${key} (options: --backend, --histograms, ${SETTINGS.map((s) => `--${s.key}`).join(", ")})`,
      );
  }
  return { search: `?${params}`, backend, histograms };
}

/** A refused flag as the CLI says it: the flag, its value, and why (nothing runs then). */
function refusalMessage({ key, text, reason }: Refusal): string {
  return `--${key} ${JSON.stringify(text)} refused: ${reason}`;
}

/** Runs the CLI; returns the exit code: 0 done, 1 the run failed, 2 a bad command or option. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--version") {
    console.log(version);
    return 0;
  }
  if (command === undefined || HELP.includes(command) || (command === "run" && rest.some((a) => HELP.includes(a)))) {
    console.log(USAGE);
    return 0;
  }
  if (command === "bench") {
    installNodeWebGpu();
    const { bench } = await import("./bench");
    return bench(rest);
  }
  if (command !== "run") {
    console.error(`gradscope: unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(rest);
  } catch (error) {
    console.error(`gradscope: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { config, notices, refusals } = searchToConfig(parsed.search);
  if (refusals.length > 0) {
    console.error(`gradscope: ${refusals.map(refusalMessage).join("\ngradscope: ")}`);
    return 2;
  }
  // What is left is informational (a flag given twice reads its last value): say it, and run.
  for (const notice of notices) console.error(`gradscope: note: ${notice}`);
  if (parsed.backend === "webgpu") installNodeWebGpu();
  try {
    // The engine reads the WebGPU globals as it runs: the API imports it only for the GPU backend.
    const { run } = await import("../api");
    const result = await run(config, { backend: parsed.backend, histograms: parsed.histograms });
    console.log(JSON.stringify(result));
    return 0;
  } catch (error) {
    console.error(`gradscope: ${(error as Error).message} (config ${configToSearch(config) || "defaults"})`);
    return 1;
  }
}
