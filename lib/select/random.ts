/**
 * The random baseline (docs/methods.md §2.1): k candidate genes drawn uniformly without replacement
 * for a seed. Also holds the panel-size check every baseline selector shares.
 * @module
 */
import { Rng } from "../runtime/rng.ts";
import { fitCandidates } from "../data/transform.ts";
import { checkPanelSize, panelSelector, type Selector } from "./panel.ts";

/**
 * k distinct indices of [0, nCandidates), uniformly at random for the seed, in draw order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomPanel } from "./random.ts";
 * const a = randomPanel(100, 5, 1);
 * assert.equal(new Set(a).size, 5);
 * assert.equal(a.join(), randomPanel(100, 5, 1).join());
 * ```
 */
export function randomPanel(nCandidates: number, k: number, seed = 0): Int32Array {
  checkPanelSize(k, nCandidates);
  return new Rng(seed).fork("random panel").sampleWithoutReplacement(nCandidates, k);
}

/** Random panel among the candidates; scores are all 0 (the order is the draw order). */
export function randomSelector(): Selector {
  return panelSelector("random", "data", (train, options) => {
    const started = performance.now();
    const { genes } = fitCandidates(train, options);
    const seed = options.seed ?? 0;
    const picked = randomPanel(genes.length, options.k, seed);
    return Promise.resolve({
      method: "random",
      k: options.k,
      genes: Array.from(picked, (j) => genes[j]),
      scores: new Array(picked.length).fill(0),
      params: { candidates: genes.length, hvgFlavor: options.hvgFlavor ?? "seurat", seed },
      fitSeconds: (performance.now() - started) / 1000,
      notes: [],
    });
  });
}
