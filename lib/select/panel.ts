/**
 * The result every selector returns: k genes in rank order with their scores, what made them,
 * and how long it took. The benchmark loops over selectors through this one shape.
 * @module
 */
import { quoteCsvField } from "../data/csv.ts";

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
 * const csv = panelToCsv({ method: "x", k: 1, genes: ["CD3E"], scores: [2.5], params: {}, fitSeconds: 0, notes: [] });
 * console.assert(csv === "gene,rank,score\nCD3E,1,2.5\n");
 * ```
 */
export function panelToCsv(panel: Panel): string {
  const rows = panel.genes.map((g, i) => `${quoteCsvField(g)},${i + 1},${panel.scores[i]}`);
  return ["gene,rank,score", ...rows].join("\n") + "\n";
}
