#!/usr/bin/env node
// `npm run bench`: the sweep in the system Chromium (with the tfjs peer); `npm run bench -- --node`:
// the sweep on Dawn's WebGPU in Node (`gradscope bench`), for a machine with a GPU and no browser;
// `npm run bench -- --train`: training steps per second against tfjs' training loop (bench/train.main.ts);
// `npm run bench -- --theory`: result.theory's CPU time at depth 4096 (bench/theory.main.ts), also run after the sweep.
// `npm run bench -- --histograms`: GPU time with and without the run option histograms (bench/histograms.main.ts).
// `npm run bench -- --numerics`: float16 and bfloat16 passes against float32's (bench/numerics.main.ts).
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const run = (command, commandArgs) => {
  const child = spawnSync(command, commandArgs, { stdio: "inherit", shell: process.platform === "win32" });
  if (child.status !== 0) process.exit(child.status ?? 1);
};
if (args.includes("--node")) {
  run("npm", ["run", "build:node"]);
  run(process.execPath, ["bin/gradscope.mjs", "bench", ...args.filter((arg) => arg !== "--node")]);
} else if (args.includes("--train")) {
  run("npx", ["vite", "build"]);
  run("npx", ["vitest", "run", "--project", "bench-train"]);
} else if (args.includes("--theory")) {
  run("npx", ["vitest", "run", "--project", "bench-theory"]);
} else if (args.includes("--histograms")) {
  run("npx", ["vite", "build"]);
  run("npx", ["vitest", "run", "--project", "bench-histograms"]);
} else if (args.includes("--numerics")) {
  run("npx", ["vite", "build"]);
  run("npx", ["vitest", "run", "--project", "bench-numerics"]);
} else {
  run("npx", ["vite", "build"]);
  run("npx", ["vitest", "run", "--project", "bench"]);
  run("npx", ["vitest", "run", "--project", "bench-theory"]);
}
