/** Serves the built page (dist/) with Vite's preview server and opens it in the system Chromium. */
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright";
import { build, type PreviewServer, preview } from "vite";
import { chromiumArgs, findChromium } from "./chromium.ts";

export interface OpenPage {
  page: Page;
  url: string;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
  close: () => Promise<void>;
}

export interface OpenOptions {
  /** Remove navigator.gpu and WebGPU's globals before the page's scripts run, as in a browser without WebGPU. */
  withoutWebGpu?: boolean;
  viewport?: { width: number; height: number };
  colorScheme?: "light" | "dark";
  /** CSS pixels to device pixels (window.devicePixelRatio); default 1. */
  deviceScaleFactor?: number;
}

/** Builds the page if dist/ is missing, serves it on a free loopback port and opens it. */
export async function openBuiltPage(path = "/", options: OpenOptions = {}): Promise<OpenPage> {
  if (!existsSync("dist/index.html")) await build({ logLevel: "warn" });
  const server: PreviewServer = await preview({
    preview: { host: "127.0.0.1", port: 0, strictPort: false },
    logLevel: "warn",
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error("the preview server reported no address");
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true });
    // A page in its own context (axe-core's Playwright builder needs one).
    const context = await browser.newContext({
      viewport: options.viewport ?? { width: 1280, height: 900 },
      colorScheme: options.colorScheme ?? "light",
      deviceScaleFactor: options.deviceScaleFactor ?? 1,
    });
    const page = await context.newPage();
    if (options.withoutWebGpu) {
      await page.addInitScript(() => {
        delete (Navigator.prototype as { gpu?: unknown }).gpu;
        // Such a browser has none of WebGPU's interfaces either: the page must load without them.
        for (const name of Object.getOwnPropertyNames(globalThis).filter((key) => key.startsWith("GPU"))) {
          delete (globalThis as Record<string, unknown>)[name];
        }
      });
    }
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(new URL(path, url).href);
    await page.waitForFunction(() => typeof window.gradscope?.run === "function");
    const opened = browser;
    return {
      page,
      url,
      errors,
      close: async () => {
        await opened.close();
        await server.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await server.close();
    throw error;
  }
}
