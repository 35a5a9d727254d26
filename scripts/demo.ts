/**
 * `deno task demo`: the main job on the embedded default (the PBMC-like simulator).
 * simulate -> stratified split -> preprocessing fitted on train (normalise, log1p, HVG) and
 * re-applied to test -> summary, including how many of the simulator's true markers each HVG
 * flavour finds.
 */
import { highlyVariableGenes, type HvgFlavor } from "../lib/data/hvg.ts";
import { applyPreprocess, fitPreprocess, log1p, normalizeTotal } from "../lib/data/preprocess.ts";
import { simulate } from "../lib/data/simulate.ts";
import { splitDataset, stratifiedSplit } from "../lib/data/split.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { numberFlag, parseCli, runCli } from "../lib/runtime/cli.ts";

const HELP = `The yoto demo on simulated PBMC-like data.

Usage: deno task demo [--seed S] [--cells N] [--hvg N] [--backend B]
`;

function counts(labels: (string | null)[]): string {
  const c = new Map<string, number>();
  for (const l of labels) c.set(l ?? "(missing)", (c.get(l ?? "(missing)") ?? 0) + 1);
  return [...c].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
}

await runCli(async () => {
  const { values } = parseCli(Deno.args, {
    seed: { type: "string" },
    cells: { type: "string" },
    hvg: { type: "string" },
    backend: { type: "string" },
    help: { type: "boolean", short: "h" },
  }, "deno task demo");
  if (values.help) return console.log(HELP);
  const seed = numberFlag(values.seed, "seed", 0, { integer: true });
  const nCells = numberFlag(values.cells, "cells", 3000, { integer: true, min: 10 });
  const nTop = numberFlag(values.hvg, "hvg", 200, { integer: true, min: 1 });
  const t0 = performance.now();
  const lap = () => `${((performance.now() - t0) / 1000).toFixed(2)} s`;

  const backend = await initBackend((values.backend ?? "auto") as "auto");
  console.log(`compute backend: ${backend.description}`);

  const { dataset, truth } = simulate({ nCells, seed });
  const totals = new Float64Array(dataset.nCells);
  for (let i = 0; i < dataset.nCells; i++) {
    for (let p = dataset.indptr[i]; p < dataset.indptr[i + 1]; p++) totals[i] += dataset.values[p];
  }
  const sorted = Float64Array.from(totals).sort();
  console.log(`\nsimulated (seed ${seed}, ${lap()}): ${dataset}`);
  console.log(`  cell types: ${counts(dataset.labels("cell_type"))}`);
  console.log(
    `  conditions: ${counts(dataset.labels("condition"))}; donors: ${
      counts(dataset.labels("donor"))
    }`,
  );
  console.log(
    `  counts per cell: median ${sorted[sorted.length >> 1]}, 5%-95% ${
      sorted[Math.floor(0.05 * sorted.length)]
    }-${sorted[Math.floor(0.95 * sorted.length)]}; ${
      (100 * dataset.indptr[dataset.nCells] / (dataset.nCells * dataset.nGenes)).toFixed(1)
    }% non-zero`,
  );

  const split = stratifiedSplit(dataset.categorical("cell_type"), { seed });
  const { train, test } = splitDataset(dataset, split);
  console.log(
    `\nsplit (stratified on cell_type): train ${split.train.length}, val ${split.val.length}, test ${split.test.length}`,
  );

  const params = fitPreprocess(train, { hvg: { nTopGenes: nTop, flavor: "seurat" } });
  const testReady = applyPreprocess(test, params);
  console.log(
    `preprocessing fitted on train: normalise to ${params.normalize?.targetSum} counts, log1p, ${params.genes.length} seurat HVGs; test re-uses them -> ${testReady.nCells} x ${testReady.nGenes}`,
  );

  const markers = Object.values(truth.markers).flat();
  const logged = log1p(normalizeTotal(train));
  console.log(`\nHVG flavours on train (top ${nTop}), recall of the simulator's ground truth:`);
  console.log(
    `| flavour | true markers found (of ${markers.length}) | stim genes found (of ${truth.stimGenes.length}) |`,
  );
  console.log("|---|---|---|");
  for (const flavor of ["seurat", "cell_ranger", "seurat_v3"] as HvgFlavor[]) {
    const hvg = highlyVariableGenes(flavor === "seurat_v3" ? train : logged, {
      flavor,
      nTopGenes: nTop,
    });
    const chosen = new Set(hvg.genes);
    const found = markers.filter((g) => chosen.has(g)).length;
    const stim = truth.stimGenes.filter((g) => chosen.has(g)).length;
    console.log(
      `| ${flavor} | ${found} (${(100 * found / markers.length).toFixed(0)}%) | ${stim} |`,
    );
  }
  console.log(`\ndone in ${lap()}.`);
});
