/**
 * What the neural panel selectors (STG, CAE, PERSIST) share: a plain MLP of tfjs variables, the
 * primary task's class targets with missing labels masked, minibatch tensors, the validation
 * split, an epoch loop with best-weights restore, and exactly k distinct genes from a k x G
 * matrix of selector rows. Temperatures and Gumbel noise come from yoto/relax.ts, dense layers
 * and their initialisation from yoto/net.ts.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { OptionError } from "../runtime/errors.ts";
import { Progress } from "../runtime/progress.ts";
import type { Rng } from "../runtime/rng.ts";
import { takeRows } from "../data/transform.ts";
import { type Panel, panelSelector, type SelectOptions, type Selector } from "./panel.ts";
import { type Dense, dense, matMulFast } from "./yoto/net.ts";

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

// tfjs variable names are global: every network gets its own prefix.
let mlpCount = 0;

/** A dense network widths[0] -> ... -> widths.at(-1), activation between layers, linear output. */
export class Mlp {
  readonly layers: Dense[];
  /** Unique prefix of this network's variable names (for variables that go with it). */
  readonly prefix = `mlp${mlpCount++}`;

  constructor(
    widths: number[],
    rng: Rng,
    readonly activation: "relu" | "leakyRelu" = "relu",
    readonly dropout = 0,
  ) {
    this.layers = widths.slice(1).map((w, l) => dense(widths[l], w, rng, `${this.prefix}/${l}`));
  }

  /** The variables, in a fixed order. */
  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.W, l.b]);
  }

  /**
   * Outputs for rows `x`. `firstW` replaces the first weight matrix (STG gates its rows);
   * `dropoutSeed` non-null = training (dropout on).
   */
  forward(x: tf.Tensor2D, firstW?: tf.Tensor2D, dropoutSeed: number | null = null): tf.Tensor2D {
    let h = x;
    this.layers.forEach((layer, l) => {
      h = tf.add(matMulFast(h, l === 0 && firstW ? firstW : layer.W), layer.b);
      if (l === this.layers.length - 1) return;
      h = this.activation === "relu" ? tf.relu(h) : tf.leakyRelu(h, 0.2);
      if (dropoutSeed !== null && this.dropout > 0) {
        h = tf.dropout(h, this.dropout, undefined, dropoutSeed + l) as tf.Tensor2D;
      }
    });
    return h;
  }

  /** Frees the variables. */
  dispose(): void {
    tf.dispose(this.variables);
  }
}

