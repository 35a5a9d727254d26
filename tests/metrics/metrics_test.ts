import { assertClose, assertEquals, assertThrows } from "../_assert.ts";
import {
  argmaxRows,
  classificationReport,
  confusionMatrix,
  macroF1,
} from "../../lib/metrics/classification.ts";
import { adjustedRandIndex } from "../../lib/metrics/clustering.ts";
import { regressionReport } from "../../lib/metrics/regression.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";

const TOL = 1e-12;

const rows = (m: Int32Array[]): number[][] => m.map((r) => Array.from(r));

// Hand example, 4 classes, 10 cells: truth uses {0, 1}, predictions use {0, 2}: class 1 is never
// predicted, class 2 is predicted but absent from the truth, class 3 is in neither. Cells 7 and
// 9 have no label (-1); their predictions (1 and 2) must be ignored, or class 1 would count as
// predicted.
const HAND_T = [0, 0, 0, 0, 1, 1, 1, -1, 0, -1];
const HAND_P = [0, 0, 2, 0, 0, 2, 0, 1, 0, 2];

Deno.test("confusionMatrix: rows are truth, columns predictions, missing labels skipped", () => {
  assertEquals(rows(confusionMatrix(HAND_T, HAND_P, 4)), [
    [4, 0, 1, 0],
    [2, 0, 1, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  assertEquals(confusionMatrix(new Int32Array([1, 0]), new Float64Array([0, 0]), 2)[1][0], 1);
  // Nothing labelled: an all-zero matrix (only the report needs labelled cells).
  assertEquals(rows(confusionMatrix([-1, -1], [0, 1], 2)), [[0, 0], [0, 0]]);
  assertEquals(rows(confusionMatrix([], [], 1)), [[0]]);
});

Deno.test("classificationReport: hand-computed example", () => {
  const r = classificationReport(HAND_T, HAND_P, 4, ["a", "b", "c", "d"]);
  assertEquals(r.nEvaluated, 8);
  assertEquals(r.accuracy, 0.5); // 4 of 8 labelled cells
  // Recall over classes in the truth only: (4/5 + 0/3) / 2; classes 2 and 3 do not count.
  assertClose(r.balancedAccuracy, 0.4, TOL);
  // Class 0: TP 4, FP 2, FN 1 -> P 2/3, R 4/5, F1 8/11. Classes 1 and 2 have F1 0.
  // Macro over the union {0, 1, 2} (not over all 4 classes): (8/11 + 0 + 0) / 3.
  assertClose(r.macroF1, 8 / 33, TOL);
  assertClose(r.weightedF1, (5 * 8 / 11) / 8, TOL);
  assertEquals(r.perClass.map((c) => c.name), ["a", "b", "c", "d"]);
  assertEquals(r.perClass.map((c) => c.support), [5, 3, 0, 0]);
  assertClose(r.perClass[0].precision, 2 / 3, TOL);
  assertClose(r.perClass[0].recall, 4 / 5, TOL);
  assertClose(r.perClass[0].f1, 8 / 11, TOL);
  // Never predicted, absent from truth, in neither: all zero (zero_division=0), not NaN.
  for (const c of r.perClass.slice(1)) {
    assertEquals([c.precision, c.recall, c.f1], [0, 0, 0]);
  }
  assertEquals(rows(r.confusion), rows(confusionMatrix(HAND_T, HAND_P, 4)));
  // Default names are the codes.
  assertEquals(classificationReport(HAND_T, HAND_P, 4).perClass.map((c) => c.name), [
    "0",
    "1",
    "2",
    "3",
  ]);
});

// Reference values from scikit-learn 1.2.1 (Debian python3-sklearn) on the labelled cells:
// accuracy_score, balanced_accuracy_score, f1_score(average="macro"/"weighted",
// zero_division=0), precision_recall_fscore_support(labels=range(k), zero_division=0).
Deno.test("classificationReport matches sklearn: 3 classes, 20 cells, 3 unlabelled", () => {
  const t = [2, 0, 1, 1, -1, 2, 0, 0, 1, 2, 2, -1, 0, 1, 2, 1, 0, 2, -1, 1];
  const p = [2, 0, 1, 0, 1, 1, 0, 2, 1, 2, 0, 0, 0, 1, 2, 2, 1, 2, 2, 1];
  const r = classificationReport(t, p, 3);
  assertEquals(r.nEvaluated, 17);
  assertClose(r.accuracy, 0.6470588235294118, TOL);
  assertClose(r.balancedAccuracy, 0.6444444444444444, TOL);
  assertClose(r.macroF1, 0.6444444444444444, TOL);
  assertClose(r.weightedF1, 0.6470588235294118, TOL);
  const expected = {
    precision: [0.6, 0.6666666666666666, 0.6666666666666666],
    recall: [0.6, 0.6666666666666666, 0.6666666666666666],
    f1: [0.6, 0.6666666666666666, 0.6666666666666666],
  };
  for (const key of ["precision", "recall", "f1"] as const) {
    r.perClass.forEach((c, i) => assertClose(c[key], expected[key][i], TOL, `${key}[${i}]`));
  }
  assertEquals(r.perClass.map((c) => c.support), [5, 6, 6]);
  assertEquals(rows(r.confusion), [[3, 1, 1], [1, 4, 1], [1, 1, 4]]);
});

Deno.test("classificationReport matches sklearn: predicted-only class and unused class", () => {
  // nClasses 6: class 4 is only predicted, class 5 is in neither. sklearn's macro-F1 averages
  // over the 5 classes {0..4}; over all 6 it would be 0.4266, over the 4 true ones 0.6399.
  const t = [0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, -1, 0, 2, 1];
  const p = [0, 1, 1, 1, 4, 2, 2, 0, 4, 0, 3, 2, 0, 2, 4];
  const r = classificationReport(t, p, 6);
  assertEquals(r.nEvaluated, 14);
  assertClose(r.accuracy, 0.5714285714285714, TOL);
  assertClose(r.balancedAccuracy, 0.5666666666666667, TOL);
  assertClose(r.macroF1, 0.5119047619047619, TOL);
  assertClose(r.weightedF1, 0.6488095238095238, TOL);
  const expected = {
    precision: [0.5, 0.6666666666666666, 1.0, 1.0, 0, 0],
    recall: [0.6666666666666666, 0.5, 0.6, 0.5, 0, 0],
    f1: [0.5714285714285715, 0.5714285714285715, 0.7499999999999999, 0.6666666666666666, 0, 0],
  };
  for (const key of ["precision", "recall", "f1"] as const) {
    r.perClass.forEach((c, i) => assertClose(c[key], expected[key][i], TOL, `${key}[${i}]`));
  }
  assertEquals(r.perClass.map((c) => c.support), [3, 4, 5, 2, 0, 0]);
  assertEquals(rows(r.confusion), [
    [2, 1, 0, 0, 0, 0],
    [0, 2, 0, 0, 2, 0],
    [1, 0, 3, 0, 1, 0],
    [1, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0],
  ]);
  assertEquals(macroF1(t, p, 6), r.macroF1);
});

Deno.test("macroF1 equals the report's macro-F1", () => {
  assertClose(macroF1(HAND_T, HAND_P, 4), 8 / 33, TOL);
  assertEquals(macroF1(HAND_T, HAND_P, 4), classificationReport(HAND_T, HAND_P, 4).macroF1);
  // Extra unused classes do not change it.
  assertEquals(macroF1(HAND_T, HAND_P, 9), macroF1(HAND_T, HAND_P, 4));
});

Deno.test("perfect predictions score 1 everywhere", () => {
  const y = [0, 1, 2, 2, 1, 0, -1, 2];
  const r = classificationReport(y, y.map((v) => (v < 0 ? 0 : v)), 4);
  assertEquals(r.nEvaluated, 7);
  assertEquals([r.accuracy, r.balancedAccuracy, r.macroF1, r.weightedF1], [1, 1, 1, 1]);
  for (const c of r.perClass.slice(0, 3)) assertEquals([c.precision, c.recall, c.f1], [1, 1, 1]);
  assertEquals(r.perClass[3].support, 0);
});

Deno.test("all-wrong predictions score 0 everywhere", () => {
  const r = classificationReport([0, 0, 1, 1, 2], [1, 2, 0, 2, 0], 3);
  assertEquals([r.accuracy, r.balancedAccuracy, r.macroF1, r.weightedF1], [0, 0, 0, 0]);
  assertEquals(r.perClass.map((c) => c.f1), [0, 0, 0]);
  assertEquals(rows(r.confusion), [[0, 1, 1], [1, 0, 1], [1, 0, 0]]);
});

Deno.test("regressionReport: hand values and NaN targets skipped", () => {
  // SS_res = 1, mean 2.5, SS_tot = 5 -> R^2 = 0.8; the NaN target and its prediction are skipped.
  const r = regressionReport([1, 2, NaN, 3, 4], [1, 2, 100, 3, 5]);
  assertEquals(r.n, 4);
  assertEquals(r.mse, 0.25);
  assertClose(r.r2, 0.8, TOL);
  // Predicting the mean gives 0, reversing gives a negative R^2: 1 - 8/2 = -3.
  assertEquals(regressionReport([1, 2, 3], [2, 2, 2]).r2, 0);
  assertClose(regressionReport([1, 2, 3], [3, 2, 1]).r2, -3, TOL);
  assertEquals(regressionReport(new Float32Array([1, 2, 3]), new Float32Array([1, 2, 3])).r2, 1);
});

Deno.test("regressionReport matches sklearn mean_squared_error and r2_score", () => {
  // sklearn 1.2.1: mean_squared_error / r2_score on the non-NaN targets.
  const a = regressionReport([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]);
  assertClose(a.mse, 0.375, TOL);
  assertClose(a.r2, 0.9486081370449679, TOL);
  const b = regressionReport(
    [1.5, 2.0, NaN, -1.0, 4.25, 0.5, NaN, 3.0],
    [1.0, 2.5, 9.0, -0.5, 3.5, 1.0, -3.0, 2.0],
  );
  assertEquals(b.n, 6);
  assertClose(b.mse, 0.4270833333333333, TOL);
  assertClose(b.r2, 0.8497251069028711, TOL);
});

Deno.test("regressionReport: constant targets and a single target follow sklearn", () => {
  // SS_tot = 0: 1 when perfect, else 0 (sklearn's force_finite=True).
  assertEquals(regressionReport([2, 2, 2], [2, 2, 2]), { mse: 0, r2: 1, n: 3 });
  assertEquals(regressionReport([2, 2, 2], [2, 2, 3]).r2, 0);
  // Not fooled by rounding in the mean of a constant non-representable value.
  assertEquals(regressionReport([0.1, 0.1, 0.1], [0.1, 0.1, 0.1]).r2, 1);
  assertEquals(regressionReport([0.1, 0.1, 0.1], [0.1, 0.1, 0.2]).r2, 0);
  // One target: R^2 is undefined, NaN as in sklearn; MSE is still defined.
  const one = regressionReport([NaN, 3], [0, 1]);
  assertEquals(one.n, 1);
  assertEquals(one.mse, 4);
  assertEquals(Number.isNaN(one.r2), true);
});

Deno.test("argmaxRows: row-wise argmax with ties to the lowest index", () => {
  const probs = new Float32Array([
    0.1,
    0.7,
    0.2, // 1
    0.4,
    0.2,
    0.4, // tie 0/2 -> 0
    0.2,
    0.4,
    0.4, // tie 1/2 -> 1
    0.3,
    0.3,
    0.3, // all tied -> 0
    -5,
    -Infinity,
    -1, // negatives -> 2
    0,
    0,
    1, // last -> 2
  ]);
  assertEquals(Array.from(argmaxRows(probs, 6, 3)), [1, 0, 1, 0, 2, 2]);
  assertEquals(Array.from(argmaxRows(new Float32Array([-Infinity, -Infinity]), 1, 2)), [0]);
  assertEquals(argmaxRows(new Float32Array(0), 0, 4).length, 0);
});

Deno.test("length mismatches are ShapeMismatchError", () => {
  const e = assertThrows(() => confusionMatrix([0, 1], [0], 2), ShapeMismatchError);
  assertEquals(e.field, "yPred");
  assertThrows(() => classificationReport([0, 1], [0, 1, 1], 2), ShapeMismatchError);
  assertThrows(() => macroF1([0], [], 2), ShapeMismatchError);
  assertThrows(() => regressionReport([1, 2], [1]), ShapeMismatchError);
  const n = assertThrows(() => classificationReport([0, 1], [0, 1], 2, ["a"]), ShapeMismatchError);
  assertEquals(n.field, "classNames");
  const a = assertThrows(() => argmaxRows(new Float32Array(5), 2, 3), ShapeMismatchError);
  assertEquals(a.field, "probs");
});

Deno.test("labels out of range and bad class counts are OptionError", () => {
  const t = assertThrows(() => confusionMatrix([0, 3], [0, 1], 3), OptionError);
  assertEquals(t.field, "yTrue");
  assertEquals(t.message.includes("yTrue[1] = 3"), true);
  assertEquals(t.message.includes("Fix:"), true);
  const p = assertThrows(() => classificationReport([0, 1], [0, 2], 2), OptionError);
  assertEquals(p.field, "yPred");
  assertThrows(() => macroF1([0, 1], [0, -1], 2), OptionError); // negative prediction
  assertThrows(() => macroF1([0, 1.5], [0, 1], 2), OptionError); // non-integer label
  assertThrows(() => macroF1([0, NaN], [0, 1], 2), OptionError); // NaN is not "missing"
  assertThrows(() => macroF1([0, 1], [0, 0.5], 2), OptionError);
  for (const k of [0, -1, 2.5, NaN]) {
    assertEquals(assertThrows(() => confusionMatrix([0], [0], k), OptionError).field, "nClasses");
  }
  assertEquals(
    assertThrows(() => argmaxRows(new Float32Array(0), -1, 2), OptionError).field,
    "nRows",
  );
  assertEquals(
    assertThrows(() => argmaxRows(new Float32Array(0), 0, 0), OptionError).field,
    "nCols",
  );
});

Deno.test("predictions for unlabelled cells are not checked", () => {
  // An out-of-range prediction on a cell with no label is not part of the evaluation.
  assertEquals(classificationReport([0, -1], [0, 99], 2).accuracy, 1);
});

Deno.test("no labelled cells or no targets is OptionError", () => {
  const e = assertThrows(() => classificationReport([-1, -1], [0, 1], 2), OptionError);
  assertEquals(e.field, "yTrue");
  assertThrows(() => classificationReport([], [], 2), OptionError);
  assertThrows(() => macroF1([-1], [0], 2), OptionError);
  assertThrows(() => regressionReport([NaN, NaN], [1, 2]), OptionError);
  assertThrows(() => regressionReport([], []), OptionError);
});

Deno.test("non-finite regression values and NaN probabilities are DataValueError", () => {
  assertEquals(
    assertThrows(() => regressionReport([1, 2], [1, NaN]), DataValueError).field,
    "yPred",
  );
  assertThrows(() => regressionReport([1, 2], [1, Infinity]), DataValueError);
  assertEquals(
    assertThrows(() => regressionReport([1, Infinity], [1, 2]), DataValueError).field,
    "yTrue",
  );
  // A NaN target with a NaN prediction is just skipped.
  assertEquals(regressionReport([1, NaN, 3], [1, NaN, 3]).n, 2);
  assertThrows(() => argmaxRows(new Float32Array([0.5, NaN]), 1, 2), DataValueError);
});

Deno.test("adjustedRandIndex: sklearn adjusted_rand_score values and hand counts", () => {
  // sklearn docs: [0,0,1,1] vs [0,0,1,2] -> 0.5714..., [0,0,0,1,1,1] vs [0,0,1,1,2,2] -> 0.2424...
  assertClose(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2]), 0.5714285714285714, TOL);
  assertClose(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]), 0.24242424242424243, TOL);
  // pairs: 6; together in a: 2, in b: 2, in both: 0 -> (0 - 2 * 2 / 6) / (2 - 2 * 2 / 6) = -0.5
  assertClose(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), -0.5, TOL);
  assertEquals(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 1);
  assertEquals(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3]), 0);
  assertEquals(adjustedRandIndex([3, 3, 3], [7, 7, 7]), 1); // one cluster each: sklearn gives 1
  assertEquals(adjustedRandIndex([0, 1, 2], [2, 0, 1]), 1); // all singletons
  // cells with a negative code are left out: same as the 4-cell example above
  assertClose(adjustedRandIndex([0, 0, 9, 1, 1, -1], [0, 1, -1, 0, 1, 4]), -0.5, TOL);
  // symmetric in its arguments
  const x = [0, 1, 1, 2, 2, 2, 0, 1], y = [1, 1, 0, 0, 2, 2, 1, 0];
  assertEquals(adjustedRandIndex(x, y), adjustedRandIndex(y, x));
  assertThrows(() => adjustedRandIndex([0, 1], [0]), ShapeMismatchError);
  assertThrows(() => adjustedRandIndex([0, 0.5], [0, 1]), OptionError);
});
