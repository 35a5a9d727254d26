import { assertEquals, assertThrows } from "../_assert.ts";
import { fitKnn, nearestNeighbors } from "../../lib/eval/knn.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";

/** Naive kNN: every distance, a full sort by (distance, index). */
function naive(train: Float32Array, nTrain: number, query: Float32Array, q: number, d: number) {
  const all = Array.from({ length: nTrain }, (_, t) => {
    let dist = 0;
    for (let j = 0; j < d; j++) dist += (query[q * d + j] - train[t * d + j]) ** 2;
    return { t, dist };
  });
  return all.sort((a, b) => a.dist - b.dist || a.t - b.t);
}

Deno.test("nearestNeighbors equals a naive sort, ties and query blocks included", () => {
  const rng = new Rng(11);
  // Small integer coordinates: many exactly equal distances, so the tie rule is exercised.
  const d = 3, nTrain = 120, nQuery = 150;
  const train = Float32Array.from({ length: nTrain * d }, () => rng.int(4));
  const query = Float32Array.from({ length: nQuery * d }, () => rng.int(4));
  for (const k of [1, 5, 15, nTrain]) {
    const { indices, distances } = nearestNeighbors(train, nTrain, query, nQuery, d, k);
    for (let q = 0; q < nQuery; q++) {
      const ref = naive(train, nTrain, query, q, d).slice(0, k);
      assertEquals(Array.from(indices.subarray(q * k, q * k + k)), ref.map((r) => r.t));
      assertEquals(Array.from(distances.subarray(q * k, q * k + k)), ref.map((r) => r.dist));
    }
  }
});

Deno.test("fitKnn: vote fractions equal the naive neighbours' class counts", () => {
  const rng = new Rng(5);
  const d = 4, n = 300, m = 90, K = 4, k = 15;
  const x = Float32Array.from({ length: n * d }, () => rng.normal());
  const y = Int32Array.from({ length: n }, () => rng.int(K));
  const xq = Float32Array.from({ length: m * d }, () => rng.normal());
  const p = fitKnn(x, n, d, y, K).predictProba(xq, m);
  for (let q = 0; q < m; q++) {
    const votes = new Array(K).fill(0);
    for (const { t } of naive(x, n, xq, q, d).slice(0, k)) votes[y[t]]++;
    assertEquals(Array.from(p.subarray(q * K, q * K + K)), votes.map((v) => Math.fround(v / k)));
  }
});

Deno.test("fitKnn: hand example; the model keeps its own copy of the training rows", () => {
  // 1-D: class 0 at 0, 1, 2; class 1 at 3, 10. Query 2.4 with k = 4: neighbours 2, 3, 1, 0.
  const x = Float32Array.from([0, 1, 2, 3, 10]), y = Int32Array.from([0, 0, 0, 1, 1]);
  const model = fitKnn(x, 5, 1, y, 2, { k: 4 });
  x.fill(100);
  y.fill(1);
  const p = model.predictProba(Float32Array.from([2.4, 9]), 2);
  assertEquals(Array.from(p), [0.75, 0.25, 0.5, 0.5]);
  assertThrows(() => fitKnn(x, 5, 1, y, 2, { k: 6 }), OptionError);
  assertThrows(() => fitKnn(x, 5, 1, y, 2, { k: 0 }), OptionError);
});

Deno.test("nearestNeighbors: 2,000 queries x 10,000 training rows x 64 dimensions runs", () => {
  // Size of a real test set against a real training set; no timing assertion, but the run
  // shows up in the test's time.
  const rng = new Rng(1);
  const d = 64, nTrain = 10000, nQuery = 2000;
  const train = Float32Array.from({ length: nTrain * d }, () => rng.normal());
  const query = Float32Array.from({ length: nQuery * d }, () => rng.normal());
  const started = performance.now();
  const { indices } = nearestNeighbors(train, nTrain, query, nQuery, d, 15);
  console.log(`kNN 2k x 10k x 64: ${((performance.now() - started) / 1000).toFixed(2)} s`);
  const ref = naive(train, nTrain, query, 1999, d).slice(0, 15).map((r) => r.t);
  assertEquals(Array.from(indices.subarray(1999 * 15)), ref);
});
