/**
 * Layers as plain tfjs variables (not tf.layers, so that forward passes, panel-only inference and
 * weight files stay explicit): seeded Glorot initialisation, dense layers, a dense network, a
 * matrix product with a fast gradient on wasm, and minibatch rows as tensors.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { takeRows } from "../data/transform.ts";
import type { Rng } from "../runtime/rng.ts";

/**
 * Initial values of a rows x cols matrix from the seeded RNG (deterministic per seed): Glorot
 * uniform (dense layers), or Glorot normal (sd sqrt(2 / (rows + cols)), untruncated).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../runtime/rng.ts";
 * const w = glorot(3, 5, new Rng(0));
 * assert.equal(w.length, 15);
 * assert.ok(w.every((v) => Math.abs(v) <= Math.sqrt(6 / 8)));
 * ```
 */
export function glorot(
  rows: number,
  cols: number,
  rng: Rng,
  dist: "uniform" | "normal" = "uniform",
): Float32Array {
  const n = rows * cols;
  if (dist === "normal") {
    const sd = Math.sqrt(2 / (rows + cols));
    return Float32Array.from({ length: n }, () => rng.normal(0, sd));
  }
  const limit = Math.sqrt(6 / (rows + cols));
  return Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * limit);
}

/** A dense layer's weights [rows x cols] and bias [cols]. */
export interface Dense {
  W: tf.Variable;
  b: tf.Variable;
}

/** A dense layer rows -> cols: Glorot-uniform weights, zero bias, variables `${name}/W` and `/b`. */
export function dense(rows: number, cols: number, rng: Rng, name: string): Dense {
  return {
    W: variable(tf.tensor2d(glorot(rows, cols, rng), [rows, cols]), `${name}/W`),
    b: variable(tf.zeros([cols]), `${name}/b`),
  };
}

/** A variable from an initial value; the initial tensor is freed (tf.variable keeps it alive). */
export function variable(initial: tf.Tensor, name: string, trainable = true): tf.Variable {
  const v = tf.variable(initial, trainable, name);
  initial.dispose();
  return v;
}

/**
 * a b, with the gradient taken through explicit transposes: the wasm backend's matMul with a
 * transposed operand, which tf.matMul's own gradient uses, is about 8x slower (2.2 vs 0.36 ms for
 * 128 x 128 x 128), and made a training step 8 ms instead of 2.8 ms.
 */
export function matMulFast(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return matMulTransposedGrad(a, b) as tf.Tensor2D;
}

const matMulTransposedGrad = tf.customGrad(
  ((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor2D, [sa, sb]: tf.Tensor2D[]) => [
        tf.matMul(dy, tf.transpose(sb)),
        tf.matMul(tf.transpose(sa), dy),
      ],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0],
);

/**
 * x w for data `x` (no gradient flows to it): the backward pass makes only x^T dy, one matrix
 * product where {@link matMulFast} makes two.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { matMulData } from "./layers.ts";
 * const x = tf.tensor2d([[1, 2], [3, 4]]), w = tf.tensor2d([[1], [1]]);
 * const g = tf.grad((w: tf.Tensor) => tf.sum(matMulData(x, w as tf.Tensor2D)))(w);
 * assert.deepEqual([...g.dataSync()], [4, 6]); // column sums of x
 * ```
 */
export function matMulData(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const product = tf.customGrad(
    ((weights: tf.Tensor2D, save: tf.GradSaveFunc) => {
      // saved, so the forward pass's scope keeps x for the backward pass
      save([x]);
      return {
        value: tf.matMul(x, weights),
        gradFunc: (dy: tf.Tensor2D, [sx]: tf.Tensor2D[]) => [tf.matMul(tf.transpose(sx), dy)],
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return product(w) as tf.Tensor2D;
}

// tfjs variable names are global: every network gets its own prefix.
let mlpCount = 0;

/**
 * A dense network widths[0] -> ... -> widths.at(-1), activation between layers, linear output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../runtime/rng.ts";
 * const net = new Mlp([3, 8, 2], new Rng(0));
 * const out = tf.tidy(() => net.forward(tf.ones([5, 3])));
 * assert.deepEqual(out.shape, [5, 2]);
 * assert.equal(net.variables.length, 4);
 * tf.dispose(out);
 * net.dispose();
 * ```
 */
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
