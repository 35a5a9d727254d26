/**
 * Classification metrics of cell-label predictions, following scikit-learn's conventions
 * (`confusion_matrix`, `accuracy_score`, `balanced_accuracy_score`, `f1_score` with
 * `zero_division=0`). Class labels are integer codes in `[0, nClasses)`; a negative true label
 * means "missing" and that cell is left out of every metric (its prediction is not looked at).
 * @module
 */
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";
import { checkSameLength } from "./_check.ts";

/** Precision, recall and F1 of one class. */
export interface ClassMetrics {
  /** The class name (`classNames[c]`, or the code as a string). */
  name: string;
  /** TP / (TP + FP); 0 when the class is never predicted (zero_division=0). */
  precision: number;
  /** TP / (TP + FN); 0 when the class has no true cells (zero_division=0). */
  recall: number;
  /** 2 TP / (2 TP + FP + FN); 0 when precision + recall is 0 (zero_division=0). */
  f1: number;
  /** Number of labelled cells whose true class is this one. */
  support: number;
}

/** Everything {@link classificationReport} computes. */
export interface ClassificationMetrics {
  /** Fraction of labelled cells predicted correctly. */
  accuracy: number;
  /** Mean recall over the classes present in yTrue (sklearn's balanced_accuracy_score). */
  balancedAccuracy: number;
  /** Mean F1 over the classes present in yTrue or yPred (sklearn's `labels=None`). */
  macroF1: number;
  /** Mean F1 weighted by support. */
  weightedF1: number;
  /** One entry per class `0 .. nClasses-1`, present or not. */
  perClass: ClassMetrics[];
  /** `confusion[t][p]`: labelled cells of true class t predicted as p. */
  confusion: Int32Array[];
  /** Number of labelled cells (yTrue >= 0) the metrics were computed on. */
  nEvaluated: number;
}

function checkClassCount(nClasses: number): void {
  if (!Number.isInteger(nClasses) || nClasses < 1) {
    throw new OptionError(`number of classes must be an integer >= 1, got ${nClasses}`, {
      field: "nClasses",
      fix: "pass the number of label categories",
    });
  }
}

function badLabel(field: "yTrue" | "yPred", i: number, v: number, nClasses: number): OptionError {
  const allowed = field === "yTrue"
    ? `an integer in [0, ${nClasses}) or negative for a missing label`
    : `an integer in [0, ${nClasses})`;
  return new OptionError(`${field}[${i}] = ${v} is not a class code`, {
    field,
    fix: `use ${allowed}, or raise nClasses`,
  });
}

/** The confusion matrix and the number of labelled cells, after validating every input. */
function countConfusion(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): { confusion: Int32Array[]; n: number } {
  checkClassCount(nClasses);
  checkSameLength(yTrue, yPred);
  const confusion = Array.from({ length: nClasses }, () => new Int32Array(nClasses));
  let n = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    if (t < 0) continue;
    if (!Number.isInteger(t) || t >= nClasses) throw badLabel("yTrue", i, t, nClasses);
    const p = yPred[i];
    if (!Number.isInteger(p) || p < 0 || p >= nClasses) throw badLabel("yPred", i, p, nClasses);
    confusion[t][p]++;
    n++;
  }
  return { confusion, n };
}

/**
 * Confusion matrix: `m[t][p]` counts cells of true class t predicted as class p. Cells whose
 * true label is negative (missing) are skipped; with none labelled the matrix is all zeros.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { confusionMatrix } from "yoto";
 * const m = confusionMatrix([0, 1, 1, -1], [0, 0, 1, 1], 2);
 * assert.equal(m[0][0], 1);
 * assert.equal(m[1][0], 1);
 * assert.equal(m[1][1], 1);
 * assert.equal(m[0][1], 0);
 * ```
 * @throws ShapeMismatchError when yTrue and yPred differ in length.
 * @throws OptionError when nClasses is not a positive integer or a label is not in [0, nClasses).
 */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): Int32Array[] {
  return countConfusion(yTrue, yPred, nClasses).confusion;
}

/** All classification metrics from a confusion matrix of `n > 0` cells. */
function metricsFromConfusion(
  confusion: Int32Array[],
  n: number,
  classNames: readonly string[] | undefined,
): ClassificationMetrics {
  const k = confusion.length;
  const predicted = new Float64Array(k);
  for (const row of confusion) for (let p = 0; p < k; p++) predicted[p] += row[p];
  const perClass: ClassMetrics[] = [];
  let correct = 0, recallSum = 0, nTrueClasses = 0, f1Sum = 0, nPresent = 0, weighted = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const fp = predicted[c] - tp, fn = support - tp;
    const precision = predicted[c] > 0 ? tp / predicted[c] : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = tp > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
    perClass.push({ name: classNames?.[c] ?? String(c), precision, recall, f1, support });
    correct += tp;
    weighted += f1 * support;
    if (support > 0) {
      recallSum += recall;
      nTrueClasses++;
    }
    if (support > 0 || predicted[c] > 0) {
      f1Sum += f1;
      nPresent++;
    }
  }
  return {
    accuracy: correct / n,
    balancedAccuracy: recallSum / nTrueClasses,
    macroF1: f1Sum / nPresent,
    weightedF1: weighted / n,
    perClass,
    confusion,
    nEvaluated: n,
  };
}

