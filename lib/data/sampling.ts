/**
 * Choosing which cells to train on (docs/methods.md §4.1): a uniform random fraction, cell-type
 * re-weighting (balanced "water-filling" quotas) and geometric sketching (Hie et al. 2019, the
 * `gs_gap` plaid covering), as in DenAdel et al.'s pre-training data study. Every scheme returns
 * sorted, distinct cell indices and is deterministic for a seed. Also binomial thinning of the
 * counts themselves ({@link thinCounts}), which simulates shallower sequencing.
 * @module
 */
import type { Dataset, ExpressionMatrix } from "./dataset.ts";
import { highlyVariableGenes } from "./hvg.ts";
import { pca } from "./pca.ts";
import { log1p, normalizeTotal, scale } from "./preprocess.ts";
import { checkCounts } from "./stats.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";

/** The downsampling schemes of {@link downsample}. */
export type SamplingScheme = "random" | "celltype" | "geosketch";

/** Every scheme, in the order tables list them. */
export const SAMPLING_SCHEMES: readonly SamplingScheme[] = ["random", "celltype", "geosketch"];

/** Coordinates to sketch in: [n x dims] row-major (e.g. from {@link sketchCoordinates}). */
export interface SketchCoords {
  data: ArrayLike<number>;
  dims: number;
}

/** Options of {@link downsample}. */
export interface DownsampleOptions {
  scheme: SamplingScheme;
  /** Fraction of the cells to keep, in (0, 1]: floor(n * fraction) cells (1 keeps every cell). */
  fraction: number;
  /** Default 0. */
  seed?: number;
  /**
   * `celltype`: the label column (when a Dataset is given) or one code per cell (negative =
   * missing; cells without a label are quota'd as one more class).
   */
  labels?: string | ArrayLike<number>;
  /** `geosketch`: the coordinates [default: {@link sketchCoordinates} of the Dataset, this seed]. */
  coords?: SketchCoords;
  /** `geosketch`: covering boxes [max(1, floor(0.01 n)), the study's choice]. */
  boxes?: number;
}

/**
 * Cells to take per class under cell-type re-weighting with `total` cells in all (docs/methods.md
 * §4.1 water-filling): with c = floor(B / |R|) for the budget B left and the classes R not yet
 * filled, every class with fewer than c cells is taken whole, until none is; then each remaining
 * class gets floor(B / |R|). The sum can fall short of `total` by less than |R| (the floor).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { celltypeQuota } from "./sampling.ts";
 * // A 1000, B 50, C 10, D 400 with 300 cells: B and C whole, then 240 / 2 each for A and D
 * assert.equal(celltypeQuota([1000, 50, 10, 400], 300).join(), "120,50,10,120");
 * ```
 */
export function celltypeQuota(counts: ArrayLike<number>, total: number): Int32Array {
  for (let c = 0; c < counts.length; c++) {
    if (!(Number.isInteger(counts[c]) && counts[c] >= 0)) {
      throw new OptionError(`class ${c} has count ${counts[c]}; counts are integers >= 0`, {
        field: "counts",
      });
    }
  }
  if (!(Number.isInteger(total) && total >= 0)) {
    throw new OptionError(`total must be an integer >= 0, got ${total}`, { field: "total" });
  }
  const quota = new Int32Array(counts.length);
  // Empty classes are not types of this data: they take no share of the budget.
  let open = Array.from(counts, (_, c) => c).filter((c) => counts[c] > 0);
  let budget = total;
  while (open.length) {
    const level = Math.floor(budget / open.length);
    const small = open.filter((c) => counts[c] < level);
    if (!small.length) break;
    for (const c of small) {
      quota[c] = counts[c];
      budget -= counts[c];
    }
    open = open.filter((c) => counts[c] >= level);
  }
  const share = open.length ? Math.floor(budget / open.length) : 0;
  for (const c of open) quota[c] = share;
  return quota;
}

