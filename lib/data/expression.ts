/**
 * Per-class expression summaries of a Dataset: mean normalised expression and fraction of cells
 * detecting each gene (the numbers behind scanpy's dot plot, drawn by `dotPlotSpec`), and the
 * check that a list of names (genes, classes) has no repeats.
 * @module
 */
import type { Dataset } from "./dataset.ts";
import { medianLibrarySize } from "./preprocess.ts";
import { type InputTransform, libraryTotals, transformInput } from "./transform.ts";
import { OptionError } from "../runtime/errors.ts";

/** Mean expression and fraction of expressing cells of one gene in one class. */
export interface DotPlotRow {
  class: string;
  gene: string;
  /** Mean over the class's cells of the (normalised, log1p) expression. */
  mean: number;
  /** Fraction of the class's cells with a count > 0. */
  fraction: number;
}

/** What {@link dotPlotSpec} draws: classes (with >= 1 cell) x genes. */
export interface DotPlotData {
  /** The label column. */
  label: string;
  /** Genes as given. */
  genes: string[];
  /** Classes with at least one labelled cell, in the column's category order. */
  classes: string[];
  /** Cells per class. */
  cells: number[];
  /** One row per (class, gene), class-major. */
  rows: DotPlotRow[];
  /** How the expression was transformed (for the colour legend). */
  targetSum: number | null;
  log1p: boolean;
}

/** Options of {@link dotPlotData}. */
export interface DotPlotDataOptions {
  /**
   * Each cell is scaled to this total first (default: the median total of the cells, as scanpy's
   * normalize_total; a model's `spec.transform.targetSum` to match its input; null: as given).
   */
  targetSum?: number | null;
  /** log1p after scaling (default true). */
  log1p?: boolean;
}

/**
 * Per class of `label` and gene: mean normalised log1p expression and the fraction of cells with
 * a count > 0 (scanpy's dot plot), from raw counts. Library sizes are summed over every gene of
 * `ds`; cells without a label are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "./dataset.ts";
 * const ds = Dataset.fromDense(new Float32Array([1, 1, 0, 2, 3, 1]), 3, 2, ["A", "B"], {
 *   t: { kind: "string", values: ["x", "y", "y"] },
 * });
 * const d = dotPlotData(ds, ["A"], "t", { targetSum: 2, log1p: false });
 * assert.equal(d.rows[0].mean, 1); // x: 1 of total 2, scaled to 2
 * assert.equal(d.rows[1].fraction, 0.5); // y: 1 of 2 cells
 * ```
 */
export function dotPlotData(
  ds: Dataset,
  genes: string[],
  label: string,
  options: DotPlotDataOptions = {},
): DotPlotData {
  checkDistinct(genes, "genes");
  const { codes, categories } = ds.categorical(label);
  const log1p = options.log1p ?? true;
  const targetSum = options.targetSum === undefined ? medianLibrarySize(ds) : options.targetSum;
  const g = genes.length;
  // The shared input transform without z-scoring: the same scaling and log1p as model input.
  const transform: InputTransform = {
    genes,
    normalize: targetSum === null ? "counts" : "transcriptome",
    targetSum,
    log1p,
    means: genes.map(() => 0),
    sds: genes.map(() => 1),
  };
  const x = transformInput(
    ds.selectGenes(genes),
    transform,
    Int32Array.from(genes, (_, j) => j),
    libraryTotals(ds, transform),
    new Float64Array(ds.nCells * g),
  );
  const k = categories.length;
  const sums = new Float64Array(k * g), positive = new Float64Array(k * g);
  const counts = new Int32Array(k);
  for (let i = 0; i < ds.nCells; i++) {
    const c = codes[i];
    if (c < 0) continue;
    counts[c]++;
    for (let j = 0; j < g; j++) {
      const v = x[i * g + j];
      sums[c * g + j] += v;
      if (v > 0) positive[c * g + j]++;
    }
  }
  const present = categories.map((_, c) => c).filter((c) => counts[c] > 0);
  return {
    label,
    genes: [...genes],
    classes: present.map((c) => categories[c]),
    cells: present.map((c) => counts[c]),
    rows: present.flatMap((c) =>
      genes.map((gene, j) => ({
        class: categories[c],
        gene,
        mean: sums[c * g + j] / counts[c],
        fraction: positive[c * g + j] / counts[c],
      }))
    ),
    targetSum,
    log1p,
  };
}

/** OptionError when a list names something twice (tables and figures key rows by name). */
export function checkDistinct(names: readonly string[], field: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) {
      throw new OptionError(`'${n}' appears twice in ${field}`, {
        field,
        fix: "pass each name once",
      });
    }
    seen.add(n);
  }
}
