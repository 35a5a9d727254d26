/**
 * The model-input transform every selector and downstream classifier reads: candidate genes
 * chosen on train, then one of four normalisations (docs/methods.md §0), z-scored with train
 * means and sds. All but `transcriptome` read a cell's counts of the genes being read and nothing
 * else, so a model needs only the panel's counts at prediction time. Fit once on train,
 * applied unchanged to validation and test cells (no leakage); an {@link InputTransform} is plain
 * JSON. Library sizes count real genes only: null twins appended by `nullGenes` never enter them
 * (docs/methods.md §3.5).
 * @module
 */
import type { Dataset } from "./dataset.ts";
import {
  type CandidateConstraints,
  checkPoolSize,
  constrainPool,
  type ConstraintReport,
  hasPoolConstraints,
  topAllowed,
} from "./constraints.ts";
import { highlyVariableGenes, type HvgFlavor, type HvgResult } from "./hvg.ts";
import {
  fitPreprocess,
  log1p,
  medianLibrarySize,
  medianNonzero,
  normalizeTotal,
} from "./preprocess.ts";
import { cellStats } from "./stats.ts";
import { isNullGene } from "./twins.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";

/**
 * How each cell is normalised before z-scoring (docs/methods.md §0):
 * - `panel`: scaled to `targetSum` by its total over the genes read (the panel), then log1p;
 * - `counts`: log1p of the raw counts;
 * - `binary`: 1 when detected, else 0;
 * - `transcriptome`: scaled by its total over every gene, then log1p: prediction then needs
 *   those totals (the full profile, or a library-size column).
 */
export type Normalization = "panel" | "counts" | "binary" | "transcriptome";

/** Every {@link Normalization}, in the order the CLI lists them. */
export const NORMALIZATIONS: readonly Normalization[] = [
  "panel",
  "counts",
  "binary",
  "transcriptome",
];

/**
 * The normalisation used unless one is asked for: the best panel-native mean macro-F1 over full
 * and thinned test depths (docs/methods.md §0).
 */
export const DEFAULT_NORMALIZATION: Normalization = "panel";

/** The `--normalize MODE` flag of every command that fits a model input (parseCli options). */
export const NORMALIZE_FLAG = { normalize: { type: "string" } } as const;

/** Help line of {@link NORMALIZE_FLAG} (continuation lines indented to the help's column). */
export const NORMALIZATION_HELP =
  `  --normalize MODE   model input per cell (default ${DEFAULT_NORMALIZATION}): panel = scaled by the cell's total over
                     the panel genes, then log1p (reads only the panel's counts); counts = log1p
                     of the raw counts; binary = detected or not; transcriptome = scaled by the
                     total over all genes (predict then needs --library-size-column)
`;

/**
 * `value` as a {@link Normalization}, or an OptionError naming `flag` (the CLI flag or config key)
 * and the choices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNormalization } from "yoto";
 * assert.equal(parseNormalization("counts", "--normalize"), "counts");
 * assert.throws(() => parseNormalization("cpm", "--normalize"), /--normalize/);
 * ```
 */
export function parseNormalization(value: unknown, flag: string): Normalization {
  if (NORMALIZATIONS.includes(value as Normalization)) return value as Normalization;
  throw new OptionError(`${flag} must be one of ${NORMALIZATIONS.join(", ")}, got '${value}'`, {
    field: flag,
    fix: `pass ${flag} ${DEFAULT_NORMALIZATION} (input computable from the panel genes alone)`,
  });
}

/** How raw expression becomes model input (learned on train, never refit). */
export interface InputTransform {
  /** Candidate genes, in model input order. */
  genes: string[];
  /** Per-cell normalisation (absent in models saved before it existed: "transcriptome"). */
  normalize: Normalization;
  /**
   * `panel`/`transcriptome`: each cell is scaled to this total before log1p; null otherwise
   * (data used as given, then log1p when `log1p`).
   */
  targetSum: number | null;
  log1p: boolean;
  /** Per-candidate mean and sd of the transformed train values (z-scoring). */
  means: number[];
  sds: number[];
}

/**
 * How candidates are chosen: the top-N HVGs on train [2000], or an explicit list, among the genes
 * the constraints leave (forced genes always included).
 */
