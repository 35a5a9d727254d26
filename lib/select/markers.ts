/**
 * Differential-expression marker baseline (docs/methods.md §2.3, scanpy `rank_genes_groups`
 * semantics): each class against the rest by Welch's t or the Wilcoxon rank-sum z, then a
 * round-robin over classes (and tasks) of each class's best gene not yet chosen.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { OptionError } from "../runtime/errors.ts";
import { fitCandidates, fitInput } from "../data/transform.ts";
import { checkPanelSize, panelSelector, requireTasks, type Selector } from "./panel.ts";

/** A label column as class indices over the classes present among the cells. */
export interface ClassLabels {
  task: string;
  /** Index into `classes` per cell; -1 = missing label. */
  codes: Int32Array;
  /** Names of the classes with at least one cell, sorted. */
  classes: string[];
  /** Cells per class. */
  counts: Int32Array;
}

/**
 * Class indices of a label column, classes sorted by name; MissingFieldError for an unknown
 * column, OptionError for fewer than 2 classes among the cells.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * import { classLabels } from "./markers.ts";
 * const ds = Dataset.fromDense(new Float32Array(4), 4, 1, ["g"], {
 *   t: { kind: "categorical", codes: Int32Array.from([2, 0, -1, 2]), categories: ["b", "x", "a"] },
 * });
 * const l = classLabels(ds, "t");
 * assert.equal(l.classes.join(), "a,b");
 * assert.equal(l.codes.join(), "0,1,-1,0");
 * ```
 */
export function classLabels(ds: Dataset, task: string): ClassLabels {
  const { categories, counts } = ds.categoryCounts(task);
  const classes = categories.filter((_, c) => counts[c] > 0).sort();
  if (classes.length < 2) {
    throw new OptionError(
      `label '${task}' has ${classes.length} class(es) among the training cells; 2 are needed`,
      { field: task, fix: "choose another label column" },
    );
  }
  return {
    task,
    codes: ds.codesIn(task, classes),
    classes,
    counts: Int32Array.from(classes, (name) => counts[categories.indexOf(name)]),
  };
}

// Both statistics are invariant to a per-gene map v -> a v + b with a > 0 (t is a ratio of
// differences to their spread; ranks keep the order), so they can run on the z-scored input of
// fitInput and equal their values on the log1p-normalised data (up to float32 rounding).

/**
 * Welch's t of each class against the rest, per gene, over the cells with a label (code >= 0):
 * t = (m_c - m_r) / sqrt(v_c / n_c + v_r / n_r), variances with ddof 1, 0 where it is not finite
 * (zero denominator, a class of one cell). x is [cells x nGenes] row-major; returns
 * [nClasses x nGenes].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { welchT } from "./markers.ts";
 * // one gene, class 0 = {1, 2, 3}, class 1 = {5, 7}: t = (2 - 6) / sqrt(1/3 + 2/2)
 * const t = welchT(Float32Array.from([1, 5, 2, 7, 3]), 1, Int32Array.from([0, 1, 0, 1, 0]), 2);
 * assert.ok(Math.abs(t[0] + 4 / Math.sqrt(4 / 3)) < 1e-12);
 * assert.equal(t[1], -t[0]);
 * ```
 */
export function welchT(
  x: ArrayLike<number>,
  nGenes: number,
  codes: Int32Array,
  nClasses: number,
): Float64Array {
  const G = nGenes, C = nClasses;
  const n = new Float64Array(C), mean = new Float64Array(C * G), ss = new Float64Array(C * G);
  codes.forEach((c, i) => {
    if (c < 0) return;
    n[c]++;
    for (let g = 0, o = i * G, b = c * G; g < G; g++) mean[b + g] += x[o + g];
  });
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) mean[c * G + g] /= n[c];
  // squared deviations from the class mean (two passes: no cancellation)
  codes.forEach((c, i) => {
    if (c < 0) return;
    for (let g = 0, o = i * G, b = c * G; g < G; g++) {
      const d = x[o + g] - mean[b + g];
      ss[b + g] += d * d;
    }
  });
  const total = n.reduce((a, b) => a + b, 0);
  const out = new Float64Array(C * G);
  for (let g = 0; g < G; g++) {
    let sum = 0;
    for (let c = 0; c < C; c++) sum += n[c] * mean[c * G + g];
    for (let c = 0; c < C; c++) {
      const nr = total - n[c], mc = mean[c * G + g], mr = (sum - n[c] * mc) / nr;
      // the rest's squared deviations from its mean, from each other class's own
      let ssr = 0;
      for (let o = 0; o < C; o++) {
        if (o !== c && n[o] > 0) ssr += ss[o * G + g] + n[o] * (mean[o * G + g] - mr) ** 2;
      }
      const t = (mc - mr) / Math.sqrt(ss[c * G + g] / (n[c] - 1) / n[c] + ssr / (nr - 1) / nr);
      out[c * G + g] = Number.isFinite(t) ? t : 0;
    }
  }
  return out;
}

