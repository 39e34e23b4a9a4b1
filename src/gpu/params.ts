/**
 * The per-dispatch parameters. Each kernel names its fields (src/gpu/kernels.ts); its WGSL
 * `struct Params` is generated from that list here, and ParamsWriter writes each dispatch's record in
 * the same order, so the shader and the writer cannot disagree on a byte. Every dispatch of a run gets
 * one record, all in one uniform buffer at a 256-byte stride, bound with a dynamic offset.
 */

/** Every field a kernel may take: its WGSL type and what it means. */
export const PARAM_FIELDS = {
  /** The layer a dispatch works on, or the first of its range. */
  layer: "u32",
  /** Layers a dispatch covers from `layer` (draws, per-example ranges). */
  layers: "u32",
  /** The run's depth L (kernels whose slots depend on it). */
  depth: "u32",
  seed: "u32",
  /** The init's scalar (scale, σ or bound) for weights drawn on the GPU. */
  initParam: "f32",
  biasSigma: "f32",
  /** ⌈log₂ biasSigma⌉, for the tracked forward pass. */
  biasExp: "i32",
  /** The targets' power of two in a − y (very negative for targets of zeros). */
  targetExp: "i32",
  /** Statistics slots (src/gpu/slots.ts): the tensor read, the tensor written, a second one written or read. */
  inSlot: "u32",
  outSlot: "u32",
  auxSlot: "u32",
  /** Where the written tensor's (and the second one's) statistics partials start. */
  partialBase: "u32",
  auxPartialBase: "u32",
  /** Floats between layers of a weight buffer. */
  stride: "u32",
  /** α of a residual chain (shaders/layer.wgsl). */
  alpha: "f32",
  /**
   * The layer whose histogram record a dispatch counts its tensor into (shaders/histogram.wgsl), or
   * NO_HISTOGRAM for a recomputed activation, which was counted when first computed.
   */
  histogram: "u32",
} as const;

export type ParamName = keyof typeof PARAM_FIELDS;
export type DispatchParams = Partial<Record<ParamName, number>>;

/** Distance between records: the WebGPU minimum for dynamic uniform offsets on every adapter. */
export const PARAMS_STRIDE = 256;

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The WGSL `struct Params` of a kernel with these fields, in order ("" for none). */
export function paramsStruct(fields: readonly ParamName[]): string {
  if (fields.length === 0) return "";
  const lines = fields.map((name) => `  ${snakeCase(name)}: ${PARAM_FIELDS[name]},`);
  return `struct Params {\n${lines.join("\n")}\n}\n`;
}

/** Bytes of a kernel's params record (4 per field, at least one field's worth). */
export const paramsBytes = (fields: readonly ParamName[]) => 4 * Math.max(1, fields.length);

/** Collects the records of a run's dispatches and lays them out for the uniform buffer. */
export class ParamsWriter {
  private readonly records: { fields: readonly ParamName[]; values: DispatchParams }[] = [];

  /**
   * Adds a dispatch's record for a kernel with these fields and returns its byte offset in the buffer;
   * a value for a field the kernel does not have is an error (fields left out are 0).
   */
  add(kernel: { name: string; params: readonly ParamName[] }, values: DispatchParams): number {
    for (const name of Object.keys(values)) {
      if (!kernel.params.includes(name as ParamName)) throw new Error(`kernel ${kernel.name} has no param ${name}`);
    }
    this.records.push({ fields: kernel.params, values });
    return (this.records.length - 1) * PARAMS_STRIDE;
  }

  get byteLength(): number {
    return Math.max(1, this.records.length) * PARAMS_STRIDE;
  }

  /** The buffer's contents: each record's fields in its kernel's order, with their WGSL types. */
  toBytes(): ArrayBuffer {
    const bytes = new ArrayBuffer(this.byteLength);
    const view = new DataView(bytes);
    this.records.forEach(({ fields, values }, index) => {
      fields.forEach((name, k) => {
        const at = index * PARAMS_STRIDE + 4 * k;
        const value = values[name] ?? 0;
        const type = PARAM_FIELDS[name];
        if (type === "f32") view.setFloat32(at, value, true);
        else if (type === "i32") view.setInt32(at, value, true);
        else view.setUint32(at, value, true);
      });
    });
    return bytes;
  }
}