/** Options of {@link plaidCovering} and {@link geometricSketch}. */
export interface CoveringOptions {
  /** The search stops at [k (1 - alpha), k (1 + alpha)] occupied boxes [0.1]. */
  alpha?: number;
  /** Bisection steps before giving up [200]. */
  maxIter?: number;
}

/** Result of {@link plaidCovering}. */
export interface PlaidCovering {
  /** Each point's box, numbered 0.. in order of the boxes' first point. */
  boxOf: Int32Array;
  nBoxes: number;
  /** Box side in the normalised coordinates (shifted to minimum 0, divided by the global max). */
  unit: number;
  /** Bisection steps taken. */
  iterations: number;
}

function checkCoords(data: ArrayLike<number>, n: number, d: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 1 || data.length !== n * d) {
    throw new ShapeMismatchError(`${data.length} coordinates do not make ${n} points x ${d}`, {
      field: "coords",
      fix: "pass row-major [cells x dims] coordinates, e.g. from sketchCoordinates",
    });
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new DataValueError(`coordinate ${i % d} of point ${Math.floor(i / d)} is ${data[i]}`, {
        field: "coords",
        fix: "remove or impute non-finite values first",
      });
    }
  }
}

/**
 * The geometric-sketching plaid covering (geosketch `gs_gap`, docs/methods.md §4.1 step 2): columns
 * shifted to minimum 0 and divided by the global maximum; in each dimension wider than the box
 * side `unit`, the points in sorted order open a new interval at the first point beyond
 * interval start + unit; a box is the tuple of a point's intervals. `unit` is bisected from a
 * quarter of the widest range until [0.9 k, 1.1 k] boxes are occupied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plaidCovering } from "./sampling.ts";
 * // three well-separated pairs on a line: asking for 3 boxes finds the 3 pairs
 * const x = Float64Array.of(0, 0.01, 0.5, 0.51, 1, 0.99);
 * const c = plaidCovering(x, 6, 1, 3);
 * assert.equal(c.nBoxes, 3);
 * assert.equal(c.boxOf.join(), "0,0,1,1,2,2");
 * ```
 */
export function plaidCovering(
  coords: ArrayLike<number>,
  n: number,
  d: number,
  boxes: number,
  options: CoveringOptions = {},
): PlaidCovering {
  checkCoords(coords, n, d);
  if (!(Number.isInteger(boxes) && boxes >= 1)) {
    throw new OptionError(`boxes must be an integer >= 1, got ${boxes}`, { field: "boxes" });
  }
  const alpha = options.alpha ?? 0.1, maxIter = options.maxIter ?? 200;
  if (!(alpha >= 0 && alpha < 1) || !(Number.isInteger(maxIter) && maxIter >= 1)) {
    throw new OptionError(`alpha must be in [0, 1) and maxIter an integer >= 1`, {
      field: "alpha",
    });
  }
  const x = new Float64Array(n * d);
  const ranges = new Float64Array(d);
  let top = 0;
  for (let j = 0; j < d; j++) {
    let min = Infinity;
    for (let i = 0; i < n; i++) min = Math.min(min, coords[i * d + j]);
    for (let i = 0; i < n; i++) {
      x[i * d + j] = coords[i * d + j] - min;
      ranges[j] = Math.max(ranges[j], x[i * d + j]);
    }
    top = Math.max(top, ranges[j]);
  }
  if (top > 0) {
    for (let i = 0; i < x.length; i++) x[i] /= top;
    for (let j = 0; j < d; j++) ranges[j] /= top;
  }
  const sortedBy: Int32Array[] = [];
  const interval = new Int32Array(n * d);
  let low = 0, high = top > 0 ? Math.max(...ranges) : 0;
  let unit = (low + high) / 4;
  let boxOf = new Int32Array(n), nBoxes = n > 0 ? 1 : 0, iterations = 0;
  for (;;) {
    interval.fill(0);
    for (let j = 0; j < d; j++) {
      if (ranges[j] <= unit) continue;
      sortedBy[j] ??= Int32Array.from({ length: n }, (_, i) => i)
        .sort((a, b) => x[a * d + j] - x[b * d + j] || a - b);
      let start = -Infinity, current = -1;
      for (const i of sortedBy[j]) {
        if (current < 0 || start + unit < x[i * d + j]) {
          start = x[i * d + j];
          current++;
        }
        interval[i * d + j] = current;
      }
    }
    const ids = new Map<string, number>();
    boxOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const key = interval.subarray(i * d, (i + 1) * d).join(",");
      let id = ids.get(key);
      if (id === undefined) ids.set(key, id = ids.size);
      boxOf[i] = id;
    }
    nBoxes = ids.size;
    if (nBoxes > boxes * (1 + alpha)) {
      low = unit;
      unit = (unit + high) / 2;
    } else if (nBoxes < boxes * (1 - alpha)) {
      high = unit;
      unit = (unit + low) / 2;
    } else break;
    if (high - low < 1e-20 || ++iterations >= maxIter) break;
  }
  return { boxOf, nBoxes, unit, iterations };
}

