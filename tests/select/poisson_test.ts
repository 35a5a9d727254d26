import * as tf from "@tensorflow/tfjs";
import { assertClose } from "../_assert.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { splitDataset, stratifiedSplit } from "../../lib/data/split.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { poissonDeviance, poissonLoss, rectifiedTanh } from "../../lib/nn/losses.ts";
import { fitYoto } from "../../lib/select/yoto/train.ts";
import assert from "node:assert/strict";

await initBackend("wasm");

const L = 1e5;
const phi = (z: number) => rectifiedTanh(tf.scalar(z), L).dataSync()[0];

Deno.test("rectified tanh matches docs/methods.md §5.1 values and stays below ln(L+1)", () => {
  assertClose(phi(-1), 0, 0);
  assertClose(phi(1), 1.05587, 1e-4);
  assertClose(phi(5), 4.95012, 1e-4);
  assertClose(phi(20), 10.94578, 1e-3);
  assertClose(phi(100), 11.51294, 1e-3);
  assert.ok(phi(1e4) <= Math.log1p(L) + 1e-4);
});

Deno.test("Poisson loss and deviance match docs/methods.md §5.1 values", () => {
  const x = tf.scalar(Math.log(4));
  const value = (t: tf.Scalar) => t.dataSync()[0];
  // float32 exp(4.95) ~ 141: 5 significant digits.
  assertClose(value(poissonLoss(tf.scalar(phi(5)), x)), 121.391, 2e-3);
  assertClose(value(poissonLoss(x, x)), -1.5452, 1e-4);
  assertClose(value(poissonDeviance(x, x)), 0, 1e-5);
  assert.ok(value(poissonDeviance(tf.scalar(1), x)) > 0);
});

Deno.test("gradient of the Poisson loss through phi is phi'(z)(e^phi(z) - e^x)", () => {
  const x = Math.log(4);
  const grad = tf.grad((z: tf.Tensor) => poissonLoss(rectifiedTanh(z, L), tf.scalar(x)));
  for (const z of [-2, 0.5, 3, 8]) {
    const u = z / (4 * Math.E);
    const dphi = z > 0 ? (Math.log1p(L) / (4 * Math.E)) / Math.cosh(u) ** 2 : 0;
    const expected = dphi * (Math.exp(phi(z)) - Math.exp(x));
    assertClose(grad(tf.scalar(z)).dataSync()[0], expected, 1e-3 * (1 + Math.abs(expected)));
  }
});

Deno.test("label-free YOTO with the Poisson head: deviance falls, predictions bounded, informative genes chosen", async () => {
  const { dataset, truth } = simulate({ nCells: 800, nGenes: 200, seed: 1 });
  const s = splitDataset(dataset, stratifiedSplit(dataset.categorical("cell_type"), { seed: 1 }));
  const before = tf.memory().numTensors;
  const model = await fitYoto(s.train, {
    k: 20,
    reconstruct: true,
    candidates: 200,
    epochs: 150,
    quiet: true,
    validation: s.val,
  });
  const history = model.metrics.history;
  assert.ok(history.at(-1)!.val.reconstruction < 0.2 * history[0].val.reconstruction);
  const values = model.predict(s.test)[0].values!;
  const bound = Math.log1p(model.tasks[0].ceiling!);
  assert.ok(values.every((v) => v >= 0 && v < bound));
  // 58 of 200 genes are informative: a random 20-gene panel holds 5.8 +- 1.9 of them.
  const informative = new Set([...Object.values(truth.markers).flat(), ...truth.stimGenes]);
  const hits = model.panel.genes.filter((g) => informative.has(g)).length;
  assert.ok(hits >= 10, `${hits} informative genes in the panel`);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});
