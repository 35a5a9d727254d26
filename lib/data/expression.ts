/**
 * Per-class expression summaries of a Dataset: mean normalised expression and fraction of cells
 * detecting each gene (the numbers behind scanpy's dot plot, drawn by `dotPlotSpec`), the per-gene
 * columns of a panel table (top group, its log2 fold change, mean count, fraction detected), and
 * the check that a list of names (genes, classes) has no repeats.
 * @module
 */
import type { Dataset } from "./dataset.ts";
import { medianLibrarySize } from "./preprocess.ts";
import { type InputTransform, libraryTotals, transformInput } from "./transform.ts";
import { OptionError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";

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
  const { codes, categories } = ds.categorical(label);
  const { x, targetSum, log1p } = normalisedExpression(ds, genes, options);
  const g = genes.length;
  const { sums, positive, counts } = classSums(x, g, codes, categories.length);
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

/**
 * The expression {@link dotPlotData} and {@link heatmapData} draw, [cells x genes] row-major:
 * each cell scaled to `targetSum` over every gene of `ds`, then log1p (the shared input
 * transform without z-scoring, so the same scaling and log1p as model input).
 */
function normalisedExpression(
  ds: Dataset,
  genes: string[],
  options: DotPlotDataOptions,
): { x: Float64Array; targetSum: number | null; log1p: boolean } {
  checkDistinct(genes, "genes");
  const log1p = options.log1p ?? true;
  const targetSum = options.targetSum === undefined ? medianLibrarySize(ds) : options.targetSum;
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
    new Float64Array(ds.nCells * genes.length),
  );
  return { x, targetSum, log1p };
}

/** What {@link heatmapSpec} draws: genes by cells, cells grouped by class. */
export interface HeatmapData {
  /** The label column. */
  label: string;
  /** Genes as given. */
  genes: string[];
  /** Classes with at least one labelled cell, in the column's category order. */
  classes: string[];
  /** Labelled cells per class. */
  cells: number[];
  /** Mean normalised expression per class and gene, over every cell of the class [classes x genes]. */
  means: Float64Array;
  /** The drawn cells (indices into the Dataset), grouped by class in class order, each group ascending. */
  cellIndex: Int32Array;
  /** Class (index into `classes`) of each drawn cell. */
  cellClass: Int32Array;
  /**
   * Per drawn cell and gene [drawn x genes] row-major: the normalised expression as a z-score of
   * its gene over every labelled cell (0 for a gene constant there).
   */
  z: Float64Array;
  targetSum: number | null;
  log1p: boolean;
}

/** Options of {@link heatmapData}. */
export interface HeatmapDataOptions extends DotPlotDataOptions {
  /**
   * At most this many cells drawn per class, uniformly without replacement (default:
   * floor(300 / classes), within [10, 50]): the figure stays small whatever the data size.
   */
  perClass?: number;
  /** Seed of that subsample (default 0): the same seed draws the same cells. */
  seed?: number;
}

/**
 * Per cell and gene, the normalised (log1p) expression z-scored per gene over the labelled
 * cells (Seurat's scaled data), for a heatmap of a panel: cells grouped by class of `label`,
 * at most `perClass` cells per class, drawn deterministically for a seed. Class means and
 * counts are over every labelled cell.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "./dataset.ts";
 * // gene A: 0, 2, 0, 2 (mean 1, sd 1); cells 1 and 3 are x, 0 and 2 are y
 * const ds = Dataset.fromDense(new Float32Array([0, 1, 2, 1, 0, 1, 2, 1]), 4, 2, ["A", "B"], {
 *   t: { kind: "string", values: ["y", "x", "y", "x"] },
 * });
 * const h = heatmapData(ds, ["A"], "t", { targetSum: null, log1p: false });
 * assert.deepEqual(h.classes, ["x", "y"]);
 * assert.deepEqual([...h.cellIndex], [1, 3, 0, 2]); // class x first, each class in data order
 * assert.deepEqual([...h.z], [1, 1, -1, -1]);
 * ```
 */
export function heatmapData(
  ds: Dataset,
  genes: string[],
  label: string,
  options: HeatmapDataOptions = {},
): HeatmapData {
  const { codes, categories } = ds.categorical(label);
  const { x, targetSum, log1p } = normalisedExpression(ds, genes, options);
  const g = genes.length;
  const { sums, counts } = classSums(x, g, codes, categories.length);
  const present = categories.map((_, c) => c).filter((c) => counts[c] > 0);
  const perClass = options.perClass ??
    Math.min(50, Math.max(10, Math.floor(300 / Math.max(1, present.length))));
  if (!(Number.isInteger(perClass) && perClass >= 1)) {
    throw new OptionError(`perClass must be an integer >= 1, got ${perClass}`, {
      field: "perClass",
      fix: "pass e.g. perClass: 50",
    });
  }
  // Per gene mean and sd over the labelled cells (two passes).
  const labelled = present.reduce((s, c) => s + counts[c], 0);
  const mean = new Float64Array(g), sd = new Float64Array(g);
  for (let j = 0; j < g; j++) {
    for (const c of present) mean[j] += sums[c * g + j];
    mean[j] /= Math.max(1, labelled);
  }
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] < 0) continue;
    for (let j = 0; j < g; j++) sd[j] += (x[i * g + j] - mean[j]) ** 2;
  }
  for (let j = 0; j < g; j++) sd[j] = Math.sqrt(sd[j] / Math.max(1, labelled));
  // Cells of each class in data order, then a seeded subsample of the large ones.
  const members: number[][] = categories.map(() => []);
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) members[codes[i]].push(i);
  const rng = new Rng(options.seed ?? 0);
  const drawn = present.map((c) => {
    const all = members[c];
    if (all.length <= perClass) return all;
    const pick = rng.fork(categories[c]).sampleWithoutReplacement(all.length, perClass).sort();
    return Array.from(pick, (k) => all[k]);
  });
  const cellIndex = Int32Array.from(drawn.flat());
  const cellClass = Int32Array.from(drawn.flatMap((cells, c) => cells.map(() => c)));
  const z = new Float64Array(cellIndex.length * g);
  cellIndex.forEach((i, r) => {
    for (let j = 0; j < g; j++) {
      z[r * g + j] = sd[j] > 0 ? (x[i * g + j] - mean[j]) / sd[j] : 0;
    }
  });
  return {
    label,
    genes: [...genes],
    classes: present.map((c) => categories[c]),
    cells: present.map((c) => counts[c]),
    means: Float64Array.from(
      present.flatMap((c) => genes.map((_, j) => sums[c * g + j] / counts[c])),
    ),
    cellIndex,
    cellClass,
    z,
    targetSum,
    log1p,
  };
}

