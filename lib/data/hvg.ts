/**
 * Highly variable genes, reproducing scanpy `pp.highly_variable_genes` for the flavours
 * `seurat`, `cell_ranger` and `seurat_v3`, with or without a batch key (docs/methods.md §2.2).
 * Works on CSR without densifying; all statistics in float64.
 * @module
 */
import type { Dataset, Uns } from "./dataset.ts";
import {
  checkCounts,
  geneMoments,
  type GeneStats,
  geneStats,
  type GeneSums,
  median,
} from "./stats.ts";
import { loess } from "./_loess.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";

/** The scanpy flavours implemented. */
export type HvgFlavor = "seurat" | "cell_ranger" | "seurat_v3";

/** Options of {@link highlyVariableGenes}; defaults are scanpy's. */
export interface HvgOptions {
  /** `seurat` and `cell_ranger` expect log1p data, `seurat_v3` raw counts. */
  flavor: HvgFlavor;
  /** Number of genes to keep; overrides the cutoffs. Default: cutoffs, or 2000 for seurat_v3. */
  nTopGenes?: number;
  /** Cutoffs (strict) on the mean and the normalised dispersion, used without nTopGenes. */
  minMean?: number;
  maxMean?: number;
  minDisp?: number;
  maxDisp?: number;
  /** Number of equal-width mean bins for `seurat` (default 20). */
  nBins?: number;
  /** Loess span for `seurat_v3` (default 0.3). */
  span?: number;
  /** obs column of batches: genes are chosen per batch and merged. */
  batchKey?: string;
}

interface HvgCommon {
  /** Selected genes, best first by the flavour's ranking (ties at the cut included). */
  genes: string[];
  /** Every gene index, best first by the flavour's ranking. */
  order: Int32Array;
  /** 1 for selected genes, in dataset gene order. */
  highlyVariable: Uint8Array;
  /** Per-gene means (seurat: ln(1 + mean of expm1 data); a zero mean reads 1e-12 as in scanpy). */
  means: Float64Array;
  /** With a batch key: in how many batches each gene was highly variable. */
  nBatches: Int32Array | null;
  /** Genes kept beyond nTopGenes because they tie the cut (0 = exactly nTopGenes). */
  tiesAtCut: number;
  /** Things scanpy would warn about or that differ from it (merged bin edges, ...). */
  notes: string[];
}

/** Result of the dispersion-based flavours. */
export interface DispersionHvgResult extends HvgCommon {
  flavor: "seurat" | "cell_ranger";
  /** Dispersion var/mean (seurat: its natural log; NaN where it is 0). */
  dispersions: Float64Array;
  /** Dispersion normalised within its mean bin. */
  dispersionsNorm: Float64Array;
}

/** Result of `seurat_v3`. */
export interface VarianceHvgResult extends HvgCommon {
  flavor: "seurat_v3";
  /** Per-gene variance (ddof 1) over all cells. */
  variances: Float64Array;
  /** Variance after regularised standardisation and clipping, averaged over batches. */
  variancesNorm: Float64Array;
  /** Rank (0 = best; median over batches), NaN when not in the top nTopGenes of any batch. */
  rank: Float64Array;
}

/** What {@link highlyVariableGenes} returns. */
export type HvgResult = DispersionHvgResult | VarianceHvgResult;

interface Resolved {
  flavor: HvgFlavor;
  nTop: number | null;
  minMean: number;
  maxMean: number;
  minDisp: number;
  maxDisp: number;
  nBins: number;
  span: number;
}

/** statsmodels' MAD constant, norm.ppf(0.75) (docs/methods.md §2.2 rounds it to 0.6745). */
const MAD_SCALE = 0.6744897501960817;

/**
 * Annotate highly variable genes like scanpy `pp.highly_variable_genes`. `seurat` and
 * `cell_ranger` take log1p data (seurat undoes the log with expm1, honouring
 * `uns.log1p.base`), `seurat_v3` raw counts.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, highlyVariableGenes } from "yoto";
 * // 50 cells x 30 genes of made-up counts; gene j scales with j
 * const data = Float32Array.from({ length: 1500 }, (_, k) => Math.round(((k * 7919) % 17) * (k % 30) / 10));
 * const ds = Dataset.fromDense(data, 50, 30, Array.from({ length: 30 }, (_, j) => `g${j}`));
 * const r = highlyVariableGenes(ds, { flavor: "seurat_v3", nTopGenes: 5 });
 * assert.equal(r.genes.length, 5);
 * assert.equal(r.highlyVariable.reduce((a, b) => a + b), 5);
 * ```
 */
