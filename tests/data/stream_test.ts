import { assertEquals, assertRejects } from "../_assert.ts";
import { readArrow, writeArrow, writeArrowChunks } from "../../lib/data/arrow.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { highlyVariableGenes, type HvgFlavor } from "../../lib/data/hvg.ts";
import { log1p, normalizeTotal } from "../../lib/data/preprocess.ts";
import { simulate, simulateChunks } from "../../lib/data/simulate.ts";
import { arrowCandidates, scanArrow } from "../../lib/data/stream.ts";
import { fitCandidates } from "../../lib/data/transform.ts";
import { DataValueError } from "../../lib/runtime/errors.ts";
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

Deno.test("scanArrow refuses values that are not counts, naming the cell", async () => {
  const path = `${await tempDir()}/neg.arrow`;
  const ds = Dataset.fromDense(Float32Array.from([1, 2, 3, -4]), 2, 2, ["A", "B"]);
  await writeArrow(ds, path);
  const err = await assertRejects(() => scanArrow(path), DataValueError);
  assertEquals(err.message.includes("negative"), true, err.message);
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
