import assert from "node:assert/strict";
import { readDelimited, readObsCsv, writeDelimited, writeObsCsv } from "../../lib/data/csv.ts";
import { Dataset, encodeCategorical } from "../../lib/data/dataset.ts";
import {
  DataValueError,
  FileFormatError,
  MissingFieldError,
  type YotoError,
} from "../../lib/runtime/errors.ts";
import { tempDir } from "../_shared.ts";
import { gzip, rejectsNaming } from "./_fixtures.ts";

// Cells x genes, mostly zeros: c1 [1 0 0 2], c2 [0 0 0 0], c3 [0 3.5 0 0].
const DENSE = [1, 0, 0, 2, 0, 0, 0, 0, 0, 3.5, 0, 0];
const CELLS_BY_GENES = "cell,A,B,C,D\nc1,1,0,0,2\nc2,0,0,0,0\nc3,0,3.5,0,0\n";
const GENES_BY_CELLS = "gene,c1,c2,c3\nA,1,0,0\nB,0,0,3.5\nC,0,0,0\nD,2,0,0\n";

async function write(name: string, text: string): Promise<string> {
  const path = `${await tempDir()}/${name}`;
  await Deno.writeTextFile(path, text);
  return path;
}

function summary(ds: Dataset) {
  return { dense: [...ds.toDense()], genes: ds.genes, cells: ds.cellIds(), sparse: ds.isSparse };
}

/** Console.warn lines printed while `fn` runs. */
async function warnings(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [], original = console.warn;
  console.warn = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    await fn();
  } finally {
    console.warn = original;
  }
  return lines;
}

Deno.test("cells-by-genes and genes-by-cells tables of the same matrix give the same Dataset", async () => {
  const a = await readDelimited(await write("a.csv", CELLS_BY_GENES), { quiet: true });
  const b = await readDelimited(await write("b.csv", GENES_BY_CELLS), {
    orientation: "genes-by-cells",
    quiet: true,
  });
  assert.deepEqual(summary(a), {
    dense: DENSE,
    genes: ["A", "B", "C", "D"],
    cells: ["c1", "c2", "c3"],
    sparse: true,
  });
  assert.deepEqual(summary(b), summary(a));
  assert.deepEqual([...a.indptr, ...a.indices], [...b.indptr, ...b.indices]);
  assert.equal(a.obsIndex, "cell");
  assert.equal(b.obsIndex, "cell_id");
  assert.deepEqual(b.uns.source, {
    format: "csv",
    path: (b.uns.source as { path: string }).path,
    orientation: "genes-by-cells",
  });
});

Deno.test("sparse storage: auto above half zeros, or as asked", async () => {
  const path = await write("a.csv", CELLS_BY_GENES);
  assert.equal((await readDelimited(path, { sparse: false, quiet: true })).isSparse, false);
  assert.deepEqual(
    [...(await readDelimited(path, { sparse: false, quiet: true })).toDense()],
    DENSE,
  );
  const full = await readDelimited(await write("f.csv", "id,A,B\nx,1,2\ny,0,3\n"), { quiet: true });
  assert.equal(full.isSparse, false);
  assert.deepEqual([...full.toDense()], [1, 2, 0, 3]);
  assert.equal(
    (await readDelimited(await write("f.csv", "id,A,B\nx,1,2\ny,0,3\n"), {
      sparse: true,
      quiet: true,
    })).isSparse,
    true,
  );
});

Deno.test("TSV is detected from the content, gzip from the bytes, and R's corner-less header is accepted", async () => {
  const tsv = CELLS_BY_GENES.replaceAll(",", "\t");
  const dir = await tempDir();
  await Deno.writeFile(`${dir}/x.txt.gz`, await gzip(tsv));
  const ds = await readDelimited(`${dir}/x.txt.gz`, { quiet: true });
  assert.deepEqual(summary(ds).dense, DENSE);
  assert.equal((ds.uns.source as { format: string }).format, "tsv");
  // write.table(row.names = TRUE): the header has no corner field.
  const r = await readDelimited(await write("r.tsv", tsv.replace("cell\t", "")), { quiet: true });
  assert.deepEqual(summary(r), { ...summary(ds), cells: ["c1", "c2", "c3"] });
  assert.equal(r.obsIndex, "cell_id");
});

