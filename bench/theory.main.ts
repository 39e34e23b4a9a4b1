/**
 * `npm run bench -- --theory` (and the end of `npm run bench`): the CPU time of result.theory
 * (theoryFor, src/core/theory-models.ts) at depth 4096 for each model and activation, in Node, the
 * median of 25 calls after 5 warm-up calls. The target (issue 13): under 5 ms each. Prints a Markdown
 * table and writes bench/results/<date>-theory.json; asserts nothing about time.
 */
import { test } from "vitest";
import { type PartialConfig, validateConfig } from "../src/core/config";
import { median } from "../src/core/sweep";
import { theoryFor } from "../src/core/theory-models";
import { writeRecord } from "./report";

const WARM_UP = 5;
const TIMED = 25;

/** One config per model and activation, at SPEC's largest depth, across the phases. */
const THEORY_SWEEP: { name: string; config: PartialConfig }[] = [
  {
    name: "tanh, σ_w 1.3, σ_b 0.1 (chaotic)",
    config: { activation: "tanh", init: { scheme: "gaussian", sigma: 1.3 }, biasSigma: 0.1 },
  },
  { name: "tanh, σ_w 0.9 (ordered, q* = 0)", config: { activation: "tanh", init: { scheme: "gaussian", sigma: 0.9 } } },
  { name: "tanh, σ_w 1 (critical, q* = 0)", config: { activation: "tanh", init: { scheme: "gaussian", sigma: 1 } } },
  {
    name: "sigmoid, σ_w 4, σ_b 0.5",
    config: { activation: "sigmoid", init: { scheme: "gaussian", sigma: 4 }, biasSigma: 0.5 },
  },
  { name: "relu, He", config: { activation: "relu", init: { scheme: "he_normal", gain: 1 } } },
  {
    name: "tanh residual α 0.1",
    config: { activation: "tanh", init: { scheme: "gaussian", sigma: 1.5 }, residual: 0.1 },
  },
  { name: "tanh, 0.99·I (exact)", config: { activation: "tanh", init: { scheme: "identity", scale: 0.99 } } },
  { name: "tanh, 0.999·I (exact)", config: { activation: "tanh", init: { scheme: "identity", scale: 0.999 } } },
  { name: "sigmoid, 4·I (exact)", config: { activation: "sigmoid", init: { scheme: "identity", scale: 4 } } },
  { name: "linear, 1.5·I (exact)", config: { activation: "linear", init: { scheme: "identity", scale: 1.5 } } },
  {
    name: "tanh, batch norm, B 64",
    config: { activation: "tanh", init: { scheme: "xavier_normal", gain: 1 }, norm: "batch", batch: 64 },
  },
];

/** Batch norm's expectations are cached per activation and batch size: a new B each call times the first call. */
const FRESH_BATCH = {
  name: "tanh, batch norm, a new B each call",
  config: { activation: "tanh", norm: "batch" },
} as const;

test("theory at depth 4096", () => {
  const time = (name: string, config: (call: number) => PartialConfig) => {
    const runAt = (call: number) => validateConfig({ depth: 4096, width: 64, ...config(call) });
    for (let i = 0; i < WARM_UP; i++) theoryFor(runAt(i), 0);
    const times: number[] = [];
    for (let i = WARM_UP; i < WARM_UP + TIMED; i++) {
      const run = runAt(i);
      const started = performance.now();
      theoryFor(run, 0);
      times.push(performance.now() - started);
    }
    const model = theoryFor(runAt(0), 0)?.model ?? null;
    return { name, model, medianMs: median(times), maxMs: Math.max(...times) };
  };
  const rows = [
    ...THEORY_SWEEP.map(({ name, config }) => time(name, () => config)),
    time(FRESH_BATCH.name, (call) => ({ ...FRESH_BATCH.config, batch: 100 + call })),
  ];
  const table = [
    "| depth 4096 | model | median ms | max ms |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.name} | ${r.model} | ${r.medianMs.toFixed(2)} | ${r.maxMs.toFixed(2)} |`),
  ].join("\n");
  console.log(`\n${table}\n`);
  const date = new Date().toISOString().slice(0, 10);
  writeRecord(`bench/results/${date}-theory`, { date: new Date().toISOString(), node: process.version, rows });
});
