/**
 * How one control's change edits the draft config: a field takes the value as typed; a new init
 * scheme takes back its own parameter; residual connections switched off and on again keep their α;
 * an α of exactly 1/√L follows the depth; a new optimizer takes back its own extras; and a point
 * picked on the phase diagram is three such changes.
 */
import {
  DEFAULT_TRAINING,
  OPTIMIZER_EXTRAS,
  type RunConfig,
  residualForDepth,
  TRAIN_DEFAULTS,
  trainFields,
} from "../core/config";
import type { DiagramPoint } from "../core/theory-reading";
import { type ControlField, type DraftConfig, initParamField, isDepth } from "./gs-controls";

/** α remembered as "1/√L": it followed the depth when residual connections were switched off. */
const FOLLOWS_DEPTH = "1/√L";

/** What the draft keeps across changes. */
export class DraftMemory {
  /** The parameter each init scheme had when last left, so switching back restores it. */
  readonly initParams = new Map<unknown, unknown>();
  /** α when residual connections were last switched off; the first switch on gives 1/√L. */
  residual: unknown = FOLLOWS_DEPTH;
  /** The extras each optimizer had when last left (momentum's μ, Adam's β₁, β₂, ε), so switching back restores them. */
  readonly optimizerExtras = new Map<unknown, Record<string, unknown>>();
}

/** The draft of a config: its fields as the controls edit them, its training as its fewest fields (trainFields). */
export function toDraft(config: RunConfig): DraftConfig {
  const { train, ...single } = structuredClone(config);
  return (train ? { ...single, train: trainFields(train) } : single) as unknown as DraftConfig;
}

/**
 * The draft as the config to run is checked from: without its training in tracked numerics, which
 * cannot train (the training waits in the draft until numerics is a format again: float32, float16, bfloat16).
 */
export function trainableDraft(draft: DraftConfig): DraftConfig {
  if (draft.numerics !== "tracked" || draft.train === undefined) return draft;
  const { train: _, ...single } = draft;
  return single as DraftConfig;
}

/** Whether the draft's α follows the depth: it equals 1/√L of the last valid depth exactly. */
export function followsDepth(draft: DraftConfig, config: RunConfig): boolean {
  return draft.residual === residualForDepth(config.depth);
}

/**
 * The draft with one field changed (`config` is the last valid config). A new init scheme takes the
 * parameter it had when last chosen, else the old scheme's when they take the same kind, else 1. A
 * new valid depth moves an α that follows the depth to 1/√ of the new depth.
 */
export function applyChange(
  draft: DraftConfig,
  field: ControlField,
  value: unknown,
  memory: DraftMemory,
  config: RunConfig,
): DraftConfig {
  const next = structuredClone(draft);
  if (field === "init.scheme") {
    const oldParam = initParamField(draft.init.scheme).slice(5);
    const newParam = initParamField(value).slice(5);
    memory.initParams.set(draft.init.scheme, draft.init[oldParam]);
    const carried = oldParam === newParam ? draft.init[oldParam] : 1;
    next.init = { scheme: value, [newParam]: memory.initParams.get(value) ?? carried };
  } else if (field.startsWith("init.")) {
    next.init[field.slice(5)] = value;
  } else if (field.startsWith("train.")) {
    next.train = trainingChange(draft, field.slice(6), value, memory);
  } else if (field === "residualMode") {
    next.residual = value === "on" ? switchedOn(draft, memory, config) : switchedOff(draft, memory, config);
  } else {
    next[field] = value;
    if (field === "depth" && isDepth(value) && followsDepth(draft, config)) next.residual = residualForDepth(value);
  }
  return next;
}

/**
 * The draft moved to a point of the phase diagram: Gaussian weights N(0, σ_w²/n) and biases N(0, σ_b²),
 * as the init scheme, σ and bias σ controls would set them (the old scheme's parameter is remembered).
 */
export function applyDiagramPoint(
  draft: DraftConfig,
  point: DiagramPoint,
  memory: DraftMemory,
  config: RunConfig,
): DraftConfig {
  const gaussian = applyChange(draft, "init.scheme", "gaussian", memory, config);
  const weighted = applyChange(gaussian, "init.sigma", point.sigmaW, memory, config);
  return applyChange(weighted, "biasSigma", point.sigmaB, memory, config);
}

/** α once residual connections are on: the remembered one, or 1/√L of the draft's depth (else the last valid one). */
function switchedOn(draft: DraftConfig, memory: DraftMemory, config: RunConfig): unknown {
  if (draft.residual !== null) return draft.residual;
  if (memory.residual !== FOLLOWS_DEPTH) return memory.residual;
  return residualForDepth(isDepth(draft.depth) ? draft.depth : config.depth);
}

/** null, remembering α (or that it followed the depth) for the next switch on. */
function switchedOff(draft: DraftConfig, memory: DraftMemory, config: RunConfig): null {
  if (followsDepth(draft, config)) memory.residual = FOLLOWS_DEPTH;
  else if (typeof draft.residual === "number") memory.residual = draft.residual;
  return null;
}

/**
 * The draft's training with one field changed (DEFAULT_TRAINING's where the draft has none yet): a
 * new optimizer leaves the old one's extras behind (remembered) and takes back its own.
 */
function trainingChange(draft: DraftConfig, key: string, value: unknown, memory: DraftMemory): Record<string, unknown> {
  const train: Record<string, unknown> = {
    ...((draft.train as Record<string, unknown> | undefined) ?? DEFAULT_TRAINING),
  };
  if (key !== "optimizer") return { ...train, [key]: value };
  const old = train.optimizer ?? TRAIN_DEFAULTS.optimizer;
  const kept: Record<string, unknown> = {};
  for (const [extra, owner] of Object.entries(OPTIMIZER_EXTRAS)) {
    if (owner === old && train[extra] !== undefined) kept[extra] = train[extra];
    delete train[extra];
  }
  memory.optimizerExtras.set(old, kept);
  return { ...train, optimizer: value, ...memory.optimizerExtras.get(value) };
}
