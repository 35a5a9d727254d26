// panel.csv's per-gene columns (top_group, log2fc_top, mean_count, frac_detected) from the training
// cells' raw counts, written by every panel.csv writer and printed by `yoto panel`; old model
// folders still load.
import { assertEquals, assertThrows } from "../_assert.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { readGeneList } from "../../lib/data/constraints.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { LOG2FC_PSEUDOCOUNT, panelSummary } from "../../lib/data/expression.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { protocolSplit, splitDataset, stratifiedSplit } from "../../lib/data/split.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { panelTable, panelToCsv } from "../../lib/select/panel.ts";
import { runScript, tempDir } from "../_shared.ts";

Deno.test("panelSummary: top group, log2 fold change, mean count, fraction detected, by hand", () => {
  // genes A, B; cells: x, x, y, unlabelled
  const ds = Dataset.fromDense(new Float32Array([6, 0, 2, 1, 0, 3, 9, 9]), 4, 2, ["A", "B"], {
    t: { kind: "categorical", codes: Int32Array.of(0, 0, 1, -1), categories: ["x", "y", "z"] },
  });
  const s = panelSummary(ds, ["B", "A"], "t");
  assertEquals(s.label, "t");
  const eps = LOG2FC_PSEUDOCOUNT;
  assertEquals(s.genes, [
    // B: x mean 0.5, y 3 -> y; the unlabelled cell counts in the overall numbers only
    {
      gene: "B",
      topGroup: "y",
      log2fcTop: Math.log2((3 + eps) / (0.5 + eps)),
      meanCount: 13 / 4,
      fracDetected: 3 / 4,
    },
    // A: x mean 4, y 0: a gene the other cells lack gets a finite fold change
    {
      gene: "A",
      topGroup: "x",
      log2fcTop: Math.log2((4 + eps) / eps),
      meanCount: 17 / 4,
      fracDetected: 3 / 4,
    },
  ]);
  const none = panelSummary(ds, ["A"]);
  assertEquals([none.label, none.genes[0].topGroup, none.genes[0].log2fcTop], [null, null, null]);
  // one labelled class: a top group, no fold change
  const one = ds.withObs("u", { kind: "string", values: ["a", "a", null, null] });
  assertEquals(panelSummary(one, ["A"], "u").genes[0].topGroup, "a");
  assertEquals(panelSummary(one, ["A"], "u").genes[0].log2fcTop, null);
  // equal means: the first class in category order (text labels sort: p before q)
  const tie = Dataset.fromDense(new Float32Array([2, 2]), 2, 1, ["A"], {
    v: { kind: "string", values: ["q", "p"] },
  });
  assertEquals(panelSummary(tie, ["A"], "v").genes[0].topGroup, "p");
  assertEquals(panelSummary(tie, ["A"], "v").genes[0].log2fcTop, 0);
  assertThrows(() => panelSummary(ds, ["A", "A"], "t"), OptionError);
});

Deno.test("panel.csv columns: empty top group without a label; old 3-column table without a summary", async () => {
  const panel = {
    method: "x",
    k: 2,
    genes: ["G,1", "B"],
    scores: [Infinity, 0.5],
    params: {},
    fitSeconds: 0,
    notes: [],
  };
  assertEquals(panelToCsv(panel), 'gene,rank,score\n"G,1",1,Infinity\nB,2,0.5\n');
  const ds = Dataset.fromDense(new Float32Array([1, 0, 0, 2]), 2, 2, ["G,1", "B"]);
  const csv = panelToCsv({ ...panel, summary: panelSummary(ds, panel.genes) });
  assertEquals(csv.split("\n")[0], "gene,rank,score,top_group,log2fc_top,mean_count,frac_detected");
  assertEquals(csv.split("\n")[1], '"G,1",1,Infinity,,,0.5,0.5');
  // readGeneList reads the new table
  const file = `${await tempDir()}/panel.csv`;
  await Deno.writeTextFile(file, csv);
  assertEquals(await readGeneList(file), ["G,1", "B"]);
});

const dir = await tempDir();
const { dataset } = simulate({ nCells: 400, nGenes: 150, seed: 2 });
await writeArrow(dataset, `${dir}/sim.arrow`);
const common = ["--candidates", "150", "--epochs", "3", "--backend", "wasm", "--quiet"];
const yoto = (...args: string[]) => runScript("scripts/yoto.ts", ...args);
const rowsOf = (text: string, sep: string) => text.trim().split("\n").map((l) => l.split(sep));

/** The panel.csv rows the training cells give for `genes` (the table's own rounding). */
function expectedRows(train: Dataset, genes: string[], label?: string): string[][] {
  const summary = panelSummary(train, genes, label);
  return panelTable({
    method: "",
    k: genes.length,
    genes,
    scores: genes.map(() => 0),
    params: {},
    fitSeconds: 0,
    notes: [],
    summary,
  }).rows.map((r) => r.slice(3));
}

