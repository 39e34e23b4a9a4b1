/**
 * The source's import graph has no cycles (docs/architecture.md: the run encoder and the step
 * builders, and every other pair, import in one direction only). Type-only imports count too: a
 * cycle of types is still a knot a reader has to untie.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { expect, test } from "vitest";

const SRC = resolve(__dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The .ts files a module imports from src (relative specifiers only). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:import|export)[^"';]*?from\s+"(\.[^"]+)"/g)].map((m) => m[1] as string);
  return specifiers
    .filter((s) => !s.includes("?"))
    .map((s) => resolve(dirname(file), s))
    .map((path) => (path.endsWith(".ts") ? path : `${path}.ts`))
    .filter((path) => path.startsWith(SRC));
}

test("no module in src imports itself back through others", () => {
  const graph = new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)]));
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => f.slice(SRC.length + 1)).join(" → "));
      return;
    }
    state.set(file, "open");
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  expect(graph.size).toBeGreaterThan(40);
  expect(cycles).toEqual([]);
});
