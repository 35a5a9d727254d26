/**
 * scanpy-style preprocessing (`pp`): total-count normalisation, log1p, scaling, gene and cell
 * filters, count checks, and preprocessing parameters learned on a training set and re-applied
 * unchanged to validation, test or new data.
 *
 * Everything works on CSR without densifying (scaling with zero-centring is dense by nature),
 * accumulates in float64, and returns new Datasets; inputs are never modified. Where scanpy
 * computes in float32 (its matrices are float32) the float32 roundings are reproduced with
 * `Math.fround`, so results match scanpy to the last bit or nearly.
 * @module
 */
import { Dataset, type ExpressionMatrix } from "./dataset.ts";
import { highlyVariableGenes, type HvgFlavor } from "./hvg.ts";
import { cellStats, checkCounts, geneStats } from "./stats.ts";
import {
  DataValueError,
  MissingFieldError,
  OptionError,
  ShapeMismatchError,
} from "../runtime/errors.ts";

const f32 = Math.fround;

/** A new matrix of the same shape and sparsity with every stored value mapped (indices shared). */
function mapValues(
  X: ExpressionMatrix,
  fn: (v: number, row: number, col: number) => number,
): ExpressionMatrix {
  if (X.kind === "csr") {
    const values = new Float32Array(X.values.length);
    for (let i = 0; i < X.nRows; i++) {
      for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) {
        values[p] = fn(X.values[p], i, X.indices[p]);
      }
    }
    return { ...X, values };
  }
  const data = new Float32Array(X.data.length), g = X.nCols;
  for (let i = 0; i < X.nRows; i++) {
    for (let j = 0, o = i * g; j < g; j++) data[o + j] = fn(X.data[o + j], i, j);
  }
  return { ...X, data };
}

/** Median of the non-zero totals (scanpy's default target), in float32 like numpy on float32. */
export function medianNonzero(totals: Float64Array): number {
  const nz = totals.filter((t) => t > 0).sort();
  if (nz.length === 0) {
    throw new DataValueError("every cell has a total count of 0; there is nothing to normalise", {
      field: "X",
      fix: "remove empty cells (filterCells with minCounts: 1) or check the matrix",
    });
  }
  const h = nz.length >> 1;
  return nz.length % 2 ? nz[h] : f32(f32(nz[h - 1] + nz[h]) / 2);
}

/**
 * The median library size: the median of the per-cell totals over the cells whose total is not 0
 * (in float32, as numpy computes it on float32 counts). This is scanpy's default
 * `normalize_total` target and exactly the `normalize.targetSum` that {@link fitPreprocess}
 * learns, without normalising anything. Counts are checked first (DataValueError naming the first
 * NaN, infinite or negative value); DataValueError too when every cell's total is 0.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, fitPreprocess, medianLibrarySize } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 0, 3, 2, 0, 0, 4, 0]), 4, 2, ["A", "B"]);
 * assert.equal(medianLibrarySize(ds), 4); // totals 1, 5, 0, 4: median of 1, 4, 5
 * assert.equal(medianLibrarySize(ds), fitPreprocess(ds, { hvg: false }).normalize!.targetSum);
 * ```
 */
export function medianLibrarySize(ds: Dataset): number {
  checkCounts(ds, "the median library size");
  return medianNonzero(cellStats(ds).totals);
}

function checkPositive(value: number | undefined, field: string): void {
  if (value !== undefined && !(value > 0 && Number.isFinite(value))) {
    throw new OptionError(`${field} must be a positive finite number, got ${value}`, { field });
  }
}

/** Options of {@link normalizeTotal}. */
export interface NormalizeTotalOptions {
  /** Total each cell is scaled to; default the median of the non-zero cell totals (scanpy). */
  targetSum?: number;
  /**
   * Per-cell totals to scale by instead of the row sums (e.g. over real genes only, so appended
   * null twins leave the real values unchanged) [row sums].
   */
  totals?: ArrayLike<number>;
}

/**
 * Scale each cell so its counts sum to `targetSum` (scanpy `pp.normalize_total`). Cells with a
 * total of 0 stay 0.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, normalizeTotal } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 3, 0, 2]), 2, 2, ["A", "B"]);
 * const n = normalizeTotal(ds, { targetSum: 10 });
 * assert.equal(n.X.kind, "dense");
 * assert.equal(n.X.data[1], 7.5);
 * assert.equal(n.X.data[3], 10);
 * ```
 */