export function highlyVariableGenes(ds: Dataset, options: HvgOptions): HvgResult {
  const o = resolveOptions(options);
  const notes = optionNotes(options, o);
  const batches = options.batchKey === undefined ? null : batchCells(ds, options.batchKey);
  return o.flavor === "seurat_v3"
    ? seuratV3(ds, o, batches, notes)
    : dispersionFlavour(ds, o, batches, notes);
}

/**
 * Per-gene sufficient statistics of a flavour without a batch key, gathered in any number of
 * passes over pieces of the data (record batches of a file) with {@link addGeneSums}.
 */
export interface HvgSums {
  /**
   * `seurat` / `cell_ranger`: sums of the log1p data through {@link hvgValueTransform};
   * `seurat_v3`: sums of the raw counts.
   */
  stats: GeneSums;
  /** `seurat_v3` only: sums of the counts clipped at {@link seuratV3Clip} of `stats`. */
  clipped?: ClippedSums;
}

/**
 * {@link highlyVariableGenes} (without a batch key) from per-gene sums instead of the data:
 * the same result for the same values, so a file streamed batch by batch ranks its genes as the
 * whole file read at once would.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, log1p } from "yoto";
 * import { addGeneSums, emptyGeneSums } from "./stats.ts";
 * const data = Float32Array.from({ length: 600 }, (_, k) => (k * 7919) % 13 * (k % 20) / 40);
 * const ds = log1p(Dataset.fromDense(data, 30, 20, Array.from({ length: 20 }, (_, j) => `g${j}`)));
 * const stats = emptyGeneSums(20);
 * // two pieces of 15 cells
 * for (const part of [ds.selectCells([...Array(15).keys()]), ds.selectCells([...Array(15).keys()].map((i) => i + 15))]) {
 *   addGeneSums(stats, part, { transform: hvgValueTransform("seurat", part.uns) });
 * }
 * const options = { flavor: "seurat" as const, nTopGenes: 5 };
 * assert.deepEqual(hvgFromSums({ stats }, ds.genes, options).genes, highlyVariableGenes(ds, options).genes);
 * ```
 */
export function hvgFromSums(sums: HvgSums, genes: string[], options: HvgOptions): HvgResult {
  const o = resolveOptions(options);
  if (options.batchKey !== undefined) {
    throw new OptionError("HVGs from per-gene sums take no batch key", {
      field: "batchKey",
      fix: "leave the batch key out, or rank the genes with highlyVariableGenes on the data",
    });
  }
  if (sums.stats.sums.length !== genes.length) {
    throw new ShapeMismatchError(
      `sums over ${sums.stats.sums.length} genes, ${genes.length} named`,
    );
  }
  const notes = optionNotes(options, o), stats = geneMoments(sums.stats);
  if (o.flavor !== "seurat_v3") return dispersionFromStats(stats, genes, o, notes);
  if (!sums.clipped) {
    throw new OptionError("seurat_v3 needs the sums of the clipped counts too", {
      field: "clipped",
      fix: "add the counts clipped at seuratV3Clip(stats) with addClippedSums",
    });
  }
  checkV3Cells(stats.nCells);
  const nv = v3Variances(stats, seuratV3Clip(stats, o.span).regStd, sums.clipped);
  return v3Result(stats, [nv], false, genes, o, notes);
}

/** What scanpy would warn about in the options themselves. */
function optionNotes(options: HvgOptions, o: Resolved): string[] {
  const notes: string[] = [];
  const cutoffsGiven = (["minMean", "maxMean", "minDisp", "maxDisp"] as const).filter((k) =>
    options[k] !== undefined
  );
  if (options.nTopGenes !== undefined && cutoffsGiven.length && o.flavor !== "seurat_v3") {
    notes.push(`nTopGenes is given, so ${cutoffsGiven.join(", ")} are ignored (as in scanpy)`);
  }
  return notes;
}

