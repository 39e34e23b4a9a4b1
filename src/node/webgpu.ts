/**
 * WebGPU in Node, through Dawn (the npm package `webgpu`): installs `navigator.gpu` and the
 * GPUBufferUsage-style globals the engine uses, so the same engine runs outside a browser.
 */
import { create, globals } from "webgpu";

/** Installs Dawn's WebGPU as `navigator.gpu`; Dawn options like "adapter=SwiftShader" pass through. */
export function installNodeWebGpu(dawnOptions: string[] = []): void {
  Object.assign(globalThis, globals);
  const gpu = create(dawnOptions);
  Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
}