Deno.test("quoted fields: delimiters, doubled quotes and line breaks inside quotes", async () => {
  const text = 'id,"gene, one","say ""hi"""\n"cell,1",1,2\n"cell\n2","3",4\r\n';
  const ds = await readDelimited(await write("q.csv", text), { quiet: true });
  assert.deepEqual(ds.genes, ["gene, one", 'say "hi"']);
  assert.deepEqual(ds.cellIds(), ["cell,1", "cell\n2"]);
  assert.deepEqual([...ds.toDense()], [1, 2, 3, 4]);
});

Deno.test("obs join: a cell without a row gets missing values, extra ids are ignored with a warning", async () => {
  const matrix = await write("m.csv", CELLS_BY_GENES);
  const obs = await write("obs.csv", "stim,barcode,n_genes\nSTIM,c3,5\nCTRL,c1,2\nCTRL,zz,9\n");
  let ds!: Dataset;
  const lines = await warnings(async () => {
    ds = await readDelimited(matrix, { obs, obsIdColumn: "barcode" });
  });
  assert.equal(lines.length, 1);
  assert.match(lines[0], /obs\.csv: 1 id\(s\) are not cells.*1 cell\(s\) have no row/);
  assert.deepEqual(ds.labels("stim"), ["CTRL", null, "STIM"]);
  assert.deepEqual(ds.categorical("stim").categories, ["CTRL", "STIM"]);
  assert.deepEqual(ds.labels("n_genes"), ["2", null, "5"]);
  assert.deepEqual(ds.obsNames.sort(), ["cell", "n_genes", "stim"]);
  assert.deepEqual(
    await warnings(() => readDelimited(matrix, { obs, obsIdColumn: "barcode", quiet: true })),
    [],
  );
});

Deno.test("obs column types: numbers, quoted numbers, NA, booleans, empty header corner", async () => {
  const path = await write(
    "obs.csv",
    '"",donor,score,flag,note\nc1,"1016",1.5,TRUE,NA\nc2,"1017",NA,FALSE,"NA"\nc3,"1016",-2e1,TRUE,x\n',
  );
  const t = await readObsCsv(path);
  assert.equal(t.indexName, "cell_id");
  assert.deepEqual(t.ids, ["c1", "c2", "c3"]);
  assert.deepEqual(t.columns.donor, {
    kind: "categorical",
    codes: Int32Array.from([0, 1, 0]),
    categories: ["1016", "1017"],
  });
  assert.deepEqual(t.columns.score, {
    kind: "numeric",
    values: Float64Array.from([1.5, NaN, -20]),
  });
  assert.deepEqual(t.columns.flag, {
    kind: "categorical",
    codes: Int32Array.from([1, 0, 1]),
    categories: ["FALSE", "TRUE"],
  });
  assert.deepEqual(t.columns.note, {
    kind: "categorical",
    codes: Int32Array.from([-1, 0, 1]),
    categories: ["NA", "x"],
  });
});

Deno.test("writeDelimited -> readDelimited and writeObsCsv -> readObsCsv round trip", async () => {
  const dir = await tempDir();
  const values = new Float32Array([0, 1.1, 2, 0, 1e-7, 0, 123456.789, 0, 0.3]);
  const obs = {
    id: { kind: "string" as const, values: ["a", 'b,"c"', "7"] },
    donor: encodeCategorical(["7", null, "NA"]),
    label: encodeCategorical(["x y", "", "x y"]),
    score: { kind: "numeric" as const, values: new Float32Array([0.1, NaN, 3]) },
    note: { kind: "string" as const, values: ["n", null, "line\nbreak"] },
  };
  const ds = new Dataset({
    X: { kind: "dense", nRows: 3, nCols: 3, data: values },
    var: { gene: ["G1", "G,2", "G3"] },
    obs,
    obsIndex: "id",
  });
  for (const name of ["x.csv", "x.tsv.gz"]) {
    await writeDelimited(ds, `${dir}/${name}`);
    const back = await readDelimited(`${dir}/${name}`, { quiet: true });
    assert.deepEqual([...back.toDense()], [...values], name);
    assert.deepEqual(back.genes, ds.genes);
    assert.deepEqual(back.cellIds(), ds.cellIds());
    assert.equal(back.obsIndex, "id");
  }
  await writeObsCsv(ds, `${dir}/obs.csv`);
  const t = await readObsCsv(`${dir}/obs.csv`);
  assert.deepEqual(t.ids, ds.cellIds());
  assert.equal(t.indexName, "id");
  assert.deepEqual(Object.keys(t.columns), ["donor", "label", "score", "note"]);
  for (const name of ["donor", "label", "note"]) {
    assert.equal(t.columns[name].kind, "categorical", name);
    assert.deepEqual(ds.withObs(name, t.columns[name]).labels(name), ds.labels(name), name);
  }
  assert.deepEqual(t.columns.score, {
    kind: "numeric",
    values: Float64Array.from(obs.score.values),
  });
  // No stray temporary files from the atomic writes.
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "obs.csv",
    "x.csv",
    "x.tsv.gz",
  ]);
});

