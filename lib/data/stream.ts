/**
 * Out-of-core passes over an `.arrow` dataset (docs/methods.md §4.5): memory is one record batch
 * plus per-gene sums and a few bytes per cell, whatever the number of cells. {@link scanArrow}
 * reads the file once for library sizes, label counts and raw-count gene sums;
 * {@link arrowCandidates} reads it once more for the statistics of the normalised values, since
 * the normalisation target (the median library size) is known only after the first pass. The
 * candidates are exactly those `fitCandidates` (lib/data/transform.ts) picks on the whole file
 * read at once.
 * @module
 */
import { streamArrow } from "./arrow.ts";
import { concatCells, Dataset } from "./dataset.ts";
import {
  type CandidateConstraints,
  checkPoolSize,
  constrainPool,
  type ConstraintReport,
  hasPoolConstraints,
  topAllowed,
} from "./constraints.ts";
import {
  addClippedSums,
  emptyClippedSums,
  type HvgFlavor,
  hvgFromSums,
  type HvgResult,
  type HvgSums,
  hvgValueTransform,
  seuratV3Clip,
} from "./hvg.ts";
import { checkUniqueNames } from "./io.ts";
import { log1p, medianNonzero, normalizeTotal } from "./preprocess.ts";
import {
  addGeneSums,
  cellStats,
  checkCounts,
  emptyGeneSums,
  geneMoments,
  type GeneSums,
} from "./stats.ts";
import { celltypeQuota } from "./sampling.ts";
import { FileFormatError, OptionError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";

/** Options of {@link scanArrow}. */
export interface ArrowScanOptions {
  /** obs column whose categories are counted (categorical or string); balances the sketch. */
  label?: string;
  /** Choose a sketch of this many cells in the same pass (docs/methods.md §4.5). */
  sketch?: number;
  /** Seed of the sketch [0]. */
  seed?: number;
}

/** Cells per category of a label column, over the whole file. */
export interface LabelCounts {
  column: string;
  /** In order of first appearance in the file. */
  categories: string[];
  counts: Int32Array;
  /** Cells without a label. */
  missing: number;
}

/** What {@link scanArrow} learns in one pass. */
export interface ArrowScan {
  path: string;
  genes: string[];
  nCells: number;
  /** Record batches read. */
  batches: number;
  /**
   * Per cell, its total count over every gene (float32-rounded like {@link cellStats}): 8 bytes a
   * cell, kept because the exact median library size needs them all.
   */
  totals: Float64Array;
  /** Per-gene sums, sums of squares and detection counts of the raw counts. */
  counts: GeneSums;
  /** With `label`: cells per category. */
  labels: LabelCounts | null;
  /** With `sketch`: the chosen cells, ascending (every cell when there are no more). */
  sketch: Int32Array | null;
}

/**
 * The `capacity` cells with the smallest random keys offered so far (a max-heap on the key): a
 * uniform sample of that many of them, in memory proportional to `capacity`.
 */
class SmallestKeys {
  readonly keys: number[] = [];
  readonly cells: number[] = [];
  constructor(readonly capacity: number) {}

  offer(key: number, cell: number): void {
    const { keys, cells } = this;
    if (keys.length < this.capacity) {
      let i = keys.length;
      keys.push(key);
      cells.push(cell);
      while (i > 0) {
        const up = (i - 1) >> 1;
        if (keys[up] >= key) break;
        [keys[i], cells[i]] = [keys[up], cells[up]];
        i = up;
      }
      [keys[i], cells[i]] = [key, cell];
    } else if (keys.length > 0 && key < keys[0]) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let top = i, topKey = key;
        if (l < keys.length && keys[l] > topKey) [top, topKey] = [l, keys[l]];
        if (r < keys.length && keys[r] > topKey) top = r;
        if (top === i) break;
        [keys[i], cells[i]] = [keys[top], cells[top]];
        i = top;
      }
      [keys[i], cells[i]] = [key, cell];
    }
  }

  /** The `m` cells with the smallest keys. */
  smallest(m: number): number[] {
    const order = this.keys.map((_, i) => i).sort((a, b) => this.keys[a] - this.keys[b]);
    return order.slice(0, m).map((i) => this.cells[i]);
  }
}

