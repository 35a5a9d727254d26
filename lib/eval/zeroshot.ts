/**
 * The zero-shot kNN protocol of docs/methods.md §4.4 (DenAdel et al.): embed every cell, split the
 * cells 50/50 at random (a stored, seeded split), classify the second half by its 5 nearest
 * Euclidean neighbours in the first (uniform votes), and report micro-F1 (= accuracy), macro-F1,
 * macro precision and macro recall. Baseline embeddings: HVG (normalise to 1e4, log1p, seurat
 * HVGs, scale) and PCA of it, both fitted on the evaluation cells themselves.
 * @module
 */
import type { Dataset, DenseMatrix } from "../data/dataset.ts";
import { pca } from "../data/pca.ts";
import { applyPreprocess, fitPreprocess } from "../data/preprocess.ts";
import { randomSplit, type Split } from "../data/split.ts";
import { OptionError, ShapeMismatchError } from "../runtime/errors.ts";
import { takeRows } from "../data/transform.ts";
import { fitKnn } from "./knn.ts";
import { argmaxRows, classificationReport } from "../metrics/classification.ts";

/** Cells x dim embedding, row-major. */
export interface CellEmbedding {
  x: Float32Array;
  dim: number;
}

/** What {@link zeroShotKnn} reports (sklearn conventions, `labels=None`, zero_division=0). */
export interface ZeroShotMetrics {
  /** Micro-F1 over the labelled query cells: equal to accuracy for single-label data. */
  microF1: number;
  /** Means over the classes present among the query cells' true or predicted labels. */
  macroF1: number;
  macroPrecision: number;
  macroRecall: number;
  /** Labelled reference (first half) and query (second half) cells used. */
  nReference: number;
  nQuery: number;
}

/**
 * The protocol's split of n cells: a seeded random half as reference (`train`), the other half
 * as queries (`test`), `val` empty. Store it (splitToJSON): the reference passes no seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zeroShotSplit } from "yoto";
 * const s = zeroShotSplit(11, 3);
 * assert.equal(s.train.length + s.test.length, 11);
 * assert.equal(s.val.length, 0);
 * assert.equal(Math.abs(s.train.length - s.test.length), 1);
 * ```
 */
export function zeroShotSplit(n: number, seed = 0): Split {
  return randomSplit(n, { train: 0.5, val: 0, test: 0.5, seed });
}

/**
 * kNN (k = 5, Euclidean, uniform votes; a tie goes to the lowest class code) from the reference
 * cells `split.train` to the query cells `split.test` of `embedding`, scored against `labels`
 * (codes, -1 = missing: such cells neither vote nor are scored).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomSplit, zeroShotKnn } from "yoto";
 * // two clusters on a line; reference 0-3, queries 4-5
 * const x = Float32Array.of(0, 1, 10, 11, 0.5, 10.5);
 * const split = { ...randomSplit(6), train: Int32Array.of(0, 1, 2, 3), val: new Int32Array(0), test: Int32Array.of(4, 5) };
 * const m = zeroShotKnn({ x, dim: 1 }, { codes: Int32Array.of(0, 0, 1, 1, 0, 1), categories: ["a", "b"] }, split, { k: 1 });
 * assert.equal(m.microF1, 1);
 * assert.equal(m.macroF1, 1);
 * ```
 */
