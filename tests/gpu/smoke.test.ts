import { expect, test } from "vitest";

test("adapter", async () => {
  const adapter = await navigator.gpu.requestAdapter();
  expect(adapter).not.toBeNull();
  const device = await adapter!.requestDevice();
  console.log(
    JSON.stringify(adapter!.info),
    [...adapter!.features].join(","),
    adapter!.limits.maxStorageBufferBindingSize,
    adapter!.limits.maxBufferSize,
  );
  const code = `@group(0) @binding(0) var<storage, read_write> o: array<f32>;
  @compute @workgroup_size(1) fn main() { let t = o[0]; o[1] = t * 0.5; o[2] = t * t; let u = bitcast<f32>(1u); o[3] = u * 4.0; }`;
  const m = device.createShaderModule({ code });
  const p = device.createComputePipeline({ layout: "auto", compute: { module: m, entryPoint: "main" } });
  const buf = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buf, 0, new Float32Array([2 ** -126, 0, 0, 0]));
  const rb = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(p);
  pass.setBindGroup(
    0,
    device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] }),
  );
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(buf, 0, rb, 0, 16);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  console.log("subnormal probe", Array.from(new Float32Array(rb.getMappedRange())));
});
