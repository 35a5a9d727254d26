import { assertEquals, assertThrows } from "../_assert.ts";
import { naiveNeighbors } from "../_shared.ts";
import { umap } from "../../lib/data/umap.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";

/** Four Gaussian clusters in 10 dimensions, centres 12 sd apart on the axes: points and labels. */
function clusters(seed: number): { x: Float32Array; labels: number[]; n: number; d: number } {
  const rng = new Rng(seed), d = 10, per = 60, n = 4 * per;
  const labels = Array.from({ length: n }, (_, i) => Math.floor(i / per));
  const x = Float32Array.from({ length: n * d }, (_, k) => {
    const i = Math.floor(k / d), j = k % d;
    return (j === labels[i] ? 12 : 0) + rng.normal();
  });
  return { x, labels, n, d };
}

/** Mean share of each point's k nearest others (brute force, 2-D) with its own label. */
function knnPurity(xy: Float32Array, labels: number[], k: number): number {
  const n = labels.length;
  let same = 0;
  for (let i = 0; i < n; i++) {
    const near = naiveNeighbors(xy, n, xy, i, 2).filter((r) => r.t !== i).slice(0, k);
    same += near.filter((r) => labels[r.t] === labels[i]).length / k;
  }
  return same / n;
}

Deno.test("umap: same seed, same layout; another seed, another layout", () => {
  const { x, n, d } = clusters(1);
  const a = umap(x, n, d, { nEpochs: 120, seed: 3 });
  assertEquals(a.length, 2 * n);
  assertEquals(a.every(Number.isFinite), true);
  assertEquals(Array.from(umap(x, n, d, { nEpochs: 120, seed: 3 })), Array.from(a));
  const b = umap(x, n, d, { nEpochs: 120, seed: 4 });
  assertEquals(Array.from(b).some((v, i) => v !== a[i]), true);
});

Deno.test("umap keeps well-separated clusters apart: kNN purity in the layout", () => {
  const { x, labels, n, d } = clusters(2);
  const xy = umap(x, n, d, { nEpochs: 200, seed: 0 });
  const purity = knnPurity(xy, labels, 10);
  assertEquals(purity >= 0.98, true, `kNN purity ${purity}`);
  // The same measure on shuffled labels is near chance (1/4): the check can fail.
  const shuffled = new Rng(9).shuffle([...labels]);
  const chance = knnPurity(xy, shuffled, 10);
  assertEquals(chance < 0.4, true, `shuffled purity ${chance}`);
  // Between clusters the layout is wider than within: centroid gaps over mean spread.
  const centroid = [0, 1, 2, 3].map((c) => {
    const idx = labels.flatMap((l, i) => (l === c ? [i] : []));
    return [0, 1].map((a) => idx.reduce((s, i) => s + xy[2 * i + a], 0) / idx.length);
  });
  const spread = labels.reduce(
    (s, c, i) => s + Math.hypot(xy[2 * i] - centroid[c][0], xy[2 * i + 1] - centroid[c][1]),
    0,
  ) / n;
  let gap = Infinity;
  for (let a = 0; a < 4; a++) {
    for (let b = a + 1; b < 4; b++) {
      gap = Math.min(
        gap,
        Math.hypot(centroid[a][0] - centroid[b][0], centroid[a][1] - centroid[b][1]),
      );
    }
  }
  assertEquals(gap > 2 * spread, true, `closest centroids ${gap}, mean spread ${spread}`);
});

Deno.test("umap: typed errors for bad shapes, options and values", () => {
  const x = new Float32Array(40);
  assertThrows(() => umap(x, 10, 3), ShapeMismatchError);
  assertThrows(() => umap(x, 20, 2, { nNeighbors: 20 }), OptionError);
  assertThrows(() => umap(x, 20, 2, { minDist: 2 }), OptionError);
  assertThrows(() => umap(x, 20, 2, { nEpochs: 0 }), OptionError);
  const bad = x.slice();
  bad[7] = NaN;
  assertThrows(() => umap(bad, 20, 2, { nNeighbors: 5 }), DataValueError);
});
