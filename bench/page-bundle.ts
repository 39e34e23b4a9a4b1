/** Builds the bench's in-page helpers (bench/page-entry.ts, tfjs and gradscope's GPU engine included) into one script. */
import { resolve } from "node:path";
import { build } from "vite";
import { openBuiltPage } from "../tests/support/page";

/** Path of the built script, for page.addScriptTag. */
export const PAGE_BUNDLE = "bench/.build/bench-page.js";

/** Bundles bench/page-entry.ts as a classic script into bench/.build/ (ignored by git and biome). */
export async function buildPageBundle(): Promise<string> {
  await build({
    configFile: false,
    logLevel: "warn",
    build: {
      target: "es2022",
      outDir: "bench/.build",
      emptyOutDir: true,
      minify: false,
      rollupOptions: {
        // The engine's orthogonal-init worker reads import.meta.url, which a classic script lacks;
        // the bench runs no orthogonal init, so the warning says nothing about what it times.
        onwarn(warning, warn) {
          if (warning.code !== "EMPTY_IMPORT_META") warn(warning);
        },
      },
      lib: {
        entry: resolve("bench/page-entry.ts"),
        formats: ["iife"],
        name: "gradscopeBenchBundle",
        fileName: () => "bench-page.js",
      },
    },
  });
  return PAGE_BUNDLE;
}

/**
 * The built page in the system Chromium with the bench's helpers added (window.gradscopeBench). With
 * `settle`, the lab's own first run and any tiling trial it queued finish first, so nothing they do is
 * timed. The caller closes it.
 */
export async function openBenchPage(settle: boolean): Promise<Awaited<ReturnType<typeof openBuiltPage>>> {
  const bundle = await buildPageBundle();
  const opened = await openBuiltPage();
  try {
    if (settle)
      await opened.page.evaluate(async () => {
        await window.gradscope.lab()?.whenIdle();
        await window.gradscope.settleTuning();
      });
    await opened.page.addScriptTag({ path: bundle });
    return opened;
  } catch (error) {
    await opened.close();
    throw error;
  }
}
