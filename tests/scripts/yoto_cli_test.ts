import { assertEquals } from "../_assert.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { writeDataset } from "../../lib/data/io.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { fitCandidates } from "../../lib/data/transform.ts";
import { runScript, tempDir } from "../_shared.ts";

function yoto(...args: string[]) {
  return runScript("scripts/yoto.ts", ...args);
}

const dir = await tempDir();
const { dataset } = simulate({ nCells: 400, nGenes: 150, seed: 2 });
await writeArrow(dataset, `${dir}/sim.arrow`);
const common = ["--candidates", "150", "--epochs", "3", "--backend", "wasm", "--quiet"];

/** `yoto train` on the simulated file, writing the model to `dir/out`. */
function trainSim(out: string, ...flags: string[]) {
  return yoto("train", "--data", `${dir}/sim.arrow`, ...flags, "--out", `${dir}/${out}`, ...common);
}

Deno.test("yoto train -> panel -> predict on a dataset file", async () => {
  const r = await trainSim("model", "--label", "cell_type", "--label", "condition", "--k", "6");
  assertEquals(r.code, 0, r.stderr);
  assertEquals(
    /test cell_type: accuracy [0-9.]+, balanced accuracy [0-9.]+, macro-F1 [0-9.]+/.test(r.stdout),
    true,
    r.stdout,
  );
  const metrics = JSON.parse(await Deno.readTextFile(`${dir}/model/metrics.json`));
  // one spelling per key, snake_case; the history in its own file
  assertEquals(Object.keys(metrics).sort(), [
    "backend",
    "best_epoch",
    "epochs",
    "k",
    "n_test",
    "n_train",
    "n_val",
    "seed",
    "split",
    "tasks",
    "train_seconds",
  ]);
  const history = JSON.parse(await Deno.readTextFile(`${dir}/model/history.json`));
  assertEquals(history.length, metrics.epochs);
  const cellType = metrics.tasks["cell_type"];
  assertEquals(Object.keys(cellType).sort(), [
    "accuracy",
    "balanced_accuracy",
    "confusion",
    "macro_f1",
    "n",
    "per_class",
    "weighted_f1",
  ]);
  // the confusion matrix holds every test cell; the per-class scores follow from it
  const { classes, matrix } = cellType.confusion as { classes: string[]; matrix: number[][] };
  assertEquals(classes, cellType.per_class.map((c: { class: string }) => c.class));
  assertEquals(matrix.flat().reduce((a, b) => a + b, 0), cellType.n);
  const diagonal = classes.map((_, c) => matrix[c][c]);
  assertEquals(diagonal.reduce((a, b) => a + b, 0) / cellType.n, cellType.accuracy);
  classes.forEach((_, c) => {
    const predicted = matrix.reduce((a, row) => a + row[c], 0);
    const actual = matrix[c].reduce((a, b) => a + b, 0);
    const p = cellType.per_class[c];
    assertEquals(p.support, actual);
    assertEquals(p.precision, predicted ? diagonal[c] / predicted : 0);
    assertEquals(p.recall, actual ? diagonal[c] / actual : 0);
  });

  // yoto panel prints panel.csv: the same columns, rows and order, tab-separated
  const panel = await yoto("panel", "--model", `${dir}/model`);
  assertEquals(panel.code, 0, panel.stderr);
  const csv = (await Deno.readTextFile(`${dir}/model/panel.csv`)).trim().split("\n");
  assertEquals(csv.length, 7);
  assertEquals(
    panel.stdout.trim().split("\n").map((l) => l.split("\t")),
    csv.map((l) => l.split(",")),
  );

  const pred = await yoto(
    "predict",
    "--model",
    `${dir}/model`,
    "--data",
    `${dir}/sim.arrow`,
    "--out",
    `${dir}/pred.csv`,
    "--quiet",
  );
  assertEquals(pred.code, 0, pred.stderr);
  const lines = (await Deno.readTextFile(`${dir}/pred.csv`)).trim().split("\n");
  assertEquals(lines.length, dataset.nCells + 1);
  assertEquals(lines[0].startsWith("cell_id,cell_type,cell_type:"), true, lines[0]);
  assertEquals(lines[1].split(",")[0], dataset.cellIds()[0]);
});

