/**
 * recall (docs/methods.md §3.4): clustering calibrated with artificial null genes. The counts are
 * restricted to the HVGs, one ZIP null twin is appended per HVG, and Seurat's default pipeline
 * (LogNormalize 1e4, scale, 50 PCs, SNN on 10 PCs with k = 20, Louvain) runs on the augmented
 * matrix; the resolution shrinks (r <- 0.8 r) until every cluster pair has at least one real gene
 * selected by the knockoff+ filter at q = 0.05. {@link plainClustering} is the same pipeline
 * without nulls and without the loop, for the over-clustering comparison.
 * @module
 */
import { UndirectedGraph } from "graphology";
import louvainDefault, {
  type DetailedLouvainOutput,
  type LouvainOptions,
} from "graphology-communities-louvain";
import type { Dataset } from "../data/dataset.ts";
import { highlyVariableGenes } from "../data/hvg.ts";
import { nearestNeighbors } from "../data/neighbors.ts";
import { pca } from "../data/pca.ts";
import { log1p, normalizeTotal, scale } from "../data/preprocess.ts";
import { checkCounts } from "../data/stats.ts";
import { OptionError, ShapeMismatchError } from "../runtime/errors.ts";
import { Progress } from "../runtime/progress.ts";
import { Rng } from "../runtime/rng.ts";
import { positiveInt } from "../select/_nn.ts";
import { pairKnockoff } from "./knockoff.ts";
import { nullGenes, type NullGuard } from "./nulls.ts";

/** Options shared by {@link recallClustering} and {@link plainClustering}; defaults are Seurat's. */
export interface ClusteringOptions {
  /** Highly variable genes (seurat_v3, Seurat's vst) to cluster on [2000], clipped to the genes. */
  nHvg?: number;
  /** Principal components computed [50]. */
  nPcs?: number;
  /** Leading components the neighbour graph is built on [10]. */
  dims?: number;
  /** Neighbours per cell, the cell itself included as in Seurat [20]. */
  kNeighbors?: number;
  /** SNN edges with a Jaccard overlap below this are dropped [1/15]. */
  prune?: number;
  /** Louvain runs per clustering; the one of highest modularity is kept [1]. */
  nStarts?: number;
  /** Seed of the nulls, the PCA and Louvain [0]. */
  seed?: number;
  /** No progress lines on stderr. */
  quiet?: boolean;
}

/** Options of {@link plainClustering}. */
export interface PlainClusteringOptions extends ClusteringOptions {
  /** Louvain resolution [0.8]. */
  resolution?: number;
}

/** Options of {@link recallClustering}. */
export interface RecallOptions extends ClusteringOptions {
  /** First Louvain resolution [0.8]. */
  resolutionStart?: number;
  /** Fraction the resolution shrinks by after each round [0.2]. */
  reduction?: number;
  /** Null generator ["zip"]. */
  nullMethod?: "zip" | "nb";
  /** Safety stop: rounds before giving up with a warning [100] (recall itself has no bound). */
  maxRounds?: number;
}

/** One clustering of a clustering result. */
export interface ClusteringResult {
  /** Cluster per cell, 0 = the largest cluster (Seurat's order). */
  labels: Int32Array;
  nClusters: number;
  /** Resolution of the final clustering. */
  resolution: number;
  /** The HVGs clustered on, in dataset order. */
  genes: string[];
}

/** One round of the recall loop. */
export interface RecallRound {
  round: number;
  resolution: number;
  nClusters: number;
  /** The first cluster pair with no real gene selected (the round then reclusters). */
  failedPair?: [number, number];
  /** Real genes selected for each pair tested this round, in test order. */
  selectedPerPair?: { pair: [number, number]; selected: number }[];
}

/** What {@link recallClustering} returns. */
export interface RecallResult extends ClusteringResult {
  history: RecallRound[];
  /** Under-clustering warning (stopped in round 1) or the maxRounds stop. */
  warning?: string;
  /** How often each null-fit guard fired. */
  guards: Record<NullGuard, number>;
  /** p-values clamped and untestable genes over every pair tested. */
  nClamped: number;
  nUntestable: number;
}

/** Undirected weighted edges i < j. */
export interface SnnGraph {
  nNodes: number;
  from: Int32Array;
  to: Int32Array;
  weight: Float64Array;
}

// The package is CommonJS: its default import is the function itself, which the typings (written
// for ESM) describe as a namespace.
const louvain = louvainDefault as unknown as {
  detailed(graph: UndirectedGraph, options: LouvainOptions): DetailedLouvainOutput;
};

