/**
 * A GPU run's histograms held to the reference's: equal, bin by bin, but for entries whose bin
 * rounding may change. Such an entry is one whose value, moved by 8 times (64 with a norm) what a reference with
 * every stored value moved by one ulp of its format moves it (ReferenceOptions.nudge) plus 2⁻²⁰ of
 * itself, could cross a power of two or reach zero; or, for relu and leaky_relu, one whose ẑ lies
 * within KINK_MARGIN of the layer's RMS of 0 (its sign, and so its output's bin and its derivative,
 * may flip). Each such entry may move one count from one bin to another, so per layer and tensor
 * Σ |GPU bin − reference bin| ≤ 2 · (entries near an edge). Saturation likewise: the saturated
 * entries may differ by the entries whose |g'| lies near 0.01 (or near a kink), the dead units by the
 * units holding one. Where the format's limits or a kink change whole layers (tests/gpu/agreement.ts:
 * limit zones, the forward pass's underflow, gradients below a near-kink layer), those layers are
 * not compared, as for the other statistics.
 */
import { expect } from "vitest";
import { ACTIVATIONS } from "../../src/core/activations";
import type { RunConfig } from "../../src/core/config";
import type { Tensor } from "../../src/core/layers/numerics";
import { runReference } from "../../src/core/reference";
import type { Histogram, RunResult, Subnormals } from "../../src/core/result";
import { forwardUnderflow, KINK_MARGIN, nearKink, zoneAround } from "./agreement";

type Kind = "act" | "grad" | "branch" | "input";

/** A reference run with histograms and every tensor it computed (ẑ_l as "input"). */
function referenceTensors(config: RunConfig, subnormals: Subnormals, nudge?: number) {
  const tensors: Record<Kind, Tensor[]> = { act: [], grad: [], branch: [], input: [] };
  const result = runReference(config, {
    subnormals,
    histograms: true,
    ...(nudge === undefined ? {} : { nudge }),
    onTensor: (kind, layer, tensor) => {
      tensors[kind][layer] = tensor;
    },
    onActivationInput: (layer, values, exponent) => {
      tensors.input[layer] = { values: values.slice(), exponent };
    },
  });
  return { result, tensors };
}

/** ⌊log₂ m⌋ of a positive finite m. */
const binade = (m: number) => Math.floor(Math.log2(m));

/** Whether |v| ± r reaches zero or crosses a power of two. */
function crossesEdge(v: number, r: number): boolean {
  const m = Math.abs(v);
  if (!Number.isFinite(m)) return false;
  if (m <= r) return m > 0 || r > 0;
  return binade(m - r) !== binade(m + r);
}

/** The reference's histogram as counts keyed by bin (binade, "zeros", "nonFinite"). */
function binsOf(h: Histogram): Map<string, number> {
  const bins = new Map<string, number>([
    ["zeros", h.zeros],
    ["nonFinite", h.nonFinite],
  ]);
  h.counts.forEach((count, i) => {
    if (count > 0) bins.set(String((h.minExponent as number) + i), count);
  });
  return bins;
}

/** Σ over bins of |a − b|. */
function binDistance(a: Histogram, b: Histogram): number {
  const x = binsOf(a);
  const y = binsOf(b);
  let distance = 0;
  for (const key of new Set([...x.keys(), ...y.keys()])) distance += Math.abs((x.get(key) ?? 0) - (y.get(key) ?? 0));
  return distance;
}

/**
 * Entries of layer l whose ẑ lies within KINK_MARGIN · RMS(ẑ_l) of 0, or within 8 times what the nudge
 * moves it (float16 and bfloat16 round ẑ far coarser than KINK_MARGIN), for relu and leaky_relu.
 */
function kinkEntries(config: RunConfig, input: Tensor | undefined, moved: Tensor | undefined): boolean[] {
  if (!input || (config.activation !== "relu" && config.activation !== "leaky_relu")) return [];
  const z = input.values;
  const shifted = moved?.values;
  const rms = Math.sqrt(z.reduce((sum, v) => sum + v * v, 0) / z.length);
  return [...z].map((v, k) => {
    const drift = shifted
      ? 8 * Math.abs((shifted[k] as number) * 2 ** ((moved as Tensor).exponent - input.exponent) - v)
      : 0;
    return Math.abs(v) < KINK_MARGIN * rms || Math.abs(v) <= drift;
  });
}

