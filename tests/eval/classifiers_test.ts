import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { type ClassifierKind, fitClassifier } from "../../lib/eval/classifiers.ts";
import { fitLogistic } from "../../lib/nn/logistic.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";

await initBackend("wasm");

const rng = new Rng(9);
const N = 90, D = 3;
const X = Float32Array.from({ length: N * D }, () => rng.normal());
// Classes 0, 2 and 3 of 4 (class 1 has no cells); every fifth cell unlabelled.
const Y = Int32Array.from({ length: N }, (_, i) => (i % 5 === 4 ? -1 : [0, 2, 3][i % 3]));
for (let i = 0; i < N; i++) if (Y[i] >= 0) X[i * D + Math.max(0, Y[i] - 1)] += 2.5;
const labelled = Int32Array.from(Y.keys()).filter((i) => Y[i] >= 0);
const XQ = Float32Array.from({ length: 20 * D }, () => rng.normal());

Deno.test("fitClassifier: unlabelled rows are left out and absent classes get probability 0", async () => {
  // Reference: the logistic model fitted directly on the labelled rows, classes renumbered 0..2.
  const xs = Float32Array.from(
    Array.from(labelled).flatMap((i) => [...X.subarray(i * D, i * D + D)]),
  );
  const ys = Int32Array.from(labelled, (i) => [0, -1, 1, 2][Y[i]]);
  const ref = fitLogistic(xs, labelled.length, D, ys, 3).predictProba(XQ, 20);
  const model = await fitClassifier("lr", X, N, D, Y, 4);
  const p = model.predictProba(XQ, 20);
  for (let i = 0; i < 20; i++) {
    assertEquals(Array.from(p.subarray(4 * i, 4 * i + 4)), [
      ref[3 * i],
      0,
      ref[3 * i + 1],
      ref[3 * i + 2],
    ]);
  }
  const predicted = model.predict(XQ, 20);
  assertEquals(predicted.includes(1), false);
  assertEquals([model.kind, model.nFeatures, model.nClasses], ["lr", D, 4]);
});

Deno.test("fitClassifier: every kind predicts the argmax of its probabilities, ties to the lowest class", async () => {
  for (const kind of ["lr", "mlp", "knn"] as ClassifierKind[]) {
    const before = tf.memory().numTensors;
    const model = await fitClassifier(kind, X, N, D, Y, 4, { seed: 1 });
    const p = model.predictProba(X, N), predicted = model.predict(X, N);
    for (let i = 0; i < N; i++) {
      const row = Array.from(p.subarray(4 * i, 4 * i + 4));
      assertEquals(predicted[i], row.indexOf(Math.max(...row)), `${kind} row ${i}`);
    }
    // The planted signal is easy: training accuracy well above chance (1/3).
    const correct = labelled.filter((i) => predicted[i] === Y[i]).length;
    assertEquals(correct / labelled.length > 0.7, true, `${kind}: ${correct}/${labelled.length}`);
    model.dispose();
    assertEquals(tf.memory().numTensors, before, kind);
  }
  // k = 2 with one neighbour of class 0 and one of class 2: a tie, class 0 wins.
  const x = Float32Array.from([0, 1, 5]), y = Int32Array.from([2, 0, 0]);
  const knn = await fitClassifier("knn", x, 3, 1, y, 3, { knn: { k: 2 } });
  assertEquals(Array.from(knn.predictProba(Float32Array.from([0.4]), 1)), [0.5, 0, 0.5]);
  assertEquals(knn.predict(Float32Array.from([0.4]), 1)[0], 0);
});

Deno.test("fitClassifier: typed errors for bad shapes, values, labels and options", async () => {
  await assertRejects(() => fitClassifier("lr", X, N + 1, D, Y, 4), ShapeMismatchError);
  await assertRejects(() => fitClassifier("lr", X, N, D, Y.subarray(1), 4), ShapeMismatchError);
  const nan = X.slice();
  nan[7] = NaN;
  await assertRejects(() => fitClassifier("knn", nan, N, D, Y, 4), DataValueError);
  await assertRejects(() => fitClassifier("lr", X, N, D, Y, 3), OptionError); // code 3 >= 3
  const one = Int32Array.from(Y, (c) => (c === 2 ? c : -1));
  await assertRejects(() => fitClassifier("lr", X, N, D, one, 4), OptionError);
  await assertRejects(() => fitClassifier("lr", X, N, D, Y, 4, { lr: { C: 0 } }), OptionError);
  await assertRejects(() => fitClassifier("knn", X, N, D, Y, 4, { knn: { k: 1.5 } }), OptionError);
  await assertRejects(
    () => fitClassifier("mlp", X, N, D, Y, 4, { mlp: { maxEpochs: 0 } }),
    OptionError,
  );
  await assertRejects(
    () => fitClassifier("svm" as ClassifierKind, X, N, D, Y, 4),
    OptionError,
  );
  const validation = { x: X.subarray(0, 10 * D), y: Y.subarray(0, 9), n: 10 };
  await assertRejects(
    () => fitClassifier("mlp", X, N, D, Y, 4, { validation }),
    ShapeMismatchError,
  );
  const model = await fitClassifier("lr", X, N, D, Y, 4);
  assertThrows(() => model.predict(XQ, 21), ShapeMismatchError);
});