/**
 * Geometric sketching (geosketch `gs_gap` without replacement, docs/methods.md §4.1): `size` points
 * drawn in rounds over the boxes of the {@link plaidCovering}; each draw takes a box not yet
 * visited in this round, then a uniform point in it; drawn points leave their box, and empty
 * boxes drop out. Rare, isolated populations fill boxes of their own, so they are drawn about
 * as often as common ones. Returns sorted indices; `size` = n returns every point.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { geometricSketch } from "./sampling.ts";
 * // 8 points near 0 and 2 near 1: with 2 boxes a sketch of 2 takes one from each group
 * const x = Float64Array.of(0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.99, 1);
 * const s = geometricSketch(x, 10, 1, 2, { boxes: 2, seed: 3 });
 * assert.equal(s.length, 2);
 * assert.ok(s[0] < 8);
 * assert.ok(s[1] >= 8);
 * ```
 */
export function geometricSketch(
  coords: ArrayLike<number>,
  n: number,
  d: number,
  size: number,
  options: CoveringOptions & { boxes?: number; seed?: number } = {},
): Int32Array {
  checkCoords(coords, n, d);
  if (!(Number.isInteger(size) && size >= 0 && size <= n)) {
    throw new OptionError(`cannot sketch ${size} of ${n} points without replacement`, {
      field: "size",
      fix: `ask for an integer from 0 to ${n}`,
    });
  }
  if (size === n) return Int32Array.from({ length: n }, (_, i) => i);
  if (size === 0) return new Int32Array(0);
  const boxes = options.boxes ?? Math.max(1, Math.floor(0.01 * n));
  const { boxOf, nBoxes } = plaidCovering(coords, n, d, boxes, options);
  const members: number[][] = Array.from({ length: nBoxes }, () => []);
  boxOf.forEach((b, i) => members[b].push(i));
  const rng = new Rng(options.seed ?? 0);
  const out = new Int32Array(size);
  let round: number[] = [];
  for (let draw = 0; draw < size; draw++) {
    if (!round.length) round = members.flatMap((m, b) => (m.length ? [b] : []));
    const r = rng.int(round.length);
    const box = round[r];
    round[r] = round[round.length - 1];
    round.pop();
    const points = members[box];
    const p = rng.int(points.length);
    out[draw] = points[p];
    points[p] = points[points.length - 1];
    points.pop();
  }
  return out.sort();
}

/** Options of {@link sketchCoordinates}; defaults are the study's. */
export interface SketchCoordinatesOptions {
  /** Top-N seurat HVGs [none: scanpy's default cutoffs, as the study]. */
  nHvg?: number;
  /** Principal components [50]. */
  nPcs?: number;
  /** Seed of the HVG subsample and the randomized PCA [0]. */
  seed?: number;
}

/** At least this many cells (or all) choose the HVGs: 10% of a small dataset is too few. */
const MIN_HVG_CELLS = 1000;

