/**
 * The scanpy round trip from the command line: `convert --genes`, `yoto train --annotate`, and
 * `--layer` on train, predict and evaluate, on an .h5ad whose X is log-normalised and whose raw
 * counts are in layers/counts (as scanpy users keep them).
 */
import h5wasm from "h5wasm/node";
import { assertEquals } from "../_assert.ts";
import { readArrow } from "../../lib/data/arrow.ts";
import type { CsrMatrix, Dataset } from "../../lib/data/dataset.ts";
import { readH5ad, writeH5ad } from "../../lib/data/h5ad.ts";
import { log1p, normalizeTotal } from "../../lib/data/preprocess.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { runScript, tempDir } from "../_shared.ts";
import { bruteDense } from "../data/_fixtures.ts";

const dir = await tempDir();
const { dataset: counts } = simulate({ nCells: 300, nGenes: 80, seed: 5 });
const input = `${dir}/scanpy.h5ad`;
await writeH5ad(log1p(normalizeTotal(counts, { targetSum: 1e4 })), input);
await addLayer(input, "counts", counts.X as CsrMatrix);
const panel = [counts.genes[7], counts.genes[2], counts.genes[40]];
await Deno.writeTextFile(
  `${dir}/panel.csv`,
  "gene,rank\n" + panel.map((g, i) => `${g},${i + 1}`).join("\n"),
);
const fast = ["--candidates", "60", "--epochs", "2", "--backend", "wasm", "--quiet"];

/** Add layers/NAME (a csr_matrix) to an .h5ad written by writeH5ad (its layers group is empty). */
async function addLayer(path: string, name: string, X: CsrMatrix): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, "a");
  try {
    const g = (f.get("layers") as InstanceType<typeof h5wasm.Group>).create_group(name);
    g.create_attribute("encoding-type", "csr_matrix");
    g.create_attribute("encoding-version", "0.1.0");
    g.create_attribute("shape", BigInt64Array.of(BigInt(X.nRows), BigInt(X.nCols)));
    g.create_dataset({ name: "data", data: X.values });
    g.create_dataset({ name: "indices", data: X.indices });
    g.create_dataset({ name: "indptr", data: X.indptr });
  } finally {
    f.close();
  }
}

function run(script: string, ...args: string[]) {
  return runScript(`scripts/${script}.ts`, ...args);
}

/** A one-line error matching `pattern`, exit 2. */
function assertUserError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assertEquals(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  assertEquals(pattern.test(lines[0]), true, lines[0]);
}

function genesOf(ds: Dataset, genes: string[]): number[][] {
  return bruteDense(ds.selectGenes(genes));
}

Deno.test("convert --genes: the panel's genes in its order; .h5ad keeps its layers; a missing gene is named", async () => {
  const r = await run(
    "convert",
    input,
    `${dir}/panel.h5ad`,
    "--genes",
    `${dir}/panel.csv`,
    "--quiet",
  );
  assertEquals(r.code, 0, r.stderr);
  const out = await readH5ad(`${dir}/panel.h5ad`);
  assertEquals(out.genes, panel);
  assertEquals(
    bruteDense(await readH5ad(`${dir}/panel.h5ad`, { layer: "counts" })),
    genesOf(counts, panel),
  );
  await Deno.writeTextFile(`${dir}/list.txt`, `# a plain list\n${panel[1]}\n${panel[0]}\n`);
  const arrow = await run(
    "convert",
    input,
    `${dir}/panel.arrow`,
    "--genes",
    `${dir}/list.txt`,
    "--layer",
    "counts",
    "--quiet",
  );
  assertEquals(arrow.code, 0, arrow.stderr);
  assertEquals(
    bruteDense(await readArrow(`${dir}/panel.arrow`)),
    genesOf(counts, [panel[1], panel[0]]),
  );
  await Deno.writeTextFile(`${dir}/typo.txt`, `${panel[0]}\nNOPE1\n`);
  assertUserError(
    await run("convert", input, `${dir}/typo.h5ad`, "--genes", `${dir}/typo.txt`),
    /--genes: 1 gene\(s\) not in the data: 'NOPE1'/,
  );
  assertEquals(await Deno.stat(`${dir}/typo.h5ad`).catch(() => null), null);
});

