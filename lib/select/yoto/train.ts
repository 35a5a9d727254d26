/**
 * Training YOTO (docs/methods.md §1.4-1.5): one Gumbel-perturbed relaxed top-k mask per minibatch,
 * a shared encoder over the masked input, one head per task, a loss masked per task to the
 * labelled cells, the scores on their own (larger) Adam rate, the temperature annealed per step,
 * early stopping on validation after annealing with the best weights restored (lib/nn/fit.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../../data/dataset.ts";
import { validationSplit } from "../../data/split.ts";
import { balancedClassWeights, labelledRows, meanSd } from "../../data/stats.ts";
import { panelSummary } from "../../data/expression.ts";
import { argmaxRows, macroF1 } from "../../metrics/classification.ts";
import { OptionError } from "../../runtime/errors.ts";
import { Rng } from "../../runtime/rng.ts";
import { checkPanelSize, type Panel } from "../panel.ts";
import type { ConstraintReport } from "../../data/constraints.ts";
import { type EpochRecord, type LinearHeads, YotoModel, type YotoSpec } from "./model.ts";
import { fitLogistic } from "../../nn/logistic.ts";
import {
  applyInput,
  type CandidateOptions,
  fitCandidates,
  fitInput,
  fitInputTransform,
  inputBatches,
  type InputTransform,
  type Normalization,
  normalization,
  realGeneMask,
} from "../../data/transform.ts";
import { type Activation, type TaskSpec, YotoNet } from "./net.ts";
import { fitNet } from "../../nn/fit.ts";
import { variable } from "../../nn/layers.ts";
import { poissonDeviance, poissonLoss, rectifiedTanh } from "../../nn/losses.ts";
import {
  gumbelNoise,
  type Relaxation,
  sampleMask,
  temperature,
  topKIndices,
} from "../../nn/relax.ts";

/** Options of {@link fitYoto}; defaults in brackets. Candidates: top 2000 seurat HVGs on train. */
export interface YotoOptions extends CandidateOptions {
  /** Panel size, forced genes included. */
  k: number;
  /** obs columns to predict: categorical/string = classification, numeric = regression. */
  tasks?: string[];
  /** Add a head reconstructing every candidate gene (needed when there are no labels). */
  reconstruct?: boolean;
  /**
   * Reconstruction loss ["poisson"]: Poisson NLL on log1p values through the rectified tanh
   * (docs/methods.md §5.3), or "mse" on the z-scored input.
   */
  reconstructionLoss?: "mse" | "poisson";
  /** Loss weight per task name ("reconstruction" included) [1 / number of tasks]. */
  taskWeights?: Record<string, number>;
  /** Encoder widths [[128, 128]], activation ["relu"], dropout [0], batch norm [false]. */
  hidden?: number[];
  activation?: Activation;
  dropout?: number;
  batchNorm?: boolean;
  /**
   * Weigh each classification task's classes equally in the loss (each cell by labelled /
   * (classes x its class's cells)), as macro-F1 weighs them [false].
   */
  balance?: boolean;
  /** Relaxation ["neuralsort"]. */
  relaxation?: Relaxation;
  /**
   * Forward pass while annealing ["soft"]: "soft" = the relaxed mask itself (every candidate near
   * the top trains its weights: 0.97 vs 0.88 test macro-F1 on the simulator), "hard" = the
   * straight-through exact-k mask. After annealing it is always the straight-through mask, so the
   * last epochs train the heads on exactly the k genes inference reads.
   */
  forward?: "hard" | "soft";
  /**
   * Temperature schedule: tau0 -> tauEnd [0.1], exponential|linear ["exponential"], over
   * annealFraction [0.8] of the steps. NeuralSort logits grow with G, so tau0 defaults to G / 2
   * (rows then span ~100 ranks at first); SoftSort's default tau0 is 1.
   */
  tau0?: number;
  tauEnd?: number;
  anneal?: "exponential" | "linear";
  annealFraction?: number;
  /** Adam learning rate of the network [1e-3] and of the gene scores [min(0.1, 150 / total steps)]. */
  lr?: number;
  scoreLr?: number;
  /** Minibatch size [128]; epochs [enough for ~3000 steps, 30-300]; patience after annealing [20]. */
  batchSize?: number;
  epochs?: number;
  patience?: number;
  /**
   * Classification heads used to predict ["logistic"]: "logistic" = after selection, the panel
   * input and one L2 logistic regression per classification task fitted on the training cells
   * (validation cells included), as the LR evaluator fits them (on small data the network's heads
   * fell below it: docs/methods.md §1.4); "network" = the network's own heads. Regression and
   * reconstruction always use the network.
   */
  heads?: "network" | "logistic";
  /** Validation cells for early stopping [15% of train, stratified on the first label]. */
  validation?: Dataset;
  seed?: number;
  quiet?: boolean;
}

