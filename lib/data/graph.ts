/**
 * Cell graphs and their communities: Seurat's shared-nearest-neighbour (SNN) graph and Louvain
 * clustering on it (graphology's implementation, seeded), as `recall` clustering and
 * `yoto evaluate`'s cluster similarity use them.
 * @module
 */
import { UndirectedGraph } from "graphology";
import louvainDefault, {
  type DetailedLouvainOutput,
  type LouvainOptions,
} from "graphology-communities-louvain";
import { nearestNeighbors } from "./neighbors.ts";
import { ShapeMismatchError } from "../runtime/errors.ts";
import type { Rng } from "../runtime/rng.ts";

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

/**
 * Seurat's shared-nearest-neighbour graph: each cell's k nearest cells (itself included) by
 * Euclidean distance on `x` [n x d]; cells i, j sharing s neighbours get the Jaccard weight
 * s / (2k - s), kept when >= `prune`. Self-loops are left out (Seurat's Louvain ignores them).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snnGraph } from "./graph.ts";
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
  // nearestNeighbors refuses a k that is not a whole number >= 1
  const k = Math.min(options.k ?? 20, n);
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
export function louvainLabels(
  { graph, snn }: LouvainGraph,
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
  let sizes = clusterSizes(raw);
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
  sizes = clusterSizes(raw);
  // renumber by size, descending; ties by first appearance
  const ids = [...sizes.keys()].filter((c) => sizes[c] > 0);
  const first = new Map<number, number>();
  raw.forEach((c, i) => first.has(c) || first.set(c, i));
  ids.sort((a, b) => sizes[b] - sizes[a] || first.get(a)! - first.get(b)!);
  const rank = new Int32Array(sizes.length);
  ids.forEach((c, r) => rank[c] = r);
  return raw.map((c) => rank[c]);
}

/** Cells per cluster code 0..max. */
export function clusterSizes(labels: Int32Array): Int32Array {
  let max = -1;
  for (const c of labels) max = Math.max(max, c);
  const sizes = new Int32Array(max + 1);
  for (const c of labels) sizes[c]++;
  return sizes;
}

/** An SNN graph ready for {@link louvainLabels} (built once, clustered at many resolutions). */
export interface LouvainGraph {
  snn: SnnGraph;
  graph: UndirectedGraph;
}

/** The graphology graph of an SNN graph, for {@link louvainLabels}. */
export function louvainGraph(snn: SnnGraph): LouvainGraph {
  const graph = new UndirectedGraph({ allowSelfLoops: false });
  for (let i = 0; i < snn.nNodes; i++) graph.addNode(String(i));
  for (let e = 0; e < snn.from.length; e++) {
    graph.addUndirectedEdge(String(snn.from[e]), String(snn.to[e]), { weight: snn.weight[e] });
  }
  return { snn, graph };
}