Deno.test("--layer counts on train, predict and evaluate; train --annotate writes the panel into var", async () => {
  const data = ["--data", input, "--label", "cell_type"];
  assertUserError(
    await run("yoto", "train", ...data, "--k", "4", "--out", `${dir}/no`, ...fast),
    /looks log-normalised.*--layer/,
  );
  const model = `${dir}/model`, annotated = `${dir}/annotated.h5ad`;
  const trained = await run(
    "yoto",
    "train",
    ...data,
    "--layer",
    "counts",
    "--k",
    "4",
    "--out",
    model,
    "--annotate",
    annotated,
    ...fast,
  );
  assertEquals(trained.code, 0, trained.stderr);
  assertEquals(
    trained.stdout.includes(`annotated copy written to ${annotated}`),
    true,
    trained.stdout,
  );
  const chosen = (await Deno.readTextFile(`${model}/panel.csv`)).trim().split("\n").slice(1)
    .map((line) => line.split(",")[0]);
  const copy = await readH5ad(annotated);
  assertEquals(copy.genes.filter((_, j) => copy.var.yoto_panel[j]).sort(), [...chosen].sort());
  assertEquals(chosen.map((g) => copy.var.yoto_rank[copy.genes.indexOf(g)]), [1, 2, 3, 4]);
  assertEquals(copy.var.yoto_rank.filter((r) => r === null).length, counts.nGenes - 4);
  assertEquals(bruteDense(copy), bruteDense(await readH5ad(input)));
  assertEquals(bruteDense(await readH5ad(annotated, { layer: "counts" })), bruteDense(counts));

  const predict = ["predict", "--model", model, "--data", input, "--quiet"];
  assertUserError(await run("yoto", ...predict, "--out", `${dir}/no.csv`), /looks log-normalised/);
  const pred = await run("yoto", ...predict, "--layer", "counts", "--out", `${dir}/pred.csv`);
  assertEquals(pred.code, 0, pred.stderr);
  assertEquals(
    (await Deno.readTextFile(`${dir}/pred.csv`)).trim().split("\n").length,
    counts.nCells + 1,
  );

  const evaluate = ["evaluate", "--panel", `${model}/panel.csv`, ...data, "--quiet"];
  assertUserError(await run("yoto", ...evaluate), /looks log-normalised/);
  const scored = await run("yoto", ...evaluate, "--layer", "counts");
  assertEquals(scored.code, 0, scored.stderr);
});

Deno.test("train --annotate is refused before training: not .h5ad data, the input, inside --out, a foreign file", async () => {
  const arrow = `${dir}/counts.arrow`;
  const wrote = await run("convert", input, arrow, "--layer", "counts", "--quiet");
  assertEquals(wrote.code, 0, wrote.stderr);
  await Deno.writeTextFile(`${dir}/notes.h5ad`, "my notes");
  const train = (data: string, annotate: string, ...more: string[]) =>
    run(
      "yoto",
      "train",
      "--data",
      data,
      "--label",
      "cell_type",
      "--k",
      "4",
      "--out",
      `${dir}/refused`,
      "--annotate",
      annotate,
      ...more,
      ...fast,
    );
  const withLayer = ["--layer", "counts"];
  assertUserError(
    await train(arrow, `${dir}/a.h5ad`),
    /--annotate writes a copy of an \.h5ad input/,
  );
  assertUserError(await train(input, input, ...withLayer), /is the input/);
  assertUserError(
    await train(input, `${dir}/refused/a.h5ad`, ...withLayer),
    /inside the model folder/,
  );
  assertUserError(
    await train(input, `${dir}/notes.h5ad`, ...withLayer),
    /exists and was not written by yoto train/,
  );
  assertUserError(await train(input, `${dir}/a.csv`, ...withLayer), /the copy is an \.h5ad file/);
  assertUserError(
    await train(input, `${dir}/a.h5ad`, ...withLayer, "--null-genes"),
    /--null-genes/,
  );
  assertEquals(await Deno.readTextFile(`${dir}/notes.h5ad`), "my notes");
  assertEquals(await Deno.stat(`${dir}/refused`).catch(() => null), null);
});
