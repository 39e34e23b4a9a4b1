/**
 * Orthogonal weights computed in Web Workers (src/gpu/orthogonal.ts), in the browser: the same bits
 * as core's layerWeights rounded to float32, every layer once, and an abort that ends them at once.
 */
import { describe, expect, test } from "vitest";
import { validateConfig } from "../../src/core/config";
import { layerWeights } from "../../src/core/init";
import { forEachOrthogonalLayer } from "../../src/gpu/orthogonal";

describe("orthogonal weights off the main thread", () => {
  test("every layer comes once, bit for bit core's layerWeights in float32, rows at the stride", async () => {
    const { init, seed } = validateConfig({ init: { scheme: "orthogonal", gain: 1.3 }, seed: 11 });
    const n = 33;
    const stride = 36;
    const layers = new Map<number, Float32Array>();
    await forEachOrthogonalLayer({ init, n, seed, depth: 7, stride }, (layer, rows) => layers.set(layer, rows));
    expect([...layers.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const [layer, rows] of layers) {
      const want = Float32Array.from(layerWeights(init, n, seed, layer));
      const got = new Float32Array(n * n);
      for (let i = 0; i < n; i++) got.set(rows.subarray(i * stride, i * stride + n), i * n);
      expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
      for (let i = 0; i < n; i++) expect([...rows.subarray(i * stride + n, (i + 1) * stride)]).toEqual([0, 0, 0]);
    }
  });

  test("an abort rejects with its reason at once, even in the middle of a layer of width 1024", async () => {
    const { init, seed } = validateConfig({ init: { scheme: "orthogonal" } });
    const controller = new AbortController();
    const uses: number[] = [];
    const work = forEachOrthogonalLayer(
      { init, n: 1024, seed, depth: 4, stride: 1024 },
      (layer) => uses.push(layer),
      controller.signal,
    ).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reason = new Error("the user moved on");
    controller.abort(reason);
    expect(await work).toBe(reason);
    expect(uses).toEqual([]);
    expect(
      await forEachOrthogonalLayer(
        { init, n: 8, seed, depth: 2, stride: 8 },
        () => {},
        AbortSignal.abort(reason),
      ).catch((error: unknown) => error),
    ).toBe(reason);
  });
});
