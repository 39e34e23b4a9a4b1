/** The bench's in-page helpers, bundled by bench/page-bundle.ts and added to the built page. */
import { measurePeak } from "../src/gpu/peak";
import { peerReady, runPeer } from "./peer-tfjs";

/** The adapter's description and the limits the engine plans against. */
async function adapterInfo() {
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error("no WebGPU adapter");
  const { vendor, architecture, device, description } = adapter.info;
  const { maxBufferSize, maxStorageBufferBindingSize, minStorageBufferOffsetAlignment } = adapter.limits;
  return {
    info: { vendor, architecture, device, description },
    timestamps: adapter.features.has("timestamp-query"),
    limits: { maxBufferSize, maxStorageBufferBindingSize, minStorageBufferOffsetAlignment },
  };
}

export const gradscopeBench = { adapterInfo, measurePeak, peerReady, runPeer };
export type GradscopeBench = typeof gradscopeBench;

(window as unknown as { gradscopeBench: GradscopeBench }).gradscopeBench = gradscopeBench;
