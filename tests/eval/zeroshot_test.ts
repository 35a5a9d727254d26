import assert from "node:assert/strict";
import { assertClose, assertEquals, assertThrows } from "../_assert.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import type { Split } from "../../lib/data/split.ts";
import { zeroShotHvg, zeroShotKnn, zeroShotPca, zeroShotSplit } from "../../lib/eval/zeroshot.ts";
import { OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";

function splitOf(nCells: number, train: number[], test: number[]): Split {
  return {
    train: Int32Array.from(train),
    val: new Int32Array(0),
    test: Int32Array.from(test),
    kind: "random",
    seed: 0,
    nCells,
    notes: [],
  };
}

Deno.test("zeroShotSplit: disjoint halves covering every cell, fixed by the seed", () => {
  const a = zeroShotSplit(101, 4), b = zeroShotSplit(101, 4), c = zeroShotSplit(101, 5);
  assertEquals(a.val.length, 0);
  assertEquals(Math.abs(a.train.length - a.test.length), 1);
  assertEquals(
    [...a.train, ...a.test].sort((x, y) => x - y),
    Array.from({ length: 101 }, (_, i) => i),
  );
  assertEquals(Array.from(a.test), Array.from(b.test));
  assert.notDeepEqual(Array.from(a.test), Array.from(c.test));
});

Deno.test("zeroShotKnn: a hand-computed 1-D case (k = 5, missing labels, a far class)", () => {
  // Reference: A at 0..4, B at 10..14, C at 100, an unlabelled cell at 6.5 (must not vote).
  // Queries: 0.5 (A) -> A; 12.5 (B) -> B; 6.6 (B): nearest 4, 10, 3, 11, 2 -> A 3 : B 2 -> A;
  // an unlabelled query at 50 is not scored.
  const pos = [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 100, 6.5, 0.5, 12.5, 6.6, 50];
  const codes = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, -1, 0, 1, 1, -1]);
  const n = pos.length;
  const split = splitOf(n, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [12, 13, 14, 15]);
  const m = zeroShotKnn(
    { x: Float32Array.from(pos), dim: 1 },
    { codes, categories: ["A", "B", "C"] },
    split,
  );
  assertEquals(m.nReference, 11);
  assertEquals(m.nQuery, 3);
  assertClose(m.microF1, 2 / 3, 1e-12);
  // A: TP 1, FP 1, FN 0 -> P 1/2, R 1, F1 2/3; B: TP 1, FP 0, FN 1 -> P 1, R 1/2, F1 2/3; C absent.
  assertClose(m.macroF1, 2 / 3, 1e-12);
  assertClose(m.macroPrecision, 0.75, 1e-12);
  assertClose(m.macroRecall, 0.75, 1e-12);
});

Deno.test("zeroShotKnn equals a brute-force kNN and sklearn-style macro averages", () => {
  const rng = new Rng(3);
  const n = 240, d = 3, C = 4;
  const codes = Int32Array.from({ length: n }, () => rng.int(C));
  // Class-shifted clusters, overlapping enough that some queries are wrong.
  const x = Float32Array.from({ length: n * d }, (_, i) => rng.normal(codes[Math.floor(i / d)], 1));
  const split = zeroShotSplit(n, 7);
  const m = zeroShotKnn({ x, dim: d }, { codes, categories: ["a", "b", "c", "d"] }, split);

  const ref = Array.from(split.train);
  const conf = Array.from({ length: C }, () => new Array(C).fill(0));
  for (const q of split.test) {
    const near = ref.map((t) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[q * d + j] - x[t * d + j]) ** 2;
      return { t, s };
    }).sort((a, b) => a.s - b.s || a.t - b.t).slice(0, 5);
    const votes = new Array(C).fill(0);
    for (const { t } of near) votes[codes[t]]++;
    conf[codes[q]][votes.indexOf(Math.max(...votes))]++;
  }
  const total = split.test.length;
  const tp = conf.map((row, c) => row[c]);
  const support = conf.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = conf[0].map((_, c) => conf.reduce((a, row) => a + row[c], 0));
  const present = tp.map((_, c) => c).filter((c) => support[c] > 0 || predicted[c] > 0);
  const avg = (f: (c: number) => number) => present.reduce((a, c) => a + f(c), 0) / present.length;
  assertClose(m.microF1, tp.reduce((a, b) => a + b, 0) / total, 1e-12);
  assertClose(m.macroPrecision, avg((c) => (predicted[c] ? tp[c] / predicted[c] : 0)), 1e-12);
  assertClose(m.macroRecall, avg((c) => (support[c] ? tp[c] / support[c] : 0)), 1e-12);
  assertClose(m.macroF1, avg((c) => (2 * tp[c]) / (support[c] + predicted[c])), 1e-12);
  assert.ok(m.microF1 > 0.3 && m.microF1 < 1, `${m.microF1}`);
});

