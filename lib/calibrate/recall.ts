/**
 * recall (docs/methods.md §3.4): clustering calibrated with artificial null genes. The counts are
 * restricted to the HVGs, one ZIP null twin is appended per HVG, and Seurat's default pipeline
 * (LogNormalize 1e4, scale, 50 PCs, SNN on 10 PCs with k = 20, Louvain) runs on the augmented
 * matrix; the resolution shrinks (r <- 0.8 r) until every cluster pair has at least one real gene
 * selected by the knockoff+ filter at q = 0.05. {@link plainClustering} is the same pipeline
 * without nulls and without the loop, for the over-clustering comparison.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { highlyVariableGenes } from "../data/hvg.ts";
import {
  clusterSizes,
  type LouvainGraph,
  louvainGraph,
  louvainLabels,
  snnGraph,
} from "../data/graph.ts";
import { pca } from "../data/pca.ts";
import { log1p, normalizeTotal, scale } from "../data/preprocess.ts";
import { checkCounts } from "../data/stats.ts";
import { OptionError } from "../runtime/errors.ts";
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
  graph: LouvainGraph;
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
  return { logData, graph: louvainGraph(snn) };
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
  const { graph } = embed(counts, o, log);
  const labels = louvainLabels(
    graph,
    resolution,
    new Rng(o.seed).fork("louvain/1"),
    o.nStarts,
  );
  const nClusters = clusterSizes(labels).length;
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
  const { logData, graph } = embed(augmented, o, log);
  const rng = new Rng(o.seed);
  const history: RecallRound[] = [];
  let resolution = start, labels: Int32Array = new Int32Array(0), nClamped = 0, nUntestable = 0;
  let warning: string | undefined;
  for (let round = 1;; round++) {
    labels = louvainLabels(graph, resolution, rng.fork(`louvain/${round}`), o.nStarts);
    const nClusters = clusterSizes(labels).length;
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
