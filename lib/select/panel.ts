/**
 * The one interface of every panel method, YOTO included: a {@link Selector} fits on training
 * cells and returns a {@link Fitted}: the panel (k genes in rank order with their scores, what
 * made them, how long it took), and, for methods that train a predictor, its predictions. The
 * benchmark, the saturation and label-free studies and panel calibration loop over selectors
 * through this one shape.
 * @module
 */
import { quoteCsvField } from "../data/csv.ts";
import type { Dataset } from "../data/dataset.ts";
import type { PanelSummary } from "../data/expression.ts";
import { OptionError } from "../runtime/errors.ts";
import { type CandidateOptions, fitCandidates } from "../data/transform.ts";
import {
  type ConstraintReport,
  hasPoolConstraints,
  withoutConstraints,
} from "../data/constraints.ts";

/** A gene panel. */
export interface Panel {
  /** Selector name ("yoto", "hvg", ...). */
  method: string;
  /** Panel size asked for. */
  k: number;
  /** Genes, best first. */
  genes: string[];
  /** The selector's score per panel gene (same order as `genes`). */
  scores: number[];
  /**
   * The selector's score of every candidate, by gene (higher = more likely picked), from selectors
   * that rank them all (HVG, markers, L1, YOTO via yotoSelector); null-twin calibration uses it.
   */
  candidateScores?: Record<string, number>;
  /** Settings the selector ran with (JSON). */
  params: Record<string, unknown>;
  /** Wall-clock seconds of the selection. */
  fitSeconds: number;
  /** Anything a user should know (fewer than k genes, ties, forced genes, ...). */
  notes: string[];
  /** What the candidate constraints removed, when any were given. */
  constraints?: ConstraintReport;
  /** Each gene's expression on the training cells (panelSummary), when the selector kept it. */
  summary?: PanelSummary;
}

/** A panel's table: a header and one row of text fields per gene. */
export interface PanelTable {
  header: string[];
  rows: string[][];
}

/** Six significant digits, without trailing zeros; empty for null. */
function statField(v: number | null): string {
  return v === null ? "" : String(Number(v.toPrecision(6)));
}

/**
 * The table that panel.csv holds and `yoto panel` prints: gene, rank (1 = best), score, and with
 * a {@link Panel.summary} top_group, log2fc_top (empty without a label), mean_count and
 * frac_detected (the training cells' raw counts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { panelTable } from "./panel.ts";
 * const panel = { method: "x", k: 1, genes: ["CD3E"], scores: [2.5], params: {}, fitSeconds: 0, notes: [] };
 * assert.deepEqual(panelTable(panel).rows, [["CD3E", "1", "2.5"]]);
 * const summary = { label: null, genes: [{ gene: "CD3E", topGroup: null, log2fcTop: null, meanCount: 1 / 3, fracDetected: 0.25 }] };
 * assert.deepEqual(panelTable({ ...panel, summary }).rows[0], ["CD3E", "1", "2.5", "", "", "0.333333", "0.25"]);
 * ```
 */
export function panelTable(panel: Panel): PanelTable {
  const header = ["gene", "rank", "score"];
  const stats = panel.summary?.genes;
  if (stats) header.push("top_group", "log2fc_top", "mean_count", "frac_detected");
  const rows = panel.genes.map((g, i) => {
    const row = [g, String(i + 1), String(panel.scores[i])];
    const s = stats?.[i];
    if (s) {
      row.push(s.topGroup ?? "", statField(s.log2fcTop), statField(s.meanCount));
      row.push(statField(s.fracDetected));
    }
    return row;
  });
  return { header, rows };
}

/**
 * Panel as CSV text: the columns of {@link panelTable}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { panelToCsv } from "yoto";
 * const csv = panelToCsv({ method: "x", k: 1, genes: ["CD3E"], scores: [2.5], params: {}, fitSeconds: 0, notes: [] });
 * assert.equal(csv, "gene,rank,score\nCD3E,1,2.5\n");
 * ```
 */
export function panelToCsv(panel: Panel): string {
  const { header, rows } = panelTable(panel);
  return [header, ...rows].map((r) => r.map((f) => quoteCsvField(f)).join(",")).join("\n") + "\n";
}

