/**
 * Relaxations of discrete choices for gradient training (docs/methods.md §1.2-1.3, §2.6): Gumbel
 * noise, the Gumbel-softmax (concrete) rows of a selector, Gumbel-perturbed Plackett-Luce scores
 * relaxed with NeuralSort (first k rows, via the O(G log G) row-sum identity, never a G x G
 * matrix) or SoftSort and hardened with a straight-through exact-k mask, and the temperature
 * schedule they anneal on.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The relaxed top-k permutations (rows of a relaxed sort). */
export type Relaxation = "neuralsort" | "softsort";

/**
 * NeuralSort's per-gene cost c_j = sum_l |s_j - s_l| by the identity
 * c_j = s_j (2 r_j - G - 2) + S - 2 Pre_j (r_j = 1-based ascending position, Pre_j = sum of the
 * values before it). O(G log G), exact with ties. Returns the ascending order for the backward.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { neuralSortCost } from "./relax.ts";
 * const { cost } = neuralSortCost([3, 1, 2]);
 * assert.equal(cost[0], 3);
 * assert.equal(cost[1], 3);
 * assert.equal(cost[2], 2);
 * ```
 */
export function neuralSortCost(s: ArrayLike<number>): { cost: Float64Array; order: Int32Array } {
  const g = s.length;
  const order = Int32Array.from({ length: g }, (_, i) => i).sort((a, b) => s[a] - s[b] || a - b);
  let total = 0;
  for (let i = 0; i < g; i++) total += s[i];
  const cost = new Float64Array(g);
  let pre = 0;
  for (let pos = 0; pos < g; pos++) {
    const j = order[pos];
    cost[j] = s[j] * (2 * (pos + 1) - g - 2) + total - 2 * pre;
    pre += s[j];
  }
  return { cost, order };
}

/**
 * Backward of {@link neuralSortCost}: given u = dL/dc and the ascending order, returns dL/ds with
 * dL/ds_m = u_m (2 r_m - G) + 2 PreU_m - U (PreU_m = sum of u before m in the order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { neuralSortCost, neuralSortCostBackward } from "./relax.ts";
 * const { order } = neuralSortCost([3, 1, 2]);
 * const grad = neuralSortCostBackward([1, 0, 0], order);
 * assert.equal(grad[0], 2);
 * assert.equal(grad[1], -1);
 * assert.equal(grad[2], -1);
 * ```
 */
export function neuralSortCostBackward(u: ArrayLike<number>, order: Int32Array): Float64Array {
  const g = order.length;
  let total = 0;
  for (let i = 0; i < g; i++) total += u[i];
  const grad = new Float64Array(g);
  let pre = 0;
  for (let pos = 0; pos < g; pos++) {
    const m = order[pos];
    grad[m] = u[m] * (2 * (pos + 1) - g) + 2 * pre - total;
    pre += u[m];
  }
  return grad;
}

/** c(s) as a tfjs op whose gradient is the identity's backward (both in float64 on the host). */
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

const costOp = tf.customGrad(
  ((s: tf.Tensor) => {
    const { cost, order } = neuralSortCost(s.dataSync());
    return {
      value: tf.tensor1d(Float32Array.from(cost)),
      gradFunc: (dy: tf.Tensor) =>
        tf.tensor1d(Float32Array.from(neuralSortCostBackward(dy.dataSync(), order))),
    };
  }) as CustomGradFn,
) as (s: tf.Tensor1D) => tf.Tensor1D;

/**
 * The first k rows of the relaxed permutation matrix, [k, G], each row a softmax over genes.
 * NeuralSort: row i = softmax(((G + 1 - 2i) s_j - c_j) / tau); SoftSort: softmax(-|s_(i) - s_j| / tau).
 */
export function relaxedRows(
  sTilde: tf.Tensor1D,
  k: number,
  tau: number,
  relaxation: Relaxation = "neuralsort",
): tf.Tensor2D {
  return tf.tidy(() => {
    const g = sTilde.shape[0];
    let logits: tf.Tensor2D;
    if (relaxation === "neuralsort") {
      const coef = tf.tensor1d(Float32Array.from({ length: k }, (_, i) => g + 1 - 2 * (i + 1)));
      logits = tf.sub(tf.outerProduct(coef, sTilde), costOp(sTilde).expandDims(0));
    } else {
      // s~_(i) by a one-hot product: wasm has no gradient for gather.
      const top = topKIndices(sTilde.dataSync(), k);
      const pick = new Float32Array(k * g);
      top.forEach((j, i) => (pick[i * g + j] = 1));
      const sorted = tf.matMul(tf.tensor2d(pick, [k, g]), sTilde.expandDims(1)).reshape([k]);
      logits = tf.neg(tf.abs(tf.sub(sorted.expandDims(1), sTilde.expandDims(0))));
    }
    return tf.exp(tf.logSoftmax(tf.div(logits, tau), 1)) as tf.Tensor2D;
  });
}

