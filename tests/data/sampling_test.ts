import { assertEquals, assertThrows } from "../_assert.ts";
import {
  celltypeQuota,
  downsample,
  geometricSketch,
  plaidCovering,
  sketchCoordinates,
  thinCounts,
} from "../../lib/data/sampling.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { initBackend } from "../../lib/runtime/backend.ts";

await initBackend("wasm");

/** Sorted, distinct, in [0, n). */
function assertIndexSet(cells: Int32Array, n: number): void {
  for (let i = 0; i < cells.length; i++) {
    assertEquals(cells[i] >= 0 && cells[i] < n, true, `index ${cells[i]} out of range`);
    if (i > 0) assertEquals(cells[i] > cells[i - 1], true, "not sorted or repeated");
  }
}

Deno.test("cell-type quota: the docs/methods.md §4.1 test vector, through celltypeQuota and downsample", () => {
  // {A: 1000, B: 50, C: 10, D: 400}, N = 300: c = 75 takes B and C whole, then 240 / 2
  assertEquals(Array.from(celltypeQuota([1000, 50, 10, 400], 300)), [120, 50, 10, 120]);
  const codes = Int32Array.from([
    ...Array(1000).fill(0),
    ...Array(50).fill(1),
    ...Array(10).fill(2),
    ...Array(400).fill(3),
  ]);
  const n = codes.length; // 1460: 300 / 1460 of the cells
  const cells = downsample(n, { scheme: "celltype", fraction: 300 / n, labels: codes, seed: 4 });
  assertIndexSet(cells, n);
  const taken = [0, 0, 0, 0];
  for (const i of cells) taken[codes[i]]++;
  assertEquals(taken, [120, 50, 10, 120]);
  // Hand-worked cases: a count equal to the level stays in the water (not taken whole), the
  // floor leaves a remainder, empty classes get nothing, a budget of 0 takes nothing.
  assertEquals(Array.from(celltypeQuota([4, 4, 100], 14)), [4, 4, 4]);
  assertEquals(Array.from(celltypeQuota([5, 10], 12)), [5, 7]);
  assertEquals(Array.from(celltypeQuota([0, 9, 9], 7)), [0, 3, 3]);
  assertEquals(Array.from(celltypeQuota([3, 8], 0)), [0, 0]);
  assertThrows(() => celltypeQuota([1.5, 2], 2), OptionError);
  assertThrows(() => celltypeQuota([1, 2], -1), OptionError);
});

Deno.test("cell-type quota equals min(count, q) at the smallest fixed point q, by brute force", () => {
  // Water-filling ends at a level q where the classes below q are whole and the others get
  // q = floor((N - whole) / others); scanning every q finds it without the iteration.
  const rng = new Rng(11);
  for (let trial = 0; trial < 400; trial++) {
    const counts = Array.from(
      { length: 1 + rng.int(7) },
      () => rng.int(rng.bernoulli(0.5) ? 12 : 300),
    );
    const total = counts.reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    const N = rng.int(total);
    let q = -1;
    for (let level = 0; level <= N && q < 0; level++) {
      let whole = 0, others = 0;
      for (const c of counts) {
        if (c > 0 && c < level) whole += c;
        else if (c > 0) others++;
      }
      if (others > 0 && Math.floor((N - whole) / others) === level) q = level;
    }
    const quota = celltypeQuota(counts, N);
    assertEquals(Array.from(quota), counts.map((c) => Math.min(c, q)), `${counts} N=${N}`);
    const sum = quota.reduce((a, b) => a + b, 0);
    const open = counts.filter((c) => c >= q && c > 0).length;
    assertEquals(sum <= N && sum > N - open, true, `sum ${sum} for N ${N}`);
  }
});

Deno.test("random and cell-type downsampling: exact size, sorted distinct indices, seeded", () => {
  const n = 537;
  const labels = Int32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? -1 : i % 3));
  for (const scheme of ["random", "celltype"] as const) {
    for (const fraction of [0.01, 0.1, 0.29, 0.5]) {
      const cells = downsample(n, { scheme, fraction, labels, seed: 2 });
      assertIndexSet(cells, n);
      const expected = Math.floor(n * fraction + 1e-9);
      if (scheme === "random") assertEquals(cells.length, expected);
      else assertEquals(cells.length <= expected && cells.length > expected - 4, true);
      assertEquals(downsample(n, { scheme, fraction, labels, seed: 2 }), cells);
    }
    const a = downsample(n, { scheme, fraction: 0.3, labels, seed: 0 });
    const b = downsample(n, { scheme, fraction: 0.3, labels, seed: 1 });
    assertEquals(a.join() === b.join(), false);
    assertEquals(downsample(n, { scheme, fraction: 1, labels }).length, n);
  }
  // 0.29 * 100 is 28.999999999999996 in floating point: still 29 cells.
  assertEquals(downsample(100, { scheme: "random", fraction: 0.29 }).length, 29);
  // Missing labels (77 cells) form a class of their own: 4 classes, each above 107 / 4 cells.
  const cells = downsample(n, { scheme: "celltype", fraction: 0.2, labels, seed: 5 });
  const missing = Array.from(cells).filter((i) => labels[i] < 0).length;
  assertEquals(missing, Math.floor(Math.floor(n * 0.2) / 4));
});

