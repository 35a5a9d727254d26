/**
 * Inputs that would give a wrong answer silently: matrices that are not raw counts, repeated gene
 * names and cell ids, and names that break the CSV / TSV we write.
 */
import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { quoteCsvField, tsvField } from "../../lib/data/csv.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { writeH5ad } from "../../lib/data/h5ad.ts";
import { makeNamesUnique, readCounts, readDataset } from "../../lib/data/io.ts";
import { log1p, normalizeTotal, scale } from "../../lib/data/preprocess.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { checkRawCounts } from "../../lib/data/stats.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { DataValueError, OptionError } from "../../lib/runtime/errors.ts";
import { panelToCsv } from "../../lib/select/panel.ts";
import { loadYoto } from "../../lib/select/yoto/save.ts";
import { haveShared, runScript, sharedPath, tempDir } from "../_shared.ts";

const dir = await tempDir();
const { dataset: counts } = simulate({ nCells: 300, nGenes: 120, seed: 4 });
const logged = log1p(normalizeTotal(counts, { targetSum: 1e4 }));
/** Fractional, non-negative "estimated counts" (as salmon / CellBender write). */
const estimated = counts.withX(
  {
    ...counts.X,
    values: (counts.X as { values: Float32Array }).values.map((v) => v * 0.75),
  } as typeof counts.X,
);

function message(fn: () => unknown): string {
  return assertThrows(fn, DataValueError).message;
}

Deno.test("counts check: log-normalised data is refused with what was found and the ways on", () => {
  const m = message(() => checkRawCounts(logged, "YOTO"));
  for (
    const part of [
      "looks log-normalised",
      "non-integer",
      "max ",
      "--layer",
      "--raw",
      "convert --raw",
    ]
  ) {
    assertEquals(m.includes(part), true, `${part}: ${m}`);
  }
  assertEquals(m.includes("--allow-non-integer"), true, m);
  // allowNonInteger does not admit log-normalised values by magic: it is the user's call
  checkRawCounts(logged, "YOTO", { allowNonInteger: true });
});

Deno.test("counts check: scaled (negative) values are refused even with allowNonInteger", () => {
  const m = message(() => checkRawCounts(scale(logged), "YOTO", { allowNonInteger: true }));
  assertEquals(/negative value\(s\) \(min -[0-9.]+\): looks scaled/.test(m), true, m);
  assertEquals(m.includes("--allow-non-integer"), false, m);
});

Deno.test("counts check: integer counts pass, float32 rounding is not non-integer, NaN is refused", () => {
  checkRawCounts(counts, "YOTO");
  const near = Dataset.fromDense(new Float32Array([3.0000002, 0, 1, 1e6 + 0.0625]), 2, 2, [
    "A",
    "B",
  ]);
  checkRawCounts(near, "YOTO");
  const nan = Dataset.fromDense(new Float32Array([1, NaN]), 1, 2, ["A", "B"]);
  assertEquals(message(() => checkRawCounts(nan, "YOTO")).includes("NaN"), true);
});

Deno.test("counts check: estimated counts need --allow-non-integer; integers-only commands do not offer it", () => {
  const m = message(() => checkRawCounts(estimated, "YOTO"));
  assertEquals(m.includes("--allow-non-integer"), true, m);
  checkRawCounts(estimated, "YOTO", { allowNonInteger: true });
  const strict = message(() => checkRawCounts(estimated, "recall", { offerNonInteger: false }));
  assertEquals(strict.includes("--allow-non-integer"), false, strict);
});

Deno.test("counts check: pbmc68k_reduced (scaled X, log-normalised raw) is refused both ways", async () => {
  if (!haveShared("pbmc68k_reduced.h5ad")) return;
  const path = sharedPath("pbmc68k_reduced.h5ad");
  const x = await assertRejects(() => readCounts(path, { quiet: true }, "YOTO"), DataValueError);
  assertEquals(x.message.includes("looks scaled"), true, x.message);
  const raw = await assertRejects(
    () => readCounts(path, { raw: true, quiet: true }, "YOTO"),
    DataValueError,
  );
  assertEquals(raw.message.includes("looks log-normalised"), true, raw.message);
});

