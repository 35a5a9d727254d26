/**
 * The knockoff+ filter of recall (docs/methods.md §3.3): W statistics contrasting each real gene's
 * differential-expression p-value with its null twin's, and the data-dependent threshold that
 * controls the false discovery rate at q.
 * @module
 */
import erfc from "@stdlib/math-base-special-erfc";
import type { Dataset } from "../data/dataset.ts";
import { isNullGene } from "../data/twins.ts";
import { wilcoxonZ } from "../select/markers.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";

/** OptionError unless the target FDR q of the knockoff+ filter is in (0, 1]. */
export function checkQ(q: number): void {
  if (!(q > 0 && q <= 1)) {
    throw new OptionError(`the target FDR q must be in (0, 1], got ${q}`, {
      field: "q",
      fix: "pass a rate such as 0.05",
    });
  }
}

/**
 * The knockoff+ threshold T (offset 1): the smallest t in {0} ∪ {|W_j|} with
 * (1 + #{W_j <= -t}) / max(1, #{W_j >= t}) <= q, or Infinity when no t qualifies.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { knockoffThreshold } from "yoto";
 * const W = [3.2, 2.5, -0.4, 1.7, 0.9, -1.1, 4.0, 0.0, 2.2, 1.3];
 * assert.equal(knockoffThreshold(W, 0.2), 1.3);
 * assert.equal(knockoffThreshold(W, 0.1), Infinity);
 * ```
 */
export function knockoffThreshold(W: ArrayLike<number>, q: number): number {
  checkQ(q);
  const m = W.length, sorted = new Float64Array(m), abs = new Float64Array(m + 1);
  for (let j = 0; j < m; j++) {
    if (Number.isNaN(W[j])) {
      throw new DataValueError(`W[${j}] is NaN`, {
        field: "W",
        fix: "clamp p-values to [smallest positive double, 1] before forming W",
      });
    }
    sorted[j] = W[j];
    abs[j + 1] = Math.abs(W[j]);
  }
  sorted.sort();
  abs.sort();
  // two pointers over ascending t: #{W <= -t} shrinks, #{W >= t} shrinks
  let nLow = m, nHigh = 0;
  for (const t of abs) {
    while (nLow > 0 && sorted[nLow - 1] > -t) nLow--;
    while (nHigh < m && sorted[nHigh] < t) nHigh++;
    if ((1 + nLow) / Math.max(1, m - nHigh) <= q) return t;
  }
  return Infinity;
}

/**
 * Knockoff+ selection at q: the threshold T and the indices j with W_j >= T (ascending; none
 * when T is Infinity).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { knockoffSelect } from "yoto";
 * const W = Array.from({ length: 20 }, (_, j) => j + 1).concat(-0.5);
 * const { threshold, selected } = knockoffSelect(W, 0.1);
 * assert.equal(threshold, 0);
 * assert.equal(selected.length, 20);
 * ```
 */
export function knockoffSelect(
  W: ArrayLike<number>,
  q: number,
): { threshold: number; selected: Int32Array } {
  const threshold = knockoffThreshold(W, q);
  const selected: number[] = [];
  for (let j = 0; j < W.length; j++) if (W[j] >= threshold) selected.push(j);
  return { threshold, selected: Int32Array.from(selected) };
}

/** Options of {@link pairKnockoff}. */
export interface PairKnockoffOptions {
  /** Target FDR of the knockoff+ filter (default 0.05, as recall hard-codes it). */
  q?: number;
  /** Suffix that names the null twins (default "__null"). */
  suffix?: string;
}

/** What {@link pairKnockoff} returns for one cluster pair. */
export interface PairKnockoffResult {
  /** W_j = -log10 p_j + log10 p~_j per real gene. */
  W: Float64Array;
  /** Knockoff+ threshold (Infinity when nothing can be selected). */
  threshold: number;
  /** Real genes (column indices < p) with W_j >= threshold. */
  selected: Int32Array;
  /** Two-sided Wilcoxon p-values of the 2p genes, after clamping. */
  pValues: Float64Array;
  /** p-values that underflowed to 0 and were clamped to the smallest positive double. */
  nClamped: number;
  /** Untestable genes (constant over the pair's cells), given p = 1. */
  nUntestable: number;
}

/**
 * recall's test of one cluster pair (docs/methods.md §3.3): a two-sided Wilcoxon rank-sum test with
 * tie correction (normal approximation, no continuity correction) of every gene between the
 * cells with label `a` and those with label `b`, on log-normalised values of the p real genes
 * followed by their p null twins (the layout {@link nullGenes} makes); W_j = -log10 p_j +
 * log10 p~_j, then knockoff+ at q. p-values are clamped to [Number.MIN_VALUE, 1]; genes constant
 * over the pair get p = 1.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, pairKnockoff } from "yoto";
 * // gene A separates the two groups perfectly, its twin does not
 * const x = Float32Array.from([0, 1, 0, 0, 0, 1, 0, 1, 2, 0, 2, 1, 2, 0, 2, 0]);
 * const ds = Dataset.fromDense(x, 8, 2, ["A", "A__null"]);
 * const r = pairKnockoff(ds, Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]), 0, 1);
 * assert.ok(r.W[0] > 1);
 * assert.equal(r.selected.length, 0); // 1 gene can never pass q = 0.05
 * ```
 */
