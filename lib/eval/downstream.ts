/**
 * Scoring a gene panel downstream: classifiers trained on the panel genes only (the shared input
 * transform, panel-native by default, fitted on train) predict a label on test; ridge regression from
 * the panel genes reconstructs other genes. Every selector's panel is scored the same way.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { thinCounts } from "../data/sampling.ts";
import { DataValueError, OptionError } from "../runtime/errors.ts";
import {
  applyInput,
  type CandidateOptions,
  fitCandidates,
  fitInput,
  type Normalization,
} from "../data/transform.ts";
import {
  CLASSIFIER_KINDS,
  type ClassifierKind,
  type ClassifierOptions,
  fitClassifier,
} from "./classifiers.ts";
import type { LabelledRows } from "./mlp.ts";
import type { ClassificationMetrics } from "../metrics/classification.ts";
import { regressionReport } from "../metrics/regression.ts";
import { scorePrediction } from "./score.ts";

/** Train, optional validation, and test cells, as raw counts over all genes. */
export interface PanelSplit {
  train: Dataset;
  val?: Dataset;
  test: Dataset;
}

/** Options of {@link evaluatePanel}; defaults in brackets. */
export interface EvaluatePanelOptions extends Omit<ClassifierOptions, "validation"> {
  /** Classifiers to train [["lr", "mlp", "knn"]]. */
  classifiers?: ClassifierKind[];
  /** Normalisation of the panel genes [DEFAULT_NORMALIZATION]. */
  normalize?: Normalization;
  /**
   * Also score each classifier on the test cells binomially thinned to these fractions of their
   * counts (seeded by `seed`): a targeted assay captures fewer molecules [none].
   */
  thinning?: number[];
  /**
   * Under panel/transcriptome, the library size each cell is scaled to [the median train total
   * over the genes the normalisation sums].
   */
  targetSum?: number;
}

/** One classifier's test metrics. */
export interface DownstreamResult {
  classifier: ClassifierKind;
  metrics: ClassificationMetrics;
  /** Wall-clock seconds of fitting (not of the input transform). */
  fitSeconds: number;
  /** Wall-clock seconds of predicting the test cells (kNN's search happens here). */
  predictSeconds: number;
  /** Metrics on the thinned test cells, one per `thinning` fraction, in its order. */
  thinned: { depth: number; metrics: ClassificationMetrics }[];
}

/** What {@link evaluatePanel} returns. */
export interface PanelEvaluation {
  task: string;
  genes: string[];
  /** Classes with training cells: the classes the classifiers can predict. */
  classes: string[];
  normalize: Normalization;
  /** The total each cell was scaled to (null: not scaled). */
  targetSum: number | null;
  nTrain: number;
  nTest: number;
  results: DownstreamResult[];
}

function checkPanel(panelGenes: string[]): void {
  if (panelGenes.length === 0) {
    throw new OptionError("the panel has no genes", { field: "panelGenes" });
  }
  const seen = new Set<string>();
  for (const g of panelGenes) {
    if (seen.has(g)) {
      throw new OptionError(`gene '${g}' appears twice in the panel`, {
        field: "panelGenes",
        fix: "pass each gene once",
      });
    }
    seen.add(g);
  }
}

/**
 * Train each downstream classifier on the panel genes of `split.train` and score it on
 * `split.test` for the label column `task`. The input transform (`options.normalize`, panel-native
 * by default: computable from the panel genes alone) is fitted on train only. Classes are the train
 * classes; test cells of a class absent from train count as errors (as `scorePrediction`), val
 * cells of such a class are ignored, and cells without a label are left out. The MLP stops early
 * on `split.val` when it has labelled cells, else on 15% of train.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluatePanel, simulate, splitDataset, stratifiedSplit } from "yoto";
 * const { dataset, truth } = simulate({ nCells: 300, nGenes: 60, seed: 1 });
 * const split = splitDataset(dataset, stratifiedSplit(dataset.categorical("cell_type")));
 * const panel = Object.values(truth.markers).flat();
 * const r = await evaluatePanel(panel, split, "cell_type", { classifiers: ["lr", "knn"] });
 * assert.ok(r.results[0].metrics.macroF1 > 0.8);
 * ```
 */
