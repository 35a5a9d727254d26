/**
 * The common downstream MLP (docs/methods.md §1.8): [128, 128] ReLU, softmax output, Adam 1e-3,
 * minibatches of 128, early stopping on validation loss with the best weights restored: an Mlp
 * of lib/nn/ trained by its fit loop.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { stratifiedSplit } from "../data/split.ts";
import { OptionError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";
import { takeRows } from "../data/transform.ts";
import { fitNet } from "../nn/fit.ts";
import { Mlp, rowsTensor } from "../nn/layers.ts";

/** Labelled rows: x [n x d], y class codes (-1 = no label). */
export interface LabelledRows {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** Options of {@link fitMlp}; defaults in brackets. */
export interface MlpOptions {
  /** Hidden widths [[128, 128]]. */
  hidden?: number[];
  /** Adam learning rate [1e-3]. */
  learningRate?: number;
  /** Minibatch size [128]. */
  batchSize?: number;
  /** Epochs at most [100]. */
  maxEpochs?: number;
  /** Epochs without a lower validation loss before stopping [10]. */
  patience?: number;
}

/** One epoch of MLP training. */
export interface MlpEpoch {
  epoch: number;
  /** Mean training cross-entropy over the epoch's minibatches. */
  loss: number;
  /** Mean cross-entropy over the labelled validation rows. */
  valLoss: number;
}

/** A fitted MLP classifier; holds tfjs variables until `dispose()`. */
export interface MlpModel {
  /** The epoch whose weights were kept (lowest validation loss). */
  bestEpoch: number;
  history: MlpEpoch[];
  /** Class probabilities [n x nClasses] of rows `x` [n x d]. */
  predictProba(x: Float32Array, n: number): Float32Array;
  dispose(): void;
}

function oneHot(y: ArrayLike<number>, rows: ArrayLike<number>, nClasses: number): Float32Array {
  const out = new Float32Array(rows.length * nClasses);
  for (let r = 0; r < rows.length; r++) out[r * nClasses + y[rows[r]]] = 1;
  return out;
}

/** Mean cross-entropy of the labelled rows; each chunk's tensors are freed. */
function meanLoss(net: Mlp, data: LabelledRows, d: number, nClasses: number): number {
  const labelled = Int32Array.from(data.y.keys()).filter((i) => data.y[i] >= 0);
  let total = 0;
  for (let start = 0; start < labelled.length; start += 4096) {
    const rows = labelled.subarray(start, start + 4096);
    total += tf.tidy(() => {
      const target = tf.tensor2d(oneHot(data.y, rows, nClasses), [rows.length, nClasses]);
      const logp = tf.logSoftmax(net.forward(rowsTensor(data.x, d, rows)));
      return -tf.sum(tf.mul(target, logp)).dataSync()[0];
    });
  }
  return total / labelled.length;
}

/**
 * Train the downstream MLP on rows `x` [n x d] with classes `y` in [0, nClasses) (taken as
 * checked; see `fitClassifier`). Early stopping watches `validation` (labels -1 ignored), or a
 * stratified 15% of the given rows when there is none. Same seed, same model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "yoto";
 * import { fitMlp } from "./mlp.ts";
 * await initBackend("wasm");
 * const x = Float32Array.from({ length: 60 }, (_, i) => (i % 2 ? 1 : -1) + (i % 7) / 10);
 * const y = Int32Array.from({ length: 60 }, (_, i) => i % 2);
 * const model = await fitMlp(x, 60, 1, y, 2, { seed: 0, hidden: [8], maxEpochs: 20 });
 * assert.ok(model.predictProba(Float32Array.from([2]), 1)[1] > 0.5);
 * model.dispose();
 * ```
 */
export async function fitMlp(
  x: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  nClasses: number,
  options: MlpOptions & { seed?: number; validation?: LabelledRows } = {},
): Promise<MlpModel> {
  await tf.ready();
  const rng = new Rng(options.seed ?? 0);
  let train: LabelledRows = { x, y, n }, val = options.validation;
  if (!val) {
    const split = stratifiedSplit(y.slice(0, n), {
      train: 0.85,
      val: 0.15,
      test: 0,
      seed: options.seed ?? 0,
    });
    train = {
      x: takeRows(x, d, split.train),
      y: Int32Array.from(split.train, (i) => y[i]),
      n: split.train.length,
    };
    val = {
      x: takeRows(x, d, split.val),
      y: Int32Array.from(split.val, (i) => y[i]),
      n: split.val.length,
    };
  }
  if (!val.y.some((c) => c >= 0)) {
    throw new OptionError("no labelled validation cells for early stopping", {
      field: "validation",
      fix: "pass validation cells with labels, or more training cells",
    });
  }
  const net = new Mlp([d, ...(options.hidden ?? [128, 128]), nClasses], rng.fork("init"));
  const history: MlpEpoch[] = [];
  let bestEpoch: number;
  try {
    const run = await fitNet({
      label: "mlp",
      epochs: options.maxEpochs ?? 100,
      nFit: train.n,
      batchSize: Math.min(options.batchSize ?? 128, train.n),
      rng: rng.fork("batches"),
      groups: [{ lr: options.learningRate ?? 1e-3, variables: net.variables }],
      loss: (rows) => {
        const target = tf.tensor2d(oneHot(train.y, rows, nClasses), [rows.length, nClasses]);
        const logp = tf.logSoftmax(net.forward(rowsTensor(train.x, d, rows)));
        return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), 1))) as tf.Scalar;
      },
      onEpochEnd: (epoch, { loss }) => {
        const valLoss = meanLoss(net, val, d, nClasses);
        history.push({ epoch, loss, valLoss });
        return { monitor: valLoss };
      },
      patience: options.patience ?? 10,
      // A diverged run (no finite validation loss) keeps its last weights.
      baseline: Infinity,
      quiet: true,
    });
    bestEpoch = run.best?.epoch ?? 0;
  } catch (err) {
    net.dispose();
    throw err;
  }
  return {
    bestEpoch,
    history,
    predictProba(xs: Float32Array, m: number): Float32Array {
      const out = new Float32Array(m * nClasses);
      for (let start = 0; start < m; start += 4096) {
        const end = Math.min(m, start + 4096);
        const probs = tf.tidy(() => {
          const xb = tf.tensor2d(xs.subarray(start * d, end * d), [end - start, d]);
          return tf.softmax(net.forward(xb));
        });
        out.set(probs.dataSync(), start * nClasses);
        probs.dispose();
      }
      return out;
    },
    dispose: () => net.dispose(),
  };
}
