import { assertEquals, assertThrows } from "../_assert.ts";
import {
  celltypeQuota,
  downsample,
  geometricSketch,
  plaidCovering,
  sketchCoordinates,
} from "../../lib/data/sampling.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
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
