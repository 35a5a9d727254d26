import { assertEquals } from "../_assert.ts";
import { nearestNeighbors } from "../../lib/data/neighbors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { naiveNeighbors as naive } from "../_shared.ts";

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