function checkSketchSize(n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new OptionError(`the sketch size must be an integer >= 1, got ${n}`, {
      field: "sketch",
      fix: "pass --sketch N with N >= 1 cells",
    });
  }
}

/**
 * One pass over an `.arrow` dataset of raw counts, batch by batch: per-cell library sizes,
 * per-gene raw-count sums, sums of squares and detection counts, and (with `label`) cells per
 * category. Counts and the uniqueness of names are checked as they are read (DataValueError
 * naming the cell or the names).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "./simulate.ts";
 * import { writeArrow } from "./arrow.ts";
 * const { dataset } = simulate({ nCells: 300, nGenes: 100, seed: 1 });
 * const path = `${await Deno.makeTempDir()}/s.arrow`;
 * await writeArrow(dataset, path, { batchSize: 64 });
 * const scan = await scanArrow(path, { label: "cell_type" });
 * assert.equal(scan.batches, 5);
 * assert.equal(scan.labels!.counts.reduce((a, b) => a + b), 300);
 * assert.equal(scan.totals[7], dataset.values.subarray(dataset.indptr[7], dataset.indptr[8]).reduce((a, b) => a + b));
 * ```
 */
export async function scanArrow(path: string, options: ArrowScanOptions = {}): Promise<ArrowScan> {
  let genes: string[] | undefined, counts: GeneSums | undefined;
  const totals: Float64Array[] = [];
  const categories: string[] = [], index = new Map<string, number>();
  const labelCounts: number[] = [];
  let missing = 0, nCells = 0, batches = 0;
  const n = options.sketch;
  if (n !== undefined) checkSketchSize(n);
  const keys = new Rng(options.seed ?? 0).fork("sketch");
  // per class (missing labels last) with a label, else one: the n smallest keys of each
  const pools = new Map<number, SmallestKeys>();
  const poolOf = (c: number) => {
    if (!pools.has(c)) pools.set(c, new SmallestKeys(n!));
    return pools.get(c)!;
  };
  for await (const { dataset } of streamArrow(path)) {
    checkUniqueNames(dataset, path);
    genes ??= dataset.genes;
    counts ??= emptyGeneSums(genes.length);
    checkCounts(dataset, `the statistics of ${path}`);
    totals.push(cellStats(dataset).totals);
    addGeneSums(counts, dataset);
    if (options.label !== undefined) {
      const col = dataset.categorical(options.label);
      const global = col.categories.map((c) => {
        if (!index.has(c)) {
          index.set(c, categories.length);
          categories.push(c);
          labelCounts.push(0);
        }
        return index.get(c)!;
      });
      for (const c of col.codes) {
        if (c < 0) missing++;
        else labelCounts[global[c]]++;
      }
      if (n !== undefined) {
        // missing labels form one more class, after every category
        col.codes.forEach((c, i) =>
          poolOf(c < 0 ? -1 : global[c]).offer(keys.uniform(), nCells + i)
        );
      }
    } else if (n !== undefined) {
      for (let i = 0; i < dataset.nCells; i++) poolOf(0).offer(keys.uniform(), nCells + i);
    }
    nCells += dataset.nCells;
    batches++;
  }
  if (!genes || !counts) {
    throw new FileFormatError("the Arrow file holds no record batch", {
      file: path,
      fix: "re-write or re-convert it",
    });
  }
  const all = new Float64Array(nCells);
  let at = 0;
  for (let part = totals.shift(); part; part = totals.shift()) {
    all.set(part, at);
    at += part.length;
  }
  const labels = options.label === undefined ? null : {
    column: options.label,
    categories,
    counts: Int32Array.from(labelCounts),
    missing,
  };
  let sketch: Int32Array | null = null;
  if (n !== undefined) {
    let chosen: number[];
    if (labels) {
      // missing labels (pool -1) are quota'd as one more class, as downsample does
      const classPools = [...labels.categories.map((_, c) => pools.get(c)), pools.get(-1)];
      const quota = celltypeQuota([...labels.counts, missing], n);
      chosen = classPools.flatMap((pool, c) => pool ? pool.smallest(quota[c]) : []);
    } else chosen = pools.get(0)?.smallest(n) ?? [];
    sketch = Int32Array.from(chosen).sort();
  }
  return { path, genes, nCells, batches, totals: all, counts, labels, sketch };
}

