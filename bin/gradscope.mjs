#!/usr/bin/env node
// The gradscope CLI. Runs the engine built by `npm run build:node` (dist-node/cli.js) under Node,
// on the machine's GPU through Dawn; GRADSCOPE_GPU=swiftshader uses Chromium's SwiftShader instead.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist-node", "cli.js");
if (!existsSync(cli)) {
  console.error("gradscope: dist-node/cli.js is missing; run `npm run build:node` first");
  process.exit(2);
}
const icd = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (process.env.GRADSCOPE_GPU === "swiftshader" && !process.env.GRADSCOPE_CHILD) {
  if (!existsSync(icd)) {
    console.error(`gradscope: SwiftShader not found at ${icd}; install Debian's chromium (apt-get install chromium)`);
    process.exit(2);
  }
  // Dawn loads libvulkan when it starts, so the loader's path must be set before Node does.
  const env = {
    ...process.env,
    GRADSCOPE_CHILD: "1",
    VK_ICD_FILENAMES: icd,
    LD_LIBRARY_PATH: ["/usr/lib/chromium", process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
  };
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { env, stdio: "inherit" });
  process.exit(child.status ?? 1);
}
const { main } = await import(cli);
process.exit(await main(process.argv.slice(2)));