Deno.test("yoto predict streams an .arrow file batch by batch: the bytes of reading it whole", async () => {
  // a regression task runs the network, the class label the logistic head
  const scored = dataset.withObs("score", {
    kind: "numeric",
    values: Float64Array.from(
      { length: dataset.nCells },
      (_, i) => dataset.indptr[i + 1] - dataset.indptr[i],
    ),
  });
  await writeArrow(scored, `${dir}/scored.arrow`);
  await writeArrow(scored, `${dir}/scored_batches.arrow`, { batchSize: 50 });
  await writeDataset(scored, `${dir}/scored.h5ad`);
  const r = await yoto(
    "train",
    "--data",
    `${dir}/scored.arrow`,
    "--label",
    "cell_type",
    "--regression",
    "score",
    "--k",
    "6",
    "--out",
    `${dir}/scored_model`,
    ...common,
  );
  assertEquals(r.code, 0, r.stderr);
  const predict = (data: string, out: string, ...flags: string[]) =>
    yoto("predict", "--model", `${dir}/scored_model`, "--data", data, "--out", out, ...flags);
  const outputs: string[] = [];
  for (const data of ["scored_batches.arrow", "scored.arrow", "scored.h5ad"]) {
    const p = await predict(`${dir}/${data}`, `${dir}/${data}.csv`, "--quiet");
    assertEquals(p.code, 0, p.stderr);
    outputs.push(await Deno.readTextFile(`${dir}/${data}.csv`));
  }
  assertEquals(outputs[0].trim().split("\n").length, dataset.nCells + 1);
  assertEquals(outputs[0].startsWith("cell_id,cell_type,cell_type:"), true, outputs[0]);
  assertEquals(outputs[0], outputs[1]);
  assertEquals(outputs[0], outputs[2]);
  // a bad value in the last batch: the earlier batches were written, but --out is untouched
  const values = Float32Array.from(scored.values);
  values[values.length - 1] = 0.5;
  const { indptr, indices, nGenes, genes, obsColumns } = scored;
  const bad = Dataset.fromCSR(indptr, indices, values, nGenes, genes, { ...obsColumns });
  await writeArrow(bad, `${dir}/bad_batches.arrow`, { batchSize: 50 });
  const p = await predict(`${dir}/bad_batches.arrow`, `${dir}/scored.arrow.csv`, "--overwrite");
  assertEquals(p.code, 2, p.stderr);
  assertEquals(/non-integer/.test(p.stderr), true, p.stderr);
  assertEquals(await Deno.readTextFile(`${dir}/scored.arrow.csv`), outputs[1]);
  const left = [...Deno.readDirSync(dir)].filter((e) => e.name.includes(".tmp-"));
  assertEquals(left, []);
});

Deno.test("yoto train --split-by holds out whole donors", async () => {
  const r = await trainSim("donor", "--label", "cell_type", "--split-by", "donor", "--k", "5");
  assertEquals(r.code, 0, r.stderr);
  const metrics = JSON.parse(await Deno.readTextFile(`${dir}/donor/metrics.json`));
  assertEquals(metrics.split.kind, "group");
  assertEquals(metrics.split.groups.test.length, 1);
});

