/**
 * The evaluation suite of `yoto evaluate` (docs/methods.md §1.9): any gene panel scored on the
 * test cells by classification (per class, with the confusion matrix), agreement of its
 * neighbourhoods and clusterings with the full transcriptome's, gene-gene redundancy, marker
 * coverage, reconstruction of the other candidate genes, and robustness to shallower
 * sequencing. Every transform is fitted on the training cells; the panel genes are read as the
 * assay reads them (`normalize`, panel-native by default); the reference ("full
 * transcriptome") is the PCA of the candidate HVGs, normalised by each cell's total count. Results use the keys of `evaluation.json`.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { clusterSizes, louvainGraph, louvainLabels, snnGraph } from "../data/graph.ts";
import { nearestNeighbors } from "../data/neighbors.ts";
import { pca } from "../data/pca.ts";
import { thinCounts } from "../data/sampling.ts";
import {
  applyInput,
  DEFAULT_NORMALIZATION,
  fitCandidates,
  fitInput,
  type Normalization,
} from "../data/transform.ts";
import type { ClassificationMetrics } from "../metrics/classification.ts";
import { adjustedRandIndex, normalizedMutualInfo } from "../metrics/clustering.ts";
import { DataValueError, OptionError } from "../runtime/errors.ts";
import { Progress } from "../runtime/progress.ts";
import { Rng } from "../runtime/rng.ts";
import { classLabels, welchT } from "../select/markers.ts";
import type { TaskPrediction } from "../select/panel.ts";
import type { ClassifierKind } from "./classifiers.ts";
import { evaluatePanel, evaluateReconstruction, type PanelSplit } from "./downstream.ts";
import { predictionConfusion, scorePrediction } from "./score.ts";

/** A panel to evaluate. */
export interface SuitePanel {
  /** Name in the report and figures (e.g. the file name). */
  name: string;
  genes: string[];
  /** A trained model's own predictions (its heads), scored as the classifier "own". */
  predict?: (ds: Dataset) => TaskPrediction[];
}

/** Options of {@link evaluateSuite}; defaults in brackets. */
export interface SuiteOptions {
  /** Label columns (classification) to score. */
  tasks: string[];
  /** How the panel genes are read per cell (the reference is always "transcriptome") [panel]. */
  normalize?: Normalization;
  /** Downstream classifiers [["lr", "knn"]]. */
  classifiers?: ClassifierKind[];
  /** Neighbours of knn_overlap and of the cluster graphs [15]. */
  neighbors?: number;
  /** Louvain resolutions of cluster_similarity [[0.4, 0.8, 1.2]]. */
  resolutions?: number[];
  /** Candidate HVGs: the reference's genes and the reconstruction targets [2000]. */
  candidates?: number;
  /** Principal components of the reference [50]. */
  nPcs?: number;
  /** Differentially expressed genes per class that marker_coverage looks for [20]. */
  topMarkers?: number;
  /** Known marker genes whose best correlation with a panel gene is reported. */
  markers?: string[];
  /** |correlation| above which redundancy lists a pair [0.8]. */
  redundancyThreshold?: number;
  /** Sequencing depths of `thinning` [[1, 0.5, 0.25]]. */
  fractions?: number[];
  /** Seed of the PCA, Louvain and the thinning [0]. */
  seed?: number;
  quiet?: boolean;
}

/** One classifier's test scores, as evaluation.json holds them. */
export interface ClassifierReport {
  accuracy: number;
  balanced_accuracy: number;
  macro_f1: number;
  weighted_f1: number;
  n: number;
  per_class: { class: string; precision: number; recall: number; f1: number; support: number }[];
  /** Rows = true class, columns = predicted, in the order of `classes`. */
  confusion: { classes: string[]; matrix: number[][] };
}

