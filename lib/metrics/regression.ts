/**
 * Regression metrics following scikit-learn (`mean_squared_error`, `r2_score`); NaN targets are
 * missing and left out.
 * @module
 */
import { DataValueError, OptionError } from "../runtime/errors.ts";
import { checkSameLength } from "./_check.ts";

/** MSE, R² and the number of targets they were computed on. */
export interface RegressionMetrics {
  /** Mean squared error. */
  mse: number;
  /** Coefficient of determination as sklearn's r2_score (NaN when n < 2, as sklearn). */
  r2: number;
  /** Number of non-NaN targets used. */
  n: number;
}

/**
 * Mean squared error and R² of a regression, skipping cells whose target is NaN. R² follows
 * sklearn's `r2_score`: 1 - SS_res / SS_tot; when every target is the same (SS_tot = 0) it is 1
 * for a perfect prediction and 0 otherwise; with fewer than two targets it is NaN.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { regressionReport } from "yoto";
 * const r = regressionReport([1, 2, 3, 4, NaN], [1, 2, 3, 5, 0]);
 * assert.equal(r.n, 4);
 * assert.equal(r.mse, 0.25);
 * assert.ok(Math.abs(r.r2 - 0.8) < 1e-12);
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
