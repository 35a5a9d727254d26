import { ok as assert } from "node:assert/strict";
import { assertClose, assertEquals, assertThrows } from "../_assert.ts";
import { knockoffSelect, knockoffThreshold, pairKnockoff } from "../../lib/calibrate/knockoff.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
import erfc from "@stdlib/math-base-special-erfc";
import { Rng } from "../../lib/runtime/rng.ts";

Deno.test("erfc (@stdlib) matches reference values (Python math.erfc) from the centre to the subnormal tail", () => {
  const known: [number, number][] = [
    [0, 1],
    [0.1, 0.8875370839817152],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [1.5, 0.033894853524689274],
    [1.9999, 0.004679802092970608],
    [2, 0.004677734981047265],
    [2.0001, 0.0046756686958033394],
    [2.5, 0.0004069520174449589],
    [3, 2.2090496998585438e-05],
    [5, 1.5374597944280351e-12],
    [10, 2.088487583762545e-45],
    [-1, 1.842700792949715],
  ];
  for (const [x, v] of known) assertClose(erfc(x) / v, 1, 1e-13, `erfc(${x})`);
  assertClose(erfc(27) / 5.23705e-319, 1, 1e-5, "erfc(27), subnormal");
  assertEquals(erfc(40), 0);
  assert(Number.isNaN(erfc(NaN)));
});

Deno.test("knockoffThreshold: docs/methods.md §3.3 test vectors", () => {
  const W = [3.2, 2.5, -0.4, 1.7, 0.9, -1.1, 4.0, 0.0, 2.2, 1.3];
  assertEquals([0.05, 0.1, 0.2, 0.3].map((q) => knockoffThreshold(W, q)), [
    Infinity,
    Infinity,
    1.3,
    0.9,
  ]);
  const V = [...Array.from({ length: 20 }, (_, j) => j + 1), -0.5];
  assertEquals([0.05, 0.1].map((q) => knockoffThreshold(V, q)), [1, 0]);
  // T = 0 selects a zero W too ((1 + 1) / 21 <= 0.1); T = Infinity selects nothing
  const Z = [...V.slice(0, 20), 0];
  assertEquals(knockoffSelect(Z, 0.1), { threshold: 0, selected: Int32Array.from(Z.keys()) });
  assertEquals(knockoffSelect(W, 0.2).selected, Int32Array.from([0, 1, 3, 6, 8, 9]));
  assertEquals(knockoffSelect(W, 0.05), { threshold: Infinity, selected: new Int32Array(0) });
  assertEquals(knockoffThreshold([], 0.1), Infinity);
  assertThrows(() => knockoffThreshold([1, NaN], 0.1), DataValueError);
  assertThrows(() => knockoffThreshold([1], 0), OptionError);
  assertThrows(() => knockoffThreshold([1], 1.5), OptionError);
});

/** The definition, literally: scan sort({0} ∪ |W|) and count. */
function bruteThreshold(W: number[], q: number): number {
  const ts = [0, ...W.map(Math.abs)].sort((a, b) => a - b);
  for (const t of ts) {
    const neg = W.filter((w) => w <= -t).length, pos = W.filter((w) => w >= t).length;
    if ((1 + neg) / Math.max(1, pos) <= q) return t;
  }
  return Infinity;
}

Deno.test("knockoffThreshold equals the brute-force definition on random W with ties", () => {
  const rng = new Rng(4);
  for (let trial = 0; trial < 300; trial++) {
    const m = 1 + rng.int(80), shift = rng.uniform() * 3;
    // rounded values make ties between |W| and between W and -W
    const W = Array.from({ length: m }, () => Math.round((rng.normal() + shift) * 4) / 4);
    for (const q of [0.05, 0.1, 0.2, 0.5]) {
      assertEquals(knockoffThreshold(W, q), bruteThreshold(W, q), `trial ${trial} q ${q}`);
    }
  }
});

/** Two-sided tie-corrected rank-sum p-value by the textbook formula (O(n^2) ranks). */
function bruteWilcoxonP(x: number[], y: number[]): number {
  const all = [...x, ...y], n = all.length;
  const rank = (v: number) =>
    all.filter((u) => u < v).length + (all.filter((u) => u === v).length + 1) / 2;
  const r1 = x.reduce((s, v) => s + rank(v), 0);
  let ties = 0;
  for (const v of new Set(all)) {
    ties += all.filter((u) => u === v).length ** 3 - all.filter((u) => u === v).length;
  }
  const n1 = x.length, n2 = y.length;
  const sd = Math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))));
  return erfc(Math.abs(r1 - n1 * (n + 1) / 2) / sd / Math.SQRT2);
}

