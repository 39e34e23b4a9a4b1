/**
 * Kernel descriptors and the pipeline cache. Each kernel is one .wgsl file plus the shared files it
 * needs (every kernel has shaders/common.wgsl and shaders/format.wgsl, the rounding of stored values),
 * its bindings in group 0 and whether it writes statistics (group 1). Pipelines are cached
 * per device by kernel and override constants, so a lost device takes its cache with it.
 */
import activationsWgsl from "../../shaders/activations.wgsl?raw";
import backwardWgsl from "../../shaders/backward.wgsl?raw";
import backwardStepWgsl from "../../shaders/backward_step.wgsl?raw";
import chainBackwardWgsl from "../../shaders/chain_backward.wgsl?raw";
import chainBiasesWgsl from "../../shaders/chain_biases.wgsl?raw";
import chainBiasesStoredWgsl from "../../shaders/chain_biases_stored.wgsl?raw";
import chainForwardWgsl from "../../shaders/chain_forward.wgsl?raw";
import chainUpdateWgsl from "../../shaders/chain_update.wgsl?raw";
import chainUpdateNoneWgsl from "../../shaders/chain_update_none.wgsl?raw";
import chainWeightsWgsl from "../../shaders/chain_weights.wgsl?raw";
import chainWeightsTrainWgsl from "../../shaders/chain_weights_train.wgsl?raw";
import commonWgsl from "../../shaders/common.wgsl?raw";
import dataWgsl from "../../shaders/data.wgsl?raw";
import drawsWgsl from "../../shaders/draws.wgsl?raw";
import exampleBackwardWgsl from "../../shaders/example_backward.wgsl?raw";
import exampleCommonWgsl from "../../shaders/example_common.wgsl?raw";
import exampleForwardWgsl from "../../shaders/example_forward.wgsl?raw";
import exampleWeightGradWgsl from "../../shaders/example_weight_grad.wgsl?raw";
import formatWgsl from "../../shaders/format.wgsl?raw";
import forwardWgsl from "../../shaders/forward.wgsl?raw";
import histogramWgsl from "../../shaders/histogram.wgsl?raw";
import histogramNoneWgsl from "../../shaders/histogram_none.wgsl?raw";
import initBiasesWgsl from "../../shaders/init_biases.wgsl?raw";
import initWeightsWgsl from "../../shaders/init_weights.wgsl?raw";
import layerWgsl from "../../shaders/layer.wgsl?raw";
import layerBackwardWgsl from "../../shaders/layer_backward.wgsl?raw";
import layerForwardWgsl from "../../shaders/layer_forward.wgsl?raw";
import layerGroupsWgsl from "../../shaders/layer_groups.wgsl?raw";
import optimizerWgsl from "../../shaders/optimizer.wgsl?raw";
import philoxWgsl from "../../shaders/philox.wgsl?raw";
import productWeightsWgsl from "../../shaders/product_weights.wgsl?raw";
import randomWgsl from "../../shaders/random.wgsl?raw";
import reduceWgsl from "../../shaders/reduce.wgsl?raw";
import reduceOneWgsl from "../../shaders/reduce_one.wgsl?raw";
import scalingWgsl from "../../shaders/scaling.wgsl?raw";
import seedWgsl from "../../shaders/seed.wgsl?raw";
import statsWgsl from "../../shaders/stats.wgsl?raw";
import trainStepWgsl from "../../shaders/train_step.wgsl?raw";
import updateWgsl from "../../shaders/update.wgsl?raw";
import weightBlockWgsl from "../../shaders/weight_block.wgsl?raw";
import weightGradWgsl from "../../shaders/weight_grad.wgsl?raw";
import weightGradDiscardWgsl from "../../shaders/weight_grad_discard.wgsl?raw";
import weightGradStoreWgsl from "../../shaders/weight_grad_store.wgsl?raw";
import { type ParamName, paramsStruct } from "./params";

type BindingKind = "uniform" | "storage" | "read-only-storage";

interface Binding {
  kind: BindingKind;
  /** Bound per dispatch at a dynamic offset (one layer of a layered array, or one Params record). */
  dynamic?: boolean;
}

export interface Kernel {
  name: string;
  code: string;
  /** Its `struct Params`, field by field (src/gpu/params.ts): generated into `code`, written by ParamsWriter. */
  params: readonly ParamName[];
  bindings: Binding[];
  /** Uses group 1, the statistics buffers of shaders/stats.wgsl. */
  stats: boolean;
  /** Uses group 2, the histograms buffer of shaders/histogram.wgsl (the run option histograms). */
  histogram: boolean;
  /**
   * n × n by n × B matrix products (2·n²·B flops each) one dispatch does; the others' work is O(n·B)
   * or O(n²). The per-example kernels' count varies with their range of layers: each step gives it.
   */
  products: number;
}

