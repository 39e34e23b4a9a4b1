/** A Web Worker running the float64 reference, so the page stays responsive without WebGPU. */
import type { RunConfig } from "../core/config";
import { runReference } from "../core/reference";
import type { RunResult, Subnormals } from "../core/result";

export interface ReferenceRequest {
  id: number;
  config: RunConfig;
  subnormals: Subnormals;
}

export type ReferenceReply = { id: number; result: RunResult } | { id: number; error: string };

self.onmessage = (event: MessageEvent<ReferenceRequest>) => {
  const { id, config, subnormals } = event.data;
  try {
    const result = runReference(config, { subnormals });
    self.postMessage({ id, result } satisfies ReferenceReply);
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies ReferenceReply);
  }
};
