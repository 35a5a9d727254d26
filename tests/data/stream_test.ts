import { assertEquals, assertRejects } from "../_assert.ts";
import { readArrow, writeArrow, writeArrowChunks } from "../../lib/data/arrow.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { highlyVariableGenes, type HvgFlavor } from "../../lib/data/hvg.ts";
import { log1p, normalizeTotal } from "../../lib/data/preprocess.ts";
import { simulate, simulateChunks } from "../../lib/data/simulate.ts";
import {
  arrowCandidates,
  outsideSketch,
  readArrowCells,
  scanArrow,
  sketchFromArrow,
} from "../../lib/data/stream.ts";
import { celltypeQuota } from "../../lib/data/sampling.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { bruteDense, tinyCsr } from "./_fixtures.ts";
import { fitCandidates } from "../../lib/data/transform.ts";
import { DataValueError, OptionError } from "../../lib/runtime/errors.ts";
import { tempDir } from "../_shared.ts";

/** A simulated file of 700 cells in record batches of 128, written chunk by chunk. */
async function simulatedFile(): Promise<string> {
  const path = `${await tempDir()}/sim.arrow`;
  const { chunks } = simulateChunks({ nCells: 700, nGenes: 400, seed: 3, dropout: 0.1 }, 300);
  await writeArrowChunks(path, chunks, { batchSize: 128 });
  return path;
}

Deno.test("scanArrow: library sizes, raw gene sums and label counts as brute force over the whole", async () => {
  const path = await simulatedFile();
  const scan = await scanArrow(path, { label: "cell_type" });
  const ds = await readArrow(path);
  // chunks of 300, 300, 100 cells in batches of at most 128: 3 + 3 + 1
  assertEquals([scan.nCells, scan.batches, scan.genes], [700, 7, ds.genes]);
  const sums = new Float64Array(ds.nGenes), squares = new Float64Array(ds.nGenes);
  const detected = new Int32Array(ds.nGenes);
  for (let i = 0; i < ds.nCells; i++) {
    let total = 0;
    for (let p = ds.indptr[i]; p < ds.indptr[i + 1]; p++) {
      const v = ds.values[p], j = ds.indices[p];
      total += v;
      sums[j] += v;
      squares[j] += v * v;
      detected[j]++;
    }
    assertEquals(scan.totals[i], total, `cell ${i}`);
  }
  assertEquals(Array.from(scan.counts.sums), Array.from(sums));
  assertEquals(Array.from(scan.counts.sumSquares), Array.from(squares));
  assertEquals(Array.from(scan.counts.nPositive), Array.from(detected));
  const want = ds.categoryCounts("cell_type");
  const got = new Map(scan.labels!.categories.map((c, k) => [c, scan.labels!.counts[k]]));
  for (const [k, c] of want.categories.entries()) assertEquals(got.get(c), want.counts[k], c);
  assertEquals(scan.labels!.missing, 0);
});

Deno.test("arrowCandidates: the genes, order and target of fitCandidates on the whole file, every flavour", async () => {
  const path = await simulatedFile();
  const scan = await scanArrow(path);
  const whole = await readArrow(path);
  for (const hvgFlavor of ["seurat", "cell_ranger", "seurat_v3"] as HvgFlavor[]) {
    for (const candidates of [37, 150]) {
      const streamed = await arrowCandidates(scan, { candidates, hvgFlavor });
      const direct = fitCandidates(whole, { candidates, hvgFlavor });
      assertEquals(streamed.genes, direct.genes, `${hvgFlavor} ${candidates}`);
      assertEquals(streamed.targetSum, direct.targetSum);
      assertEquals(streamed.genes.length >= candidates, true);
    }
  }
  // the full HVG table, not only the chosen genes: every statistic bit for bit
  const { hvg } = await arrowCandidates(scan, { candidates: 50 });
  const data = log1p(normalizeTotal(whole, { targetSum: (await arrowCandidates(scan)).targetSum }));
  const ref = highlyVariableGenes(data, { flavor: "seurat", nTopGenes: 50 });
  assertEquals(Array.from(hvg!.order), Array.from(ref.order));
  assertEquals(Array.from(hvg!.means), Array.from(ref.means));
  // asking for every gene keeps them all, as fitCandidates does
  assertEquals((await arrowCandidates(scan, { candidates: 5000 })).genes, whole.genes);
});