interface Resolved {
  nHvg: number;
  nPcs: number;
  dims: number;
  k: number;
  prune: number;
  nStarts: number;
  seed: number;
  quiet: boolean;
}

function positive(value: number, field: string, max = Infinity): number {
  if (!(value > 0 && value <= max)) {
    throw new OptionError(`${field} must be in (0, ${max}], got ${value}`, { field });
  }
  return value;
}

function resolve(o: ClusteringOptions): Resolved {
  return {
    nHvg: positiveInt(o.nHvg, 2000, "nHvg"),
    nPcs: positiveInt(o.nPcs, 50, "nPcs"),
    dims: positiveInt(o.dims, 10, "dims"),
    k: positiveInt(o.kNeighbors, 20, "kNeighbors"),
    prune: positive(o.prune ?? 1 / 15, "prune", 1),
    nStarts: positiveInt(o.nStarts, 1, "nStarts"),
    seed: o.seed ?? 0,
    quiet: o.quiet ?? false,
  };
}

/**
 * Seurat's shared-nearest-neighbour graph: each cell's k nearest cells (itself included) by
 * Euclidean distance on `x` [n x d]; cells i, j sharing s neighbours get the Jaccard weight
 * s / (2k - s), kept when >= `prune`. Self-loops are left out (Seurat's Louvain ignores them).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snnGraph } from "./recall.ts";
 * // two tight pairs far apart, k = 2: each cell's neighbours are itself and its partner
 * const g = snnGraph(Float32Array.from([0, 0.1, 10, 10.1]), 4, 1, { k: 2 });
 * assert.equal(g.from.join(), "0,2");
 * assert.equal(g.to.join(), "1,3");
 * assert.equal(g.weight[0], 1);
 * ```
 */
export function snnGraph(
  x: Float32Array,
  n: number,
  d: number,
  options: { k?: number; prune?: number } = {},
): SnnGraph {
  const k = Math.min(positiveInt(options.k, 20, "k"), n);
  const prune = options.prune ?? 1 / 15;
  if (x.length !== n * d) {
    throw new ShapeMismatchError(`${x.length} values do not make ${n} cells x ${d} dimensions`);
  }
  const { indices } = nearestNeighbors(x, n, x, n, d, k);
  // who lists m among its neighbours
  const revPtr = new Int32Array(n + 1);
  for (const m of indices) revPtr[m + 1]++;
  for (let m = 0; m < n; m++) revPtr[m + 1] += revPtr[m];
  const rev = new Int32Array(n * k), at = revPtr.slice(0, n);
  for (let i = 0; i < n; i++) for (let r = 0; r < k; r++) rev[at[indices[i * k + r]]++] = i;
  const shared = new Int32Array(n), touched: number[] = [];
  const from: number[] = [], to: number[] = [], weight: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < k; r++) {
      const m = indices[i * k + r];
      for (let p = revPtr[m]; p < revPtr[m + 1]; p++) {
        const j = rev[p];
        if (j <= i) continue;
        if (shared[j]++ === 0) touched.push(j);
      }
    }
    touched.sort((a, b) => a - b);
    for (const j of touched) {
      const s = shared[j], w = s / (2 * k - s);
      shared[j] = 0;
      if (w < prune) continue;
      from.push(i);
      to.push(j);
      weight.push(w);
    }
    touched.length = 0;
  }
  return {
    nNodes: n,
    from: Int32Array.from(from),
    to: Int32Array.from(to),
    weight: Float64Array.from(weight),
  };
}

/**
 * Louvain communities of a weighted graph at a resolution (graphology's implementation, seeded),
 * best modularity of `nStarts` runs; clusters renumbered by size (0 = largest). Single cells join
 * the cluster of their most strongly connected neighbour outside a singleton (Seurat groups
 * singletons); isolated cells stay alone.
 */