function resolveOptions(options: HvgOptions): Resolved {
  const flavor = options.flavor;
  if (!["seurat", "cell_ranger", "seurat_v3"].includes(flavor)) {
    throw new OptionError(`unknown HVG flavour '${flavor}'`, {
      field: "flavor",
      fix: "use seurat, cell_ranger or seurat_v3",
    });
  }
  const nTop = options.nTopGenes ?? (flavor === "seurat_v3" ? 2000 : null);
  if (nTop !== null && !(Number.isInteger(nTop) && nTop > 0)) {
    throw new OptionError(
      `the number of highly variable genes must be a positive integer, got ${nTop}`,
    );
  }
  const nBins = options.nBins ?? 20;
  if (!(Number.isInteger(nBins) && nBins > 0)) {
    throw new OptionError(`nBins must be a positive integer, got ${nBins}`, { field: "nBins" });
  }
  const span = options.span ?? 0.3;
  if (!(span > 0 && span <= 1)) {
    throw new OptionError(`span must be in (0, 1], got ${span}`, { field: "span" });
  }
  return {
    flavor,
    nTop,
    minMean: options.minMean ?? 0.0125,
    maxMean: options.maxMean ?? 3,
    minDisp: options.minDisp ?? 0.5,
    maxDisp: options.maxDisp ?? Infinity,
    nBins,
    span,
  };
}

/** Cell indices of each non-empty batch (cells with a missing batch label are left out). */
function batchCells(ds: Dataset, key: string): Int32Array[] {
  const { codes, categories } = ds.categorical(key);
  const members: number[][] = categories.map(() => []);
  codes.forEach((c, i) => {
    if (c >= 0) members[c].push(i);
  });
  return members.filter((m) => m.length > 0).map((m) => Int32Array.from(m));
}

/** numpy.nan_to_num: NaN to `nan`, ±Inf to ±Number.MAX_VALUE (scanpy relies on this). */
function nanToNum(v: number, nan: number): number {
  return Number.isNaN(v)
    ? nan
    : v === Infinity
    ? Number.MAX_VALUE
    : v === -Infinity
    ? -Number.MAX_VALUE
    : v;
}

/** Indices 0..n-1 sorted by a comparator, ties by index (pandas' stable sorts). */
function sortedIndices(n: number, compare: (a: number, b: number) => number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => compare(a, b) || a - b);
}

/** Descending with NaN last. */
function descNanLast(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  return a === b ? 0 : a > b ? -1 : 1;
}

// ---------------------------------------------------------------- seurat / cell_ranger

interface DispersionMetrics {
  means: Float64Array;
  dispersions: Float64Array;
  dispersionsNorm: Float64Array;
}

/**
 * The transform the dispersion flavours apply to each stored value of log1p data before their
 * statistics: `seurat` undoes the log with expm1 (honouring `uns.log1p.base`), rounded to
 * float32 like numpy's expm1 on float32 data; none for `cell_ranger` and `seurat_v3`.
 */
export function hvgValueTransform(
  flavor: HvgFlavor,
  uns: Uns,
): ((value: number) => number) | undefined {
  const base = (uns.log1p as { base?: unknown } | undefined)?.base;
  const lnBase = typeof base === "number" ? Math.fround(Math.log(base)) : null;
  return flavor !== "seurat"
    ? undefined
    : lnBase === null
    ? (v: number) => Math.fround(Math.expm1(v))
    : (v: number) => Math.fround(Math.expm1(Math.fround(v * lnBase)));
}

/** The dispersion flavours without a batch key, from the statistics of the transformed values. */
function dispersionFromStats(
  s: GeneStats,
  genes: string[],
  o: Resolved,
  notes: string[],
): DispersionHvgResult {
  const m = dispersionMetrics(s.means, s.variances, o, notes);
  const picked = selectByDispersion(m, o, notes);
  const rankValue = m.dispersionsNorm.map((v) => nanToNum(v, -Infinity));
  const order = sortedIndices(genes.length, (a, b) => descNanLast(rankValue[a], rankValue[b]));
  return finish(
    { flavor: o.flavor as "seurat" | "cell_ranger", ...m, order, nBatches: null, notes },
    genes,
    picked,
  );
}