Deno.test("pairKnockoff: p-values equal a brute-force tie-corrected rank-sum test; W formula", () => {
  const rng = new Rng(8), n = 90, p = 6;
  // three clusters; only 0 and 2 are compared, cluster 1 must be ignored
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const data = new Float32Array(n * 2 * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 2 * p; j++) {
      const shift = j < 3 && labels[i] === 2 ? 1 + j : 0;
      data[i * 2 * p + j] = rng.uniform() < 0.4 ? 0 : Math.log1p(rng.poisson(2 + shift));
    }
  }
  // gene 5 and its twin constant (all zero) over clusters 0 and 2, not over cluster 1
  for (let i = 0; i < n; i++) {
    data[i * 2 * p + 5] = data[i * 2 * p + 11] = labels[i] === 1 ? 3 : 0;
  }
  const genes = Array.from({ length: p }, (_, j) => `g${j}`);
  const ds = Dataset.fromDense(data, n, 2 * p, [...genes, ...genes.map((g) => g + "__null")]);
  const r = pairKnockoff(ds, labels, 0, 2);
  for (let j = 0; j < 2 * p; j++) {
    if (j === 5 || j === 11) continue;
    const col = (c: number) =>
      Array.from(labels.keys()).filter((i) => labels[i] === c).map((i) => data[i * 2 * p + j]);
    assertClose(r.pValues[j] / bruteWilcoxonP(col(0), col(2)), 1, 1e-9, `gene ${j}`);
  }
  assertEquals([r.pValues[5], r.pValues[11], r.nUntestable, r.nClamped], [1, 1, 2, 0]);
  for (let j = 0; j < p; j++) {
    assertClose(r.W[j], -Math.log10(r.pValues[j]) + Math.log10(r.pValues[p + j]), 1e-12);
  }
  assert(r.W[2] > 1, `strongest shifted gene W ${r.W[2]}`);
  // the same from CSR
  const csr = Dataset.fromCSR(
    ...toCsr(data, n, 2 * p),
    2 * p,
    ds.genes,
  );
  assertEquals(pairKnockoff(csr, labels, 0, 2).pValues, r.pValues);
});

function toCsr(data: Float32Array, n: number, g: number): [Int32Array, Int32Array, Float32Array] {
  const indptr = [0], indices: number[] = [], values: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < g; j++) {
      if (data[i * g + j] !== 0) {
        [indices[indices.length], values[values.length]] = [j, data[i * g + j]];
      }
    }
    indptr.push(indices.length);
  }
  return [Int32Array.from(indptr), Int32Array.from(indices), Float32Array.from(values)];
}

Deno.test("pairKnockoff: 25 strong markers pass q = 0.05, 19 cannot; underflow is clamped", () => {
  const rng = new Rng(2), n = 2200, p = 40;
  const labels = Int32Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 1));
  // real genes 0-24 are up in cluster 1, real genes 25-39 are all zero (W = log10 p~ <= 0);
  // the twins are pure noise
  const make = (markers: number) => {
    const data = new Float32Array(n * 2 * p);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 2 * p; j++) {
        if (j >= markers && j < p) continue;
        const up = j < markers && labels[i] === 1 ? 3 : 0;
        data[i * 2 * p + j] = Math.log1p(rng.poisson(1 + up));
      }
      // gene 0 separates the clusters perfectly with distinct values: z ~ 40, p underflows
      data[i * 2 * p] = labels[i] === 1 ? 1000 + i : i;
    }
    const genes = Array.from({ length: p }, (_, j) => `g${j}`);
    return Dataset.fromDense(data, n, 2 * p, [...genes, ...genes.map((g) => g + "__null")]);
  };
  const r = pairKnockoff(make(25), labels, 1, 0);
  assertEquals(r.pValues[0], Number.MIN_VALUE);
  assertEquals([r.nClamped, r.nUntestable], [1, 15]);
  assertEquals(Array.from(r.selected), Array.from({ length: 25 }, (_, j) => j));
  // 19 markers: at most 19 W > 0, so (1 + 0) / 19 > 0.05 and nothing passes; q = 0.1 passes
  const few = make(19);
  const none = pairKnockoff(few, labels, 0, 1);
  assertEquals([none.threshold, none.selected.length], [Infinity, 0]);
  assertEquals(pairKnockoff(few, labels, 0, 1, { q: 0.1 }).selected.length, 19);
});

Deno.test("pairKnockoff: rejects a matrix without the real-then-twin layout", () => {
  const ds = Dataset.fromDense(new Float32Array(8), 2, 4, ["a", "b", "b__null", "a__null"]);
  assertThrows(() => pairKnockoff(ds, Int32Array.from([0, 1]), 0, 1), ShapeMismatchError);
  const odd = Dataset.fromDense(new Float32Array(6), 2, 3, ["a", "b", "a__null"]);
  assertThrows(() => pairKnockoff(odd, Int32Array.from([0, 1]), 0, 1), ShapeMismatchError);
  const ok = Dataset.fromDense(new Float32Array(4), 2, 2, ["a", "a__null"]);
  assertThrows(() => pairKnockoff(ok, Int32Array.from([0]), 0, 1), ShapeMismatchError);
});
