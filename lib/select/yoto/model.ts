/**
 * A trained YOTO model: the panel, the network, the preprocessing learned on train, and
 * prediction that reads only the k panel genes of a dataset (matched by name). Saving and
 * loading: saveYoto / loadYoto (save.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../../data/dataset.ts";
import { argmaxRows } from "../../metrics/classification.ts";
import type { EpochRecord, Panel, TaskPrediction } from "../panel.ts";
import { headWidth, type NetConfig, type TaskSpec, YotoNet } from "./net.ts";
import type { Relaxation } from "../../nn/relax.ts";
import { rectifiedTanh } from "../../nn/losses.ts";
import { applyInput, type InputTransform } from "../../data/transform.ts";
import { logisticProbabilities } from "../../nn/logistic.ts";

// The record lives beside TrainingSummary, which carries it; exported here as before.
export type { EpochRecord };

/** Everything that defines a YOTO model besides its weights (JSON). */
export interface YotoSpec {
  k: number;
  net: NetConfig;
  relaxation: Relaxation;
  transform: InputTransform;
  /** Candidates are ordered free (chosen among by the selector), forced, then excluded. */
  nFree: number;
  nForced: number;
  seed: number;
  /** Options the model was trained with (for provenance). */
  options: Record<string, unknown>;
  /**
   * Classification heads refitted after selection as logistic regression on the panel
   * (YotoOptions.heads "logistic"); they replace the network's heads in predict.
   */
  linearHeads?: LinearHeads;
}

/** Logistic-regression heads: softmax(W x + b) over the panel genes. */
export interface LinearHeads {
  /** Their input: the panel genes (panel order) fitted on the training cells as the LR evaluator. */
  input: InputTransform;
  /** Per classification task: W [classes x k] row-major, then the classes' intercepts b. */
  params: Record<string, number[]>;
}

/**
 * What training recorded (saved as `metrics.json` in snake_case, the history as `history.json`).
 * A model loaded without those files has an empty history and zeros ({@link NO_METRICS}).
 */
export interface YotoMetrics {
  /** One record per epoch. */
  history: EpochRecord[];
  /** The epoch whose weights were kept. */
  bestEpoch: number;
  trainSeconds: number;
  /** Training and validation cells. */
  nTrain: number;
  nVal: number;
  /** Anything else a caller stored (e.g. the CLI's test metrics). */
  [key: string]: unknown;
}

/** The metrics of a model whose training was not recorded. */
export const NO_METRICS: Readonly<YotoMetrics> = {
  history: [],
  bestEpoch: 0,
  trainSeconds: 0,
  nTrain: 0,
  nVal: 0,
};

/** Options of prediction. */
export interface PredictOptions {
  /**
   * Per-cell library totals (raw counts over all genes). Given, only the panel genes are read;
   * otherwise totals are summed over every gene of the dataset (needs the full profile).
   */
  libraryTotals?: ArrayLike<number>;
  /** Cells per forward pass (default 4096). */
  batchSize?: number;
}

/** A trained YOTO model. */
export class YotoModel {
  /**
   * @param spec what the model is (JSON)
   * @param net the trained network
   * @param scores the selector's final score per free candidate
   * @param panel the k genes (forced first, then by score)
   * @param metrics training history and evaluation, for metrics.json
   */
  constructor(
    readonly spec: YotoSpec,
    readonly net: YotoNet,
    readonly scores: Float32Array,
    readonly panel: Panel,
    readonly metrics: YotoMetrics = { ...NO_METRICS, history: [] },
  ) {}

  /** The tasks the model predicts. */
  get tasks(): TaskSpec[] {
    return this.spec.net.tasks;
  }

  /** Candidate indices of the panel genes, in panel order. */
  panelColumns(): Int32Array {
    const index = new Map(this.spec.transform.genes.map((g, i) => [g, i]));
    return Int32Array.from(this.panel.genes, (g) => index.get(g)!);
  }

  /**
   * Predict every task for the cells of `ds`. Panel genes are matched by name (any gene order,
   * extra genes ignored); missing panel genes are a MissingFieldError naming them (selectGenes).
   */
  predict(ds: Dataset, options: PredictOptions = {}): TaskPrediction[] {
    const { genes } = this.panel, totals = options.libraryTotals;
    const heads = this.spec.linearHeads;
    const xHeads = heads ? applyInput(ds, heads.input, genes, totals) : undefined;
    // the network runs only for the tasks without a logistic head
    const x = this.tasks.every((t) => heads?.params[t.name])
      ? null
      : applyInput(ds, this.spec.transform, genes, totals);
    return this.predictInput(x, ds.nCells, this.panelColumns(), options.batchSize, xHeads);
  }

  /**
   * Predictions from already transformed panel-gene input [n x k] (panel order; null: no task
   * needs the network); `xHeads`: the same cells under the logistic heads' input, when the model
   * has them.
   */
  predictInput(
    x: Float32Array | null,
    n: number,
    cols: Int32Array,
    batchSize = 4096,
    xHeads?: Float32Array,
  ): TaskPrediction[] {
    const k = cols.length;
    const outputs = this.tasks.map((t) => new Float32Array(n * headWidth(t, this.spec.net.nGenes)));
    const firstLayer = tf.tidy(() =>
      tf.gather(this.net.encoder[0].W, tf.tensor1d(cols, "int32")) as tf.Tensor2D
    );
    try {
      for (let start = 0; x && start < n; start += batchSize) {
        const end = Math.min(n, start + batchSize);
        const results = tf.tidy(() => {
          const xb = tf.tensor2d(x.subarray(start * k, end * k), [end - start, k]);
          return this.net.forward(xb, false, null, firstLayer).map((out, t) => {
            const task = this.tasks[t];
            if (task.kind === "classification") return tf.softmax(out);
            return task.loss === "poisson"
              ? rectifiedTanh(out, task.ceiling ?? this.spec.transform.targetSum!)
              : out;
          });
        });
        results.forEach((r, t) => {
          outputs[t].set(r.dataSync(), start * (r.shape[1] as number));
          r.dispose();
        });
      }
    } finally {
      firstLayer.dispose();
    }
    return this.tasks.map((task, t) => {
      if (task.kind === "classification") {
        const head = xHeads && this.spec.linearHeads?.params[task.name];
        const probs = head
          ? logisticProbabilities(Float64Array.from(head), task.classes!.length, xHeads, n)
          : outputs[t];
        const best = argmaxRows(probs, n, task.classes!.length);
        const labels = Array.from(best, (c) => task.classes![c]);
        return {
          task: task.name,
          kind: task.kind,
          labels,
          classes: task.classes,
          probabilities: probs,
        };
      }
      if (task.kind === "regression") {
        const values = outputs[t].map((v) => v * task.sd! + task.mean!);
        return { task: task.name, kind: task.kind, values };
      }
      return { task: task.name, kind: task.kind, values: outputs[t] };
    });
  }

  /** Free the network's tensors. */
  dispose(): void {
    this.net.dispose();
  }
}