export function normalizeTotal(ds: Dataset, options: NormalizeTotalOptions = {}): Dataset {
  checkPositive(options.targetSum, "targetSum");
  const totals = options.totals ? Float64Array.from(options.totals) : cellStats(ds).totals;
  if (totals.length !== ds.nCells) {
    throw new ShapeMismatchError(`${totals.length} totals for ${ds.nCells} cells`, {
      field: "totals",
      fix: "pass one total per cell",
    });
  }
  const target = f32(options.targetSum ?? medianNonzero(totals));
  // scanpy divides by counts / target in float32, and by 1 where the count is 0
  const factors = totals.map((t) => (t === 0 ? 1 : f32(t / target)));
  return ds.withX(mapValues(ds.X, (v, i) => f32(v / factors[i])));
}

/**
 * Natural log(1 + x) of every value (scanpy `pp.log1p`); records `uns.log1p = { base: null }`
 * as scanpy does, which the `seurat` HVG flavour reads.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, log1p } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([0, Math.E - 1]), 1, 2, ["A", "B"]);
 * const l = log1p(ds);
 * assert.equal(l.X.kind, "dense");
 * assert.ok(Math.abs(l.X.data[1] - 1) < 1e-6);
 * ```
 */
export function log1p(ds: Dataset): Dataset {
  return ds.withX(mapValues(ds.X, (v) => f32(Math.log1p(v))), { ...ds.uns, log1p: { base: null } });
}

/** Options of {@link scale}. */
export interface ScaleOptions {
  /** Subtract each gene's mean (default true; the result is then dense). */
  zeroCenter?: boolean;
  /** Clip scaled values above `maxValue` (and below `-maxValue` when zero-centring). */
  maxValue?: number;
  /** Per-gene means to use instead of this dataset's (e.g. learned on train). */
  means?: ArrayLike<number>;
  /** Per-gene standard deviations to use instead of this dataset's (0 is used as 1). */
  stds?: ArrayLike<number>;
}

/**
 * Per-gene means and standard deviations (ddof 1; a zero std becomes 1) as scanpy's `scale`
 * uses them. Negative variances from float cancellation are taken as 0 (scanpy would give NaN).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * import { scaleParams } from "./preprocess.ts";
 * const ds = Dataset.fromDense(new Float32Array([1, 5, 3, 5]), 2, 2, ["A", "B"]);
 * const { means, stds } = scaleParams(ds);
 * assert.equal(means[0], 2);
 * assert.ok(Math.abs(stds[0] - Math.SQRT2) < 1e-12);
 * assert.equal(stds[1], 1);
 * ```
 */
export function scaleParams(ds: Dataset): { means: Float64Array; stds: Float64Array } {
  const { means, variances } = geneStats(ds);
  const stds = variances.map((v) => (v > 0 ? Math.sqrt(v) : 1));
  return { means, stds };
}

/**
 * Scale genes to unit variance and (by default) zero mean (scanpy `pp.scale`). Dense output,
 * except a CSR input with `zeroCenter: false`, which stays CSR as in scanpy.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, scale } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 0, 3, 0]), 2, 2, ["A", "B"]);
 * const s = scale(ds);
 * assert.equal(s.X.kind, "dense");
 * assert.ok(Math.abs(s.X.data[0] + Math.SQRT1_2) < 1e-6);
 * ```
 */
