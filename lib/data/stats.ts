/**
 * Per-gene statistics in one pass over a matrix, and the check that values are counts.
 * Shared by preprocessing, HVG selection and the panel baselines. Also mean ± sd over runs.
 * @module
 */
import type { Dataset } from "./dataset.ts";
import { DataValueError, quoted, ShapeMismatchError } from "../runtime/errors.ts";

const f32 = Math.fround;

/** Per-gene sums over a set of cells, which add up over pieces of the data. */
export interface GeneSums {
  /** Number of cells the sums run over. */
  nCells: number;
  /** Sum of the (transformed) values per gene. */
  sums: Float64Array;
  /** Sum of squares per gene (each square rounded to float32, as scanpy squares float32 data). */
  sumSquares: Float64Array;
  /** Number of cells with a value > 0 per gene. */
  nPositive: Int32Array;
}

/** Per-gene sums over a set of cells, and the moments scanpy derives from them. */
export interface GeneStats extends GeneSums {
  /** Mean per gene. */
  means: Float64Array;
  /** Variance per gene with ddof 1, as scanpy computes it: (E[x^2] - E[x]^2) * n / (n - 1). */
  variances: Float64Array;
}

/** Options of {@link geneStats}. */
export interface GeneStatsOptions {
  /** Rows to use (default all). */
  cells?: ArrayLike<number>;
  /** Applied to every stored value first; must map 0 to 0 (sparse zeros are skipped). */
  transform?: (value: number) => number;
}

/** Zero sums over no cells, for {@link addGeneSums} to fill. */
export function emptyGeneSums(nGenes: number): GeneSums {
  return {
    nCells: 0,
    sums: new Float64Array(nGenes),
    sumSquares: new Float64Array(nGenes),
    nPositive: new Int32Array(nGenes),
  };
}

/**
 * Add the cells of `ds` (or its rows `options.cells`) to `into`, in order: the data read in
 * pieces (record batches of a file) gives exactly the sums of the whole. Returns `into`.
 */
export function addGeneSums(into: GeneSums, ds: Dataset, options: GeneStatsOptions = {}): GeneSums {
  const g = ds.nGenes, f = options.transform;
  if (into.sums.length !== g) {
    throw new ShapeMismatchError(`sums over ${into.sums.length} genes, data has ${g}`);
  }
  const cells = options.cells ?? null;
  const n = cells ? cells.length : ds.nCells;
  const { sums, sumSquares, nPositive } = into;
  const add = (j: number, raw: number) => {
    const v = f ? f(raw) : raw;
    sums[j] += v;
    sumSquares[j] += f32(v * v);
    if (v > 0) nPositive[j]++;
  };
  const X = ds.X;
  for (let r = 0; r < n; r++) {
    const i = cells ? cells[r] : r;
    if (X.kind === "csr") {
      for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) add(X.indices[p], X.values[p]);
    } else {
      for (let j = 0, o = i * g; j < g; j++) if (X.data[o + j] !== 0) add(j, X.data[o + j]);
    }
  }
  into.nCells += n;
  return into;
}

/** Means and variances (ddof 1) from the sums, as scanpy computes them. */
export function geneMoments(s: GeneSums): GeneStats {
  const g = s.sums.length, n = s.nCells;
  const means = new Float64Array(g), variances = new Float64Array(g);
  // scanpy (fast_array_utils.mean_var) applies the ddof correction only when n != 1
  const correction = n > 1 ? n / (n - 1) : 1;
  for (let j = 0; j < g; j++) {
    const m = s.sums[j] / n;
    means[j] = m;
    variances[j] = (s.sumSquares[j] / n - m * m) * correction;
  }
  return { ...s, means, variances };
}

/**
 * One pass over the matrix giving per-gene sums, sums of squares, detection counts, means and
 * variances (ddof 1). Shared by HVG selection, scaling and the gene filter.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, geneStats } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 0, 3, 2]), 2, 2, ["A", "B"]);
 * const s = geneStats(ds);
 * assert.equal(s.means[0], 2);
 * assert.equal(s.variances[0], 2);
 * assert.equal(s.nPositive[1], 1);
 * ```
 */
export function geneStats(ds: Dataset, options: GeneStatsOptions = {}): GeneStats {
  return geneMoments(addGeneSums(emptyGeneSums(ds.nGenes), ds, options));
}

/** Options of {@link checkCounts}. */
export interface CheckCountsOptions {
  /** Also reject non-integer values (default false). */
  integers?: boolean;
}

/**
 * Throw a DataValueError naming the first cell and gene holding NaN, ±Inf, a negative value
 * (or, with `integers`, a non-integer) where raw counts are required. `context` says what
 * needs the counts and appears in the message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkCounts, Dataset, DataValueError } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, -2]), 1, 2, ["A", "B"]);
 * assert.throws(() => checkCounts(ds, "normalizeTotal"), DataValueError);
 * assert.throws(() => checkCounts(ds, "normalizeTotal"), /'B'.*-2|-2.*'B'/);
 * ```
 */
