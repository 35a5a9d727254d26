import assert from "node:assert/strict";
import { readMtx } from "../../lib/data/mtx.ts";
import type { Dataset } from "../../lib/data/dataset.ts";
import {
  DataValueError,
  FileFormatError,
  ShapeMismatchError,
  type YotoError,
} from "../../lib/runtime/errors.ts";
import { haveShared, sharedPath, tempDir } from "../_shared.ts";
import { gzip, rejectsNaming } from "./_fixtures.ts";

// Cells x genes: c1 [1 0 3], c2 [0 0 0], c3 [2 5 0], c4 [0 1 7].
const DENSE = [1, 0, 3, 0, 0, 0, 2, 5, 0, 0, 1, 7];
const CELLS = ["c1", "c2", "c3", "c4"], GENES = ["G1", "G2", "G3"];
// The non-zeros as (cell, gene, value), 1-based, deliberately not in row order.
const ENTRIES: [number, number, number][] = [
  [3, 2, 5],
  [1, 1, 1],
  [4, 3, 7],
  [1, 3, 3],
  [4, 2, 1],
  [3, 1, 2],
];
const OBS = "cell_id,group,score\nc1,a,1.5\nc2,b,\nc3,a,2\nc4,b,NA\n";

function mtx(field: string, rows: number, cols: number, lines: string[]): string {
  return `%%MatrixMarket matrix coordinate ${field} general\n% a comment\n${rows} ${cols} ${lines.length}\n${
    lines.join("\n")
  }\n`;
}