/** Every fitYoto option name: the `satisfies` keeps the list equal to {@link YotoOptions}. */
export const YOTO_OPTION_NAMES: readonly string[] = Object.keys(
  {
    k: 1,
    tasks: 1,
    reconstruct: 1,
    reconstructionLoss: 1,
    taskWeights: 1,
    hidden: 1,
    activation: 1,
    dropout: 1,
    batchNorm: 1,
    balance: 1,
    relaxation: 1,
    forward: 1,
    tau0: 1,
    tauEnd: 1,
    anneal: 1,
    annealFraction: 1,
    lr: 1,
    scoreLr: 1,
    batchSize: 1,
    epochs: 1,
    patience: 1,
    heads: 1,
    validation: 1,
    seed: 1,
    quiet: 1,
    candidates: 1,
    normalize: 1,
    hvgFlavor: 1,
    constraintReport: 1,
    forceInclude: 1,
    exclude: 1,
    allow: 1,
    excludePatterns: 1,
    excludePresets: 1,
    minMean: 1,
    maxMean: 1,
  } satisfies Record<keyof YotoOptions, 1>,
);

interface Labels {
  /** Classification: class code per cell (-1 missing); regression: standardised value (NaN missing). */
  values: Int32Array | Float32Array;
  /** Classification: the loss weight of each class's cells (1 each unless balanced). */
  classWeights?: Float64Array;
}

function resolveTasks(train: Dataset, options: YotoOptions): TaskSpec[] {
  const names = options.tasks ?? [];
  if (names.length === 0 && !options.reconstruct) {
    throw new OptionError("no task: give at least one label column or reconstruct", {
      field: "tasks",
      fix: "pass tasks: ['cell_type'] (CLI --label COL), or reconstruct: true (--reconstruct)",
    });
  }
  const tasks: TaskSpec[] = names.map((name) => {
    const col = train.obs(name);
    if (col.kind === "numeric") {
      const v = Array.from(col.values).filter((x) => !Number.isNaN(x));
      const { mean, sd } = v.length ? meanSd(v) : { mean: 0, sd: 1 };
      return { name, kind: "regression", mean, sd: sd || 1, weight: 1 };
    }
    const { categories, counts } = train.categoryCounts(name);
    const used = categories.filter((_, i) => counts[i] > 0);
    if (used.length < 2) {
      throw new OptionError(
        `label '${name}' has ${used.length} class(es) among the training cells; a classifier needs 2`,
        {
          field: name,
          fix: "choose another label column",
        },
      );
    }
    return { name, kind: "classification", classes: used, weight: 1 };
  });
  if (options.reconstruct) {
    tasks.push({
      name: "reconstruction",
      kind: "reconstruction",
      loss: options.reconstructionLoss ?? "poisson",
      weight: 1,
    });
  }
  for (const t of tasks) t.weight = options.taskWeights?.[t.name] ?? 1 / tasks.length;
  return tasks;
}

/** A task's labels on `ds`; `balanced` weighs each class by labelled / (classes x its cells). */
function labelsFor(ds: Dataset, task: TaskSpec, balanced = false): Labels | null {
  if (task.kind === "reconstruction") return null;
  if (task.kind === "regression") {
    const col = ds.obs(task.name);
    if (col.kind !== "numeric") {
      throw new OptionError(`obs column '${task.name}' is not numeric here`, { field: task.name });
    }
    return { values: Float32Array.from(col.values, (v) => (v - task.mean!) / task.sd!) };
  }
  // Classes unseen in training count as missing labels.
  const values = ds.codesIn(task.name, task.classes!);
  const nClasses = task.classes!.length;
  return {
    values,
    classWeights: balanced
      ? balancedClassWeights(values, nClasses)
      : new Float64Array(nClasses).fill(1),
  };
}

function checkK(k: number, nFree: number, nForced: number): void {
  checkPanelSize(k, nFree + nForced);
  if (k < nForced) {
    throw new OptionError(`k = ${k} is smaller than the ${nForced} forced genes`, {
      field: "k",
      fix: "raise k or force fewer genes",
    });
  }
}