Deno.test("zeroShotKnn: typed errors for mismatched shapes and unlabelled halves", () => {
  const labels = { codes: Int32Array.from([0, 1, 0, 1]), categories: ["a", "b"] };
  const split = splitOf(4, [0, 1], [2, 3]);
  assertThrows(
    () => zeroShotKnn({ x: new Float32Array(6), dim: 2 }, labels, split),
    ShapeMismatchError,
  );
  assertThrows(
    () => zeroShotKnn({ x: new Float32Array(4), dim: 1 }, labels, splitOf(5, [0, 1], [2, 3, 4])),
    ShapeMismatchError,
  );
  const unlabelled = { codes: Int32Array.from([0, 1, -1, -1]), categories: ["a", "b"] };
  assertThrows(
    () => zeroShotKnn({ x: new Float32Array(4), dim: 1 }, unlabelled, split),
    OptionError,
  );
});

Deno.test("zeroShotHvg: normalise to 1e4, log1p, scale (ddof 1), by hand on 3 cells", () => {
  const counts = [1, 3, 2, 2, 0, 5];
  const ds = Dataset.fromDense(Float32Array.from(counts), 3, 2, ["A", "B"]);
  const e = zeroShotHvg(ds); // 2000 HVGs >= 2 genes: both kept
  assertEquals(e.dim, 2);
  for (let j = 0; j < 2; j++) {
    const v = [0, 1, 2].map((i) =>
      Math.log1p((counts[i * 2 + j] / (counts[i * 2] + counts[i * 2 + 1])) * 1e4)
    );
    const mean = v.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
    for (let i = 0; i < 3; i++) assertClose(e.x[i * 2 + j], (v[i] - mean) / sd, 1e-5);
  }
});

Deno.test("PCA and HVG embeddings separate the simulated cell types by kNN", () => {
  const { dataset } = simulate({ nCells: 600, nGenes: 300, seed: 4 });
  const labels = dataset.categorical("cell_type");
  const split = zeroShotSplit(dataset.nCells, 0);
  const hvg = zeroShotHvg(dataset, { nTopGenes: 200 });
  const pcs = zeroShotPca(dataset, { nTopGenes: 200, nComponents: 20 });
  assertEquals([hvg.dim, pcs.dim], [200, 20]);
  // Column variances of the PCs are non-increasing.
  const variance = (c: number) => {
    let s = 0;
    for (let i = 0; i < dataset.nCells; i++) s += pcs.x[i * 20 + c] ** 2;
    return s;
  };
  for (let c = 1; c < 20; c++) assert.ok(variance(c) <= variance(c - 1) * (1 + 1e-4));
  const majority = Math.max(...dataset.categoryCounts("cell_type").counts) / dataset.nCells;
  for (const e of [hvg, pcs]) {
    const m = zeroShotKnn(e, labels, split);
    assert.ok(m.microF1 > majority + 0.3, `micro-F1 ${m.microF1} vs majority ${majority}`);
  }
});
