/**
 * The one minibatch training loop every network here uses (YOTO, STG, CAE, PERSIST, the
 * downstream MLP, the masked autoencoder): shuffled batches each epoch, the loss of a batch
 * built inside a gradient tape, one Adam step per batch for each group of variables, and after
 * each epoch a callback whose monitored value drives early stopping by patience and the
 * best-weight restore; a progress line per epoch; the event loop runs between epochs.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Progress } from "../runtime/progress.ts";
import type { Rng } from "../runtime/rng.ts";

/** Variables trained by one Adam optimiser (betas 0.9 / 0.999) that lives for one run. */
export interface ParamGroup {
  variables: tf.Variable[];
  /** Learning rate, or its value at each (0-based) step: a schedule. */
  lr: number | ((step: number) => number);
  /** Adam epsilon [tfjs's default]. */
  epsilon?: number;
  /**
   * Decoupled weight decay (AdamW): after each Adam step, v <- v (1 - lr x rate) for these
   * variables (a subset of the group's).
   */
  weightDecay?: { rate: number; variables: tf.Variable[] };
}

/** What {@link fitNet} tells `onEpochEnd`. */
export interface EpochLogs {
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Optimiser steps so far. */
  steps: number;
  /** Seconds this epoch took. */
  seconds: number;
}

/** What `onEpochEnd` answers. */
export interface EpochEnd {
  /** Monitored value, lower = better; null = not monitored (yet), e.g. while a temperature is high. */
  monitor: number | null;
  /** Compared when two monitors are equal (lower = better), e.g. a loss behind an F1 score. */
  tieBreak?: number;
  /** Stop after this epoch. */
  stop?: boolean;
  /** Progress line of this epoch [label, epoch, loss, monitor, seconds per epoch]. */
  line?: string;
}

/** One training run of {@link fitNet}. */
export interface FitNetOptions {
  /** Progress label. */
  label: string;
  /** Most epochs to run. */
  epochs: number;
  /** Fitting cells (rows 0..nFit-1) and the minibatch size. */
  nFit: number;
  batchSize: number;
  /** Shuffles the fitting cells each epoch. */
  rng: Rng;
  /** Trained variables, each group with its own optimiser. */
  groups: ParamGroup[];
  /**
   * Loss of one minibatch (`rows` = fitting cells) at optimiser step `step` (0-based; for
   * schedules such as a temperature), built inside the gradient tape.
   */
  loss(rows: Int32Array, step: number): tf.Scalar;
  /** After each epoch (1-based): the monitored value [none: nothing monitored]. */
  onEpochEnd?(epoch: number, logs: EpochLogs): EpochEnd;
  /**
   * Stop once this many epochs passed since the best monitored one [Infinity]. Counting starts
   * at the first monitored epoch, or at epoch 0 when there is a `baseline`.
   */
  patience?: number;
  /** A monitor must be below this to count as best [none: the first monitored epoch counts]. */
  baseline?: number;
  /** Variables saved at the best epoch and restored at the end [the groups' variables]. */
  checkpoint?: tf.Variable[];
  quiet?: boolean;
  /** Seconds between progress-bar lines off a terminal [Progress's default]. */
  lineEverySeconds?: number;
}

/** What {@link fitNet} did. */
export interface FitNetResult {
  /** Epochs run. */
  epochs: number;
  /** The best monitored epoch, whose weights the variables now hold; null when none counted. */
  best: { epoch: number; monitor: number } | null;
}

/**
 * Train: per epoch a fresh shuffle of the fitting cells into batches, per batch one optimiser
 * step per group on the gradient of `loss`, then `onEpochEnd`. The best epoch (lowest monitor,
 * ties broken by `tieBreak`) is remembered; training stops early by patience or on `stop`, and
 * the best epoch's weights are restored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../runtime/rng.ts";
 * const w = tf.variable(tf.scalar(0));
 * const run = await fitNet({
 *   label: "toy", epochs: 50, nFit: 8, batchSize: 4, rng: new Rng(0), quiet: true,
 *   groups: [{ lr: 0.1, variables: [w] }],
 *   loss: () => tf.square(tf.sub(w, 3)) as tf.Scalar,
 *   onEpochEnd: () => ({ monitor: Math.abs(w.dataSync()[0] - 3) }),
 *   patience: 5,
 * });
 * assert.ok(Math.abs(w.dataSync()[0] - 3) < 0.1);
 * assert.equal(run.best!.monitor, Math.abs(w.dataSync()[0] - 3));
 * w.dispose();
 * ```
 */