/** Candidates (ordered free, then forced) and the input transform, learned on train only. */
interface FittedInput {
  transform: InputTransform;
  /**
   * Train cells `rows` over the candidates, [rows.length x genes], densified from the sparse
   * train matrix per minibatch: the network input (z-scored), or under `panel` the raw counts,
   * normalised in the graph by the mask-weighted total ({@link PanelScale}).
   */
  batch: (rows: ArrayLike<number>) => Float32Array;
  nFree: number;
  nForced: number;
  /** What the candidate constraints removed (null: none given). */
  constraints: ConstraintReport | null;
}

function fitTransform(train: Dataset, options: YotoOptions): FittedInput {
  const forced = [...new Set(options.forceInclude ?? [])];
  const { genes: candidates, report } = fitCandidates(train, options);
  // Free genes first, then forced: the full mask is then a concat (wasm has no gradient for
  // gather). Excluded genes never become candidates.
  const forcedSet = new Set(forced);
  const free = candidates.filter((g) => !forcedSet.has(g));
  const genes = [...free, ...forced];
  const fitted = fitInputTransform(train, genes, { normalize: options.normalize });
  const { transform, selected } = fitted;
  const common = { transform, nFree: free.length, nForced: forced.length, constraints: report };
  if (transform.normalize !== "panel") return { ...common, batch: inputBatches(fitted) };
  // The z-scoring is fitted on totals over all candidates; a uniform mask of mass k sums k/G of
  // them, so the target shrinks by k/G and the first steps see the fitted scale.
  transform.targetSum = transform.targetSum! * options.k / genes.length;
  return { ...common, batch: (rows) => selected.gatherRows(rows) };
}

/**
 * `panel` normalisation inside the graph (docs/methods.md §0): each cell's library size is the
 * mask-weighted total over the real candidates, equal to the panel total once the mask is hard.
 */
interface PanelScale {
  targetSum: number;
  /**
   * z-scoring statistics of the normalised values: they move with the panel, so they follow the
   * training batches (momentum 0.99, outside the gradient) from the fitted ones, as batch norm's
   * moving statistics, and are saved as the transform's means and sds.
   */
  means: tf.Variable<tf.Rank.R1>;
  sds: tf.Variable<tf.Rank.R1>;
  /** 1 per real candidate, 0 per null twin; null when there are no twins (nothing to mask). */
  real: tf.Tensor1D | null;
}

// tfjs variable names are global
let panelScales = 0;

/** The real-gene mask as a tensor, or null when every candidate is real. */
function realTensor(real: Float32Array): tf.Tensor1D | null {
  return real.every((v) => v === 1) ? null : tf.tensor1d(real);
}