/**
 * The cells `cells` (ascending indices) of an `.arrow` file, over `genes` (all by default), read
 * in one pass: memory is one record batch plus the cells kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "./simulate.ts";
 * import { writeArrow } from "./arrow.ts";
 * const { dataset } = simulate({ nCells: 200, nGenes: 100, seed: 1 });
 * const path = `${await Deno.makeTempDir()}/s.arrow`;
 * await writeArrow(dataset, path, { batchSize: 64 });
 * const some = await readArrowCells(path, Int32Array.of(3, 70, 199), ["G0005", "G0001"]);
 * assert.deepEqual(some.cellIds(), ["cell0004", "cell0071", "cell0200"]);
 * assert.deepEqual(some.genes, ["G0005", "G0001"]);
 * ```
 */
export async function readArrowCells(
  path: string,
  cells: Int32Array,
  genes?: readonly string[],
): Promise<Dataset> {
  for (let r = 1; r < cells.length; r++) {
    if (!(cells[r] > cells[r - 1])) {
      throw new OptionError("cells to read must be distinct and ascending", { field: "cells" });
    }
  }
  const parts: Dataset[] = [];
  let next = 0, empty: Dataset | undefined, nCells = 0;
  for await (const { start, dataset } of streamArrow(path)) {
    const end = start + dataset.nCells, local: number[] = [];
    while (next < cells.length && cells[next] < end) local.push(cells[next++] - start);
    nCells = end;
    // rows first: the copy is of the chosen cells only
    const part = dataset.selectCells(local);
    const kept = genes ? part.selectGenes(genes) : part;
    if (local.length) parts.push(kept);
    else empty ??= kept;
  }
  if (next < cells.length) {
    throw new OptionError(`cell ${cells[next]} is beyond the file's ${nCells} cells`, {
      file: path,
      field: "cells",
    });
  }
  if (parts.length === 0 && !empty) {
    throw new FileFormatError("the Arrow file holds no record batch", {
      file: path,
      fix: "re-write or re-convert it",
    });
  }
  return parts.length ? concatCells(parts) : empty!;
}

/** Options of {@link sketchFromArrow}. */
export interface ArrowSketchOptions extends ArrowCandidateOptions {
  /** Cells in the sketch. */
  n: number;
  /** Balance the sketch over this obs column's categories (water-filling quotas). */
  label?: string;
  /** [0] */
  seed?: number;
  /** Also read up to this many cells outside the sketch, a seeded uniform sample, for testing. */
  heldOut?: number;
}

/** What {@link sketchFromArrow} returns. */
export interface ArrowSketch {
  /** The sketch's cells over the candidate genes, raw counts, in file order. */
  dataset: Dataset;
  /** With `heldOut`: that many cells outside the sketch (fewer when there are not), likewise. */
  test: Dataset | null;
  /** The first pass: library sizes, gene sums, label counts of the whole file. */
  scan: ArrowScan;
  /** The candidates, chosen on the whole file. */
  candidates: ArrowCandidates;
}

/**
 * `m` cells drawn uniformly without replacement among the `nCells` cells not in `sketch`
 * (ascending), ascending (all of them when there are no more). Memory: O(m + sketch).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([...outsideSketch(6, Int32Array.of(1, 2, 4), 5, 0)], [0, 3, 5]);
 * assert.equal(outsideSketch(1000, Int32Array.of(7), 10, 1).includes(7), false);
 * ```
 */
export function outsideSketch(
  nCells: number,
  sketch: Int32Array,
  m: number,
  seed: number,
): Int32Array {
  const free = nCells - sketch.length;
  // ranks among the cells outside the sketch, then each rank r is cell r + (sketch cells before)
  const ranks = new Rng(seed).fork("held-out").sampleWithoutReplacement(free, Math.min(m, free))
    .sort();
  let s = 0;
  return ranks.map((r) => {
    while (s < sketch.length && sketch[s] <= r + s) s++;
    return r + s;
  });
}