/**
 * The coordinates geometric sketching runs on, by the study's preprocessing (docs/methods.md §4.1):
 * HVGs (seurat flavour) chosen on a random 10% of the cells (at least 1,000, or all) after
 * normalize_total(1e4) and log1p; then every cell normalised to 1e4, log1p, those genes scaled
 * (clipped at 10) and projected on the top principal components.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate, sketchCoordinates } from "yoto";
 * const { dataset } = simulate({ nCells: 150, nGenes: 100, seed: 1 });
 * const c = sketchCoordinates(dataset, { nPcs: 5 });
 * assert.equal(c.dims, 5);
 * assert.equal(c.data.length, 150 * 5);
 * assert.ok(c.genes.length > 0);
 * ```
 */
export function sketchCoordinates(
  ds: Dataset,
  options: SketchCoordinatesOptions = {},
): SketchCoords & { data: Float32Array; genes: string[] } {
  const n = ds.nCells;
  if (n < 2) {
    throw new ShapeMismatchError(`${n} cell(s): PCA needs at least 2`, { field: "cells" });
  }
  const rng = new Rng(options.seed ?? 0);
  const logged = log1p(normalizeTotal(ds, { targetSum: 1e4 }));
  const m = Math.min(n, Math.max(Math.ceil(0.1 * n), MIN_HVG_CELLS));
  const hvgCells = m < n
    ? logged.selectCells(rng.fork("hvg").sampleWithoutReplacement(n, m).sort())
    : logged;
  const { genes } = highlyVariableGenes(hvgCells, { flavor: "seurat", nTopGenes: options.nHvg });
  if (!genes.length) {
    throw new DataValueError("no highly variable genes to sketch on", {
      field: "X",
      fix: "pass nHvg (a top-N count) or check that the counts vary across cells",
    });
  }
  const scaled = scale(logged.selectGenes(genes), { maxValue: 10 });
  const x = (scaled.X as { data: Float32Array }).data;
  const r = pca(x, n, genes.length, { nComponents: options.nPcs ?? 50, seed: options.seed ?? 0 });
  return { data: r.coords, dims: r.nComponents, genes };
}

function labelCodes(
  data: Dataset | number,
  labels: DownsampleOptions["labels"],
): ArrayLike<number> {
  if (labels === undefined) {
    throw new OptionError("cell-type re-weighting needs labels", {
      field: "labels",
      fix: "pass labels: the label column name (with a Dataset) or one code per cell",
    });
  }
  if (typeof labels !== "string") return labels;
  if (typeof data === "number") {
    throw new OptionError(`labels '${labels}' name a column, but no Dataset was given`, {
      field: "labels",
      fix: "pass the Dataset, or the codes themselves",
    });
  }
  return data.categorical(labels).codes;
}

/**
 * Choose training cells: floor(n * fraction) of them by one scheme (docs/methods.md §4.1), as sorted
 * indices. `random`: uniform without replacement. `celltype`: per class the
 * {@link celltypeQuota}, drawn uniformly within the class (can fall short of floor(n * fraction)
 * by less than the number of classes). `geosketch`: {@link geometricSketch} on `coords` (by
 * default {@link sketchCoordinates} of the Dataset). A fraction of 1 keeps every cell in every
 * scheme.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { downsample } from "yoto";
 * const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 90 ? 0 : 1));
 * const cells = downsample(100, { scheme: "celltype", fraction: 0.2, labels, seed: 1 });
 * assert.equal(cells.length, 20);
 * assert.equal(cells.filter((i) => i >= 90).length, 10);
 * ```
 */