/** What every selector is given besides the training cells; defaults in brackets. */
export interface SelectOptions extends CandidateOptions {
  /** Panel size. */
  k: number;
  /** Label columns (obs) of the tasks; the first is the primary one [none]. */
  tasks?: string[];
  seed?: number;
  /** Validation cells for methods that stop early [an internal split of train]. */
  validation?: Dataset;
  quiet?: boolean;
}

/** Predictions for one task. */
export interface TaskPrediction {
  task: string;
  kind: "classification" | "regression" | "reconstruction";
  /** Classification: predicted label per cell. */
  labels?: string[];
  /** Classification: class labels, the columns of `probabilities`. */
  classes?: string[];
  /** Classification: [nCells x nClasses] row-major probabilities. */
  probabilities?: Float32Array;
  /**
   * Regression: prediction per cell (original units). Reconstruction: [nCells x G] values over
   * the candidates, log1p(counts scaled to the target sum) for a Poisson head, z-scores for MSE.
   */
  values?: Float32Array;
}

/** One line of a training history (YOTO's, per epoch). */
export interface EpochRecord {
  epoch: number;
  steps: number;
  tau: number;
  /** Mean training loss per task. */
  loss: Record<string, number>;
  /** Validation macro-F1 per classification task, loss per other task. */
  val: Record<string, number>;
  /** The early-stopping metric (mean validation macro-F1, or minus the validation loss). */
  monitor: number;
  /** Sum over tasks of the validation loss (cross-entropy, MSE, Poisson deviance): breaks ties. */
  valLoss: number;
  /** Noiseless soft-mask mass on the current hard top-k, divided by k. */
  maskMass: number;
  /** Wall-clock seconds of the epoch, validation included. */
  seconds: number;
  /** Seconds of the epoch's optimiser steps alone (what `deno task bench step` divides by steps). */
  stepSeconds?: number;
}

/** How a method trained in epochs went (timing tables, training curves). */
export interface TrainingSummary {
  /** Epochs run. */
  epochs: number;
  /** The epoch whose weights were kept. */
  bestEpoch: number;
  /** Mean wall-clock seconds per epoch. */
  secondsPerEpoch: number;
  /** Wall-clock seconds of the training loop. */
  seconds: number;
  /** One record per epoch. */
  history: EpochRecord[];
}

/**
 * What {@link Selector.fit} returns: the panel, and for methods that train a predictor (YOTO)
 * its predictions, training summary and saving. `dispose` frees what the fit holds (tensors);
 * call it once done, also when only the panel was wanted.
 */
export interface Fitted {
  panel: Panel;
  /** Predict every task the method learned for the cells of `ds` (its own heads). */
  predict?(ds: Dataset): TaskPrediction[];
  training?: TrainingSummary;
  /** Write the fitted model to a folder, with `metrics` added to what it records (test scores). */
  save?(dir: string, metrics?: Record<string, unknown>): Promise<void>;
  dispose(): void;
}

/**
 * A panel selector. `fit` reads the training cells as raw counts (all genes, so library sizes
 * are true), chooses candidates on them (options.candidates; top 2000 seurat HVGs by default) and
 * returns exactly k candidate genes unless its Panel notes say otherwise.
 */
export interface Selector {
  /** Method name as in result tables ("random", "hvg", "l1", ...). */
  name: string;
  /** What it learns from: labels (needs `tasks`) or the expression alone. */
  needs: "labels" | "data";
  fit(train: Dataset, options: SelectOptions): Promise<Fitted>;
}

/**
 * A {@link Selector} from a function that selects a panel and keeps nothing else (every baseline):
 * its Fitted holds the panel alone. With candidate constraints, the candidates are chosen here
 * once: `select` gets them as an explicit list without the forced genes and k less their number,
 * and the forced genes rank first (score Infinity), so every baseline honours them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "../data/simulate.ts";
 * const one = panelSelector("first", "data", (train, o) =>
 *   Promise.resolve({ method: "first", k: o.k, genes: train.genes.slice(0, o.k),
 *     scores: new Array(o.k).fill(0), params: {}, fitSeconds: 0, notes: [] }));
 * const fitted = await one.fit(simulate({ nCells: 60, nGenes: 80, seed: 1 }).dataset, { k: 2 });
 * assert.equal(fitted.panel.genes.length, 2);
 * assert.equal(fitted.predict, undefined);
 * ```
 */