function dispersionFlavour(
  ds: Dataset,
  o: Resolved,
  batches: Int32Array[] | null,
  notes: string[],
): DispersionHvgResult {
  const transform = hvgValueTransform(o.flavor, ds.uns);
  const g = ds.nGenes;
  if (batches === null) {
    return dispersionFromStats(geneStats(ds, { transform }), ds.genes, o, notes);
  }
  // per batch on the genes detected in it; undetected genes count as 0 in the averages
  const nB = batches.length;
  const sumMean = new Float64Array(g), sumDisp = new Float64Array(g), sumNorm = new Float64Array(g);
  const nDisp = new Int32Array(g), nNorm = new Int32Array(g), nBatches = new Int32Array(g);
  for (const cells of batches) {
    const s = geneStats(ds, { cells, transform });
    const kept = Int32Array.from({ length: g }, (_, j) => j).filter((j) => s.nPositive[j] > 0);
    const m = dispersionMetrics(
      Float64Array.from(kept, (j) => s.means[j]),
      Float64Array.from(kept, (j) => s.variances[j]),
      o,
      notes,
    );
    const { mask } = selectByDispersion(m, o, notes);
    kept.forEach((j, r) => {
      sumMean[j] += m.means[r];
      nBatches[j] += mask[r];
      if (!Number.isNaN(m.dispersions[r])) {
        sumDisp[j] += m.dispersions[r];
        nDisp[j]++;
      }
      if (!Number.isNaN(m.dispersionsNorm[r])) {
        sumNorm[j] += m.dispersionsNorm[r];
        nNorm[j]++;
      }
    });
    // the zeros scanpy fills in for undetected genes are values too (pandas skips only NaN)
    for (let j = 0; j < g; j++) {
      if (s.nPositive[j] > 0) continue;
      nDisp[j]++;
      nNorm[j]++;
    }
  }
  const means = sumMean.map((v) => v / nB);
  const dispersions = sumDisp.map((v, j) => (nDisp[j] ? v / nDisp[j] : NaN));
  const dispersionsNorm = sumNorm.map((v, j) => (nNorm[j] ? v / nNorm[j] : NaN));
  // scanpy sorts the batch-merged table, whose index groupby has sorted by gene name
  const names = ds.genes;
  const order = sortedIndices(
    g,
    (a, b) =>
      nBatches[b] - nBatches[a] || descNanLast(dispersionsNorm[a], dispersionsNorm[b]) ||
      (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0),
  );
  const highlyVariable = new Uint8Array(g);
  if (o.nTop !== null) {
    for (let r = 0; r < Math.min(o.nTop, g); r++) highlyVariable[order[r]] = 1;
  } else {
    dispersionsNorm.forEach((v, j) => {
      if (Number.isNaN(v)) dispersionsNorm[j] = 0; // scanpy fillna(0) here, Inf kept
      highlyVariable[j] = Number(inBounds(means[j], dispersionsNorm[j], o));
    });
  }
  return finish(
    {
      flavor: o.flavor as "seurat" | "cell_ranger",
      means,
      dispersions,
      dispersionsNorm,
      order,
      nBatches,
      notes,
    },
    ds.genes,
    { mask: highlyVariable, ties: 0 },
  );
}

function finish<T extends Omit<HvgResult, "genes" | "highlyVariable" | "tiesAtCut">>(
  partial: T,
  names: string[],
  picked: { mask: Uint8Array; ties: number },
): T & { genes: string[]; highlyVariable: Uint8Array; tiesAtCut: number } {
  const genes = Array.from(partial.order).filter((j) => picked.mask[j]).map((j) => names[j]);
  return { ...partial, genes, highlyVariable: picked.mask, tiesAtCut: picked.ties };
}

function inBounds(mean: number, norm: number, o: Resolved): boolean {
  return mean > o.minMean && mean < o.maxMean && norm > o.minDisp && norm < o.maxDisp;
}