/**
 * Wilcoxon rank-sum z of each class against the rest, per gene, from average ranks over the
 * cells with a label: z = (R_c - n_c (n + 1) / 2) / sqrt(tc n_c n_r (n + 1) / 12), with tc = 1
 * (scanpy's default) or, with `tieCorrect`, 1 - sum(t^3 - t) / (n^3 - n) over tie groups; 0
 * where it is not finite. Ranks are computed once per gene for all classes. Returns
 * [nClasses x nGenes].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wilcoxonZ } from "./markers.ts";
 * // one gene, class 0 = {1, 2}, class 1 = {2, 3}: ranks 1, 2.5 | 2.5, 4; R_0 = 3.5
 * const z = wilcoxonZ(Float32Array.from([1, 2, 2, 3]), 1, Int32Array.from([0, 0, 1, 1]), 2);
 * assert.ok(Math.abs(z[0] - (3.5 - 5) / Math.sqrt(20 / 12)) < 1e-12);
 * ```
 */
export function wilcoxonZ(
  x: ArrayLike<number>,
  nGenes: number,
  codes: Int32Array,
  nClasses: number,
  tieCorrect = false,
): Float64Array {
  const G = nGenes, C = nClasses;
  const cells = Int32Array.from(codes.keys()).filter((i) => codes[i] >= 0);
  const cls = Int32Array.from(cells, (i) => codes[i]);
  const m = cells.length;
  const n = new Float64Array(C);
  for (const c of cls) n[c]++;
  const col = new Float64Array(m), rest = new Float64Array(m), avg = new Float64Array(m);
  const sums = new Float64Array(C), out = new Float64Array(C * G);
  for (let g = 0; g < G; g++) {
    let min = Infinity;
    for (let r = 0; r < m; r++) min = Math.min(min, col[r] = x[cells[r] * G + g]);
    // sparse-friendly: the cells at the minimum (zero counts) form one tie group of known
    // ranks, so only the others are sorted and searched
    let nRest = 0;
    for (let r = 0; r < m; r++) if (col[r] !== min) rest[nRest++] = col[r];
    const nMin = m - nRest, sorted = rest.subarray(0, nRest).sort();
    let ties = nMin ** 3 - nMin;
    // average 1-based rank of each run of equal values, stored at the run's first position
    for (let p = 0; p < nRest;) {
      let q = p + 1;
      while (q < nRest && sorted[q] === sorted[p]) q++;
      avg[p] = nMin + (p + q + 1) / 2;
      ties += (q - p) ** 3 - (q - p);
      p = q;
    }
    sums.fill(0);
    for (let r = 0; r < m; r++) {
      const v = col[r];
      sums[cls[r]] += v === min ? (nMin + 1) / 2 : avg[lowerBound(sorted, v)];
    }
    const tc = tieCorrect ? 1 - ties / (m ** 3 - m) : 1;
    for (let c = 0; c < C; c++) {
      const z = (sums[c] - n[c] * (m + 1) / 2) / Math.sqrt(tc * n[c] * (m - n[c]) * (m + 1) / 12);
      out[c * G + g] = Number.isFinite(z) ? z : 0;
    }
  }
  return out;
}