/**
 * A training set for data larger than memory, in three passes over an `.arrow` file of raw
 * counts (docs/methods.md §4.5): scan it while drawing a seeded sketch of `n` cells (balanced
 * over `label` when given), choose the candidates on every cell ({@link arrowCandidates}), then
 * read the sketch's cells, and the `heldOut` test cells outside it, over the candidates. Memory:
 * one record batch, per-gene sums, 8 bytes a cell for the library sizes, and the cells read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "./simulate.ts";
 * import { writeArrow } from "./arrow.ts";
 * const path = `${await Deno.makeTempDir()}/s.arrow`;
 * await writeArrow(simulate({ nCells: 400, nGenes: 100, seed: 1 }).dataset, path, { batchSize: 64 });
 * const { dataset, test } = await sketchFromArrow(path, { n: 70, label: "cell_type", candidates: 30, heldOut: 50 });
 * assert.equal(dataset.nGenes, 30);
 * assert.ok(dataset.nCells <= 70 && dataset.nCells > 60);
 * assert.equal(test!.nCells, 50);
 * ```
 */
export async function sketchFromArrow(
  path: string,
  options: ArrowSketchOptions,
): Promise<ArrowSketch> {
  checkSketchSize(options.n);
  checkStreamable(options);
  const scan = await scanArrow(path, {
    label: options.label,
    sketch: options.n,
    seed: options.seed,
  });
  const candidates = await arrowCandidates(scan, options);
  const sketch = scan.sketch!;
  if (!options.heldOut) {
    const dataset = await readArrowCells(path, sketch, candidates.genes);
    return { dataset, test: null, scan, candidates };
  }
  // one pass reads both, then each is taken out of it
  const held = outsideSketch(scan.nCells, sketch, options.heldOut, options.seed ?? 0);
  const both = Int32Array.from([...sketch, ...held]).sort();
  const rows = new Map(Array.from(both, (cell, r) => [cell, r]));
  const read = await readArrowCells(path, both, candidates.genes);
  const rowsOf = (cells: Int32Array) => Array.from(cells, (c) => rows.get(c)!);
  return {
    dataset: read.selectCells(rowsOf(sketch)),
    test: read.selectCells(rowsOf(held)),
    scan,
    candidates,
  };
}

/**
 * Options of {@link arrowCandidates}: those of `fitCandidates` (top HVGs or a list, constraints),
 * without the mean bounds.
 */
export interface ArrowCandidateOptions extends CandidateConstraints {
  /** Number of candidates [2000], or an explicit list of genes. */
  candidates?: number | string[];
  /** HVG flavour ranking them ["seurat"]. */
  hvgFlavor?: HvgFlavor;
  /** The panel size, checked against the candidates the constraints leave. */
  k?: number;
}

/** What {@link arrowCandidates} chose. */
export interface ArrowCandidates {
  /** Candidate genes, in file order (as `fitCandidates` gives them), forced genes included. */
  genes: string[];
  /** Median non-zero library size, the normalisation target. */
  targetSum: number;
  /** The HVG table; null when every gene is a candidate or a list was given. */
  hvg: HvgResult | null;
  /** What each constraint removed; null when none was given. */
  report: ConstraintReport | null;
}

/**
 * OptionError for what the streamed statistics cannot give: the mean bounds need every gene's
 * mean per class of a label, which no pass collects.
 */
function checkStreamable(options: CandidateConstraints): void {
  if (options.minMean !== undefined || options.maxMean !== undefined) {
    throw new OptionError(
      "--min-mean/--max-mean bound per-class gene means, which the streamed statistics do not hold",
      {
        fix:
          "drop --min-mean/--max-mean (use --exclude or --allow lists), or train without --sketch",
      },
    );
  }
}