export interface CandidateOptions extends CandidateConstraints {
  candidates?: number | string[];
  /** Model-input normalisation [DEFAULT_NORMALIZATION]. */
  normalize?: Normalization;
  /** HVG flavour ranking the candidates ["seurat"]. */
  hvgFlavor?: HvgFlavor;
  /**
   * With an explicit `candidates` list chosen under constraints elsewhere (the streamed
   * candidates, lib/data/stream.ts): what those constraints removed, reported as this step's own.
   */
  constraintReport?: ConstraintReport;
}

/** The suffix naming the null twins `nullGenes` appended to `ds` (its uns.nullGenes), or null. */
function twinSuffix(ds: Dataset): string | null {
  const suffix = (ds.uns.nullGenes as { suffix?: unknown } | undefined)?.suffix;
  return typeof suffix === "string" && ds.genes.some((g) => isNullGene(g, suffix)) ? suffix : null;
}

/**
 * `ds` without the null twins that `nullGenes` appended (named by its `uns.nullGenes` suffix), or
 * `ds` itself when it holds none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * import { realGenesOnly } from "./transform.ts";
 * const ds = Dataset.fromDense(new Float32Array([1, 2, 3]), 1, 3, ["A", "B", "A__null"])
 *   .withUns({ nullGenes: { suffix: "__null" } });
 * assert.equal(realGenesOnly(ds).genes.join(), "A,B");
 * ```
 */
export function realGenesOnly(ds: Dataset): Dataset {
  const suffix = twinSuffix(ds);
  return suffix === null ? ds : ds.selectGenes(ds.genes.filter((g) => !isNullGene(g, suffix)));
}

/**
 * Per-cell library sizes: totals over the real genes of `ds` (null twins left out, so appending
 * them changes no real gene's input).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * import { realLibraryTotals } from "./transform.ts";
 * const ds = Dataset.fromDense(new Float32Array([1, 2, 3]), 1, 3, ["A", "B", "A__null"])
 *   .withUns({ nullGenes: { suffix: "__null" } });
 * assert.equal(realLibraryTotals(ds)[0], 3);
 * ```
 */
export function realLibraryTotals(ds: Dataset): Float64Array {
  return cellStats(realGenesOnly(ds)).totals;
}

/** What {@link fitCandidates} chose. */
export interface Candidates {
  /** Candidate genes (forced genes included). */
  genes: string[];
  /** Median train library size over real genes. */
  targetSum: number;
  /** What each constraint removed; null when none was given. */
  report: ConstraintReport | null;
}

/**
 * The flavour's HVG table for every gene of `train` (raw counts): `seurat_v3` on the counts, the
 * others on log1p of the counts scaled to `targetSum` (library sizes over real genes).
 */
export function hvgRanking(train: Dataset, flavor: HvgFlavor, targetSum: number): HvgResult {
  const data = flavor === "seurat_v3"
    ? train
    : log1p(normalizeTotal(train, { targetSum, totals: realLibraryTotals(train) }));
  // nTopGenes only marks genes; `order` ranks every gene whatever it is
  return highlyVariableGenes(data, { flavor, nTopGenes: 1 });
}

/**
 * Candidate genes and the library-size target (median train total over real genes), from train
 * only. A dataset holding null twins needs an explicit list (real candidates and their twins;
 * constraints pass the twins untouched). With constraints, HVGs are ranked among the genes they
 * leave, and `options.k` (forced genes included) is checked against what is left: an OptionError
 * names the constraint that left too few.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "yoto";
 * import { fitCandidates } from "./transform.ts";
 * const { dataset } = simulate({ nCells: 200, nGenes: 80, seed: 1 });
 * const { genes } = fitCandidates(dataset, { candidates: 20 });
 * assert.equal(genes.length, 20);
 * const kept = fitCandidates(dataset, { candidates: 20, exclude: genes.slice(0, 5) });
 * assert.equal(kept.report!.steps[0].removed, 5);
 * assert.ok(!kept.genes.includes(genes[0]));
 * ```
 */
