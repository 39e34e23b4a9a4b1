/**
 * The dispatches of the two paths for narrow nets (src/gpu/plan.ts's RunPath): "fused", one
 * single-workgroup dispatch per pass (shaders/chain_*.wgsl), and "per-example", one invocation per
 * example through ranges of layers, then the weight gradients (shaders/example_*.wgsl). The
 * layered path's are in src/gpu/layered-steps.ts.
 */
import { ACTIVATIONS } from "../core/activations";
import { TARGETS } from "../core/config";
import { KERNELS } from "./kernels";
import { dispatchGrid, exampleLayersPerDispatch, exampleWorkgroup, WORKGROUP } from "./plan";
import type { RunEncoder, Step, TrainingSteps } from "./run-encoder";

/**
 * The fused path: stored weights drawn if needed, then one dispatch per pass (each counting its
 * tensors into the histograms, with the run option) and the reduction.
 */
export function fusedSteps(run: RunEncoder): Step[][] {
  const { config, plan } = run;
  const activation = ACTIVATIONS[config.activation];
  const { kind, param } = run.drawnInit;
  const common = {
    N: config.width,
    BATCH: config.batch,
    ACTIVATION: activation.id,
    STORED_WEIGHTS: plan.storedWeights,
    INIT_KIND: kind ?? 0,
    CHAIN_WORKGROUP: plan.partialsPerLayer,
  };
  const chain = { depth: config.depth, seed: config.seed, initParam: param };
  const forwardParams = { ...chain, biasSigma: config.biasSigma, biasExp: run.biasExp };
  const backwardParams = { ...chain, targetExp: run.targetExp };
  const weights = { buffer: run.weightBuffers[0] as GPUBuffer };
  const acts = { buffer: run.actBuffers[0] as GPUBuffer };
  const targets = { buffer: run.targets };
  const counting = plan.histograms !== null;
  const forwardKernel = counting ? KERNELS.chainForwardHistogram : KERNELS.chainForward;
  const backwardKernel = counting ? KERNELS.chainBackwardHistogram : KERNELS.chainBackward;
  const forward = run.compile(forwardKernel, {
    ...common,
    TRACKED_FORWARD: config.numerics === "tracked" && activation.positivelyHomogeneous,
    INPUT_ONES: config.input === "ones",
    TARGET_KIND: TARGETS.indexOf(config.target),
  });
  const backward = run.compile(backwardKernel, { ...common, TRACKED: config.numerics === "tracked" });
  return [
    run.weightSteps(),
    [run.step(forwardKernel, forward, forwardParams, [weights, acts, targets], [1])],
    [
      run.step(
        backwardKernel,
        backward,
        backwardParams,
        [weights, acts, targets, { buffer: run.gradBuffers[0] as GPUBuffer }],
        [1],
      ),
      run.reduceStep(),
    ],
  ];
}

/**
 * The per-example path: weights and biases drawn, then the forward pass, the backward pass and
 * the weight gradients, each in ranges of layers (exampleLayersPerDispatch), and the reduction.
 * With the run option histograms the forward and backward kernels count each example's a_l and
 * ∂ℓ/∂a_l (every a_l computed once: no recomputation to leave out).
 */