Deno.test("plaid covering by hand: intervals start at data points; the bisection hits [0.9k, 1.1k]", () => {
  // 1-D, k = 3: the first unit (range / 4 = 0.25) gives {0, 0.25} {0.45, 0.5} {1}; 0.25 lies
  // exactly one unit past its interval's start and stays in it (the test is start + unit < x).
  const line = Float64Array.of(0, 0.25, 0.45, 0.5, 1);
  const c = plaidCovering(line, 5, 1, 3);
  assertEquals(c.nBoxes, 3);
  assertEquals(Array.from(c.boxOf), [0, 0, 1, 1, 2]);
  // 2-D: x spans 10, y spans 1 (normalised by the global max 10: y's range is 0.1 <= unit, so
  // y never splits a box); the boxes are the x clusters.
  const plane = Float64Array.of(0, 0, 0.2, 1, 5, 0, 5.1, 1, 10, 0.5);
  const p = plaidCovering(plane, 5, 2, 3);
  assertEquals(Array.from(p.boxOf), [0, 0, 1, 1, 2]);
  assertEquals(p.unit >= 0.1, true);
  // Random clouds: every k lands within 10%, the boxes partition the points.
  const rng = new Rng(3), n = 400, d = 5;
  const x = Float64Array.from({ length: n * d }, () => rng.normal());
  for (const k of [4, 10, 40]) {
    const r = plaidCovering(x, n, d, k);
    assertEquals(r.nBoxes >= 0.9 * k && r.nBoxes <= 1.1 * k, true, `k ${k}: ${r.nBoxes} boxes`);
    assertEquals(new Set(r.boxOf).size, r.nBoxes);
  }
  // Identical points make one box, whatever k.
  assertEquals(plaidCovering(new Float64Array(6), 3, 2, 5).nBoxes, 1);
  assertThrows(() => plaidCovering(x, n, d, 0), OptionError);
  assertThrows(() => plaidCovering(x, n + 1, d, 4), ShapeMismatchError);
});

Deno.test("geometric sketch draws round-robin over boxes: small boxes fill up to their size", () => {
  // 50 points near 0, 5 near 0.5, 5 near 1: three boxes. Each round takes one point per box.
  const x = Float64Array.from([
    ...Array.from({ length: 50 }, (_, i) => i / 1000),
    ...Array.from({ length: 5 }, (_, i) => 0.5 + i / 1000),
    ...Array.from({ length: 5 }, (_, i) => 1 - i / 1000),
  ]);
  const group = (i: number) => (i < 50 ? 0 : i < 55 ? 1 : 2);
  const counts = (cells: Int32Array) => {
    const c = [0, 0, 0];
    for (const i of cells) c[group(i)]++;
    return c;
  };
  for (const seed of [0, 1, 2]) {
    const twelve = geometricSketch(x, 60, 1, 12, { boxes: 3, seed });
    assertIndexSet(twelve, 60);
    assertEquals(counts(twelve), [4, 4, 4]);
    // After 5 rounds the small boxes are empty: the rest comes from the large one.
    assertEquals(counts(geometricSketch(x, 60, 1, 20, { boxes: 3, seed })), [10, 5, 5]);
  }
  assertEquals(geometricSketch(x, 60, 1, 60).length, 60);
  assertEquals(geometricSketch(x, 60, 1, 0).length, 0);
  assertThrows(() => geometricSketch(x, 60, 1, 61), OptionError);
});