export function fitCandidates(
  train: Dataset,
  options: CandidateOptions & { tasks?: string[]; k?: number } = {},
): Candidates {
  const suffix = twinSuffix(train);
  const constrained = hasPoolConstraints(options);
  const constrain = (pool: readonly string[]) =>
    constrainPool(
      train,
      pool,
      options,
      options.tasks?.[0],
      suffix === null ? undefined : (g) => isNullGene(g, suffix),
    );
  let genes: string[], targetSum: number, report: ConstraintReport | null = null;
  if (Array.isArray(options.candidates)) {
    train.geneIndices(options.candidates);
    targetSum = medianLibrarySize(realGenesOnly(train));
    genes = options.candidates;
    if (constrained || options.forceInclude?.length) ({ genes, report } = constrain(genes));
    report = options.constraintReport ?? report;
  } else {
    if (suffix !== null) {
      throw new OptionError(
        "the training cells hold null twins, so HVG candidates would rank them",
        {
          field: "candidates",
          fix: "choose candidates among the real genes and pass them with their twins as a list " +
            "(calibratePanel does)",
        },
      );
    }
    const n = Math.min(options.candidates ?? 2000, train.nGenes);
    const flavor = options.hvgFlavor ?? "seurat";
    if (constrained) {
      targetSum = medianLibrarySize(train);
      let allowed: string[];
      ({ genes: allowed, report } = constrain(train.genes));
      // the top n allowed genes by the flavour's ranking, in dataset order like fitPreprocess
      const ranked = Array.from(hvgRanking(train, flavor, targetSum).order, (j) => train.genes[j]);
      const forced = options.forceInclude ?? [];
      genes = topAllowed(allowed, report, ranked, n, forced, options.candidates !== undefined);
    } else {
      const params = fitPreprocess(train, { hvg: { nTopGenes: n, flavor } });
      genes = params.genes;
      targetSum = params.normalize!.targetSum;
      if (options.forceInclude?.length) ({ genes, report } = constrain(genes));
    }
  }
  if (report && options.k !== undefined) {
    checkPoolSize(report, genes.length, options.k + 1, options.k);
  }
  return { genes, targetSum, report };
}

/**
 * Per-cell library totals the transform scales by (null when it does not scale cells), for the
 * cells of `ds` read over `genes`: `panel` sums those genes (real ones only); `transcriptome` uses
 * `given` when passed (then only `genes` need to be read), else sums every real gene of `ds`.
 * `selected`: `ds` already read over `genes`, so it is not read again.
 */
export function libraryTotals(
  ds: Dataset,
  transform: InputTransform,
  genes: string[] = transform.genes,
  given?: ArrayLike<number>,
  selected?: Dataset,
): ArrayLike<number> | null {
  if (transform.targetSum === null) return null;
  if (normalization(transform) === "panel") return panelTotals(ds, genes, selected);
  const totals = given ?? realLibraryTotals(ds);
  if (totals.length !== ds.nCells) {
    throw new ShapeMismatchError(`${totals.length} library totals for ${ds.nCells} cells`, {
      field: "libraryTotals",
    });
  }
  return totals;
}

/** 1 for each real gene of `genes`, 0 for a null twin of `ds` (twins never count in a total). */
export function realGeneMask(ds: Dataset, genes: readonly string[]): Float32Array {
  const suffix = twinSuffix(ds);
  return Float32Array.from(genes, (g) => suffix !== null && isNullGene(g, suffix) ? 0 : 1);
}

/** Per-cell totals over the real genes among `genes` (the `panel` library size). */
function panelTotals(ds: Dataset, genes: string[], selected?: Dataset): Float64Array {
  const real = realGeneMask(ds, genes);
  const allReal = real.every((v) => v === 1);
  return cellStats(
    allReal && selected ? selected : ds.selectGenes(genes.filter((_, j) => real[j] === 1)),
  ).totals;
}

/** The transform's normalisation; models saved before the field existed scaled by the transcriptome. */
export function normalization(transform: InputTransform): Normalization {
  return transform.normalize ?? (transform.targetSum === null ? "counts" : "transcriptome");
}

/** Cells transformed per block: bounds the dense scratch of {@link transformInput}. */
const BLOCK_CELLS = 2048;

/**
 * Transform cells of `ds` (whose genes are `transform.genes[cols]` in that order) into z-scored
 * input, [cells x cols.length], into `out` (float32 unless given): every cell in order, or the
 * rows `cells` in that order (a minibatch, densified from CSR block by block). `totals` is
 * indexed by cell of `ds`. One code path for training and inference.
 */
