/**
 * Scoring a model's predictions against a dataset's own labels.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { TaskPrediction } from "../select/panel.ts";
import { type ClassificationMetrics, classificationReport } from "../metrics/classification.ts";
import { type RegressionMetrics, regressionReport } from "../metrics/regression.ts";
import { OptionError } from "../runtime/errors.ts";

/**
 * Metrics of a classification prediction against the obs column of the same name. Labels the
 * model never saw count as errors (an extra class no prediction can match); missing labels are
 * left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, scorePrediction } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array(3), 3, 1, ["g"], {
 *   t: { kind: "categorical", codes: Int32Array.from([0, 1, 2]), categories: ["a", "b", "new"] },
 * });
 * const pred = { task: "t", kind: "classification" as const, classes: ["a", "b"], labels: ["a", "a", "b"] };
 * assert.equal(scorePrediction(pred, ds).accuracy, 1 / 3);
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
  return classificationReport(yTrue, yPred, unseen + 1, [...pred.classes!, UNSEEN_CLASS]);
}

/**
 * Metrics of a regression prediction against the numeric obs column of the same name; cells
 * whose value is missing (NaN) are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * import { scoreRegression } from "./score.ts";
 * const ds = Dataset.fromDense(new Float32Array(3), 3, 1, ["g"], {
 *   y: { kind: "numeric", values: Float64Array.of(1, 2, NaN) },
 * });
 * const pred = { task: "y", kind: "regression" as const, values: Float32Array.of(1, 2, 9) };
 * assert.equal(scoreRegression(pred, ds).n, 2);
 * ```
 */
export function scoreRegression(pred: TaskPrediction, ds: Dataset): RegressionMetrics {
  const column = ds.obs(pred.task);
  if (pred.kind !== "regression" || column.kind !== "numeric") {
    throw new OptionError(`task '${pred.task}' is not a regression on a numeric column`, {
      field: pred.task,
    });
  }
  return regressionReport(column.values, pred.values!);
}

/** The extra class {@link scorePrediction} adds for test labels the model never saw. */
export const UNSEEN_CLASS = "(unseen in training)";

/**
 * A {@link scorePrediction} result's confusion matrix and class names, ready for
 * `confusionMatrixSpec`: the {@link UNSEEN_CLASS} row and column are dropped when no test cell
 * carries such a label (the usual case), kept otherwise so those errors stay visible.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classificationReport, predictionConfusion } from "yoto";
 * import { UNSEEN_CLASS } from "./score.ts";
 * const m = classificationReport(Int32Array.of(0, 1), Int32Array.of(0, 0), 3, ["a", "b", UNSEEN_CLASS]);
 * const { confusion, classes } = predictionConfusion(m);
 * assert.equal(classes.join(), "a,b");
 * assert.equal(confusion[1][0], 1);
 * ```
 */
export function predictionConfusion(
  metrics: ClassificationMetrics,
): { confusion: Int32Array[]; classes: string[] } {
  const classes = metrics.perClass.map((c) => c.name);
  const last = metrics.perClass.at(-1);
  if (last?.name !== UNSEEN_CLASS || last.support > 0) {
    return { confusion: metrics.confusion, classes };
  }
  const k = classes.length - 1;
  return {
    confusion: metrics.confusion.slice(0, k).map((row) => row.slice(0, k)),
    classes: classes.slice(0, k),
  };
}
