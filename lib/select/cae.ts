/**
 * Concrete Autoencoder (CAE; Abid, Balın, Zou, ICML 2019; docs/methods.md §2.6): k selector rows of
 * logits over the G candidates; in training row i is m_i = softmax((logits_i + Gumbel) / T) and
 * encodes <m_i, x>, at test time the one-hot of its argmax. A decoder reconstructs every candidate
 * (`cae`, MSE) or a classifier predicts the first task (`cae_sup`, cross-entropy). T goes from 10
 * to 0.1 exponentially per step.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { validationSplit } from "../data/split.ts";
import { OptionError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";
import {
  argmaxRow,
  classTargets,
  defaultEpochs,
  defaultSelectorLr,
  denseWeights,
  distinctRowArgmax,
  positiveInt,
  softmaxRows,
  variantSelector,
} from "./_nn.ts";
import { applyInput, fitCandidates, fitInputTransform, inputBatches } from "../data/transform.ts";
import type { Panel, SelectOptions, Selector } from "./panel.ts";
import { checkPanelSize, requireTasks } from "./panel.ts";
import { fitNet } from "../nn/fit.ts";
import { glorot, matMulFast, Mlp, variable } from "../nn/layers.ts";
import { maskedCrossEntropy } from "../nn/losses.ts";
import { concreteRows, gumbelNoise, monitored, temperature } from "../nn/relax.ts";

/** Settings of the CAE; defaults in brackets. */
export interface CaeOptions {
  /** Predict the first task (cross-entropy) instead of reconstructing the candidates [false]. */
  supervised?: boolean;
  /** Hidden widths of the decoder / classifier [[320, 320]], LeakyReLU 0.2. */
  hidden?: number[];
  /** Dropout after each hidden layer [0]. */
  dropout?: number;
  /** Adam learning rate of the decoder / classifier [1e-3]. */
  lr?: number;
  /**
   * Adam learning rate of the selector logits [min(0.1, 15 / steps of a run)]: the reference's
   * 1e-3 comes with ~100x more steps than a selector can afford here; with so few steps at 1e-3
   * the rows stay near uniform.
   */
  selectorLr?: number;
  /** Minibatch size [max(floor(n / 256), 16)], as the reference. */
  batchSize?: number;
  /**
   * Epochs [~3000 steps within the work budget, at least 5]. The reference's 300 epochs would
   * take hours on 12k cells here.
   */
  epochs?: number;
  /** Temperature from tau0 [10] to tauEnd [0.1], exponential per step. */
  tau0?: number;
  tauEnd?: number;
  /** Retrain with twice the epochs while the mean max softmax is below 0.998, at most [0] times. */
  maxRetrains?: number;
}

/** The reference's convergence bar on the mean over rows of the largest softmax weight. */
const CONVERGED = 0.998;

/**
 * A CAE selector with these settings: `cae` (reconstruction, needs data) or `cae_sup`
 * (classification of the first task, needs labels).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { caeSelector, simulate } from "yoto";
 * const { dataset } = simulate({ nCells: 200, nGenes: 60, seed: 1 });
 * const { panel } = await caeSelector({ hidden: [16], epochs: 2 }).fit(dataset, {
 *   k: 5, candidates: 60, quiet: true,
 * });
 * assert.equal(new Set(panel.genes).size, 5);
 * ```
 */
export function caeSelector(settings: CaeOptions = {}): Selector {
  const supervised = settings.supervised ?? false;
  return variantSelector(
    supervised,
    { supervised: "cae_sup", labelFree: "cae" },
    (train, options) => selectCae(train, options, { ...settings, supervised }),
  );
}

/** One-hot rows of the logits' row-wise argmax (the test-time selection matrix). */
function hardRows(logits: Float32Array, k: number, g: number): tf.Tensor2D {
  const rows = new Float32Array(k * g);
  for (let i = 0; i < k; i++) rows[i * g + argmaxRow(logits, i, g)] = 1;
  return tf.tensor2d(rows, [k, g]);
}

