/**
 * The YOTO network as plain tfjs variables (lib/nn/layers.ts): a shared MLP encoder over the
 * masked input, optional batch norm, and one head per task.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Dense, dense, matMulData, matMulFast, variable } from "../../nn/layers.ts";
import type { Rng } from "../../runtime/rng.ts";

/** Activation functions of the encoder. */
export type Activation = "relu" | "elu" | "tanh" | "gelu";

/** A prediction target. */
export interface TaskSpec {
  /** obs column, or "reconstruction". */
  name: string;
  kind: "classification" | "regression" | "reconstruction";
  /** Class labels (classification). */
  classes?: string[];
  /** Train mean and sd of the target (regression; the head predicts standardised values). */
  mean?: number;
  sd?: number;
  /**
   * Reconstruction loss: "mse" on the z-scored input, or "poisson" on log1p values through the
   * rectified tanh (docs/methods.md §5.3); predictions are then on the log1p scale.
   */
  loss?: "mse" | "poisson";
  /**
   * Poisson reconstruction: predictions are bounded by log1p(ceiling), the largest value the
   * input can take (absent in older models: the transform's targetSum).
   */
  ceiling?: number;
  /** Loss weight. */
  weight: number;
}

/** Shapes and choices of the network. */
export interface NetConfig {
  /** Candidate genes (input width G). */
  nGenes: number;
  hidden: number[];
  activation: Activation;
  dropout: number;
  batchNorm: boolean;
  tasks: TaskSpec[];
}

interface BatchNorm {
  gamma: tf.Variable;
  beta: tf.Variable;
  /** Moving statistics (not trained; updated during training). */
  mean: tf.Variable;
  variance: tf.Variable;
}

/** Output width of a task's head. */
export function headWidth(task: TaskSpec, nGenes: number): number {
  if (task.kind === "classification") return task.classes!.length;
  return task.kind === "regression" ? 1 : nGenes;
}

// tfjs variable names are global: every network gets its own prefix.
let netCount = 0;

/** The network's variables and forward pass. */
export class YotoNet {
  readonly encoder: Dense[];
  readonly norms: BatchNorm[];
  readonly heads: Dense[];
  /** Unique prefix of this network's variable names. */
  readonly prefix = `yoto${netCount++}`;

  constructor(readonly config: NetConfig, rng: Rng) {
    const p = this.prefix;
    const widths = [config.nGenes, ...config.hidden];
    this.encoder = config.hidden.map((_, l) =>
      dense(widths[l], widths[l + 1], rng, `${p}/encoder${l}`)
    );
    this.norms = config.batchNorm
      ? config.hidden.map((h, l) => ({
        gamma: variable(tf.ones([h]), `${p}/bn${l}/gamma`),
        beta: variable(tf.zeros([h]), `${p}/bn${l}/beta`),
        mean: variable(tf.zeros([h]), `${p}/bn${l}/mean`, false),
        variance: variable(tf.ones([h]), `${p}/bn${l}/variance`, false),
      }))
      : [];
    const last = widths[widths.length - 1];
    this.heads = config.tasks.map((t, i) =>
      dense(last, headWidth(t, config.nGenes), rng, `${p}/head${i}`)
    );
  }

  /** Trainable variables, in a fixed order. */
  trainable(): tf.Variable[] {
    return [
      ...this.encoder.flatMap((d) => [d.W, d.b]),
      ...this.norms.flatMap((n) => [n.gamma, n.beta]),
      ...this.heads.flatMap((d) => [d.W, d.b]),
    ];
  }

  /** Every variable (trainable and moving statistics), in a fixed order, for saving. */
  all(): tf.Variable[] {
    return [...this.trainable(), ...this.norms.flatMap((n) => [n.mean, n.variance])];
  }

  /**
   * Outputs per task for input rows `x` [n, width], which take no gradient (training masks the
   * first weight matrix instead). `firstLayer` overrides the first weight matrix (the masked W1
   * in training, the panel rows of W1 at panel-only inference). `dropoutSeed` non-null = training.
   */
  forward(
    x: tf.Tensor2D,
    training: boolean,
    dropoutSeed: number | null,
    firstLayer?: tf.Tensor2D,
  ): tf.Tensor2D[] {
    let h: tf.Tensor2D = x;
    this.encoder.forEach((layer, l) => {
      const product = l === 0
        ? matMulData(h, firstLayer ?? (layer.W as tf.Tensor2D))
        : matMulFast(h, layer.W);
      h = tf.add(product, layer.b);
      if (this.norms.length) h = this.#batchNorm(h, this.norms[l], training);
      h = activate(h, this.config.activation);
      if (training && this.config.dropout > 0 && dropoutSeed !== null) {
        h = tf.dropout(h, this.config.dropout, undefined, dropoutSeed + l) as tf.Tensor2D;
      }
    });
    return this.heads.map((head) => tf.add(matMulFast(h, head.W), head.b) as tf.Tensor2D);
  }

  #batchNorm(h: tf.Tensor2D, bn: BatchNorm, training: boolean): tf.Tensor2D {
    if (!training) {
      return tf.batchNorm(h, bn.mean, bn.variance, bn.beta, bn.gamma, 1e-3) as tf.Tensor2D;
    }
    const { mean, variance } = tf.moments(h, 0);
    // Moving statistics follow the batches (momentum 0.99), outside the gradient.
    tf.tidy(() => {
      bn.mean.assign(tf.add(tf.mul(bn.mean, 0.99), tf.mul(mean, 0.01)));
      bn.variance.assign(tf.add(tf.mul(bn.variance, 0.99), tf.mul(variance, 0.01)));
    });
    return tf.batchNorm(h, mean, variance, bn.beta, bn.gamma, 1e-3) as tf.Tensor2D;
  }

  dispose(): void {
    for (const v of this.all()) v.dispose();
  }
}

function activate(h: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case "relu":
      return tf.relu(h);
    case "elu":
      return tf.elu(h);
    case "tanh":
      return tf.tanh(h);
    case "gelu":
      // tanh approximation of GELU
      return tf.tidy(() =>
        tf.mul(
          tf.mul(h, 0.5),
          tf.add(
            1,
            tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(h, tf.mul(0.044715, tf.pow(h, 3))))),
          ),
        )
      ) as tf.Tensor2D;
  }
}
