import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";
import { chromiumArgs, findChromium } from "./tests/support/chromium.ts";

/** One config for the lab (Vite) and the tests: core in Node, GPU and page in Chromium. */
export default defineConfig(({ isSsrBuild }) => ({
  build: { target: "es2022" },
  // The Node build (`npm run build:node`) bundles the tfjs peer of `gradscope bench`: tfjs' ES
  // modules import without file extensions, which Node alone cannot load.
  ...(isSsrBuild ? { ssr: { noExternal: [/^@tensorflow\//, "seedrandom"] } } : {}),
  test: {
    projects: [
      {
        extends: true,
        test: { name: "core", include: ["tests/core/**/*.test.ts"], environment: "node" },
      },
      {
        extends: true,
        test: {
          name: "page",
          include: ["tests/page/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: { name: "node", include: ["tests/node/**/*.test.ts"], environment: "node", testTimeout: 120_000 },
      },
      {
        extends: true,
        test: { name: "timings", include: ["bench/**/*.run.ts"], environment: "node", testTimeout: 900_000 },
      },
      {
        extends: true,
        test: { name: "bench", include: ["bench/sweep.main.ts"], environment: "node", testTimeout: 1_800_000 },
      },
      {
        extends: true,
        test: { name: "bench-train", include: ["bench/train.main.ts"], environment: "node", testTimeout: 1_800_000 },
      },
      {
        extends: true,
        test: { name: "bench-theory", include: ["bench/theory.main.ts"], environment: "node", testTimeout: 600_000 },
      },
      {
        extends: true,
        test: {
          name: "bench-histograms",
          include: ["bench/histograms.main.ts"],
          environment: "node",
          testTimeout: 1_800_000,
        },
      },
      {
        extends: true,
        test: {
          name: "bench-numerics",
          include: ["bench/numerics.main.ts"],
          environment: "node",
          testTimeout: 1_800_000,
        },
      },
      {
        extends: true,
        test: {
          name: "gpu",
          include: ["tests/gpu/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              // Only the tests need a browser: `npm install` (its Node build) and `npm run dev` load
              // this file too, and must work on a machine without Chromium.
              launchOptions: { executablePath: process.env.VITEST ? findChromium() : undefined, args: chromiumArgs() },
            }),
            instances: [{ browser: "chromium" }],
          },
        },
      },
    ],
  },
}));