async function selectCae(
  train: Dataset,
  options: SelectOptions,
  settings: CaeOptions & { supervised: boolean },
): Promise<Panel> {
  await tf.ready();
  const started = performance.now();
  const method = settings.supervised ? "cae_sup" : "cae";
  const task = settings.supervised ? requireTasks(options, method)[0] : undefined;
  const seed = options.seed ?? 0;
  const k = options.k;
  const hidden = settings.hidden ?? [320, 320];
  const dropout = settings.dropout ?? 0;
  const lr = settings.lr ?? 1e-3;
  const tau0 = settings.tau0 ?? 10, tauEnd = settings.tauEnd ?? 0.1;
  if (!(tau0 >= tauEnd && tauEnd > 0) || !(dropout >= 0 && dropout < 1)) {
    throw new OptionError("need tau0 >= tauEnd > 0 and dropout in [0, 1)", {
      field: "tau0/tauEnd/dropout",
    });
  }
  const maxRetrains = settings.maxRetrains ?? 0;
  const { fit, val } = validationSplit(train, options, task);
  const { genes } = fitCandidates(fit, options);
  const G = genes.length;
  checkPanelSize(k, G);
  const fitted = fitInputTransform(fit, genes, options);
  const { transform } = fitted;
  const batch = inputBatches(fitted);
  const xVal = applyInput(val, transform);
  const targets = task ? classTargets(fit, val, task) : null;
  const outWidth = targets ? targets.classes.length : G;
  const widths = [k, ...hidden, outWidth];
  const batchSize = Math.min(
    positiveInt(settings.batchSize, Math.max(Math.floor(fit.nCells / 256), 16), "batchSize"),
    fit.nCells,
  );
  const stepsPerEpoch = Math.ceil(fit.nCells / batchSize);
  let epochs = positiveInt(
    settings.epochs,
    defaultEpochs(fit.nCells, batchSize, k * G + denseWeights(widths), {
      targetSteps: 3000,
      min: 5,
    }),
    "epochs",
  );
  const rng = new Rng(seed);
  const valRows = Int32Array.from({ length: val.nCells }, (_, i) => i);
  const loss = (out: tf.Tensor2D, xb: tf.Tensor2D, codes: Int32Array | null, rows: Int32Array) =>
    codes ? maskedCrossEntropy(out, codes, rows) : tf.losses.meanSquaredError(xb, out) as tf.Scalar;

  const runs: {
    epochs: number;
    bestEpoch: number;
    valLoss: number;
    meanMax: number;
    selectorLr: number;
  }[] = [];
  let probs: Float64Array = new Float64Array(0), meanMax = 0;
  for (let attempt = 0; attempt <= maxRetrains; attempt++) {
    const init = rng.fork(`init${attempt}`);
    const net = new Mlp(widths, init, "leakyRelu", dropout);
    const logits = variable(
      tf.tensor2d(glorot(k, G, init, "normal"), [k, G]),
      `${net.prefix}/selector`,
    );
    const selectorLr = settings.selectorLr ?? defaultSelectorLr(epochs * stepsPerEpoch);
    const noise = rng.fork(`gumbel${attempt}`), drop = rng.fork(`dropout${attempt}`);
    const schedule = {
      tau0,
      tauEnd,
      annealSteps: epochs * stepsPerEpoch,
      kind: "exponential" as const,
    };
    try {
      const run = await fitNet({
        label: method,
        epochs,
        nFit: fit.nCells,
        batchSize,
        rng: rng.fork(`batches${attempt}`),
        groups: [
          { lr: selectorLr, variables: [logits] },
          { lr, variables: net.variables },
        ],
        quiet: options.quiet,
        loss: (rows, step) => {
          const m = concreteRows(
            logits as tf.Tensor2D,
            gumbelNoise(k * G, () => noise.uniform()),
            temperature(step, schedule),
          );
          const xb = tf.tensor2d(batch(rows), [rows.length, G]);
          // <m_i, x> for every row i: x M^T (a matmul; wasm has no gradient for gather).
          const encoded = matMulFast(xb, tf.transpose(m));
          return loss(
            net.forward(encoded, undefined, drop.int(2 ** 31)),
            xb,
            targets?.fit ?? null,
            rows,
          );
        },
        // Validation with the test-time selection (the one-hot rows of the argmax); the best
        // epoch's weights are kept.
        onEpochEnd: (epoch) => {
          if (!monitored(temperature(epoch * stepsPerEpoch, schedule), schedule)) {
            return { monitor: null };
          }
          const monitor = tf.tidy(() => {
            const xv = tf.tensor2d(xVal, [val.nCells, G]);
            const m = hardRows(logits.dataSync() as Float32Array, k, G);
            const out = net.forward(matMulFast(xv, tf.transpose(m)));
            return loss(out, xv, targets?.val ?? null, valRows).dataSync()[0];
          });
          return { monitor };
        },
      });
      probs = softmaxRows(logits.dataSync(), k, G);
      meanMax = 0;
      for (let i = 0; i < k; i++) {
        let m = 0;
        for (let j = 0; j < G; j++) m = Math.max(m, probs[i * G + j]);
        meanMax += m / k;
      }
      runs.push({
        epochs: run.epochs,
        bestEpoch: run.best?.epoch ?? run.epochs,
        valLoss: run.best?.monitor ?? NaN,
        meanMax,
        selectorLr,
      });
    } finally {
      logits.dispose();
      net.dispose();
    }
    if (meanMax >= CONVERGED) break;
    epochs *= 2;
  }

  const picks = distinctRowArgmax(probs, k, G);
  const notes: string[] = [];
  if (picks.duplicates) {
    notes.push(
      `${picks.duplicates} selector row(s) shared their argmax gene with a surer row and took ` +
        `their next-best free gene`,
    );
  }
  if (meanMax < CONVERGED) {
    notes.push(
      `selector not converged: mean max softmax ${meanMax.toFixed(3)} < ${CONVERGED} ` +
        `(more epochs or maxRetrains would sharpen it)`,
    );
  }
  return {
    method,
    k,
    genes: Array.from(picks.columns, (j) => genes[j]),
    scores: Array.from(picks.weights),
    params: {
      ...(task ? { task } : {}),
      candidates: G,
      hidden,
      activation: "leakyRelu(0.2)",
      dropout,
      lr,
      batchSize,
      epochs: runs.map((r) => r.epochs),
      tau0,
      tauEnd,
      maxRetrains,
      runs,
      meanMaxSoftmax: meanMax,
      converged: meanMax >= CONVERGED,
      duplicatesResolved: picks.duplicates,
      seed,
      nFit: fit.nCells,
      nVal: val.nCells,
    },
    fitSeconds: (performance.now() - started) / 1000,
    notes,
  };
}
