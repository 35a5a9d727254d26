import { assertEquals, assertThrows } from "../_assert.ts";
import { fitKnn } from "../../lib/eval/knn.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { naiveNeighbors as naive } from "../_shared.ts";

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