const params: Binding = { kind: "uniform", dynamic: true };
const layer = (kind: BindingKind): Binding => ({ kind, dynamic: true });
const whole = (kind: BindingKind): Binding => ({ kind });
const random = [philoxWgsl, randomWgsl, drawsWgsl];

/**
 * The fused forward pass (shaders/chain_forward.wgsl), biases regenerated or stored (training),
 * counting every a_l into the histograms or not.
 */
function chainForward(name: string, training: boolean, counting = false): Kernel {
  const biases = training ? chainBiasesStoredWgsl : chainBiasesWgsl;
  return binning(
    name,
    [...random, activationsWgsl, histogramNoneWgsl, layerWgsl, chainWeightsWgsl, biases, chainForwardWgsl],
    [
      params,
      whole("read-only-storage"),
      whole("storage"),
      whole("storage"),
      ...(training ? [whole("read-only-storage")] : []),
    ],
    0,
    ["depth", "seed", "initParam", "biasSigma", "biasExp"],
    counting,
  );
}

/**
 * The fused backward pass (shaders/chain_backward.wgsl), with each layer's update when training,
 * counting every ∂ℓ/∂a_l into the histograms or not.
 */
function chainBackward(name: string, training: boolean, counting = false): Kernel {
  const parts = training
    ? [optimizerWgsl, chainWeightsTrainWgsl, chainUpdateWgsl]
    : [chainWeightsWgsl, chainUpdateNoneWgsl];
  return binning(
    name,
    [...random, activationsWgsl, histogramNoneWgsl, layerWgsl, ...parts, chainBackwardWgsl],
    [
      params,
      whole(training ? "storage" : "read-only-storage"),
      whole("read-only-storage"),
      whole("read-only-storage"),
      whole("storage"),
      ...(training ? [whole("storage"), whole("storage"), whole("read-only-storage")] : []),
    ],
    0,
    ["depth", "seed", "initParam", "targetExp"],
    counting,
  );
}

/**
 * Layer l's backward step (shaders/backward_step.wgsl), storing B·∂loss/∂W_l (binding 7) or not,
 * counting ∂ℓ/∂a_{l-1} into the histograms or not.
 */
function backwardStep(name: string, storeWeightGrad: boolean, counting = false): Kernel {
  const store = storeWeightGrad ? weightGradStoreWgsl : weightGradDiscardWgsl;
  return binning(
    name,
    [
      ...random,
      activationsWgsl,
      histogramNoneWgsl,
      layerWgsl,
      productWeightsWgsl,
      backwardWgsl,
      weightBlockWgsl,
      store,
      weightGradWgsl,
      backwardStepWgsl,
    ],
    [
      params,
      layer("read-only-storage"),
      layer("read-only-storage"),
      whole("read-only-storage"),
      whole("storage"),
      layer("read-only-storage"),
      whole("read-only-storage"),
      ...(storeWeightGrad ? [whole("storage")] : []),
    ],
    2,
    ["layer", "seed", "initParam", "inSlot", "outSlot", "partialBase", "auxSlot", "auxPartialBase"],
    counting,
  );
}

function kernel(
  name: string,
  parts: string[],
  bindings: Binding[],
  stats: boolean,
  products: number,
  params: readonly ParamName[],
  histogram = false,
): Kernel {
  const code = [
    paramsStruct(params),
    commonWgsl,
    formatWgsl,
    ...(stats ? [statsWgsl, scalingWgsl] : []),
    ...parts,
  ].join("\n");
  return { name, code, params, bindings, stats, histogram, products };
}

/**
 * A kernel with statistics whose tensors go into the histograms when `counting`: then
 * shaders/histogram.wgsl is linked in place of histogram_none.wgsl, the params gain `histogram`
 * (the layer it counts into) and group 2 is bound. Without, it is the kernel as it always was.
 */
function binning(
  name: string,
  parts: string[],
  bindings: Binding[],
  products: number,
  params: readonly ParamName[],
  counting: boolean,
): Kernel {
  if (!counting) return kernel(name, parts, bindings, true, products, params);
  const linked = parts.map((part) => (part === histogramNoneWgsl ? histogramWgsl : part));
  return kernel(`${name}_histogram`, linked, bindings, true, products, [...params, "histogram"], true);
}