/** Per-class sums, counts of values > 0 (class-major, [classes x width]) and cells per class. */
interface ClassSums {
  sums: Float64Array;
  positive: Float64Array;
  counts: Int32Array;
}

/** {@link ClassSums} of a row-major [cells x width] matrix; cells with a code < 0 are left out. */
function classSums(
  x: ArrayLike<number>,
  width: number,
  codes: ArrayLike<number>,
  nClasses: number,
): ClassSums {
  const sums = new Float64Array(nClasses * width), positive = new Float64Array(nClasses * width);
  const counts = new Int32Array(nClasses);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c < 0) continue;
    counts[c]++;
    for (let j = 0; j < width; j++) {
      const v = x[i * width + j];
      sums[c * width + j] += v;
      if (v > 0) positive[c * width + j]++;
    }
  }
  return { sums, positive, counts };
}

/**
 * Pseudo-count (raw counts per cell) added to both means of {@link GeneSummary.log2fcTop}: a gene
 * the other cells never express gets a finite fold change, and genes seen in fewer than about one
 * cell in a hundred do not get huge ones from a handful of counts.
 */
export const LOG2FC_PSEUDOCOUNT = 0.01;

/** What a panel table says about one gene, from the raw counts of the training cells. */
export interface GeneSummary {
  gene: string;
  /** The class of the label where the gene's mean count is highest (null without a label). */
  topGroup: string | null;
  /**
   * log2((mean in topGroup + ε) / (mean in the other labelled cells + ε)), ε =
   * {@link LOG2FC_PSEUDOCOUNT}; null without a label or with a single class.
   */
  log2fcTop: number | null;
  /** Mean raw count per cell over every cell. */
  meanCount: number;
  /** Fraction of the cells with a count > 0. */
  fracDetected: number;
}

/** Per-gene summaries of a panel, and the label column their groups come from. */
export interface PanelSummary {
  /** The label column of topGroup/log2fcTop (null: none given). */
  label: string | null;
  /** One per panel gene, in panel order. */
  genes: GeneSummary[];
}

/**
 * Per gene of `genes`, from the raw counts of `ds` (the training cells): the class of `label`
 * where its mean count is highest, its log2 fold change there against the other labelled cells,
 * its mean count per cell and the fraction of cells detecting it (over every cell, labelled or
 * not). Ties go to the first class in category order; cells without a label count only in the
 * overall numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "./dataset.ts";
 * const ds = Dataset.fromDense(new Float32Array([4, 0, 0, 2, 2, 1]), 3, 2, ["A", "B"], {
 *   t: { kind: "string", values: ["x", "y", "y"] },
 * });
 * const [a, b] = panelSummary(ds, ["A", "B"], "t").genes;
 * assert.equal(a.topGroup, "x");
 * assert.equal(a.log2fcTop, Math.log2(4.01 / 1.01)); // 4 in x; (0 + 2) / 2 in y
 * assert.equal(b.meanCount, 1);
 * assert.equal(b.fracDetected, 2 / 3);
 * assert.equal(panelSummary(ds, ["A"]).genes[0].topGroup, null);
 * ```
 */
export function panelSummary(ds: Dataset, genes: string[], label?: string): PanelSummary {
  checkDistinct(genes, "genes");
  const g = genes.length;
  const x = ds.selectGenes(genes).toDense();
  const all = classSums(x, g, new Int32Array(ds.nCells), 1);
  const n = Math.max(1, all.counts[0]);
  const byClass = label === undefined ? null : ds.categorical(label);
  const groups = byClass && classSums(x, g, byClass.codes, byClass.categories.length);
  const labelled = groups ? groups.counts.reduce((a, b) => a + b, 0) : 0;
  return {
    label: label ?? null,
    genes: genes.map((gene, j) => {
      let topGroup: string | null = null, log2fcTop: number | null = null;
      if (byClass && groups && labelled > 0) {
        const mean = (c: number) => groups.sums[c * g + j] / groups.counts[c];
        let top = -1;
        groups.counts.forEach((cells, c) => {
          if (cells > 0 && (top < 0 || mean(c) > mean(top))) top = c;
        });
        topGroup = byClass.categories[top];
        const rest = labelled - groups.counts[top];
        if (rest > 0) {
          let restSum = 0;
          for (let c = 0; c < groups.counts.length; c++) {
            if (c !== top) restSum += groups.sums[c * g + j];
          }
          const eps = LOG2FC_PSEUDOCOUNT;
          log2fcTop = Math.log2((mean(top) + eps) / (restSum / rest + eps));
        }
      }
      return {
        gene,
        topGroup,
        log2fcTop,
        meanCount: all.sums[j] / n,
        fracDetected: all.positive[j] / n,
      };
    }),
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
