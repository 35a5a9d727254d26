/**
 * Training the masked autoencoder (docs/methods.md §5.1): per cell and step K random visible
 * candidates, Poisson loss over all G genes, Adam with decoupled weight decay (AdamW), a
 * one-cycle schedule (linear warm-up, cosine decay to 0), seeded.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { OptionError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";
import { positiveInt } from "../select/_nn.ts";
import { fitNet } from "../nn/fit.ts";
import { rowsTensor } from "../nn/layers.ts";
import { type CandidateOptions, fitCandidates } from "../data/transform.ts";
import { poissonLoss } from "../nn/losses.ts";
import {
  log1pInput,
  type MaeConfig,
  type MaeEncoder,
  type MaeEpoch,
  MaeModel,
  MaeNet,
  type MaeTokens,
  tokensOf,
} from "./model.ts";

/** Options of {@link fitMae}; defaults in brackets. Candidates: top 2000 seurat HVGs on train. */
export interface MaeOptions extends CandidateOptions {
  /** L of log1p(counts / total * L) [the train median library size, as YOTO's Poisson head]. */
  targetSum?: number;
  /**
   * Fraction of the candidates hidden from each cell [0.75] (TxFM: 75-94%, with K = 2048 visible).
   * 0.75, TxFM's low end: with 2000 candidates 0.9 shows a cell only K = 200 genes, ~11 of them
   * expressed on kang_ifnb1k, too few to tell cell types apart (zero-shot kNN micro-F1 0.73
   * after 300 steps at 0.9, 0.78 after 200 at 0.75).
   */
  maskRatio?: number;
  /** Visible genes per cell K [round((1 - maskRatio) G), at least 1]; overrides maskRatio. */
  visible?: number;
  /** Token width [64], attention heads [4], blocks [2], per-token MLP width / dim [2]. */
  dim?: number;
  heads?: number;
  depth?: number;
  mlpRatio?: number;
  /** Attention layout ["pooling"]: see {@link MaeEncoder}. */
  encoder?: MaeEncoder;
  /** Token layout ["scaled"]: see {@link MaeTokens}. */
  tokens?: MaeTokens;
  /** Decoder hidden widths [[256]]. */
  decoderHidden?: number[];
  /** Epochs [enough for ~1000 steps, 5-200], minibatch [32]. */
  epochs?: number;
  batchSize?: number;
  /**
   * Peak learning rate [2e-3; TxFM 1e-3 with batches of 1536], warm-up fraction of the steps
   * [0.1].
   */
  lr?: number;
  warmup?: number;
  /**
   * Decoupled weight decay of the weight matrices [0.01, AdamW's usual value]. TxFM's
   * 1 / (lr x total steps) shrinks every weight by ~40% over a run whatever its length; in our
   * runs of a few hundred steps that kept the loss at the per-gene constant's.
   */
  weightDecay?: number;
  seed?: number;
  quiet?: boolean;
}

/**
 * Learning rate at `step` of `total` (0-based): linear warm-up over `warmup` steps to `peak`,
 * then half a cosine down to 0 at the last step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneCycleLr } from "./train.ts";
 * assert.equal(oneCycleLr(0, 100, 10, 1), 0.1);
 * assert.equal(oneCycleLr(9, 100, 10, 1), 1);
 * assert.ok(Math.abs(oneCycleLr(99, 100, 10, 1)) < 1e-12);
 * ```
 */
export function oneCycleLr(step: number, total: number, warmup: number, peak: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const t = (step - warmup) / Math.max(1, total - 1 - warmup);
  return peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t)));
}

function checkRange(value: number, ok: boolean, field: string, range: string): void {
  if (!ok) {
    throw new OptionError(`${field} must be ${range}, got ${value}`, {
      field,
      fix: `pass ${field} ${range}, or leave it out for the default`,
    });
  }
}

function resolveConfig(
  train: Dataset,
  options: MaeOptions,
): MaeConfig {
  const dim = positiveInt(options.dim, 64, "dim");
  const heads = positiveInt(options.heads, 4, "heads");
  checkRange(dim, dim >= 2 && dim % heads === 0, "dim", `>= 2 and a multiple of heads (${heads})`);
  const encoder = options.encoder ?? "pooling";
  if (encoder !== "pooling" && encoder !== "transformer") {
    throw new OptionError(`unknown encoder '${encoder}'`, {
      field: "encoder",
      fix: "use 'pooling' or 'transformer'",
    });
  }
  const tokens = options.tokens ?? "scaled";
  if (tokens !== "scaled" && tokens !== "concat") {
    throw new OptionError(`unknown tokens '${tokens}'`, {
      field: "tokens",
      fix: "use 'scaled' or 'concat'",
    });
  }
  const maskRatio = options.maskRatio ?? 0.75;
  checkRange(maskRatio, maskRatio >= 0 && maskRatio < 1, "maskRatio", "in [0, 1)");
  const decoderHidden = options.decoderHidden ?? [256];
  decoderHidden.forEach((w) => positiveInt(w, w, "decoderHidden"));
  if (train.nCells < 2) {
    throw new OptionError(`the masked autoencoder needs >= 2 training cells, got ${train.nCells}`, {
      field: "train",
      fix: "train on more cells",
    });
  }
  const { genes, targetSum: median } = fitCandidates(train, options);
  const G = genes.length;
  const visible = positiveInt(
    options.visible,
    Math.max(1, Math.round((1 - maskRatio) * G)),
    "visible",
  );
  checkRange(visible, visible <= G, "visible", `at most the ${G} candidates`);
  const targetSum = options.targetSum ?? median;
  checkRange(targetSum, targetSum > 0 && Number.isFinite(targetSum), "targetSum", "> 0");
  return {
    genes,
    targetSum,
    visible,
    dim,
    tokens,
    heads,
    depth: positiveInt(options.depth, 2, "depth"),
    mlpRatio: positiveInt(options.mlpRatio, 2, "mlpRatio"),
    encoder,
    decoderHidden,
    seed: options.seed ?? 0,
  };
}