export function transformInput<T extends Float32Array | Float64Array = Float32Array>(
  ds: Dataset,
  transform: InputTransform,
  cols: ArrayLike<number>,
  totals: ArrayLike<number> | null,
  out?: T,
  cells?: ArrayLike<number>,
): T {
  const n = cells?.length ?? ds.nCells, m = cols.length;
  if (ds.nGenes !== m) throw new ShapeMismatchError(`expected ${m} genes, got ${ds.nGenes}`);
  const result = out ?? new Float32Array(n * m) as T;
  if (result.length !== n * m) {
    throw new ShapeMismatchError(`output holds ${result.length} values, expected ${n * m}`);
  }
  const binary = normalization(transform) === "binary";
  for (let start = 0; start < n; start += BLOCK_CELLS) {
    const end = Math.min(n, start + BLOCK_CELLS);
    const data = cells
      ? ds.gatherRows(Array.prototype.slice.call(cells, start, end) as number[])
      : ds.denseRows(start, end);
    for (let r = start; r < end; r++) {
      const i = cells ? cells[r] : r;
      // a cell with nothing on the genes read stays all zero
      const scale = totals === null || transform.targetSum === null
        ? 1
        : transform.targetSum / Math.max(totals[i], 1e-12);
      for (let c = 0; c < m; c++) {
        let v = data[(r - start) * m + c];
        if (!(v >= 0 && v < Infinity)) {
          throw new DataValueError(
            `cell ${i}, gene '${ds.genes[c]}' holds ${v}; models need finite, non-negative values`,
            { field: ds.genes[c], fix: "remove or impute NaN/Inf/negative values first" },
          );
        }
        if (binary) v = v > 0 ? 1 : 0;
        else {
          v *= scale;
          if (transform.log1p) v = Math.log1p(v);
        }
        const j = cols[c];
        result[r * m + c] = (v - transform.means[j]) / transform.sds[j];
      }
    }
  }
  return result;
}

/** Options of {@link fitInput}. */
export interface FitInputOptions {
  /** [DEFAULT_NORMALIZATION] */
  normalize?: Normalization;
  /**
   * `panel`/`transcriptome`: the total each cell is scaled to [the median non-zero train total
   * over the genes read (`panel`) or over every real gene (`transcriptome`)].
   */
  targetSum?: number;
}

/**
 * The transform over `genes` (`selected`: `train` read over them) with no z-scoring yet (means 0,
 * sds 1), and the train library totals it scales by (null: none).
 */
function unscaledTransform(
  train: Dataset,
  genes: string[],
  selected: Dataset,
  options: FitInputOptions,
): { transform: InputTransform; totals: Float64Array | null } {
  const normalize = options.normalize ?? DEFAULT_NORMALIZATION;
  const given = options.targetSum;
  if (given !== undefined && !(given > 0 && Number.isFinite(given))) {
    throw new OptionError(`targetSum must be a finite number > 0, got ${given}`, {
      field: "targetSum",
    });
  }
  const totals = normalize === "panel"
    ? panelTotals(train, genes, selected)
    : normalize === "transcriptome"
    ? realLibraryTotals(train)
    : null;
  const transform: InputTransform = {
    genes,
    normalize,
    targetSum: totals === null ? null : options.targetSum ?? medianNonzero(totals),
    log1p: normalize !== "binary",
    means: new Array(genes.length).fill(0),
    sds: new Array(genes.length).fill(1),
  };
  return { transform, totals };
}

/** What {@link fitInputTransform} returns: the transform, and what applying it to train needs. */
export interface FittedTransform {
  transform: InputTransform;
  /** `train` read over the transform's genes (sparse when `train` is). */
  selected: Dataset;
  /** The train library totals the transform scales by (null: none). */
  totals: Float64Array | null;
}

/**
 * Fit the z-scoring of the normalised counts over `genes` on train, in one pass over blocks of
 * cells: memory is the sparse train matrix plus one block, whatever the number of cells. The
 * train input is then {@link transformInput} of `selected`, whole or a minibatch at a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, fitInputTransform } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 3, 0, 2, 2, 4]), 3, 2, ["A", "B"]);
 * const { transform } = fitInputTransform(ds, ["A"], { normalize: "panel" });
 * assert.equal(transform.targetSum, 1.5); // non-zero totals over the panel {A}: 1, 2
 * assert.equal(fitInputTransform(ds, ["A"], { normalize: "transcriptome" }).transform.targetSum, 4);
 * ```
 */
