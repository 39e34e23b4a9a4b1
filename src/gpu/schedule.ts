/**
 * The order of a layered run's forward and backward steps when only `positions` activations fit in
 * memory: binomial checkpointing (Griewank's "revolve", in the form where a segment whose inner
 * activations fit is simply stored). Position 0 holds a_0; the last position is a scratch buffer
 * for sweeps that only pass through layers; the rest hold checkpoints and segments. With f free
 * positions and every activation computed at most r times, a segment of up to C(f + r, r) − 1
 * inner activations can be reversed, so memory grows like L^(1/r) rather than L.
 */

/** One step: a_l from a_{l-1}; the seed ∂ℓ/∂a_L from a_L; or layer l's backward step. */
export type ChainStep =
  | { kind: "forward"; layer: number; from: number; to: number }
  | { kind: "seed"; from: number }
  | { kind: "backward"; layer: number; previous: number; current: number };

/** C(f + r, r) − 1: inner activations reversible with f free positions, each computed ≤ r times. */
export function reversibleLength(free: number, computations: number): number {
  let binomial = 1;
  for (let i = 1; i <= computations; i++) binomial = (binomial * (free + i)) / i;
  return Math.round(binomial) - 1;
}

/** Fewest positions (a_0, scratch and at least two free) a checkpointed schedule needs. */
export const MIN_CHECKPOINT_POSITIONS = 4;

/**
 * The steps of a run of `depth` layers with `positions` activation buffers. With depth + 1 or more
 * every a_l is kept at position l: the plain forward pass, the seed, the backward pass.
 */
export function chainSchedule(depth: number, positions: number): ChainStep[] {
  const steps: ChainStep[] = [];
  const at = new Map<number, number>([[0, 0]]);
  const forward = (layer: number, to: number) => {
    steps.push({ kind: "forward", layer, from: at.get(layer - 1) as number, to });
    at.set(layer, to);
  };
  const backward = (layer: number) =>
    steps.push({ kind: "backward", layer, previous: at.get(layer - 1) as number, current: at.get(layer) as number });

  if (positions >= depth + 1) {
    for (let l = 1; l <= depth; l++) forward(l, l);
    steps.push({ kind: "seed", from: depth });
    for (let l = depth; l >= 1; l--) backward(l);
    return steps;
  }
  if (positions < MIN_CHECKPOINT_POSITIONS) {
    throw new Error(`a checkpointed run needs at least ${MIN_CHECKPOINT_POSITIONS} positions, got ${positions}`);
  }
  const scratch = positions - 1;
  const top = depth + 1; // the seed acts as layer L + 1's backward step

  // Reverses layers j..i+1 (the seed first when j is the top) given a_i, and a_j unless j is the top.
  const reverse = (i: number, j: number, free: number[]) => {
    const inner = j - i - 1;
    if (inner <= free.length) {
      for (let l = i + 1; l < j; l++) forward(l, free[l - i - 1] as number);
      if (j === top) steps.push({ kind: "seed", from: at.get(depth) as number });
      for (let l = Math.min(j, depth); l > i; l--) backward(l);
      return;
    }
    const f = free.length;
    // Once the right part is done the left part has f − 1 free positions at the top (a_m's is
    // taken) and f below it (a_j's comes back). At the top the right part is a top part again,
    // which can reverse C(f − 1 + r, r) = reversibleLength(f − 2, r) + 1 inner activations.
    const atTop = j === top;
    const leftCap = (r: number) => reversibleLength(atTop ? f - 1 : f, r - 1);
    const rightCap = (r: number) => (atTop ? reversibleLength(f - 2, r) + 1 : reversibleLength(f - 1, r));
    let r = 1;
    while (leftCap(r) + 1 + rightCap(r) < inner) {
      if (++r > depth + 1) throw new Error(`no schedule for ${inner} layers with ${f} free positions`);
    }
    const rightInner = Math.min(inner - 1, rightCap(r));
    const m = j - rightInner - 1;
    const [checkpoint, ...rest] = free as [number, ...number[]];
    // Sweep a_{i+1}..a_m alternating between the scratch and the checkpoint, ending on the latter.
    for (let l = i + 1; l <= m; l++) forward(l, (m - l) % 2 === 0 ? checkpoint : scratch);
    reverse(m, j, rest);
    reverse(i, m, atTop ? rest : [...rest, at.get(j) as number]);
  };
  reverse(
    0,
    top,
    Array.from({ length: positions - 2 }, (_, k) => k + 1),
  );
  return steps;
}

/**
 * Most times chainSchedule(depth, positions) computes any one activation: 1 when every layer is
 * kept, else the least r with C(f − 1 + r, r) ≥ depth for f = positions − 2 free positions. The
 * run's forward steps are at most depth times this.
 */
export function computations(depth: number, positions: number): number {
  if (positions >= depth + 1) return 1;
  if (positions < MIN_CHECKPOINT_POSITIONS) return Number.POSITIVE_INFINITY;
  const f = positions - 2;
  let r = 1;
  let binomial = f; // C(f − 1 + r, r)
  while (binomial < depth) {
    r++;
    binomial = (binomial * (f - 1 + r)) / r;
  }
  return r;
}