/** The identity, with no gradient flowing back (tfjs has no stop_gradient). */
const stopGradient = tf.customGrad((x) => ({
  value: (x as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor1D) => tf.Tensor1D;

/**
 * The z-scored values of rows `xb` under the full-width `mask` (it sets the `panel` library
 * size). Without `panel`, `xb` already holds them.
 */
function zScored(
  xb: tf.Tensor2D,
  mask: tf.Tensor1D,
  panel: PanelScale | null,
  training = false,
): tf.Tensor2D {
  if (!panel) return xb;
  // No gradient through the total: through it, a highly expressed gene lowered every other gene's
  // input and was pushed out (LR macro-F1 on the panel 0.83 with it, 0.92 without: kang_ifnb1k,
  // k = 16, seed 0).
  const kept = stopGradient(mask);
  const weights = tf.reshape(panel.real ? tf.mul(kept, panel.real) : kept, [-1, 1]) as tf.Tensor2D;
  const totals = tf.maximum(tf.matMul(xb, weights), 1e-12);
  const v = tf.log1p(tf.mul(xb, tf.div(panel.targetSum, totals)));
  if (training) {
    tf.tidy(() => {
      const { mean, variance } = tf.moments(v, 0);
      panel.means.assign(tf.add(tf.mul(panel.means, 0.99), tf.mul(mean, 0.01)));
      const sd = tf.maximum(tf.sqrt(variance), 1e-6);
      panel.sds.assign(tf.add(tf.mul(panel.sds, 0.99), tf.mul(sd, 0.01)));
    });
  }
  return tf.div(tf.sub(v, panel.means), panel.sds) as tf.Tensor2D;
}

/**
 * The network's outputs for z-scored rows `z` under the full-width `mask`: (z ⊙ m) W1 computed as
 * z (m ⊙ W1), so no gradient flows to z and a step makes one matrix product of the first layer's
 * size fewer (docs/methods.md §1.4).
 */
function maskedForward(
  net: YotoNet,
  z: tf.Tensor2D,
  mask: tf.Tensor1D,
  dropoutSeed: number | null,
): tf.Tensor2D[] {
  const training = dropoutSeed !== null;
  if (!net.encoder.length) {
    return net.forward(tf.mul(z, mask) as tf.Tensor2D, training, dropoutSeed);
  }
  const firstLayer = tf.mul(net.encoder[0].W, tf.reshape(mask, [-1, 1])) as tf.Tensor2D;
  return net.forward(z, training, dropoutSeed, firstLayer);
}

/** Undoes the z-scoring (back to log1p) for the Poisson head; built once per fit. */
interface LogScale {
  sds: tf.Tensor1D;
  means: tf.Tensor1D;
  /** Predictions are bounded by log1p(ceiling) ({@link poissonCeiling}). */
  ceiling: number;
}

/**
 * The total whose log1p bounds the input's log values, for the Poisson head (docs/methods.md
 * §5.3): the target under `transcriptome`; under `panel` the target times G / k (a gene outside
 * the panel may count more than the panel's whole total); the largest train count under
 * `counts`; 1 under `binary`.
 */
function poissonCeiling(train: Dataset, transform: InputTransform, k: number): number {
  switch (transform.normalize) {
    case "panel":
      return transform.targetSum! * transform.genes.length / k;
    case "counts": {
      let max = 1;
      for (const { data } of train.selectGenes(transform.genes).rows(2048)) {
        for (const v of data) if (v > max) max = v;
      }
      return max;
    }
    case "binary":
      return 1;
    default:
      return transform.targetSum!;
  }
}

/** Loss of the reconstruction head on z-scored input `x`. */
function reconstructionLoss(
  out: tf.Tensor2D,
  task: TaskSpec,
  x: tf.Tensor2D,
  logScale: LogScale,
  deviance = false,
): tf.Scalar {
  if (task.loss !== "poisson") return tf.losses.meanSquaredError(x, out) as tf.Scalar;
  return tf.tidy(() => {
    const logX = tf.add(tf.mul(x, logScale.sds), logScale.means);
    const xhat = rectifiedTanh(out, logScale.ceiling);
    return deviance ? poissonDeviance(xhat, logX) : poissonLoss(xhat, logX);
  });
}

function maskedLoss(
  out: tf.Tensor2D,
  task: TaskSpec,
  labels: Labels | null,
  x: tf.Tensor2D,
  rows: Int32Array,
  logScale: LogScale,
): tf.Scalar | null {
  if (task.kind === "reconstruction") return reconstructionLoss(out, task, x, logScale);
  const vals = labels!.values;
  const w = new Float32Array(rows.length);
  let labelled = 0;
  for (let r = 0; r < rows.length; r++) {
    const v = vals[rows[r]];
    if (task.kind === "classification" ? v >= 0 : !Number.isNaN(v)) {
      w[r] = labels!.classWeights?.[v] ?? 1;
      labelled += w[r];
    }
  }
  if (labelled === 0) return null;
  const weights = tf.tensor1d(w);
  if (task.kind === "classification") {
    const codes = Int32Array.from(rows, (i) => Math.max(0, vals[i]));
    const onehot = tf.oneHot(tf.tensor1d(codes, "int32"), task.classes!.length);
    const ce = tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(out)), 1));
    return tf.div(tf.sum(tf.mul(ce, weights)), labelled) as tf.Scalar;
  }
  const target = tf.tensor1d(Float32Array.from(rows, (i) => (Number.isNaN(vals[i]) ? 0 : vals[i])));
  const err = tf.square(tf.sub(out.reshape([-1]), target));
  return tf.div(tf.sum(tf.mul(err, weights)), labelled) as tf.Scalar;
}

/** Full-width mask from the free genes' mask, then 1 for each forced gene. */
function fullMask(freeMask: tf.Tensor1D, fixedTail: tf.Tensor1D): tf.Tensor1D {
  return fixedTail.shape[0] ? tf.concat([freeMask, fixedTail]) : freeMask;
}

