import { assertClose, assertEquals } from "../_assert.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { splitDataset, stratifiedSplit } from "../../lib/data/split.ts";
import {
  columnCorrelations,
  evaluateSuite,
  neighborOverlap,
  neighborsExcludingSelf,
  panelRedundancy,
  suiteSummary,
} from "../../lib/eval/suite.ts";
import { adjustedRandIndex, normalizedMutualInfo } from "../../lib/metrics/clustering.ts";
import { evaluatePanel } from "../../lib/eval/downstream.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { Rng } from "../../lib/runtime/rng.ts";

await initBackend("wasm");

const { dataset, truth } = simulate({ nCells: 360, nGenes: 60, seed: 3 });
const split = splitDataset(dataset, stratifiedSplit(dataset.categorical("cell_type"), { seed: 0 }));
const markerGenes = Object.values(truth.markers).flat();
const quick = { tasks: ["cell_type"], quiet: true, fractions: [1, 0.25] };

Deno.test("neighborsExcludingSelf equals brute force, and leaves a cell out even when a duplicate ties", () => {
  const rng = new Rng(1), n = 40, d = 3, k = 5;
  const x = Float32Array.from({ length: n * d }, () => rng.normal());
  x.set(x.subarray(0, d), 7 * d); // cell 7 duplicates cell 0
  const nb = neighborsExcludingSelf(x, n, d, k);
  for (let i = 0; i < n; i++) {
    const dist = (j: number) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += (x[i * d + c] - x[j * d + c]) ** 2;
      return s;
    };
    const brute = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i)
      .sort((a, b) => dist(a) - dist(b) || a - b).slice(0, k);
    assertEquals(Array.from(nb.subarray(i * k, (i + 1) * k)), brute, `cell ${i}`);
  }
  assertEquals(nb[0], 7);
  assertEquals(nb[7 * k], 0);
});

Deno.test("neighborOverlap: 1 for the same lists in any order, the shared fraction otherwise", () => {
  assertEquals(neighborOverlap(Int32Array.of(1, 2, 2, 0), Int32Array.of(2, 1, 0, 2), 2, 2), 1);
  assertEquals(neighborOverlap(Int32Array.of(1, 2, 2, 0), Int32Array.of(1, 3, 3, 4), 2, 2), 0.25);
});

Deno.test("normalizedMutualInfo matches scikit-learn's values and edge cases", () => {
  // sklearn.metrics.normalized_mutual_info_score on these vectors
  assertClose(
    normalizedMutualInfo([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]),
    0.5158037429793888,
    1e-12,
  );
  assertClose(
    normalizedMutualInfo([0, 0, 1, 1, 2, 2, 2], [1, 1, 0, 0, 0, 2, 2]),
    0.747179095066262,
    1e-12,
  );
  assertEquals(normalizedMutualInfo([0, 0, 0], [1, 1, 1]), 1);
  assertEquals(normalizedMutualInfo([0, 0, 0, 0], [0, 0, 1, 1]), 0);
  // a negative code leaves the cell out
  assertEquals(normalizedMutualInfo([0, 1, 1, -1], [3, 4, 4, 3]), 1);
});

Deno.test("columnCorrelations and panelRedundancy against hand values", () => {
  // columns: x, -x, constant
  const x = Float32Array.of(1, -1, 5, 2, -2, 5, 4, -4, 5);
  const r = columnCorrelations(x, 3, 3);
  assertClose(r[1], -1, 1e-12);
  assertEquals(r[2], 0);
  assertEquals(r[8], 1);
  const red = panelRedundancy(x, 3, ["A", "B", "C"], 0.8);
  assertClose(red.max_abs_corr.A!, 1, 1e-12);
  assertEquals(red.max_abs_corr.C, 0);
  assertEquals(red.pairs_above.map((p) => `${p.a}-${p.b}`), ["A-B"]);
  assertClose(red.mean!, 2 / 3, 1e-12);
  assertEquals(panelRedundancy(Float32Array.of(1, 2), 2, ["A"], 0.8).mean, null);
});

Deno.test("a panel of every candidate gene reproduces the reference: knn_overlap and clusters ~1", async () => {
  // 60 candidates <= 50 PCs is false, so keep 40 genes: PCA then keeps every dimension
  const small = splitDataset(
    dataset.selectGenes(dataset.genes.slice(0, 40)),
    stratifiedSplit(dataset.categorical("cell_type"), { seed: 0 }),
  );
  const genes = small.train.genes;
  const [r] = await evaluateSuite([{ name: "all", genes }], small, { ...quick, candidates: 40 });
  assertEquals(r.knn_overlap.mean > 0.99, true, `${r.knn_overlap.mean}`);
  assertEquals(r.cluster_similarity.mean_nmi > 0.99, true, JSON.stringify(r.cluster_similarity));
  assertEquals(r.reconstruction_r2, null); // nothing left to reconstruct
  for (const c of r.marker_coverage.labels.cell_type.classes) {
    assertEquals(c.covered, true); // every gene is in the panel
  }
});