/** Everything evaluation.json holds for one panel. */
export interface PanelReport {
  name: string;
  genes: string[];
  k: number;
  /** Per label, per classifier. */
  classification: Record<string, Record<string, ClassifierReport>>;
  knn_overlap: { k: number; mean: number; chance: number };
  cluster_similarity: {
    per_resolution: {
      resolution: number;
      nmi: number;
      ari: number;
      clusters_panel: number;
      clusters_full: number;
    }[];
    mean_nmi: number;
    mean_ari: number;
  };
  redundancy: {
    /** Per gene: the largest |correlation| with another panel gene (null for a 1-gene panel). */
    max_abs_corr: Record<string, number | null>;
    mean: number | null;
    threshold: number;
    pairs_above: { a: string; b: string; r: number }[];
  };
  marker_coverage: {
    top: number;
    /** Per label: per class, its top DE genes and which of them the panel holds. */
    labels: Record<string, {
      covered_fraction: number;
      classes: { class: string; covered: boolean; in_panel: string[]; top_genes: string[] }[];
    }>;
    known?: {
      markers: { marker: string; best_gene: string; r: number }[];
      mean_best_r: number | null;
      not_in_data: string[];
    };
  };
  reconstruction_r2: {
    n_targets: number;
    mean_r2: number;
    median_r2: number;
    variance_explained: number;
    per_gene: Record<string, number>;
  } | null;
  thinning: {
    fractions: number[];
    seed: number;
    /** Per label, per classifier: test macro-F1 at each fraction. */
    macro_f1: Record<string, Record<string, number[]>>;
  } | { skipped: string };
}

/** What `yoto evaluate` writes to evaluation.json. */
export interface EvaluationDocument {
  command: "yoto evaluate";
  /** The --data path, as given. */
  data: string;
  labels: string[];
  split: { kind: string; by?: string; groups?: { train: string[]; val: string[]; test: string[] } };
  seed: number;
  normalize: Normalization;
  n_train: number;
  n_val: number;
  n_test: number;
  /** Top-N HVGs of the full-transcriptome reference. */
  candidates: number;
  /** Wall-clock seconds of the evaluation. */
  seconds: number;
  panels: PanelReport[];
}

/**
 * The metrics of a panel that need no classifier, in evaluation.json's key order: what the
 * benchmark adds to its rows (its `"suite"` config key chooses among them).
 */
export const SUITE_METRICS = [
  "knn_overlap",
  "cluster_similarity",
  "redundancy",
  "marker_coverage",
  "reconstruction_r2",
] as const;

/** One of {@link SUITE_METRICS}. */
export type SuiteMetric = typeof SUITE_METRICS[number];

/** The {@link SUITE_METRICS} of one panel, as evaluation.json holds them. */
export type PanelMetrics = Pick<PanelReport, SuiteMetric>;

/**
 * The full-transcriptome reference of one split, shared by every panel scored on it: see
 * {@link suiteReference}.
 */
export interface SuiteReference {
  /** The options it was computed with; the panels are scored with the same ones. */
  options: ResolvedSuiteOptions;
  candidates: string[];
  /** Each test cell's neighbours on the reference PCA, self excluded [nTest x k]. */
  neighbors: Int32Array;
  /** Louvain labels of the test cells on the reference, per resolution. */
  clusters: Int32Array[];
  /** Per task, per class: the top DE genes on train (Welch t, the markers statistic). */
  topGenes: Record<string, { class: string; genes: string[] }[]>;
  /** Reference-transformed test values of a candidate, panel gene or known marker. */
  testValues: (gene: string) => Float32Array;
}

/** SuiteOptions with every default filled in. */
export type ResolvedSuiteOptions = Required<Omit<SuiteOptions, "markers">> & { markers?: string[] };

function resolve(o: SuiteOptions): ResolvedSuiteOptions {
  const r: ResolvedSuiteOptions = {
    tasks: o.tasks,
    normalize: o.normalize ?? DEFAULT_NORMALIZATION,
    classifiers: o.classifiers ?? ["lr", "knn"],
    neighbors: o.neighbors ?? 15,
    resolutions: o.resolutions ?? [0.4, 0.8, 1.2],
    candidates: o.candidates ?? 2000,
    nPcs: o.nPcs ?? 50,
    topMarkers: o.topMarkers ?? 20,
    markers: o.markers,
    redundancyThreshold: o.redundancyThreshold ?? 0.8,
    fractions: o.fractions ?? [1, 0.5, 0.25],
    seed: o.seed ?? 0,
    quiet: o.quiet ?? false,
  };
  for (const f of r.fractions) {
    if (!(f > 0 && f <= 1)) {
      throw new OptionError(`a thinning fraction must be in (0, 1], got ${f}`, {
        field: "fractions",
      });
    }
  }
  return r;
}