Deno.test("scanArrow refuses values that are not counts, naming the cell, and repeated genes", async () => {
  const path = `${await tempDir()}/neg.arrow`;
  const ds = Dataset.fromDense(Float32Array.from([1, 2, 3, -4]), 2, 2, ["A", "B"]);
  await writeArrow(ds, path);
  const err = await assertRejects(() => scanArrow(path), DataValueError);
  assertEquals(err.message.includes("negative"), true, err.message);
  // repeated gene names would make a candidate ambiguous
  await writeArrow(Dataset.fromDense(Float32Array.of(1, 2), 1, 2, ["A", "A"]), path);
  const twice = await assertRejects(() => scanArrow(path), DataValueError);
  assertEquals(twice.message.includes("'A' x2"), true, twice.message);
});

Deno.test("arrowCandidates: a simulated file's candidates include its marker genes", async () => {
  const path = `${await tempDir()}/m.arrow`;
  const { dataset, truth } = simulate({ nCells: 600, nGenes: 300, seed: 9 });
  await writeArrow(dataset, path, { batchSize: 100 });
  const { genes } = await arrowCandidates(await scanArrow(path), { candidates: 100 });
  const markers = Object.values(truth.markers).flat();
  const found = markers.filter((g) => genes.includes(g)).length;
  assertEquals(found / markers.length > 0.8, true, `${found} of ${markers.length} markers`);
});

/** The sketch by brute force: each cell's key drawn in file order, the smallest per class. */
function bruteSketch(codes: ArrayLike<number> | null, nCells: number, n: number, seed: number) {
  const rng = new Rng(seed).fork("sketch");
  const keys = Array.from({ length: nCells }, () => rng.uniform());
  const classOf = (i: number) => (codes ? (codes[i] < 0 ? -1 : codes[i]) : 0);
  const classes = [...new Set(Array.from({ length: nCells }, (_, i) => classOf(i)))];
  const members = classes.map((c) =>
    Array.from({ length: nCells }, (_, i) => i).filter((i) => classOf(i) === c)
      .sort((a, b) => keys[a] - keys[b])
  );
  const quota = codes
    ? celltypeQuota(members.map((m) => m.length), n)
    : Int32Array.of(Math.min(n, nCells));
  return members.flatMap((m, k) => m.slice(0, quota[k])).sort((a, b) => a - b);
}

Deno.test("the sketch: the n smallest seeded keys (per class with a label), whatever the batch size", async () => {
  const dir = await tempDir();
  const { dataset } = simulate({
    nCells: 900,
    nGenes: 100,
    seed: 5,
    nTypes: 5,
    proportions: [0.6, 0.25, 0.1, 0.04, 0.01],
  });
  await writeArrow(dataset, `${dir}/a.arrow`, { batchSize: 64 });
  await writeArrow(dataset, `${dir}/b.arrow`, { batchSize: 500 });
  const codes = dataset.categorical("cell_type").codes;
  for (const seed of [0, 7]) {
    const uniform = (await scanArrow(`${dir}/a.arrow`, { sketch: 100, seed })).sketch!;
    assertEquals(Array.from(uniform), bruteSketch(null, 900, 100, seed));
    const balanced = (await scanArrow(`${dir}/a.arrow`, { sketch: 100, seed, label: "cell_type" }))
      .sketch!;
    assertEquals(Array.from(balanced), bruteSketch(codes, 900, 100, seed));
    const other = await scanArrow(`${dir}/b.arrow`, { sketch: 100, seed, label: "cell_type" });
    assertEquals(Array.from(other.sketch!), Array.from(balanced));
    // balanced: the rarest type (9 cells) whole, the commonest capped at the water level
    const perType = new Int32Array(5);
    for (const i of balanced) perType[codes[i]]++;
    assertEquals(
      Array.from(perType),
      Array.from(celltypeQuota(dataset.categoryCounts("cell_type").counts, 100)),
    );
    assertEquals(perType[4], 9);
  }
  const [s0, s7] = await Promise.all(
    [0, 7].map((seed) => scanArrow(`${dir}/a.arrow`, { sketch: 100, seed })),
  );
  assertEquals(Array.from(s0.sketch!).join() !== Array.from(s7.sketch!).join(), true);
  // more cells asked for than there are: every cell
  assertEquals((await scanArrow(`${dir}/a.arrow`, { sketch: 5000 })).sketch!.length, 900);
  await assertRejects(() => scanArrow(`${dir}/a.arrow`, { sketch: 0 }), OptionError);
});

