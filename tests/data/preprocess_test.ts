import {
  deepStrictEqual,
  equal,
  notDeepStrictEqual,
  ok as assert,
  throws,
} from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import {
  applyPreprocess,
  filterCells,
  filterGenes,
  fitPreprocess,
  log1p,
  medianLibrarySize,
  normalizeTotal,
  type PreprocessParams,
  scale,
} from "../../lib/data/preprocess.ts";
import { highlyVariableGenes } from "../../lib/data/hvg.ts";
import { checkCounts } from "../../lib/data/stats.ts";
import { DataValueError, MissingFieldError, OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { csrFromDense } from "./_fixtures.ts";

// 4 cells x 5 genes; totals 4, 6, 0, 8 (median of the non-zero totals: 6)
const M = [
  [1, 0, 2, 0, 1],
  [0, 3, 0, 0, 3],
  [0, 0, 0, 0, 0],
  [2, 2, 0, 4, 0],
];
const GENES = ["g0", "g1", "g2", "g3", "g4"];

function dense(rows: number[][], genes = GENES): Dataset {
  return Dataset.fromDense(Float32Array.from(rows.flat()), rows.length, rows[0].length, genes);
}

function csr(rows: number[][], genes = GENES): Dataset {
  return csrFromDense(rows.flat(), rows.length, rows[0].length, genes);
}

function rowsOf(ds: Dataset): number[][] {
  const d = ds.toDense();
  return Array.from(
    { length: ds.nCells },
    (_, i) => Array.from(d.subarray(i * ds.nGenes, (i + 1) * ds.nGenes)),
  );
}

function assertClose(actual: number[][], expected: number[][], tol = 1e-6): void {
  deepStrictEqual(actual.length, expected.length);
  actual.forEach((row, i) =>
    row.forEach((v, j) =>
      assert(Math.abs(v - expected[i][j]) <= tol, `(${i}, ${j}): ${v} vs ${expected[i][j]}`)
    )
  );
}

/** Run `fn` on the CSR and dense forms: same numbers, inputs untouched. */
function both(fn: (ds: Dataset) => Dataset): number[][] {
  const a = csr(M), b = dense(M);
  const beforeA = Float32Array.from(a.values), beforeB = Float32Array.from(b.toDense());
  const ra = fn(a), rb = fn(b);
  deepStrictEqual(rowsOf(ra), rowsOf(rb));
  deepStrictEqual(a.values, beforeA);
  deepStrictEqual(b.toDense(), beforeB);
  return rowsOf(ra);
}

Deno.test("normalizeTotal: default target is the median of non-zero totals; empty cells stay 0", () => {
  assertClose(both((ds) => normalizeTotal(ds)), [
    [1.5, 0, 3, 0, 1.5],
    [0, 3, 0, 0, 3],
    [0, 0, 0, 0, 0],
    [1.5, 1.5, 0, 3, 0],
  ]);
  assertClose(both((ds) => normalizeTotal(ds, { targetSum: 12 })), [
    [3, 0, 6, 0, 3],
    [0, 6, 0, 0, 6],
    [0, 0, 0, 0, 0],
    [3, 3, 0, 6, 0],
  ]);
  // CSR stays CSR and shares the structure arrays; only the values are new
  const input = csr(M), out = normalizeTotal(input);
  equal(out.indptr, input.indptr);
  equal(out.indices, input.indices);
  assert(out.values !== input.values);
  throws(() => normalizeTotal(csr(M), { targetSum: 0 }), OptionError);
  throws(() => normalizeTotal(csr([[0, 0], [0, 0]], ["a", "b"])), DataValueError);
});

Deno.test("medianLibrarySize: fitPreprocess's target sum, without normalising", () => {
  for (const ds of [csr(M), dense(M)]) {
    equal(medianLibrarySize(ds), 6);
    equal(medianLibrarySize(ds), fitPreprocess(ds, { hvg: false }).normalize!.targetSum);
  }
  // an even number of non-zero totals: the float32 mean of the middle two
  const even = csr([[1, 0], [0, 0], [0.1, 0], [2, 2]], ["a", "b"]);
  equal(medianLibrarySize(even), fitPreprocess(even, { hvg: false }).normalize!.targetSum);
  throws(() => medianLibrarySize(csr([[0, 0], [0, 0]], ["a", "b"])), DataValueError);
  throws(() => medianLibrarySize(csr([[1, -1]], ["a", "b"])), DataValueError);
});

Deno.test("log1p: natural log of 1 + x, recorded in uns", () => {
  const out = both((ds) => log1p(normalizeTotal(ds)));
  const l = (x: number) => Math.log1p(x);
  assertClose(out, [
    [l(1.5), 0, l(3), 0, l(1.5)],
    [0, l(3), 0, 0, l(3)],
    [0, 0, 0, 0, 0],
    [l(1.5), l(1.5), 0, l(3), 0],
  ]);
  deepStrictEqual(log1p(csr(M)).uns.log1p, { base: null });
});

Deno.test("scale: ddof-1 z-scores, clipping at ±maxValue, std 0 -> 1", () => {
  const z = [
    [0.2611164839, -0.8333333333, 1.5, -0.5, 0],
    [-0.7833494518, 1.1666666667, -0.5, -0.5, 1.4142135624],
    [-0.7833494518, -0.8333333333, -0.5, -0.5, -0.7071067812],
    [1.3055824197, 0.5, -0.5, 1.5, -0.7071067812],
  ];
  assertClose(both((ds) => scale(ds)), z);
  const clip = (v: number) => Math.max(-0.6, Math.min(0.6, v));
  assertClose(both((ds) => scale(ds, { maxValue: 0.6 })), z.map((r) => r.map(clip)));
  // without zero-centring: x / std, only the upper clip; CSR input stays CSR
  const stds = [0.9574271078, 1.5, 1, 2, 1.4142135624];
  const noCenter = both((ds) => scale(ds, { zeroCenter: false, maxValue: 1.5 }));
  assertClose(noCenter, M.map((r) => r.map((v, j) => Math.min(1.5, v / stds[j]))));
  equal(scale(csr(M), { zeroCenter: false }).isSparse, true);
  equal(scale(csr(M)).isSparse, false);
  // a constant gene: std 0 is taken as 1
  assertClose(rowsOf(scale(dense([[2], [2], [2]], ["c"]))), [[0], [0], [0]]);
  // given parameters are used as they are
  assertClose(
    rowsOf(scale(dense(M), { means: [0, 0, 0, 0, 1], stds: [1, 1, 2, 1, 0] })),
    M.map((r) => [r[0], r[1], r[2] / 2, r[3], r[4] - 1]),
  );
  throws(() => scale(dense(M), { means: [1, 2], stds: [1, 2] }), OptionError);
  throws(() => scale(dense(M), { means: [0, 0, 0, 0, 0] }), OptionError);
});

Deno.test("filterGenes / filterCells: thresholds like scanpy, several combine with AND", () => {
  for (const ds of [csr(M), dense(M)]) {
    const genes = (o: Parameters<typeof filterGenes>[1]) => Array.from(filterGenes(ds, o).kept);
    deepStrictEqual(genes({ minCells: 2 }), [0, 1, 4]);
    deepStrictEqual(genes({ minCounts: 4 }), [1, 3, 4]);
    deepStrictEqual(genes({ maxCells: 1 }), [2, 3]);
    deepStrictEqual(genes({ maxCounts: 3 }), [0, 2]);
    deepStrictEqual(genes({ minCells: 2, minCounts: 4 }), [1, 4]);
    const cells = (o: Parameters<typeof filterCells>[1]) => Array.from(filterCells(ds, o).kept);
    deepStrictEqual(cells({ minCounts: 5 }), [1, 3]);
    deepStrictEqual(cells({ minGenes: 3 }), [0, 3]);
    deepStrictEqual(cells({ maxCounts: 4 }), [0, 2]);
    deepStrictEqual(cells({ maxGenes: 2 }), [1, 2]);
    const { dataset } = filterGenes(ds, { minCells: 2 });
    deepStrictEqual(dataset.genes, ["g0", "g1", "g4"]);
    deepStrictEqual(rowsOf(dataset), M.map((r) => [r[0], r[1], r[4]]));
    deepStrictEqual(rowsOf(filterCells(ds, { minCounts: 5 }).dataset), [M[1], M[3]]);
    throws(() => filterGenes(ds, {}), OptionError);
    throws(() => filterCells(ds, { minGenes: -1 }), OptionError);
  }
});

Deno.test("checkCounts names the first offending cell and gene", () => {
  checkCounts(csr(M), "test", { integers: true });
  for (const [bad, word] of [[NaN, "NaN"], [Infinity, "infinite"], [-1, "negative"]] as const) {
    const rows = M.map((r) => [...r]);
    rows[3][1] = bad;
    for (const ds of [csr(rows), dense(rows)]) {
      throws(() => checkCounts(ds, "normalizeTotal"), (e: Error) => {
        assert(e instanceof DataValueError, String(e));
        for (const part of ["normalizeTotal", "'g1'", "row 3", word]) {
          assert(e.message.includes(part), e.message);
        }
        return true;
      });
    }
  }
  const frac = M.map((r) => [...r]);
  frac[0][4] = 0.5;
  checkCounts(csr(frac), "ok without integers");
  throws(
    () => checkCounts(csr(frac), "x", { integers: true }),
    /'g4' holds a non-integer value \(0\.5\)/,
  );
});

/** Seeded NB counts, cells x genes, with gene-specific means. */
function simulate(seed: number, nCells: number, nGenes: number, scaleCells = 1): number[][] {
  const rng = new Rng(seed);
  const mu = Array.from(
    { length: nGenes },
    (_, j) => 0.2 * Math.exp(((j * 37) % nGenes) / nGenes * 4),
  );
  const theta = Array.from({ length: nGenes }, (_, j) => 0.5 + ((j * 11) % 7) / 2);
  return Array.from(
    { length: nCells },
    () => mu.map((m, j) => rng.negativeBinomial(m * scaleCells, theta[j])),
  );
}

const G30 = Array.from({ length: 30 }, (_, j) => `gene${j}`);

Deno.test("fitPreprocess/applyPreprocess: train's target sum, genes and moments are reused", () => {
  const train = csr(simulate(1, 80, 30), G30);
  // the test set has 3x deeper cells and its own variable genes, in another gene order
  const testRows = simulate(2, 50, 30, 3).map((r) =>
    r.map((v, j) => (j % 3 === 0 ? v * ((j * 7) % 5) : v))
  );
  const perm = G30.map((_, j) => (j * 7) % 30);
  const test = csr(testRows.map((r) => perm.map((j) => r[j])), perm.map((j) => G30[j]));

  const plain = fitPreprocess(train, { hvg: false, log1p: false });
  const target = plain.normalize!.targetSum;
  const own = fitPreprocess(test, { hvg: false, log1p: false }).normalize!.targetSum;
  assert(Math.abs(own - target) > 0.5 * target, "the test set's own median must differ");
  const norm = applyPreprocess(test, plain);
  deepStrictEqual(norm.genes, G30);
  for (const row of rowsOf(norm)) {
    const total = row.reduce((a, b) => a + b, 0);
    assert(total === 0 || Math.abs(total - target) < 1e-3 * target, `${total} vs ${target}`);
  }

  const opts = { hvg: { nTopGenes: 8, flavor: "seurat" as const }, scale: { maxValue: 10 } };
  const params = fitPreprocess(train, opts);
  equal(params.genes.length, 8 + params.hvg!.tiesAtCut);
  notDeepStrictEqual(new Set(fitPreprocess(test, opts).genes), new Set(params.genes));
  const out = applyPreprocess(test, params);
  deepStrictEqual(out.genes, params.genes);
  const expected = scale(
    log1p(normalizeTotal(test, { targetSum: target })).selectGenes(params.genes),
    { means: params.scale!.means, stds: params.scale!.stds, maxValue: 10 },
  );
  deepStrictEqual(rowsOf(out), rowsOf(expected));

  // JSON round trip gives the same params and the same output
  const parsed = JSON.parse(JSON.stringify(params)) as PreprocessParams;
  deepStrictEqual(parsed, params);
  deepStrictEqual(rowsOf(applyPreprocess(test, parsed)), rowsOf(out));

  // applying to train itself reproduces the fit: scaled columns have mean 0
  const fitted = rowsOf(applyPreprocess(train, params));
  for (let j = 0; j < params.genes.length; j++) {
    assert(Math.abs(fitted.reduce((s, r) => s + r[j], 0) / fitted.length) < 1e-5);
  }
});

Deno.test("fitPreprocess: seurat_v3 runs on counts, seurat on log1p data", () => {
  const train = csr(simulate(3, 80, 30), G30);
  const v3 = fitPreprocess(train, { hvg: { nTopGenes: 6, flavor: "seurat_v3" } });
  const onCounts = highlyVariableGenes(train, { flavor: "seurat_v3", nTopGenes: 6 });
  deepStrictEqual(v3.genes, G30.filter((_, j) => onCounts.highlyVariable[j]));
  const s = fitPreprocess(train, { hvg: { nTopGenes: 6, flavor: "seurat" } });
  const onLog = highlyVariableGenes(log1p(normalizeTotal(train)), {
    flavor: "seurat",
    nTopGenes: 6,
  });
  deepStrictEqual(s.genes, G30.filter((_, j) => onLog.highlyVariable[j]));
  // and the output genes keep train's order
  deepStrictEqual(applyPreprocess(train, s).genes, s.genes);
});

Deno.test("fitPreprocess: nTopGenes >= nGenes keeps every gene and says so", () => {
  const train = csr(simulate(4, 40, 30), G30);
  const params = fitPreprocess(train, { hvg: { nTopGenes: 30, flavor: "cell_ranger" } });
  equal(params.hvg!.keptAll, true);
  deepStrictEqual(params.genes, G30);
  equal(
    fitPreprocess(train, { hvg: { nTopGenes: 29, flavor: "cell_ranger" } }).hvg!.keptAll,
    false,
  );
});

Deno.test("applyPreprocess: missing genes are a MissingFieldError naming them", () => {
  const train = csr(simulate(5, 40, 30), G30);
  const params = fitPreprocess(train, { hvg: false });
  const fewer = train.selectGenes(G30.filter((g) => g !== "gene7" && g !== "gene12"));
  throws(() => applyPreprocess(fewer, params), (e: Error) => {
    assert(e instanceof MissingFieldError && /gene7, gene12/.test(e.message), e.message);
    return true;
  });
  throws(
    () => applyPreprocess(train, { ...params, kind: "other" } as unknown as PreprocessParams),
    OptionError,
  );
  const negative = csr([[1, -1]], ["gene0", "gene1"]);
  throws(() => fitPreprocess(negative, { hvg: false }), DataValueError);
});