function evaluate(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
  classNames?: readonly string[],
): ClassificationMetrics {
  if (classNames !== undefined && classNames.length !== nClasses) {
    throw new ShapeMismatchError(
      `${classNames.length} class names for ${nClasses} classes`,
      { field: "classNames", fix: "pass one name per class code, or leave classNames out" },
    );
  }
  const { confusion, n } = countConfusion(yTrue, yPred, nClasses);
  if (n === 0) {
    throw new OptionError(`no labelled cells among ${yTrue.length} to evaluate`, {
      field: "yTrue",
      fix: "evaluate on cells with a known label (yTrue >= 0)",
    });
  }
  return metricsFromConfusion(confusion, n, classNames);
}

/**
 * Accuracy, balanced accuracy, macro / weighted F1 and per-class precision, recall, F1 and
 * support, with scikit-learn's conventions: macro-F1 averages over the classes present in the
 * union of true and predicted labels (sklearn's `f1_score(average="macro", labels=None)`), so a
 * class in neither does not count; a class with precision + recall = 0 has F1 0
 * (`zero_division=0`); balanced accuracy is the mean recall over the classes present in yTrue
 * (sklearn's `balanced_accuracy_score`); weighted F1 is weighted by support. Cells with a
 * negative true label (missing) are excluded from everything.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classificationReport } from "yoto";
 * const r = classificationReport([0, 0, 1, 1, -1], [0, 1, 1, 1, 0], 3, ["B", "T", "NK"]);
 * assert.equal(r.nEvaluated, 4);
 * assert.equal(r.accuracy, 0.75);
 * assert.equal(r.perClass[1].name, "T");
 * assert.equal(r.perClass[1].precision, 2 / 3);
 * assert.ok(Math.abs(r.macroF1 - (2 / 3 + 0.8) / 2) < 1e-12); // class 2 is absent
 * ```
 * @throws ShapeMismatchError when the lengths of yTrue, yPred (or classNames vs nClasses) differ.
 * @throws OptionError when a label is not in [0, nClasses) or no cell has a label.
 */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
  classNames?: string[],
): ClassificationMetrics {
  return evaluate(yTrue, yPred, nClasses, classNames);
}

/**
 * Macro-averaged F1 alone, exactly as {@link classificationReport}'s `macroF1`: the mean F1 over
 * the classes present in yTrue or yPred (sklearn's `labels=None`), zero_division=0, cells with a
 * negative true label excluded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { macroF1 } from "yoto";
 * assert.equal(macroF1([0, 1, 1, -1], [0, 1, 0, 2], 3), (2 / 3 + 2 / 3) / 2);
 * ```
 * @throws ShapeMismatchError when yTrue and yPred differ in length.
 * @throws OptionError when a label is not in [0, nClasses) or no cell has a label.
 */
export function macroF1(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): number {
  return evaluate(yTrue, yPred, nClasses).macroF1;
}

/**
 * Index of the largest entry in each row of a row-major `nRows × nCols` matrix (e.g. class
 * probabilities); ties go to the lowest index.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { argmaxRows } from "./classification.ts";
 * const probs = new Float32Array([0.1, 0.7, 0.2, 0.4, 0.2, 0.4]);
 * assert.equal(argmaxRows(probs, 2, 3).join(), "1,0");
 * ```
 * @throws OptionError when nRows or nCols is not a valid size.
 * @throws ShapeMismatchError when probs does not hold nRows × nCols values.
 * @throws DataValueError when an entry is NaN.
 */
export function argmaxRows(probs: Float32Array, nRows: number, nCols: number): Int32Array {
  if (!Number.isInteger(nRows) || nRows < 0) {
    throw new OptionError(`number of rows must be an integer >= 0, got ${nRows}`, {
      field: "nRows",
      fix: "pass the number of cells",
    });
  }
  if (!Number.isInteger(nCols) || nCols < 1) {
    throw new OptionError(`number of columns must be an integer >= 1, got ${nCols}`, {
      field: "nCols",
      fix: "pass the number of classes",
    });
  }
  if (probs.length !== nRows * nCols) {
    throw new ShapeMismatchError(
      `probs has ${probs.length} values, not ${nRows} × ${nCols} = ${nRows * nCols}`,
      { field: "probs", fix: "pass a row-major matrix with one row per cell" },
    );
  }
  const out = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const base = r * nCols;
    let best = 0, bestValue = -Infinity;
    for (let c = 0; c < nCols; c++) {
      const v = probs[base + c];
      if (Number.isNaN(v)) {
        throw new DataValueError(`probs[${r}, ${c}] is NaN`, {
          field: "probs",
          fix: "check the model's output for NaN",
        });
      }
      if (v > bestValue || c === 0) {
        best = c;
        bestValue = v;
      }
    }
    out[r] = best;
  }
  return out;
}
