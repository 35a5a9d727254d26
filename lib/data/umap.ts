/**
 * UMAP of cells (McInnes et al. 2018) by umap-js, the PAIR-code port of umap-learn, on exact
 * nearest neighbours and seeded with the project's Rng: the same values and seed give the same
 * layout on every machine.
 * @module
 */
import { UMAP } from "umap-js";
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";
import { nearestNeighbors } from "./neighbors.ts";

/** Options of {@link umap}. */
export interface UmapOptions {
  /** Neighbours of each cell, itself included [15, as scanpy's `pp.neighbors`]. */
  nNeighbors?: number;
  /** How tightly points may pack in the layout [0.5, as scanpy's `tl.umap`]. */
  minDist?: number;
  /** Optimisation epochs [umap-js: 500 up to 2,500 cells, 400, 300, then 200 above 7,500]. */
  nEpochs?: number;
  /** Seed of the initial layout and the negative samples [0]. */
  seed?: number;
}

/**
 * 2-D UMAP of the rows of `x` ([n x d] row-major, e.g. principal components or z-scored panel
 * genes): the fuzzy neighbour graph from the exact `nNeighbors` nearest rows (Euclidean), laid
 * out by umap-js's stochastic gradient descent. Returns [n x 2] row-major coordinates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { umap } from "./umap.ts";
 * // two tight groups of 10 points, far apart in 3 dimensions
 * const x = Float32Array.from({ length: 60 }, (_, i) => (i < 30 ? 0 : 50) + (i % 7) / 7);
 * const a = umap(x, 20, 3, { nNeighbors: 5, nEpochs: 50, seed: 1 });
 * assert.equal(a.length, 40);
 * assert.deepEqual(a, umap(x, 20, 3, { nNeighbors: 5, nEpochs: 50, seed: 1 }));
 * ```
 */
export function umap(
  x: ArrayLike<number>,
  n: number,
  d: number,
  options: UmapOptions = {},
): Float32Array {
  if (!Number.isInteger(n) || !Number.isInteger(d) || d < 1 || x.length !== n * d) {
    throw new ShapeMismatchError(`${x.length} values do not make ${n} cells x ${d} columns`, {
      field: "x",
      fix: "pass row-major [cells x columns] values",
    });
  }
  const k = options.nNeighbors ?? 15;
  if (!(Number.isInteger(k) && k >= 2 && k < n)) {
    throw new OptionError(`nNeighbors = ${k} for ${n} cells`, {
      field: "nNeighbors",
      fix: `use an integer in [2, ${n - 1}], or pass more cells`,
    });
  }
  const minDist = options.minDist ?? 0.5;
  if (!(minDist >= 0 && minDist <= 1)) {
    throw new OptionError(`minDist must lie in [0, 1], got ${minDist}`, { field: "minDist" });
  }
  // 0 tells umap-js to choose by size
  const nEpochs = options.nEpochs ?? 0;
  if (options.nEpochs !== undefined && !(Number.isInteger(nEpochs) && nEpochs >= 1)) {
    throw new OptionError(`nEpochs must be an integer >= 1, got ${nEpochs}`, {
      field: "nEpochs",
    });
  }
  const values = Float32Array.from(x);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new DataValueError(`cell ${Math.floor(bad / d)} holds ${x[bad]}`, {
      field: "x",
      fix: "remove or impute non-finite values first",
    });
  }
  // Exact neighbours (umap-js's own are approximate, NN-descent): the self match comes first.
  const knn = nearestNeighbors(values, n, values, n, d, k);
  const rows = (i: number) => Array.from(values.subarray(i * d, (i + 1) * d));
  const indices: number[][] = [], distances: number[][] = [];
  for (let i = 0; i < n; i++) {
    indices.push(Array.from(knn.indices.subarray(i * k, (i + 1) * k)));
    distances.push(Array.from(knn.distances.subarray(i * k, (i + 1) * k), Math.sqrt));
  }
  const rng = new Rng(options.seed ?? 0);
  const model = new UMAP({
    nComponents: 2,
    nNeighbors: k,
    minDist,
    nEpochs,
    random: () => rng.uniform(),
  });
  model.setPrecomputedKNN(indices, distances);
  const embedding = model.fit(Array.from({ length: n }, (_, i) => rows(i)));
  return Float32Array.from(embedding.flat());
}
