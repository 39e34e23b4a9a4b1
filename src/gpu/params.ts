/**
 * The per-dispatch parameters: mirrors `struct Params` in shaders/common.wgsl, field for field.
 * Every dispatch of a run gets one record, all in one uniform buffer at a 256-byte stride, bound
 * with a dynamic offset.
 */

export interface DispatchParams {
  layer: number;
  inSlot: number;
  outSlot: number;
  auxSlot: number;
  partialBase: number;
  count: number;
  seed: number;
  biasExp: number;
  initParam: number;
  biasSigma: number;
  targetExp: number;
  stride: number;
  auxPartialBase: number;
  /** The run's depth L (the per-example kernels, whose slots depend on it). */
  depth: number;
  /** α of a residual chain, for the layer kernels (shaders/layer.wgsl). */
  alpha: number;
}

/** Size of `struct Params` in bytes (15 four-byte fields). */
export const PARAMS_BYTES = 60;
/** Distance between records: the WebGPU minimum for dynamic uniform offsets on every adapter. */
export const PARAMS_STRIDE = 256;

const DEFAULTS: DispatchParams = {
  layer: 0,
  inSlot: 0,
  outSlot: 0,
  auxSlot: 0,
  partialBase: 0,
  count: 0,
  seed: 0,
  biasExp: 0,
  initParam: 0,
  biasSigma: 0,
  targetExp: 0,
  stride: 0,
  auxPartialBase: 0,
  depth: 0,
  alpha: 0,
};

/** Collects the records of a run's dispatches and lays them out for the uniform buffer. */
export class ParamsWriter {
  private readonly records: DispatchParams[] = [];

  /** Adds a record and returns its byte offset in the buffer. */
  add(params: Partial<DispatchParams>): number {
    this.records.push({ ...DEFAULTS, ...params });
    return (this.records.length - 1) * PARAMS_STRIDE;
  }

  get byteLength(): number {
    return Math.max(1, this.records.length) * PARAMS_STRIDE;
  }

  /** The buffer's contents, in the order and types of `struct Params`. */
  toBytes(): ArrayBuffer {
    const bytes = new ArrayBuffer(this.byteLength);
    const u32 = new Uint32Array(bytes);
    const i32 = new Int32Array(bytes);
    const f32 = new Float32Array(bytes);
    this.records.forEach((p, index) => {
      const at = (index * PARAMS_STRIDE) / 4;
      u32[at + 0] = p.layer;
      u32[at + 1] = p.inSlot;
      u32[at + 2] = p.outSlot;
      u32[at + 3] = p.auxSlot;
      u32[at + 4] = p.partialBase;
      u32[at + 5] = p.count;
      u32[at + 6] = p.seed;
      i32[at + 7] = p.biasExp;
      f32[at + 8] = p.initParam;
      f32[at + 9] = p.biasSigma;
      i32[at + 10] = p.targetExp;
      u32[at + 11] = p.stride;
      u32[at + 12] = p.auxPartialBase;
      u32[at + 13] = p.depth;
      f32[at + 14] = p.alpha;
    });
    return bytes;
  }
}