/** Means, dispersions and bin-normalised dispersions of one batch (docs/methods.md §2.2). */
function dispersionMetrics(
  mean: Float64Array,
  variance: Float64Array,
  o: Resolved,
  notes: string[],
): DispersionMetrics {
  const means = mean.map((m) => (m === 0 ? 1e-12 : m));
  const dispersions = variance.map((v, j) => v / means[j]);
  if (o.flavor === "seurat") {
    dispersions.forEach((d, j) => (dispersions[j] = d === 0 ? NaN : Math.log(d)));
    means.forEach((m, j) => (means[j] = Math.log1p(m)));
  }
  const bins = o.flavor === "seurat"
    ? equalWidthBins(means, o.nBins)
    : percentileBins(means, notes);
  const nBins = bins.reduce((a, b) => Math.max(a, b), -1) + 1;
  const members: number[][] = Array.from({ length: nBins }, () => []);
  bins.forEach((b, j) => {
    if (b >= 0 && !Number.isNaN(dispersions[j])) members[b].push(dispersions[j]);
  });
  const avg = new Float64Array(nBins), dev = new Float64Array(nBins);
  members.forEach((d, b) => {
    if (o.flavor === "seurat") {
      const n = d.length, m = d.reduce((s, v) => s + v, 0) / n;
      const sd = n > 1 ? Math.sqrt(d.reduce((s, v) => s + (v - m) * (v - m), 0) / (n - 1)) : NaN;
      // a bin with one gene: std := mean, mean := 0, so that gene normalises to 1
      [avg[b], dev[b]] = Number.isNaN(sd) ? [0, m] : [m, sd];
    } else {
      const med = median(Float64Array.from(d).sort());
      avg[b] = med;
      dev[b] = median(Float64Array.from(d, (v) => Math.abs(v - med) / MAD_SCALE).sort());
    }
  });
  const dispersionsNorm = dispersions.map((d, j) => {
    const b = bins[j];
    return b < 0 ? NaN : (d - avg[b]) / dev[b];
  });
  return { means, dispersions, dispersionsNorm };
}

/** Bin of each value for right-closed bins between sorted edges (pandas.cut); -1 outside. */
function cutRight(values: Float64Array, edges: ArrayLike<number>): Int32Array {
  return Int32Array.from(values, (v) => {
    if (Number.isNaN(v)) return -1;
    let lo = 0, hi = edges.length; // first edge >= v (numpy searchsorted, side left)
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 || lo === edges.length ? -1 : lo - 1;
  });
}

/** numpy.linspace(a, b, n) with its rounding: a + i * step, the last point exactly b. */
function linspace(a: number, b: number, n: number): Float64Array {
  const step = (b - a) / (n - 1);
  const out = Float64Array.from({ length: n }, (_, i) => i * step + a);
  out[n - 1] = b;
  return out;
}

/** pandas.cut(x, nBins): equal-width bins, the lowest edge lowered by 0.1% of the range. */
function equalWidthBins(x: Float64Array, nBins: number): Int32Array {
  let mn = Infinity, mx = -Infinity;
  for (const v of x) {
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
  }
  if (mn === mx) {
    const lo = mn - (mn !== 0 ? 0.001 * Math.abs(mn) : 0.001),
      hi = mx + (mx !== 0 ? 0.001 * Math.abs(mx) : 0.001);
    return cutRight(x, linspace(lo, hi, nBins + 1));
  }
  const edges = linspace(mn, mx, nBins + 1);
  edges[0] -= (mx - mn) * 0.001;
  return cutRight(x, edges);
}

/** numpy.percentile(x, q) with the default linear method, including numpy's lerp rounding. */
function percentile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const index = (n - 1) * (q / 100);
  if (index >= n - 1) return sorted[n - 1];
  const prev = Math.floor(index), gamma = index - prev;
  const a = sorted[prev], b = sorted[prev + 1], diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** cell_ranger bins: [-Inf, 10th, 15th, ..., 100th percentile, +Inf]; duplicate edges merged. */
function percentileBins(x: Float64Array, notes: string[]): Int32Array {
  const sorted = Float64Array.from(x).sort();
  const edges = [-Infinity];
  for (let q = 10; q <= 100; q += 5) edges.push(percentile(sorted, q));
  edges.push(Infinity);
  const unique = edges.filter((e, i) => i === 0 || e !== edges[i - 1]);
  const merged = edges.length - unique.length;
  // scanpy (pandas.cut) raises here; merging keeps the remaining bins as they are
  if (merged) {
    notes.push(`cell_ranger: ${merged} duplicate mean-bin edge(s) merged (scanpy raises)`);
  }
  return cutRight(x, unique);
}

