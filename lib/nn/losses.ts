/**
 * Losses: cross-entropy over the labelled rows, and the Poisson reconstruction objective of
 * docs/methods.md §5.1/§5.3 (TxFM): outputs pass through the rectified tanh
 * phi(z) = ln(L+1) * relu(tanh(z / 4e)), which bounds predictions to the range of log1p(counts
 * scaled to L), and the loss is the Poisson negative log-likelihood in log space,
 * exp(xhat) - xhat * exp(x), averaged over cells and genes.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * phi(z) = ln(L+1) * relu(tanh(z / (4e))): values in [0, ln(L+1)).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rectifiedTanh } from "./losses.ts";
 * import * as tf from "@tensorflow/tfjs";
 * const y = rectifiedTanh(tf.tensor1d([-1, 1, 5]), 1e5).dataSync();
 * assert.equal(y[0], 0);
 * assert.ok(Math.abs(y[1] - 1.05587) < 1e-4);
 * assert.ok(Math.abs(y[2] - 4.95012) < 1e-4);
 * ```
 */
export function rectifiedTanh<T extends tf.Tensor>(z: T, targetSum: number): T {
  return tf.tidy(() => tf.mul(tf.relu(tf.tanh(tf.div(z, 4 * Math.E))), Math.log1p(targetSum)));
}

/** Mean over all entries of exp(xhat) - xhat * exp(x) (x, xhat: log1p scale). */
export function poissonLoss(xhat: tf.Tensor, x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(tf.exp(xhat), tf.mul(xhat, tf.exp(x)))));
}

/** Mean Poisson deviance 2[e^x (x - xhat) - e^x + e^xhat]: >= 0, 0 only at xhat = x. */
export function poissonDeviance(xhat: tf.Tensor, x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const ex = tf.exp(x);
    return tf.mul(tf.mean(tf.add(tf.sub(tf.mul(ex, tf.sub(x, xhat)), ex), tf.exp(xhat))), 2);
  });
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
