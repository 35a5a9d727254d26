/**
 * The downstream classifiers that score every panel the same way: multinomial logistic
 * regression (L2), the common MLP and kNN, behind one checked interface. Inputs are rows of
 * standardised panel-gene values (lib/data/transform.ts); labels are class codes, -1 = missing.
 * @module
 */
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";
import { argmaxRows } from "../metrics/classification.ts";
import { labelledRows } from "../data/stats.ts";
import { fitKnn, type KnnOptions } from "./knn.ts";
import { fitLogistic, type LogisticOptions } from "../nn/logistic.ts";
import { fitMlp, type LabelledRows, type MlpOptions } from "./mlp.ts";

/** The downstream classifiers. */
export type ClassifierKind = "lr" | "mlp" | "knn";

/** Every kind, in the order result tables list them. */
export const CLASSIFIER_KINDS: readonly ClassifierKind[] = ["lr", "mlp", "knn"];

/** Options of {@link fitClassifier}; each kind reads its own group. */
export interface ClassifierOptions {
  /** Seed of the MLP's initialisation, batches and internal validation split [0]. */
  seed?: number;
  /** Validation rows for the MLP's early stopping [a stratified 15% of the training rows]. */
  validation?: LabelledRows;
  lr?: LogisticOptions;
  mlp?: MlpOptions;
  knn?: KnnOptions;
}

/** A fitted classifier over d input columns and nClasses class codes. */
export interface Classifier {
  kind: ClassifierKind;
  nFeatures: number;
  nClasses: number;
  /** Probabilities [n x nClasses] of rows `x` [n x d]; classes without training cells get 0. */
  predictProba(x: Float32Array, n: number): Float32Array;
  /** The most probable class per row; ties go to the lowest code. */
  predict(x: Float32Array, n: number): Int32Array;
  /** Frees tensors (MLP); a no-op for the others. */
  dispose(): void;
}

function checkRows(x: Float32Array, n: number, d: number, field: string): void {
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new OptionError(`number of rows must be an integer >= 0, got ${n}`, { field });
  }
  if (x.length !== n * d) {
    throw new ShapeMismatchError(`${field} holds ${x.length} values, expected ${n} x ${d}`, {
      field,
      fix: "pass a row-major [cells x genes] array",
    });
  }
  const bad = x.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new DataValueError(`${field}[${bad}] = ${x[bad]} is not finite`, {
      field,
      fix: "remove or impute NaN/Inf values first",
    });
  }
}

function checkLabels(y: Int32Array, n: number, nClasses: number, field: string): void {
  if (y.length !== n) {
    throw new ShapeMismatchError(`${field} has ${y.length} labels for ${n} rows`, { field });
  }
  const bad = y.findIndex((c) => c >= nClasses);
  if (bad >= 0) {
    throw new OptionError(`${field}[${bad}] = ${y[bad]} is not a class code`, {
      field,
      fix: `use codes in [0, ${nClasses}) or -1 for a missing label`,
    });
  }
}

function checkOption(value: number | undefined, ok: boolean, field: string, want: string): void {
  if (value !== undefined && !ok) {
    throw new OptionError(`${field} must be ${want}, got ${value}`, { field });
  }
}

const isPositiveInt = (v: number | undefined) => Number.isInteger(v) && v! >= 1;

function checkOptions(kind: ClassifierKind, options: ClassifierOptions): void {
  if (!CLASSIFIER_KINDS.includes(kind)) {
    throw new OptionError(`unknown classifier '${kind}'`, {
      field: "classifier",
      fix: `use one of: ${CLASSIFIER_KINDS.join(", ")}`,
    });
  }
  const { lr = {}, mlp = {}, knn = {} } = options;
  checkOption(lr.C, lr.C! > 0 && Number.isFinite(lr.C), "lr.C", "a finite number > 0");
  checkOption(lr.maxIter, isPositiveInt(lr.maxIter), "lr.maxIter", "an integer >= 1");
  checkOption(lr.tol, lr.tol! > 0, "lr.tol", "> 0");
  checkOption(knn.k, isPositiveInt(knn.k), "knn.k", "an integer >= 1");
  checkOption(mlp.learningRate, mlp.learningRate! > 0, "mlp.learningRate", "> 0");
  for (const field of ["batchSize", "maxEpochs", "patience"] as const) {
    checkOption(mlp[field], isPositiveInt(mlp[field]), `mlp.${field}`, "an integer >= 1");
  }
  if (mlp.hidden && !mlp.hidden.every(isPositiveInt)) {
    throw new OptionError(`mlp.hidden must hold integers >= 1, got [${mlp.hidden}]`, {
      field: "mlp.hidden",
    });
  }
}

