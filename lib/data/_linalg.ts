/**
 * Small dense linear algebra shared by PCA, embeddings and kernel spectra.
 * @module
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";

/**
 * Eigen-decomposition of a symmetric [d x d] matrix (row-major): eigenvalues and eigenvectors as
 * the columns of `vectors` (row-major). ml-matrix's Householder tridiagonalisation + QL (JAMA's
 * tred2/tql2): 1.5-20x faster than cyclic Jacobi for d = 16..500, with smaller residuals
 * (docs/libraries.md). `a` is left as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { symmetricEigen } from "./_linalg.ts";
 * const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
 * assert.deepEqual(Array.from(values, (v) => Math.round(v * 1e12) / 1e12).sort(), [1, 3]);
 * const k = values[0] > values[1] ? 0 : 1; // (1, 1)/sqrt(2) belongs to 3
 * assert.ok(Math.abs(Math.abs(vectors[k]) - Math.SQRT1_2) < 1e-12);
 * assert.ok(Math.abs(vectors[k] - vectors[2 + k]) < 1e-12);
 * ```
 */
export function symmetricEigen(
  a: Float64Array,
  d: number,
): { values: Float64Array; vectors: Float64Array } {
  const m = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m.set(i, j, a[i * d + j]);
  const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const v = eig.eigenvectorMatrix, vectors = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) vectors[i * d + j] = v.get(i, j);
  return { values: Float64Array.from(eig.realEigenvalues), vectors };
}