export function pairKnockoff(
  x: Dataset,
  labels: Int32Array,
  a: number,
  b: number,
  options: PairKnockoffOptions = {},
): PairKnockoffResult {
  const q = options.q ?? 0.05, suffix = options.suffix ?? "__null";
  checkQ(q);
  const G = x.nGenes, p = G / 2;
  if (!Number.isInteger(p) || x.genes.slice(p).some((g, j) => g !== x.genes[j] + suffix)) {
    throw new ShapeMismatchError(
      `expected p real genes followed by their p twins named gene + '${suffix}'`,
      { field: "genes", fix: "build the matrix with nullGenes() and keep its gene order" },
    );
  }
  if (x.genes.slice(0, p).some((g) => isNullGene(g, suffix))) {
    throw new ShapeMismatchError("a real gene carries the null suffix", { field: "genes" });
  }
  if (labels.length !== x.nCells) {
    throw new ShapeMismatchError(`${labels.length} labels for ${x.nCells} cells`, {
      field: "labels",
      fix: "pass one cluster label per cell",
    });
  }
  const cells: number[] = [], codes: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === a || labels[i] === b) {
      [cells[cells.length], codes[codes.length]] = [i, labels[i] === a ? 0 : 1];
    }
  }
  const m = cells.length, pair = Int32Array.from(codes);
  const pValues = new Float64Array(G);
  let nClamped = 0, nUntestable = 0;
  // blocks of a few genes: wilcoxonZ reads gene columns of a row-major block, which stays in
  // cache when narrow (a full-width block would stride through memory)
  const block = new Float32Array(m * BLOCK_GENES), fill = blockReader(x, cells);
  for (let g0 = 0; g0 < G; g0 += BLOCK_GENES) {
    const B = Math.min(BLOCK_GENES, G - g0), view = block.subarray(0, m * B);
    fill(g0, B, view);
    const z = wilcoxonZ(view, B, pair, 2, true);
    for (let k = 0; k < B; k++) {
      if (isConstant(view, m, B, k)) {
        pValues[g0 + k] = 1;
        nUntestable++;
        continue;
      }
      const pv = erfc(Math.abs(z[k]) / Math.SQRT2);
      if (pv < Number.MIN_VALUE) nClamped++;
      pValues[g0 + k] = Math.min(1, Math.max(Number.MIN_VALUE, pv));
    }
  }
  const W = new Float64Array(p);
  for (let j = 0; j < p; j++) W[j] = Math.log10(pValues[p + j]) - Math.log10(pValues[j]);
  const { threshold, selected } = knockoffSelect(W, q);
  return { W, threshold, selected, pValues, nClamped, nUntestable };
}

/** Genes per block handed to wilcoxonZ. */
const BLOCK_GENES = 64;

/**
 * A reader filling `out` [cells x B] with genes g0 .. g0 + B - 1 over `cells`; for CSR the
 * cells' entries are first regrouped by gene (one pass over their non-zeros).
 */
function blockReader(
  x: Dataset,
  cells: number[],
): (g0: number, B: number, out: Float32Array) => void {
  const X = x.X, G = x.nGenes, m = cells.length;
  if (X.kind === "dense") {
    return (g0, B, out) => {
      for (let r = 0; r < m; r++) {
        out.set(X.data.subarray(cells[r] * G + g0, cells[r] * G + g0 + B), r * B);
      }
    };
  }
  const ptr = new Int32Array(G + 1);
  for (const i of cells) {
    for (let q = X.indptr[i]; q < X.indptr[i + 1]; q++) ptr[X.indices[q] + 1]++;
  }
  for (let g = 0; g < G; g++) ptr[g + 1] += ptr[g];
  const rows = new Int32Array(ptr[G]), values = new Float32Array(ptr[G]), at = ptr.slice(0, G);
  cells.forEach((i, r) => {
    for (let q = X.indptr[i]; q < X.indptr[i + 1]; q++) {
      const k = at[X.indices[q]]++;
      rows[k] = r;
      values[k] = X.values[q];
    }
  });
  return (g0, B, out) => {
    out.fill(0);
    for (let j = 0; j < B; j++) {
      for (let k = ptr[g0 + j]; k < ptr[g0 + j + 1]; k++) out[rows[k] * B + j] = values[k];
    }
  };
}

function isConstant(block: Float32Array, m: number, B: number, k: number): boolean {
  for (let r = 1; r < m; r++) if (block[r * B + k] !== block[k]) return false;
  return true;
}
