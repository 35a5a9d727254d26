/**
 * k-nearest-neighbour classification by brute force: Euclidean distance on the (standardised)
 * input (nearestNeighbors, lib/data/neighbors.ts), uniform votes, class probabilities = vote
 * fractions.
 * @module
 */
import { nearestNeighbors } from "../data/neighbors.ts";

/** Options of {@link fitKnn}; defaults in brackets. */
export interface KnnOptions {
  /** Neighbours voting [15]. */
  k?: number;
}

/** A fitted kNN classifier (it keeps a copy of the training rows). */
export interface KnnModel {
  k: number;
  /** Vote fractions [n x nClasses] of rows `x` [n x d]. */
  predictProba(x: Float32Array, n: number): Float32Array;
}

/**
 * kNN classifier over rows `x` [n x d] with classes `y` in [0, nClasses) (taken as checked; see
 * `fitClassifier`). Predicting the argmax of the vote fractions breaks ties by the lowest class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitKnn } from "./knn.ts";
 * const x = Float32Array.from([0, 1, 2, 10, 11]), y = Int32Array.from([0, 0, 1, 1, 1]);
 * const p = fitKnn(x, 5, 1, y, 2, { k: 3 }).predictProba(Float32Array.from([0.5]), 1);
 * assert.equal(p[0], Math.fround(2 / 3));
 * assert.equal(p[1], Math.fround(1 / 3));
 * ```
 */
export function fitKnn(
  x: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  nClasses: number,
  options: KnnOptions = {},
): KnnModel {
  const k = options.k ?? 15;
  nearestNeighbors(x, n, new Float32Array(0), 0, d, k); // checks k now, not at predict time
  const train = x.slice(0, n * d), labels = y.slice(0, n);
  return {
    k,
    predictProba(xs: Float32Array, m: number): Float32Array {
      const { indices } = nearestNeighbors(train, n, xs, m, d, k);
      const out = new Float32Array(m * nClasses);
      for (let i = 0; i < m; i++) {
        const votes = new Int32Array(nClasses);
        for (let r = 0; r < k; r++) votes[labels[indices[i * k + r]]]++;
        for (let c = 0; c < nClasses; c++) out[i * nClasses + c] = votes[c] / k;
      }
      return out;
    },
  };
}