Deno.test("yoto train --sketch: a streamed sketch of an .arrow file, tested outside it", async () => {
  await writeArrow(dataset, `${dir}/batches.arrow`, { batchSize: 64 });
  const flags = ["--label", "cell_type", "--k", "5", "--sketch", "150", "--candidates", "60"];
  const r = await yoto(
    "train",
    "--data",
    `${dir}/batches.arrow`,
    ...flags,
    "--out",
    `${dir}/sketch`,
    "--epochs",
    "3",
    "--backend",
    "wasm",
    "--quiet",
  );
  assertEquals(r.code, 0, r.stderr);
  const line =
    /^sketch: (\d+) of 400 cells scanned \(7 record batches\), balanced on cell_type; 60 candidates from every cell; test: (\d+) cells drawn from outside the sketch$/m
      .exec(r.stdout);
  assertEquals(line !== null, true, r.stdout);
  const [sketched, tested] = [Number(line![1]), Number(line![2])];
  assertEquals(sketched > 140 && sketched <= 150 && tested === 400 - sketched, true, line![0]);
  const metrics = JSON.parse(await Deno.readTextFile(`${dir}/sketch/metrics.json`));
  assertEquals(metrics.split.kind, "sketch");
  assertEquals([metrics.n_train + metrics.n_val, metrics.n_test], [sketched, tested]);
  assertEquals(metrics.tasks.cell_type.n, tested);
  // the candidates are the whole file's, whatever the sketch
  const model = JSON.parse(await Deno.readTextFile(`${dir}/sketch/model.json`));
  assertEquals(
    [...model.spec.transform.genes].sort(),
    [...fitCandidates(dataset, { candidates: 60 }).genes].sort(),
  );
  // what --sketch cannot do is refused before anything is read
  await Deno.writeTextFile(`${dir}/counts.csv`, "cell,A\nc1,1\n");
  const refused: [string[], RegExp][] = [
    [["--data", `${dir}/counts.csv`], /deno task convert .*counts\.csv OUT\.arrow/],
    [["--data", `${dir}/batches.arrow`, "--split-by", "donor"], /--split-by/],
    [["--data", `${dir}/batches.arrow`, "--null-genes"], /--null-genes/],
    [["--data", `${dir}/batches.arrow`, "--normalize", "transcriptome"], /transcriptome/],
    [["--data", `${dir}/batches.arrow`, "--max-mean", "5"], /--max-mean/],
    [["--data", `${dir}/batches.arrow`, "--sketch", "400"], /none to test on/],
  ];
  for (const [args, problem] of refused) {
    const bad = await yoto("train", ...flags, ...args, "--out", `${dir}/bad_sketch`, "--quiet");
    assertEquals(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
    assertEquals(bad.stderr.trim().split("\n").length, 1, bad.stderr);
    assertEquals(problem.test(bad.stderr), true, bad.stderr);
  }
  assertEquals(await Deno.stat(`${dir}/bad_sketch`).then(() => true, () => false), false);
});

Deno.test("bad input: one-line error, exit 2, no model written", async () => {
  const single = dataset.withObs("rare", {
    kind: "categorical",
    codes: Int32Array.from({ length: dataset.nCells }, (_, i) => (i === 0 ? 1 : 0)),
    categories: ["common", "lonely"],
  });
  await writeArrow(single, `${dir}/single.arrow`);
  const nan = Dataset.fromDense(
    Float32Array.from({ length: 40 }, (_, i) => (i === 5 ? NaN : 1)),
    10,
    4,
    ["a", "b", "c", "d"],
    {
      t: {
        kind: "categorical",
        codes: Int32Array.from({ length: 10 }, (_, i) => i % 2),
        categories: ["x", "y"],
      },
    },
  );
  await writeArrow(nan, `${dir}/nan.arrow`);
  const cases: string[][] = [
    ["--data", `${dir}/sim.arrow`, "--label", "no_such_column", "--k", "5"],
    ["--data", `${dir}/sim.arrow`, "--label", "cell_type", "--k", "150"],
    ["--data", `${dir}/sim.arrow`, "--label", "cell_type", "--k", "0"],
    ["--data", `${dir}/single.arrow`, "--label", "rare", "--k", "5"],
    ["--data", `${dir}/nan.arrow`, "--label", "t", "--k", "2"],
    ["--data", `${dir}/sim.arrow`, "--k", "5"],
    ["--data", `${dir}/sim.arrow`, "--label", "cell_type", "--k", "5", "--null-draws", "2"],
    [
      "--data",
      `${dir}/sim.arrow`,
      "--label",
      "cell_type",
      "--k",
      "5",
      "--null-genes",
      "--null-draws",
      "0",
    ],
  ];
  for (const args of cases) {
    const r = await yoto("train", ...args, "--out", `${dir}/bad`, ...common);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 1, r.stderr);
    assertEquals(lines[0].startsWith("error: "), true, r.stderr);
  }
  assertEquals(await Deno.stat(`${dir}/bad`).then(() => true, () => false), false);
});