/**
 * Each row's k nearest other rows of `x` [n x d] (Euclidean; the row itself left out even when a
 * duplicate row ties with it), as [n x k] indices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { neighborsExcludingSelf } from "./suite.ts";
 * const nb = neighborsExcludingSelf(Float32Array.of(0, 1, 5, 5), 4, 1, 1);
 * assert.equal(nb.join(), "1,0,3,2");
 * ```
 */
export function neighborsExcludingSelf(
  x: Float32Array,
  n: number,
  d: number,
  k: number,
): Int32Array {
  if (!(Number.isInteger(k) && k >= 1 && k < n)) {
    throw new DataValueError(`${n} test cells are too few for ${k} neighbours each`, {
      field: "neighbors",
      fix: `evaluate on more test cells (at least ${k + 1})`,
    });
  }
  const { indices } = nearestNeighbors(x, n, x, n, d, k + 1);
  const out = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let r = 0; r <= k && o < k; r++) {
      const j = indices[i * (k + 1) + r];
      if (j !== i) out[i * k + o++] = j;
    }
  }
  return out;
}

/**
 * Mean over rows of |A_i ∩ B_i| / k for two [n x k] neighbour lists: 1 when every cell has the
 * same neighbours in both spaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { neighborOverlap } from "./suite.ts";
 * assert.equal(neighborOverlap(Int32Array.of(1, 2, 0, 2), Int32Array.of(2, 1, 0, 3), 2, 2), 0.75);
 * ```
 */
export function neighborOverlap(a: Int32Array, b: Int32Array, n: number, k: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const set = new Set(a.subarray(i * k, (i + 1) * k));
    let shared = 0;
    for (let r = 0; r < k; r++) if (set.has(b[i * k + r])) shared++;
    sum += shared / k;
  }
  return n ? sum / n : NaN;
}

/**
 * Pearson correlations of the columns of `x` [n x d] as a d x d matrix; a constant column
 * correlates 0 with every other.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnCorrelations } from "./suite.ts";
 * const r = columnCorrelations(Float32Array.of(1, 2, 3, 2, 4, 1, 3, 6, 2), 3, 3);
 * assert.ok(Math.abs(r[1] - 1) < 1e-12); // columns 0 and 1: y = 2x
 * ```
 */
export function columnCorrelations(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const mean = new Float64Array(d), sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const r = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const da = x[i * d + a] - mean[a];
      for (let b = a; b < d; b++) r[a * d + b] += da * (x[i * d + b] - mean[b]);
    }
  }
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(r[j * d + j]);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = sd[a] > 0 && sd[b] > 0 ? r[a * d + b] / (sd[a] * sd[b]) : 0;
      r[a * d + b] = r[b * d + a] = a === b ? 1 : Math.max(-1, Math.min(1, v));
    }
  }
  return r;
}

/**
 * The redundancy report of a panel from its genes' values [n x k]: per gene the largest
 * |correlation| with another panel gene, their mean, and every pair above `threshold`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { panelRedundancy } from "./suite.ts";
 * // A and B identical, C unrelated
 * const x = Float32Array.of(1, 1, 0, 2, 2, 1, 3, 3, 0, 4, 4, 1);
 * const r = panelRedundancy(x, 4, ["A", "B", "C"], 0.8);
 * assert.ok(Math.abs(r.max_abs_corr.A! - 1) < 1e-12);
 * assert.equal(r.pairs_above.length, 1);
 * ```
 */