/** Holds the GPU's result.histograms to the reference's with the tolerance argued above. */
export function expectHistogramsAgree(config: RunConfig, gpu: RunResult): void {
  const label = JSON.stringify(config);
  const { result: reference, tensors } = referenceTensors(config, gpu.subnormals);
  const nudged = referenceTensors(config, gpu.subnormals, 2).tensors;
  const want = reference.histograms;
  const got = gpu.histograms;
  if (!want || !got) throw new Error(`a result without histograms for ${label}`);
  const count = config.width * config.batch;
  // float32, float16 and bfloat16: plain values, which meet their format's limits.
  const plain = config.numerics !== "tracked";
  const underflow = forwardUnderflow(config, reference);
  const kink = nearKink(config, gpu.subnormals);
  // A norm's statistics are sums over the group with a mean taken out (cancellation), whose float32 error
  // the nudge of stored values undercounts: an entry of a batch-normalized leaky ReLU net (n 17, B 10,
  // layer 20) lay 8e-5 of itself above 1, moved 8.6e-6 under the nudge and crossed to the bin below on the GPU.
  const spread = config.norm === "none" ? 8 : 64;
  for (const kind of ["act", "grad"] as const) {
    const series = kind === "act" ? reference.log10ActRms : reference.log10GradRms;
    for (let l = 0; l <= config.depth; l++) {
      const h = (kind === "act" ? got.act : got.grad)[l] as Histogram;
      expect(h.counts.reduce((s, c) => s + c, 0) + h.zeros + h.nonFinite, `Σ ${kind}[${l}] of ${label}`).toBe(count);
      if (plain && zoneAround(config.numerics, series, l)) continue;
      if (underflow !== null && (kind === "grad" || l >= underflow - 1)) continue;
      if (kind === "grad" && kink !== null && l < kink) continue;
      const values = (tensors[kind][l] as Tensor).values;
      const moved = (nudged[kind][l] as Tensor).values;
      const kinks = kind === "act" ? kinkEntries(config, tensors.input[l], nudged.input[l]) : [];
      let near = 0;
      values.forEach((v, k) => {
        const r = spread * Math.abs((moved[k] as number) - v) + 2 ** -20 * Math.abs(v);
        if (kinks[k] || crossesEdge(v, r)) near++;
      });
      const distance = binDistance(h, (kind === "act" ? want.act : want.grad)[l] as Histogram);
      expect(distance, `${kind}[${l}] of ${label}: bins apart, with ${near} entries near an edge`).toBeLessThanOrEqual(
        2 * near,
      );
    }
  }
  expectSaturationAgrees(config, gpu, reference, tensors, nudged, label);
}

/** saturated[l] and dead[l] within the entries (units) near |g'| = 0.01 or near a kink. */
function expectSaturationAgrees(
  config: RunConfig,
  gpu: RunResult,
  reference: RunResult,
  tensors: Record<Kind, Tensor[]>,
  nudged: Record<Kind, Tensor[]>,
  label: string,
): void {
  const { width: n, batch } = config;
  const g = ACTIVATIONS[config.activation];
  // float32, float16 and bfloat16: plain values, which meet their format's limits.
  const plain = config.numerics !== "tracked";
  const underflow = forwardUnderflow(config, reference);
  for (let l = 1; l <= config.depth; l++) {
    if (plain && zoneAround(config.numerics, reference.log10ActRms, l)) continue;
    if (underflow !== null && l >= underflow - 1) continue;
    const h = (tensors.branch[l] as Tensor).values;
    const moved = (nudged.branch[l] as Tensor).values;
    const kinks = kinkEntries(config, tensors.input[l], nudged.input[l]);
    const nearUnits = new Set<number>();
    let near = 0;
    h.forEach((v, k) => {
      const der = Math.abs(g.derFromOutput(v));
      const r = 8 * Math.abs(Math.abs(g.derFromOutput(moved[k] as number)) - der) + 1e-8;
      if (kinks[k] || Math.abs(der - 0.01) <= r) {
        near++;
        nearUnits.add(k % n);
      }
    });
    const saturated = (result: RunResult) => Math.round((result.histograms?.saturated[l] as number) * n * batch);
    const dead = (result: RunResult) => Math.round((result.histograms?.dead[l] as number) * n);
    const where = `layer ${l} of ${label}`;
    expect(Math.abs(saturated(gpu) - saturated(reference)), `saturated at ${where}`).toBeLessThanOrEqual(near);
    expect(Math.abs(dead(gpu) - dead(reference)), `dead at ${where}`).toBeLessThanOrEqual(nearUnits.size);
  }
}
