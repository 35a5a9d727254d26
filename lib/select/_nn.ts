/**
 * What the neural panel selectors (STG, CAE, PERSIST) share beyond lib/nn/: their two variants,
 * the primary task's class targets with missing labels masked, option checks, default epochs and
 * rates within a work budget, and exactly k distinct genes from a k x G matrix of selector rows.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { OptionError } from "../runtime/errors.ts";
import { type Panel, panelSelector, type SelectOptions, type Selector } from "./panel.ts";

/**
 * A neural baseline with a supervised and a label-free variant: the variant's name, what it
 * learns from (labels or the expression alone), and its selection.
 */
export function variantSelector(
  supervised: boolean,
  names: { supervised: string; labelFree: string },
  select: (train: Dataset, options: SelectOptions) => Promise<Panel>,
): Selector {
  return panelSelector(
    supervised ? names.supervised : names.labelFree,
    supervised ? "labels" : "data",
    select,
  );
}

/** Class codes of a label column: classes seen in `fit` (>= 2), -1 = missing or unseen. */
export interface ClassTargets {
  classes: string[];
  fit: Int32Array;
  val: Int32Array;
}

/**
 * Class codes of `task` on the fitting and validation cells, over the classes that have fitting
 * cells; missing labels and classes unseen in fitting are -1 (masked out of the loss).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * import { classTargets } from "./_nn.ts";
 * const ds = Dataset.fromDense(new Float32Array(4), 4, 1, ["g"], {
 *   t: { kind: "string", values: ["a", "b", null, "a"] },
 * });
 * const t = classTargets(ds, ds, "t");
 * assert.equal(t.classes.join(), "a,b");
 * assert.equal(t.fit.join(), "0,1,-1,0");
 * ```
 */
export function classTargets(fit: Dataset, val: Dataset, task: string): ClassTargets {
  const { categories, counts } = fit.categoryCounts(task);
  const classes = categories.filter((_, c) => counts[c] > 0);
  if (classes.length < 2) {
    throw new OptionError(
      `label '${task}' has ${classes.length} class(es) among the training cells; a classifier needs 2`,
      { field: task, fix: "choose another label column" },
    );
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const codesOf = (ds: Dataset) => {
    const { codes, categories } = ds.categorical(task);
    return Int32Array.from(codes, (c) => (c < 0 ? -1 : index.get(categories[c]) ?? -1));
  };
  return { classes, fit: codesOf(fit), val: codesOf(val) };
}

/** A positive integer option (epochs, batch size, ...), or its default. */
export function positiveInt(value: number | undefined, fallback: number, field: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) {
    throw new OptionError(`${field} must be a positive integer, got ${v}`, {
      field,
      fix: `pass a whole number >= 1 as ${field}, or leave it out for the default`,
    });
  }
  return v;
}

/**
 * Multiply-adds (cells x network weights per cell, summed over epochs) a default training run
 * may spend: ~45 s of one wasm SIMD thread (measured ~2.3e9 per second for STG's network).
 */
export const WORK_BUDGET = 1e11;

/**
 * Default epoch count: enough epochs for `targetSteps` optimiser steps, but no more than
 * `budget` multiply-adds (nFit x weightsPerCell per epoch) allow, and at least `min`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultEpochs } from "./_nn.ts";
 * assert.equal(defaultEpochs(1000, 100, 1000, { targetSteps: 500, min: 2 }), 50);
 * assert.equal(defaultEpochs(1e4, 100, 1e6, { targetSteps: 5000, min: 2 }), 10);
 * ```
 */
export function defaultEpochs(
  nFit: number,
  batchSize: number,
  weightsPerCell: number,
  options: { targetSteps: number; min: number; budget?: number },
): number {
  const forSteps = Math.ceil(options.targetSteps / Math.ceil(nFit / batchSize));
  const affordable = Math.floor((options.budget ?? WORK_BUDGET) / (nFit * weightsPerCell));
  return Math.max(options.min, Math.min(forSteps, affordable));
}