Deno.test("--layer / --raw on an input that is not .h5ad is an option error", async () => {
  await writeArrow(counts, `${dir}/counts.arrow`);
  for (const flags of [{ layer: "counts" }, { raw: true }]) {
    const e = await assertRejects(
      () => readCounts(`${dir}/counts.arrow`, flags, "YOTO"),
      OptionError,
    );
    assertEquals(e.message.includes(".h5ad"), true, e.message);
  }
});

/** A tiny dataset whose genes 'B' and 'D' are named twice. */
const dupGenes = Dataset.fromDense(
  Float32Array.from({ length: 12 }, (_, i) => i % 5),
  2,
  6,
  ["A", "B", "B", "C", "D", "D"],
);

/** The same dataset written as csv, mtx (10x folder), h5ad and arrow; path per format. */
async function writeDuplicated(): Promise<Record<string, string>> {
  const csv = `${dir}/dup.csv`;
  await Deno.writeTextFile(csv, "cell_id,A,B,B,C,D,D\nc1,0,1,2,3,4,0\nc2,1,2,3,4,0,1\n");
  const tenx = `${dir}/dup10x`;
  await Deno.mkdir(tenx, { recursive: true });
  await Deno.writeTextFile(
    `${tenx}/features.tsv`,
    ["A", "B", "B", "C", "D", "D"].map((g, i) => `ENSG${i}\t${g}\tGene Expression`).join("\n") +
      "\n",
  );
  await Deno.writeTextFile(`${tenx}/barcodes.tsv`, "c1\nc2\n");
  await Deno.writeTextFile(
    `${tenx}/matrix.mtx`,
    "%%MatrixMarket matrix coordinate integer general\n6 2 3\n2 1 1\n3 2 2\n5 1 4\n",
  );
  await writeH5ad(dupGenes, `${dir}/dup.h5ad`);
  await writeArrow(dupGenes, `${dir}/dup.arrow`);
  return { csv, mtx: tenx, h5ad: `${dir}/dup.h5ad`, arrow: `${dir}/dup.arrow` };
}
const duplicated = await writeDuplicated();

Deno.test("repeated gene names are refused at read time in every format, naming them", async () => {
  for (const [format, path] of Object.entries(duplicated)) {
    const e = await assertRejects(() => readDataset(path, { quiet: true }), DataValueError);
    assertEquals(e.message.includes("2 gene name(s) occur more than once"), true, format);
    assertEquals(e.message.includes("'B' x2, 'D' x2"), true, `${format}: ${e.message}`);
    assertEquals(e.message.includes("--make-unique"), true, e.message);
    const unique = await readDataset(path, { quiet: true, makeUnique: true });
    assertEquals(unique.genes, ["A", "B", "B-1", "C", "D", "D-1"], format);
  }
});

Deno.test("repeated cell ids are refused at read time; makeUnique renames later copies", async () => {
  const ds = counts.withObs("cell_id", {
    kind: "string",
    values: counts.cellIds().map((id, i) => (i === 7 ? counts.cellIds()[3] : id)),
  });
  await writeArrow(ds, `${dir}/dupcells.arrow`);
  const e = await assertRejects(() => readDataset(`${dir}/dupcells.arrow`), DataValueError);
  assertEquals(
    e.message.includes(`1 cell id(s) occur more than once: '${ds.cellIds()[3]}' x2`),
    true,
    e.message,
  );
  const unique = await readDataset(`${dir}/dupcells.arrow`, { makeUnique: true });
  assertEquals(unique.cellIds()[7], `${ds.cellIds()[3]}-1`);
  // in memory, repeated ids stay allowed (sampling with replacement, concatenations)
  assertEquals(counts.selectCells([0, 0, 1]).nCells, 3);
});

Deno.test("makeNamesUnique: scanpy's convention, never clashing with an existing name", () => {
  assertEquals(makeNamesUnique(["A", "A", "A-1", "B", "A"]), ["A", "A-2", "A-1", "B", "A-3"]);
  assertEquals(makeNamesUnique(["x", "y"]), ["x", "y"]);
});