export async function evaluatePanel(
  panelGenes: string[],
  split: PanelSplit,
  task: string,
  options: EvaluatePanelOptions = {},
): Promise<PanelEvaluation> {
  checkPanel(panelGenes);
  const kinds = options.classifiers ?? [...CLASSIFIER_KINDS];
  const { train, val, test } = split;
  const { transform, x } = fitInput(train, panelGenes, {
    normalize: options.normalize,
    targetSum: options.targetSum,
  });
  const { categories, counts } = train.categoryCounts(task);
  const classes = categories.filter((_, c) => counts[c] > 0);
  let validation: LabelledRows | undefined;
  if (val && val.nCells > 0) {
    const y = val.codesIn(task, classes);
    if (y.some((c) => c >= 0)) validation = { x: applyInput(val, transform), y, n: val.nCells };
  }
  const xTest = applyInput(test, transform);
  const thinned = (options.thinning ?? []).map((depth) => ({
    depth,
    x: applyInput(thinCounts(test, depth, options.seed ?? 0), transform),
  }));
  const yTrain = train.codesIn(task, classes);
  const results: DownstreamResult[] = [];
  for (const kind of kinds) {
    const started = performance.now();
    const model = await fitClassifier(
      kind,
      x,
      train.nCells,
      panelGenes.length,
      yTrain,
      classes.length,
      { ...options, validation },
    );
    const fitSeconds = (performance.now() - started) / 1000;
    try {
      const score = (x: Float32Array) => {
        const labels = Array.from(model.predict(x, test.nCells), (c) => classes[c]);
        return scorePrediction({ task, kind: "classification", classes, labels }, test);
      };
      const metrics = score(xTest);
      const predictSeconds = (performance.now() - started) / 1000 - fitSeconds;
      results.push({
        classifier: kind,
        metrics,
        fitSeconds,
        predictSeconds,
        thinned: thinned.map(({ depth, x }) => ({ depth, metrics: score(x) })),
      });
    } finally {
      model.dispose();
    }
  }
  return {
    task,
    genes: [...panelGenes],
    classes,
    normalize: transform.normalize,
    targetSum: transform.targetSum,
    nTrain: train.nCells,
    nTest: test.nCells,
    results,
  };
}

/** Options of {@link evaluateReconstruction}; defaults in brackets. */
export interface ReconstructionOptions {
  /** Ridge penalty per training cell: lambda = alpha * nTrain [1e-2]. */
  alpha?: number;
  /** Normalisation of the panel genes [DEFAULT_NORMALIZATION]. */
  normalize?: Normalization;
  /** Library size each cell is scaled to, under panel/transcriptome [median train total]. */
  targetSum?: number;
  /** HVG flavour when `candidates` is a number ["seurat"]. */
  hvgFlavor?: CandidateOptions["hvgFlavor"];
}

/** How well the panel genes predict the target genes on test. */
export interface ReconstructionMetrics {
  /** Target genes, in the order of `r2` and `mse`. */
  genes: string[];
  /** Per target gene: sklearn's r2_score and the mean squared error on test. */
  r2: Float64Array;
  mse: Float64Array;
  /** Mean of the per-gene R^2. */
  meanR2: number;
  /** Mean squared error over all test cells and target genes. */
  meanMse: number;
  /**
   * Overall fraction of variance explained, 1 - sum_g SSE_g / sum_g SST_g on test (PERSIST's
   * "explained variance", 1 - total MSE / total variance).
   */
  varianceExplained: number;
  /** The ridge penalty used (alpha * nTrain). */
  lambda: number;
  nTrain: number;
  nTest: number;
}

/**
 * Solve (A) W = B in place for symmetric positive definite A [k x k]; B [k x m] becomes W.
 * Cholesky A = L L', then two triangular solves per column.
 */
function choleskySolve(A: Float64Array, k: number, B: Float64Array, m: number): void {
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j];
      for (let p = 0; p < j; p++) s -= L[i * k + p] * L[j * k + p];
      L[i * k + j] = i === j ? Math.sqrt(s) : s / L[j * k + j];
    }
  }
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < k; i++) {
      let s = B[i * m + c];
      for (let p = 0; p < i; p++) s -= L[i * k + p] * B[p * m + c];
      B[i * m + c] = s / L[i * k + i];
    }
    for (let i = k - 1; i >= 0; i--) {
      let s = B[i * m + c];
      for (let p = i + 1; p < k; p++) s -= L[p * k + i] * B[p * m + c];
      B[i * m + c] = s / L[i * k + i];
    }
  }
}

function columnMeans(x: Float32Array, n: number, width: number): Float64Array {
  const mean = new Float64Array(width);
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) mean[j] += x[i * width + j];
  return mean.map((v) => v / n);
}