/** The inputs a_0 and targets y, with a_0's statistics (shaders/data.wgsl). */
const dataKernel = (counting: boolean) =>
  binning(
    "data",
    [...random, activationsWgsl, histogramNoneWgsl, dataWgsl],
    [params, layer("storage"), whole("storage")],
    0,
    ["seed", "outSlot", "partialBase"],
    counting,
  );

/** Layer l forward (shaders/forward.wgsl). */
const forwardKernel = (counting: boolean) =>
  binning(
    "forward",
    [...random, activationsWgsl, histogramNoneWgsl, layerWgsl, productWeightsWgsl, forwardWgsl],
    [params, layer("read-only-storage"), layer("storage"), layer("storage"), whole("read-only-storage")],
    1,
    ["layer", "seed", "initParam", "inSlot", "outSlot", "partialBase", "biasExp", "biasSigma"],
    counting,
  );

/** ∂ℓ/∂a_L = a_L − y (shaders/seed.wgsl). */
const seedKernel = (counting: boolean) =>
  binning(
    "seed",
    [activationsWgsl, histogramNoneWgsl, layerWgsl, seedWgsl],
    [params, layer("read-only-storage"), whole("read-only-storage"), whole("storage")],
    0,
    ["inSlot", "outSlot", "partialBase", "targetExp"],
    counting,
  );

/** Layer l's forward epilogue (shaders/layer_forward.wgsl). */
const layerForwardKernel = (counting: boolean) =>
  binning(
    "layer_forward",
    [activationsWgsl, histogramNoneWgsl, layerWgsl, layerGroupsWgsl, layerForwardWgsl],
    [params, whole("read-only-storage"), layer("storage"), layer("storage")],
    0,
    ["layer", "inSlot", "outSlot", "auxSlot", "partialBase", "alpha"],
    counting,
  );

/** Forward through a range of layers, one invocation per example (shaders/example_forward.wgsl). */
const exampleForwardKernel = (counting: boolean) =>
  binning(
    "example_forward",
    [...random, activationsWgsl, histogramNoneWgsl, layerWgsl, exampleCommonWgsl, exampleForwardWgsl],
    [params, whole("read-only-storage"), whole("read-only-storage"), whole("storage"), whole("storage")],
    0,
    ["layer", "layers", "seed"],
    counting,
  );

/** Backward through a range of layers, one invocation per example (shaders/example_backward.wgsl). */
const exampleBackwardKernel = (counting: boolean) =>
  binning(
    "example_backward",
    [activationsWgsl, histogramNoneWgsl, layerWgsl, exampleCommonWgsl, exampleBackwardWgsl],
    [params, whole("read-only-storage"), whole("read-only-storage"), whole("read-only-storage"), whole("storage")],
    0,
    ["layer", "layers", "depth"],
    counting,
  );

