/**
 * Out-of-core passes over an `.arrow` dataset (docs/methods.md §0.1): memory is one record batch
 * plus per-gene sums and a few bytes per cell, whatever the number of cells. {@link scanArrow}
 * reads the file once for library sizes, label counts and raw-count gene sums;
 * {@link arrowCandidates} reads it once more for the statistics of the normalised values, since
 * the normalisation target (the median library size) is known only after the first pass. The
 * candidates are exactly those `fitCandidates` (lib/data/transform.ts) picks on the whole file
 * read at once.
 * @module
 */
import { streamArrow } from "./arrow.ts";
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
import { log1p, medianNonzero, normalizeTotal } from "./preprocess.ts";
import {
  addGeneSums,
  cellStats,
  checkCounts,
  emptyGeneSums,
  geneMoments,
  type GeneSums,
} from "./stats.ts";
import { FileFormatError, OptionError } from "../runtime/errors.ts";

/** Options of {@link scanArrow}. */
export interface ArrowScanOptions {
  /** obs column whose categories are counted (categorical or string). */
  label?: string;
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
}

/**
 * One pass over an `.arrow` dataset of raw counts, batch by batch: per-cell library sizes,
 * per-gene raw-count sums, sums of squares and detection counts, and (with `label`) cells per
 * category. Counts are checked as they are read (DataValueError naming the cell).
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
  for await (const { dataset } of streamArrow(path)) {
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
  return { path, genes, nCells, batches, totals: all, counts, labels };
}

/** Options of {@link arrowCandidates}: those of `fitCandidates` that rank by HVG. */
export interface ArrowCandidateOptions {
  /** Number of candidates [2000]. */
  candidates?: number;
  /** HVG flavour ranking them ["seurat"]. */
  hvgFlavor?: HvgFlavor;
}

/** What {@link arrowCandidates} chose. */
export interface ArrowCandidates {
  /** Candidate genes, in file order (as `fitCandidates` gives them). */
  genes: string[];
  /** Median non-zero library size, the normalisation target. */
  targetSum: number;
  /** The HVG table; null when every gene is a candidate. */
  hvg: HvgResult | null;
}

/**
 * The top HVG candidates of a scanned file, from one more pass over it: the statistics of the
 * counts scaled to the median library size and log1p'd (`seurat`, `cell_ranger`), or of the
 * clipped counts (`seurat_v3`). Same genes, same order and same target as `fitCandidates`
 * on the whole file read at once.
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
  const wanted = options.candidates ?? 2000;
  if (!(Number.isInteger(wanted) && wanted > 0)) {
    throw new OptionError(`the number of candidates must be a positive integer, got ${wanted}`, {
      field: "candidates",
      fix: "pass --candidates N with N >= 1",
    });
  }
  const flavor = options.hvgFlavor ?? "seurat";
  const g = scan.genes.length, n = Math.min(wanted, g);
  const targetSum = medianNonzero(scan.totals);
  // as fitPreprocess: asking for every gene keeps them all, unranked
  if (n >= g) return { genes: [...scan.genes], targetSum, hvg: null };
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
  const hvg = hvgFromSums(sums, scan.genes, { flavor, nTopGenes: n });
  return { genes: scan.genes.filter((_, j) => hvg.highlyVariable[j]), targetSum, hvg };
}
