/**
 * Stochastic Gates (STG; Yamada et al., ICML 2020; docs/methods.md §2.5): one gate per candidate gene,
 * z_d = clamp(mu_d + 0.5 + sigma eps, 0, 1), on the input of an MLP classifier trained with
 * cross-entropy on the primary task plus lambda mean_d Phi((mu_d + 0.5) / sigma). lambda is
 * lowered until at least k gates are open; the panel is the top k genes by mu.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { validationSplit } from "../data/split.ts";
import { OptionError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";
import {
  classTargets,
  defaultEpochs,
  defaultSelectorLr,
  denseWeights,
  positiveInt,
} from "./_nn.ts";
import { fitNet } from "../nn/fit.ts";
import { Mlp, variable } from "../nn/layers.ts";
import { maskedCrossEntropy } from "../nn/losses.ts";
import { topKIndices } from "../nn/relax.ts";
import { applyInput, fitCandidates, fitInputTransform, inputBatches } from "../data/transform.ts";
import type { Panel, SelectOptions, Selector } from "./panel.ts";
import { checkPanelSize, panelSelector, requireTasks } from "./panel.ts";

/** Settings of STG; defaults in brackets. */
export interface StgOptions {
  /** Gate noise sd [0.5]. */
  sigma?: number;
  /** First lambda of the search [0.1]. */
  lambda?: number;
  /** lambda is multiplied by this while fewer than k gates are open [0.1]. */
  lambdaFactor?: number;
  /** Most lambda values tried [3]. */
  maxTrials?: number;
  /** Hidden widths of the classifier [[400, 200]], ReLU. */
  hidden?: number[];
  /**
   * Adam learning rate [1e-3]. docs/methods.md §2.5's 1e-5 (the reference's) moves the gates by at most
   * 1e-5 per step: too slow for the few epochs a selector can afford here.
   */
  lr?: number;
  /**
   * Adam learning rate of the gates' mu [min(0.1, 15 / steps of a trial)]: at `lr` a gate moves
   * too little in the steps a trial can afford for the penalty to close any.
   */
  selectorLr?: number;
  /** Minibatch size [100]. */
  batchSize?: number;
  /** Epochs per lambda [~1000 steps within the work budget, at least 3]. */
  epochs?: number;
  /** Epochs without a better validation objective before a trial stops [5]. */
  patience?: number;
}

/**
 * The gate penalty mean_d Phi((mu_d + 0.5) / sigma), Phi the standard normal CDF (via erf):
 * the mean probability that a gate is open.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stgPenalty } from "./stg.ts";
 * import * as tf from "@tensorflow/tfjs";
 * const p = tf.tidy(() => stgPenalty(tf.tensor1d([-0.5, -0.5]), 0.5).dataSync()[0]);
 * assert.ok(Math.abs(p - 0.5) < 1e-6);
 * ```
 */
export function stgPenalty(mu: tf.Tensor1D, sigma: number): tf.Scalar {
  return tf.tidy(() => {
    const u = tf.div(tf.add(mu, 0.5), sigma * Math.SQRT2);
    return tf.mean(tf.mul(0.5, tf.add(1, tf.erf(u)))) as tf.Scalar;
  });
}

/** Gates at test time, clamp(mu + 0.5, 0, 1) (noise-free). */
function testGates(mu: tf.Tensor1D): tf.Tensor1D {
  return tf.clipByValue(tf.add(mu, 0.5), 0, 1);
}

/** One lambda trial. */
interface Trial {
  lambda: number;
  open: number;
  epochs: number;
  bestEpoch: number;
  valObjective: number;
}

/**
 * An STG selector with these settings (needs labels: the first task).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate, stgSelector } from "yoto";
 * const { dataset } = simulate({ nCells: 200, nGenes: 60, seed: 1 });
 * const { panel } = await stgSelector({ hidden: [16], epochs: 2 }).fit(dataset, {
 *   k: 5, tasks: ["cell_type"], candidates: 60, quiet: true,
 * });
 * assert.equal(panel.genes.length, 5);
 * ```
 */
export function stgSelector(settings: StgOptions = {}): Selector {
  return panelSelector("stg", "labels", (train, options) => selectStg(train, options, settings));
}

