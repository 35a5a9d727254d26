import { assertEquals, assertRejects } from "../_assert.ts";
import { selectPanel } from "../../lib/select/panel.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { highlyVariableGenes, type HvgFlavor } from "../../lib/data/hvg.ts";
import { fitPreprocess, log1p, normalizeTotal } from "../../lib/data/preprocess.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { hvgSelector } from "../../lib/select/hvg.ts";

const { dataset } = simulate({ nCells: 500, nGenes: 300, seed: 6 });
const flavors: HvgFlavor[] = ["seurat", "cell_ranger", "seurat_v3"];

/** The flavour's input built here: raw counts, or log1p of counts scaled to the median total. */
function hvgInput(ds: Dataset, flavor: HvgFlavor): Dataset {
  if (flavor === "seurat_v3") return ds;
  const targetSum = fitPreprocess(ds, { hvg: false }).normalize!.targetSum;
  return log1p(normalizeTotal(ds, { targetSum }));
}

Deno.test("hvg selectors: names, and all genes as candidates give scanpy's top k (n_top_genes = k)", async () => {
  assertEquals((["seurat", "cell_ranger", "seurat_v3"] as const).map((f) => hvgSelector(f).name), [
    "hvg",
    "hvg_cell_ranger",
    "hvg_seurat_v3",
  ]);
  for (const flavor of flavors) {
    const k = 15;
    const direct = highlyVariableGenes(hvgInput(dataset, flavor), { flavor, nTopGenes: k });
    assertEquals(direct.tiesAtCut, 0);
    const panel = await selectPanel(hvgSelector(flavor), dataset, { k });
    assertEquals(panel.params.candidates, 300);
    assertEquals(panel.genes, direct.genes, flavor);
    assertEquals(panel.notes, []);
  }
});

Deno.test("hvg selectors: with a candidate list, the top k candidates by the flavour's statistic", async () => {
  const candidates = dataset.genes.filter((_, j) => j % 3 === 1);
  for (const flavor of flavors) {
    const r = highlyVariableGenes(hvgInput(dataset, flavor), { flavor, nTopGenes: 10 });
    const value = r.flavor === "seurat_v3" ? r.variancesNorm : r.dispersionsNorm;
    const index = new Map(dataset.genes.map((g, j) => [g, j]));
    const key = (g: string) => {
      const v = value[index.get(g)!];
      return Number.isNaN(v) ? -Infinity : v;
    };
    const expected = [...candidates].sort((a, b) =>
      key(b) - key(a) || index.get(a)! - index.get(b)!
    ).slice(0, 12);
    const panel = await selectPanel(hvgSelector(flavor), dataset, { k: 12, candidates });
    assertEquals(panel.genes, expected, flavor);
    assertEquals(panel.scores, expected.map((g) => value[index.get(g)!]));
  }
});

Deno.test("hvg selectors: a tie at the cut keeps exactly k genes and says so", async () => {
  // 200 genes, the last a copy of gene 7: the two tie wherever they rank
  const rng = new Rng(2), nCells = 100, nGenes = 200;
  const counts = new Float32Array(nCells * nGenes);
  for (let i = 0; i < nCells; i++) {
    for (let j = 0; j < nGenes - 1; j++) {
      counts[i * nGenes + j] = rng.negativeBinomial(0.2 + (j % 37) / 4, 0.5 + (j % 11) / 3);
    }
    counts[i * nGenes + nGenes - 1] = counts[i * nGenes + 7];
  }
  const genes = Array.from({ length: nGenes }, (_, j) => `g${j}`);
  const ds = Dataset.fromDense(counts, nCells, nGenes, genes);
  for (const flavor of flavors) {
    const order = Array.from(
      highlyVariableGenes(hvgInput(ds, flavor), { flavor, nTopGenes: 1 }).order,
    );
    const first = order.indexOf(7);
    assertEquals(order[first + 1], nGenes - 1, flavor);
    const panel = await selectPanel(hvgSelector(flavor), ds, { k: first + 1, candidates: genes });
    assertEquals(panel.genes, order.slice(0, first + 1).map((j) => genes[j]));
    assertEquals(panel.notes.some((n) => n.startsWith("1 more candidate(s) tie")), true, flavor);
  }
});

Deno.test("hvg selectors: k must leave candidates unchosen", async () => {
  await assertRejects(() => selectPanel(hvgSelector("seurat_v3"), dataset, { k: 0 }), OptionError);
  await assertRejects(
    () => selectPanel(hvgSelector(), dataset, { k: 20, candidates: dataset.genes.slice(0, 20) }),
    OptionError,
  );
});
