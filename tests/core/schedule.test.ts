import { describe, expect, test } from "vitest";
import { type ChainStep, chainSchedule, computations, reversibleLength } from "../../src/gpu/schedule";

/**
 * Plays a schedule on positions that remember which a_l they hold, and checks every step reads
 * what it needs: each forward step a_{l-1}, each backward step a_{l-1} and a_l, the seed a_L;
 * the seed comes once, before layers L..1 each run backward once, in that order.
 */
function play(depth: number, positions: number, steps: ChainStep[]): number {
  const fail = (what: string) => {
    throw new Error(`depth ${depth}, ${positions} positions: ${what}`);
  };
  const holds = new Array<number | null>(positions).fill(null);
  holds[0] = 0;
  const computed = new Array<number>(depth + 1).fill(0);
  let nextBackward = depth;
  let seeded = false;
  for (const step of steps) {
    if (step.kind === "forward") {
      if (holds[step.from] !== step.layer - 1) fail(`forward ${step.layer} does not read a_${step.layer - 1}`);
      if (step.to === step.from || step.to <= 0 || step.to >= positions)
        fail(`forward ${step.layer} writes ${step.to}`);
      holds[step.to] = step.layer;
      computed[step.layer] = (computed[step.layer] as number) + 1;
    } else if (step.kind === "seed") {
      if (holds[step.from] !== depth || seeded) fail("the seed does not read a_L once");
      seeded = true;
    } else {
      if (!seeded || step.layer !== nextBackward) fail(`backward ${step.layer} out of order`);
      if (holds[step.previous] !== step.layer - 1 || holds[step.current] !== step.layer) {
        fail(`backward ${step.layer} does not read a_${step.layer - 1} and a_${step.layer}`);
      }
      nextBackward--;
    }
  }
  if (nextBackward !== 0) fail(`backward stopped at layer ${nextBackward}`);
  return Math.max(...computed);
}

describe("chain schedule", () => {
  test("C(f + r, r) − 1 inner activations", () => {
    expect(reversibleLength(2, 1)).toBe(2);
    expect(reversibleLength(2, 2)).toBe(5);
    expect(reversibleLength(1, 7)).toBe(7);
    expect(reversibleLength(0, 5)).toBe(0);
    expect(reversibleLength(24, 4)).toBe(20474);
  });

  test("keeping every layer is the plain forward pass, the seed and the backward pass", () => {
    const steps = chainSchedule(3, 4);
    expect(steps).toEqual([
      { kind: "forward", layer: 1, from: 0, to: 1 },
      { kind: "forward", layer: 2, from: 1, to: 2 },
      { kind: "forward", layer: 3, from: 2, to: 3 },
      { kind: "seed", from: 3 },
      { kind: "backward", layer: 3, previous: 2, current: 3 },
      { kind: "backward", layer: 2, previous: 1, current: 2 },
      { kind: "backward", layer: 1, previous: 0, current: 1 },
    ]);
  });

  test("every depth and position count gives a valid schedule, no activation computed too often", () => {
    for (let depth = 1; depth <= 40; depth++) {
      for (let positions = 4; positions <= depth + 2; positions++) {
        const most = play(depth, positions, chainSchedule(depth, positions));
        expect(most).toBeLessThanOrEqual(computations(depth, positions));
      }
    }
    expect(computations(4096, 3)).toBe(Number.POSITIVE_INFINITY);
    expect(computations(4096, 4097)).toBe(1);
  });

  test("deep chains compute each activation as few times as the positions allow", () => {
    // SPEC's largest config in 1 GiB: 26 positions of 32 MiB, 24 of them free: C(27, 4) ≥ 4096.
    expect(computations(4096, 26)).toBe(4);
    for (const [depth, positions] of [
      [4096, 26],
      [300, 20],
      [300, 5],
      [200, 4],
      [1000, 40],
    ] as const) {
      const steps = chainSchedule(depth, positions);
      expect(play(depth, positions, steps)).toBeLessThanOrEqual(computations(depth, positions));
      const forwardSteps = steps.filter((step) => step.kind === "forward").length;
      expect(forwardSteps).toBeLessThanOrEqual(depth * computations(depth, positions));
    }
  });

  test("too few positions are refused", () => {
    expect(() => chainSchedule(10, 3)).toThrow(/at least 4 positions, got 3/);
  });
});
