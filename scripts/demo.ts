/**
 * `deno task demo`: the main job on the embedded default (the PBMC-like simulator).
 * simulate -> stratified split -> YOTO, one panel of k genes for cell type and stimulation ->
 * panel, test metrics per task, recovery of the simulator's true markers (next to the top-k
 * HVGs), a panel CSV and an SVG of the validation metrics per epoch.
 */
import { highlyVariableGenes } from "../lib/data/hvg.ts";
import { log1p, normalizeTotal } from "../lib/data/preprocess.ts";
import { simulate } from "../lib/data/simulate.ts";
import { splitDataset, stratifiedSplit } from "../lib/data/split.ts";
import { markdownTable } from "../lib/eval/report.ts";
import { scorePrediction } from "../lib/eval/score.ts";
import { toSvg } from "../lib/plot/render.ts";
import { trainingCurveSpec } from "../lib/plot/training.ts";
import { writeFileAtomic } from "../lib/runtime/atomic.ts";
import { initBackend, parseBackend } from "../lib/runtime/backend.ts";
import { numberFlag, parseCli, runCli } from "../lib/runtime/cli.ts";
import { claimResultsFolder } from "../lib/runtime/output.ts";
import { panelToCsv } from "../lib/select/panel.ts";
import { fitYoto } from "../lib/select/yoto/train.ts";

const HELP = `The yoto demo on simulated PBMC-like data.

Usage: deno task demo [--k K] [--epochs N] [--seed S] [--cells N] [--backend B] [--out DIR] [--quiet]

Writes DIR/panel.csv and DIR/training.svg (default DIR: out/demo).
`;

await runCli(async () => {
  const { values } = parseCli(Deno.args, {
    k: { type: "string" },
    epochs: { type: "string" },
    seed: { type: "string" },
    cells: { type: "string" },
    backend: { type: "string" },
    out: { type: "string" },
    quiet: { type: "boolean" },
  }, { name: "deno task demo", help: HELP });
  const k = numberFlag(values.k, "k", 16, { integer: true, min: 1 });
  const epochs = numberFlag(values.epochs, "epochs", 40, { integer: true, min: 1 });
  const seed = numberFlag(values.seed, "seed", 0, { integer: true });
  const nCells = numberFlag(values.cells, "cells", 3000, { integer: true, min: 50 });
  const out = await claimResultsFolder(values.out ?? "out/demo", {
    flag: "--out",
    command: "deno task demo",
    files: ["panel.csv", "training.svg"],
  });
  const t0 = performance.now();
  const lap = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

  const backend = await initBackend(parseBackend(values.backend));
  const { dataset, truth } = simulate({ nCells, seed });
  console.log(`compute backend: ${backend.description}`);
  console.log(`simulated: ${dataset} (${lap()})`);
  const split = stratifiedSplit(dataset.categorical("cell_type"), { seed });
  const { train, val, test } = splitDataset(dataset, split);
  console.log(
    `split: train ${train.nCells}, val ${val.nCells}, test ${test.nCells} (stratified on cell_type)\n`,
  );

  const model = await fitYoto(train, {
    k,
    tasks: ["cell_type", "condition"],
    validation: val,
    epochs,
    seed,
    quiet: values.quiet,
  });
  console.log(
    `\nYOTO panel (k = ${k}, trained ${model.metrics.trainSeconds.toFixed(1)} s): ${
      model.panel.genes.join(" ")
    }`,
  );

  const scores = model.predict(test).map((pred) => {
    const r = scorePrediction(pred, test);
    return [pred.task, ...[r.accuracy, r.balancedAccuracy, r.macroF1].map((v) => v.toFixed(3))];
  });
  console.log(
    "\n" +
      markdownTable(["task", "test accuracy", "balanced accuracy", "macro-F1"], scores),
  );

  const markers = new Set(Object.values(truth.markers).flat());
  const stim = new Set(truth.stimGenes);
  const hvg = highlyVariableGenes(log1p(normalizeTotal(train)), { flavor: "seurat", nTopGenes: k })
    .genes.slice(0, k);
  const count = (genes: string[], set: Set<string>) => genes.filter((g) => set.has(g)).length;
  console.log(
    `\nground truth in the panel (${markers.size} true markers, ${stim.size} stimulation genes in the simulation):`,
  );
  const panels = [["YOTO", model.panel.genes], [`top-${k} HVG (seurat)`, hvg]] as const;
  console.log(markdownTable(
    ["panel", "true markers", "stimulation genes", "types with a marker"],
    panels.map(([name, genes]) => {
      const types = Object.values(truth.markers).filter((m) => m.some((g) => genes.includes(g)));
      return [
        name,
        count(genes, markers),
        count(genes, stim),
        `${types.length} of ${truth.typeNames.length}`,
      ];
    }),
  ));

  await writeFileAtomic(`${out}/panel.csv`, panelToCsv(model.panel));
  const history = model.metrics.history;
  await writeFileAtomic(
    `${out}/training.svg`,
    await toSvg(trainingCurveSpec(history, `YOTO on simulated PBMC (k = ${k})`)),
  );
  console.log(`\nwrote ${out}/panel.csv and ${out}/training.svg; done in ${lap()}.`);
  model.dispose();
});