/** The top-n rule (ties at the cut kept) or the cutoff rule of docs/methods.md §2.2. */
function selectByDispersion(
  m: DispersionMetrics,
  o: Resolved,
  notes: string[],
): { mask: Uint8Array; ties: number } {
  const g = m.means.length;
  const mask = new Uint8Array(g);
  if (o.nTop === null) {
    for (let j = 0; j < g; j++) {
      mask[j] = Number(inBounds(m.means[j], nanToNum(m.dispersionsNorm[j], 0), o));
    }
    return { mask, ties: 0 };
  }
  const finite = m.dispersionsNorm.filter((v) => !Number.isNaN(v)).sort().reverse();
  let n = Math.min(o.nTop, g);
  if (n > finite.length) {
    notes.push(
      `nTopGenes (${n}) > genes with a normalised dispersion (${finite.length}); keeping all of those`,
    );
    n = finite.length;
  }
  if (n === 0) {
    throw new DataValueError("no gene has a normalised dispersion (all constant?)", {
      field: "X",
      fix: "check that the data are log1p-normalised expression with variable genes",
    });
  }
  // NaN counts as -Inf, and numpy.nan_to_num turns ±Inf into ±MAX_VALUE before comparing
  const cut = finite[n - 1];
  let kept = 0;
  for (let j = 0; j < g; j++) {
    kept += mask[j] = Number(nanToNum(m.dispersionsNorm[j], -Infinity) >= cut);
  }
  return { mask, ties: Math.max(0, kept - o.nTop) };
}

// ---------------------------------------------------------------- seurat_v3

function seuratV3(
  ds: Dataset,
  o: Resolved,
  batches: Int32Array[] | null,
  notes: string[],
): VarianceHvgResult {
  checkCounts(ds, "seurat_v3 highly variable genes");
  if (hasNonInteger(ds)) notes.push("seurat_v3 expects raw counts, but non-integers were found");
  const all = geneStats(ds);
  const nvs = (batches ?? [null]).map((cells) => {
    const s = cells ? geneStats(ds, { cells }) : all;
    checkV3Cells(s.nCells);
    const { regStd, clip } = seuratV3Clip(s, o.span);
    const clipped = addClippedSums(emptyClippedSums(ds.nGenes), ds, clip, cells ?? undefined);
    return v3Variances(s, regStd, clipped);
  });
  return v3Result(all, nvs, batches !== null, ds.genes, o, notes);
}

/** Ranks and selection of seurat_v3 from each batch's normalised variances (one without batches). */
function v3Result(
  all: GeneStats,
  nvs: Float64Array[],
  batched: boolean,
  genes: string[],
  o: Resolved,
  notes: string[],
): VarianceHvgResult {
  const nTop = o.nTop!, g = genes.length;
  const ranks = nvs.map(() => new Float64Array(g));
  const sumNorm = new Float64Array(g), nConstant = new Int32Array(g);
  nvs.forEach((nv, b) => {
    nv.forEach((v, j) => (Number.isNaN(v) ? nConstant[j]++ : (sumNorm[j] += v)));
    // rank 0 = most variable; constant genes (NaN) last
    sortedIndices(g, (x, y) => descNanLast(nv[x], nv[y])).forEach((j, r) => (ranks[b][j] = r));
  });
  const rank = new Float64Array(g), nBatches = new Int32Array(g);
  for (let j = 0; j < g; j++) {
    const inTop = ranks.map((r) => r[j]).filter((r) => r < nTop).sort((x, y) => x - y);
    nBatches[j] = inTop.length;
    rank[j] = median(inTop);
  }
  // scanpy reports 0 for a gene constant in a batch; NaN only when constant in every batch
  const nGroups = nvs.length;
  const variancesNorm = sumNorm.map((v, j) => (nConstant[j] === nGroups ? NaN : v / nGroups));
  // scanpy: sort by (rank ↑, nbatches ↓), NaN ranks last, ties in gene order; the unranked
  // tail (never selected) is ordered by normalised variance
  const order = sortedIndices(g, (x, y) => {
    const rx = rank[x], ry = rank[y];
    if (Number.isNaN(rx) !== Number.isNaN(ry)) return Number.isNaN(rx) ? 1 : -1;
    return (rx - ry) || nBatches[y] - nBatches[x] ||
      (Number.isNaN(rx) ? descNanLast(variancesNorm[x], variancesNorm[y]) : 0);
  });
  const mask = new Uint8Array(g);
  for (let r = 0; r < Math.min(nTop, g); r++) mask[order[r]] = 1;
  return finish(
    {
      flavor: "seurat_v3" as const,
      means: all.means,
      variances: all.variances,
      variancesNorm,
      rank,
      order,
      nBatches: batched ? nBatches : null,
      notes,
    },
    genes,
    { mask, ties: 0 },
  );
}