Deno.test("the simulator's true markers: covered, well classified, thinned and reconstructed", async () => {
  const [one, random] = await evaluateSuite(
    [
      { name: "markers", genes: markerGenes },
      { name: "random", genes: dataset.genes.filter((g) => !markerGenes.includes(g)).slice(0, 6) },
    ],
    split,
    { ...quick, candidates: 50, markers: [markerGenes[0], "NOT_A_GENE"] },
  );
  assertEquals(one.marker_coverage.labels.cell_type.covered_fraction, 1);
  assertEquals(one.classification.cell_type.lr.macro_f1 > 0.9, true);
  assertEquals(
    one.classification.cell_type.lr.macro_f1 > random.classification.cell_type.lr.macro_f1,
    true,
  );
  // per-class rows and the confusion matrix agree with the totals
  const lr = one.classification.cell_type.lr;
  const support = lr.per_class.reduce((s, c) => s + c.support, 0);
  assertEquals(support, lr.n);
  assertEquals(lr.confusion.matrix.flat().reduce((s, v) => s + v, 0), lr.n);
  assertEquals(lr.confusion.classes, lr.per_class.map((c) => c.class));
  // thinning: one macro-F1 per fraction, the first the unthinned score
  if (!("macro_f1" in one.thinning)) throw new Error("thinning skipped");
  assertEquals(one.thinning.macro_f1.cell_type.lr.length, 2);
  assertEquals(one.thinning.macro_f1.cell_type.lr[0], lr.macro_f1);
  // known markers: a panel gene is its own best match; missing genes are listed
  const known = one.marker_coverage.known!;
  assertEquals(known.markers[0].best_gene, markerGenes[0]);
  assertClose(known.markers[0].r, 1, 1e-6);
  assertEquals(known.not_in_data, ["NOT_A_GENE"]);
  // reconstruction targets are the candidates outside the panel
  const targets = Object.keys(one.reconstruction_r2!.per_gene);
  assertEquals(targets.some((g) => markerGenes.includes(g)), false);
  assertEquals(targets.length, one.reconstruction_r2!.n_targets);
  const summary = suiteSummary([one, random]);
  assertEquals(summary.includes("| metric | markers | random |"), true, summary);
  assertEquals(summary.includes("## Per-class F1: lr, cell_type"), true);
});

Deno.test("a model's own heads are scored as the classifier 'own'", async () => {
  const truthful = {
    name: "oracle",
    genes: markerGenes,
    predict: (ds: Dataset) => [{
      task: "cell_type",
      kind: "classification" as const,
      classes: ds.categorical("cell_type").categories,
      labels: ds.labels("cell_type") as string[],
    }],
  };
  const [r] = await evaluateSuite([truthful], split, { ...quick, candidates: 50, fractions: [1] });
  assertEquals(r.classification.cell_type.own.macro_f1, 1);
  if (!("macro_f1" in r.thinning)) throw new Error("thinning skipped");
  assertEquals(r.thinning.macro_f1.cell_type.own, [1]);
});

Deno.test("cluster_similarity is NMI/ARI of the two clusterings at each resolution", async () => {
  const [r] = await evaluateSuite([{ name: "m", genes: markerGenes }], split, {
    ...quick,
    candidates: 50,
    resolutions: [0.5, 1],
    fractions: [1],
  });
  assertEquals(r.cluster_similarity.per_resolution.map((p) => p.resolution), [0.5, 1]);
  for (const p of r.cluster_similarity.per_resolution) {
    assertEquals(p.nmi >= 0 && p.nmi <= 1 && p.ari <= 1, true, JSON.stringify(p));
  }
  assertClose(
    r.cluster_similarity.mean_nmi,
    (r.cluster_similarity.per_resolution[0].nmi + r.cluster_similarity.per_resolution[1].nmi) / 2,
    1e-15,
  );
  // sanity of the metric itself on relabelled clusterings
  assertEquals(adjustedRandIndex([0, 0, 1, 2], [2, 2, 0, 1]), 1);
});

Deno.test("non-integer counts: thinning is skipped with the reason, the rest is scored", async () => {
  const X = dataset.X;
  if (X.kind !== "csr") throw new Error("the simulator writes CSR");
  const halves = dataset.withX({ ...X, values: X.values.map((v) => v + 0.5) });
  const parts = splitDataset(halves, stratifiedSplit(halves.categorical("cell_type"), { seed: 0 }));
  const [r] = await evaluateSuite([{ name: "m", genes: markerGenes }], parts, {
    ...quick,
    candidates: 50,
  });
  assertEquals("skipped" in r.thinning, true);
  assertEquals(r.classification.cell_type.lr.macro_f1 > 0.5, true);
});

Deno.test("normalize reads the panel genes as the assay would: the same scores as evaluatePanel", async () => {
  const genes = markerGenes.slice(0, 6);
  const [binary, total] = await Promise.all(
    (["binary", "transcriptome"] as const).map(async (normalize) =>
      (await evaluateSuite([{ name: normalize, genes }], split, {
        ...quick,
        candidates: 50,
        fractions: [1],
        normalize,
      }))[0]
    ),
  );
  const direct = await evaluatePanel(genes, split, "cell_type", {
    classifiers: ["lr", "knn"],
    normalize: "binary",
  });
  assertEquals(binary.classification.cell_type.lr.macro_f1, direct.results[0].metrics.macroF1);
  assertEquals(binary.classification.cell_type.knn.macro_f1, direct.results[1].metrics.macroF1);
  assertEquals(binary.redundancy.mean === total.redundancy.mean, false);
});
