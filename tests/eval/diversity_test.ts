import { assertClose, assertEquals, assertThrows } from "../_assert.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import {
  diversityReport,
  giniSimpson,
  inverseSimpson,
  shannonDiversity,
  vendiScore,
} from "../../lib/eval/diversity.ts";
import { DataValueError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";

Deno.test("Shannon, Gini-Simpson and inverse Simpson by hand; missing labels left out", () => {
  // p = 1/2, 1/4, 1/4: H = 1.5 bits, Σp² = 3/8
  for (const labels of [["a", "a", "b", "c"], ["a", null, "a", "b", "c"], [0, 0, 1, 2, -1]]) {
    assertClose(shannonDiversity(labels), 1.5, 1e-12);
    assertClose(giniSimpson(labels), 0.625, 1e-12);
    assertClose(inverseSimpson(labels), 8 / 3, 1e-12);
  }
  // k equally common types: H = log2 k, Gini-Simpson 1 - 1/k, inverse Simpson k.
  const five = Int32Array.from({ length: 50 }, (_, i) => i % 5);
  assertClose(shannonDiversity(five), Math.log2(5), 1e-12);
  assertClose(giniSimpson(five), 0.8, 1e-12);
  assertClose(inverseSimpson(five), 5, 1e-12);
  assertEquals(shannonDiversity(["x"]), 0);
  assertThrows(() => shannonDiversity([]), DataValueError);
  assertThrows(() => giniSimpson([null, null]), DataValueError);
  assertThrows(() => inverseSimpson([-1]), DataValueError);
});

Deno.test("Vendi score: the docs/methods.md §4.2 test vectors, zero rows dropped and counted", () => {
  const i3 = vendiScore(Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), 3, 3);
  assertClose(i3.score, 3, 1e-12);
  assertEquals([i3.nRows, i3.zeroRows], [3, 0]);
  assertClose(vendiScore(Float32Array.of(2, 1, 2, 1, 2, 1, 2, 1), 4, 2).score, 1, 1e-12);
  assertClose(vendiScore(Float64Array.of(1, 0, 1, 0, 0, 1, 0, 1), 4, 2).score, 2, 1e-12);
  // Row scale does not matter (cosine); a zero row is dropped, not counted as a cell.
  const withZero = vendiScore(Float64Array.of(3, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 7), 4, 3);
  assertClose(withZero.score, 3, 1e-12);
  assertEquals([withZero.nRows, withZero.zeroRows], [3, 1]);
  // Three cells along e1, one along e2: eigenvalues 3/4, 1/4, score exp(H(3/4, 1/4)).
  const h = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
  assertClose(vendiScore(Float64Array.of(1, 0, 2, 0, 5, 0, 0, 1), 4, 2).score, Math.exp(h), 1e-12);
  // Two unit vectors at 60 degrees: K = [[1, 1/2], [1/2, 1]] / 2, eigenvalues 3/4 and 1/4 too.
  const sixty = vendiScore(Float64Array.of(1, 0, 0.5, Math.sqrt(3) / 2), 2, 2);
  assertClose(sixty.score, Math.exp(h), 1e-12);
  assertThrows(() => vendiScore(new Float64Array(6), 3, 2), DataValueError);
  assertThrows(() => vendiScore(Float64Array.of(1, NaN), 1, 2), DataValueError);
  assertThrows(() => vendiScore(new Float64Array(5), 3, 2), ShapeMismatchError);
});

Deno.test("Vendi score: the d x d and n x n spectra agree on random data (brute force)", () => {
  const rng = new Rng(8);
  for (const [n, d] of [[7, 4], [4, 9], [12, 12], [30, 6]]) {
    // A few repeated rows and a zero row make the spectrum uneven.
    const x = Float64Array.from({ length: n * d }, () => rng.normal());
    x.copyWithin(d, 0, d);
    x.fill(0, (n - 1) * d);
    const dual = vendiScore(x, n, d, { via: "dual" });
    const kernel = vendiScore(x, n, d, { via: "kernel" });
    assertEquals([dual.via, kernel.via], ["dual", "kernel"]);
    assertClose(dual.score, kernel.score, 1e-9, `${n} x ${d}`);
    assertEquals(dual.zeroRows, 1);
    // The automatic choice takes the smaller matrix.
    assertEquals(vendiScore(x, n, d).via, d < n - 1 ? "dual" : "kernel");
    // Never more than the number of distinct directions, never below 1.
    assertEquals(dual.score >= 1 && dual.score <= Math.min(n - 2, d) + 1e-9, true);
  }
});

Deno.test("diversityReport: label indices of the subset, Vendi on its own preprocessing", () => {
  const { dataset } = simulate({ nCells: 300, nGenes: 120, seed: 2 });
  const cells = Int32Array.from({ length: 100 }, (_, i) => 3 * i);
  const r = diversityReport(dataset, cells, { label: "cell_type" });
  const labels = dataset.selectCells(cells).labels("cell_type");
  assertEquals(r.nCells, 100);
  assertEquals(r.nTypes, new Set(labels).size);
  assertEquals(r.shannon, shannonDiversity(labels));
  assertEquals(r.giniSimpson, giniSimpson(labels));
  assertEquals(r.inverseSimpson, inverseSimpson(labels));
  assertEquals(r.vendi > 1 && r.vendi < 100, true, `vendi ${r.vendi}`);
  assertEquals(r.vendiGenes > 0 && r.vendiGenes < 120, true);
  // Fewer cells, less diversity of expression.
  const small = diversityReport(dataset, cells.subarray(0, 20), { label: "cell_type" });
  assertEquals(small.vendi < r.vendi, true);
  assertEquals(diversityReport(dataset, cells, { vendi: false }).vendi, NaN);
  // Two expression profiles, 4 cells each: after centring the cells are +u and -u, whose cosine
  // kernel has rank one: Vendi exactly 1 (whatever the HVGs).
  const profile = [[9, 1, 4, 0, 2, 7], [1, 8, 2, 6, 3, 0]];
  const data = Float32Array.from({ length: 48 }, (_, k) => profile[Math.floor(k / 6) % 2][k % 6]);
  const twins = Dataset.fromDense(data, 8, 6, ["a", "b", "c", "d", "e", "f"], {
    t: {
      kind: "categorical",
      codes: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]),
      categories: ["x", "y"],
    },
  });
  const t = diversityReport(twins, undefined, { label: "t", nHvg: 4 });
  assertClose(t.vendi, 1, 1e-9);
  assertEquals([t.shannon, t.giniSimpson, t.inverseSimpson], [1, 0.5, 2]);
  // One cell: labels work, Vendi does not apply.
  const one = diversityReport(dataset, [5], { label: "cell_type" });
  assertEquals([one.nCells, one.nTypes, one.shannon, one.vendi], [1, 1, 0, NaN]);
  assertEquals(one.notes.length, 1);
});