/**
 * Train YOTO once: select exactly k genes and predict every task from them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitYoto, simulate } from "yoto";
 * const { dataset } = simulate({ nCells: 300, nGenes: 100, seed: 1 });
 * const model = await fitYoto(dataset, { k: 8, tasks: ["cell_type"], candidates: 100, epochs: 3, quiet: true });
 * assert.equal(model.panel.genes.length, 8);
 * model.dispose();
 * ```
 */
export async function fitYoto(train: Dataset, options: YotoOptions): Promise<YotoModel> {
  await tf.ready(); // a backend must be up; initBackend() chooses one, else tfjs's default
  const started = performance.now();
  // The validation cells are data, not settings: keep them out of the saved options.
  const { validation: _validation, ...recordedOptions } = options;
  const seed = options.seed ?? 0;
  const rng = new Rng(seed);
  const tasks = resolveTasks(train, options);
  const first = tasks.find((t) => t.kind === "classification");
  const received = train;
  const { fit, val } = validationSplit(train, options, first?.name);
  train = fit;
  const { transform, batch, nFree, nForced, constraints } = fitTransform(train, options);
  const G = transform.genes.length;
  checkK(options.k, nFree, nForced);
  const kFree = options.k - nForced;
  const fixedTail = tf.tensor1d(
    Float32Array.from({ length: G - nFree }, (_, j) => (j < nForced ? 1 : 0)),
  );
  const panelScale: PanelScale | null = transform.normalize === "panel"
    ? {
      targetSum: transform.targetSum!,
      means: variable(
        tf.tensor1d(transform.means),
        `panelMeans${++panelScales}`,
        false,
      ) as tf.Variable<tf.Rank.R1>,
      sds: variable(tf.tensor1d(transform.sds), `panelSds${panelScales}`, false) as tf.Variable<
        tf.Rank.R1
      >,
      real: realTensor(realGeneMask(train, transform.genes)),
    }
    : null;
  // Uploaded once: evaluated every epoch.
  const xVal = tf.tensor2d(
    panelScale ? val.selectGenes(transform.genes).toDense() : applyInput(val, transform),
    [val.nCells, G],
  );
  const logScale: LogScale = {
    sds: panelScale?.sds ?? tf.tensor1d(transform.sds),
    means: panelScale?.means ?? tf.tensor1d(transform.means),
    ceiling: poissonCeiling(train, transform, options.k),
  };
  for (const t of tasks) if (t.loss === "poisson") t.ceiling = logScale.ceiling;
  const trainLabels = tasks.map((t) => labelsFor(train, t, options.balance ?? false));
  const valLabels = tasks.map((t) => labelsFor(val, t));

  const batchSize = Math.min(options.batchSize ?? 128, train.nCells);
  const stepsPerEpoch = Math.ceil(train.nCells / batchSize);
  const epochs = options.epochs ?? Math.min(300, Math.max(30, Math.ceil(3000 / stepsPerEpoch)));
  const totalSteps = epochs * stepsPerEpoch;
  const relaxation = options.relaxation ?? "neuralsort";
  const schedule = {
    tau0: options.tau0 ?? (relaxation === "neuralsort" ? G / 2 : 1),
    tauEnd: options.tauEnd ?? 0.1,
    annealSteps: Math.round((options.annealFraction ?? 0.8) * totalSteps),
    kind: options.anneal ?? "exponential",
  };
  const forward = options.forward ?? "soft";
  const scoreLr = options.scoreLr ?? Math.min(0.1, 150 / totalSteps);
  const spec: YotoSpec = {
    k: options.k,
    net: {
      nGenes: G,
      hidden: options.hidden ?? [128, 128],
      activation: options.activation ?? "relu",
      dropout: options.dropout ?? 0,
      batchNorm: options.batchNorm ?? false,
      tasks,
    },
    relaxation,
    transform,
    nFree,
    nForced,
    seed,
    options: {
      ...recordedOptions,
      epochs,
      batchSize,
      schedule,
      scoreLr,
    },
  };
  const net = new YotoNet(spec.net, rng.fork("init"));
  const scores = variable(tf.zeros([nFree]), `${net.prefix}/scores`);
  const batchRng = rng.fork("batches"),
    noiseRng = rng.fork("gumbel"),
    dropRng = rng.fork("dropout");
  const history: EpochRecord[] = [];
  // Per-task training losses of the current epoch, and the temperature of the latest step.
  const lossSums = new Float64Array(tasks.length), lossCounts = new Int32Array(tasks.length);
  let tau = schedule.tau0;

  try {
    const run = await fitNet({
      label: "yoto",
      epochs,
      nFit: train.nCells,
      batchSize,
      rng: batchRng,
      groups: [
        { lr: options.lr ?? 1e-3, variables: net.trainable() },
        { lr: scoreLr, variables: [scores] },
      ],
      checkpoint: [...net.all(), scores, ...(panelScale ? [panelScale.means, panelScale.sds] : [])],
      loss: (rows, step) => {
        tau = temperature(step, schedule);
        const gumbel = gumbelNoise(nFree, () => noiseRng.uniform());
        const dropoutSeed = dropRng.int(2 ** 31);
        const { mask, soft } = sampleMask(
          scores as unknown as tf.Tensor1D,
          kFree,
          tau,
          gumbel,
          relaxation,
        );
        const soften = forward === "soft" && step < schedule.annealSteps;
        const used = soften ? soft : mask;
        tf.dispose(soften ? mask : soft);
        const full = fullMask(used, fixedTail);
        const z = zScored(tf.tensor2d(batch(rows), [rows.length, G]), full, panelScale, true);
        const outs = maskedForward(net, z, full, dropoutSeed);
        let total: tf.Scalar = tf.scalar(0);
        outs.forEach((out, t) => {
          const l = maskedLoss(out, tasks[t], trainLabels[t], z, rows, logScale);
          if (!l) return;
          lossSums[t] += l.dataSync()[0];
          lossCounts[t]++;
          total = tf.add(total, tf.mul(l, tasks[t].weight));
        });
        return total;
      },
      onEpochEnd: (epoch, { steps, seconds }) => {
        const t0 = performance.now() - 1000 * seconds;
        const record = {
          ...evaluate(epoch, steps, tau, lossSums, lossCounts, t0),
          stepSeconds: seconds,
        };
        history.push(record);
        lossSums.fill(0);
        lossCounts.fill(0);
        return {
          // Monitored after annealing. Validation macro-F1 moves in steps of one cell on small
          // data: equal F1, lower loss wins.
          monitor: steps >= schedule.annealSteps ? -record.monitor : null,
          tieBreak: record.valLoss,
          line: describe(record, epochs, tasks, started),
        };
      },
      patience: options.patience ?? 20,
      quiet: options.quiet,
      lineEverySeconds: Infinity,
    });
    if (panelScale) {
      transform.means = Array.from(panelScale.means.dataSync());
      transform.sds = Array.from(panelScale.sds.dataSync());
    }
    const finalScores = Float32Array.from(scores.dataSync());
    const panel = makePanel(
      finalScores,
      kFree,
      transform.genes,
      spec,
      (performance.now() - started) / 1000,
    );
    if (constraints) panel.constraints = constraints;
    if ((options.heads ?? "logistic") === "logistic") {
      spec.linearHeads = fitLinearHeads(received, normalization(transform), panel.genes, tasks);
    }
    panel.summary = panelSummary(train, panel.genes, first?.name);
    const model = new YotoModel(spec, net, finalScores, panel, {
      history,
      bestEpoch: run.best?.epoch ?? history.length,
      trainSeconds: (performance.now() - started) / 1000,
      nTrain: train.nCells,
      nVal: val.nCells,
    });
    return model;
  } finally {
    tf.dispose([scores, fixedTail, xVal, logScale.sds, logScale.means]);
    if (panelScale?.real) panelScale.real.dispose();
  }

  function evaluate(
    epoch: number,
    steps: number,
    tau: number,
    sums: Float64Array,
    counts: Int32Array,
    t0: number,
  ): EpochRecord {
    const loss: Record<string, number> = {};
    tasks.forEach((t, i) => (loss[t.name] = counts[i] ? sums[i] / counts[i] : NaN));
    const scoreValues = scores.dataSync();
    const hard = topKIndices(scoreValues, kFree);
    const { mask, soft } = sampleMask(
      scores as unknown as tf.Tensor1D,
      kFree,
      tau,
      null,
      relaxation,
    );
    const softValues = soft.dataSync();
    let mass = 0;
    for (const j of hard) mass += softValues[j];
    tf.dispose([mask, soft]);
    const hardFree = new Float32Array(nFree);
    for (const j of hard) hardFree[j] = 1;
    const valOut = tf.tidy(() => {
      const full = fullMask(tf.tensor1d(hardFree), fixedTail);
      const z = zScored(xVal, full, panelScale);
      return maskedForward(net, z, full, null).map((o, t) =>
        tasks[t].kind === "classification"
          ? tf.logSoftmax(o)
          : tasks[t].kind === "regression"
          ? o
          : reconstructionLoss(o, tasks[t], z, logScale, true)
      );
    });
    const valMetrics: Record<string, number> = {};
    const f1s: number[] = [];
    const lossesForMonitor: number[] = [];
    tasks.forEach((task, t) => {
      const out = valOut[t].dataSync();
      if (task.kind === "classification") {
        const truth = valLabels[t]!.values as Int32Array;
        const nClasses = task.classes!.length;
        const predicted = argmaxRows(out as Float32Array, truth.length, nClasses);
        let ce = 0, labelled = 0;
        truth.forEach((c, i) => {
          if (c < 0) return;
          ce -= out[i * nClasses + c];
          labelled++;
        });
        const f1 = labelled ? macroF1(truth, predicted, nClasses) : NaN;
        valMetrics[task.name] = f1;
        if (!Number.isNaN(f1)) {
          f1s.push(f1);
          lossesForMonitor.push(ce / labelled);
        }
      } else if (task.kind === "regression") {
        const truth = valLabels[t]!.values as Float32Array;
        let s = 0, n = 0;
        truth.forEach((y, i) => {
          if (!Number.isNaN(y)) {
            s += (out[i] - y) ** 2;
            n++;
          }
        });
        valMetrics[task.name] = n ? s / n : NaN;
        lossesForMonitor.push(valMetrics[task.name]);
      } else {
        valMetrics[task.name] = out[0];
        lossesForMonitor.push(out[0]);
      }
    });
    tf.dispose(valOut);
    const valLoss = lossesForMonitor.reduce((a, b) => a + b, 0);
    const monitor = f1s.length ? f1s.reduce((a, b) => a + b, 0) / f1s.length : -valLoss;
    return {
      epoch,
      steps,
      tau,
      loss,
      val: valMetrics,
      monitor,
      valLoss,
      maskMass: mass / kFree,
      seconds: (performance.now() - t0) / 1000,
    };
  }
}