export function panelRedundancy(
  x: ArrayLike<number>,
  n: number,
  genes: string[],
  threshold: number,
): PanelReport["redundancy"] {
  const k = genes.length;
  const r = columnCorrelations(x, n, k);
  const best: Record<string, number | null> = {};
  const pairs: { a: string; b: string; r: number }[] = [];
  for (let a = 0; a < k; a++) {
    let m: number | null = null;
    for (let b = 0; b < k; b++) {
      if (b === a) continue;
      m = Math.max(m ?? 0, Math.abs(r[a * k + b]));
      if (b > a && Math.abs(r[a * k + b]) > threshold) {
        pairs.push({ a: genes[a], b: genes[b], r: r[a * k + b] });
      }
    }
    best[genes[a]] = m;
  }
  pairs.sort((p, q) => Math.abs(q.r) - Math.abs(p.r));
  const values = Object.values(best).filter((v): v is number => v !== null);
  return {
    max_abs_corr: best,
    mean: values.length ? values.reduce((s, v) => s + v, 0) / values.length : null,
    threshold,
    pairs_above: pairs,
  };
}

/** Louvain labels of the cells of `x` [n x d] on their SNN graph, per resolution. */
function clusterings(x: Float32Array, n: number, d: number, o: ResolvedSuiteOptions): Int32Array[] {
  const graph = louvainGraph(snnGraph(x, n, d, { k: o.neighbors }));
  const rng = new Rng(o.seed);
  return o.resolutions.map((res, i) => louvainLabels(graph, res, rng.fork(`louvain/${i}`), 1));
}

/** The report of one classifier's metrics (the unseen-class row only when a test cell has it). */
export function classifierReport(m: ClassificationMetrics): ClassifierReport {
  const { confusion, classes } = predictionConfusion(m);
  return {
    accuracy: m.accuracy,
    balanced_accuracy: m.balancedAccuracy,
    macro_f1: m.macroF1,
    weighted_f1: m.weightedF1,
    n: m.nEvaluated,
    per_class: m.perClass.slice(0, classes.length).map((c) => ({
      class: c.name,
      precision: c.precision,
      recall: c.recall,
      f1: c.f1,
      support: c.support,
    })),
    confusion: { classes, matrix: confusion.map((row) => Array.from(row)) },
  };
}

/**
 * The full-transcriptome reference of `split` (docs/methods.md §1.9), computed once and shared by
 * every panel scored on it: the candidates, the reference PCA's neighbours and clusterings of
 * the test cells, and each class's top DE genes ranked over the candidates, `genes` (every gene
 * a panel to score may hold) and the known markers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   initBackend,
 *   panelMetrics,
 *   simulate,
 *   splitDataset,
 *   stratifiedSplit,
 *   suiteReference,
 * } from "yoto";
 * await initBackend();
 * const { dataset, truth } = simulate({ nCells: 300, nGenes: 80, seed: 1 });
 * const split = splitDataset(dataset, stratifiedSplit(dataset.categorical("cell_type")));
 * const genes = Object.values(truth.markers).flat();
 * const ref = suiteReference(split, { tasks: ["cell_type"], candidates: 60, quiet: true }, genes);
 * const m = panelMetrics(genes, split, ref, { metrics: ["knn_overlap"] });
 * assert.ok(m.knn_overlap!.mean > m.knn_overlap!.chance);
 * assert.equal(m.reconstruction_r2, undefined);
 * ```
 */