function hasNonInteger(ds: Dataset): boolean {
  const v = ds.X.kind === "csr"
    ? ds.X.values.subarray(ds.X.indptr[0], ds.X.indptr[ds.nCells])
    : ds.X.data;
  return v.some((x) => x !== Math.floor(x));
}

function checkV3Cells(n: number): void {
  if (n < 2) {
    throw new DataValueError(`seurat_v3 needs at least 2 cells per batch, a batch has ${n}`, {
      field: "batchKey",
      fix: "merge or drop tiny batches",
    });
  }
}

/**
 * seurat_v3's regularised sd of each gene (loess of log10 variance on log10 mean over the
 * non-constant genes; 1 for constant ones) and the value its counts are clipped at:
 * mean + sd * sqrt(N), from the raw-count statistics of the N cells.
 */
export function seuratV3Clip(
  stats: GeneStats,
  span = 0.3,
): { regStd: Float64Array; clip: Float64Array } {
  const { means, variances } = stats, g = means.length;
  const varying = Int32Array.from({ length: g }, (_, j) => j).filter((j) => variances[j] > 0);
  const fit = loess(
    Float64Array.from(varying, (j) => Math.log10(means[j])),
    Float64Array.from(varying, (j) => Math.log10(variances[j])),
    { span, degree: 2 },
  );
  const regStd = new Float64Array(g).fill(1);
  varying.forEach((j, r) => (regStd[j] = Math.sqrt(10 ** fit[r])));
  const clip = Float64Array.from(regStd, (sd, j) => sd * Math.sqrt(stats.nCells) + means[j]);
  return { regStd, clip };
}

/** Per-gene sums and sums of squares of clipped counts. */
export interface ClippedSums {
  sums: Float64Array;
  squares: Float64Array;
}

/** Zero clipped sums, for {@link addClippedSums} to fill. */
export function emptyClippedSums(nGenes: number): ClippedSums {
  return { sums: new Float64Array(nGenes), squares: new Float64Array(nGenes) };
}

/**
 * Add the counts of the cells of `ds` (or its rows `cells`), each clipped at its gene's `clip`,
 * to `into` (zeros are never clipped: clip > 0). Returns `into`.
 */
export function addClippedSums(
  into: ClippedSums,
  ds: Dataset,
  clip: Float64Array,
  cells?: ArrayLike<number>,
): ClippedSums {
  const g = ds.nGenes, n = cells ? cells.length : ds.nCells;
  const { sums, squares } = into;
  const X = ds.X;
  for (let r = 0; r < n; r++) {
    const i = cells ? cells[r] : r;
    if (X.kind === "csr") {
      for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) {
        const j = X.indices[p], v = Math.min(X.values[p], clip[j]);
        sums[j] += v;
        squares[j] += v * v;
      }
    } else {
      for (let j = 0, o = i * g; j < g; j++) {
        const v = Math.min(X.data[o + j], clip[j]);
        sums[j] += v;
        squares[j] += v * v;
      }
    }
  }
  return into;
}

/** seurat_v3 normalised variance of one batch from its statistics; constant genes give NaN. */
function v3Variances(stats: GeneStats, regStd: Float64Array, clipped: ClippedSums): Float64Array {
  const { means, variances, nCells: n } = stats;
  return Float64Array.from({ length: means.length }, (_, j) => {
    if (!(variances[j] > 0)) return NaN;
    const m = means[j];
    return (1 / ((n - 1) * regStd[j] * regStd[j])) *
      (n * m * m + clipped.squares[j] - 2 * clipped.sums[j] * m);
  });
}