export async function fitNet(options: FitNetOptions): Promise<FitNetResult> {
  const groups = options.groups.map((g) => ({
    ...g,
    optimizer: tf.train.adam(typeof g.lr === "number" ? g.lr : g.lr(0), 0.9, 0.999, g.epsilon),
  }));
  try {
    return await trainEpochs(options, groups);
  } finally {
    for (const g of groups) g.optimizer.dispose();
  }
}

async function trainEpochs(
  options: FitNetOptions,
  groups: (ParamGroup & { optimizer: tf.Optimizer })[],
): Promise<FitNetResult> {
  const { label, epochs, nFit, batchSize, patience = Infinity, baseline } = options;
  const variables = groups.flatMap((g) => g.variables);
  const checkpoint = options.checkpoint ?? variables;
  const stepsPerEpoch = Math.ceil(nFit / batchSize);
  const progress = new Progress(label, epochs, {
    quiet: options.quiet,
    lineEverySeconds: options.lineEverySeconds,
  });
  let best: { epoch: number; monitor: number; tieBreak: number; weights: Float32Array[] } | null =
    null;
  let step = 0, epoch = 0;
  const started = performance.now();
  while (epoch < epochs) {
    epoch++;
    const epochStart = performance.now();
    const order = options.rng.permutation(nFit);
    let lossSum = 0;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const rows = order.subarray(b * batchSize, (b + 1) * batchSize);
      const rates = groups.map((g) => (typeof g.lr === "number" ? g.lr : g.lr(step)));
      // Adam reads its (protected) rate at each step.
      groups.forEach((
        g,
        i,
      ) => ((g.optimizer as unknown as { learningRate: number }).learningRate = rates[i]));
      const { value, grads } = tf.variableGrads(() => options.loss(rows, step), variables);
      groups.forEach((g, i) => {
        g.optimizer.applyGradients(
          g.variables.map((v) => ({ name: v.name, tensor: grads[v.name] })),
        );
        const decay = g.weightDecay;
        if (decay && decay.rate > 0) {
          const factor = 1 - rates[i] * decay.rate;
          tf.tidy(() => decay.variables.forEach((v) => v.assign(tf.mul(v, factor))));
        }
      });
      lossSum += value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      step++;
    }
    const trainLoss = lossSum / stepsPerEpoch;
    const seconds = (performance.now() - epochStart) / 1000;
    const end = options.onEpochEnd?.(epoch, { loss: trainLoss, steps: step, seconds }) ??
      { monitor: null };
    const { monitor } = end, tieBreak = end.tieBreak ?? Infinity;
    const better = monitor !== null &&
      (best
        ? monitor < best.monitor || (monitor === best.monitor && tieBreak < best.tieBreak)
        : baseline === undefined || monitor < baseline);
    if (better) {
      best = {
        epoch,
        monitor,
        tieBreak,
        weights: checkpoint.map((v) => Float32Array.from(v.dataSync())),
      };
    }
    progress.tick(1);
    progress.log(
      end.line ??
        `${label} epoch ${epoch}/${epochs} loss ${trainLoss.toFixed(4)} val ${
          monitor?.toFixed(4) ?? "-"
        } ${((performance.now() - started) / 1000 / epoch).toFixed(2)} s/epoch`,
    );
    const counting = best !== null || baseline !== undefined;
    if (end.stop || (counting && epoch - (best?.epoch ?? 0) >= patience)) break;
    // Let the event loop run between epochs (notebook output, signals).
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (best && best.epoch !== epoch) {
    const weights = best.weights;
    tf.tidy(() => checkpoint.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape))));
  }
  return { epochs: epoch, best: best && { epoch: best.epoch, monitor: best.monitor } };
}