export function checkCounts(ds: Dataset, context: string, options: CheckCountsOptions = {}): void {
  const integers = options.integers ?? false;
  const bad = (v: number) => !(v >= 0 && v < Infinity) || (integers && v !== Math.floor(v));
  const X = ds.X, g = ds.nGenes;
  for (let i = 0; i < ds.nCells; i++) {
    let j = -1, v = 0;
    if (X.kind === "csr") {
      for (let p = X.indptr[i]; p < X.indptr[i + 1] && j < 0; p++) {
        if (bad(X.values[p])) [j, v] = [X.indices[p], X.values[p]];
      }
    } else {
      for (let k = 0; k < g && j < 0; k++) {
        if (bad(X.data[i * g + k])) [j, v] = [k, X.data[i * g + k]];
      }
    }
    if (j >= 0) {
      const what = Number.isNaN(v)
        ? "NaN"
        : !Number.isFinite(v)
        ? "infinite"
        : v < 0
        ? "negative"
        : "non-integer";
      throw new DataValueError(
        `${context} needs raw counts, but cell '${ds.cellIds()[i]}' (row ${i}), gene '${
          ds.genes[j]
        }' ` +
          `holds a ${what} value (${v})`,
        {
          field: "X",
          fix: "pass raw counts (non-negative, finite), not normalised, scaled or imputed values",
        },
      );
    }
  }
}

/** Options of {@link checkRawCounts}. */
export interface RawCountsOptions {
  /**
   * Accept non-negative non-integer values: estimated counts (salmon, alevin, CellBender) are
   * legitimately fractional (default false).
   */
  allowNonInteger?: boolean;
  /** Whether the fix may suggest `--allow-non-integer` (false where integers are needed). */
  offerNonInteger?: boolean;
}

/** How far from an integer a float32 count may be and still be one (a few float32 ulps). */
const INTEGER_TOLERANCE = 1e-6;

/**
 * DataValueError unless the matrix holds raw counts: finite, non-negative and (unless
 * `allowNonInteger`) integers, up to float32 rounding. One pass over the stored values; the
 * message says what was found and what it looks like (log-normalised, scaled, normalised to
 * equal totals) and names the flags that read counts instead. `context` says what needs them.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * import { checkRawCounts } from "./stats.ts";
 * const logged = Dataset.fromDense(new Float32Array([0, 1.39, 2.08, 0.69]), 2, 2, ["A", "B"]);
 * assert.throws(() => checkRawCounts(logged, "training"), /looks log-normalised/);
 * checkRawCounts(logged, "training", { allowNonInteger: true });
 * checkRawCounts(Dataset.fromDense(new Float32Array([0, 3, 2, 1]), 2, 2, ["A", "B"]), "training");
 * ```
 */
export function checkRawCounts(
  ds: Dataset,
  context: string,
  options: RawCountsOptions = {},
): void {
  const X = ds.X, g = ds.nGenes;
  let nonZero = 0, nonInteger = 0, negative = 0, nonFinite = 0, max = 0, min = 0;
  let first = -1, firstValue = 0; // flat index (row * g + col) of the first bad value
  const note = (i: number, j: number, v: number, bad: boolean) => {
    if (bad && first < 0) [first, firstValue] = [i * g + j, v];
  };
  for (let i = 0; i < ds.nCells; i++) {
    const csr = X.kind === "csr";
    const a = csr ? X.indptr[i] : i * g, b = csr ? X.indptr[i + 1] : (i + 1) * g;
    const values = csr ? X.values : X.data;
    for (let p = a; p < b; p++) {
      const v = values[p];
      if (v === 0) continue;
      nonZero++;
      const j = csr ? X.indices[p] : p - a;
      if (!Number.isFinite(v)) {
        nonFinite++;
        note(i, j, v, true);
        continue;
      }
      if (v > max) max = v;
      if (v < min) min = v;
      if (v < 0) negative++;
      const fractional = Math.abs(v - Math.round(v)) > INTEGER_TOLERANCE * Math.max(1, v);
      if (fractional) nonInteger++;
      note(i, j, v, v < 0 || (fractional && !options.allowNonInteger));
    }
  }
  if (first < 0) return;
  const share = (n: number) => `${(100 * n / nonZero).toPrecision(3)}% of ${nonZero} non-zero`;
  const found = nonFinite
    ? `${nonFinite} NaN or infinite value(s)`
    : negative
    ? `${negative} negative value(s) (min ${min.toPrecision(4)}): looks scaled (z-scores)`
    : `max ${max.toPrecision(4)}, ${share(nonInteger)} values non-integer: ${
      max < 20
        ? "looks log-normalised"
        : looksEqualTotals(ds)
        ? "cells have equal totals, looks normalised (CPM or similar)"
        : "looks normalised or estimated"
    }`;
  const [i, j] = [Math.floor(first / g), first % g];
  const where = `first at cell ${quoted(ds.cellIds()[i])} (row ${i}), gene ${
    quoted(ds.genes[j])
  }: ${Number(firstValue.toPrecision(6))}`;
  const ways = "read the raw counts instead: `--layer NAME` for a layer of an .h5ad that holds " +
    "them (e.g. --layer counts), `--raw` for its raw/X, or save them with `convert --raw`";
  throw new DataValueError(`${context} needs raw counts, but the matrix has ${found}; ${where}`, {
    field: "X",
    fix: nonFinite || negative || options.offerNonInteger === false
      ? ways
      : `${ways}; for estimated counts that are legitimately ` +
        "non-integer (salmon, alevin, CellBender) pass --allow-non-integer",
  });
}