Deno.test("the balanced sketch quotas cells without a label as one more class", async () => {
  const path = `${await tempDir()}/t.arrow`;
  await writeArrow(tinyCsr(), path, { batchSize: 2 });
  // types B, T, B with one missing: B 2, T 2, missing 1 -> one of each with 3 cells
  const scan = await scanArrow(path, { sketch: 3, label: "type" });
  assertEquals(Array.from(scan.sketch!), bruteSketch(tinyCsr().categorical("type").codes, 5, 3, 0));
  assertEquals(scan.sketch!.includes(2), true);
  assertEquals(scan.labels, {
    column: "type",
    categories: ["B", "T"],
    counts: Int32Array.of(2, 2),
    missing: 1,
  });
});

Deno.test("readArrowCells: the chosen cells over the chosen genes, as selecting from the whole", async () => {
  const path = await simulatedFile();
  const whole = await readArrow(path);
  const cells = Int32Array.of(0, 5, 127, 128, 299, 300, 699);
  const genes = ["G0010", "G0003", "G0400"];
  const got = await readArrowCells(path, cells, genes);
  const want = whole.selectCells(cells).selectGenes(genes);
  assertEquals(bruteDense(got), bruteDense(want));
  assertEquals(got.cellIds(), want.cellIds());
  assertEquals(got.labels("cell_type"), want.labels("cell_type"));
  assertEquals((await readArrowCells(path, Int32Array.of())).nCells, 0);
  await assertRejects(() => readArrowCells(path, Int32Array.of(5, 3)), OptionError);
  await assertRejects(() => readArrowCells(path, Int32Array.of(700)), OptionError);
});

Deno.test("sketchFromArrow: the sketch's cells over the whole file's candidates", async () => {
  const path = await simulatedFile();
  const sketch = await sketchFromArrow(path, {
    n: 150,
    label: "cell_type",
    candidates: 60,
    seed: 2,
  });
  const whole = await readArrow(path);
  assertEquals(sketch.candidates.genes, fitCandidates(whole, { candidates: 60 }).genes);
  assertEquals(sketch.dataset.genes, sketch.candidates.genes);
  const cells = sketch.scan.sketch!;
  assertEquals(sketch.dataset.nCells, cells.length);
  assertEquals(cells.length <= 150 && cells.length > 140, true, String(cells.length));
  assertEquals(
    bruteDense(sketch.dataset),
    bruteDense(whole.selectCells(cells).selectGenes(sketch.candidates.genes)),
  );
  const listed = await sketchFromArrow(path, { n: 10, candidates: ["G0001", "G0002"] });
  assertEquals(listed.dataset.genes, ["G0001", "G0002"]);
  assertEquals(listed.test, null);
});

