/**
 * YOTO as a {@link Selector}, for the benchmark protocol and panel calibration.
 * @module
 */
import type { Dataset } from "../../data/dataset.ts";
import type { Panel, SelectOptions, Selector } from "../panel.ts";
import type { YotoModel } from "./model.ts";
import { fitYoto, type YotoOptions } from "./train.ts";

/**
 * YOTO's score of every free candidate (the learned s), by gene.
 */
export function yotoCandidateScores(model: YotoModel): Record<string, number> {
  const genes = model.spec.transform.genes;
  return Object.fromEntries(Array.from(model.scores, (s, j) => [genes[j], s]));
}

/**
 * YOTO as a {@link Selector} ("yoto"): fitYoto with `defaults` under the select options, the
 * model disposed once its panel (with every candidate's score) is taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate, yotoSelector } from "yoto";
 * const { dataset } = simulate({ nCells: 200, nGenes: 60, seed: 1 });
 * const panel = await yotoSelector({ epochs: 2, hidden: [8] }).select(dataset, {
 *   k: 3, tasks: ["cell_type"], candidates: 40, quiet: true,
 * });
 * assert.equal(panel.genes.length, 3);
 * assert.equal(Object.keys(panel.candidateScores!).length, 40);
 * ```
 */
export function yotoSelector(defaults: Partial<YotoOptions> = {}): Selector {
  return {
    name: "yoto",
    needs: "labels",
    async select(train: Dataset, options: SelectOptions): Promise<Panel> {
      const model = await fitYoto(train, { ...defaults, ...options });
      try {
        return { ...model.panel, candidateScores: yotoCandidateScores(model) };
      } finally {
        model.dispose();
      }
    },
  };
}
