/**
 * Scoring a model's predictions against a dataset's own labels.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { TaskPrediction } from "../select/yoto/model.ts";
import { type ClassificationMetrics, classificationReport } from "./metrics.ts";
import { OptionError } from "../runtime/errors.ts";

/**
 * Metrics of a classification prediction against the obs column of the same name. Labels the
 * model never saw count as errors (an extra class no prediction can match); missing labels are
 * left out.
 *
 * @example
 * ```ts
 * import { Dataset } from "../data/dataset.ts";
 * const ds = Dataset.fromDense(new Float32Array(3), 3, 1, ["g"], {
 *   t: { kind: "categorical", codes: Int32Array.from([0, 1, 2]), categories: ["a", "b", "new"] },
 * });
 * const pred = { task: "t", kind: "classification" as const, classes: ["a", "b"], labels: ["a", "a", "b"] };
 * console.assert(scorePrediction(pred, ds).accuracy === 1 / 3);
 * ```
 */
export function scorePrediction(pred: TaskPrediction, ds: Dataset): ClassificationMetrics {
  if (pred.kind !== "classification") {
    throw new OptionError(`task '${pred.task}' is ${pred.kind}, not classification`, {
      field: pred.task,
    });
  }
  const unseen = pred.classes!.length;
  const yTrue = ds.codesIn(pred.task, pred.classes!, unseen);
  const index = new Map(pred.classes!.map((c, i) => [c, i]));
  const yPred = Int32Array.from(pred.labels!, (l) => index.get(l)!);
  return classificationReport(yTrue, yPred, unseen + 1, [...pred.classes!, "(unseen in training)"]);
}
