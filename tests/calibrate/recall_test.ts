import { ok as assert } from "node:assert/strict";
import { assertClose, assertEquals, assertThrows } from "../_assert.ts";
import { runScript, tempDir } from "../_shared.ts";
import { plainClustering, recallClustering } from "../../lib/calibrate/recall.ts";
import { snnGraph } from "../../lib/data/graph.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { writeDataset } from "../../lib/data/io.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { adjustedRandIndex } from "../../lib/metrics/clustering.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { DataValueError, OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";

await initBackend("wasm"); // the PCA's matrix products

Deno.test("snnGraph equals brute-force Jaccard overlaps of kNN sets (self included), pruned", () => {
  const rng = new Rng(6), n = 70, d = 3, k = 6, prune = 1 / 15;
  const x = Float32Array.from({ length: n * d }, () => rng.normal());
  const g = snnGraph(x, n, d, { k, prune });
  const dist = (i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < d; t++) s += (x[i * d + t] - x[j * d + t]) ** 2;
    return s;
  };
  const knn = Array.from({ length: n }, (_, i) =>
    new Set(
      Array.from({ length: n }, (_, j) => j).sort((a, b) => dist(i, a) - dist(i, b) || a - b)
        .slice(0, k),
    ));
  const expected: string[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = [...knn[i]].filter((m) => knn[j].has(m)).length, w = s / (2 * k - s);
      if (s > 0 && w >= prune) expected.push(`${i}-${j}:${w.toFixed(12)}`);
    }
  }
  const got = Array.from(g.from, (i, e) => `${i}-${g.to[e]}:${g.weight[e].toFixed(12)}`);
  assertEquals(got, expected);
  assert(expected.length > n, "the test graph has edges");
});

/** Sizes per label are non-increasing (Seurat's numbering: 0 = largest). */
function assertSizeOrdered(labels: Int32Array, nClusters: number): void {
  const sizes = new Int32Array(nClusters);
  for (const c of labels) sizes[c]++;
  for (let c = 1; c < nClusters; c++) assert(sizes[c] <= sizes[c - 1] && sizes[c] > 0);
}

Deno.test("one true group: recall ends at 1 cluster where plain Louvain at 0.8 over-clusters", () => {
  const { dataset } = simulate({
    nCells: 1000,
    nGenes: 1000,
    nTypes: 1,
    nConditions: 1,
    nDonors: 1,
    seed: 1,
  });
  const plain = plainClustering(dataset, { quiet: true });
  assert(plain.nClusters > 1, `plain found ${plain.nClusters} clusters`);
  assertSizeOrdered(plain.labels, plain.nClusters);
  const r = recallClustering(dataset, { quiet: true });
  assertEquals(r.nClusters, 1);
  assert(r.labels.every((c) => c === 0));
  assert(r.history.length > 1 && r.warning === undefined);
  r.history.forEach((h, t) => {
    assertEquals(h.round, t + 1);
    assertClose(h.resolution, 0.8 * 0.8 ** t, 1e-12);
    // every round but the last stopped at its first failing pair
    if (t < r.history.length - 1) {
      assert(h.failedPair !== undefined && h.nClusters > 1);
      assertEquals(h.selectedPerPair!.at(-1), { pair: h.failedPair, selected: 0 });
      assert(h.selectedPerPair!.slice(0, -1).every((p) => p.selected > 0));
    }
  });
  assertEquals(r.history.at(-1)!.nClusters, 1);
  assertEquals(r.genes.length, 1000);
  assertEquals(Object.values(r.guards).reduce((a, b) => a + b, 0), 1000);
});

Deno.test("five well-separated groups: recall finds about 5 clusters matching the truth", () => {
  const { dataset, truth } = simulate({
    nCells: 1000,
    nGenes: 1000,
    nTypes: 5,
    proportions: [0.2, 0.2, 0.2, 0.2, 0.2],
    markersPerType: 25,
    nConditions: 1,
    nDonors: 1,
    seed: 1,
  });
  const r = recallClustering(dataset, { quiet: true });
  assert(r.nClusters >= 4 && r.nClusters <= 6, `recall found ${r.nClusters} clusters`);
  const ari = adjustedRandIndex(r.labels, truth.typeOf);
  assert(ari > 0.8, `ARI ${ari}`);
  assertSizeOrdered(r.labels, r.nClusters);
  // the final round tested every pair, in recall's nested-loop order, and each selected genes
  const last = r.history.at(-1)!;
  const order = last.selectedPerPair!.map((p) => p.pair.join());
  const expected: string[] = [];
  for (let i = 1; i < r.nClusters; i++) for (let j = 0; j < i; j++) expected.push(`${i},${j}`);
  assertEquals(order, expected);
  assert(last.selectedPerPair!.every((p) => p.selected >= 20), "knockoff+ at 0.05 needs >= 20");
  // starting low stops in round 1: the under-clustering warning
  const low = recallClustering(dataset, { quiet: true, resolutionStart: 0.1, nHvg: 300 });
  assertEquals(low.history.length, 1);
  assert(low.warning?.includes("under-clustered"), low.warning);
});

Deno.test("recall and plain clustering: deterministic for a seed, typed errors", () => {
  const { dataset } = simulate({ nCells: 200, nGenes: 150, nTypes: 2, seed: 3 });
  const a = plainClustering(dataset, { quiet: true, kNeighbors: 10, seed: 4 });
  const b = plainClustering(dataset, { quiet: true, kNeighbors: 10, seed: 4 });
  assertEquals(a.labels, b.labels);
  assertThrows(() => recallClustering(dataset, { reduction: 1 }), OptionError);
  assertThrows(() => recallClustering(dataset, { nHvg: 0 }), OptionError);
  assertThrows(() => plainClustering(dataset, { resolution: -1 }), OptionError);
  const logged = Dataset.fromDense(Float32Array.from([0.5, 1, 2, 0, 1, 1]), 3, 2, ["A", "B"]);
  assertThrows(() => recallClustering(logged, { quiet: true }), DataValueError);
});

Deno.test("scripts/recall.ts: history, both counts and ARIs; typed errors exit 2", async () => {
  const dir = await tempDir();
  const { dataset } = simulate({
    nCells: 300,
    nGenes: 300,
    nTypes: 3,
    proportions: [0.4, 0.3, 0.3],
    markersPerType: 25,
    nConditions: 1,
    seed: 5,
  });
  await writeDataset(dataset, `${dir}/sim.arrow`);
  const r = await runScript(
    "scripts/recall.ts",
    ...["--data", `${dir}/sim.arrow`, "--label", "cell_type", "--hvg", "200"],
    ...["--out", `${dir}/recall.json`, "--quiet", "--backend", "wasm"],
  );
  assertEquals(r.code, 0, r.stderr);
  assert(/recall: \d+ clusters .* ARI vs cell_type/.test(r.stdout), r.stdout);
  assert(/plain: +\d+ clusters at resolution 0.8/.test(r.stdout), r.stdout);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/recall.json`));
  assertEquals(report.genes.length, 200);
  assertEquals(report.recall.labels.length, 300);
  assertEquals(report.recall.history[0].resolution, 0.8);
  assert(report.recall.ari > 0.8, `ARI ${report.recall.ari}`);
  const bad = await runScript("scripts/recall.ts", "--data", `${dir}/sim.arrow`, "--null", "gauss");
  assertEquals(bad.code, 2);
  assertEquals(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  await Deno.remove(dir, { recursive: true });
});