function louvainLabels(
  graph: UndirectedGraph,
  snn: SnnGraph,
  resolution: number,
  rng: Rng,
  nStarts: number,
): Int32Array {
  const n = snn.nNodes;
  let best: { communities: Record<string, number>; modularity: number } | null = null;
  for (let s = 0; s < nStarts; s++) {
    const stream = rng.fork(s);
    const run = louvain.detailed(graph, { resolution, rng: () => stream.uniform() });
    if (!best || run.modularity > best.modularity) best = run;
  }
  const raw = Int32Array.from({ length: n }, (_, i) => best!.communities[String(i)]);
  let sizes = countSizes(raw);
  // isolated / singleton cells join their heaviest neighbour's cluster
  const heaviest = new Float64Array(n).fill(-1), partner = new Int32Array(n).fill(-1);
  for (let e = 0; e < snn.from.length; e++) {
    const a = snn.from[e], b = snn.to[e], w = snn.weight[e];
    if (sizes[raw[a]] === 1 && sizes[raw[b]] > 1 && w > heaviest[a]) {
      [heaviest[a], partner[a]] = [w, b];
    }
    if (sizes[raw[b]] === 1 && sizes[raw[a]] > 1 && w > heaviest[b]) {
      [heaviest[b], partner[b]] = [w, a];
    }
  }
  for (let i = 0; i < n; i++) if (partner[i] >= 0) raw[i] = raw[partner[i]];
  sizes = countSizes(raw);
  // renumber by size, descending; ties by first appearance
  const ids = [...sizes.keys()].filter((c) => sizes[c] > 0);
  const first = new Map<number, number>();
  raw.forEach((c, i) => first.has(c) || first.set(c, i));
  ids.sort((a, b) => sizes[b] - sizes[a] || first.get(a)! - first.get(b)!);
  const rank = new Int32Array(sizes.length);
  ids.forEach((c, r) => rank[c] = r);
  return raw.map((c) => rank[c]);
}

function countSizes(labels: Int32Array): Int32Array {
  let max = -1;
  for (const c of labels) max = Math.max(max, c);
  const sizes = new Int32Array(max + 1);
  for (const c of labels) sizes[c]++;
  return sizes;
}

function toGraph(snn: SnnGraph): UndirectedGraph {
  const graph = new UndirectedGraph({ allowSelfLoops: false });
  for (let i = 0; i < snn.nNodes; i++) graph.addNode(String(i));
  for (let e = 0; e < snn.from.length; e++) {
    graph.addUndirectedEdge(String(snn.from[e]), String(snn.to[e]), { weight: snn.weight[e] });
  }
  return graph;
}

/** The HVG-restricted raw counts (dataset order) used by both pipelines. */
function hvgCounts(ds: Dataset, o: Resolved, log: Progress): Dataset {
  checkCounts(ds, "recall clustering", { integers: true });
  if (ds.nCells < 3) {
    throw new OptionError(`clustering needs at least 3 cells, got ${ds.nCells}`, {
      fix: "pass a dataset with more cells",
    });
  }
  const p = Math.min(o.nHvg, ds.nGenes);
  if (p === ds.nGenes) return ds;
  log.log(`selecting ${p} HVGs (seurat_v3) of ${ds.nGenes} genes`);
  const hv = highlyVariableGenes(ds, { flavor: "seurat_v3", nTopGenes: p }).highlyVariable;
  return ds.selectGenes(Array.from(hv.keys()).filter((j) => hv[j] === 1));
}

/** LogNormalize (1e4), scale (clip 10), PCA, SNN graph: Seurat's steps before FindClusters. */
function embed(counts: Dataset, o: Resolved, log: Progress): {
  logData: Dataset;
  snn: SnnGraph;
  graph: UndirectedGraph;
} {
  const logData = log1p(normalizeTotal(counts, { targetSum: 1e4 }));
  const scaled = scale(logData, { maxValue: 10 });
  if (scaled.X.kind !== "dense") throw new Error("scale returns a dense matrix");
  log.log(`PCA: ${counts.nCells} cells x ${counts.nGenes} genes -> ${o.nPcs} components`);
  const pcs = pca(scaled.X.data, counts.nCells, counts.nGenes, {
    nComponents: o.nPcs,
    seed: o.seed,
  });
  const dims = Math.min(o.dims, pcs.nComponents), c = pcs.nComponents;
  const x = new Float32Array(counts.nCells * dims);
  for (let i = 0; i < counts.nCells; i++) {
    x.set(pcs.coords.subarray(i * c, i * c + dims), i * dims);
  }
  const snn = snnGraph(x, counts.nCells, dims, { k: o.k, prune: o.prune });
  log.log(`SNN graph: ${snn.from.length} edges (k = ${o.k}, ${dims} PCs)`);
  return { logData, snn, graph: toGraph(snn) };
}

/**
 * Seurat's default clustering without nulls and without the recall loop: HVGs, LogNormalize,
 * scale, PCA, SNN, Louvain at one resolution (default 0.8). The comparison that over-clusters.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plainClustering, simulate } from "yoto";
 * const { dataset } = simulate({ nCells: 150, nGenes: 200, nTypes: 2, markersPerType: 20, seed: 1 });
 * const r = plainClustering(dataset, { quiet: true, kNeighbors: 10 });
 * assert.equal(r.labels.length, 150);
 * assert.ok(r.nClusters >= 2);
 * ```
 */