Deno.test("yoto train: panel.csv's columns come from the training cells; yoto panel prints them", async () => {
  const out = `${dir}/model`;
  const r = await yoto(
    "train",
    "--data",
    `${dir}/sim.arrow`,
    "--label",
    "cell_type",
    "--label",
    "condition",
    "--k",
    "6",
    "--out",
    out,
    ...common,
  );
  assertEquals(r.code, 0, r.stderr);
  const csv = await Deno.readTextFile(`${out}/panel.csv`);
  const rows = rowsOf(csv, ",");
  assertEquals(rows[0], [
    "gene",
    "rank",
    "score",
    "top_group",
    "log2fc_top",
    "mean_count",
    "frac_detected",
  ]);
  const genes = rows.slice(1).map((row) => row[0]);
  // the stratified 70/15/15 split yoto train makes (seed 0): train cells only, first label
  const parts = splitDataset(
    dataset,
    protocolSplit(dataset, { labels: ["cell_type", "condition"], seed: 0 }),
  );
  assertEquals(
    rows.slice(1).map((row) => row.slice(3)),
    expectedRows(parts.train, genes, "cell_type"),
  );
  // all cells would give other numbers: the test can tell
  assertEquals(
    JSON.stringify(expectedRows(dataset, genes, "cell_type")) ===
      JSON.stringify(rows.slice(1).map((row) => row.slice(3))),
    false,
  );
  const cellTypes = new Set(dataset.categorical("cell_type").categories);
  assertEquals(rows.slice(1).every((row) => cellTypes.has(row[3])), true);
  assertEquals(await readGeneList(`${out}/panel.csv`), genes);

  const printed = await yoto("panel", "--model", out);
  assertEquals(printed.code, 0, printed.stderr);
  assertEquals(rowsOf(printed.stdout, "\t"), rows);

  // a model folder from before the columns (no summary, 3-column panel.csv) still loads and prints
  const model = JSON.parse(await Deno.readTextFile(`${out}/model.json`));
  assertEquals(model.panel.summary.label, "cell_type");
  delete model.panel.summary;
  await Deno.writeTextFile(`${out}/model.json`, JSON.stringify(model));
  await Deno.writeTextFile(
    `${out}/panel.csv`,
    csv.split("\n").map((l) => l.split(",").slice(0, 3).join(",")).join("\n"),
  );
  const old = await yoto("panel", "--model", out);
  assertEquals(old.code, 0, old.stderr);
  assertEquals(rowsOf(old.stdout, "\t"), rows.map((row) => row.slice(0, 3)));
  const predicted = await yoto(
    "predict",
    "--model",
    out,
    "--data",
    `${dir}/sim.arrow`,
    "--out",
    `${dir}/pred.csv`,
    "--quiet",
  );
  assertEquals(predicted.code, 0, predicted.stderr);

  // a damaged summary is a one-line error naming the field
  model.panel.summary = { label: "cell_type", genes: [{ gene: genes[0], meanCount: -1 }] };
  await Deno.writeTextFile(`${out}/model.json`, JSON.stringify(model));
  const bad = await yoto("panel", "--model", out);
  assertEquals(bad.code, 2, bad.stderr);
  assertEquals(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  assertEquals(/panel\.summary\.genes/.test(bad.stderr), true, bad.stderr);
});

Deno.test("yoto train --reconstruct (no label): top_group and log2fc_top empty", async () => {
  const out = `${dir}/recon`;
  const r = await yoto(
    "train",
    "--data",
    `${dir}/sim.arrow`,
    "--reconstruct",
    "--k",
    "4",
    "--out",
    out,
    ...common,
  );
  assertEquals(r.code, 0, r.stderr);
  const rows = rowsOf(await Deno.readTextFile(`${out}/panel.csv`), ",").slice(1);
  assertEquals(rows.length, 4);
  const parts = splitDataset(dataset, protocolSplit(dataset, { labels: [], seed: 0 }));
  assertEquals(
    rows.map((row) => row.slice(3)),
    expectedRows(parts.train, rows.map((row) => row[0])),
  );
  assertEquals(rows.every((row) => row[3] === "" && row[4] === ""), true);
});

Deno.test("deno task demo: panel.csv has the columns, from its training cells", async () => {
  const out = `${dir}/demo`;
  const r = await runScript(
    "scripts/demo.ts",
    "--cells",
    "400",
    "--epochs",
    "3",
    "--k",
    "6",
    "--out",
    out,
    "--quiet",
  );
  assertEquals(r.code, 0, r.stderr);
  const rows = rowsOf(await Deno.readTextFile(`${out}/panel.csv`), ",");
  assertEquals(rows[0].slice(3), ["top_group", "log2fc_top", "mean_count", "frac_detected"]);
  const sim = simulate({ nCells: 400, seed: 0 }).dataset;
  const { train } = splitDataset(sim, stratifiedSplit(sim.categorical("cell_type"), { seed: 0 }));
  const genes = rows.slice(1).map((row) => row[0]);
  assertEquals(rows.slice(1).map((row) => row.slice(3)), expectedRows(train, genes, "cell_type"));
});

Deno.test("data/panels/pbmc_classic.csv: the 16 classic PBMC markers, each with what it marks", async () => {
  const file = new URL("../../data/panels/pbmc_classic.csv", import.meta.url).pathname;
  const genes = await readGeneList(file);
  assertEquals(genes.length, 16);
  for (
    const g of [
      "IL7R",
      "CCR7",
      "CD14",
      "LYZ",
      "S100A4",
      "MS4A1",
      "CD8A",
      "FCGR3A",
      "MS4A7",
      "GNLY",
      "NKG7",
      "FCER1A",
      "CST3",
      "PPBP",
      "CD3E",
      "CD79A",
    ]
  ) {
    assertEquals(genes.includes(g), true, g);
  }
  const rows = rowsOf(await Deno.readTextFile(file), ",");
  assertEquals(rows[0], ["gene", "cell_type"]);
  assertEquals(rows.slice(1).every((row) => row.length === 2 && row[1] !== ""), true);
});