/** Rows `rows` of a row-major matrix [n x width] as a tensor [rows.length x width]. */
export function rowsTensor(x: Float32Array, width: number, rows: ArrayLike<number>): tf.Tensor2D {
  return tf.tensor2d(takeRows(x, width, rows), [rows.length, width]);
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
 * import { Dataset } from "../data/dataset.ts";
 * const ds = Dataset.fromDense(new Float32Array(4), 4, 1, ["g"], {
 *   t: { kind: "string", values: ["a", "b", null, "a"] },
 * });
 * const t = classTargets(ds, ds, "t");
 * console.assert(t.classes.join() === "a,b" && t.fit.join() === "0,1,-1,0");
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

/**
 * Mean cross-entropy of `logits` (one row per entry of `rows`) over the rows whose class code is
 * >= 0; 0 (still on the tape) when none is labelled.
 */
export function maskedCrossEntropy(
  logits: tf.Tensor2D,
  codes: Int32Array,
  rows: ArrayLike<number>,
): tf.Scalar {
  return tf.tidy(() => {
    const n = rows.length, c = logits.shape[1];
    const onehot = new Float32Array(n * c);
    let labelled = 0;
    for (let r = 0; r < n; r++) {
      const y = codes[rows[r]];
      if (y >= 0) {
        onehot[r * c + y] = 1;
        labelled++;
      }
    }
    const ce = tf.neg(tf.sum(tf.mul(tf.tensor2d(onehot, [n, c]), tf.logSoftmax(logits))));
    return tf.div(ce, Math.max(1, labelled)) as tf.Scalar;
  });
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
 * console.assert(defaultEpochs(1000, 100, 1000, { targetSteps: 500, min: 2 }) === 50);
 * console.assert(defaultEpochs(1e4, 100, 1e6, { targetSteps: 5000, min: 2 }) === 10);
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
 * console.assert(defaultSelectorLr(1500) === 0.01 && defaultSelectorLr(10) === 0.1);
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
 * Whether validation is monitored at temperature `tau`: once it is below the geometric midpoint
 * of the schedule. Before, the network sees blurred selections and the loss of the argmax panel
 * says little about the panel.
 *
 * @example
 * ```ts
 * console.assert(!monitored(2, { tau0: 10, tauEnd: 0.1 }) && monitored(0.5, { tau0: 10, tauEnd: 0.1 }));
 * ```
 */
export function monitored(tau: number, schedule: { tau0: number; tauEnd: number }): boolean {
  return tau <= Math.sqrt(schedule.tau0 * schedule.tauEnd);
}

/** One training run of {@link runEpochs}. */
export interface EpochLoop {
  /** Progress label. */
  label: string;
  /** Most epochs to run. */
  epochs: number;
  nFit: number;
  batchSize: number;
  /** Shuffles the fitting cells each epoch. */
  rng: Rng;
  /**
   * Trained variables, each group with its own Adam optimiser at rate `lr` (selector parameters,
   * network); the optimisers live for this run only.
   */
  groups: { lr: number; variables: tf.Variable[] }[];
  /** Loss of one minibatch (`rows` = fitting cells), built inside the gradient tape. */
  loss(rows: Int32Array, step: number): tf.Scalar;
  /**
   * After each epoch: the monitored validation value (lower = better; null = not monitored yet,
   * e.g. while a temperature is high) and whether to stop now; given the mean training loss.
   */
  endEpoch(epoch: number, trainLoss: number): { monitor: number | null; stop?: boolean };
  /** Stop after this many monitored epochs without a better monitor [Infinity]. */
  patience?: number;
  quiet?: boolean;
}

/** What {@link runEpochs} did. */
export interface EpochResult {
  epochs: number;
  /** Best monitored epoch and its monitor (the last epoch and NaN when none was monitored). */
  bestEpoch: number;
  best: number;
}

/**
 * Minibatch training: shuffled batches each epoch, one optimiser step per batch, the monitor
 * after each epoch, early stopping by patience, and the best epoch's weights restored.
 */
export async function runEpochs(loop: EpochLoop): Promise<EpochResult> {
  const groups = loop.groups.map((g) => ({ ...g, optimizer: tf.train.adam(g.lr) }));
  try {
    return await trainEpochs(loop, groups);
  } finally {
    for (const g of groups) g.optimizer.dispose();
  }
}

async function trainEpochs(
  loop: EpochLoop,
  groups: { optimizer: tf.Optimizer; variables: tf.Variable[] }[],
): Promise<EpochResult> {
  const variables = groups.flatMap((g) => g.variables);
  const stepsPerEpoch = Math.ceil(loop.nFit / loop.batchSize);
  const progress = new Progress(loop.label, loop.epochs, { quiet: loop.quiet });
  let best = Infinity, bestEpoch = 0, saved: Float32Array[] | null = null;
  let step = 0, epoch = 0;
  const started = performance.now();
  while (epoch < loop.epochs) {
    epoch++;
    const order = loop.rng.permutation(loop.nFit);
    let lossSum = 0;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const rows = order.subarray(b * loop.batchSize, (b + 1) * loop.batchSize);
      const { value, grads } = tf.variableGrads(() => loop.loss(rows, step), variables);
      for (const g of groups) {
        g.optimizer.applyGradients(
          g.variables.map((v) => ({ name: v.name, tensor: grads[v.name] })),
        );
      }
      lossSum += value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      step++;
    }
    const trainLoss = lossSum / stepsPerEpoch;
    const { monitor, stop } = loop.endEpoch(epoch, trainLoss);
    if (monitor !== null && (monitor < best || saved === null)) {
      best = monitor;
      bestEpoch = epoch;
      saved = variables.map((v) => Float32Array.from(v.dataSync()));
    }
    progress.tick(1);
    const seconds = (performance.now() - started) / 1000;
    progress.log(
      `${loop.label} epoch ${epoch}/${loop.epochs} loss ${trainLoss.toFixed(4)} val ${
        monitor?.toFixed(4) ?? "-"
      } ${(seconds / epoch).toFixed(2)} s/epoch`,
    );
    if (stop || (saved && epoch - bestEpoch >= (loop.patience ?? Infinity))) break;
    // Let the event loop run between epochs (notebook output, signals).
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (saved && bestEpoch !== epoch) {
    const weights = saved;
    tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape))));
  }
  return saved
    ? { epochs: epoch, bestEpoch, best }
    : { epochs: epoch, bestEpoch: epoch, best: NaN };
}

/**
 * Row-wise softmax of a row-major rows x cols matrix of logits divided by `tau`, in float64.
 *
 * @example
 * ```ts
 * const p = softmaxRows([0, Math.log(3)], 1, 2);
 * console.assert(Math.abs(p[1] - 0.75) < 1e-12);
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
 * console.assert(argmaxRow([3, 1, 2, 0, 5, 5], 1, 3) === 1);
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
 * const w = [0.9, 0.1, 0.0, 0.6, 0.3, 0.1]; // both rows prefer column 0
 * const { columns, duplicates } = distinctRowArgmax(w, 2, 3);
 * console.assert(columns.join() === "0,1" && duplicates === 1);
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