/**
 * Indices of the k largest values, best first; ties go to the lower index (deterministic).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { topKIndices } from "./relax.ts";
 * assert.equal(topKIndices([0.1, 0.5, 0.5, 0.2], 2).join(), "1,2");
 * ```
 */
export function topKIndices(values: ArrayLike<number>, k: number): Int32Array {
  const idx = Int32Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b] - values[a] || a - b);
  return idx.slice(0, k);
}

/** Identity forward, zero gradient: a tfjs stop-gradient. */
const stopGradient = tf.customGrad(
  ((x: tf.Tensor) => ({
    value: x.clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as CustomGradFn,
) as <T extends tf.Tensor>(x: T) => T;

/** One draw of the selector's mask. */
export interface MaskSample {
  /** Straight-through mask [G]: exactly k-hot forward, the soft mask's gradient backward. */
  mask: tf.Tensor1D;
  /** The relaxed mask [G] (sums to k). */
  soft: tf.Tensor1D;
  /** The k genes of the hard mask (top-k of the perturbed scores), best first. */
  hard: Int32Array;
}

/**
 * Sample a relaxed top-k mask from scores: s~ = s + gumbel (centred), rows by the relaxation,
 * soft mask = sum of the k rows, hard mask = top-k of s~ (what each row's argmax picks when
 * there are no ties), combined straight-through. `gumbel` null = no noise (evaluation).
 */
export function sampleMask(
  scores: tf.Tensor1D,
  k: number,
  tau: number,
  gumbel: Float32Array | null,
  relaxation: Relaxation = "neuralsort",
): MaskSample {
  const hardBox: { idx: Int32Array } = { idx: new Int32Array(0) };
  const [mask, soft] = tf.tidy(() => {
    let sTilde = gumbel ? tf.add(scores, tf.tensor1d(gumbel)) : scores;
    sTilde = tf.sub(sTilde, tf.mean(sTilde)) as tf.Tensor1D;
    const soft = tf.sum(relaxedRows(sTilde as tf.Tensor1D, k, tau, relaxation), 0) as tf.Tensor1D;
    hardBox.idx = topKIndices(sTilde.dataSync(), k);
    const hard = new Float32Array(scores.shape[0]);
    for (const j of hardBox.idx) hard[j] = 1;
    const mask = tf.add(tf.tensor1d(hard), tf.sub(soft, stopGradient(soft))) as tf.Tensor1D;
    return [mask, soft];
  });
  return { mask, soft, hard: hardBox.idx };
}

/** Gumbel noise for G scores from uniforms clamped to [1e-10, 1 - 1e-10]. */
export function gumbelNoise(g: number, uniform: () => number): Float32Array {
  const out = new Float32Array(g);
  for (let j = 0; j < g; j++) {
    const u = Math.min(1 - 1e-10, Math.max(1e-10, uniform()));
    out[j] = -Math.log(-Math.log(u));
  }
  return out;
}

/** Temperature at a step: from tau0 to tauEnd over `annealSteps`, then held. */
export function temperature(
  step: number,
  schedule: { tau0: number; tauEnd: number; annealSteps: number; kind: "exponential" | "linear" },
): number {
  const t = Math.min(1, step / Math.max(1, schedule.annealSteps));
  return schedule.kind === "exponential"
    ? schedule.tau0 * Math.pow(schedule.tauEnd / schedule.tau0, t)
    : schedule.tau0 + (schedule.tauEnd - schedule.tau0) * t;
}

/**
 * Whether validation is monitored at temperature `tau`: once it is below the geometric midpoint
 * of the schedule. Before, the network sees blurred selections and the loss of the argmax panel
 * says little about the panel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(monitored(2, { tau0: 10, tauEnd: 0.1 }), false);
 * assert.equal(monitored(0.5, { tau0: 10, tauEnd: 0.1 }), true);
 * ```
 */
export function monitored(tau: number, schedule: { tau0: number; tauEnd: number }): boolean {
  return tau <= Math.sqrt(schedule.tau0 * schedule.tauEnd);
}

/**
 * Concrete (Gumbel-softmax) rows of a selector: softmax((logits + gumbel) / tau) along the last
 * axis, e.g. k x G rows of logits [k, G]. `gumbel` has the logits' shape, or `noiseShape` when
 * it broadcasts them (one draw per cell: logits [1, k, G], noise [n, k, G]); null = no noise.
 */
export function concreteRows<T extends tf.Tensor>(
  logits: T,
  gumbel: Float32Array | null,
  tau: number,
  noiseShape: number[] = logits.shape,
): T {
  return tf.tidy(() => {
    const noisy = gumbel ? tf.add(logits, tf.tensor(gumbel, noiseShape)) : logits;
    return tf.softmax(tf.div(noisy, tau)) as T;
  });
}