export function scale(ds: Dataset, options: ScaleOptions = {}): Dataset {
  const zeroCenter = options.zeroCenter ?? true;
  const maxValue = options.maxValue;
  checkPositive(maxValue, "maxValue");
  if (
    (options.means !== undefined && options.stds === undefined) ||
    (zeroCenter && options.stds !== undefined && options.means === undefined)
  ) {
    throw new OptionError("pass means and stds together (stds alone only without zero-centring)", {
      field: options.stds === undefined ? "stds" : "means",
    });
  }
  const { means, stds } = options.stds === undefined
    ? scaleParams(ds)
    : { means: options.means ?? new Float64Array(ds.nGenes), stds: options.stds };
  if (means.length !== ds.nGenes || stds.length !== ds.nGenes) {
    throw new OptionError(
      `means/stds have ${means.length}/${stds.length} entries for ${ds.nGenes} genes`,
      { field: "means", fix: "pass one mean and one std per gene, in the dataset's gene order" },
    );
  }
  const hi = maxValue === undefined ? Infinity : f32(maxValue);
  const lo = maxValue !== undefined && zeroCenter ? -hi : -Infinity;
  // scanpy subtracts then divides in float32, then clips
  const one = (v: number, j: number): number => {
    const s = stds[j] === 0 ? 1 : stds[j];
    const x = f32((zeroCenter ? f32(v - means[j]) : v) / s);
    return x > hi ? hi : x < lo ? lo : x;
  };
  if (!zeroCenter) return ds.withX(mapValues(ds.X, (v, _i, j) => one(v, j)));
  const n = ds.nCells, g = ds.nGenes, X = ds.X;
  const data = new Float32Array(n * g);
  const zeroRow = Float32Array.from({ length: g }, (_, j) => one(0, j));
  for (let i = 0; i < n; i++) {
    const o = i * g;
    if (X.kind === "csr") {
      data.set(zeroRow, o);
      for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) {
        data[o + X.indices[p]] = one(X.values[p], X.indices[p]);
      }
    } else {
      for (let j = 0; j < g; j++) data[o + j] = one(X.data[o + j], j);
    }
  }
  return ds.withX({ kind: "dense", nRows: n, nCols: g, data });
}

/** Thresholds of {@link filterGenes}; a gene is kept when it passes all that are given. */
export interface FilterGenesOptions {
  /** Keep genes with at least this total count. */
  minCounts?: number;
  /** Keep genes with a value > 0 in at least this many cells. */
  minCells?: number;
  /** Keep genes with at most this total count. */
  maxCounts?: number;
  /** Keep genes with a value > 0 in at most this many cells. */
  maxCells?: number;
}

/** Thresholds of {@link filterCells}; a cell is kept when it passes all that are given. */
export interface FilterCellsOptions {
  /** Keep cells with at least this total count. */
  minCounts?: number;
  /** Keep cells with at least this many genes > 0. */
  minGenes?: number;
  /** Keep cells with at most this total count. */
  maxCounts?: number;
  /** Keep cells with at most this many genes > 0. */
  maxGenes?: number;
}

/** The result of a filter: the filtered dataset and the indices (into the input) it kept. */
export interface FilterResult {
  dataset: Dataset;
  kept: Int32Array;
}

function keepMask(
  counts: Float64Array,
  detected: Int32Array,
  bounds: [number | undefined, number | undefined, number | undefined, number | undefined],
  names: string[],
): Int32Array {
  const [minC, minD, maxC, maxD] = bounds;
  if (bounds.every((b) => b === undefined)) {
    throw new OptionError(`give at least one of ${names.join(", ")}`, { field: names[0] });
  }
  bounds.forEach((b, k) => {
    if (b !== undefined && !(b >= 0)) {
      throw new OptionError(`${names[k]} must be a number >= 0, got ${b}`, { field: names[k] });
    }
  });
  const kept: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    if (minC !== undefined && !(counts[i] >= minC)) continue;
    if (minD !== undefined && !(detected[i] >= minD)) continue;
    if (maxC !== undefined && !(counts[i] <= maxC)) continue;
    if (maxD !== undefined && !(detected[i] <= maxD)) continue;
    kept.push(i);
  }
  return Int32Array.from(kept);
}

/**
 * Keep genes by total count and number of expressing cells (scanpy `pp.filter_genes`, which
 * takes one threshold per call; here several combine with AND).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, filterGenes } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 0, 2, 0]), 2, 2, ["A", "B"]);
 * const { dataset, kept } = filterGenes(ds, { minCells: 1 });
 * assert.equal(dataset.genes.join(), "A");
 * assert.equal(kept[0], 0);
 * ```
 */