/** The flavour's HVG table of every gene of a scanned file, from one more pass over it. */
async function streamedHvg(
  scan: ArrowScan,
  flavor: HvgFlavor,
  targetSum: number,
  nTop: number,
): Promise<HvgResult> {
  const g = scan.genes.length;
  let sums: HvgSums;
  if (flavor === "seurat_v3") {
    const { clip } = seuratV3Clip(geneMoments(scan.counts));
    const clipped = emptyClippedSums(g);
    for await (const { dataset } of streamArrow(scan.path)) addClippedSums(clipped, dataset, clip);
    sums = { stats: scan.counts, clipped };
  } else {
    const stats = emptyGeneSums(g);
    for await (const { dataset } of streamArrow(scan.path)) {
      const logged = log1p(normalizeTotal(dataset, { targetSum }));
      addGeneSums(stats, logged, { transform: hvgValueTransform(flavor, logged.uns) });
    }
    sums = { stats };
  }
  return hvgFromSums(sums, scan.genes, { flavor, nTopGenes: nTop });
}

/**
 * The candidates of a scanned file, as `fitCandidates` picks them on the whole file read at once
 * (same genes, order, target and constraint report): an explicit list, or the top HVGs from one
 * more pass over the file (the statistics of the counts scaled to the median library size and
 * log1p'd for `seurat` and `cell_ranger`, of the clipped counts for `seurat_v3`), ranked among the
 * genes the constraints leave (applied to the gene names: the mean bounds are refused).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "./simulate.ts";
 * import { readArrow, writeArrow } from "./arrow.ts";
 * import { fitCandidates } from "./transform.ts";
 * const path = `${await Deno.makeTempDir()}/s.arrow`;
 * await writeArrow(simulate({ nCells: 300, nGenes: 100, seed: 1 }).dataset, path, { batchSize: 64 });
 * const { genes } = await arrowCandidates(await scanArrow(path), { candidates: 20 });
 * assert.deepEqual(genes, fitCandidates(await readArrow(path), { candidates: 20 }).genes);
 * ```
 */
export async function arrowCandidates(
  scan: ArrowScan,
  options: ArrowCandidateOptions = {},
): Promise<ArrowCandidates> {
  checkStreamable(options);
  const given = options.candidates;
  const wanted = Array.isArray(given) ? 0 : given ?? 2000;
  if (!Array.isArray(given) && !(Number.isInteger(wanted) && wanted > 0)) {
    throw new OptionError(`the number of candidates must be a positive integer, got ${wanted}`, {
      field: "candidates",
      fix: "pass --candidates N with N >= 1",
    });
  }
  const flavor = options.hvgFlavor ?? "seurat";
  const g = scan.genes.length, n = Math.min(wanted, g);
  const targetSum = medianNonzero(scan.totals);
  // no cells: the constraints read the gene names only (the mean bounds are refused above)
  const names = Dataset.fromDense(new Float32Array(0), 0, g, scan.genes);
  const constrain = (pool: readonly string[]) => constrainPool(names, pool, options);
  const forced = options.forceInclude ?? [];
  let genes: string[], hvg: HvgResult | null = null, report: ConstraintReport | null = null;
  if (Array.isArray(given)) {
    names.geneIndices(given);
    genes = given;
    if (hasPoolConstraints(options) || forced.length) ({ genes, report } = constrain(genes));
  } else if (hasPoolConstraints(options)) {
    let allowed: string[];
    ({ genes: allowed, report } = constrain(scan.genes));
    // as fitCandidates: the top n allowed genes by the flavour's ranking of every gene
    if (n < g) hvg = await streamedHvg(scan, flavor, targetSum, n);
    const ranked = hvg ? Array.from(hvg.order, (j) => scan.genes[j]) : scan.genes;
    genes = topAllowed(allowed, report, ranked, n, forced, given !== undefined);
  } else {
    // as fitPreprocess: asking for every gene keeps them all, unranked
    if (n < g) hvg = await streamedHvg(scan, flavor, targetSum, n);
    genes = hvg ? scan.genes.filter((_, j) => hvg!.highlyVariable[j]) : [...scan.genes];
    if (forced.length) ({ genes, report } = constrain(genes));
  }
  if (report && options.k !== undefined) {
    checkPoolSize(report, genes.length, options.k + 1, options.k);
  }
  return { genes, targetSum, hvg, report };
}
