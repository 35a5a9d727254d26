/**
 * Exact nearest neighbours by brute force (squared Euclidean distance), shared by the kNN
 * classifier and recall's SNN graph.
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
 * import assert from "node:assert/strict";
 * import { nearestNeighbors } from "./neighbors.ts";
 * const train = Float32Array.from([0, 10, 3, 1]);
 * const { indices, distances } = nearestNeighbors(train, 4, Float32Array.from([2]), 1, 1, 2);
 * assert.equal(indices.join(), "2,3");
 * assert.equal(distances.join(), "1,1");
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