/**
 * Predict the standardised log1p values of the target genes (`candidates`: a list, or the top-N
 * HVGs of train; scaled by the transcriptome total) from the panel genes (read through
 * `options.normalize`) by ridge regression with an unpenalised intercept, fitted on train in
 * closed form with lambda = alpha * nTrain (alpha 1e-2: on z-scored inputs this adds 0.01 to the
 * diagonal of the correlation matrix), scored on test. Panel genes among the targets are
 * predicted too (R^2 close to 1 when the panel is read on the targets' scale, `transcriptome`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateReconstruction, simulate, splitDataset, stratifiedSplit } from "yoto";
 * const { dataset } = simulate({ nCells: 300, nGenes: 60, seed: 1 });
 * const split = splitDataset(dataset, stratifiedSplit(dataset.categorical("cell_type")));
 * const r = evaluateReconstruction(["G0001", "G0002"], ["G0001", "G0003"], split, {
 *   normalize: "transcriptome",
 * });
 * assert.ok(r.r2[0] > 0.99);
 * assert.equal(r.genes[1], "G0003");
 * ```
 */
export function evaluateReconstruction(
  panelGenes: string[],
  candidates: number | string[],
  split: PanelSplit,
  options: ReconstructionOptions = {},
): ReconstructionMetrics {
  checkPanel(panelGenes);
  const alpha = options.alpha ?? 1e-2;
  if (!(alpha > 0 && Number.isFinite(alpha))) {
    throw new OptionError(`alpha must be a finite number > 0, got ${alpha}`, { field: "alpha" });
  }
  const { train, test } = split;
  const fitted = fitCandidates(train, { candidates, hvgFlavor: options.hvgFlavor });
  const targets = fitted.genes;
  // Panel genes as the assay reads them; targets on one fixed scale whatever the panel's
  // normalisation, so R^2 compares across normalisations.
  const inputs = fitInput(train, panelGenes, {
    normalize: options.normalize,
    targetSum: options.targetSum,
  });
  const outputs = fitInput(train, targets, {
    normalize: "transcriptome",
    targetSum: fitted.targetSum,
  });
  const x = inputs.x, y = outputs.x;
  const xTest = applyInput(test, inputs.transform), yTest = applyInput(test, outputs.transform);
  const k = panelGenes.length, m = targets.length, n = train.nCells;
  if (n < 2) {
    throw new DataValueError(`ridge regression needs 2 training cells, got ${n}`, {
      field: "train",
    });
  }
  // Centre on the train means (z-scores have mean ~0; exact centring keeps the intercept out).
  const xMean = columnMeans(x, n, k), yMean = columnMeans(y, n, m);
  const lambda = alpha * n;
  const A = new Float64Array(k * k), W = new Float64Array(k * m);
  const xc = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < k; a++) xc[a] = x[i * k + a] - xMean[a];
    for (let a = 0; a < k; a++) {
      for (let b = 0; b <= a; b++) A[a * k + b] += xc[a] * xc[b];
      for (let t = 0; t < m; t++) W[a * m + t] += xc[a] * (y[i * m + t] - yMean[t]);
    }
  }
  for (let a = 0; a < k; a++) {
    A[a * k + a] += lambda;
    for (let b = 0; b < a; b++) A[b * k + a] = A[a * k + b];
  }
  choleskySolve(A, k, W, m);
  const nTest = test.nCells;
  const r2 = new Float64Array(m), mse = new Float64Array(m);
  const truth = new Float64Array(nTest), pred = new Float64Array(nTest);
  let sse = 0, sst = 0;
  for (let t = 0; t < m; t++) {
    let sum = 0;
    for (let i = 0; i < nTest; i++) {
      let p = yMean[t];
      for (let a = 0; a < k; a++) p += (xTest[i * k + a] - xMean[a]) * W[a * m + t];
      truth[i] = yTest[i * m + t];
      pred[i] = p;
      sum += truth[i];
    }
    const report = regressionReport(truth, pred);
    r2[t] = report.r2;
    mse[t] = report.mse;
    sse += report.mse * nTest;
    for (let i = 0; i < nTest; i++) sst += (truth[i] - sum / nTest) ** 2;
  }
  return {
    genes: targets,
    r2,
    mse,
    meanR2: r2.reduce((s, v) => s + v, 0) / m,
    meanMse: sse / (nTest * m),
    varianceExplained: 1 - sse / sst,
    lambda,
    nTrain: n,
    nTest,
  };
}
