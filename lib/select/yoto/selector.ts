/**
 * YOTO as a {@link Selector}: its Fitted holds the trained model (predict, save, dispose).
 * @module
 */
import type { Dataset } from "../../data/dataset.ts";
import type { Fitted, SelectOptions, Selector } from "../panel.ts";
import type { YotoModel } from "./model.ts";
import { saveYoto } from "./save.ts";
import { fitYoto, type YotoOptions } from "./train.ts";

/**
 * YOTO's score of every free candidate (the learned s), by gene.
 */
export function yotoCandidateScores(model: YotoModel): Record<string, number> {
  const genes = model.spec.transform.genes;
  return Object.fromEntries(Array.from(model.scores, (s, j) => [genes[j], s]));
}

/**
 * A trained model as a {@link Fitted}: its panel with every candidate's score, its heads'
 * predictions, its training summary, saveYoto, and dispose (frees the network).
 */
export function yotoFitted(model: YotoModel): Fitted {
  const { history, bestEpoch, trainSeconds } = model.metrics;
  return {
    panel: { ...model.panel, candidateScores: yotoCandidateScores(model) },
    predict: (ds: Dataset) => model.predict(ds),
    training: history.length
      ? {
        epochs: history.length,
        bestEpoch,
        secondsPerEpoch: history.reduce((a, r) => a + r.seconds, 0) / history.length,
        seconds: trainSeconds,
        history,
      }
      : undefined,
    save: (dir: string, metrics: Record<string, unknown> = {}) => {
      Object.assign(model.metrics, metrics);
      return saveYoto(model, dir);
    },
    dispose: () => model.dispose(),
  };
}

/**
 * YOTO as a {@link Selector} ("yoto"): fitYoto with `defaults` under the select options.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate, yotoSelector } from "yoto";
 * const { dataset } = simulate({ nCells: 200, nGenes: 60, seed: 1 });
 * const fitted = await yotoSelector({ epochs: 2, hidden: [8] }).fit(dataset, {
 *   k: 3, tasks: ["cell_type"], candidates: 40, quiet: true,
 * });
 * assert.equal(fitted.panel.genes.length, 3);
 * assert.equal(Object.keys(fitted.panel.candidateScores!).length, 40);
 * assert.equal(fitted.predict!(dataset)[0].labels!.length, 200);
 * fitted.dispose();
 * ```
 */
export function yotoSelector(defaults: Partial<YotoOptions> = {}): Selector {
  return {
    name: "yoto",
    needs: "labels",
    async fit(train: Dataset, options: SelectOptions): Promise<Fitted> {
      return yotoFitted(await fitYoto(train, { ...defaults, ...options }));
    },
  };
}
