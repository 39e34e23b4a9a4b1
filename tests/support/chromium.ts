/** Finds a system Chromium or Chrome for the browser tests; never downloads one. */
import { existsSync } from "node:fs";

const CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
];

/** Path of the browser to launch: $CHROMIUM_PATH if set, else the first system install found. */
export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return found;
  throw new Error(
    "No Chromium or Chrome found for the browser tests. Install one " +
      "(Debian/Ubuntu: `sudo apt-get install -y chromium`; macOS: install Google Chrome) " +
      "or point CHROMIUM_PATH at its executable. `npx playwright install` is not needed.",
  );
}

/**
 * Command-line flags for headless WebGPU. By default the adapter is SwiftShader (Chromium's CPU
 * Vulkan), which works on any machine; GRADSCOPE_GPU=hardware lets Chromium pick the real GPU.
 */
export function chromiumArgs(): string[] {
  const args = [
    "--no-sandbox",
    "--enable-unsafe-webgpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
  if (process.env.GRADSCOPE_GPU === "hardware") {
    args.push("--enable-features=Vulkan", "--use-angle=vulkan");
  } else {
    args.push("--use-webgpu-adapter=swiftshader");
  }
  return args;
}
