import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { assertClose, assertEquals, assertRejects } from "../_assert.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { zeroShotKnn, zeroShotSplit } from "../../lib/eval/zeroshot.ts";
import { gatherRows, log1pInput } from "../../lib/mae/model.ts";
import { fitMae, type MaeOptions, oneCycleLr } from "../../lib/mae/train.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { OptionError } from "../../lib/runtime/errors.ts";

await initBackend("wasm");

// Strong markers on few genes: a small network learns them in seconds.
const { dataset } = simulate({
  nCells: 400,
  nGenes: 100,
  markersPerType: 6,
  markerLogFC: 3,
  nConditions: 1,
  seed: 3,
});
const tiny: MaeOptions = {
  candidates: 100,
  dim: 16,
  heads: 2,
  depth: 1,
  decoderHidden: [32],
  epochs: 2,
  quiet: true,
};

/** Mean Poisson loss of the best constant per gene, x^_g = ln(mean_c e^x_cg), by brute force. */
function constantLoss(x: Float32Array, n: number, G: number): number {
  let loss = 0;
  for (let j = 0; j < G; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(x[i * G + j]);
    const xhat = Math.log(s / n);
    for (let i = 0; i < n; i++) loss += Math.exp(xhat) - xhat * Math.exp(x[i * G + j]);
  }
  return loss / (n * G);
}

Deno.test("gatherRows: rows forward, repeated rows' gradients summed backward", () => {
  const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
  const idx = Int32Array.from([2, 0, 2]);
  const w = tf.tensor2d([[1, 10], [100, 1000], [7, 70]]);
  assertEquals(Array.from(gatherRows(table, idx).dataSync()), [5, 6, 1, 2, 5, 6]);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, idx), w)))(
    table,
  );
  // row 0 <- w[1]; row 1 unused; row 2 <- w[0] + w[2]
  assertEquals(Array.from(grad.dataSync()), [100, 1000, 0, 0, 8, 80]);
  tf.dispose([table, w, grad]);
});

Deno.test("oneCycleLr: linear warm-up to the peak, then cosine down to 0", () => {
  const lr = Array.from({ length: 50 }, (_, s) => oneCycleLr(s, 50, 5, 2e-3));
  assertClose(lr[4], 2e-3, 1e-15);
  for (let s = 1; s < 50; s++) assert.ok(s < 5 ? lr[s] > lr[s - 1] : lr[s] <= lr[s - 1]);
  assertClose(lr[49], 0, 1e-15);
  // Half-way through the decay the cosine gives half the peak.
  assertClose(oneCycleLr(5 + 22, 50, 5, 2e-3), 1e-3, 1e-15);
});

Deno.test("fitMae: the loss drops below the best constant and cell types separate by kNN", async () => {
  const before = tf.memory().numTensors;
  const model = await fitMae(dataset, {
    ...tiny,
    depth: 2,
    maskRatio: 0.5,
    epochs: 15,
    decoderHidden: [64],
  });
  const x = log1pInput(dataset, model.config.genes, model.config.targetSum);
  const floor = constantLoss(x, dataset.nCells, 100);
  assertClose(model.constantLoss, floor, 1e-6 * Math.abs(floor));
  const losses = model.history.map((h) => h.loss);
  console.log(
    `constant ${floor.toFixed(4)}, loss ${losses[0].toFixed(4)} -> ${losses.at(-1)!.toFixed(4)}`,
  );
  assert.ok(losses.at(-1)! < floor - 0.05, `final loss ${losses.at(-1)} vs constant ${floor}`);
  assert.ok(losses.at(-1)! < losses[0] - 0.05, `loss ${losses[0]} -> ${losses.at(-1)}`);

  const z = model.embed(dataset);
  const m = zeroShotKnn(
    { x: z, dim: model.config.dim },
    dataset.categorical("cell_type"),
    zeroShotSplit(dataset.nCells, 0),
  );
  const majority = Math.max(...dataset.categoryCounts("cell_type").counts) / dataset.nCells;
  console.log(`kNN micro-F1 ${m.microF1.toFixed(3)}, majority ${majority.toFixed(3)}`);
  assert.ok(m.microF1 > majority + 0.25, `micro-F1 ${m.microF1} vs majority ${majority}`);

  // Masked genes are predicted better than by the per-gene train means' constant.
  const { xhat, visible } = model.reconstruct(dataset, 1);
  let model_ = 0, constant = 0, count = 0;
  for (let j = 0; j < 100; j++) {
    let s = 0;
    for (let i = 0; i < dataset.nCells; i++) s += Math.exp(x[i * 100 + j]);
    const c = Math.log(s / dataset.nCells);
    for (let i = 0; i < dataset.nCells; i++) {
      if (visible[i * 100 + j]) continue;
      const e = Math.exp(x[i * 100 + j]);
      model_ += Math.exp(xhat[i * 100 + j]) - xhat[i * 100 + j] * e;
      constant += Math.exp(c) - c * e;
      count++;
    }
  }
  assertEquals(count, dataset.nCells * 50);
  assert.ok(model_ < constant, `masked loss ${model_ / count} vs constant ${constant / count}`);
  model.dispose();
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("fitMae: deterministic per seed; both encoders, both token layouts", async () => {
  const before = tf.memory().numTensors;
  const embedWith = async (options: MaeOptions) => {
    const model = await fitMae(dataset, options);
    const z = model.embed(dataset);
    const again = model.embed(dataset);
    assertEquals(Array.from(again), Array.from(z));
    model.dispose();
    return z;
  };
  const a = await embedWith({ ...tiny, seed: 1 });
  const b = await embedWith({ ...tiny, seed: 1 });
  const c = await embedWith({ ...tiny, seed: 2 });
  assertEquals(Array.from(a), Array.from(b));
  assert.notDeepEqual(Array.from(a), Array.from(c));
  const t = await embedWith({ ...tiny, encoder: "transformer", visible: 10 });
  assert.ok(t.every(Number.isFinite));
  const u = await embedWith({ ...tiny, tokens: "concat", seed: 1 });
  assert.ok(u.every(Number.isFinite));
  assert.notDeepEqual(Array.from(u), Array.from(a));
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("fitMae: bad options are OptionErrors and leave no tensors", async () => {
  const before = tf.memory().numTensors;
  const bad: MaeOptions[] = [
    { dim: 10, heads: 4 },
    { maskRatio: 1 },
    { visible: 101 },
    { visible: 0 },
    { encoder: "rnn" as MaeOptions["encoder"] },
    { tokens: "onehot" as MaeOptions["tokens"] },
    { epochs: 0 },
    { lr: -1 },
    { warmup: 1 },
    { weightDecay: -0.1 },
    { targetSum: 0 },
    { decoderHidden: [0] },
  ];
  for (const options of bad) {
    const err = await assertRejects(() => fitMae(dataset, { ...tiny, ...options }), OptionError);
    assert.ok(err.fix, `${JSON.stringify(options)}: ${err.message}`);
  }
  await assertRejects(() => fitMae(dataset.selectCells([0]), tiny), OptionError);
  assertEquals(tf.memory().numTensors, before);
});