export function filterGenes(ds: Dataset, options: FilterGenesOptions): FilterResult {
  const s = geneStats(ds);
  const kept = keepMask(
    s.sums,
    s.nPositive,
    [options.minCounts, options.minCells, options.maxCounts, options.maxCells],
    ["minCounts", "minCells", "maxCounts", "maxCells"],
  );
  return { dataset: ds.selectGenes(Array.from(kept)), kept };
}

/**
 * Keep cells by total count and number of detected genes (scanpy `pp.filter_cells`; several
 * thresholds combine with AND).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, filterCells } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 0, 2, 5]), 2, 2, ["A", "B"]);
 * const { dataset, kept } = filterCells(ds, { minGenes: 2 });
 * assert.equal(dataset.nCells, 1);
 * assert.equal(kept[0], 1);
 * ```
 */
export function filterCells(ds: Dataset, options: FilterCellsOptions): FilterResult {
  const { totals, nPositive } = cellStats(ds);
  const kept = keepMask(
    totals,
    nPositive,
    [options.minCounts, options.minGenes, options.maxCounts, options.maxGenes],
    ["minCounts", "minGenes", "maxCounts", "maxGenes"],
  );
  return { dataset: ds.selectCells(kept), kept };
}

/** What {@link fitPreprocess} does; defaults follow the usual scanpy workflow. */
export interface PreprocessOptions {
  /** normalize_total (default true; `targetSum` default: train's {@link medianLibrarySize}). */
  normalize?: boolean | { targetSum?: number };
  /** log1p after normalising (default true). */
  log1p?: boolean;
  /** Highly variable genes chosen on train (default `{ nTopGenes: 2000, flavor: "seurat" }`). */
  hvg?: { nTopGenes: number; flavor: HvgFlavor; batchKey?: string } | false;
  /** Scale genes with train's means and stds (default false; zero-centred). */
  scale?: boolean | { maxValue?: number };
}

/**
 * Preprocessing learned on a training set (plain JSON). Applied in this order: normalise
 * (all genes), log1p, keep `genes` by name in this order, scale.
 */
export interface PreprocessParams {
  kind: "yoto.preprocess";
  version: 1;
  /** Target total per cell, or null when not normalising. */
  normalize: { targetSum: number } | null;
  log1p: boolean;
  /** How the genes were chosen, or null when all train genes are kept without HVG. */
  hvg: {
    flavor: HvgFlavor;
    nTopGenes: number;
    batchKey: string | null;
    /** True when nTopGenes >= the number of train genes, so every gene was kept. */
    keptAll: boolean;
    /** Genes kept beyond nTopGenes because they tie the cut. */
    tiesAtCut: number;
  } | null;
  /** Output genes in output order (train's gene order). */
  genes: string[];
  /** Per-gene means and stds (of the final log1p values, aligned with `genes`), or null. */
  scale: { maxValue: number | null; means: number[]; stds: number[] } | null;
}

/**
 * Learn preprocessing on `train`: the target sum, the HVG genes (by name; `seurat_v3` on raw
 * counts before normalising, `seurat`/`cell_ranger` on log1p data) and scaling means/stds.
 * Re-apply it to any dataset with {@link applyPreprocess}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyPreprocess, Dataset, fitPreprocess } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 0, 3, 2, 4, 0]), 3, 2, ["A", "B"]);
 * const params = fitPreprocess(ds, { hvg: false });
 * const out = applyPreprocess(ds, JSON.parse(JSON.stringify(params)));
 * assert.equal(params.normalize!.targetSum, 4);
 * assert.equal(out.nGenes, 2); // median of 1, 5, 4
 * ```
 */
