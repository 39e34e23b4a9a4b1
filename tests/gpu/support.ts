/** Helpers of the GPU tests: a device or a clear stop when WebGPU is missing, and one-shot kernels. */
import { acquireGpu, type GpuContext, runOneShot } from "../../src/gpu/device";

/** The shared GPU context; fails the test with a clear message when this browser has no WebGPU. */
export async function requireGpu(): Promise<GpuContext> {
  if (!navigator.gpu) throw new Error("navigator.gpu is missing: launch Chromium with --enable-unsafe-webgpu");
  return acquireGpu();
}

/** Runs `main` of a one-binding, 64-invocation compute shader over `invocations` and returns its output words. */
export function runKernel(device: GPUDevice, code: string, words: number, invocations: number): Promise<ArrayBuffer> {
  return runOneShot(device, code, { bytes: 4 * words, workgroups: Math.ceil(invocations / 64) });
}
