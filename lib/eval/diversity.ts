/**
 * How diverse a set of training cells is (docs/methods.md §4.2): Shannon entropy, Gini-Simpson and
 * inverse Simpson of the cell-type proportions, and the Vendi score (Friedman & Dieng 2023) of
 * the expression: the exponential of the entropy of a cosine kernel's spectrum, the effective
 * number of distinct cells.
 * @module
 */
import { symmetricEigen } from "../data/_linalg.ts";
import type { Dataset } from "../data/dataset.ts";
import { highlyVariableGenes } from "../data/hvg.ts";
import { log1p, normalizeTotal, scale } from "../data/preprocess.ts";
import { DataValueError, ShapeMismatchError } from "../runtime/errors.ts";

/** Cell labels: codes (negative = missing) or names (null = missing). */
export type DiversityLabels = ArrayLike<number> | readonly (string | null | undefined)[];

/** Proportions of the classes present; DataValueError when no cell has a label. */
function proportions(labels: DiversityLabels): number[] {
  const counts = new Map<string | number, number>();
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === null || l === undefined || (typeof l === "number" && l < 0)) continue;
    counts.set(l, (counts.get(l) ?? 0) + 1);
    total++;
  }
  if (total === 0) {
    throw new DataValueError("no labelled cell: diversity of nothing", {
      field: "labels",
      fix: "pass at least one labelled cell",
    });
  }
  return [...counts.values()].map((c) => c / total);
}

/**
 * Shannon entropy of the label proportions in bits, -Σ p log2 p (2^H is the effective number of
 * types). Missing labels are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shannonDiversity } from "./diversity.ts";
 * assert.equal(shannonDiversity(["a", "b", "c", "d"]), 2);
 * assert.equal(shannonDiversity([0, 0, 0, -1]), 0);
 * ```
 */
export function shannonDiversity(labels: DiversityLabels): number {
  return proportions(labels).reduce((h, p) => h - p * Math.log2(p), 0);
}

/**
 * Gini-Simpson index, 1 - Σ p²: the chance that two cells drawn with replacement differ in type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { giniSimpson } from "./diversity.ts";
 * assert.equal(giniSimpson(["a", "a", "b", "b"]), 0.5);
 * ```
 */
export function giniSimpson(labels: DiversityLabels): number {
  return 1 - proportions(labels).reduce((s, p) => s + p * p, 0);
}

/**
 * Inverse Simpson index, 1 / Σ p²: the number of equally common types with the same Simpson
 * concentration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inverseSimpson } from "./diversity.ts";
 * assert.equal(inverseSimpson([0, 0, 1, 1, 2, 2]), 3);
 * ```
 */
export function inverseSimpson(labels: DiversityLabels): number {
  return 1 / proportions(labels).reduce((s, p) => s + p * p, 0);
}

/** Result of {@link vendiScore}. */
export interface VendiResult {
  /** exp(-Σ λ ln λ) over the positive eigenvalues of the kernel. */
  score: number;
  /** Rows scored (non-zero norm). */
  nRows: number;
  /** Rows of norm 0, dropped (a cosine has no value for them). */
  zeroRows: number;
  /** Which matrix was diagonalised: the d x d dual or the n x n kernel. */
  via: "dual" | "kernel";
}

/**
 * Vendi score (q = 1) of the rows of `x` ([n x d] row-major) under the cosine kernel: rows
 * L2-normalised to X̂, K = X̂X̂ᵀ / n (K_ii = 1/n), score exp(-Σ λ ln λ) over K's positive
 * eigenvalues. The spectrum comes from the smaller of the d x d matrix X̂ᵀX̂ / n and K (the same
 * non-zero eigenvalues), by ml-matrix's symmetric eigensolver: O(min(n, d)³). Zero rows are
 * dropped and counted; DataValueError when every row is zero.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { vendiScore } from "./diversity.ts";
 * assert.ok(Math.abs(vendiScore(Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), 3, 3).score - 3) < 1e-12);
 * assert.ok(Math.abs(vendiScore(Float64Array.of(1, 0, 1, 0, 0, 1, 0, 1), 4, 2).score - 2) < 1e-12);
 * ```
 */