export function suiteReference(
  split: PanelSplit,
  options: SuiteOptions,
  genes: string[],
  log = new Progress("evaluate", 0, { quiet: true }),
): SuiteReference {
  const o = resolve(options);
  const { train, test } = split;
  const { genes: candidates, targetSum } = fitCandidates(train, { candidates: o.candidates });
  const known = (o.markers ?? []).filter((g) => train.genes.includes(g));
  const universe = [...new Set([...candidates, ...genes, ...known])];
  const { transform, x: xTrain } = fitInput(train, universe, {
    normalize: "transcriptome",
    targetSum,
  });
  const U = universe.length, n = test.nCells;
  const xTest = applyInput(test, transform);
  const col = new Map(universe.map((g, j) => [g, j]));
  // reference space: PCA of the candidates' values on the test cells
  const c = candidates.length;
  const cand = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) cand[i * c + j] = xTest[i * U + j];
  }
  const nPcs = Math.min(o.nPcs, c, n - 1);
  log.log(`reference: PCA of ${c} HVGs on ${n} test cells -> ${nPcs} components`);
  const coords = pca(cand, n, c, { nComponents: nPcs, seed: o.seed });
  const d = coords.nComponents;
  const neighbors = neighborsExcludingSelf(coords.coords, n, d, o.neighbors);
  const clusters = clusterings(coords.coords, n, d, o);
  log.log(
    `reference clusters: ${
      clusters.map((l, i) => `${clusterSizes(l).length} at resolution ${o.resolutions[i]}`).join(
        ", ",
      )
    }`,
  );
  const topGenes: SuiteReference["topGenes"] = {};
  for (const task of o.tasks) {
    const l = classLabels(train, task);
    const t = welchT(xTrain, U, l.codes, l.classes.length);
    topGenes[task] = l.classes.map((name, k) => {
      const order = Array.from({ length: U }, (_, j) => j)
        .sort((a, b) => t[k * U + b] - t[k * U + a] || a - b);
      return { class: name, genes: order.slice(0, o.topMarkers).map((j) => universe[j]) };
    });
  }
  const testValues = (gene: string) => {
    const j = col.get(gene);
    // a caller's bug: the gene was not passed to suiteReference
    if (j === undefined) throw new Error(`${gene} is not among the reference's genes`);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = xTest[i * U + j];
    return out;
  };
  return { options: o, candidates, neighbors, clusters, topGenes, testValues };
}

/** Options of {@link panelMetrics}; defaults in brackets. */
export interface PanelMetricsOptions {
  /** How the panel genes are read per cell [the reference's `normalize`]. */
  normalize?: Normalization;
  /** Which metrics to compute [all of SUITE_METRICS]. */
  metrics?: readonly SuiteMetric[];
}

/**
 * The chosen {@link SUITE_METRICS} of the panel `genes` on `split`, against `ref` (computed on the
 * same split by {@link suiteReference}, with every panel gene among its `genes`) and with its
 * options; a metric not chosen is left out.
 */
export function panelMetrics(
  genes: string[],
  split: PanelSplit,
  ref: SuiteReference,
  options: PanelMetricsOptions = {},
): Partial<PanelMetrics> {
  const o = ref.options, normalize = options.normalize ?? o.normalize;
  const chosen = new Set(options.metrics ?? SUITE_METRICS);
  const { train, test } = split;
  const k = genes.length, n = test.nCells;
  const out: Partial<PanelMetrics> = {};
  if (chosen.has("knn_overlap") || chosen.has("cluster_similarity") || chosen.has("redundancy")) {
    const { transform, x: xTrain } = fitInput(train, genes, { normalize });
    const xTest = applyInput(test, transform);
    if (chosen.has("knn_overlap")) {
      const neighbors = neighborsExcludingSelf(xTest, n, k, o.neighbors);
      out.knn_overlap = {
        k: o.neighbors,
        mean: neighborOverlap(neighbors, ref.neighbors, n, o.neighbors),
        chance: o.neighbors / (n - 1),
      };
    }
    if (chosen.has("cluster_similarity")) {
      const clusters = clusterings(xTest, n, k, o);
      const perResolution = o.resolutions.map((resolution, i) => ({
        resolution,
        nmi: normalizedMutualInfo(clusters[i], ref.clusters[i]),
        ari: adjustedRandIndex(clusters[i], ref.clusters[i]),
        clusters_panel: clusterSizes(clusters[i]).length,
        clusters_full: clusterSizes(ref.clusters[i]).length,
      }));
      const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
      out.cluster_similarity = {
        per_resolution: perResolution,
        mean_nmi: mean(perResolution.map((r) => r.nmi)),
        mean_ari: mean(perResolution.map((r) => r.ari)),
      };
    }
    if (chosen.has("redundancy")) {
      out.redundancy = panelRedundancy(xTrain, train.nCells, genes, o.redundancyThreshold);
    }
  }
  const inPanel = new Set(genes);
  if (chosen.has("marker_coverage")) {
    const coverage: PanelReport["marker_coverage"] = { top: o.topMarkers, labels: {} };
    for (const task of o.tasks) {
      const classes = ref.topGenes[task].map((c) => {
        const hits = c.genes.filter((g) => inPanel.has(g));
        return { class: c.class, covered: hits.length > 0, in_panel: hits, top_genes: c.genes };
      });
      coverage.labels[task] = {
        covered_fraction: classes.filter((c) => c.covered).length / classes.length,
        classes,
      };
    }
    if (o.markers) coverage.known = knownMarkers(genes, o.markers, ref, new Set(train.genes), n);
    out.marker_coverage = coverage;
  }
  if (chosen.has("reconstruction_r2")) {
    const targets = ref.candidates.filter((g) => !inPanel.has(g));
    out.reconstruction_r2 = null;
    if (targets.length) {
      const r = evaluateReconstruction(genes, targets, split, { normalize });
      const sorted = Array.from(r.r2).sort((a, b) => a - b);
      const h = sorted.length >> 1;
      out.reconstruction_r2 = {
        n_targets: targets.length,
        mean_r2: r.meanR2,
        median_r2: sorted.length % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2,
        variance_explained: r.varianceExplained,
        per_gene: Object.fromEntries(r.genes.map((g, j) => [g, r.r2[j]])),
      };
    }
  }
  return out;
}