/**
 * {@link YotoOptions.heads} "logistic": the panel input fitted on `ds` as the LR evaluator fits it
 * (fitInput), and one logistic regression per classification task on it.
 */
function fitLinearHeads(
  ds: Dataset,
  normalize: Normalization,
  genes: string[],
  tasks: TaskSpec[],
): LinearHeads {
  const { transform: input, x } = fitInput(ds, genes, { normalize });
  const k = genes.length, params: Record<string, number[]> = {};
  for (const task of tasks) {
    if (task.kind !== "classification") continue;
    const { x: xl, y } = labelledRows(x, k, ds.codesIn(task.name, task.classes!));
    const model = fitLogistic(xl, y.length, k, y, task.classes!.length);
    params[task.name] = [...model.coef, ...model.intercept];
  }
  return { input, params };
}

function describe(r: EpochRecord, epochs: number, tasks: TaskSpec[], started: number): string {
  const elapsed = (performance.now() - started) / 1000;
  const eta = (elapsed / r.epoch) * (epochs - r.epoch);
  const loss = tasks.map((t) => `${t.name} ${r.loss[t.name].toFixed(3)}`).join(", ");
  const val = tasks.map((t) => `${t.name} ${r.val[t.name].toFixed(3)}`).join(", ");
  return `epoch ${r.epoch}/${epochs} loss [${loss}] val [${val}] tau ${
    r.tau.toFixed(3)
  } mask-mass ${r.maskMass.toFixed(3)} ${r.seconds.toFixed(2)} s/epoch ETA ${eta.toFixed(0)} s`;
}

function makePanel(
  scores: Float32Array,
  kFree: number,
  genes: string[],
  spec: YotoSpec,
  fitSeconds: number,
): Panel {
  const top = topKIndices(scores, kFree);
  const forced = genes.slice(spec.nFree, spec.nFree + spec.nForced);
  return {
    method: "yoto",
    k: spec.k,
    genes: [...forced, ...Array.from(top, (f) => genes[f])],
    scores: [...forced.map(() => Infinity), ...Array.from(top, (f) => scores[f])],
    params: spec.options,
    fitSeconds,
    notes: forced.length ? [`${forced.length} forced gene(s) rank first (score Infinity)`] : [],
  };
}
