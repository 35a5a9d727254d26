import { assertEquals } from "../_assert.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { runScript, tempDir } from "../_shared.ts";

function yoto(...args: string[]) {
  return runScript("scripts/yoto.ts", ...args);
}

const dir = await tempDir();
const { dataset, truth } = simulate({ nCells: 300, nGenes: 80, seed: 4 });
await writeArrow(dataset, `${dir}/sim.arrow`);
const markers = Object.values(truth.markers).flat();
await Deno.writeTextFile(`${dir}/markers.txt`, markers.join("\n") + "\n");
const others = dataset.genes.filter((g) => !markers.includes(g)).slice(0, 5);
await Deno.writeTextFile(
  `${dir}/others.csv`,
  "gene,rank\n" + others.map((g, i) => `${g},${i}`).join("\n"),
);
const data = ["--data", `${dir}/sim.arrow`, "--label", "cell_type"];
const fast = ["--candidates", "60", "--backend", "wasm", "--quiet"];

/** A one-line error and exit 2. */
function assertUserError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assertEquals(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  assertEquals(pattern.test(lines[0]), true, lines[0]);
}

Deno.test("yoto evaluate: two panels and a model -> evaluation.json, summary.md, figures", async () => {
  const model = `${dir}/model`;
  const trained = await yoto(
    "train",
    ...data,
    "--k",
    "4",
    "--epochs",
    "2",
    "--candidates",
    "60",
    "--out",
    model,
    "--backend",
    "wasm",
    "--quiet",
  );
  assertEquals(trained.code, 0, trained.stderr);
  const out = `${dir}/eval`;
  const r = await yoto(
    "evaluate",
    "--panel",
    `${dir}/markers.txt`,
    "--panel",
    `${dir}/others.csv`,
    "--model",
    model,
    ...data,
    "--label",
    "condition",
    "--split-by",
    "donor",
    "--out",
    out,
    ...fast,
  );
  assertEquals(r.code, 0, r.stderr);
  const doc = JSON.parse(await Deno.readTextFile(`${out}/evaluation.json`));
  assertEquals(doc.split.kind, "group");
  assertEquals(doc.panels.map((p: { name: string }) => p.name), [
    "markers",
    "others",
    "model:model",
  ]);
  const keys = [
    "classification",
    "knn_overlap",
    "cluster_similarity",
    "redundancy",
    "marker_coverage",
    "reconstruction_r2",
    "thinning",
  ];
  for (const p of doc.panels) for (const key of keys) assertEquals(key in p, true, key);
  const [m, o, own] = doc.panels;
  assertEquals(Object.keys(m.classification), ["cell_type", "condition"]);
  assertEquals(Object.keys(m.classification.cell_type), ["lr", "knn"]);
  assertEquals(Object.keys(own.classification.cell_type), ["lr", "knn", "own"]);
  const lr = m.classification.cell_type.lr;
  for (const key of ["accuracy", "balanced_accuracy", "macro_f1", "per_class", "confusion"]) {
    assertEquals(key in lr, true, key);
  }
  assertEquals(lr.macro_f1 > o.classification.cell_type.lr.macro_f1, true);
  assertEquals(m.marker_coverage.labels.cell_type.covered_fraction, 1);
  assertEquals(m.thinning.fractions, [1, 0.5, 0.25]);
  const summary = await Deno.readTextFile(`${out}/summary.md`);
  assertEquals(summary.includes("| metric | markers | others | model:model |"), true, summary);
  assertEquals(r.stdout.includes("| metric | markers | others | model:model |"), true);
  for (
    const f of [
      "metrics",
      "f1_cell_type_lr",
      "f1_cell_type_own",
      "confusion_cell_type_markers",
      "dotplot_model_model",
      "training",
    ]
  ) {
    const svg = await Deno.readTextFile(`${out}/figures/${f}.svg`);
    assertEquals(svg.startsWith("<svg"), true, f);
    assertEquals((await Deno.stat(`${out}/figures/${f}.png`)).size > 0, true, f);
  }
  // report.html: the same figures, inlined, beside the tables
  const html = await Deno.readTextFile(`${out}/report.html`);
  for (const part of ["<h2>Panels side by side</h2>", "<h2>Per-class metrics: condition</h2>"]) {
    assertEquals(html.includes(part), true, part);
  }
  assertEquals(html.includes('<figure id="fig-dotplot_model_model">'), true);
  assertEquals(doc.normalize, "panel");
  // a rerun into its own folder is allowed
  const again = await yoto(
    "evaluate",
    "--panel",
    `${dir}/others.csv`,
    ...data,
    "--normalize",
    "counts",
    "--out",
    out,
    ...fast,
  );
  assertEquals(again.code, 0, again.stderr);
  const rerun = JSON.parse(await Deno.readTextFile(`${out}/evaluation.json`));
  assertEquals(rerun.panels.length, 1);
  assertEquals(rerun.normalize, "counts");
});

Deno.test("yoto evaluate refuses bad input in one line, before writing anything", async () => {
  await Deno.writeTextFile(`${dir}/typo.txt`, `${markers[0]}\nCD3EE\nNOPE1\n`);
  assertUserError(
    await yoto("evaluate", "--panel", `${dir}/typo.txt`, ...data, ...fast),
    /typo\.txt: 2 of its 3 genes are not in the data: CD3EE, NOPE1.*Fix:.*remove them/,
  );
  assertUserError(
    await yoto(
      "evaluate",
      "--panel",
      `${dir}/markers.txt`,
      "--data",
      `${dir}/sim.arrow`,
      "--label",
      "celltype",
      ...fast,
    ),
    /--label celltype: the data has no obs column 'celltype'.*cell_type/,
  );
  assertUserError(
    await yoto(
      "evaluate",
      "--panel",
      `${dir}/markers.txt`,
      ...data,
      "--split-by",
      "patient",
      ...fast,
    ),
    /--split-by patient: the data has no obs column 'patient'.*donor/,
  );
  assertUserError(
    await yoto("evaluate", "--panel", `${dir}/markers.txt`, ...data, "--normalize", "cpm", ...fast),
    /--normalize must be one of panel, counts, binary, transcriptome, got 'cpm'/,
  );
  assertUserError(
    await yoto("evaluate", "--data", `${dir}/sim.arrow`, "--label", "cell_type", ...fast),
    /nothing to evaluate.*--panel/,
  );
  assertUserError(
    await yoto("evaluate", "--panel", `${dir}/nope.txt`, ...data, ...fast),
    /nope\.txt/,
  );
  // --out with someone else's file: refused before the data (here missing) is read
  const foreign = `${dir}/foreign`;
  await Deno.mkdir(foreign);
  await Deno.writeTextFile(`${foreign}/notes.txt`, "mine");
  assertUserError(
    await yoto(
      "evaluate",
      "--panel",
      `${dir}/markers.txt`,
      "--data",
      `${dir}/missing.arrow`,
      "--label",
      "cell_type",
      "--out",
      foreign,
      ...fast,
    ),
    /--out.*notes\.txt/,
  );
  assertEquals(await Deno.readTextFile(`${foreign}/notes.txt`), "mine");
  assertEquals([...Deno.readDirSync(foreign)].length, 1);
});