function knownMarkers(
  genes: string[],
  markers: string[],
  ref: SuiteReference,
  dataGenes: Set<string>,
  n: number,
): NonNullable<PanelReport["marker_coverage"]["known"]> {
  const present = markers.filter((g) => dataGenes.has(g));
  const panelValues = genes.map((g) => ref.testValues(g));
  const rows = present.map((marker) => {
    const m = ref.testValues(marker);
    let best = { gene: genes[0], r: 0 };
    panelValues.forEach((v, p) => {
      const x = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) [x[2 * i], x[2 * i + 1]] = [m[i], v[i]];
      const r = columnCorrelations(x, n, 2)[1];
      if (Math.abs(r) > Math.abs(best.r)) best = { gene: genes[p], r };
    });
    return { marker, best_gene: best.gene, r: best.r };
  });
  return {
    markers: rows,
    mean_best_r: rows.length ? rows.reduce((s, r) => s + Math.abs(r.r), 0) / rows.length : null,
    not_in_data: markers.filter((g) => !dataGenes.has(g)),
  };
}

/** Whether every stored count is a non-negative integer (thinning needs counts). */
function integerCounts(ds: Dataset): boolean {
  const values = ds.X.kind === "csr" ? ds.X.values : ds.X.data;
  return values.every((v) => v >= 0 && Number.isInteger(v));
}

async function classify(
  panel: SuitePanel,
  split: PanelSplit,
  o: ResolvedSuiteOptions,
): Promise<Record<string, Record<string, ClassificationMetrics>>> {
  const out: Record<string, Record<string, ClassificationMetrics>> = {};
  for (const task of o.tasks) {
    const r = await evaluatePanel(panel.genes, split, task, {
      classifiers: o.classifiers,
      seed: o.seed,
      normalize: o.normalize,
    });
    out[task] = Object.fromEntries(r.results.map((c) => [c.classifier, c.metrics]));
  }
  if (panel.predict) {
    for (const pred of panel.predict(split.test)) {
      if (pred.kind === "classification" && out[pred.task]) {
        out[pred.task].own = scorePrediction(pred, split.test);
      }
    }
  }
  return out;
}

/**
 * Score every panel on `split` (raw counts over all genes): see {@link PanelReport} and
 * docs/methods.md §1.9. The reference is computed once and shared by the panels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, simulate, splitDataset, stratifiedSplit } from "yoto";
 * import { evaluateSuite } from "./suite.ts";
 * await initBackend();
 * const { dataset, truth } = simulate({ nCells: 300, nGenes: 80, seed: 1 });
 * const split = splitDataset(dataset, stratifiedSplit(dataset.categorical("cell_type")));
 * const genes = Object.values(truth.markers).flat();
 * const [r] = await evaluateSuite([{ name: "markers", genes }], split, {
 *   tasks: ["cell_type"], candidates: 60, quiet: true, fractions: [1],
 * });
 * assert.ok(r.classification.cell_type.lr.macro_f1 > 0.8);
 * assert.ok(r.knn_overlap.mean > r.knn_overlap.chance);
 * ```
 */