Deno.test("a gene asked for by name that the dataset holds twice is an error naming it", () => {
  const e = assertThrows(() => dupGenes.selectGenes(["A", "D"]), DataValueError);
  assertEquals(e.message.includes("'D' occurs 2 times"), true, e.message);
  assertEquals(dupGenes.selectGenes(["A", "C"]).genes, ["A", "C"]);
});

Deno.test("CSV cells that look like formulas are escaped, numbers are not", () => {
  for (const [text, out] of [["=1+1", "'=1+1"], ["+A", "'+A"], ["-A", "'-A"], ["@A", "'@A"]]) {
    assertEquals(quoteCsvField(text), out);
  }
  assertEquals(quoteCsvField("\tA"), "'\tA");
  assertEquals(quoteCsvField("=a,b"), `"'=a,b"`);
  for (const number of ["-1.5", "+2", "-1e-3", "-inf"]) assertEquals(quoteCsvField(number), number);
  const csv = panelToCsv({
    method: "x",
    k: 2,
    genes: ['=HYPERLINK("x")', "-1"],
    scores: [-0.5, 1],
    params: {},
    fitSeconds: 0,
    notes: [],
  });
  assertEquals(csv, `gene,rank,score\n"'=HYPERLINK(""x"")",1,-0.5\n-1,2,1\n`);
  assertEquals(tsvField("a\tb\nc\\d\re"), "a\\tb\\nc\\\\d\\re");
});

// ---- the CLIs, as subprocesses ----

function yoto(...args: string[]) {
  return runScript("scripts/yoto.ts", ...args);
}
const common = ["--candidates", "120", "--epochs", "2", "--backend", "wasm", "--quiet"];
const FORMULA = ["=", "+", "-", "@"];
/** Gene names and cell ids that look like formulas and hold tabs and newlines. */
const weird = new Dataset({
  X: counts.X,
  var: { gene: counts.genes.map((g, i) => `${FORMULA[i % 4]}${g}${i % 3 ? "" : "\tx\ny"}`) },
  obs: {
    ...counts.obsColumns,
    cell_id: { kind: "string", values: counts.cellIds().map((id) => `=${id}`) },
  },
  obsIndex: "cell_id",
});
await writeArrow(weird, `${dir}/weird.arrow`);
await writeArrow(log1p(normalizeTotal(weird, { targetSum: 1e4 })), `${dir}/weird_logged.arrow`);
await writeArrow(logged, `${dir}/logged.arrow`);
await writeArrow(estimated, `${dir}/estimated.arrow`);

Deno.test("yoto train on log-normalised data exits 2 with what was found", async () => {
  const r = await yoto(
    "train",
    "--data",
    `${dir}/logged.arrow`,
    "--label",
    "cell_type",
    "--k",
    "4",
    "--out",
    `${dir}/m_logged`,
    ...common,
  );
  assertEquals(r.code, 2, r.stderr);
  assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  assertEquals(
    /^error: .*looks log-normalised.*--layer.*--allow-non-integer/.test(r.stderr),
    true,
    r.stderr,
  );
});

Deno.test("yoto train --allow-non-integer lets estimated counts through; without it exit 2", async () => {
  const args = ["train", "--data", `${dir}/estimated.arrow`, "--label", "cell_type", "--k", "4"];
  const refused = await yoto(...args, "--out", `${dir}/m_est0`, ...common);
  assertEquals(refused.code, 2, refused.stderr);
  const ok = await yoto(...args, "--allow-non-integer", "--out", `${dir}/m_est`, ...common);
  assertEquals(ok.code, 0, ok.stderr);
});

