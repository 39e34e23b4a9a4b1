/** A Web Worker running the float64 reference, so the page stays responsive while it runs. */
import type { RunConfig } from "../core/config";
import { runReference } from "../core/reference";
import type { RunResult, Subnormals } from "../core/result";
import { trainReference } from "../core/training";
import { serve } from "./pool";

/** One run: a validated config and how float32 arithmetic treats subnormals. */
export interface ReferenceRequest {
  config: RunConfig;
  subnormals: Subnormals;
  /** Whether the result carries histograms (not with train). */
  histograms: boolean;
}

serve<ReferenceRequest, RunResult>(({ config, subnormals, histograms }, progress) => ({
  result: (config.train ? trainReference : runReference)(config, { subnormals, histograms, onProgress: progress }),
}));