/**
 * Fit a downstream classifier on rows `x` [n x d] (standardised panel genes) with class codes
 * `y` in [0, nClasses) (-1 = missing: that row is left out). Classes with no labelled training
 * row are never predicted (probability 0); at least two classes must have rows. "lr":
 * multinomial logistic regression as sklearn's `LogisticRegression(C=1)`; "mlp": the common
 * downstream MLP (docs/methods.md §1.8); "knn": k = 15 nearest neighbours, uniform votes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitClassifier } from "yoto";
 * const x = Float32Array.from([-2, -1, -1.5, 1, 2, 1.5, 0]);
 * const y = Int32Array.from([0, 0, 0, 2, 2, 2, -1]); // class 1 has no cells, the last no label
 * const model = await fitClassifier("knn", x, 7, 1, y, 3, { knn: { k: 3 } });
 * assert.equal(model.predict(Float32Array.from([-1.8, 1.8]), 2).join(), "0,2");
 * ```
 * @throws ShapeMismatchError when x, y or the validation rows do not match n and d.
 * @throws DataValueError when an input value is NaN or infinite.
 * @throws OptionError for a bad class code, fewer than two classes, or a bad option.
 */
export async function fitClassifier(
  kind: ClassifierKind,
  x: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  nClasses: number,
  options: ClassifierOptions = {},
): Promise<Classifier> {
  checkOptions(kind, options);
  if (!(Number.isInteger(d) && d >= 1)) {
    throw new OptionError(`number of input columns must be an integer >= 1, got ${d}`, {
      field: "d",
      fix: "pass a panel of at least one gene",
    });
  }
  if (!isPositiveInt(nClasses)) {
    throw new OptionError(`number of classes must be an integer >= 1, got ${nClasses}`, {
      field: "nClasses",
    });
  }
  checkRows(x, n, d, "x");
  checkLabels(y, n, nClasses, "y");
  // Fit on the classes that have labelled rows, renumbered 0..m-1; expand back when predicting.
  const counts = new Int32Array(nClasses);
  for (const c of y) if (c >= 0) counts[c]++;
  const present = Int32Array.from(counts.keys()).filter((c) => counts[c] > 0);
  if (present.length < 2) {
    throw new OptionError(
      `${present.length} class(es) have labelled training cells; a classifier needs 2`,
      { field: "y", fix: "choose another label column or more training cells" },
    );
  }
  const local = new Int32Array(nClasses).fill(-1);
  present.forEach((c, i) => (local[c] = i));
  const { x: xFit, y: yLabelled, rows } = labelledRows(x, d, y);
  const yFit = yLabelled.map((c) => local[c]);
  const m = present.length;
  let validation: LabelledRows | undefined;
  if (options.validation) {
    const v = options.validation;
    checkRows(v.x, v.n, d, "validation.x");
    checkLabels(v.y, v.n, nClasses, "validation.y");
    validation = { x: v.x, y: Int32Array.from(v.y, (c) => (c < 0 ? -1 : local[c])), n: v.n };
  }
  const model = kind === "lr"
    ? fitLogistic(xFit, rows.length, d, yFit, m, options.lr)
    : kind === "knn"
    ? fitKnn(xFit, rows.length, d, yFit, m, options.knn)
    : await fitMlp(xFit, rows.length, d, yFit, m, {
      ...options.mlp,
      seed: options.seed,
      validation,
    });
  const predictProba = (xs: Float32Array, k: number): Float32Array => {
    checkRows(xs, k, d, "x");
    const p = model.predictProba(xs, k);
    if (m === nClasses) return p;
    const out = new Float32Array(k * nClasses);
    for (let i = 0; i < k; i++) {
      for (let c = 0; c < m; c++) out[i * nClasses + present[c]] = p[i * m + c];
    }
    return out;
  };
  return {
    kind,
    nFeatures: d,
    nClasses,
    predictProba,
    predict: (xs, k) => argmaxRows(predictProba(xs, k), k, nClasses),
    dispose: () => ("dispose" in model ? model.dispose() : undefined),
  };
}