export function fitInputTransform(
  train: Dataset,
  genes: string[],
  options: FitInputOptions = {},
): FittedTransform {
  const g = genes.length, n = train.nCells;
  const selected = train.selectGenes(genes);
  const { transform: identity, totals } = unscaledTransform(train, genes, selected, options);
  const cols = Int32Array.from(genes, (_, j) => j);
  const sums = new Float64Array(g), sq = new Float64Array(g);
  for (let start = 0; start < n; start += BLOCK_CELLS) {
    const block = Int32Array.from(
      { length: Math.min(n, start + BLOCK_CELLS) - start },
      (_, r) => start + r,
    );
    // Values in float64, so the z-scores round to float32 once, as at inference.
    const raw = transformInput(
      selected,
      identity,
      cols,
      totals,
      new Float64Array(block.length * g),
      block,
    );
    for (let r = 0; r < block.length; r++) {
      for (let j = 0; j < g; j++) {
        const v = Math.fround(raw[r * g + j]);
        sums[j] += v;
        sq[j] += v * v;
      }
    }
  }
  const means = Array.from(sums, (s) => s / n);
  const sds = Array.from(sq, (s, j) => Math.sqrt(Math.max(0, s / n - means[j] ** 2)) || 1);
  return { transform: { ...identity, means, sds }, selected, totals };
}

/**
 * The fitted train input a minibatch at a time: rows `rows` of the train input, densified from
 * the (sparse) train matrix on demand, so training never holds the whole input dense.
 */
export function inputBatches(fitted: FittedTransform): (rows: ArrayLike<number>) => Float32Array {
  const { transform, selected, totals } = fitted;
  const cols = Int32Array.from(transform.genes, (_, j) => j);
  return (rows) => transformInput<Float32Array>(selected, transform, cols, totals, undefined, rows);
}

/**
 * Fit the transform over `genes` on train ({@link fitInputTransform}) and return it with the whole
 * train input [nCells x genes.length], dense: for panels and other small gene sets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, fitInput } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 3, 0, 2, 2, 4]), 3, 2, ["A", "B"]);
 * const { x } = fitInput(ds, ["A"], { normalize: "counts" });
 * assert.ok(Math.abs(x[0] + x[1] + x[2]) < 1e-6); // z-scored: mean 0
 * ```
 */
export function fitInput(
  train: Dataset,
  genes: string[],
  options: FitInputOptions = {},
): { transform: InputTransform; x: Float32Array } {
  const { transform, selected, totals } = fitInputTransform(train, genes, options);
  const x = transformInput(selected, transform, Int32Array.from(genes, (_, j) => j), totals);
  return { transform, x };
}

/**
 * Input for the cells of `ds` over `genes` (a subset of the transform's, any order; all of them
 * by default), reading only those genes of `ds` (matched by name); `transcriptome` also needs the
 * cells' totals over every gene (`totals`, or the whole profile of `ds`). Under `panel` the cell's
 * total is over `genes`: pass exactly the panel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyInput, fitInput, simulate } from "yoto";
 * import { fitCandidates } from "./transform.ts";
 * const { dataset } = simulate({ nCells: 100, nGenes: 80, seed: 2 });
 * const { genes } = fitCandidates(dataset, { candidates: 10 });
 * const { transform, x } = fitInput(dataset, genes);
 * const again = applyInput(dataset, transform);
 * assert.ok(Math.abs(again[7] - x[7]) < 1e-6);
 * // panel-native: a file holding only these genes gives the same input, bit for bit
 * assert.deepEqual(applyInput(dataset.selectGenes(genes), transform), again);
 * ```
 */
export function applyInput(
  ds: Dataset,
  transform: InputTransform,
  genes: string[] = transform.genes,
  totals?: ArrayLike<number>,
): Float32Array {
  const index = new Map(transform.genes.map((g, i) => [g, i]));
  const cols = Int32Array.from(genes, (g) => {
    const j = index.get(g);
    if (j === undefined) {
      throw new ShapeMismatchError(`gene '${g}' is not among the transform's genes`, {
        field: g,
      });
    }
    return j;
  });
  const selected = ds.selectGenes(genes);
  return transformInput(
    selected,
    transform,
    cols,
    libraryTotals(ds, transform, genes, totals, selected),
  );
}

/** Rows `rows` of the row-major matrix `x` [* x width], copied in that order (a minibatch). */
export function takeRows(x: Float32Array, width: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    out.set(x.subarray(rows[r] * width, (rows[r] + 1) * width), r * width);
  }
  return out;
}