export async function evaluateSuite(
  panels: SuitePanel[],
  split: PanelSplit,
  options: SuiteOptions,
): Promise<PanelReport[]> {
  const o = resolve(options);
  const { test } = split;
  const log = new Progress("evaluate", panels.length, { quiet: o.quiet });
  const seconds = (t: number) => `${((performance.now() - t) / 1000).toFixed(1)} s`;
  const ref = suiteReference(split, options, panels.flatMap((p) => p.genes), log);
  const thinnable = integerCounts(test);
  const reports: PanelReport[] = [];
  for (const panel of panels) {
    const started = performance.now();
    log.log(
      `panel ${panel.name} (${panel.genes.length} genes): classification, neighbours, clusters, ...`,
    );
    const classified = await classify(panel, split, o);
    const metrics = panelMetrics(panel.genes, split, ref) as PanelMetrics;
    let thinning: PanelReport["thinning"];
    if (thinnable) {
      const macro: Record<string, Record<string, number[]>> = {};
      for (const task of o.tasks) macro[task] = {};
      for (const f of o.fractions) {
        const scores = f === 1
          ? classified
          : await classify(panel, { ...split, test: thinCounts(test, f, o.seed) }, o);
        for (const [task, byClassifier] of Object.entries(scores)) {
          for (const [c, m] of Object.entries(byClassifier)) {
            (macro[task][c] ??= []).push(m.macroF1);
          }
        }
      }
      thinning = { fractions: o.fractions, seed: o.seed, macro_f1: macro };
    } else {
      thinning = { skipped: "the counts are not all integers, so they cannot be thinned" };
    }
    reports.push({
      name: panel.name,
      genes: panel.genes,
      k: panel.genes.length,
      classification: Object.fromEntries(
        Object.entries(classified).map(([task, byClassifier]) => [
          task,
          Object.fromEntries(
            Object.entries(byClassifier).map(([c, m]) => [c, classifierReport(m)]),
          ),
        ]),
      ),
      ...metrics,
      thinning,
    });
    log.log(`panel ${panel.name}: done in ${seconds(started)}`);
  }
  return reports;
}

/** A number for the summary table: 3 decimals, "–" where there is none. */
function cell(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3);
}