Deno.test("sketchFromArrow heldOut: cells outside the sketch, read in the same pass", async () => {
  const path = await simulatedFile();
  const whole = await readArrow(path);
  const options = { n: 150, label: "cell_type", candidates: 60, seed: 2 };
  const sketch = await sketchFromArrow(path, { ...options, heldOut: 200 });
  const cells = sketch.scan.sketch!;
  const held = outsideSketch(700, cells, 200, 2);
  assertEquals(held.length, 200);
  assertEquals(held.some((c) => cells.includes(c)), false);
  const genes = sketch.candidates.genes;
  assertEquals(bruteDense(sketch.test!), bruteDense(whole.selectCells(held).selectGenes(genes)));
  assertEquals(sketch.test!.cellIds(), whole.selectCells(held).cellIds());
  // the sketch itself is what it is without held-out cells
  const alone = await sketchFromArrow(path, options);
  assertEquals(bruteDense(sketch.dataset), bruteDense(alone.dataset));
  assertEquals(sketch.dataset.labels("cell_type"), alone.dataset.labels("cell_type"));
  // more asked for than there are outside: all of them
  const all = await sketchFromArrow(path, { ...options, heldOut: 10_000 });
  assertEquals(all.test!.nCells, 700 - cells.length);
});

Deno.test("outsideSketch: distinct ascending cells outside the sketch, each equally likely", () => {
  const sketch = Int32Array.of(0, 3, 4, 9, 17, 18, 19, 25, 28, 29);
  const hits = new Int32Array(30);
  const seeds = 2000;
  for (let seed = 0; seed < seeds; seed++) {
    const got = outsideSketch(30, sketch, 5, seed);
    assertEquals(got.length, 5);
    for (let r = 0; r < got.length; r++) {
      assertEquals(r === 0 || got[r] > got[r - 1], true);
      hits[got[r]]++;
    }
  }
  for (const c of sketch) assertEquals(hits[c], 0);
  // 20 cells outside, 5 drawn: each in a quarter of the draws (sd ~19 over 2000 seeds)
  for (let c = 0; c < 30; c++) {
    if (!sketch.includes(c)) {
      assertEquals(Math.abs(hits[c] - seeds / 4) < 100, true, `${c}: ${hits[c]}`);
    }
  }
  assertEquals(Array.from(outsideSketch(30, sketch, 50, 1)).length, 20);
  assertEquals(Array.from(outsideSketch(5, Int32Array.of(0, 1, 2, 3, 4), 3, 1)), []);
});

Deno.test("arrowCandidates under constraints: the genes and report of fitCandidates on the whole file", async () => {
  const path = await simulatedFile();
  const scan = await scanArrow(path, { label: "cell_type" });
  const whole = await readArrow(path);
  const constraints = [
    { exclude: ["G0001", "G0002", "G0003"], excludePatterns: ["7$"] },
    { allow: whole.genes.filter((_, j) => j % 3 !== 0), forceInclude: ["G0003"] },
    { forceInclude: ["G0010", "G0399"] },
  ];
  for (const c of constraints) {
    for (const candidates of [40, undefined, whole.genes.slice(5, 90)]) {
      for (const hvgFlavor of ["seurat", "seurat_v3"] as HvgFlavor[]) {
        const o = { ...c, candidates, hvgFlavor, k: 10 };
        const streamed = await arrowCandidates(scan, o);
        const direct = fitCandidates(whole, o);
        const what = `${JSON.stringify(c).slice(0, 60)} ${candidates} ${hvgFlavor}`;
        assertEquals(streamed.genes, direct.genes, what);
        assertEquals(streamed.report, direct.report, what);
        assertEquals(streamed.targetSum, direct.targetSum, what);
      }
    }
  }
  // a constraint leaving too few for k names itself; mean bounds are refused
  const few = await assertRejects(
    () => arrowCandidates(scan, { allow: ["G0001", "G0002"], k: 5 }),
    OptionError,
  );
  assertEquals(few.message.includes("after --allow"), true, few.message);
  const mean = await assertRejects(() => arrowCandidates(scan, { minMean: 1 }), OptionError);
  assertEquals(mean.message.includes("--min-mean"), true, mean.message);
  await assertRejects(() => sketchFromArrow(path, { n: 10, maxMean: 5 }), OptionError);
});
