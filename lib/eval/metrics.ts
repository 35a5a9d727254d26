/**
 * Evaluation metrics for cell-label and regression predictions, following scikit-learn's
 * conventions (`confusion_matrix`, `accuracy_score`, `balanced_accuracy_score`, `f1_score`
 * with `zero_division=0`, `mean_squared_error`, `r2_score`). Class labels are integer codes in
 * `[0, nClasses)`; a negative true label means "missing" and that cell is left out of every
 * metric (its prediction is not looked at).
 * @module
 */
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";

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

/** MSE, R² and the number of targets they were computed on. */
export interface RegressionMetrics {
  /** Mean squared error. */
  mse: number;
  /** Coefficient of determination as sklearn's r2_score (NaN when n < 2, as sklearn). */
  r2: number;
  /** Number of non-NaN targets used. */
  n: number;
}

function checkClassCount(nClasses: number): void {
  if (!Number.isInteger(nClasses) || nClasses < 1) {
    throw new OptionError(`number of classes must be an integer >= 1, got ${nClasses}`, {
      field: "nClasses",
      fix: "pass the number of label categories",
    });
  }
}

function checkSameLength(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length) {
    throw new ShapeMismatchError(
      `yTrue has ${yTrue.length} entries but yPred has ${yPred.length}`,
      { field: "yPred", fix: "pass one prediction per cell, in the same order as yTrue" },
    );
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
 * const m = confusionMatrix([0, 1, 1, -1], [0, 0, 1, 1], 2);
 * console.assert(m[0][0] === 1 && m[1][0] === 1 && m[1][1] === 1 && m[0][1] === 0);
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
 * const r = classificationReport([0, 0, 1, 1, -1], [0, 1, 1, 1, 0], 3, ["B", "T", "NK"]);
 * console.assert(r.nEvaluated === 4 && r.accuracy === 0.75);
 * console.assert(r.perClass[1].name === "T" && r.perClass[1].precision === 2 / 3);
 * console.assert(Math.abs(r.macroF1 - (2 / 3 + 0.8) / 2) < 1e-12); // class 2 is absent
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
 * console.assert(macroF1([0, 1, 1, -1], [0, 1, 0, 2], 3) === (2 / 3 + 2 / 3) / 2);
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
 * Adjusted Rand index of two clusterings (sklearn's `adjusted_rand_score`, pair-counting form):
 * 1 for identical partitions up to renaming, about 0 for independent ones, negative below
 * chance; 1 when neither partition separates any pair differently (e.g. both one cluster). Codes
 * are any integers; cells with a negative code in either clustering are left out.
 *
 * @example
 * ```ts
 * console.assert(adjustedRandIndex([0, 0, 1, 1], [5, 5, 2, 2]) === 1);
 * console.assert(Math.abs(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) - 8 / 33) < 1e-15);
 * ```
 * @throws ShapeMismatchError when a and b differ in length.
 * @throws OptionError when a code is not an integer.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new ShapeMismatchError(`a has ${a.length} labels but b has ${b.length}`, {
      field: "b",
      fix: "pass one cluster code per cell in both clusterings, in the same cell order",
    });
  }
  const joint = new Map<string, number>(), rows = new Map<number, number>();
  const cols = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (!Number.isInteger(x) || !Number.isInteger(y)) {
      throw new OptionError(`cell ${i} has codes ${x}, ${y}; cluster codes must be integers`, {
        field: Number.isInteger(x) ? "b" : "a",
        fix: "pass integer cluster codes (negative = leave the cell out)",
      });
    }
    if (x < 0 || y < 0) continue;
    n++;
    const key = `${x},${y}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    rows.set(x, (rows.get(x) ?? 0) + 1);
    cols.set(y, (cols.get(y) ?? 0) + 1);
  }
  const pairs = (counts: Iterable<number>) => {
    let s = 0;
    for (const c of counts) s += c * (c - 1) / 2;
    return s;
  };
  const same = pairs(joint.values()), sameA = pairs(rows.values()), sameB = pairs(cols.values());
  const total = n * (n - 1) / 2;
  // pair confusion: tp = together in both, fp / fn = together in one only, tn = apart in both
  const tp = same, fp = sameB - same, fn = sameA - same, tn = total - sameA - sameB + same;
  if (fp === 0 && fn === 0) return 1;
  return 2 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

/**
 * Mean squared error and R² of a regression, skipping cells whose target is NaN. R² follows
 * sklearn's `r2_score`: 1 - SS_res / SS_tot; when every target is the same (SS_tot = 0) it is 1
 * for a perfect prediction and 0 otherwise; with fewer than two targets it is NaN.
 *
 * @example
 * ```ts
 * const r = regressionReport([1, 2, 3, 4, NaN], [1, 2, 3, 5, 0]);
 * console.assert(r.n === 4 && r.mse === 0.25 && Math.abs(r.r2 - 0.8) < 1e-12);
 * ```
 * @throws ShapeMismatchError when yTrue and yPred differ in length.
 * @throws DataValueError when a target is infinite or a prediction for a used target is not
 *   finite.
 * @throws OptionError when every target is NaN.
 */
export function regressionReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
): RegressionMetrics {
  checkSameLength(yTrue, yPred);
  let n = 0, sum = 0, ssRes = 0, first = NaN, constant = true;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    if (Number.isNaN(t)) continue;
    const p = yPred[i];
    if (!Number.isFinite(t)) {
      throw new DataValueError(`yTrue[${i}] = ${t} is infinite`, {
        field: "yTrue",
        fix: "use finite targets, or NaN for a missing one",
      });
    }
    if (!Number.isFinite(p)) {
      throw new DataValueError(`yPred[${i}] = ${p} is not finite`, {
        field: "yPred",
        fix: "check the model's output; every cell with a target needs a finite prediction",
      });
    }
    if (n === 0) first = t;
    else if (t !== first) constant = false;
    n++;
    sum += t;
    ssRes += (t - p) * (t - p);
  }
  if (n === 0) {
    throw new OptionError(`no non-NaN targets among ${yTrue.length} to evaluate`, {
      field: "yTrue",
      fix: "evaluate on cells with a known target",
    });
  }
  let r2 = NaN;
  if (n >= 2) {
    if (constant) {
      r2 = ssRes === 0 ? 1 : 0;
    } else {
      const mean = sum / n;
      let ssTot = 0;
      for (let i = 0; i < yTrue.length; i++) {
        const t = yTrue[i];
        if (!Number.isNaN(t)) ssTot += (t - mean) * (t - mean);
      }
      r2 = 1 - ssRes / ssTot;
    }
  }
  return { mse: ssRes / n, r2, n };
}

/**
 * Index of the largest entry in each row of a row-major `nRows × nCols` matrix (e.g. class
 * probabilities); ties go to the lowest index.
 *
 * @example
 * ```ts
 * const probs = new Float32Array([0.1, 0.7, 0.2, 0.4, 0.2, 0.4]);
 * console.assert(argmaxRows(probs, 2, 3).join() === "1,0");
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
 * const f = selectionFrequency([["A", "B"], ["B", "C"]]);
 * console.assert(f[0].gene === "B" && f[0].frequency === 1 && f[1].gene === "A" && f[1].count === 1);
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
 * // pairs: {A,B}/{B,C} 1/3, {A,B}/{A,B} 1, {B,C}/{A,B} 1/3
 * console.assert(Math.abs(meanJaccard([["A", "B"], ["B", "C"], ["A", "B"]]) - 5 / 9) < 1e-12);
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
