/**
 * The GPU engine's tuned constants, each with where and how it was measured (SwiftShader on the
 * project's 2-core machine unless it says otherwise: compare ratios, not times). A constant that is a
 * capability (EXAMPLE_MAX_WIDTH, the WebGPU limits) stays with the code that depends on it.
 */

/**
 * Fused runs keep at most this many batch × width entries per layer: one 64-invocation workgroup,
 * each invocation taking 4 entries; past it the layered path's many invocations win.
 */
export const FUSED_MAX_ENTRIES = 256;

/**
 * Training takes the fused path only with at most this many multiply-adds per layer product (n²·B)
 * too: past it the one workgroup's serial share of the products costs more than the layered path's
 * dispatches. (A single pass does too, by these figures, but still takes FUSED_MAX_ENTRIES alone.) Measured on
 * SwiftShader at depth 100, fixed tiling, GPU ms fused against layered: n²·B = 64 (2 × 16) 2.8 / 9.5;
 * 256 (4 × 16) 7.0 / 8.2; 512 (2 × 128) 11.1 / 14.2; 1024 (8 × 16) 13.1 / 14.6, (4 × 64) 15.6 / 18.1,
 * (16 × 4) 10.6 / 8.3; 2048 (16 × 8) 22.1 / 12.1; 4096 (16 × 16) 28.8 / 13.8.
 */
export const FUSED_MAX_WORK = 1024;

/**
 * The per-example path is chosen (plain float32 only) for nets with n²·B at most this: there it
 * beats the layered path, whose 2L + 3 dispatches cost more than the per-example kernels' slower
 * products (one invocation per example reads each weight once per example). Measured on
 * SwiftShader at depth 100: width 16 × batch 64 took 29–36 ms against 51–73 ms layered; width 32 ×
 * batch 64 (n²·B = 2^16) 80–113 ms against 82–86 ms; width 16 × batch 1024 390 ms against 300 ms.
 */
export const EXAMPLE_MAX_WORK = 2 ** 15;

/**
 * Matrix-product flops of one per-example dispatch at most: longer passes are cut into ranges of
 * layers, so that a dispatch stays short (a long run given a signal can stop between them).
 */
export const EXAMPLE_DISPATCH_FLOPS = 2 ** 26;

/**
 * Largest batch the plan draws weights inside the product kernels for (one 4-example block), and only
 * when not even one layer of weights fits: measured on 30 layers of width 512 and 256, drawing in the
 * kernels was 10 % faster than drawing per step at batch 1 but 6–20 % slower at batch 4.
 */
export const IN_KERNEL_MAX_BATCH = 4;

/** Floating-point operations above which a run with a signal is submitted in chunks. */
export const CHUNKED_FLOPS = 2e9;
/** Wall time a chunk of a long run aims at: how soon an abort takes effect. */
export const CHUNK_MS = 100;
/** Floating-point operations of a long run's first chunk, before chunks are sized by their time. */
export const FIRST_CHUNK_FLOPS = 2e8;

/**
 * A training run reads its losses and records back together: at most this many passes' losses, and
 * this many records or bytes of them, per readback (a thousand steps cost a handful of readbacks).
 */
export const TRAIN_READBACK_PASSES = 1024;
export const TRAIN_READBACK_RECORDS = 64;
export const TRAIN_READBACK_BYTES = 8 * 2 ** 20;

/**
 * Most dispatches one chunk of training passes encodes: the encoding runs on the page's main thread
 * (a few µs per dispatch in Chromium), so a chunk of a deep layered net's passes stays within a
 * frame or two however fast the GPU runs them.
 */
export const TRAIN_CHUNK_DISPATCHES = 4096;