export function zeroShotKnn(
  embedding: CellEmbedding,
  labels: { codes: Int32Array; categories: string[] },
  split: Split,
  options: { k?: number } = {},
): ZeroShotMetrics {
  const { x, dim } = embedding;
  const n = labels.codes.length;
  if (!(Number.isInteger(dim) && dim >= 1) || x.length !== n * dim || split.nCells !== n) {
    throw new ShapeMismatchError(
      `embedding of ${x.length} values (dim ${dim}), ${n} labels, split of ${split.nCells} cells`,
      { field: "embedding", fix: "embed, label and split the same cells" },
    );
  }
  const reference = Array.from(split.train).filter((i) => labels.codes[i] >= 0);
  const query = Array.from(split.test).filter((i) => labels.codes[i] >= 0);
  if (reference.length === 0 || query.length === 0) {
    throw new OptionError(
      `${reference.length} labelled reference and ${query.length} labelled query cells`,
      { field: "labels", fix: "give labels to cells in both halves of the split" },
    );
  }
  const nClasses = labels.categories.length;
  const yRef = Int32Array.from(reference, (i) => labels.codes[i]);
  const knn = fitKnn(takeRows(x, dim, reference), reference.length, dim, yRef, nClasses, {
    k: options.k ?? 5,
  });
  const votes = knn.predictProba(takeRows(x, dim, query), query.length);
  const predicted = argmaxRows(votes, query.length, nClasses);
  const truth = Int32Array.from(query, (i) => labels.codes[i]);
  const report = classificationReport(truth, predicted, nClasses);
  // sklearn's labels=None: average over classes among the true or predicted labels.
  const present = report.perClass.filter((c, j) =>
    c.support > 0 || report.confusion.some((row) => row[j] > 0)
  );
  const mean = (f: (c: (typeof present)[number]) => number) =>
    present.reduce((s, c) => s + f(c), 0) / present.length;
  return {
    microF1: report.accuracy,
    macroF1: report.macroF1,
    macroPrecision: mean((c) => c.precision),
    macroRecall: mean((c) => c.recall),
    nReference: reference.length,
    nQuery: query.length,
  };
}

/** Options of the baseline embeddings; defaults in brackets. */
export interface BaselineEmbeddingOptions {
  /** Seurat HVGs kept [2000]. */
  nTopGenes?: number;
  /** Library size cells are normalised to [1e4, scanpy's normalize_per_cell(1e4)]. */
  targetSum?: number;
}

/**
 * The HVG embedding: normalise each cell to 1e4, log1p, the top seurat HVGs, scale (zero mean,
 * unit variance, unclipped), all fitted on `ds` itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate, zeroShotHvg } from "yoto";
 * const { dataset } = simulate({ nCells: 50, nGenes: 80, seed: 1 });
 * const e = zeroShotHvg(dataset, { nTopGenes: 10 });
 * assert.equal(e.dim, 10);
 * assert.equal(e.x.length, 500);
 * ```
 */
export function zeroShotHvg(ds: Dataset, options: BaselineEmbeddingOptions = {}): CellEmbedding {
  const params = fitPreprocess(ds, {
    normalize: { targetSum: options.targetSum ?? 1e4 },
    hvg: { nTopGenes: options.nTopGenes ?? 2000, flavor: "seurat" },
    scale: true,
  });
  const out = applyPreprocess(ds, params);
  // scaled with zero-centring: already dense, no copy needed
  return { x: (out.X as DenseMatrix).data, dim: out.nGenes };
}

/** Options of {@link embeddingPca}; defaults in brackets. */
export interface EmbeddingPcaOptions {
  /** Principal components kept [50]. */
  nComponents?: number;
  /** Seed of the randomized PCA [0]. */
  seed?: number;
}

/**
 * The PCA embedding: the first `nComponents` [50] principal components of the HVG embedding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate, zeroShotPca } from "yoto";
 * const { dataset } = simulate({ nCells: 50, nGenes: 80, seed: 1 });
 * const e = zeroShotPca(dataset, { nTopGenes: 10, nComponents: 3 });
 * assert.equal(e.dim, 3);
 * assert.equal(e.x.length, 150);
 * ```
 */
export function zeroShotPca(
  ds: Dataset,
  options: BaselineEmbeddingOptions & EmbeddingPcaOptions = {},
): CellEmbedding {
  return embeddingPca(zeroShotHvg(ds, options), options);
}

/**
 * The first `nComponents` [50] principal components of an embedding's cells: {@link zeroShotPca}
 * of an HVG embedding already at hand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { embeddingPca } from "yoto";
 * const e = embeddingPca({ x: Float32Array.of(0, 0, 1, 2, 2, 4, 3, 6), dim: 2 }, { nComponents: 1 });
 * assert.equal(e.dim, 1);
 * assert.equal(e.x.length, 4);
 * ```
 */
export function embeddingPca(e: CellEmbedding, options: EmbeddingPcaOptions = {}): CellEmbedding {
  const r = pca(e.x, e.x.length / e.dim, e.dim, {
    nComponents: options.nComponents ?? 50,
    seed: options.seed ?? 0,
  });
  return { x: r.coords, dim: r.nComponents };
}