export function perExampleSteps(run: RunEncoder): Step[][] {
  const { config, plan } = run;
  const L = config.depth;
  const { N, N4, BATCH } = run.shape;
  const activation = ACTIVATIONS[config.activation].id;
  const EXAMPLE_WORKGROUP = exampleWorkgroup(BATCH);
  const shape = { N, N4, BATCH, EXAMPLE_WORKGROUP };
  const counting = plan.histograms !== null;
  const forwardKernel = counting ? KERNELS.exampleForwardHistogram : KERNELS.exampleForward;
  const backwardKernel = counting ? KERNELS.exampleBackwardHistogram : KERNELS.exampleBackward;
  const forward = run.compile(forwardKernel, {
    ...shape,
    ACTIVATION: activation,
    INPUT_ONES: config.input === "ones",
    TARGET_KIND: TARGETS.indexOf(config.target),
  });
  const backward = run.compile(backwardKernel, { ...shape, ACTIVATION: activation });
  const weightGrad = run.compile(KERNELS.exampleWeightGrad, { N, N4, BATCH, WORKGROUP });
  const weights = { buffer: run.weightBuffers[0] as GPUBuffer };
  const acts = { buffer: run.actBuffers[0] as GPUBuffer };
  const dz = { buffer: run.gradBuffers[0] as GPUBuffer };
  const targets = { buffer: run.targets };
  const exampleGrid = [Math.ceil(BATCH / EXAMPLE_WORKGROUP)];
  const span = exampleLayersPerDispatch(config);
  const ranges = Array.from({ length: Math.ceil(L / span) }, (_, i) => ({
    first: i * span + 1,
    count: Math.min(span, L - i * span),
  }));
  const forwardParams = { seed: config.seed };
  // Each dispatch of a range does one product per layer.
  const forwardSteps = ranges.map(({ first, count }) =>
    run.step(
      forwardKernel,
      forward,
      { ...forwardParams, layer: first, layers: count },
      [weights, { buffer: run.biases }, acts, targets],
      exampleGrid,
      count,
    ),
  );
  const backwardSteps = [...ranges]
    .reverse()
    .map(({ first, count }) =>
      run.step(
        backwardKernel,
        backward,
        { depth: L, layer: first + count - 1, layers: count },
        [weights, acts, targets, dz],
        exampleGrid,
        count,
      ),
    );
  const blocks = N4 * N4;
  const weightGradSteps = ranges.map(({ first, count }) =>
    run.step(
      KERNELS.exampleWeightGrad,
      weightGrad,
      { depth: L, layer: first, layers: count },
      [acts, dz],
      dispatchGrid(count * blocks, WORKGROUP),
      count,
    ),
  );
  return [
    [...run.weightSteps(), ...run.biasSteps()],
    forwardSteps,
    [...backwardSteps, ...weightGradSteps, run.reduceStep()],
  ];
}

/**
 * Training on the fused path: the stored weights and biases drawn once; each pass counts its step
 * (unless it is the last), then the forward dispatch, the backward dispatch (which updates each layer
 * once its backward has read W_l: shaders/chain_update.wgsl; the last pass's only reads them), and a reduction of every slot or of
 * the loss's alone.
 */
export function fusedTrainingSteps(run: RunEncoder): TrainingSteps {
  const { config, plan } = run;
  const activation = ACTIVATIONS[config.activation];
  const { param } = run.drawnInit;
  const common = {
    N: config.width,
    BATCH: config.batch,
    ACTIVATION: activation.id,
    CHAIN_WORKGROUP: plan.partialsPerLayer,
  };
  const chain = { depth: config.depth, seed: config.seed, initParam: param };
  const training = run.trainingBuffers;
  const weights = { buffer: run.weightBuffers[0] as GPUBuffer };
  const acts = { buffer: run.actBuffers[0] as GPUBuffer };
  const targets = { buffer: run.targets };
  const biases = { buffer: run.biases };
  const grads = { buffer: run.gradBuffers[0] as GPUBuffer };
  const forward = run.compile(KERNELS.chainForwardTrain, {
    ...common,
    STORED_WEIGHTS: true,
    INPUT_ONES: config.input === "ones",
    TARGET_KIND: TARGETS.indexOf(config.target),
  });
  const backward = (record: boolean) =>
    run.compile(KERNELS.chainBackwardTrain, { ...common, ...run.optimizerConstants, STATISTICS: record });
  // The last pass takes no update: the single pass's backward kernel, on the stored weights.
  const lastBackward = run.compile(KERNELS.chainBackward, { ...common, STORED_WEIGHTS: true, TRACKED: false });
  const stepCount = { buffer: training.stepCount };
  const count = run.compile(KERNELS.trainStep, {});
  const pass = (update: boolean, record: boolean): Step[] => [
    ...(update ? [run.step(KERNELS.trainStep, count, {}, [stepCount], [1])] : []),
    run.step(
      KERNELS.chainForwardTrain,
      forward,
      { ...chain, biasSigma: config.biasSigma, biasExp: run.biasExp },
      [weights, acts, targets, biases],
      [1],
    ),
    update
      ? run.step(
          KERNELS.chainBackwardTrain,
          backward(record),
          { ...chain, targetExp: run.targetExp },
          [weights, acts, targets, grads, { buffer: training.state[0] as GPUBuffer }, biases, stepCount],
          [1],
        )
      : run.step(
          KERNELS.chainBackward,
          lastBackward,
          { ...chain, targetExp: run.targetExp },
          [weights, acts, targets, grads],
          [1],
        ),
    record ? run.reduceStep() : run.reduceSlot(plan.slotLayout.grad(config.depth)),
  ];
  return {
    init: [...run.weightSteps(), ...run.biasSteps()],
    recorded: pass(true, true),
    lossOnly: pass(true, false),
    last: pass(false, true),
  };
}
