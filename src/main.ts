/** The page's entry: installs `window.gradscope` (SPEC.md, "Automation") and a minimal demo. */
import { type RunOptions, run } from "./api";
import { lectureConfig } from "./core/presets";
import type { RunResult } from "./core/result";
import { acquireGpu } from "./gpu/device";

export interface GradscopeApi {
  run: (config?: unknown, options?: RunOptions) => Promise<RunResult>;
}

declare global {
  interface Window {
    gradscope: GradscopeApi;
  }
}

window.gradscope = { run };

const status = document.querySelector<HTMLElement>("#status");
const button = document.querySelector<HTMLButtonElement>("#lecture");
const output = document.querySelector<HTMLElement>("#output");

const LECTURE = lectureConfig(1.5);

async function showAdapter(): Promise<"webgpu" | "cpu"> {
  try {
    const gpu = await acquireGpu();
    if (status) status.textContent = `WebGPU ready: ${gpu.adapterName}.`;
    return "webgpu";
  } catch (error) {
    if (status) status.textContent = `WebGPU unavailable (${(error as Error).message}); runs use the CPU reference.`;
    return "cpu";
  }
}

showAdapter().then((backend) => {
  if (!button || !output) return;
  button.disabled = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const result = await run(LECTURE, { backend });
      const rms = result.log10ActRms;
      output.textContent = [
        `backend ${result.backend}, ${result.timingMs.wall.toFixed(0)} ms`,
        `log10 RMS of a_l: l=0 ${rms[0]?.toFixed(3)}, l=100 ${rms[100]?.toFixed(3)}, l=218 ${rms[218]?.toFixed(3)}`,
        `first non-finite activation: layer ${result.firstNonFinite.forward}`,
      ].join("\n");
    } catch (error) {
      output.textContent = String(error);
    } finally {
      button.disabled = false;
    }
  });
});
