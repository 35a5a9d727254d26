import * as tf from "@tensorflow/tfjs";
import { assertClose, assertEquals, assertRejects } from "../_assert.ts";
import { fitMlp } from "../../lib/eval/mlp.ts";
import { matMulFast } from "../../lib/nn/layers.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";

await initBackend("wasm");

/** Overlapping Gaussian blobs: 3 classes in d dimensions, class means 1.2 apart on one axis. */
function blobs(n: number, d: number, seed: number) {
  const rng = new Rng(seed);
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const x = Float32Array.from({ length: n * d }, (_, p) => {
    const i = Math.floor(p / d), j = p % d;
    return rng.normal() + (j === y[i] ? 1.2 : 0);
  });
  return { x, y, n };
}

Deno.test("matMulFast: same value and gradients as tf.matMul", () => {
  const rng = new Rng(8);
  const a = tf.tensor2d(Float32Array.from({ length: 15 }, () => rng.normal()), [5, 3]);
  const b = tf.tensor2d(Float32Array.from({ length: 12 }, () => rng.normal()), [3, 4]);
  const w = tf.tensor2d(Float32Array.from({ length: 20 }, () => rng.normal()), [5, 4]);
  // A non-trivial upstream gradient: d/dy of sum(w * y^2) = 2 w y.
  const loss =
    (mm: (p: tf.Tensor2D, q: tf.Tensor2D) => tf.Tensor2D) => (p: tf.Tensor, q: tf.Tensor) =>
      tf.sum(tf.mul(w, tf.square(mm(p as tf.Tensor2D, q as tf.Tensor2D))));
  const [fa, fb] = tf.grads(loss(matMulFast))([a, b]);
  const [ra, rb] = tf.grads(loss((p, q) => tf.matMul(p, q)))([a, b]);
  const close = (x: tf.Tensor, y: tf.Tensor) =>
    Array.from(x.dataSync()).forEach((v, i) => assertClose(v, y.dataSync()[i], 1e-5));
  close(matMulFast(a, b), tf.matMul(a, b));
  close(fa, ra);
  close(fb, rb);
  tf.dispose([a, b, w, fa, fb, ra, rb]);
});

Deno.test("fitMlp: same seed, same probabilities; another seed differs", async () => {
  const { x, y, n } = blobs(300, 5, 1);
  const opts = { maxEpochs: 5, hidden: [32, 32] };
  const a = await fitMlp(x, n, 5, y, 3, { ...opts, seed: 4 });
  const b = await fitMlp(x, n, 5, y, 3, { ...opts, seed: 4 });
  const c = await fitMlp(x, n, 5, y, 3, { ...opts, seed: 5 });
  const pa = a.predictProba(x, n), pb = b.predictProba(x, n), pc = c.predictProba(x, n);
  assertEquals(Array.from(pa), Array.from(pb));
  assertEquals(pa.some((v, i) => v !== pc[i]), true);
  for (let i = 0; i < n; i++) assertClose(pa[3 * i] + pa[3 * i + 1] + pa[3 * i + 2], 1, 1e-5);
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("fitMlp: early stopping keeps the epoch of lowest validation loss and restores it", async () => {
  // Few noisy cells and a wide network overfit: the validation loss turns up and training stops.
  const train = blobs(150, 5, 2), val = blobs(300, 5, 3);
  const patience = 4;
  const model = await fitMlp(train.x, train.n, 5, train.y, 3, {
    seed: 0,
    validation: val,
    patience,
    learningRate: 1e-2,
  });
  const losses = model.history.map((h) => h.valLoss);
  const best = losses.indexOf(Math.min(...losses)) + 1;
  assertEquals(model.bestEpoch, best);
  assertEquals(model.history.length, Math.min(100, best + patience));
  assertEquals(model.history.length < 100, true, "validation loss never turned up");
  // The restored weights give the best epoch's validation loss.
  const p = model.predictProba(val.x, val.n);
  let ce = 0;
  for (let i = 0; i < val.n; i++) ce -= Math.log(p[3 * i + val.y[i]]);
  assertClose(ce / val.n, losses[best - 1], 1e-5);
  model.dispose();
});

Deno.test("fitMlp: validation labels -1 are ignored; none at all is an OptionError", async () => {
  const train = blobs(120, 4, 4), val = blobs(60, 4, 5);
  const partial = { ...val, y: Int32Array.from(val.y, (c, i) => (i % 2 ? -1 : c)) };
  const model = await fitMlp(train.x, train.n, 4, train.y, 3, {
    validation: partial,
    maxEpochs: 3,
    hidden: [8],
  });
  assertEquals(model.history.every((h) => Number.isFinite(h.valLoss)), true);
  model.dispose();
  const unlabelled = { ...val, y: new Int32Array(val.n).fill(-1) };
  await assertRejects(
    () => fitMlp(train.x, train.n, 4, train.y, 3, { validation: unlabelled }),
    OptionError,
  );
});

Deno.test("fitMlp: tensor memory is flat after fit, predict and dispose (internal split)", async () => {
  const { x, y, n } = blobs(200, 4, 6);
  const before = tf.memory().numTensors;
  const model = await fitMlp(x, n, 4, y, 3, { maxEpochs: 4, hidden: [16, 16] });
  model.predictProba(x, n);
  model.dispose();
  assertEquals(tf.memory().numTensors, before);
});
