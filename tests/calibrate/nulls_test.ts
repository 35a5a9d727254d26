import { ok as assert } from "node:assert/strict";
import { assertClose, assertEquals, assertThrows } from "../_assert.ts";
import { fitNegBinomial, fitZip, lambertW0, nullGenes } from "../../lib/calibrate/nulls.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { isNullGene } from "../../lib/data/twins.ts";
import { DataValueError, OptionError } from "../../lib/runtime/errors.ts";
import lgamma from "@stdlib/math-base-special-gammaln";
import { Rng } from "../../lib/runtime/rng.ts";

Deno.test("lambertW0 matches known values and w e^w = z", () => {
  const known: [number, number][] = [
    [1, 0.5671432904097838],
    [Math.E, 1],
    [-Math.exp(-1), -1],
    [-0.2, -0.2591711018190737],
    [10, 1.7455280027406994],
    [0, 0],
  ];
  for (const [z, w] of known) assertClose(lambertW0(z), w, 4e-16 * (1 + Math.abs(w)), `W0(${z})`);
  for (const z of [-0.36787944, -0.3678, -0.3, -1e-8, 1e-8, 0.5, 2.9, 3.1, 100, 1e6, 1e100]) {
    const w = lambertW0(z);
    assert(w >= -1, `W0(${z}) on the principal branch`);
    assertClose(w * Math.exp(w), z, 1e-14 * Math.abs(z) + 1e-17, `W0(${z}) e^W0`);
  }
  for (const bad of [NaN, Infinity, -Infinity, -0.37]) {
    assertThrows(() => lambertW0(bad), DataValueError);
  }
});

Deno.test("fitZip: docs/methods.md §3.1 test vectors and guards", () => {
  const a = fitZip([0, 0, 0, 0, 1, 2, 3, 0, 5, 2]);
  assertClose(a.lambda, 2.35271, 5e-6);
  assertClose(a.pi, 0.44745, 5e-6);
  assertEquals(a.guard, "none");
  // lambda solves lambda / (1 - e^-lambda) = gamma = mean of the non-zeros = 13 / 5
  assertClose(a.lambda / -Math.expm1(-a.lambda), 2.6, 1e-12);
  const b = fitZip([1, 2, 3, 4]);
  assertClose(b.lambda, 2.23161, 5e-6);
  assertClose(b.piRaw, -0.12027, 5e-6);
  assertEquals([b.pi, b.guard], [0, "pi_negative"]);
  assertEquals(fitZip([0, 0, 0]).guard, "all_zero");
  assertEquals(fitZip([0, 1, 1, 0]), { lambda: 0.5, pi: 0, piRaw: 0, guard: "unit_counts" });
  assertThrows(() => fitZip([0, 1.5]), DataValueError);
  assertThrows(() => fitZip([0, -1]), DataValueError);
  assertThrows(() => fitZip([0, NaN]), DataValueError);
  assertThrows(() => fitZip([]), OptionError);
});

/** The full NB log-likelihood of counts x at (mu, r). */
function nbLogLik(x: number[], mu: number, r: number): number {
  let ll = 0;
  for (const v of x) {
    ll += lgamma(v + r) - lgamma(r) - lgamma(v + 1) + r * Math.log(r / (r + mu)) +
      v * Math.log(mu / (r + mu));
  }
  return ll;
}

Deno.test("fitNegBinomial: the MLE of r agrees with a brute-force grid over ln r", () => {
  for (const [mu, theta, seed] of [[3, 0.7, 1], [20, 5, 2], [0.4, 0.2, 3]]) {
    const rng = new Rng(seed);
    const x = Array.from({ length: 400 }, () => rng.negativeBinomial(mu, theta));
    const fit = fitNegBinomial(x);
    assertEquals(fit.guard, "none");
    assertClose(fit.mu, x.reduce((s, v) => s + v, 0) / x.length, 1e-12);
    let bestT = 0, best = -Infinity;
    for (let t = -6; t <= 8; t += 1e-3) {
      const ll = nbLogLik(x, fit.mu, Math.exp(t));
      if (ll > best) [best, bestT] = [ll, t];
    }
    assertClose(Math.log(fit.size), bestT, 1.5e-3, `ln r for theta ${theta}`);
    assert(nbLogLik(x, fit.mu, fit.size) >= best - 1e-9, "Brent beats the grid");
  }
  // under-dispersed and constant data fall back to Poisson(mean)
  assertEquals(fitNegBinomial([1, 2, 1, 2, 1, 2]), { mu: 1.5, size: Infinity, guard: "poisson" });
  assertEquals(fitNegBinomial([3, 3, 3]).guard, "poisson");
  assertEquals(fitNegBinomial([0, 0]), { mu: 0, size: Infinity, guard: "all_zero" });
  assertThrows(() => fitNegBinomial([2.5]), DataValueError);
});