async function selectStg(
  train: Dataset,
  options: SelectOptions,
  settings: StgOptions,
): Promise<Panel> {
  await tf.ready();
  const started = performance.now();
  const task = requireTasks(options, "stg")[0];
  const seed = options.seed ?? 0;
  const sigma = settings.sigma ?? 0.5;
  const lambda0 = settings.lambda ?? 0.1;
  const factor = settings.lambdaFactor ?? 0.1;
  if (!(sigma > 0) || !(lambda0 > 0) || !(factor > 0 && factor < 1)) {
    throw new OptionError("sigma and lambda must be > 0 and lambdaFactor in (0, 1)", {
      field: "sigma/lambda/lambdaFactor",
    });
  }
  const maxTrials = positiveInt(settings.maxTrials, 3, "maxTrials");
  const hidden = settings.hidden ?? [400, 200];
  const lr = settings.lr ?? 1e-3;
  const { fit, val } = validationSplit(train, options, task);
  const { genes } = fitCandidates(fit, options);
  const G = genes.length;
  checkPanelSize(options.k, G);
  const fitted = fitInputTransform(fit, genes, options);
  const { transform } = fitted;
  const batch = inputBatches(fitted);
  const xVal = applyInput(val, transform);
  const targets = classTargets(fit, val, task);
  const batchSize = Math.min(positiveInt(settings.batchSize, 100, "batchSize"), fit.nCells);
  const stepsPerEpoch = Math.ceil(fit.nCells / batchSize);
  const epochs = positiveInt(
    settings.epochs,
    defaultEpochs(fit.nCells, batchSize, denseWeights([G, ...hidden, targets.classes.length]), {
      targetSteps: 1000,
      min: 3,
    }),
    "epochs",
  );
  const selectorLr = settings.selectorLr ?? defaultSelectorLr(epochs * stepsPerEpoch);
  const patience = positiveInt(settings.patience, 5, "patience");
  const rng = new Rng(seed);
  const valRows = Int32Array.from({ length: val.nCells }, (_, i) => i);

  const trials: Trial[] = [];
  let lambda = lambda0, mu: Float32Array | null = null;
  for (let t = 0; t < maxTrials; t++) {
    // Same initial weights for every lambda: trials differ by lambda only.
    const init = rng.fork("init");
    const net = new Mlp([G, ...hidden, targets.classes.length], init);
    const muVar = variable(
      tf.tensor1d(Float32Array.from({ length: G }, () => 0.01 * init.normal())),
      `${net.prefix}/mu`,
    );
    const noise = rng.fork(`gates${t}`);
    const objective = (xb: tf.Tensor2D, z: tf.Tensor1D, codes: Int32Array, rows: Int32Array) => {
      // x (*) z through W1 is x W1 with W1's rows scaled by z: no gradient through x needed.
      const logits = net.forward(xb, tf.mul(net.layers[0].W, z.expandDims(1)) as tf.Tensor2D);
      const penalty = stgPenalty(muVar as tf.Tensor1D, sigma);
      return tf.add(maskedCrossEntropy(logits, codes, rows), tf.mul(lambda, penalty)) as tf.Scalar;
    };
    try {
      const run = await fitNet({
        label: `stg lambda ${lambda.toPrecision(3)}`,
        epochs,
        nFit: fit.nCells,
        batchSize,
        rng: rng.fork(`batches${t}`),
        groups: [
          { lr: selectorLr, variables: [muVar] },
          { lr, variables: net.variables },
        ],
        patience,
        quiet: options.quiet,
        loss: (rows) => {
          const eps = Float32Array.from({ length: G }, () => noise.normal());
          const z = tf.clipByValue(
            tf.add(tf.add(muVar, 0.5), tf.mul(sigma, tf.tensor1d(eps))),
            0,
            1,
          ) as tf.Tensor1D;
          return objective(tf.tensor2d(batch(rows), [rows.length, G]), z, targets.fit, rows);
        },
        onEpochEnd: () => {
          const value = tf.tidy(() =>
            objective(
              tf.tensor2d(xVal, [val.nCells, G]),
              testGates(muVar as tf.Tensor1D),
              targets.val,
              valRows,
            ).dataSync()[0]
          );
          return { monitor: value };
        },
      });
      mu = Float32Array.from(muVar.dataSync());
      const open = mu.filter((m) => m > -0.5).length;
      trials.push({
        lambda,
        open,
        epochs: run.epochs,
        bestEpoch: run.best?.epoch ?? run.epochs,
        valObjective: run.best?.monitor ?? NaN,
      });
      if (open >= options.k) break;
      lambda *= factor;
    } finally {
      net.dispose();
      muVar.dispose();
    }
  }

  const last = trials[trials.length - 1];
  const top = topKIndices(mu!, options.k);
  const notes = [`lambda ${last.lambda.toPrecision(3)} left ${last.open} of ${G} gates open`];
  if (last.open < options.k) {
    notes.push(
      `no lambda tried left k = ${options.k} gates open (${trials.length} trials): ` +
        `the top k by mu include closed gates`,
    );
  }
  return {
    method: "stg",
    k: options.k,
    genes: Array.from(top, (j) => genes[j]),
    scores: Array.from(top, (j) => mu![j]),
    params: {
      task,
      candidates: G,
      sigma,
      lambda: last.lambda,
      lambdaFactor: factor,
      maxTrials,
      hidden,
      lr,
      lrNote:
        "docs/methods.md §2.5: 1e-5; 1e-3 here so that the network learns within a few epochs",
      selectorLr,
      batchSize,
      epochs,
      patience,
      trials,
      seed,
      nFit: fit.nCells,
      nVal: val.nCells,
    },
    fitSeconds: (performance.now() - started) / 1000,
    notes,
  };
}