/** Every kernel of a run, in the order a run uses them. */
export const KERNELS = {
  initWeights: kernel("init_weights", [...random, initWeightsWgsl], [params, whole("storage")], false, 0, [
    "layer",
    "layers",
    "stride",
    "seed",
    "initParam",
  ]),
  initBiases: kernel("init_biases", [...random, initBiasesWgsl], [params, whole("storage")], false, 0, [
    "layers",
    "seed",
    "biasSigma",
  ]),
  data: dataKernel(false),
  forward: forwardKernel(false),
  seed: seedKernel(false),
  backward: backwardStep("backward_step", false),
  /** Training's backward step: also stores B·∂loss/∂W_l for the update. */
  backwardTrain: backwardStep("backward_train", true),
  layerForward: layerForwardKernel(false),
  /** The run option histograms: the same kernels, each also counting its tensor (shaders/histogram.wgsl). */
  dataHistogram: dataKernel(true),
  forwardHistogram: forwardKernel(true),
  seedHistogram: seedKernel(true),
  backwardHistogram: backwardStep("backward_step", false, true),
  layerForwardHistogram: layerForwardKernel(true),
  layerBackward: kernel(
    "layer_backward",
    [activationsWgsl, layerWgsl, layerGroupsWgsl, layerBackwardWgsl],
    [params, whole("read-only-storage"), layer("read-only-storage"), whole("storage")],
    true,
    0,
    ["layer", "inSlot", "outSlot", "auxSlot", "alpha"],
  ),
  /** Training: step t's update of W_l and b_l, with the statistics of W_l and ΔW_l. */
  update: kernel(
    "update",
    [optimizerWgsl, updateWgsl],
    [
      params,
      layer("storage"),
      layer("storage"),
      whole("read-only-storage"),
      whole("storage"),
      whole("read-only-storage"),
      whole("read-only-storage"),
    ],
    true,
    0,
    ["layer", "outSlot", "auxSlot", "partialBase", "auxPartialBase"],
  ),
  trainStep: kernel("train_step", [trainStepWgsl], [whole("storage")], false, 0, []),
  reduce: kernel("reduce", [reduceWgsl], [whole("storage")], true, 0, []),
  reduceOne: kernel("reduce_one", [reduceOneWgsl], [params, whole("storage")], true, 0, ["outSlot", "partialBase"]),
  chainForward: chainForward("chain_forward", false),
  /** Training's forward pass on the fused path: biases stored (binding 4), since the updates change them. */
  chainForwardTrain: chainForward("chain_forward_train", true),
  chainBackward: chainBackward("chain_backward", false),
  /** The run option histograms on the fused path. */
  chainForwardHistogram: chainForward("chain_forward", false, true),
  chainBackwardHistogram: chainBackward("chain_backward", false, true),
  /** Training's backward pass on the fused path: each layer updated once its backward has read W_l. */
  chainBackwardTrain: chainBackward("chain_backward_train", true),
  exampleForward: exampleForwardKernel(false),
  exampleBackward: exampleBackwardKernel(false),
  /** The run option histograms on the per-example path. */
  exampleForwardHistogram: exampleForwardKernel(true),
  exampleBackwardHistogram: exampleBackwardKernel(true),
  exampleWeightGrad: kernel(
    "example_weight_grad",
    [exampleCommonWgsl, weightBlockWgsl, exampleWeightGradWgsl],
    [params, whole("read-only-storage"), whole("read-only-storage")],
    true,
    0,
    ["layer", "layers", "depth"],
  ),
} as const;

export interface CompiledKernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  statsLayout: GPUBindGroupLayout | null;
  histogramLayout: GPUBindGroupLayout | null;
}

interface DeviceCache {
  modules: Map<string, GPUShaderModule>;
  pipelines: Map<string, CompiledKernel>;
  statsLayout: GPUBindGroupLayout;
  histogramLayout: GPUBindGroupLayout;
}

const caches = new WeakMap<GPUDevice, DeviceCache>();

function deviceCache(device: GPUDevice): DeviceCache {
  let cache = caches.get(device);
  if (!cache) {
    const storage = { type: "storage" as const };
    cache = {
      modules: new Map(),
      pipelines: new Map(),
      statsLayout: device.createBindGroupLayout({
        label: "statistics",
        entries: [0, 1, 2].map((binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: storage })),
      }),
      histogramLayout: device.createBindGroupLayout({
        label: "histograms",
        entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: storage }],
      }),
    };
    caches.set(device, cache);
  }
  return cache;
}

/** The pipeline of a kernel with these override constants, compiled once per device. */
export function compileKernel(
  device: GPUDevice,
  kernel: Kernel,
  constants: Record<string, number | boolean>,
): CompiledKernel {
  const cache = deviceCache(device);
  const key = `${kernel.name}:${JSON.stringify(constants)}`;
  const cached = cache.pipelines.get(key);
  if (cached) return cached;
  let module = cache.modules.get(kernel.name);
  if (!module) {
    module = device.createShaderModule({ label: kernel.name, code: kernel.code });
    cache.modules.set(kernel.name, module);
  }
  const layout = device.createBindGroupLayout({
    label: kernel.name,
    entries: kernel.bindings.map((binding, index) => ({
      binding: index,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: binding.kind, hasDynamicOffset: binding.dynamic ?? false },
    })),
  });
  const statsLayout = kernel.stats ? cache.statsLayout : null;
  const histogramLayout = kernel.histogram ? cache.histogramLayout : null;
  const groups = [layout, statsLayout, histogramLayout].filter((group) => group !== null);
  const pipeline = device.createComputePipeline({
    label: kernel.name,
    layout: device.createPipelineLayout({ bindGroupLayouts: groups }),
    compute: {
      module,
      entryPoint: "main",
      constants: Object.fromEntries(Object.entries(constants).map(([name, value]) => [name, Number(value)])),
    },
  });
  const compiled = { pipeline, layout, statsLayout, histogramLayout };
  cache.pipelines.set(key, compiled);
  return compiled;
}
