/**
 * The adapter's measured arithmetic peak: GFLOP/s of independent vec4 multiply-add chains
 * (shaders/peak_fma.wgsl), timed with timestamp queries where the adapter has them, else wall clock;
 * and the same chains loading one vec4 operand per multiply-add, the ceiling where loads bound.
 */
import peakFmaWgsl from "../../shaders/peak_fma.wgsl?raw";
import { median } from "../core/sweep";

const WORKGROUP = 64;
const WORKGROUPS = 512;
const CHAINS = 8;
const UNROLL = 4;
const REPEATS = 5;
/** Loop trips are doubled until one dispatch takes at least this long. */
const TARGET_MS = 200;

export interface PeakMeasurement {
  /** The better of the fma() and the a·b + c kernels, GFLOP/s. */
  gflops: number;
  fmaGflops: number;
  mulAddGflops: number;
  /**
   * GFLOP/s of the fma() chains when each vec4 multiply-add loads its multiplier from a storage
   * buffer: one vec4 load per 8 flops. A product kernel that does k vec4 multiply-adds per vec4
   * it loads is bounded near k times this where loads cost more than arithmetic.
   */
  loadBoundGflops: number;
  invocations: number;
  chains: number;
  /** Multiply-add steps per chain (loop trips × unroll). */
  iterations: number;
  /** "timestamp-query" or "wall". */
  clock: string;
}

/** Measures the ceiling on a device of its own, on the adapter the page's run gets. */
export async function measurePeak(): Promise<PeakMeasurement> {
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error("no WebGPU adapter");
  const timestamps = adapter.features.has("timestamp-query");
  const device = await adapter.requestDevice({ requiredFeatures: timestamps ? ["timestamp-query"] : [] });
  try {
    const invocations = WORKGROUP * WORKGROUPS;
    const sink = device.createBuffer({ size: 16 * invocations, usage: GPUBufferUsage.STORAGE });
    const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const module = device.createShaderModule({ code: peakFmaWgsl });
    const querySet = timestamps ? device.createQuerySet({ type: "timestamp", count: 2 }) : null;
    const resolved = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const readback = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });

    /** Milliseconds of one dispatch of `trips` loop trips. */
    const time = async (pipeline: GPUComputePipeline, trips: number): Promise<number> => {
      const record = new DataView(new ArrayBuffer(16));
      record.setUint32(0, trips, true);
      record.setFloat32(4, 0.999_999, true);
      record.setFloat32(8, 1e-7, true);
      device.queue.writeBuffer(params, 0, record.buffer);
      const group = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: params } },
          { binding: 1, resource: { buffer: sink } },
        ],
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass(
        querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {},
      );
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(WORKGROUPS);
      pass.end();
      if (querySet) {
        encoder.resolveQuerySet(querySet, 0, 2, resolved, 0);
        encoder.copyBufferToBuffer(resolved, 0, readback, 0, 16);
      }
      const started = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      const wall = performance.now() - started;
      if (!querySet) return wall;
      await readback.mapAsync(GPUMapMode.READ);
      const [begin, end] = new BigInt64Array(readback.getMappedRange().slice(0));
      readback.unmap();
      const ms = Number((end as bigint) - (begin as bigint)) / 1e6;
      return ms > 0 ? ms : wall;
    };

    /** GFLOP/s of one kernel variant: trips grown to TARGET_MS, then the median of REPEATS. */
    const gflopsOf = async (useFma: boolean, load = false): Promise<{ gflops: number; iterations: number }> => {
      const pipeline = device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main", constants: { USE_FMA: useFma ? 1 : 0, LOAD_OPERAND: load ? 1 : 0 } },
      });
      let trips = 64;
      while ((await time(pipeline, trips)) < TARGET_MS && trips < 1 << 20) trips *= 2;
      const times = [];
      for (let i = 0; i < REPEATS; i++) times.push(await time(pipeline, trips));
      const iterations = trips * UNROLL;
      return { gflops: (8 * iterations * invocations * CHAINS) / (median(times) * 1e6), iterations };
    };

    const fma = await gflopsOf(true);
    const mulAdd = await gflopsOf(false);
    const loadBound = await gflopsOf(true, true);
    return {
      gflops: Math.max(fma.gflops, mulAdd.gflops),
      fmaGflops: fma.gflops,
      mulAddGflops: mulAdd.gflops,
      loadBoundGflops: loadBound.gflops,
      invocations,
      chains: CHAINS,
      iterations: fma.gflops >= mulAdd.gflops ? fma.iterations : mulAdd.iterations,
      clock: querySet ? "timestamp-query" : "wall",
    };
  } finally {
    device.destroy();
  }
}
