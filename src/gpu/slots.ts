/**
 * Where each tensor's statistics live: one slot per tensor, three numbers each (the largest |v| as
 * float bits, the power of two its stored values are scaled by, and the reduced Σ (v / max)²), in
 * the buffers of shaders/stats.wgsl. Every GPU path and the readback (src/gpu/engine.ts) use this
 * layout; shaders/chain_*.wgsl and shaders/example_*.wgsl compute the same indices from the depth.
 *
 *     a_l            l                 l = 0..L
 *     ∂ℓ/∂a_l        L + 1 + l         l = 0..L
 *     ∂loss/∂W_l     2L + 1 + l        l = 1..L
 *     W_l            3L + 1 + l        l = 1..L   (training: before the step's update)
 *     ΔW_l           4L + 1 + l        l = 1..L   (training: the step's update)
 *     z_l            R + l − 1         l = 1..L   (layered path with norms or residuals: scale only)
 *     ∂ℓ/∂z_l        R + L + l − 1     l = 1..L   (likewise)
 *
 * The first R (3L + 2, or 5L + 2 when training) are reduced and read back; the last 2L carry a
 * tensor's scale from the kernel that writes it to the next, and have no partials.
 */
export class SlotLayout {
  constructor(
    readonly depth: number,
    /** Whether the layered path's layer kernels need the scale-only slots of z_l and ∂ℓ/∂z_l. */
    readonly scaleSlots: boolean,
    /** Whether the slots of W_l and ΔW_l exist (training's update ratio). */
    readonly training = false,
  ) {}

  act(layer: number): number {
    return layer;
  }

  grad(layer: number): number {
    return this.depth + 1 + layer;
  }

  weightGrad(layer: number): number {
    return 2 * this.depth + 1 + layer;
  }

  weight(layer: number): number {
    return 3 * this.depth + 1 + layer;
  }

  update(layer: number): number {
    return 4 * this.depth + 1 + layer;
  }

  preActivation(layer: number): number {
    return this.reported + layer - 1;
  }

  preActivationGrad(layer: number): number {
    return this.reported + this.depth + layer - 1;
  }

  /** Slots of activations and gradients, which have a tensor's partials each (the weight gradients' follow). */
  get tensorSlots(): number {
    return 2 * this.depth + 2;
  }

  /** Slots reduced and read back. */
  get reported(): number {
    return (this.training ? 5 : 3) * this.depth + 2;
  }

  /** Slots allocated. */
  get total(): number {
    return this.reported + (this.scaleSlots ? 2 * this.depth : 0);
  }
}
