/**
 * Stability of gene panels across runs (seeds, splits): per-gene selection frequency and the
 * mean pairwise Jaccard index.
 * @module
 */
import { OptionError } from "../runtime/errors.ts";

/** How often a gene was selected across runs. */
export interface GeneFrequency {
  gene: string;
  /** Runs whose panel holds the gene. */
  count: number;
  /** count / runs. */
  frequency: number;
}

/**
 * Selection frequency of every gene over panels (one per run, e.g. per seed): most frequent first,
 * ties by name. A gene listed twice in one panel counts once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectionFrequency } from "yoto";
 * const f = selectionFrequency([["A", "B"], ["B", "C"]]);
 * assert.equal(f[0].gene, "B");
 * assert.equal(f[0].frequency, 1);
 * assert.equal(f[1].gene, "A");
 * assert.equal(f[1].count, 1);
 * ```
 */
export function selectionFrequency(panels: string[][]): GeneFrequency[] {
  if (panels.length === 0) {
    throw new OptionError("no panels to count", { field: "panels", fix: "pass one per run" });
  }
  const counts = new Map<string, number>();
  for (const panel of panels) {
    for (const gene of new Set(panel)) counts.set(gene, (counts.get(gene) ?? 0) + 1);
  }
  return [...counts].map(([gene, count]) => ({ gene, count, frequency: count / panels.length }))
    .sort((a, b) => b.count - a.count || (a.gene < b.gene ? -1 : a.gene > b.gene ? 1 : 0));
}

/**
 * Mean Jaccard index |A ∩ B| / |A ∪ B| over all pairs of panels (1 = every run chose the same
 * genes). Two empty panels count as identical. OptionError with fewer than two panels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { meanJaccard } from "yoto";
 * // pairs: {A,B}/{B,C} 1/3, {A,B}/{A,B} 1, {B,C}/{A,B} 1/3
 * assert.ok(Math.abs(meanJaccard([["A", "B"], ["B", "C"], ["A", "B"]]) - 5 / 9) < 1e-12);
 * ```
 */
export function meanJaccard(panels: string[][]): number {
  if (panels.length < 2) {
    throw new OptionError(`a Jaccard index needs two panels or more, got ${panels.length}`, {
      field: "panels",
      fix: "pass the panels of two runs or more",
    });
  }
  const sets = panels.map((p) => new Set(p));
  let sum = 0, pairs = 0;
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      let both = 0;
      for (const g of sets[i]) if (sets[j].has(g)) both++;
      const union = sets[i].size + sets[j].size - both;
      sum += union === 0 ? 1 : both / union;
      pairs++;
    }
  }
  return sum / pairs;
}