export function fitPreprocess(train: Dataset, options: PreprocessOptions = {}): PreprocessParams {
  const normalize = options.normalize ?? true;
  const doLog = options.log1p ?? true;
  const hvg = options.hvg ?? { nTopGenes: 2000, flavor: "seurat" as const };
  const scaling = options.scale ?? false;
  const target = typeof normalize === "object" ? normalize.targetSum : undefined;
  checkPositive(target, "normalize.targetSum");
  if (hvg && !(Number.isInteger(hvg.nTopGenes) && hvg.nTopGenes > 0)) {
    throw new OptionError(
      `the number of highly variable genes must be a positive integer, got ${hvg.nTopGenes}`,
    );
  }
  if (normalize !== false || (hvg && hvg.flavor === "seurat_v3")) {
    checkCounts(train, "normalising the training cells");
  }
  const keptAll = hvg !== false && hvg.nTopGenes >= train.nGenes;
  const select = hvg !== false && !keptAll ? hvg : null;
  const run = (ds: Dataset, s: NonNullable<typeof select>) =>
    highlyVariableGenes(ds, { flavor: s.flavor, nTopGenes: s.nTopGenes, batchKey: s.batchKey });
  // seurat_v3 models raw counts; seurat and cell_ranger expect log1p data
  let chosen = select?.flavor === "seurat_v3" ? run(train, select) : null;
  let ds = train, targetSum: number | null = null;
  if (normalize !== false) {
    // medianLibrarySize(train), less its count check: the counts were checked above
    targetSum = target ?? medianNonzero(cellStats(train).totals);
    ds = normalizeTotal(ds, { targetSum });
  }
  if (doLog) ds = log1p(ds);
  if (select && select.flavor !== "seurat_v3") chosen = run(ds, select);
  const mask = chosen?.highlyVariable;
  const genes = mask ? train.genes.filter((_, j) => mask[j]) : [...train.genes];
  let scaled: PreprocessParams["scale"] = null;
  if (scaling !== false) {
    const { means, stds } = scaleParams(mask ? ds.selectGenes(genes) : ds);
    const maxValue = scaling === true ? null : scaling.maxValue ?? null;
    scaled = { maxValue, means: Array.from(means), stds: Array.from(stds) };
  }
  return {
    kind: "yoto.preprocess",
    version: 1,
    normalize: targetSum === null ? null : { targetSum },
    log1p: doLog,
    hvg: hvg === false ? null : {
      flavor: hvg.flavor,
      nTopGenes: hvg.nTopGenes,
      batchKey: hvg.batchKey ?? null,
      keptAll,
      tiesAtCut: chosen?.tiesAtCut ?? 0,
    },
    genes,
    scale: scaled,
  };
}

/**
 * Apply parameters from {@link fitPreprocess} to any dataset without refitting: same target
 * sum, the same genes by name (MissingFieldError naming any that are absent), same means/stds.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyPreprocess, Dataset, fitPreprocess } from "yoto";
 * const train = Dataset.fromDense(new Float32Array([1, 0, 3, 2, 4, 0]), 3, 2, ["A", "B"]);
 * const test = Dataset.fromDense(new Float32Array([0, 5, 1, 9]), 2, 2, ["B", "A"]);
 * const out = applyPreprocess(test, fitPreprocess(train, { hvg: false, log1p: false }));
 * assert.equal(out.genes.join(), "A,B");
 * assert.equal(out.X.kind, "dense");
 * assert.equal(out.X.data[0], 4);
 * ```
 */
export function applyPreprocess(ds: Dataset, params: PreprocessParams): Dataset {
  if (params?.kind !== "yoto.preprocess" || params.version !== 1) {
    throw new OptionError("not preprocessing parameters from fitPreprocess (kind/version)", {
      field: "params",
      fix: "pass the object fitPreprocess returned (or its JSON, parsed)",
    });
  }
  const present = new Set(ds.genes);
  const missing = params.genes.filter((gene) => !present.has(gene));
  if (missing.length) {
    throw new MissingFieldError(
      `${missing.length} gene(s) the preprocessing was fitted with are not in this dataset: ` +
        `${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", ..." : ""}`,
      {
        field: "genes",
        fix: "use data with the training genes (same names, e.g. symbols vs Ensembl ids)",
      },
    );
  }
  let out = ds;
  if (params.normalize) {
    checkCounts(ds, "normalising the cells");
    out = normalizeTotal(out, { targetSum: params.normalize.targetSum });
  }
  if (params.log1p) out = log1p(out);
  const same = out.nGenes === params.genes.length &&
    params.genes.every((gene, j) => out.genes[j] === gene);
  if (!same) out = out.selectGenes(params.genes);
  if (params.scale) {
    out = scale(out, {
      means: params.scale.means,
      stds: params.scale.stds,
      maxValue: params.scale.maxValue ?? undefined,
    });
  }
  return out;
}