/**
 * Start the decoder's output bias where the rectified tanh gives each gene's best constant
 * prediction, ln(mean over cells of e^x): from a zero bias the outputs need thousands of steps
 * to climb to log1p values of 5-8, and outputs stuck below 0 get no gradient. Returns the
 * training loss of that constant.
 */
function initOutputBias(net: MaeNet, x: Float32Array, n: number): number {
  const G = net.config.genes.length, bound = Math.log1p(net.config.targetSum);
  const means = new Float64Array(G);
  for (let i = 0; i < n; i++) for (let j = 0; j < G; j++) means[j] += Math.exp(x[i * G + j]) / n;
  // phi(b) = bound * tanh(b / 4e) for b >= 0, inverted below the bound.
  const bias = Float32Array.from(
    means,
    (m) => 4 * Math.E * Math.atanh(Math.min(0.999, Math.log(m) / bound)),
  );
  const out = net.decoder.layers[net.decoder.layers.length - 1].b;
  tf.tidy(() => out.assign(tf.tensor1d(bias)));
  // mean_i (e^c - c e^x_i) at c = ln m is m - m ln m
  return means.reduce((s, m) => s + m - m * Math.log(m), 0) / G;
}

/**
 * Train the masked autoencoder on the cells of `train` (raw counts, all genes: library sizes
 * are taken over every gene). No labels are read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitMae, simulate } from "yoto";
 * const { dataset } = simulate({ nCells: 60, nGenes: 80, seed: 1 });
 * const model = await fitMae(dataset, { candidates: 40, dim: 8, heads: 2, depth: 1, epochs: 2, quiet: true });
 * assert.equal(model.history.length, 2);
 * assert.equal(model.config.visible, 10);
 * model.dispose();
 * ```
 */
export async function fitMae(train: Dataset, options: MaeOptions = {}): Promise<MaeModel> {
  await tf.ready();
  const started = performance.now();
  const config = resolveConfig(train, options);
  const lr = options.lr ?? 2e-3;
  checkRange(lr, lr > 0 && Number.isFinite(lr), "lr", "> 0");
  const warmupFraction = options.warmup ?? 0.1;
  checkRange(warmupFraction, warmupFraction >= 0 && warmupFraction < 1, "warmup", "in [0, 1)");
  const n = train.nCells, G = config.genes.length, K = config.visible;
  const batchSize = Math.min(positiveInt(options.batchSize, 32, "batchSize"), n);
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const epochs = positiveInt(
    options.epochs,
    Math.min(200, Math.max(5, Math.ceil(1000 / stepsPerEpoch))),
    "epochs",
  );
  const totalSteps = epochs * stepsPerEpoch;
  const weightDecay = options.weightDecay ?? 0.01;
  checkRange(weightDecay, weightDecay >= 0 && Number.isFinite(weightDecay), "weightDecay", ">= 0");
  const warmupSteps = Math.round(warmupFraction * totalSteps);

  const x = log1pInput(train, config.genes, config.targetSum);
  const net = new MaeNet(config);
  const constantLoss = initOutputBias(net, x, n);
  const rng = new Rng(config.seed);
  const batchRng = rng.fork("batches"), maskRng = rng.fork("mask");
  const history: MaeEpoch[] = [];
  try {
    await fitNet({
      label: "mae",
      epochs,
      nFit: n,
      batchSize,
      rng: batchRng,
      // TxFM's AdamW: betas 0.9 / 0.999, eps 1e-6, decay of the weight matrices.
      groups: [{
        variables: net.trainable(),
        lr: (step) => oneCycleLr(step, totalSteps, warmupSteps, lr),
        epsilon: 1e-6,
        weightDecay: {
          rate: weightDecay,
          variables: net.trainable().filter((v) => v.rank === 2 && v !== net.cls),
        },
      }],
      loss: (rows) => {
        const { genes, values } = tokensOf(
          x,
          G,
          rows,
          K,
          () => maskRng.sampleWithoutReplacement(G, K),
        );
        const target = rowsTensor(x, G, rows);
        return poissonLoss(net.decode(net.encode(genes, values, rows.length)), target);
      },
      onEpochEnd: (epoch, { loss, steps, seconds }) => {
        const record: MaeEpoch = {
          epoch,
          steps,
          loss,
          lr: oneCycleLr(steps - 1, totalSteps, warmupSteps, lr),
          seconds,
        };
        history.push(record);
        const elapsed = (performance.now() - started) / 1000;
        return {
          monitor: null,
          line: `epoch ${epoch}/${epochs} loss ${record.loss.toFixed(4)} (constant ${
            constantLoss.toFixed(4)
          }) lr ${record.lr.toExponential(2)} ${record.seconds.toFixed(2)} s/epoch ETA ${
            ((elapsed / epoch) * (epochs - epoch)).toFixed(0)
          } s`,
        };
      },
      quiet: options.quiet,
      lineEverySeconds: Infinity,
    });
  } catch (err) {
    net.dispose();
    throw err;
  }
  return new MaeModel(net, history, (performance.now() - started) / 1000, constantLoss);
}