Deno.test("yoto train/predict/panel with formula-like, tab- and newline-holding names", async () => {
  const model = `${dir}/m_weird`;
  const r = await yoto(
    "train",
    "--data",
    `${dir}/weird.arrow`,
    "--label",
    "cell_type",
    "--k",
    "4",
    "--out",
    model,
    ...common,
  );
  assertEquals(r.code, 0, r.stderr);

  const panel = await yoto("panel", "--model", model);
  assertEquals(panel.code, 0, panel.stderr);
  const rows = panel.stdout.trim().split("\n");
  assertEquals(rows.length, 5, panel.stdout);
  // the columns of panel.csv: gene first, then rank, score and the per-gene statistics
  assertEquals(
    rows[0].split("\t"),
    (await Deno.readTextFile(`${model}/panel.csv`)).split("\n")[0].split(","),
  );
  for (const row of rows.slice(1)) {
    const [gene] = row.split("\t");
    assertEquals(row.split("\t").length, 7, row);
    assertEquals(gene.startsWith("'"), true, row);
  }
  // every row starts with an escaped name ("y..." lines continue a quoted name's newline)
  const panelCsv = (await Deno.readTextFile(`${model}/panel.csv`)).trim().split("\n").slice(1);
  for (const line of panelCsv.filter((l) => !l.startsWith("y"))) {
    assertEquals(/^"?'[=+\-@]/.test(line), true, line);
  }

  const pred = await yoto(
    "predict",
    "--model",
    model,
    "--data",
    `${dir}/weird.arrow`,
    "--out",
    `${dir}/weird_pred.csv`,
    "--quiet",
  );
  assertEquals(pred.code, 0, pred.stderr);
  const lines = (await Deno.readTextFile(`${dir}/weird_pred.csv`)).trim().split("\n");
  assertEquals(lines.length, weird.nCells + 1);
  assertEquals(lines[1].startsWith(`'${weird.cellIds()[0]}`), true, lines[1]);

  // predict on log-normalised cells: exit 2, no predictions written
  const bad = await yoto(
    "predict",
    "--model",
    model,
    "--data",
    `${dir}/weird_logged.arrow`,
    "--out",
    `${dir}/logged_pred.csv`,
  );
  assertEquals(bad.code, 2, bad.stderr);
  assertEquals(bad.stderr.includes("looks log-normalised"), true, bad.stderr);
  assertEquals(bad.stderr.trim().split("\n").length, 1, bad.stderr); // names with \n escaped
  assertEquals(await exists(`${dir}/logged_pred.csv`), false);
});

Deno.test("repeated genes in csv / mtx / h5ad / arrow inputs: yoto predict exits 2 naming them", async () => {
  const model = `${dir}/m_est`; // trained above; any model will do: the read fails first
  for (const [format, path] of Object.entries(duplicated)) {
    const r = await yoto(
      "predict",
      "--model",
      model,
      "--data",
      path,
      "--out",
      `${dir}/dup_${format}.csv`,
    );
    assertEquals(r.code, 2, `${format}: ${r.stderr}`);
    assertEquals(r.stderr.includes("'B' x2, 'D' x2"), true, r.stderr);
  }
});

Deno.test("convert --make-unique writes unique names that yoto then reads", async () => {
  const out = `${dir}/unique.arrow`;
  const r = await runScript("scripts/convert.ts", duplicated.mtx, out, "--make-unique", "--quiet");
  assertEquals(r.code, 0, r.stderr);
  assertEquals((await readDataset(out)).genes, ["A", "B", "B-1", "C", "D", "D-1"]);
  const plain = await runScript("scripts/convert.ts", duplicated.mtx, `${dir}/plain.arrow`);
  assertEquals(plain.code, 2, plain.stderr);
});

Deno.test("model.predict refuses an in-memory dataset holding a panel gene twice", async () => {
  await initBackend("wasm");
  const model = await loadYoto(`${dir}/m_est`);
  try {
    const gene = model.panel.genes[0];
    const other = estimated.genes.indexOf(gene) === 0 ? 1 : 0;
    const twice = new Dataset({
      X: estimated.X,
      var: { gene: estimated.genes.map((g, j) => (j === other ? gene : g)) },
      obs: { ...estimated.obsColumns },
      obsIndex: estimated.obsIndex,
    });
    const e = assertThrows(() => model.predict(twice), DataValueError);
    assertEquals(e.message.includes(`'${gene}' occurs 2 times`), true, e.message);
  } finally {
    model.dispose();
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