/** A CSR dataset from dense rows. */
function csr(rows: number[][], genes: string[], labels?: string[]): Dataset {
  const indptr = [0], indices: number[] = [], values: number[] = [];
  for (const row of rows) {
    row.forEach((v, j) => {
      if (v !== 0) [indices[indices.length], values[values.length]] = [j, v];
    });
    indptr.push(indices.length);
  }
  return Dataset.fromCSR(
    Int32Array.from(indptr),
    Int32Array.from(indices),
    Float32Array.from(values),
    genes.length,
    genes,
    labels ? { group: { kind: "string", values: labels } } : {},
  );
}

/** Column j of a dataset as numbers. */
function column(ds: Dataset, j: number): number[] {
  const dense = ds.toDense();
  return Array.from({ length: ds.nCells }, (_, i) => dense[i * ds.nGenes + j]);
}

function zipDraws(n: number, pi: number, lambda: number, rng: Rng): number[] {
  return Array.from({ length: n }, () => (rng.uniform() < pi ? 0 : rng.poisson(lambda)));
}

Deno.test("nullGenes: layout, real values unchanged, guards counted, deterministic", () => {
  const rows = [
    [0, 1, 1, 4, 0],
    [0, 0, 2, 3, 7],
    [0, 1, 3, 5, 0],
    [0, 0, 4, 6, 0],
  ];
  const ds = csr(rows, ["Z", "U", "P", "Q", "N"], ["a", "b", "a", "b"]);
  const { dataset, nullOf, guards } = nullGenes(ds, { seed: 5 });
  assertEquals(dataset.genes, ["Z", "U", "P", "Q", "N", ...nullOf]);
  assertEquals(nullOf, ["Z__null", "U__null", "P__null", "Q__null", "N__null"]);
  assert(dataset.isSparse);
  assertEquals(dataset.labels("group"), ["a", "b", "a", "b"]);
  for (let j = 0; j < 5; j++) assertEquals(column(dataset, j), rows.map((r) => r[j]));
  assertEquals(column(dataset, 5), [0, 0, 0, 0]); // all-zero gene -> all-zero null
  assertEquals(guards, { none: 1, all_zero: 1, unit_counts: 1, pi_negative: 2, poisson: 0 });
  // CSR rows stay sorted by gene index
  for (let i = 0; i < dataset.nCells; i++) {
    for (let p = dataset.indptr[i] + 1; p < dataset.indptr[i + 1]; p++) {
      assert(dataset.indices[p - 1] < dataset.indices[p]);
    }
  }
  assertEquals(nullGenes(ds, { seed: 5 }).dataset.toDense(), dataset.toDense());
  // dense input gives a dense result with the same draws
  const dense = Dataset.fromDense(ds.toDense(), 4, 5, ds.genes);
  const fromDense = nullGenes(dense, { seed: 5 }).dataset;
  assert(!fromDense.isSparse);
  assertEquals(fromDense.toDense(), dataset.toDense());
  assert(isNullGene("P__null") && !isNullGene("P") && isNullGene("P_x", "_x"));
});

Deno.test("nullGenes: a drawn null's zero fraction and mean match the fitted ZIP / NB", () => {
  const n = 20000, rng = new Rng(11);
  const a = zipDraws(n, 0.3, 2.5, rng), b = zipDraws(n, 0.6, 0.8, rng);
  const c = Array.from({ length: n }, () => rng.negativeBinomial(4, 0.8));
  const ds = Dataset.fromDense(
    Float32Array.from(a.flatMap((v, i) => [v, b[i], c[i]])),
    n,
    3,
    ["A", "B", "C"],
  );
  const zip = nullGenes(ds, { seed: 2 }).dataset;
  for (const [j, x] of [a, b].entries()) {
    const fit = fitZip(x), y = column(zip, 3 + j);
    const p0 = fit.pi + (1 - fit.pi) * Math.exp(-fit.lambda), mean = (1 - fit.pi) * fit.lambda;
    const variance = mean * (1 + fit.pi * fit.lambda);
    const zeros = y.filter((v) => v === 0).length / n, m = y.reduce((s, v) => s + v, 0) / n;
    assertClose(zeros, p0, 4 * Math.sqrt(p0 * (1 - p0) / n), `zero fraction of gene ${j}`);
    assertClose(m, mean, 4 * Math.sqrt(variance / n), `mean of gene ${j}`);
    assertClose(fit.pi, [0.3, 0.6][j], 0.03, "pi recovered");
  }
  const nb = nullGenes(ds, { method: "nb", seed: 2 }).dataset;
  const fit = fitNegBinomial(c), y = column(nb, 5);
  const m = y.reduce((s, v) => s + v, 0) / n;
  const variance = fit.mu + fit.mu * fit.mu / fit.size;
  const v = y.reduce((s, t) => s + (t - m) ** 2, 0) / (n - 1);
  const p0 = Math.pow(fit.size / (fit.size + fit.mu), fit.size);
  assertClose(m, fit.mu, 4 * Math.sqrt(variance / n), "NB mean");
  assertClose(v / variance, 1, 0.08, "NB variance");
  assertClose(
    y.filter((t) => t === 0).length / n,
    p0,
    4 * Math.sqrt(p0 * (1 - p0) / n),
    "NB zeros",
  );
  assertClose(fit.size, 0.8, 0.05, "size recovered");
});