export function plainClustering(
  ds: Dataset,
  options: PlainClusteringOptions = {},
): ClusteringResult {
  const o = resolve(options);
  const resolution = positive(options.resolution ?? 0.8, "resolution");
  const log = new Progress("plain clustering", 1, { quiet: o.quiet });
  const counts = hvgCounts(ds, o, log);
  const { snn, graph } = embed(counts, o, log);
  const labels = louvainLabels(
    graph,
    snn,
    resolution,
    new Rng(o.seed).fork("louvain/1"),
    o.nStarts,
  );
  const nClusters = countSizes(labels).length;
  log.log(`resolution ${resolution}: ${nClusters} clusters`);
  return { labels, nClusters, resolution, genes: counts.genes };
}

/**
 * recall's calibrated clustering (docs/methods.md §3.4) of raw counts: cluster the HVGs plus one null
 * twin each at resolution r (from 0.8), test every cluster pair (nested-loop order, as recall)
 * with the knockoff+ filter at q = 0.05, and recluster at 0.8 r as soon as a pair selects no real
 * gene; stop when every pair passes (or one cluster remains). Stopping in round 1 sets an
 * under-clustering warning.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, recallClustering, simulate } from "yoto";
 * await initBackend(); // the PCA runs on tfjs
 * const { dataset } = simulate({ nCells: 150, nGenes: 200, nTypes: 1, nConditions: 1, seed: 2 });
 * const r = recallClustering(dataset, { quiet: true, kNeighbors: 10 });
 * assert.equal(r.nClusters, 1);
 * assert.ok(r.history.length >= 1);
 * ```
 */
export function recallClustering(ds: Dataset, options: RecallOptions = {}): RecallResult {
  const o = resolve(options);
  const start = positive(options.resolutionStart ?? 0.8, "resolutionStart");
  const reduction = options.reduction ?? 0.2;
  if (!(reduction > 0 && reduction < 1)) {
    throw new OptionError(`reduction must be in (0, 1), got ${reduction}`, {
      field: "reduction",
      fix: "pass 0.2 (the resolution shrinks by 20% per round)",
    });
  }
  const maxRounds = positiveInt(options.maxRounds, 100, "maxRounds");
  const log = new Progress("recall", 1, { quiet: o.quiet });
  const t0 = performance.now();
  const counts = hvgCounts(ds, o, log);
  const { dataset: augmented, guards } = nullGenes(counts, {
    method: options.nullMethod ?? "zip",
    seed: o.seed,
  });
  log.log(
    `${counts.nGenes} null genes (${options.nullMethod ?? "zip"}); guards: ` +
      Object.entries(guards).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(", "),
  );
  const { logData, snn, graph } = embed(augmented, o, log);
  const rng = new Rng(o.seed);
  const history: RecallRound[] = [];
  let resolution = start, labels: Int32Array = new Int32Array(0), nClamped = 0, nUntestable = 0;
  let warning: string | undefined;
  for (let round = 1;; round++) {
    labels = louvainLabels(graph, snn, resolution, rng.fork(`louvain/${round}`), o.nStarts);
    const nClusters = countSizes(labels).length;
    const entry: RecallRound = { round, resolution, nClusters, selectedPerPair: [] };
    history.push(entry);
    // recall's order: for i = 2..K, j = 1..i-1 (1-based)
    outer: for (let i = 1; i < nClusters; i++) {
      for (let j = 0; j < i; j++) {
        const r = pairKnockoff(logData, labels, i, j);
        nClamped += r.nClamped;
        nUntestable += r.nUntestable;
        entry.selectedPerPair!.push({ pair: [i, j], selected: r.selected.length });
        if (r.selected.length === 0) {
          entry.failedPair = [i, j];
          break outer;
        }
      }
    }
    log.log(
      `round ${round}: resolution ${resolution.toPrecision(4)}, ${nClusters} clusters, ` +
        (entry.failedPair
          ? `pair (${entry.failedPair.join(", ")}) selects no gene: recluster`
          : `all ${entry.selectedPerPair!.length} pairs pass`) +
        ` (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    if (!entry.failedPair) {
      if (round === 1) {
        warning = "recall stopped in its first round: the clusters may be under-clustered; " +
          "rerun from a larger starting resolution";
      }
      break;
    }
    if (round === maxRounds) {
      warning = `recall stopped after its last allowed round (${maxRounds}) with a failing pair`;
      break;
    }
    resolution *= 1 - reduction;
  }
  const last = history[history.length - 1];
  return {
    labels,
    nClusters: last.nClusters,
    resolution: last.resolution,
    genes: counts.genes,
    history,
    ...(warning ? { warning } : {}),
    guards,
    nClamped,
    nUntestable,
  };
}