Deno.test("geosketch on simulated cells covers a 2% cell type far better than random", () => {
  const { dataset } = simulate({
    nCells: 1500,
    nGenes: 300,
    typeNames: ["T", "B", "Mono", "rare"],
    proportions: [0.5, 0.28, 0.2, 0.02],
    seed: 3,
  });
  const rare = dataset.categorical("cell_type").categories.indexOf("rare");
  const codes = dataset.categorical("cell_type").codes;
  const share = (cells: Int32Array) =>
    Array.from(cells).filter((i) => codes[i] === rare).length / cells.length;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const seeds = [0, 1, 2, 3, 4];
  const random = mean(
    seeds.map((seed) => share(downsample(dataset, { scheme: "random", fraction: 0.1, seed }))),
  );
  // 30 rare cells of 1500. The study's 1% boxes (15) on 10 PCs, and 50 boxes on the default
  // 50 PCs: either way isolated rare cells fill boxes of their own and are drawn more often.
  const few = sketchCoordinates(dataset, { nPcs: 10 });
  const all = sketchCoordinates(dataset);
  assertEquals([few.dims, few.data.length, all.dims], [10, 15000, 50]);
  for (const [coords, boxes] of [[few, undefined], [all, 50]] as const) {
    const shares = seeds.map((seed) => {
      const draw = () =>
        downsample(dataset, { scheme: "geosketch", fraction: 0.1, coords, boxes, seed });
      const sketch = draw();
      assertIndexSet(sketch, 1500);
      assertEquals(sketch.length, 150);
      assertEquals(draw(), sketch);
      return share(sketch);
    });
    assertEquals(
      mean(shares) > 0.06 && mean(shares) > 2.5 * random,
      true,
      `${shares} vs ${random}`,
    );
  }
  // Given the Dataset alone, the coordinates are computed on the fly.
  const own = downsample(dataset, { scheme: "geosketch", fraction: 0.05, seed: 1 });
  assertEquals(own.length, 75);
});

Deno.test("downsample refuses bad options with typed errors", () => {
  assertThrows(() => downsample(10, { scheme: "random", fraction: 0 }), OptionError);
  assertThrows(() => downsample(10, { scheme: "random", fraction: 1.5 }), OptionError);
  assertThrows(() => downsample(10, { scheme: "other" as never, fraction: 0.5 }), OptionError);
  assertThrows(() => downsample(10, { scheme: "celltype", fraction: 0.5 }), OptionError);
  assertThrows(
    () => downsample(10, { scheme: "celltype", fraction: 0.5, labels: "cell_type" }),
    OptionError,
  );
  assertThrows(
    () => downsample(10, { scheme: "celltype", fraction: 0.5, labels: new Int32Array(9) }),
    ShapeMismatchError,
  );
  assertThrows(() => downsample(10, { scheme: "geosketch", fraction: 0.5 }), OptionError);
  assertThrows(
    () =>
      downsample(10, {
        scheme: "geosketch",
        fraction: 0.5,
        coords: { data: new Float32Array(9), dims: 1 },
      }),
    ShapeMismatchError,
  );
});

/** Binomial(n, p) probabilities by the product formula, for the brute-force comparison. */
function binomialPmf(n: number, p: number): number[] {
  const pmf: number[] = [];
  for (let k = 0; k <= n; k++) {
    let choose = 1;
    for (let i = 1; i <= k; i++) choose = choose * (n - k + i) / i;
    pmf.push(choose * p ** k * (1 - p) ** (n - k));
  }
  return pmf;
}

Deno.test("Rng.binomial matches the exact Binomial(n, p) probabilities, both sides of p = 1/2", () => {
  const draws = 40000;
  for (const [n, p] of [[12, 0.3], [12, 0.8], [3, 0.5], [1, 0.1]]) {
    const rng = new Rng(n * 100 + p * 10);
    const freq = new Array(n + 1).fill(0);
    for (let t = 0; t < draws; t++) freq[rng.binomial(n, p)]++;
    binomialPmf(n, p).forEach((q, k) => {
      // 5 binomial standard errors of a frequency
      const tol = 5 * Math.sqrt(q * (1 - q) / draws) + 1e-9;
      const f = freq[k] / draws;
      assertEquals(Math.abs(f - q) <= tol, true, `n=${n} p=${p} k=${k}: ${f} vs ${q}`);
    });
  }
});

Deno.test("Rng.binomial with a large n: mean n p and variance n p (1 - p)", () => {
  const rng = new Rng(5), n = 5000, p = 0.1, draws = 4000;
  let sum = 0, sq = 0;
  for (let t = 0; t < draws; t++) {
    const k = rng.binomial(n, p);
    sum += k;
    sq += k * k;
  }
  const mean = sum / draws, variance = sq / draws - mean * mean;
  assertEquals(Math.abs(mean - n * p) < 5 * Math.sqrt(n * p * (1 - p) / draws), true, `${mean}`);
  assertEquals(Math.abs(variance / (n * p * (1 - p)) - 1) < 0.1, true, `${variance}`);
  assertThrows(() => rng.binomial(2.5, 0.5), OptionError);
  assertThrows(() => rng.binomial(3, 1.5), OptionError);
});