Deno.test("nullGenes: a null ignores labels and cell order (it depends on the counts' multiset only)", () => {
  // gene M is a perfect marker of group "b"; its null must not be
  const n = 2000, labels = Array.from({ length: n }, (_, i) => (i < n / 2 ? "a" : "b"));
  const rng = new Rng(3);
  const rows = labels.map((l) => [l === "b" ? 1 + rng.poisson(6) : 0, rng.poisson(1)]);
  const ds = csr(rows, ["M", "H"], labels);
  const y = column(nullGenes(ds, { seed: 9 }).dataset, 2);
  const meanA = y.slice(0, n / 2).reduce((s, v) => s + v, 0) / (n / 2);
  const meanB = y.slice(n / 2).reduce((s, v) => s + v, 0) / (n / 2);
  assert(Math.abs(meanA - meanB) < 0.5, `null means by group ${meanA} vs ${meanB}`);
  // reversed cells and relabelled groups give the very same null column
  const reversed = csr([...rows].reverse(), ["M", "H"], labels.map((l) => (l === "a" ? "x" : "y")));
  assertEquals(column(nullGenes(reversed, { seed: 9 }).dataset, 2), y);
  assertEquals(
    column(nullGenes(reversed, { seed: 9 }).dataset, 3),
    column(nullGenes(ds, { seed: 9 }).dataset, 3),
  );
});

Deno.test("nullGenes: rejects non-counts, duplicated nulls and unknown methods", () => {
  const ds = csr([[1, 2.5], [0, 1]], ["A", "B"]);
  const err = assertThrows(() => nullGenes(ds), DataValueError);
  assert(err.message.includes("raw counts") && err.message.includes("'B'"), err.message);
  assertThrows(() => nullGenes(csr([[1, -1]], ["A", "B"])), DataValueError);
  const good = csr([[1, 2], [0, 1]], ["A", "B"]);
  const twice = nullGenes(good).dataset;
  assertThrows(() => nullGenes(twice), OptionError);
  assertThrows(() => nullGenes(good, { method: "gauss" as "zip" }), OptionError);
  assertThrows(() => nullGenes(good, { suffix: "" }), OptionError);
});

Deno.test("nullGenes: libraryScale makes a twin's rate follow each cell's depth", () => {
  // One gene, 4000 cells; the second half sequenced 3x deeper than the first.
  const n = 4000, rng = new Rng(5);
  const counts = Float32Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 0 : rng.poisson(2)));
  const ds = Dataset.fromDense(counts, n, 1, ["A"]);
  const scale = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 0.5 : 1.5));
  const meanOf = (x: Float32Array, from: number, to: number) => {
    let s = 0;
    for (let i = from; i < to; i++) s += x[i];
    return s / (to - from);
  };
  for (const method of ["zip", "nb"] as const) {
    const scaled = nullGenes(ds, { seed: 2, method, libraryScale: scale }).dataset.toDense();
    const twin = Float32Array.from({ length: n }, (_, i) => scaled[i * 2 + 1]);
    const ratio = meanOf(twin, n / 2, n) / meanOf(twin, 0, n / 2);
    assert(ratio > 2.5 && ratio < 3.5, `${method}: deep / shallow mean ${ratio} (expected ~3)`);
    // The overall mean is kept (scale has mean 1).
    assertClose(meanOf(twin, 0, n), meanOf(counts, 0, n), 0.1, `${method} mean`);
    const plain = nullGenes(ds, { seed: 2, method }).dataset.toDense();
    const flat = Float32Array.from({ length: n }, (_, i) => plain[i * 2 + 1]);
    const flatRatio = meanOf(flat, n / 2, n) / meanOf(flat, 0, n / 2);
    assert(flatRatio > 0.85 && flatRatio < 1.15, `${method}: unscaled ratio ${flatRatio}`);
  }
  assertThrows(() => nullGenes(ds, { libraryScale: [1, 2] }), OptionError);
  assertThrows(
    () => nullGenes(ds, { libraryScale: scale.map((v, i) => (i ? v : NaN)) }),
    OptionError,
  );
});