Deno.test("each bad table is refused with its error class, naming the file and the place", async () => {
  const cases: [string, string, new (...args: never[]) => YotoError, RegExp][] = [
    [
      "id,A,B\nc1,1,x\n",
      "t.csv",
      DataValueError,
      /line 2, field 3: 'x' is not a number \(cell 'c1', gene 'B'\)/,
    ],
    ["id,A,B\nc1,1,\n", "t.csv", DataValueError, /'' is not a number/],
    ["id,A,B\nc1,1,-1\n", "t.csv", DataValueError, /line 2, field 3: value -1 is negative/],
    ["id,A,B\nc1,nan,1\n", "t.csv", DataValueError, /NaN/],
    ["id,A,B\nc1,1,2\nc2,1\n", "t.csv", FileFormatError, /line 3 has 2 fields, the header has 3/],
    ["id,A,B\nc1,1,2\nc2,1,2,3,4\n", "t.csv", FileFormatError, /line 3 has 5 fields/],
    ["id,A,B\nc1,1,2\nc1,1,2\n", "t.csv", DataValueError, /cell id 'c1' occurs twice/],
    [
      'id,A,B\n"c1,1,2\n',
      "t.csv",
      FileFormatError,
      /quoted field opened on line 2 is never closed/,
    ],
    [
      'id,A,B\n"c1"x,1,2\n',
      "t.csv",
      FileFormatError,
      /unexpected text after a closing quote on line 2/,
    ],
    ["", "t.csv", FileFormatError, /file is empty/],
    ["id,A,B\n\n", "t.csv", FileFormatError, /no data rows/],
    ["id;A;B\nc1;1;2\n", "t.csv", FileFormatError, /single field/],
  ];
  for (const [text, name, cls, pattern] of cases) {
    const path = await write(name, text);
    await rejectsNaming(() => readDelimited(path, { quiet: true }), cls, name, pattern).catch(
      (err) => {
        throw new Error(`case ${JSON.stringify(text)}: ${err.message}`);
      },
    );
  }
});

Deno.test("each bad obs table is refused with its error class, naming the file", async () => {
  const matrix = await write("m.csv", CELLS_BY_GENES);
  const cases: [string, new (...args: never[]) => YotoError, RegExp][] = [
    ["cell,g\nc1,a\nc1,b\n", DataValueError, /cell id 'c1' occurs twice/],
    ["cell,g\nc1,a\n,b\n", DataValueError, /line 3 has an empty cell id/],
    ["cell,g,g\nc1,a,b\n", FileFormatError, /'g' is repeated/],
    ["cell,g\nc1,a,b,c\n", FileFormatError, /line 2 has 4 fields/],
    ["cell_id,cell\nc1,a\n", DataValueError, /column 'cell' clashes with the cell id column/],
  ];
  for (const [text, cls, pattern] of cases) {
    const obs = await write("obs.csv", text);
    await rejectsNaming(() => readDelimited(matrix, { obs, quiet: true }), cls, "obs.csv", pattern)
      .catch((err) => {
        throw new Error(`case ${JSON.stringify(text)}: ${err.message}`);
      });
  }
  const obs = await write("obs.csv", "cell,g\nc1,a\n");
  await rejectsNaming(
    () => readObsCsv(obs, { idColumn: "barcode" }),
    MissingFieldError,
    "obs.csv",
    /use one of: cell, g/,
  );
});
