// Informational candidate for the rewrite term (issue 15, h2): the same fit as REWRITE_MODEL with the
// smallest penalty of the grid (λ 0.003), which leave-one-repository-out on the development histories
// rejected (233 of 370 against 238 for the model alone). Scored on the held-out repositories in the same
// run as the chosen one, to see whether the development verdict transfers; never a shipping candidate.
import type { RewriteModel } from "../src/commit/generate/rewrites.js";
import { REWRITE_FEATURES } from "../src/commit/generate/rewrite-weights.js";

export const WEAK_PENALTY: RewriteModel = {
  features: [...REWRITE_FEATURES],
  weights: {
    feat: [
      -1.067, 0.11, 0.174, 0.419, -0.172, 0.053, 0.159, 0.323, 0.179, -0.147, 0.567, 0.301, -0.407, -0.319, -0.081,
      0.094, 0.158, 0.76,
    ],
    fix: [
      -0.599, 0.066, 0.722, 0.268, 0.19, 0.721, 0.117, 0.09, -0.393, -0.071, -0.9, -0.984, -0.234, 0.108, 0.109, 0.012,
      -0.282, -0.194,
    ],
    refactor: [
      -0.639, -0.588, 0.207, -0.161, 0.409, -0.407, 0.535, -0.173, 0.595, -0.616, -0.355, -0.648, -0.366, 0.192, 0.046,
      -0.483, 0.981, -0.193,
    ],
  },
};
