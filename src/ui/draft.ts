/**
 * How one control's change edits the draft config: a field takes the value as typed; a new init
 * scheme takes back its own parameter; residual connections switched off and on again keep their α;
 * and an α of exactly 1/√L follows the depth.
 */
import { type RunConfig, residualForDepth } from "../core/config";
import { type ControlField, type DraftConfig, initParamField, isDepth } from "./gs-controls";

/** α remembered as "1/√L": it followed the depth when residual connections were switched off. */
const FOLLOWS_DEPTH = "1/√L";

/** What the draft keeps across changes. */
export class DraftMemory {
  /** The parameter each init scheme had when last left, so switching back restores it. */
  readonly initParams = new Map<unknown, unknown>();
  /** α when residual connections were last switched off; the first switch on gives 1/√L. */
  residual: unknown = FOLLOWS_DEPTH;
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
  } else if (field === "residualMode") {
    next.residual = value === "on" ? switchedOn(draft, memory, config) : switchedOff(draft, memory, config);
  } else {
    next[field] = value;
    if (field === "depth" && isDepth(value) && followsDepth(draft, config)) next.residual = residualForDepth(value);
  }
  return next;
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