/** Whether every cell's total is within 1% of the first one's (normalised to a target sum). */
function looksEqualTotals(ds: Dataset): boolean {
  const { totals } = cellStats(ds);
  return totals.length > 1 && totals.every((t) => Math.abs(t - totals[0]) <= 0.01 * totals[0]);
}

/**
 * Per-cell totals (the library size; rounded to float32 like scanpy's per-cell counts) and
 * numbers of detected genes, in one pass over the stored values.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cellStats, Dataset } from "yoto";
 * const s = cellStats(Dataset.fromDense(new Float32Array([1, 0, 3, 2]), 2, 2, ["A", "B"]));
 * assert.equal(s.totals[1], 5);
 * assert.equal(s.nPositive[0], 1);
 * ```
 */
export function cellStats(ds: Dataset): { totals: Float64Array; nPositive: Int32Array } {
  const n = ds.nCells, g = ds.nGenes, X = ds.X;
  const totals = new Float64Array(n), nPositive = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let t = 0, c = 0;
    if (X.kind === "csr") {
      for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) {
        t += X.values[p];
        if (X.values[p] > 0) c++;
      }
    } else {
      for (let j = i * g; j < (i + 1) * g; j++) {
        t += X.data[j];
        if (X.data[j] > 0) c++;
      }
    }
    totals[i] = f32(t);
    nPositive[i] = c;
  }
  return { totals, nPositive };
}

/**
 * Mean and sample sd (ddof 1; 0 for one value).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { meanSd } from "./stats.ts";
 * const { mean, sd } = meanSd([1, 2, 3]);
 * assert.equal(mean, 2);
 * assert.equal(sd, 1);
 * assert.equal(meanSd([5]).sd, 0);
 * ```
 */
export function meanSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1
    ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1))
    : 0;
  return { mean, sd };
}

/**
 * "0.812 ± 0.013" (or just the mean for a single value).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMeanSd } from "./stats.ts";
 * assert.equal(formatMeanSd([1, 2, 3], 1), "2.0 ± 1.0");
 * assert.equal(formatMeanSd([0.5]), "0.500");
 * ```
 */
export function formatMeanSd(values: number[], digits = 3): string {
  const { mean, sd } = meanSd(values);
  return values.length > 1
    ? `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`
    : mean.toFixed(digits);
}

/**
 * Loss weight of each class so that every class present weighs the same in total (scikit-learn's
 * class_weight="balanced"): labelled / (classes present x its cells), 0 for an absent class;
 * codes < 0 are unlabelled.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { balancedClassWeights } from "./stats.ts";
 * // 3 cells of class 0, 1 of class 1, none of class 2: each present class totals 2
 * const w = balancedClassWeights(Int32Array.from([0, 0, 0, 1, -1]), 3);
 * assert.deepEqual(Array.from(w), [4 / 6, 2, 0]);
 * ```
 */
export function balancedClassWeights(codes: Int32Array, nClasses: number): Float64Array {
  const counts = new Float64Array(nClasses);
  for (const c of codes) if (c >= 0) counts[c]++;
  const labelled = counts.reduce((a, b) => a + b, 0);
  const present = counts.filter((n) => n > 0).length;
  return counts.map((n) => (n ? labelled / (present * n) : 0));
}

/**
 * The rows of `x` ([codes.length x d] row-major) whose code is >= 0 (labelled), with their
 * indices and codes; `x` itself when every row is labelled.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { labelledRows } from "./stats.ts";
 * const r = labelledRows(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, Int32Array.from([1, -1, 0]));
 * assert.deepEqual([Array.from(r.x), Array.from(r.y), Array.from(r.rows)], [[1, 2, 5, 6], [1, 0], [0, 2]]);
 * ```
 */
export function labelledRows(
  x: Float32Array,
  d: number,
  codes: Int32Array,
): { x: Float32Array; y: Int32Array; rows: Int32Array } {
  const rows = Int32Array.from(codes.keys()).filter((i) => codes[i] >= 0);
  const xl = rows.length === codes.length ? x : new Float32Array(rows.length * d);
  if (xl !== x) rows.forEach((i, r) => xl.set(x.subarray(i * d, (i + 1) * d), r * d));
  return { x: xl, y: Int32Array.from(rows, (i) => codes[i]), rows };
}

/**
 * The median of ascending `sorted` (NaN when empty).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { median } from "./stats.ts";
 * assert.equal(median([1, 2, 4, 9]), 3);
 * ```
 */
export function median(sorted: ArrayLike<number>): number {
  const n = sorted.length, h = n >> 1;
  return n === 0 ? NaN : n % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}
