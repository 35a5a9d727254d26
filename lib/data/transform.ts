/**
 * The model-input transform every selector and downstream classifier reads: candidate genes
 * chosen on train, each cell scaled to the train median library size, log1p, z-scored with train
 * means and sds. Fit once on train, applied unchanged to validation and test cells (no leakage);
 * an {@link InputTransform} is plain JSON. Library sizes count real genes only: null twins
 * appended by `nullGenes` never enter them (docs/methods.md §3.5).
 * @module
 */
import type { Dataset } from "./dataset.ts";
import {
  type CandidateConstraints,
  checkPoolSize,
  constrainPool,
  type ConstraintReport,
  hasPoolConstraints,
} from "./constraints.ts";
import { highlyVariableGenes, type HvgFlavor, type HvgResult } from "./hvg.ts";
import { fitPreprocess, log1p, medianLibrarySize, normalizeTotal } from "./preprocess.ts";
import { cellStats } from "./stats.ts";
import { isNullGene } from "./twins.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";

/** How raw expression becomes model input (learned on train, never refit). */
export interface InputTransform {
  /** Candidate genes, in model input order. */
  genes: string[];
  /** Each cell is scaled to this total before log1p (null: data used as given). */
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
  /** HVG flavour ranking the candidates ["seurat"]. */
  hvgFlavor?: HvgFlavor;
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
      const keep = new Set(allowed), forced = new Set(options.forceInclude ?? []);
      // the top n allowed genes by the flavour's ranking, in dataset order like fitPreprocess
      const top = new Set(
        Array.from(hvgRanking(train, flavor, targetSum).order)
          .map((j) => train.genes[j]).filter((g) => keep.has(g)).slice(0, n),
      );
      genes = allowed.filter((g) => top.has(g) || forced.has(g));
      if (options.candidates !== undefined || genes.length < allowed.length) {
        report.steps.push({
          constraint: `--candidates ${n}`,
          removed: allowed.length - genes.length,
          left: genes.length,
        });
      }
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
 * Per-cell library totals for `transform` (null when it does not scale cells): `given` when
 * passed (then only the transform's genes need to be read), else summed over every real gene of
 * `ds` ({@link realLibraryTotals}).
 */
export function libraryTotals(
  ds: Dataset,
  transform: InputTransform,
  given?: ArrayLike<number>,
): ArrayLike<number> | null {
  if (transform.targetSum === null) return null;
  const totals = given ?? realLibraryTotals(ds);
  if (totals.length !== ds.nCells) {
    throw new ShapeMismatchError(`${totals.length} library totals for ${ds.nCells} cells`, {
      field: "libraryTotals",
    });
  }
  return totals;
}

/**
 * Transform rows of `ds` (whose genes are `transform.genes[cols]` in that order) into z-scored
 * input, [nCells x cols.length], into `out` (float32 unless given). One code path for training
 * and inference.
 */
export function transformInput<T extends Float32Array | Float64Array = Float32Array>(
  ds: Dataset,
  transform: InputTransform,
  cols: ArrayLike<number>,
  totals: ArrayLike<number> | null,
  out: T = new Float32Array(ds.nCells * cols.length) as T,
): T {
  const n = ds.nCells, m = cols.length;
  if (ds.nGenes !== m) throw new ShapeMismatchError(`expected ${m} genes, got ${ds.nGenes}`);
  if (out.length !== n * m) {
    throw new ShapeMismatchError(`output holds ${out.length} values, expected ${n * m}`);
  }
  for (const { start, end, data } of ds.rows(2048)) {
    for (let i = start; i < end; i++) {
      const scale = transform.targetSum === null
        ? 1
        : transform.targetSum / Math.max(totals![i], 1e-12);
      for (let c = 0; c < m; c++) {
        let v = data[(i - start) * m + c];
        if (!(v >= 0 && v < Infinity)) {
          throw new DataValueError(
            `cell ${i}, gene '${ds.genes[c]}' holds ${v}; models need finite, non-negative values`,
            { field: ds.genes[c], fix: "remove or impute NaN/Inf/negative values first" },
          );
        }
        v *= scale;
        if (transform.log1p) v = Math.log1p(v);
        const j = cols[c];
        out[i * m + c] = (v - transform.means[j]) / transform.sds[j];
      }
    }
  }
  return out;
}

/**
 * Fit the z-scoring of log1p(counts scaled to `targetSum`) over `genes` on train; returns the
 * transform and the train input [nCells x genes.length].
 */
export function fitInput(
  train: Dataset,
  genes: string[],
  targetSum: number,
): { transform: InputTransform; x: Float32Array } {
  const g = genes.length, n = train.nCells;
  const identity = {
    genes,
    targetSum,
    log1p: true,
    means: new Array(g).fill(0),
    sds: new Array(g).fill(1),
  };
  // Values in float64, so the z-scores round to float32 once, as at inference.
  const raw = transformInput(
    train.selectGenes(genes),
    identity,
    Int32Array.from(genes, (_, j) => j),
    realLibraryTotals(train),
    new Float64Array(n * g),
  );
  const sums = new Float64Array(g), sq = new Float64Array(g);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < g; j++) {
      const v = Math.fround(raw[i * g + j]);
      sums[j] += v;
      sq[j] += v * v;
    }
  }
  const means = Array.from(sums, (s) => s / n);
  const sds = Array.from(sq, (s, j) => Math.sqrt(Math.max(0, s / n - means[j] ** 2)) || 1);
  const x = new Float32Array(n * g);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < g; j++) x[i * g + j] = (raw[i * g + j] - means[j]) / sds[j];
  }
  return { transform: { ...identity, means, sds }, x };
}

/**
 * Input for the cells of `ds` over `genes` (a subset of the transform's, any order; all of them
 * by default), reading only those genes of `ds` (matched by name) plus library totals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyInput, fitInput, simulate } from "yoto";
 * import { fitCandidates } from "./transform.ts";
 * const { dataset } = simulate({ nCells: 100, nGenes: 80, seed: 2 });
 * const { genes, targetSum } = fitCandidates(dataset, { candidates: 10 });
 * const { transform, x } = fitInput(dataset, genes, targetSum);
 * const again = applyInput(dataset, transform);
 * assert.ok(Math.abs(again[7] - x[7]) < 1e-6);
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
  return transformInput(
    ds.selectGenes(genes),
    transform,
    cols,
    libraryTotals(ds, transform, totals),
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