export function downsample(data: Dataset | number, options: DownsampleOptions): Int32Array {
  const n = typeof data === "number" ? data : data.nCells;
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new OptionError(`number of cells must be an integer >= 0, got ${n}`, { field: "n" });
  }
  const { scheme, fraction } = options;
  if (!SAMPLING_SCHEMES.includes(scheme)) {
    throw new OptionError(`unknown scheme '${scheme}'`, {
      field: "scheme",
      fix: `use one of ${SAMPLING_SCHEMES.join(", ")}`,
    });
  }
  if (!(fraction > 0 && fraction <= 1)) {
    throw new OptionError(`fraction must be in (0, 1], got ${fraction}`, {
      field: "fraction",
      fix: "pass e.g. 0.1 for 10% of the cells",
    });
  }
  const size = Math.floor(n * fraction + 1e-9);
  const seed = options.seed ?? 0;
  const rng = new Rng(seed);
  if (size === n) return Int32Array.from({ length: n }, (_, i) => i);
  if (scheme === "random") return rng.sampleWithoutReplacement(n, size).sort();
  if (scheme === "geosketch") {
    const coords = options.coords ??
      (typeof data === "number" ? undefined : sketchCoordinates(data, { seed }));
    if (!coords) {
      throw new OptionError("geometric sketching needs coordinates", {
        field: "coords",
        fix: "pass coords (e.g. sketchCoordinates(ds)) or the Dataset itself",
      });
    }
    return geometricSketch(coords.data, n, coords.dims, size, { boxes: options.boxes, seed });
  }
  const codes = labelCodes(data, options.labels);
  if (codes.length !== n) {
    throw new ShapeMismatchError(`${codes.length} labels for ${n} cells`, { field: "labels" });
  }
  // Missing labels (negative codes) form one more class, the last.
  let nClasses = 0;
  for (let i = 0; i < n; i++) nClasses = Math.max(nClasses, codes[i] + 1);
  const members: number[][] = Array.from({ length: nClasses + 1 }, () => []);
  for (let i = 0; i < n; i++) members[codes[i] < 0 ? nClasses : codes[i]].push(i);
  const quota = celltypeQuota(members.map((m) => m.length), size);
  const out: number[] = [];
  members.forEach((m, c) => {
    for (const k of rng.fork(`class ${c}`).sampleWithoutReplacement(m.length, quota[c])) {
      out.push(m[k]);
    }
  });
  return Int32Array.from(out).sort();
}

/**
 * Binomial thinning: each count c becomes Binomial(c, fraction), as if every molecule had been
 * kept with probability `fraction` (a shallower sequencing of the same cells). Seeded; obs and
 * var unchanged; CSR stays CSR (counts thinned to 0 leave the matrix), dense stays dense. A
 * fraction of 1 returns `ds` itself. Counts must be non-negative integers (DataValueError naming
 * the first that is not).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, thinCounts } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([10, 0, 3, 1]), 2, 2, ["A", "B"]);
 * const thin = thinCounts(ds, 0.5, 7);
 * assert.equal(thin.nCells, 2);
 * assert.ok(thin.toDense().every((v, i) => Number.isInteger(v) && v <= ds.toDense()[i]));
 * assert.equal(thinCounts(ds, 1, 7), ds);
 * ```
 */
export function thinCounts(ds: Dataset, fraction: number, seed: number): Dataset {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new OptionError(`the thinning fraction must be in (0, 1], got ${fraction}`, {
      field: "fraction",
      fix: "pass e.g. 0.5 to keep each molecule with probability 1/2",
    });
  }
  const rng = new Rng(seed);
  checkCounts(ds, "binomial thinning", { integers: true });
  if (fraction === 1) return ds;
  const X = ds.X;
  if (X.kind === "dense") {
    return ds.withX({ ...X, data: X.data.map((c) => rng.binomial(c, fraction)) });
  }
  const indptr = new Int32Array(X.nRows + 1);
  const nnz = X.indptr[X.nRows] - X.indptr[0];
  const indices = new Int32Array(nnz), values = new Float32Array(nnz);
  let out = 0;
  for (let i = 0; i < X.nRows; i++) {
    for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) {
      const c = rng.binomial(X.values[p], fraction);
      if (c === 0) continue;
      indices[out] = X.indices[p];
      values[out++] = c;
    }
    indptr[i + 1] = out;
  }
  const thinned: ExpressionMatrix = {
    kind: "csr",
    nRows: X.nRows,
    nCols: X.nCols,
    indptr,
    indices: indices.slice(0, out),
    values: values.slice(0, out),
  };
  return ds.withX(thinned);
}
