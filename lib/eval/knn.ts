/**
 * k-nearest-neighbour classification by brute force: Euclidean distance on the (standardised)
 * input, uniform votes, class probabilities = vote fractions.
 * @module
 */
import { OptionError } from "../runtime/errors.ts";

/** Query rows processed together: their neighbour lists stay in cache while train rows stream. */
const QUERY_BLOCK = 64;

/**
 * The k nearest `train` rows [nTrain x d] of each `query` row [nQuery x d] by squared Euclidean
 * distance, nearest first; equal distances go to the lower train index. Returns indices and
 * squared distances, [nQuery x k] row-major.
 *
 * @example
 * ```ts
 * const train = Float32Array.from([0, 10, 3, 1]);
 * const { indices, distances } = nearestNeighbors(train, 4, Float32Array.from([2]), 1, 1, 2);
 * console.assert(indices.join() === "2,3" && distances.join() === "1,1");
 * ```
 */
export function nearestNeighbors(
  train: Float32Array,
  nTrain: number,
  query: Float32Array,
  nQuery: number,
  d: number,
  k: number,
): { indices: Int32Array; distances: Float64Array } {
  if (!(Number.isInteger(k) && k >= 1 && k <= nTrain)) {
    throw new OptionError(`k = ${k} neighbours from ${nTrain} training cells`, {
      field: "k",
      fix: `use an integer k in [1, ${nTrain}]`,
    });
  }
  const indices = new Int32Array(nQuery * k), distances = new Float64Array(nQuery * k);
  const filled = new Int32Array(QUERY_BLOCK);
  for (let q0 = 0; q0 < nQuery; q0 += QUERY_BLOCK) {
    const q1 = Math.min(nQuery, q0 + QUERY_BLOCK);
    filled.fill(0);
    for (let t = 0; t < nTrain; t++) {
      const tBase = t * d;
      for (let q = q0; q < q1; q++) {
        const base = q * k, count = filled[q - q0];
        const worst = count === k ? distances[base + k - 1] : Infinity;
        const qBase = q * d;
        let dist = 0;
        // Terms are non-negative, so once the partial sum reaches `worst` the row cannot enter
        // (a tie keeps the lower index, already in the list).
        for (let j = 0; j < d && dist < worst; j++) {
          const diff = query[qBase + j] - train[tBase + j];
          dist += diff * diff;
        }
        if (dist >= worst) continue;
        // Insert after every entry with distance <= dist (lower indices win ties).
        let pos = count === k ? k - 1 : count;
        while (pos > 0 && distances[base + pos - 1] > dist) {
          distances[base + pos] = distances[base + pos - 1];
          indices[base + pos] = indices[base + pos - 1];
          pos--;
        }
        distances[base + pos] = dist;
        indices[base + pos] = t;
        if (count < k) filled[q - q0]++;
      }
    }
  }
  return { indices, distances };
}

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
 * const x = Float32Array.from([0, 1, 2, 10, 11]), y = Int32Array.from([0, 0, 1, 1, 1]);
 * const p = fitKnn(x, 5, 1, y, 2, { k: 3 }).predictProba(Float32Array.from([0.5]), 1);
 * console.assert(p[0] === Math.fround(2 / 3) && p[1] === Math.fround(1 / 3));
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