/** nCells cells, every one holding the same counts per gene (sparse with one empty gene). */
function constantCells(counts: number[], nCells: number, csr: boolean): Dataset {
  const genes = counts.map((_, j) => `g${j}`);
  const dense = new Float32Array(nCells * counts.length);
  for (let i = 0; i < nCells; i++) dense.set(counts, i * counts.length);
  const ds = Dataset.fromDense(dense, nCells, counts.length, genes);
  if (!csr) return ds;
  const indptr = new Int32Array(nCells + 1), indices: number[] = [], values: number[] = [];
  for (let i = 0; i < nCells; i++) {
    counts.forEach((c, j) => {
      if (c) [indices.push(j), values.push(c)];
    });
    indptr[i + 1] = indices.length;
  }
  return Dataset.fromCSR(
    indptr,
    Int32Array.from(indices),
    Float32Array.from(values),
    counts.length,
    genes,
  );
}

Deno.test("thinCounts: per-gene mean f c and variance f (1 - f) c over many cells, CSR and dense", () => {
  const counts = [0, 1, 5, 40, 300], n = 3000, f = 0.3;
  for (const csr of [true, false]) {
    const ds = constantCells(counts, n, csr);
    const before = ds.toDense().slice();
    const thin = thinCounts(ds, f, 11);
    assertEquals(thin.X.kind, ds.X.kind);
    assertEquals(thin.genes, ds.genes);
    assertEquals(Array.from(ds.toDense()), Array.from(before), "input modified");
    const x = thin.toDense();
    counts.forEach((c, j) => {
      let sum = 0, sq = 0;
      for (let i = 0; i < n; i++) {
        const v = x[i * counts.length + j];
        assertEquals(Number.isInteger(v) && v >= 0 && v <= c, true, `value ${v} from ${c}`);
        sum += v;
        sq += v * v;
      }
      const mean = sum / n, variance = sq / n - mean * mean, v = f * (1 - f) * c;
      assertEquals(Math.abs(mean - f * c) <= 5 * Math.sqrt(v / n) + 1e-12, true, `mean ${mean}`);
      // the sample variance's standard error is about v sqrt(2 / n) for these near-normal counts
      assertEquals(
        Math.abs(variance - v) <= 6 * (v + 0.3) * Math.sqrt(2 / n),
        true,
        `var ${variance}`,
      );
    });
    if (thin.X.kind === "csr") {
      assertEquals(thin.X.values.every((v) => v > 0), true, "a thinned-out count left stored");
    }
  }
});

Deno.test("thinCounts is seeded, keeps obs, returns the same counts at 1 and refuses bad input", () => {
  const { dataset } = simulate({ nCells: 60, nGenes: 80, seed: 2 });
  const a = thinCounts(dataset, 0.5, 3), b = thinCounts(dataset, 0.5, 3);
  assertEquals(Array.from(a.toDense()), Array.from(b.toDense()));
  const c = thinCounts(dataset, 0.5, 4);
  assertEquals(Array.from(a.toDense()).join() === Array.from(c.toDense()).join(), false);
  assertEquals(a.obsNames, dataset.obsNames);
  assertEquals(a.labels("cell_type"), dataset.labels("cell_type"));
  assertEquals(Array.from(thinCounts(dataset, 1, 3).toDense()), Array.from(dataset.toDense()));
  for (const bad of [0, -0.5, 1.5, NaN]) {
    const err = assertThrows(() => thinCounts(dataset, bad, 3), OptionError);
    assertEquals(err.message.includes("(0, 1]"), true, err.message);
  }
  const logged = Dataset.fromDense(new Float32Array([1.5, 0]), 1, 2, ["A", "B"]);
  const nonInteger = assertThrows(() => thinCounts(logged, 0.5, 3), DataValueError);
  assertEquals(nonInteger.message.includes("non-integer"), true, nonInteger.message);
  const negative = Dataset.fromDense(new Float32Array([-1, 0]), 1, 2, ["A", "B"]);
  const negErr = assertThrows(() => thinCounts(negative, 0.5, 3), DataValueError);
  assertEquals(negErr.message.includes("negative"), true, negErr.message);
});
