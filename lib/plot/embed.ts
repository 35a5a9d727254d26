/**
 * 2-D views of cells: PCA of a panel's values.
 * @module
 */
import { pcaFloat64 } from "../data/pca.ts";
import { OptionError } from "../runtime/errors.ts";

/** Result of {@link pcaEmbedding}. */
export interface Pca {
  /** [n x dims] row-major: each cell's coordinates on the principal components. */
  coords: Float64Array;
  /** [dims x d] row-major: unit loading vectors, largest-|loading| entry of each positive. */
  components: Float64Array;
  /** Variance along each component (n - 1 divisor). */
  variance: number[];
  /** Each component's share of the total variance. */
  explainedVarianceRatio: number[];
}

/**
 * PCA of the rows of `x` ([n x d] row-major, e.g. the z-scored panel genes from `applyInput`):
 * columns are centred (not scaled: pass standardised values for a correlation PCA); exact for
 * panels (see `pca` in lib/data/pca.ts, which this wraps), each component's largest-|loading|
 * entry positive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pcaEmbedding } from "yoto";
 * // points on the line y = 2x: PC1 is (1, 2)/sqrt(5) and carries all the variance
 * const pca = pcaEmbedding(Float32Array.of(0, 0, 1, 2, 2, 4, 3, 6), 4, 2);
 * assert.ok(Math.abs(pca.components[1] - 2 / Math.sqrt(5)) < 1e-9);
 * assert.ok(Math.abs(pca.explainedVarianceRatio[0] - 1) < 1e-9);
 * ```
 */
export function pcaEmbedding(x: ArrayLike<number>, n: number, d: number, dims = 2): Pca {
  if (!Number.isInteger(dims) || dims < 1 || (Number.isInteger(d) && dims > d)) {
    throw new OptionError(`dims must be an integer in [1, ${d}], got ${dims}`, { field: "dims" });
  }
  const r = pcaFloat64(x, n, d, { nComponents: dims });
  return {
    coords: r.coords,
    components: r.components,
    variance: Array.from(r.variance),
    explainedVarianceRatio: Array.from(r.explainedVarianceRatio),
  };
}