export function panelSelector(
  name: string,
  needs: Selector["needs"],
  select: (train: Dataset, options: SelectOptions) => Promise<Panel>,
): Selector {
  return {
    name,
    needs,
    fit: async (train, options) => ({
      panel:
        await (options.forceInclude?.length || hasPoolConstraints(options)
          ? selectConstrained(train, options, select)
          : select(train, options)),
      dispose() {},
    }),
  };
}

async function selectConstrained(
  train: Dataset,
  options: SelectOptions,
  select: (train: Dataset, options: SelectOptions) => Promise<Panel>,
): Promise<Panel> {
  const forced = [...new Set(options.forceInclude ?? [])];
  if (options.k < forced.length) {
    throw new OptionError(`k = ${options.k} is smaller than the ${forced.length} forced genes`, {
      field: "k",
      fix: "raise --k or force fewer genes",
    });
  }
  const { genes, report } = fitCandidates(train, options);
  const forcedSet = new Set(forced);
  const free = genes.filter((g) => !forcedSet.has(g));
  const kFree = options.k - forced.length;
  const rest = kFree > 0
    ? await select(train, { ...withoutConstraints(options), k: kFree, candidates: free })
    : null;
  return {
    method: rest?.method ?? "forced",
    ...rest,
    k: options.k,
    genes: [...forced, ...(rest?.genes ?? [])],
    scores: [...forced.map(() => Infinity), ...(rest?.scores ?? [])],
    params: { ...rest?.params, forced: forced.length },
    fitSeconds: rest?.fitSeconds ?? 0,
    notes: [
      ...(forced.length ? [`${forced.length} forced gene(s) rank first (score Infinity)`] : []),
      ...(rest?.notes ?? []),
    ],
    ...(report ? { constraints: report } : {}),
  };
}

/**
 * Fit `selector` and keep only its panel (the fit is disposed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "../data/simulate.ts";
 * import { randomSelector } from "./random.ts";
 * const { dataset } = simulate({ nCells: 60, nGenes: 80, seed: 1 });
 * const panel = await selectPanel(randomSelector(), dataset, { k: 3, candidates: 20 });
 * assert.equal(panel.genes.length, 3);
 * ```
 */
export async function selectPanel(
  selector: Selector,
  train: Dataset,
  options: SelectOptions,
): Promise<Panel> {
  const fitted = await selector.fit(train, options);
  try {
    return fitted.panel;
  } finally {
    fitted.dispose();
  }
}

/**
 * OptionError unless k is an integer with 0 < k < nCandidates (a panel of every candidate
 * selects nothing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OptionError } from "yoto";
 * import { checkPanelSize } from "./panel.ts";
 * checkPanelSize(16, 2000);
 * assert.throws(() => checkPanelSize(20, 20), OptionError);
 * ```
 */
export function checkPanelSize(k: number, nCandidates: number): void {
  if (!Number.isInteger(k) || k <= 0) {
    throw new OptionError(`k must be a positive integer, got ${k}`, {
      field: "k",
      fix: "pass e.g. k: 16",
    });
  }
  if (k >= nCandidates) {
    throw new OptionError(`k = ${k} leaves nothing to choose: only ${nCandidates} candidates`, {
      field: "k",
      fix: `pick k below ${nCandidates}, or add candidates`,
    });
  }
}

/**
 * The task names of `options`; OptionError when a selector that learns from labels has none.
 */
export function requireTasks(options: SelectOptions, method: string): string[] {
  if (!options.tasks?.length) {
    throw new OptionError(`${method} learns from labels, but no task was given`, {
      field: "tasks",
      fix: "pass tasks: ['cell_type'] (the label column(s) to select for)",
    });
  }
  return options.tasks;
}