/** First index p of ascending `a` with a[p] >= v. */
function lowerBound(a: Float64Array, v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * k distinct genes by round-robin: turns alternate between tasks, each task's turns cycle
 * through its classes in the order given, and each turn adds the class's highest-statistic gene
 * not yet chosen (ties by gene index). `stats[task][class]` holds one statistic per gene; the
 * score of a gene is the statistic of the class that chose it. Needs k <= number of genes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roundRobin } from "./markers.ts";
 * const a = Float64Array.from([5, 4, 0, 0]), b = Float64Array.from([0, 0, 3, 9]);
 * const { genes, scores } = roundRobin([[a, b]], 3);
 * assert.equal(genes.join(), "0,3,1");
 * assert.equal(scores.join(), "5,9,4");
 * ```
 */
export function roundRobin(
  stats: Float64Array[][],
  k: number,
): { genes: number[]; scores: number[] } {
  const G = stats[0][0].length;
  const orders = stats.map((classes) =>
    classes.map((s) =>
      Int32Array.from({ length: G }, (_, j) => j).sort((a, b) => s[b] - s[a] || a - b)
    )
  );
  const next = stats.map((classes) => new Int32Array(classes.length));
  const turns = new Int32Array(stats.length);
  const chosen = new Uint8Array(G);
  const genes: number[] = [], scores: number[] = [];
  for (let s = 0; genes.length < k; s++) {
    const t = s % stats.length, c = turns[t]++ % stats[t].length;
    const order = orders[t][c];
    let p = next[t][c];
    while (chosen[order[p]]) p++;
    next[t][c] = p + 1;
    chosen[order[p]] = 1;
    genes.push(order[p]);
    scores.push(stats[t][c][order[p]]);
  }
  return { genes, scores };
}

/** The statistic of {@link markersSelector}. */
export type MarkerMethod = "t-test" | "wilcoxon";

/** Options of {@link markersSelector}; defaults in brackets. */
export interface MarkerOptions {
  /** Welch's t ["t-test"] or the Wilcoxon rank-sum z. */
  method?: MarkerMethod;
  /** Wilcoxon only: tie-corrected variance (scanpy `tie_correct`) [false]. */
  tieCorrect?: boolean;
}

/**
 * The marker selector: "markers" (Welch t, the default: scanpy's `rank_genes_groups`) or
 * "markers_wilcoxon". Every task's classes (sorted) take turns; a class of fewer than 2 cells is
 * skipped with a note (scanpy refuses it).
 */
export function markersSelector(markerOptions: MarkerOptions = {}): Selector {
  const method = markerOptions.method ?? "t-test";
  const tieCorrect = markerOptions.tieCorrect ?? false;
  if (method !== "t-test" && method !== "wilcoxon") {
    throw new OptionError(`unknown marker method '${method}'`, {
      field: "method",
      fix: "use t-test or wilcoxon",
    });
  }
  const name = method === "t-test" ? "markers" : "markers_wilcoxon";
  return panelSelector(name, "labels", (train, options) => {
    const started = performance.now();
    const labels = requireTasks(options, name).map((task) => classLabels(train, task));
    const { genes } = fitCandidates(train, options);
    checkPanelSize(options.k, genes.length);
    const { x } = fitInput(train, genes, options);
    const G = genes.length, notes: string[] = [];
    const stats = labels.map((l) => {
      const all = method === "t-test"
        ? welchT(x, G, l.codes, l.classes.length)
        : wilcoxonZ(x, G, l.codes, l.classes.length, tieCorrect);
      const small = l.classes.filter((_, c) => l.counts[c] < 2);
      if (small.length) {
        notes.push(`${l.task}: class(es) of one cell skipped: ${small.join(", ")}`);
      }
      if (small.length === l.classes.length) {
        throw new OptionError(`label '${l.task}' has no class of 2 or more cells`, {
          field: l.task,
          fix: "choose another label column",
        });
      }
      return l.classes.flatMap((_, c) => l.counts[c] < 2 ? [] : [all.subarray(c * G, (c + 1) * G)]);
    });
    const picked = roundRobin(stats, options.k);
    // a gene's candidate score: its best statistic over every task's classes
    const best = new Float64Array(G).fill(-Infinity);
    for (const stat of stats.flat()) {
      for (let j = 0; j < G; j++) best[j] = Math.max(best[j], stat[j]);
    }
    return Promise.resolve({
      method: name,
      k: options.k,
      genes: picked.genes.map((j) => genes[j]),
      scores: picked.scores,
      candidateScores: Object.fromEntries(genes.map((g, j) => [g, best[j]])),
      params: {
        method,
        ...(method === "wilcoxon" ? { tieCorrect } : {}),
        tasks: labels.map((l) => l.task),
        candidates: G,
        hvgFlavor: options.hvgFlavor ?? "seurat",
      },
      fitSeconds: (performance.now() - started) / 1000,
      notes,
    });
  });
}