Deno.test("yoto train --null-genes: k_null and FSP^ printed and saved; predict refuses twins", async () => {
  // k = 100 of 150 candidates + 150 twins: far more picks than informative genes, so twins
  // are surely picked
  const r = await trainSim(
    "nulls",
    "--label",
    "cell_type",
    "--k",
    "100",
    "--null-genes",
    "--null-draws",
    "2",
  );
  assertEquals(r.code, 0, r.stderr);
  assertEquals(
    r.stdout.match(/^null draw [12]\/2: k_null \d+ of 100, FSP\^ [0-9.]+/gm)?.length,
    2,
    r.stdout,
  );
  assertEquals(/^k_null over 2 draw\(s\): mean [0-9.]+ \[/m.test(r.stdout), true, r.stdout);
  assertEquals(/^FSP\^ over 2 draw\(s\): mean [0-9.]+ \[/m.test(r.stdout), true, r.stdout);
  assertEquals(/test cell_type: accuracy/.test(r.stdout), true, r.stdout);
  const model = JSON.parse(await Deno.readTextFile(`${dir}/nulls/model.json`));
  const metrics = JSON.parse(await Deno.readTextFile(`${dir}/nulls/metrics.json`));
  const genes: string[] = model.panel.genes;
  const kNull = genes.filter((g) => g.endsWith("__null")).length;
  assertEquals(model.spec.transform.genes.length, 300);
  assertEquals(metrics.calibration.per_draw.length, 2);
  assertEquals(metrics.calibration.per_draw[0].panel, genes);
  assertEquals(metrics.calibration.per_draw[0].k_null, kNull);
  assertEquals(metrics.calibration.per_draw[0].fsp, kNull / Math.max(1, 100 - kNull));
  assertEquals(kNull > 0, true);
  const ks = metrics.calibration.per_draw.map((d: { k_null: number }) => d.k_null);
  assertEquals(metrics.calibration.k_null.min, Math.min(...ks));

  const pred = await yoto(
    "predict",
    "--model",
    `${dir}/nulls`,
    "--data",
    `${dir}/sim.arrow`,
    "--out",
    `${dir}/nulls_pred.csv`,
  );
  assertEquals(pred.code, 2, pred.stderr);
  assertEquals(pred.stderr.trim().split("\n").length, 1, pred.stderr);
  assertEquals(/null twin\(s\).*train without --null-genes/.test(pred.stderr), true, pred.stderr);
  assertEquals(await Deno.stat(`${dir}/nulls_pred.csv`).then(() => true, () => false), false);
});

Deno.test("deno task demo runs end to end and writes the panel CSV and the SVG", async () => {
  const out = `${dir}/demo`;
  const flags = ["--cells", "400", "--epochs", "3", "--k", "6", "--out", out, "--quiet"];
  const r = await runScript("scripts/demo.ts", ...flags);
  assertEquals(r.code, 0, r.stderr);
  for (const text of ["YOTO panel (k = 6", "| cell_type |", "| condition |", "true markers"]) {
    assertEquals(r.stdout.includes(text), true, text);
  }
  assertEquals((await Deno.readTextFile(`${out}/panel.csv`)).trim().split("\n").length, 7);
  assertEquals((await Deno.readTextFile(`${out}/training.svg`)).startsWith("<svg"), true);
});

Deno.test("yoto train --reconstruct with no labels picks a label-free panel", async () => {
  const r = await trainSim("recon", "--reconstruct", "--split-by", "donor", "--k", "5");
  assertEquals(r.code, 0, r.stderr);
  const model = JSON.parse(await Deno.readTextFile(`${dir}/recon/model.json`));
  assertEquals(model.panel.genes.length, 5);
  assertEquals(model.spec.net.tasks.map((t: { kind: string }) => t.kind), ["reconstruction"]);
});

Deno.test("--help prints the usage and exits 0, before any other check", async () => {
  const runs = [["scripts/yoto.ts", "train", "-h"], ["scripts/demo.ts", "--help", "--k", "0"]];
  for (const [script, ...args] of runs) {
    const r = await runScript(script, ...args);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.includes("Usage:"), true, r.stdout);
  }
});