/**
 * Default Adam rate of selector parameters (gates, selector logits) for a run of `steps`:
 * min(0.1, 15 / steps), so that one can move by ~15 over the run (an Adam step is at most ~lr).
 * The references' 1e-3 assumes ~100x the steps a selector can afford here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultSelectorLr } from "./_nn.ts";
 * assert.equal(defaultSelectorLr(1500), 0.01);
 * assert.equal(defaultSelectorLr(10), 0.1);
 * ```
 */
export function defaultSelectorLr(steps: number): number {
  return Math.min(0.1, 15 / steps);
}

/** Weights per cell of a dense network with these layer widths (its multiply-adds per cell). */
export function denseWeights(widths: number[]): number {
  let w = 0;
  for (let l = 1; l < widths.length; l++) w += widths[l - 1] * widths[l];
  return w;
}

/**
 * Row-wise softmax of a row-major rows x cols matrix of logits divided by `tau`, in float64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxRows } from "./_nn.ts";
 * const p = softmaxRows([0, Math.log(3)], 1, 2);
 * assert.ok(Math.abs(p[1] - 0.75) < 1e-12);
 * ```
 */
export function softmaxRows(
  logits: ArrayLike<number>,
  rows: number,
  cols: number,
  tau = 1,
): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity, sum = 0;
    for (let j = 0; j < cols; j++) max = Math.max(max, logits[r * cols + j] / tau);
    for (let j = 0; j < cols; j++) {
      out[r * cols + j] = Math.exp(logits[r * cols + j] / tau - max);
      sum += out[r * cols + j];
    }
    for (let j = 0; j < cols; j++) out[r * cols + j] /= sum;
  }
  return out;
}

/**
 * Column of the largest entry of row `row` of a row-major matrix `width` columns wide (ties to
 * the lower column).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { argmaxRow } from "./_nn.ts";
 * assert.equal(argmaxRow([3, 1, 2, 0, 5, 5], 1, 3), 1);
 * ```
 */
export function argmaxRow(values: ArrayLike<number>, row: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) {
    if (values[row * width + j] > values[row * width + best]) best = j;
  }
  return best;
}

/** Distinct genes from selector rows (see {@link distinctRowArgmax}). */
export interface RowPicks {
  /** One column per row, all distinct, ordered by weight (best first). */
  columns: Int32Array;
  /** The picking row's weight on each column. */
  weights: Float64Array;
  /** Rows whose argmax was taken by a surer row and that took their next-best free column. */
  duplicates: number;
}

/**
 * Exactly one distinct column per row of a rows x cols weight matrix (rows <= cols): rows in
 * order of their largest weight (surest first, ties to the lower row) take their argmax; a row
 * whose argmax is taken takes its best column still free.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { distinctRowArgmax } from "./_nn.ts";
 * const w = [0.9, 0.1, 0.0, 0.6, 0.3, 0.1]; // both rows prefer column 0
 * const { columns, duplicates } = distinctRowArgmax(w, 2, 3);
 * assert.equal(columns.join(), "0,1");
 * assert.equal(duplicates, 1);
 * ```
 */
export function distinctRowArgmax(
  weights: ArrayLike<number>,
  rows: number,
  cols: number,
): RowPicks {
  if (rows > cols) {
    throw new OptionError(`${rows} selector rows cannot pick distinct genes among ${cols}`, {
      field: "k",
    });
  }
  const rowMax = (r: number) => {
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, weights[r * cols + j]);
    return m;
  };
  const maxes = Array.from({ length: rows }, (_, r) => rowMax(r));
  const order = Array.from({ length: rows }, (_, r) => r).sort((a, b) =>
    maxes[b] - maxes[a] || a - b
  );
  const taken = new Uint8Array(cols);
  const picks: { column: number; weight: number }[] = [];
  let duplicates = 0;
  for (const r of order) {
    let best = -1;
    for (let j = 0; j < cols; j++) {
      if (!taken[j] && (best < 0 || weights[r * cols + j] > weights[r * cols + best])) best = j;
    }
    if (weights[r * cols + best] < maxes[r]) duplicates++;
    taken[best] = 1;
    picks.push({ column: best, weight: weights[r * cols + best] });
  }
  picks.sort((a, b) => b.weight - a.weight || a.column - b.column);
  return {
    columns: Int32Array.from(picks, (p) => p.column),
    weights: Float64Array.from(picks, (p) => p.weight),
    duplicates,
  };
}
