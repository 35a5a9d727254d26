/**
 * The result every selector returns: k genes in rank order with their scores, what made them,
 * and how long it took. The benchmark loops over selectors through this one shape.
 * @module
 */
import { quoteCsvField } from "../data/csv.ts";
import type { Dataset } from "../data/dataset.ts";
import { OptionError } from "../runtime/errors.ts";
import type { CandidateOptions } from "../data/transform.ts";

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
}

/**
 * Panel as CSV text: gene, rank (1 = best), score.
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
  const rows = panel.genes.map((g, i) => `${quoteCsvField(g)},${i + 1},${panel.scores[i]}`);
  return ["gene,rank,score", ...rows].join("\n") + "\n";
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

/**
 * A panel selector. `select` reads the training cells as raw counts (all genes, so library sizes
 * are true), chooses candidates on them (options.candidates; top 2000 seurat HVGs by default) and
 * returns exactly k candidate genes unless its Panel notes say otherwise.
 */
export interface Selector {
  /** Method name as in result tables ("random", "hvg", "l1", ...). */
  name: string;
  /** What it learns from: labels (needs `tasks`) or the expression alone. */
  needs: "labels" | "data";
  select(train: Dataset, options: SelectOptions): Promise<Panel>;
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