export function vendiScore(
  x: ArrayLike<number>,
  n: number,
  d: number,
  options: { via?: "dual" | "kernel" } = {},
): VendiResult {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 1 || x.length !== n * d) {
    throw new ShapeMismatchError(`${x.length} values do not make ${n} rows x ${d} columns`, {
      field: "x",
      fix: "pass row-major [cells x genes] values",
    });
  }
  const rows: number[] = [];
  const norms: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      if (!Number.isFinite(v)) {
        throw new DataValueError(`row ${i}, column ${j} holds ${v}`, {
          field: "x",
          fix: "remove or impute non-finite values first",
        });
      }
      s += v * v;
    }
    if (s > 0) {
      rows.push(i);
      norms.push(Math.sqrt(s));
    }
  }
  const m = rows.length;
  if (m === 0) {
    throw new DataValueError(`all ${n} rows have norm 0: a cosine kernel is undefined`, {
      field: "x",
      fix: "pass rows with at least one non-zero value",
    });
  }
  const u = new Float64Array(m * d);
  rows.forEach((i, r) => {
    for (let j = 0; j < d; j++) u[r * d + j] = x[i * d + j] / norms[r];
  });
  const via = options.via ?? (d < m ? "dual" : "kernel");
  const size = via === "dual" ? d : m;
  const k = new Float64Array(size * size);
  if (via === "dual") {
    for (let r = 0; r < m; r++) {
      const o = r * d;
      for (let a = 0; a < d; a++) {
        const ua = u[o + a];
        if (ua === 0) continue;
        for (let b = a; b < d; b++) k[a * d + b] += ua * u[o + b];
      }
    }
  } else {
    for (let a = 0; a < m; a++) {
      for (let b = a; b < m; b++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += u[a * d + j] * u[b * d + j];
        k[a * m + b] = s;
      }
    }
  }
  for (let a = 0; a < size; a++) {
    for (let b = a; b < size; b++) k[b * size + a] = k[a * size + b] /= m;
  }
  const { values } = symmetricEigen(k, size);
  let entropy = 0;
  for (const l of values) if (l > 0) entropy -= l * Math.log(l);
  return { score: Math.exp(entropy), nRows: m, zeroRows: n - m, via };
}

/** Options of {@link diversityReport}. */
export interface DiversityOptions {
  /** Label column for the type-based indices (omit: only Vendi). */
  label?: string;
  /** Compute the Vendi score [true]; O(min(cells, HVGs)³). */
  vendi?: boolean;
  /** Top-N seurat HVGs for Vendi [none: scanpy's default cutoffs, as the study]. */
  nHvg?: number;
}

/** What {@link diversityReport} returns; NaN where a measure does not apply (see `notes`). */
export interface DiversityReport {
  nCells: number;
  /** Label classes with at least one cell. */
  nTypes: number;
  shannon: number;
  giniSimpson: number;
  inverseSimpson: number;
  vendi: number;
  /** Genes the Vendi score was computed on, and rows of norm 0 it dropped. */
  vendiGenes: number;
  vendiZeroRows: number;
  notes: string[];
}

/**
 * Diversity of the cells `indices` of `ds` (all cells when omitted), as the study measures a
 * training subset (docs/methods.md §4.2): Shannon (bits), Gini-Simpson and inverse Simpson of the
 * `label` proportions; Vendi on the subset's own preprocessing: normalize_total (median
 * target), log1p, HVGs (seurat; scanpy's default cutoffs unless `nHvg`), scaled without
 * clipping.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diversityReport, simulate } from "yoto";
 * const { dataset } = simulate({ nCells: 120, nGenes: 80, seed: 1 });
 * const r = diversityReport(dataset, undefined, { label: "cell_type" });
 * assert.equal(r.nTypes, 7);
 * assert.ok(r.vendi > 1);
 * assert.ok(r.vendi < 120);
 * ```
 */
export function diversityReport(
  ds: Dataset,
  indices?: ArrayLike<number>,
  options: DiversityOptions = {},
): DiversityReport {
  const sub = indices ? ds.selectCells(indices) : ds;
  const notes: string[] = [];
  const report: DiversityReport = {
    nCells: sub.nCells,
    nTypes: 0,
    shannon: NaN,
    giniSimpson: NaN,
    inverseSimpson: NaN,
    vendi: NaN,
    vendiGenes: 0,
    vendiZeroRows: 0,
    notes,
  };
  if (options.label !== undefined) {
    const { codes } = sub.categorical(options.label);
    if (codes.some((c) => c >= 0)) {
      report.nTypes = sub.categoryCounts(options.label).counts.filter((c) => c > 0).length;
      report.shannon = shannonDiversity(codes);
      report.giniSimpson = giniSimpson(codes);
      report.inverseSimpson = inverseSimpson(codes);
    } else notes.push(`no cell has a '${options.label}' label`);
  }
  if (options.vendi === false) return report;
  if (sub.nCells < 2) {
    notes.push("Vendi needs at least 2 cells (scaling centres a single cell to 0)");
    return report;
  }
  const logged = log1p(normalizeTotal(sub));
  const { genes } = highlyVariableGenes(logged, { flavor: "seurat", nTopGenes: options.nHvg });
  if (!genes.length) {
    notes.push("no highly variable gene among these cells: no Vendi score");
    return report;
  }
  const x = (scale(logged.selectGenes(genes)).X as { data: Float32Array }).data;
  const v = vendiScore(x, sub.nCells, genes.length);
  report.vendi = v.score;
  report.vendiGenes = genes.length;
  report.vendiZeroRows = v.zeroRows;
  if (v.zeroRows) notes.push(`${v.zeroRows} cell(s) with all HVGs at their mean left out of Vendi`);
  return report;
}
