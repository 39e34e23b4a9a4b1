/**
 * The WebGPU adapter and device: requested once with the adapter's maxima for the limits a run
 * needs, probed once for how its float32 arithmetic treats subnormals, and forgotten when lost so
 * the next run gets a fresh one; a run whose device is lost is run once more on a fresh one
 * (withGpu). Every buffer goes through a BufferSet, so a run can free all it made and the tests can
 * check that nothing is left behind.
 */
import type { RunConfig } from "../core/config";
import type { Subnormals } from "../core/result";
import type { AdapterLimits } from "./plan";

export interface GpuContext {
  device: GPUDevice;
  adapterName: string;
  limits: AdapterLimits;
  timestamps: boolean;
  subnormals: Subnormals;
}

/** WebGPU is missing or gave no adapter or device. */
export class GpuUnavailableError extends Error {
  override name = "GpuUnavailableError";
}

/** A run's GPU device was lost (destroyed, or reset by the driver), and so was the fresh one it was run on again. */
export class GpuDeviceLostError extends Error {
  override name = "GpuDeviceLostError";
}

const REQUESTED_LIMITS = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupsPerDimension",
  "maxDynamicStorageBuffersPerPipelineLayout",
] as const;

/** Devices known to be lost: at once when destroyed through loseGpuDevice, else once `device.lost` settles. */
const lostDevices = new WeakSet<GPUDevice>();
/** The shared context being created or in use, and its device once it has come. */
interface SharedContext {
  context: Promise<GpuContext>;
  device: GPUDevice | null;
}
let shared: SharedContext | null = null;

/** The shared GPU context, created on first use and again after a device loss. */
export function acquireGpu(): Promise<GpuContext> {
  if (shared?.device && lostDevices.has(shared.device)) shared = null;
  if (!shared) {
    const entry: SharedContext = { context: createContext(), device: null };
    shared = entry;
    entry.context.then(
      (context) => {
        entry.device = context.device;
      },
      () => {
        if (shared === entry) shared = null;
      },
    );
  }
  return shared.context;
}

/**
 * Destroys the shared device, as a driver reset would, and marks it lost at once, so that a run
 * started right after gets a fresh one (`device.lost` settles only later).
 */
export async function loseGpuDevice(): Promise<void> {
  const { device } = await acquireGpu();
  lostDevices.add(device);
  device.destroy();
}

/**
 * Runs `run` on the shared GPU context, and once more on a fresh one if it failed because its
 * device was lost; rejects with a GpuDeviceLostError if that device is lost too, and with the
 * signal's reason, without a retry, once the caller has aborted.
 */
export async function withGpu<T>(run: (gpu: GpuContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const gpu = await acquireGpu();
    try {
      return await run(gpu);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!(await wasLost(gpu.device))) throw error;
      if (attempt === 2) {
        throw new GpuDeviceLostError(
          `the GPU device was lost during the run, and again when it was run on a fresh device (${(error as Error).message})`,
          { cause: error },
        );
      }
    }
  }
}

/** Whether the device is lost, giving `device.lost` one task to settle after a failure it caused. */
export async function wasLost(device: GPUDevice): Promise<boolean> {
  if (lostDevices.has(device)) return true;
  await new Promise((resolve) => setTimeout(resolve, 0));
  return lostDevices.has(device);
}

async function createContext(): Promise<GpuContext> {
  const gpu = typeof navigator === "undefined" ? undefined : navigator.gpu;
  if (!gpu) throw new GpuUnavailableError("WebGPU is not available here (navigator.gpu is missing)");
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new GpuUnavailableError("WebGPU found no adapter");
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const timestamps = adapter.features.has("timestamp-query");
  const device = await adapter.requestDevice({
    requiredLimits,
    requiredFeatures: timestamps ? ["timestamp-query"] : [],
  });
  device.lost.then(() => lostDevices.add(device));
  return {
    device,
    adapterName: describeAdapter(adapter.info),
    limits: {
      maxBufferSize: device.limits.maxBufferSize,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      minStorageBufferOffsetAlignment: device.limits.minStorageBufferOffsetAlignment,
    },
    timestamps,
    subnormals: await probeSubnormals(device),
  };
}

function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((part) => part);
  return parts.length > 0 ? parts.join(" ") : "unknown adapter";
}

/**
 * How a run in these numerics treats its format's subnormals on a device that treats float32's so:
 * float16's (2⁻²⁴..2⁻¹⁴) are normal float32 numbers (shaders/format.wgsl), kept on every device;
 * bfloat16's, like float32's, are float32 subnormals.
 */
export function runSubnormals(numerics: RunConfig["numerics"], device: Subnormals): Subnormals {
  return numerics === "float16" ? "kept" : device;
}

/** Whether 2⁻¹²⁶ · ½ computed on this device is 2⁻¹²⁷ (kept) or 0 (flushed). */
async function probeSubnormals(device: GPUDevice): Promise<Subnormals> {
  const code = `
    @group(0) @binding(0) var<storage, read_write> values: array<f32, 2>;
    @compute @workgroup_size(1) fn main() { values[1] = values[0] * 0.5; }`;
  const output = await runOneShot(device, code, { input: new Float32Array([2 ** -126, 1]), workgroups: 1 });
  return new Float32Array(output)[1] === 0 ? "flushed" : "kept";
}

/**
 * Runs `main` of a shader whose only binding is one storage buffer (group 0, binding 0), filled
 * from `input` or zeros of `bytes`, over `workgroups` workgroups, and returns the buffer's contents.
 */
export async function runOneShot(
  device: GPUDevice,
  code: string,
  options: { input?: ArrayBufferView<ArrayBuffer>; bytes?: number; workgroups: number },
): Promise<ArrayBuffer> {
  const bytes = options.input?.byteLength ?? options.bytes ?? 4;
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
  const buffers = new BufferSet(device);
  try {
    const { STORAGE, COPY_SRC, COPY_DST, MAP_READ } = GPUBufferUsage;
    const storage = buffers.create("one-shot storage", bytes, STORAGE | COPY_SRC | COPY_DST);
    const readback = buffers.create("one-shot readback", bytes, MAP_READ | COPY_DST);
    if (options.input) device.queue.writeBuffer(storage, 0, options.input);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    const entries = [{ binding: 0, resource: { buffer: storage } }];
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
    pass.dispatchWorkgroups(options.workgroups);
    pass.end();
    encoder.copyBufferToBuffer(storage, 0, readback, 0, storage.size);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    return readback.getMappedRange().slice(0, bytes);
  } finally {
    buffers.destroyAll();
  }
}

const liveBytes = new WeakMap<GPUDevice, number>();

/** Bytes of buffers made through BufferSets on this device and not yet destroyed. */
export function liveBufferBytes(device: GPUDevice): number {
  return liveBytes.get(device) ?? 0;
}

/** The buffers of one run: made together, destroyed together. */
export class BufferSet {
  private readonly buffers: GPUBuffer[] = [];

  constructor(private readonly device: GPUDevice) {}

  create(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const buffer = this.device.createBuffer({ label, size: Math.max(4, Math.ceil(size / 4) * 4), usage });
    this.buffers.push(buffer);
    liveBytes.set(this.device, liveBufferBytes(this.device) + buffer.size);
    return buffer;
  }

  destroyAll(): void {
    for (const buffer of this.buffers) {
      liveBytes.set(this.device, liveBufferBytes(this.device) - buffer.size);
      buffer.destroy();
    }
    this.buffers.length = 0;
  }
}
