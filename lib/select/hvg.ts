/**
 * Highly-variable-gene baselines (docs/methods.md §2.2): the top-k candidates by a scanpy flavour's
 * ranking, computed on train (`seurat_v3` on raw counts, `seurat` / `cell_ranger` on log1p
 * counts normalised to the train median, as fitPreprocess does).
 * @module
 */
import type { HvgFlavor, HvgResult } from "../data/hvg.ts";
import { fitCandidates, hvgRanking } from "../data/transform.ts";
import { checkPanelSize, panelSelector, type Selector } from "./panel.ts";

/** The value a flavour ranks by (NaN = unranked). */
function rankValues(result: HvgResult): Float64Array {
  return result.flavor === "seurat_v3" ? result.variancesNorm : result.dispersionsNorm;
}

/**
 * The first k `candidates` in the ranking's order, with their ranking values, and how many
 * further candidates tie the k-th value (they are left out).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { highlyVariableGenes, simulate } from "yoto";
 * import { topCandidates } from "./hvg.ts";
 * const { dataset } = simulate({ nCells: 100, nGenes: 60, seed: 1 });
 * const result = highlyVariableGenes(dataset, { flavor: "seurat_v3", nTopGenes: 5 });
 * const candidates = dataset.genes.slice(0, 30);
 * const top = topCandidates(result, dataset.genes, candidates, 4);
 * assert.equal(top.genes.length, 4);
 * assert.ok(top.genes.every((g) => candidates.includes(g)));
 * ```
 */
export function topCandidates(
  result: HvgResult,
  genes: string[],
  candidates: string[],
  k: number,
): { genes: string[]; scores: number[]; ties: number } {
  const allowed = new Set(candidates);
  const values = rankValues(result);
  const ranked = Array.from(result.order).filter((j) => allowed.has(genes[j]));
  const cut = values[ranked[k - 1]];
  let ties = 0;
  const same = (v: number) => v === cut || (Number.isNaN(v) && Number.isNaN(cut));
  for (let r = k; r < ranked.length && same(values[ranked[r]]); r++) ties++;
  const top = ranked.slice(0, k);
  return { genes: top.map((j) => genes[j]), scores: top.map((j) => values[j]), ties };
}

/**
 * The HVG selector of a flavour: "hvg" (seurat), "hvg_cell_ranger", "hvg_seurat_v3". Scores are
 * the normalised dispersions (seurat, cell_ranger) or normalised variances (seurat_v3).
 */
export function hvgSelector(flavor: HvgFlavor = "seurat"): Selector {
  const name = flavor === "seurat" ? "hvg" : `hvg_${flavor}`;
  return panelSelector(name, "data", (train, options) => {
    const started = performance.now();
    const { genes: candidates, targetSum } = fitCandidates(train, options);
    checkPanelSize(options.k, candidates.length);
    const result = hvgRanking(train, flavor, targetSum);
    const top = topCandidates(result, train.genes, candidates, options.k);
    const values = rankValues(result), columns = train.geneIndices(candidates);
    const notes = [...result.notes];
    if (top.ties) {
      notes.push(
        `${top.ties} more candidate(s) tie the k-th gene's value ${top.scores.at(-1)}; ` +
          "kept exactly k, ties broken by gene order (scanpy keeps them all)",
      );
    }
    return Promise.resolve({
      method: name,
      k: options.k,
      genes: top.genes,
      scores: top.scores,
      candidateScores: Object.fromEntries(candidates.map((g, c) => [g, values[columns[c]]])),
      params: {
        flavor,
        candidates: candidates.length,
        hvgFlavor: options.hvgFlavor ?? "seurat",
      },
      fitSeconds: (performance.now() - started) / 1000,
      notes,
    });
  });
}
