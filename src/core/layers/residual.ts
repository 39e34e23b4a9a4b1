/**
 * The residual connection, forward next to backward (SPEC.md, "The network"):
 *
 *     a_l = a_{l-1} + α·h_l,  h_l = g(ẑ_l)          ∂ℓ/∂a_{l-1} = (through the layer) + ∂ℓ/∂a_l
 *
 * while the branch receives α·∂ℓ/∂a_l (activationBackward's factor). Tracked numerics align the two
 * terms of each sum exactly, by powers of two (addScaled).
 */
import { addScaled, type Numerics, type Tensor } from "./numerics";

/** a_l = a_{l-1} + α·h_l, rounded once per entry. */
export function residualForward(input: Tensor, alpha: number, branch: Tensor, numerics: Numerics): Tensor {
  return addScaled(input, alpha, branch, numerics);
}

/** ∂ℓ/∂a_{l-1} = the gradient through the branch (not yet rounded) + the skip's ∂ℓ/∂a_l, rounded once per entry. */
export function residualBackward(throughBranch: Tensor, gradOutput: Tensor, numerics: Numerics): Tensor {
  return addScaled(throughBranch, 1, gradOutput, numerics);
}
