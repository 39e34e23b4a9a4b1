/** Helpers of the GPU tests: a device or a clear stop when WebGPU is missing, and one-shot kernels. */
import { acquireGpu, type GpuContext } from "../../src/gpu/device";

/** The shared GPU context; fails the test with a clear message when this browser has no WebGPU. */
export async function requireGpu(): Promise<GpuContext> {
  if (!navigator.gpu) throw new Error("navigator.gpu is missing: launch Chromium with --enable-unsafe-webgpu");
  return acquireGpu();
}

/** Runs `main` of a one-binding compute shader over `invocations` and returns its output words. */
export async function runKernel(
  device: GPUDevice,
  code: string,
  words: number,
  invocations: number,
): Promise<ArrayBuffer> {
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
  const output = device.createBuffer({ size: 4 * words, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ size: 4 * words, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: output } }],
      }),
    );
    pass.dispatchWorkgroups(Math.ceil(invocations / 64));
    pass.end();
    encoder.copyBufferToBuffer(output, 0, readback, 0, 4 * words);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    return readback.getMappedRange().slice(0);
  } finally {
    output.destroy();
    readback.destroy();
  }
}