/** 10x v3 folder: genes x cells, gzipped features (id, name, type) and barcodes. */
async function tenxDir(extra: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir();
  const lines = ENTRIES.map(([c, g, v]) => `${g} ${c} ${v}`);
  await Deno.writeFile(`${dir}/matrix.mtx.gz`, await gzip(mtx("integer", 3, 4, lines)));
  const features = GENES.map((g, j) => `ENSG${j}\t${g}\tGene Expression\n`).join("");
  await Deno.writeFile(`${dir}/features.tsv.gz`, await gzip(features));
  await Deno.writeFile(`${dir}/barcodes.tsv.gz`, await gzip(CELLS.join("\n") + "\n"));
  for (const [name, text] of Object.entries(extra)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

/** The shared layout: cells x genes counts.mtx, genes.txt, obs.csv (CRLF line ends). */
async function cellsDir(): Promise<string> {
  const dir = await tempDir();
  const lines = ENTRIES.map(([c, g, v]) => `${c}\t${g}\t${v}.0`);
  await Deno.writeTextFile(`${dir}/counts.mtx`, mtx("real", 4, 3, lines).replaceAll("\n", "\r\n"));
  await Deno.writeTextFile(`${dir}/genes.txt`, GENES.join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/obs.csv`, OBS);
  return dir;
}

function csrOf(ds: Dataset) {
  return { indptr: [...ds.indptr], indices: [...ds.indices], values: [...ds.values] };
}

Deno.test("10x v3 folder (genes x cells, gzipped) and the cells x genes folder give the same Dataset", async () => {
  const a = await readMtx(await tenxDir({ "obs.csv": OBS }), { quiet: true });
  const b = await readMtx(await cellsDir(), { quiet: true });
  for (const ds of [a, b]) {
    assert.deepEqual([...ds.toDense()], DENSE);
    assert.deepEqual(ds.genes, GENES);
    assert.deepEqual(ds.cellIds(), CELLS);
    assert.deepEqual(ds.labels("group"), ["a", "b", "a", "b"]);
    assert.deepEqual(ds.labels("score"), ["1.5", null, "2", null]);
  }
  assert.deepEqual(csrOf(a), csrOf(b));
  assert.deepEqual(csrOf(a), {
    indptr: [0, 2, 2, 4, 6],
    indices: [0, 2, 0, 1, 1, 2],
    values: [1, 3, 2, 5, 1, 7],
  });
  assert.deepEqual(a.var.gene_id, ["ENSG0", "ENSG1", "ENSG2"]);
  assert.deepEqual(a.var.feature_type, Array(3).fill("Gene Expression"));
  assert.deepEqual(Object.keys(b.var), ["gene"]);
  assert.equal(a.obsIndex, "barcode");
  assert.equal(b.obsIndex, "cell_id");
  assert.deepEqual((a.uns.source as Record<string, unknown>).orientation, "genes-by-cells");
  assert.deepEqual((b.uns.source as Record<string, unknown>).orientation, "cells-by-genes");
  assert.equal((b.uns.source as Record<string, unknown>).format, "mtx");
});

Deno.test("pattern, integer and real headers; decimal forms; explicit zeros dropped", async () => {
  const dir = await tempDir();
  const genes = `${dir}/genes.txt`, barcodes = `${dir}/barcodes.tsv`;
  await Deno.writeTextFile(genes, "A\nB\n");
  await Deno.writeTextFile(barcodes, "x\ny\nz\n");
  const read = async (text: string) => {
    await Deno.writeTextFile(`${dir}/m.mtx`, text);
    return readMtx({ matrix: `${dir}/m.mtx`, genes, barcodes }, { quiet: true });
  };
  const pattern = await read(mtx("pattern", 2, 3, ["2 1", "1 3"]));
  assert.deepEqual([...pattern.toDense()], [0, 1, 0, 0, 1, 0]);
  const integer = await read(mtx("integer", 2, 3, ["1 1 4", "2 2 0", "2 3 12"]));
  assert.deepEqual([...integer.toDense()], [4, 0, 0, 0, 0, 12]);
  assert.equal(integer.indices.length, 2);
  const real = await read(
    mtx("real", 2, 3, [
      "1 1 1.5e0",
      "1 2 .25",
      "2 2 1E2",
      "1 3 +3",
      "2 3 0.1000000000000000055511",
    ]),
  );
  assert.deepEqual([...real.toDense()], [1.5, 0, 0.25, 100, 3, Math.fround(0.1)]);
  await assert.rejects(() => read(mtx("integer", 2, 3, ["1 1 1.5"])), FileFormatError);
  await assert.rejects(() => read(mtx("pattern", 2, 3, ["1 1 1"])), FileFormatError);
});

Deno.test("a multi-member gzip (bgzip, cat a.gz b.gz) reads as one file", async () => {
  const dir = await tenxDir();
  const text = mtx("integer", 3, 4, ENTRIES.map(([c, g, v]) => `${g} ${c} ${v}`));
  const half = text.indexOf("\n", text.length / 2) + 1;
  const [a, b] = [await gzip(text.slice(0, half)), await gzip(text.slice(half))];
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  await Deno.writeFile(`${dir}/matrix.mtx.gz`, both);
  assert.deepEqual([...(await readMtx(dir, { quiet: true })).toDense()], DENSE);
});

Deno.test("auto orientation follows the lists; ambiguous or unfitting sizes ask for an orientation", async () => {
  const dir = await tempDir();
  const matrix = `${dir}/m.mtx`, genes = `${dir}/genes.txt`;
  await Deno.writeTextFile(matrix, mtx("integer", 2, 2, ["1 2 3"]));
  await Deno.writeTextFile(genes, "A\nB\n");
  // Square with a gene list only: both ways fit.
  await assert.rejects(() => readMtx({ matrix, genes }, { quiet: true }), ShapeMismatchError);
  await assert.rejects(
    () => readMtx({ matrix, genes }, { quiet: true }),
    /both orientations fit.*pass orientation/s,
  );
  const gbc = await readMtx({ matrix, genes }, { orientation: "genes-by-cells", quiet: true });
  assert.deepEqual([...gbc.toDense()], [0, 0, 3, 0]);
  // No lists at all: explicit orientation works and genes get generated names.
  const bare = await readMtx({ matrix }, { orientation: "cells-by-genes", quiet: true });
  assert.deepEqual(bare.genes, ["gene_0", "gene_1"]);
  assert.deepEqual([...bare.toDense()], [0, 3, 0, 0]);
  await assert.rejects(() => readMtx({ matrix }, { quiet: true }), ShapeMismatchError);
  // Neither way fits.
  await Deno.writeTextFile(genes, "A\nB\nC\n");
  await assert.rejects(
    () => readMtx({ matrix, genes }, { quiet: true }),
    /neither orientation fits/,
  );
  // Matrix file given alone: companions are found beside it.
  const beside = await readMtx(`${await cellsDir()}/counts.mtx`, { quiet: true });
  assert.deepEqual([...beside.toDense()], DENSE);
});

Deno.test("each bad matrix is refused with its error class, naming the file and line", async () => {
  const dir = await tempDir();
  const genes = `${dir}/genes.txt`, barcodes = `${dir}/barcodes.tsv`, matrix = `${dir}/bad.mtx`;
  await Deno.writeTextFile(genes, "A\nB\n");
  await Deno.writeTextFile(barcodes, "x\ny\nz\n");
  const cases: [string, string | Uint8Array, new (...args: never[]) => YotoError, RegExp][] = [
    [
      "fewer entries than nnz",
      mtx("integer", 2, 3, ["1 1 1"]).replace("2 3 1", "2 3 2"),
      FileFormatError,
      /announces 2 entries.*after 1/,
    ],
    [
      "more entries than nnz",
      mtx("integer", 2, 3, ["1 1 1", "2 2 2"]).replace("2 3 2", "2 3 1"),
      FileFormatError,
      /line 5: more entries/,
    ],
    [
      "row out of range",
      mtx("integer", 2, 3, ["1 1 1", "3 1 1"]),
      FileFormatError,
      /line 5: entry \(3, 1\) is outside/,
    ],
    ["zero index", mtx("integer", 2, 3, ["0 1 1"]), FileFormatError, /line 4: entry \(0, 1\)/],
    [
      "negative value",
      mtx("real", 2, 3, ["1 1 1", "2 1 -2"]),
      DataValueError,
      /line 5: .*negative/,
    ],
    ["NaN", mtx("real", 2, 3, ["1 1 nan"]), DataValueError, /line 4: .*NaN/],
    ["Inf", mtx("real", 2, 3, ["1 1 -Inf"]), DataValueError, /line 4: .*infinite/],
    ["beyond float32", mtx("real", 2, 3, ["1 1 1e39"]), DataValueError, /line 4: .*float32/],
    [
      "garbage entry",
      mtx("real", 2, 3, ["1 x 2"]),
      FileFormatError,
      /line 4: expected 'row column value', found '1 x 2'/,
    ],
    [
      "duplicate entry",
      mtx("real", 2, 3, ["1 2 1", "2 1 1", "1 2 4"]),
      FileFormatError,
      /entry \(1, 2\) is listed more than once/,
    ],
    [
      "truncated gzip",
      (await gzip(mtx("real", 2, 3, ["1 1 1"]))).slice(0, 30),
      FileFormatError,
      /gzip data is truncated/,
    ],
    ["empty file", "", FileFormatError, /file is empty/],
    ["no header", "2 3 1\n1 1 1\n", FileFormatError, /line 1 is not a MatrixMarket header/],
    [
      "dense array format",
      "%%MatrixMarket matrix array real general\n2 3\n",
      FileFormatError,
      /unsupported MatrixMarket type/,
    ],
    [
      "no size line",
      "%%MatrixMarket matrix coordinate real general\n% only comments\n",
      FileFormatError,
      /no size line/,
    ],
    [
      "bad size line",
      "%%MatrixMarket matrix coordinate real general\n2 3\n",
      FileFormatError,
      /line 2 is not a size line/,
    ],
    [
      "nnz too large",
      mtx("real", 2, 3, []).replace("2 3 0", "2 3 7"),
      FileFormatError,
      /7 entries cannot fit/,
    ],
  ];
  for (const [name, content, cls, also] of cases) {
    if (typeof content === "string") await Deno.writeTextFile(matrix, content);
    else await Deno.writeFile(matrix, content);
    await rejectsNaming(
      () => readMtx({ matrix, genes, barcodes }, { quiet: true }),
      cls,
      matrix,
      also,
    )
      .catch((err) => {
        throw new Error(`case '${name}': ${err.message}`);
      });
  }
});

Deno.test("bad companions: wrong orientation sizes, missing or broken lists, repeated barcodes", async () => {
  const dir = await tenxDir();
  // Explicit orientation that does not fit names both sizes and both lists.
  await rejectsNaming(
    () => readMtx(dir, { orientation: "cells-by-genes", quiet: true }),
    ShapeMismatchError,
    "matrix.mtx.gz",
    /3 rows x 4 columns.*features\.tsv\.gz lists 3 genes.*barcodes\.tsv\.gz lists 4 cells/,
  );
  await Deno.writeFile(`${dir}/barcodes.tsv.gz`, await gzip("c1\nc2\nc1\nc4\n"));
  await rejectsNaming(
    () => readMtx(dir, { quiet: true }),
    DataValueError,
    "barcodes.tsv.gz",
    /'c1' occurs twice/,
  );
  await Deno.writeFile(`${dir}/barcodes.tsv.gz`, await gzip("c1\n\nc3\nc4\n"));
  await rejectsNaming(
    () => readMtx(dir, { quiet: true }),
    FileFormatError,
    "barcodes.tsv.gz",
    /line 2 is empty/,
  );
  await Deno.writeFile(
    `${dir}/features.tsv.gz`,
    await gzip("E1\tG1\nE2\tG2\tGene Expression\nE3\tG3\n"),
  );
  await rejectsNaming(
    () => readMtx(dir, { quiet: true }),
    FileFormatError,
    "features.tsv.gz",
    /line 2 has 3/,
  );
  await Deno.remove(`${dir}/features.tsv.gz`);
  await rejectsNaming(() => readMtx(dir, { quiet: true }), FileFormatError, dir, /no gene list/);
  await rejectsNaming(() => readMtx(`${dir}/nothing`, { quiet: true }), FileFormatError, "nothing");
  // 10x v2 genes.tsv (id, name): gene_id kept, no feature_type.
  await Deno.writeTextFile(`${dir}/genes.tsv`, "E1\tG1\nE2\tG2\nE3\tG3\n");
  await Deno.writeFile(`${dir}/barcodes.tsv.gz`, await gzip(CELLS.join("\n")));
  const v2 = await readMtx(dir, { quiet: true });
  assert.deepEqual(Object.keys(v2.var).sort(), ["gene", "gene_id"]);
  assert.deepEqual(v2.genes, GENES);
});

Deno.test({
  name: "shared kang_ifnb1k folder: 832 cells x 14,053 genes, stim CTRL 391 / STIM 441",
  ignore: !haveShared("kang_ifnb1k/counts.mtx.gz"),
  fn: async () => {
    const ds = await readMtx(sharedPath("kang_ifnb1k"), { quiet: true });
    assert.deepEqual([ds.nCells, ds.nGenes, ds.indices.length], [832, 14053, 570350]);
    assert.equal((ds.uns.source as Record<string, unknown>).orientation, "cells-by-genes");
    const stim = ds.categorical("stim");
    const counts = stim.categories.map((_, k) => stim.codes.filter((c) => c === k).length);
    assert.deepEqual(Object.fromEntries(stim.categories.map((c, k) => [c, counts[k]])), {
      CTRL: 391,
      STIM: 441,
    });
    assert.equal(ds.cellIds()[0], "AAACATACCAGAAA.1");
    assert.equal(ds.genes[0], "AL627309.1");
  },
});

Deno.test({
  name: "shared kang_ctrl12k folder: 12,261 cells x 1,287 genes, donors stay labels",
  ignore: !haveShared("kang_ctrl12k/counts.mtx.gz"),
  fn: async () => {
    const ds = await readMtx(sharedPath("kang_ctrl12k"), { quiet: true });
    assert.deepEqual([ds.nCells, ds.nGenes], [12261, 1287]);
    const cluster = ds.labels("cluster_id");
    assert.equal(cluster.filter((c) => c === "CD4 T cells").length, 5154);
    assert.equal(cluster.filter((c) => c === "Megakaryocytes").length, 95);
    // sample_id values are quoted numbers ("1016"): they stay donor labels, not a numeric column.
    assert.equal(ds.categorical("sample_id").categories.length, 8);
  },
});