/** A markdown table: a header row, then rows; `|` in text is escaped. */
function table(header: string[], rows: string[][]): string {
  const line = (r: string[]) => `| ${r.map((v) => v.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** A titled table of text cells, header first. */
export interface SummaryTable {
  title: string;
  /** The label a per-class table is about. */
  task?: string;
  header: string[];
  rows: string[][];
}

/**
 * The panels side by side, one column each: a table of headline metrics, then per label and
 * classifier a table of per-class F1 (summary.md and the HTML report show them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type PanelReport, suiteTables } from "./suite.ts";
 * const report = {
 *   name: "p", k: 2, classification: {}, knn_overlap: { k: 15, mean: 0.4 },
 *   cluster_similarity: { mean_nmi: 0.5, mean_ari: 0.3 }, redundancy: { mean: 0.2, pairs_above: [] },
 *   marker_coverage: { top: 20, labels: {} }, reconstruction_r2: null, thinning: { skipped: "" },
 * } as unknown as PanelReport;
 * const [headline] = suiteTables([report]);
 * assert.deepEqual(headline.header, ["metric", "p"]);
 * assert.deepEqual(headline.rows[0], ["genes (k)", "2"]);
 * ```
 */
export function suiteTables(reports: PanelReport[]): SummaryTable[] {
  const names = reports.map((r) => r.name);
  const rows: string[][] = [["genes (k)", ...reports.map((r) => String(r.k))]];
  const tasks = [...new Set(reports.flatMap((r) => Object.keys(r.classification)))];
  for (const task of tasks) {
    const kinds = [...new Set(reports.flatMap((r) => Object.keys(r.classification[task] ?? {})))];
    for (const c of kinds) {
      for (const [key, label] of [["macro_f1", "macro-F1"], ["balanced_accuracy", "bal. acc."]]) {
        rows.push([
          `${label} ${c} (${task})`,
          ...reports.map((r) =>
            cell(r.classification[task]?.[c]?.[key as "macro_f1" | "balanced_accuracy"])
          ),
        ]);
      }
    }
  }
  const k = reports[0]?.knn_overlap.k;
  rows.push([`knn_overlap (k = ${k})`, ...reports.map((r) => cell(r.knn_overlap.mean))]);
  rows.push(["cluster NMI (mean)", ...reports.map((r) => cell(r.cluster_similarity.mean_nmi))]);
  rows.push(["cluster ARI (mean)", ...reports.map((r) => cell(r.cluster_similarity.mean_ari))]);
  rows.push(["redundancy (mean max abs r)", ...reports.map((r) => cell(r.redundancy.mean))]);
  rows.push([
    "redundant pairs",
    ...reports.map((r) => String(r.redundancy.pairs_above.length)),
  ]);
  for (const task of tasks) {
    rows.push([
      `marker coverage (${task})`,
      ...reports.map((r) => cell(r.marker_coverage.labels[task]?.covered_fraction)),
    ]);
  }
  if (reports.some((r) => r.marker_coverage.known)) {
    rows.push([
      "known markers: mean best abs r",
      ...reports.map((r) => cell(r.marker_coverage.known?.mean_best_r)),
    ]);
  }
  rows.push([
    "reconstruction R² (mean)",
    ...reports.map((r) => cell(r.reconstruction_r2?.mean_r2)),
  ]);
  const thinned = reports.find((r) => "macro_f1" in r.thinning)?.thinning;
  if (thinned && "macro_f1" in thinned) {
    for (const task of tasks) {
      for (const c of Object.keys(thinned.macro_f1[task] ?? {})) {
        thinned.fractions.forEach((f, i) => {
          rows.push([
            `macro-F1 ${c} (${task}) at ${Math.round(100 * f)}% depth`,
            ...reports.map((r) =>
              "macro_f1" in r.thinning ? cell(r.thinning.macro_f1[task]?.[c]?.[i]) : "–"
            ),
          ]);
        });
      }
    }
  }
  const tables: SummaryTable[] = [
    { title: "Panel evaluation", header: ["metric", ...names], rows },
  ];
  for (const task of tasks) {
    const kinds = [...new Set(reports.flatMap((r) => Object.keys(r.classification[task] ?? {})))];
    for (const c of kinds) {
      const classes = [
        ...new Set(
          reports.flatMap((r) => r.classification[task]?.[c]?.per_class.map((p) => p.class) ?? []),
        ),
      ];
      const f1 = (r: PanelReport, name: string) =>
        cell(r.classification[task]?.[c]?.per_class.find((p) => p.class === name)?.f1);
      tables.push({
        title: `Per-class F1: ${c}, ${task}`,
        task,
        header: ["class", ...names],
        rows: classes.map((name) => [name, ...reports.map((r) => f1(r, name))]),
      });
    }
  }
  return tables;
}

/**
 * `summary.md`: the panels side by side, one column each: headline metrics, then per label the
 * per-class F1 of each classifier.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type PanelReport, suiteSummary } from "./suite.ts";
 * const report = {
 *   name: "p", k: 2, classification: {}, knn_overlap: { k: 15, mean: 0.4 },
 *   cluster_similarity: { mean_nmi: 0.5, mean_ari: 0.3 }, redundancy: { mean: 0.2, pairs_above: [] },
 *   marker_coverage: { top: 20, labels: {} }, reconstruction_r2: null, thinning: { skipped: "" },
 * } as unknown as PanelReport;
 * assert.match(suiteSummary([report]), /\| knn_overlap \(k = 15\) \| 0\.400 \|/);
 * ```
 */
export function suiteSummary(reports: PanelReport[]): string {
  const [headline, ...perClass] = suiteTables(reports);
  const parts = [`# ${headline.title}`, "", table(headline.header, headline.rows)];
  for (const t of perClass) parts.push("", `## ${t.title}`, "", table(t.header, t.rows));
  return parts.join("\n") + "\n";
}
