import h5wasm from "h5wasm/node";
import { assertEquals, assertRejects } from "../_assert.ts";
import {
  annotateH5ad,
  isYotoH5ad,
  listH5adLayers,
  readH5ad,
  writeH5ad,
} from "../../lib/data/h5ad.ts";
import { Dataset, type ObsColumn } from "../../lib/data/dataset.ts";
import {
  FileFormatError,
  MissingFieldError,
  OptionError,
  ShapeMismatchError,
  type YotoError,
} from "../../lib/runtime/errors.ts";
import { haveShared, sharedPath, tempDir } from "../_shared.ts";
import { bruteDense, tinyCsr, zeroCells } from "./_fixtures.ts";

type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

const KANG = "kang_ifnb1k/kang_ifnb1k.h5ad";
const CTRL = "kang_ctrl12k/kang_ctrl12k.h5ad";
const PBMC = "pbmc68k_reduced.h5ad";

function counts(ds: Dataset, column: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const label of ds.labels(column)) out[String(label)] = (out[String(label)] ?? 0) + 1;
  return out;
}

function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

/** The error message names the file. */
function namesFile(err: YotoError, path: string): void {
  assertEquals(err.message.includes(path), true, err.message);
}

// ---- shared real files -------------------------------------------------------------------------

Deno.test({
  name: "kang_ifnb1k: CSR counts, categoricals and cell ids as in its MatrixMarket copy",
  ignore: !haveShared(KANG),
  fn: async () => {
    const ds = await readH5ad(sharedPath(KANG));
    assertEquals([ds.nCells, ds.nGenes, ds.isSparse], [832, 14053, true]);
    assertEquals(ds.indptr[832], 570350);
    // totals computed from counts.mtx.gz with scipy
    assertEquals(sum(ds.values), 1709980);
    assertEquals(sum(ds.values.subarray(ds.indptr[0], ds.indptr[1])), 2481);
    assertEquals(ds.values.reduce((a, b) => Math.max(a, b)), 862);
    assertEquals(ds.values.every((v) => Number.isInteger(v) && v > 0), true);
    assertEquals(ds.categorical("stim").categories, ["CTRL", "STIM"]);
    assertEquals(counts(ds, "stim"), { CTRL: 391, STIM: 441 });
    assertEquals(counts(ds, "seurat_annotations"), {
      "B": 81,
      "CD14 Mono": 304,
      "CD16 Mono": 88,
      "CD4 Memory T": 109,
      "CD4 Naive T": 197,
      "CD8 T": 53,
    });
    assertEquals(counts(ds, "orig.ident"), { IMMUNE_CTRL: 391, IMMUNE_STIM: 441 });
    assertEquals(ds.obsNames, ["cell_id", "stim", "seurat_annotations", "orig.ident"]);
    assertEquals(ds.obsIndex, "cell_id");
    assertEquals(ds.cellIds()[0], "AAACATACCAGAAA.1");
    assertEquals(ds.genes.slice(0, 3), ["AL627309.1", "RP11-206L10.2", "LINC00115"]);
    assertEquals(ds.uns, { source: { format: "h5ad", path: sharedPath(KANG) } });
  },
});

Deno.test({
  name: "kang_ctrl12k: 12,261 cells, 8 cell types and 8 donors",
  ignore: !haveShared(CTRL),
  fn: async () => {
    const ds = await readH5ad(sharedPath(CTRL));
    assertEquals([ds.nCells, ds.nGenes, ds.indptr[ds.nCells]], [12261, 1287, 4266127]);
    assertEquals(sum(ds.values), 15334912);
    const types = counts(ds, "cluster_id");
    assertEquals([Object.keys(types).length, types["CD4 T cells"]], [8, 5154]);
    assertEquals(ds.categorical("sample_id").categories, [
      "101",
      "1015",
      "1016",
      "1039",
      "107",
      "1244",
      "1256",
      "1488",
    ]);
  },
});

Deno.test({
  name: "pbmc68k_reduced: dense scaled X, numeric and boolean columns, and raw/X",
  ignore: !haveShared(PBMC),
  fn: async () => {
    const ds = await readH5ad(sharedPath(PBMC));
    assertEquals([ds.nCells, ds.nGenes, ds.isSparse], [700, 765, false]);
    if (ds.X.kind !== "dense") throw new Error("expected dense X");
    assertEquals(ds.X.data.some((v) => v < 0), true);
    assertEquals(ds.categorical("bulk_labels").categories.length, 10);
    assertEquals(ds.categorical("louvain").categories.length, 11);
    assertEquals(ds.categorical("phase").categories, ["G1", "G2M", "S"]);
    const nGenes = ds.obs("n_genes");
    assertEquals(nGenes.kind === "numeric" && nGenes.values instanceof Float64Array, true);
    assertEquals(nGenes.kind === "numeric" && Array.from(nGenes.values.slice(0, 3)), [
      1003,
      1080,
      1228,
    ]);
    assertEquals(ds.var.highly_variable.slice(0, 5), [true, true, false, false, true]);

    const raw = await readH5ad(sharedPath(PBMC), { raw: true });
    assertEquals([raw.nCells, raw.nGenes, raw.isSparse, raw.indptr[700]], [700, 765, true, 174400]);
    assertEquals(raw.values.every((v) => v >= 0), true);
    assertEquals(raw.genes, ds.genes);
    assertEquals(raw.uns, { source: { format: "h5ad", path: sharedPath(PBMC), raw: true } });
    assertEquals(raw.labels("louvain"), ds.labels("louvain"));
  },
});

Deno.test({
  name: "kang_ifnb1k survives write and read back unchanged",
  ignore: !haveShared(KANG),
  fn: async () => {
    const ds = await readH5ad(sharedPath(KANG));
    const path = `${await tempDir()}/kang.h5ad`;
    await writeH5ad(ds, path);
    const back = await readH5ad(path);
    assertEquals([back.indptr, back.indices, back.values], [ds.indptr, ds.indices, ds.values]);
    assertEquals(back.obsColumns, ds.obsColumns);
    assertEquals([back.var, back.obsIndex], [ds.var, ds.obsIndex]);
  },
});

// ---- round trips ------------------------------------------------------------------------------

Deno.test("round trip keeps matrix, obs (missing values too), var and the obs index", async () => {
  const path = `${await tempDir()}/tiny.h5ad`;
  const ds = tinyCsr();
  await writeH5ad(ds, path);
  const back = await readH5ad(path);
  assertEquals(back.isSparse, true);
  assertEquals(bruteDense(back), bruteDense(ds));
  assertEquals(back.var, ds.var);
  assertEquals(back.obsIndex, "cell_id");
  assertEquals(back.obsNames, ds.obsNames);
  assertEquals(back.obs("cell_id"), ds.obs("cell_id"));
  assertEquals(back.obs("type"), ds.obs("type"));
  assertEquals(back.obs("score"), ds.obs("score"));
  // strings with a missing value are stored as a categorical, as anndata stores them
  assertEquals(back.obs("note").kind, "categorical");
  assertEquals(back.labels("note"), ds.labels("note"));
  assertEquals(back.uns, { source: { format: "h5ad", path } });
});

Deno.test("dense round trip without compression; cell ids, numeric and var field types", async () => {
  const path = `${await tempDir()}/dense.h5ad`;
  const obs: Record<string, ObsColumn> = {
    size: { kind: "numeric", values: Float32Array.from([1.5, NaN, -3]) },
    n: { kind: "numeric", values: Int32Array.from([7, 0, -2]) },
  };
  const ds = new Dataset({
    X: { kind: "dense", nRows: 3, nCols: 2, data: Float32Array.from([1.5, -2, 0, 3, 4, 5]) },
    var: {
      gene: ["A", "B"],
      mean: [0.5, null],
      length: [10, 20],
      hvg: [true, false],
      mixed: ["x", 3],
    },
    obs,
  });
  await writeH5ad(ds, path, { compression: false });
  const back = await readH5ad(path);
  assertEquals(back.isSparse, false);
  assertEquals(bruteDense(back), bruteDense(ds));
  // no obs index: anndata's default index name, holding the cell ids
  assertEquals(back.obsIndex, "_index");
  assertEquals(back.cellIds(), ["cell_0", "cell_1", "cell_2"]);
  assertEquals(back.obs("size"), { kind: "numeric", values: Float64Array.from([1.5, NaN, -3]) });
  assertEquals(back.obs("n"), { kind: "numeric", values: Float64Array.from([7, 0, -2]) });
  assertEquals(back.var, {
    gene: ["A", "B"],
    mean: [0.5, null],
    length: [10, 20],
    hvg: [true, false],
    mixed: ["x", "3"],
  });
});

Deno.test("a dataset with zero cells round trips", async () => {
  const path = `${await tempDir()}/empty.h5ad`;
  await writeH5ad(zeroCells(), path);
  const back = await readH5ad(path);
  assertEquals([back.nCells, back.nGenes, back.genes], [0, 3, ["a", "b", "c"]]);
});

// ---- encodings built with h5wasm directly -------------------------------------------------------

/** 3 cells x 4 genes; every fixture below stores this matrix in some encoding. */
const EXPECTED = [[1, 0, 2, 0], [0, 0, 0, 0], [0, 3, 0, 7]];
const CELLS = ["c0", "c1", "c2"];
const GENES = ["g0", "g1", "g2", "g3"];

function encode(obj: H5Group | H5Dataset, type: string, version: string): void {
  obj.create_attribute("encoding-type", type);
  obj.create_attribute("encoding-version", version);
}

function strings(g: H5Group, name: string, values: string[]): void {
  encode(
    g.create_dataset({ name, data: values, shape: [values.length], dtype: "S" }),
    "string-array",
    "0.2.0",
  );
}

function frame(
  f: H5Group,
  path: string,
  index: string[],
  columnOrder: string[],
  version = "0.2.0",
): H5Group {
  const g = f.create_group(path);
  g.create_attribute("_index", "_index");
  g.create_attribute("column-order", columnOrder.length ? columnOrder : new Float64Array(0));
  encode(g, "dataframe", version);
  strings(g, "_index", index);
  return g;
}

/** A sparse matrix group of any encoding with the given arrays. */
function sparse(
  f: H5Group,
  path: string,
  encoding: string,
  shape: number[],
  arrays: {
    data: Float64Array | BigInt64Array;
    indices: Int32Array | BigInt64Array;
    indptr: Int32Array | BigInt64Array;
  },
): void {
  const g = f.create_group(path);
  encode(g, encoding, "0.1.0");
  g.create_attribute("shape", BigInt64Array.from(shape, BigInt));
  for (const [name, data] of Object.entries(arrays)) g.create_dataset({ name, data });
}

const CSR = {
  data: Float64Array.from([1, 2, 3, 7]),
  indices: Int32Array.from([0, 2, 1, 3]),
  indptr: Int32Array.from([0, 2, 2, 4]),
};

/** Write an .h5ad with obs (CELLS) and var (GENES) plus whatever `build` adds. */
async function fixture(build: (f: H5Group) => void, obsColumns: string[] = []): Promise<string> {
  const path = `${await tempDir()}/fixture.h5ad`;
  await h5wasm.ready;
  const f = new h5wasm.File(path, "w");
  try {
    encode(f, "anndata", "0.1.0");
    frame(f, "obs", CELLS, obsColumns);
    frame(f, "var", GENES, []);
    build(f);
  } finally {
    f.close();
  }
  return path;
}

Deno.test("csc_matrix X (float64) becomes the same cells x genes CSR", async () => {
  const path = await fixture((f) =>
    sparse(f, "X", "csc_matrix", [3, 4], {
      data: Float64Array.from([1, 3, 2, 7]),
      indices: Int32Array.from([0, 2, 0, 2]),
      indptr: Int32Array.from([0, 1, 2, 3, 4]),
    })
  );
  const ds = await readH5ad(path);
  assertEquals(ds.isSparse, true);
  assertEquals(bruteDense(ds), EXPECTED);
  assertEquals(Array.from(ds.indices), [0, 2, 1, 3]);
  assertEquals([ds.genes, ds.cellIds()], [GENES, CELLS]);
});

Deno.test("int64 data, indices and indptr and a dense uint16 X convert to float32 / int32", async () => {
  const int64 = await fixture((f) =>
    sparse(f, "X", "csr_matrix", [3, 4], {
      data: BigInt64Array.from([1n, 2n, 3n, 7n]),
      indices: BigInt64Array.from(CSR.indices, BigInt),
      indptr: BigInt64Array.from(CSR.indptr, BigInt),
    })
  );
  const ds = await readH5ad(int64);
  assertEquals([ds.values instanceof Float32Array, ds.indptr instanceof Int32Array], [true, true]);
  assertEquals(bruteDense(ds), EXPECTED);

  const dense = await fixture((f) => {
    const X = f.create_dataset({
      name: "X",
      data: Uint16Array.from(EXPECTED.flat()),
      shape: [3, 4],
    });
    encode(X, "array", "0.2.0");
  });
  assertEquals(bruteDense(await readH5ad(dense)), EXPECTED);
});

Deno.test("anndata 0.7 obs (codes + __categories) and nullable integer / boolean columns", async () => {
  const path = await fixture((f) => {
    sparse(f, "X", "csr_matrix", [3, 4], CSR);
    const obs = f.get("obs") as H5Group;
    obs.delete_attribute("encoding-version");
    obs.create_attribute("encoding-version", "0.1.0"); // the 0.7 dataframe version
    obs.create_dataset({ name: "type", data: Int8Array.from([1, -1, 0]) });
    strings(obs.create_group("__categories"), "type", ["B", "T"]);
    const count = obs.create_group("count");
    encode(count, "nullable-integer", "0.1.0");
    count.create_dataset({ name: "values", data: BigInt64Array.from([5n, 0n, 9n]) });
    count.create_dataset({ name: "mask", data: Uint8Array.from([0, 1, 0]) });
    const flag = obs.create_group("flag");
    encode(flag, "nullable-boolean", "0.1.0");
    flag.create_dataset({ name: "values", data: Uint8Array.from([1, 0, 1]) });
    flag.create_dataset({ name: "mask", data: Uint8Array.from([0, 0, 1]) });
  }, ["type", "count", "flag"]);
  const ds = await readH5ad(path);
  assertEquals(ds.obsNames, ["_index", "type", "count", "flag"]);
  assertEquals(ds.obs("type"), {
    kind: "categorical",
    codes: Int32Array.from([1, -1, 0]),
    categories: ["B", "T"],
  });
  assertEquals(ds.obs("count"), { kind: "numeric", values: Float64Array.from([5, NaN, 9]) });
  assertEquals(ds.labels("flag"), ["True", "False", null]);
});

Deno.test("layers: read one by name, list them, unknown layer names the ones there are", async () => {
  const path = await fixture((f) => {
    sparse(f, "X", "csr_matrix", [3, 4], { ...CSR, data: Float64Array.from([0.1, 0.2, 0.3, 0.7]) });
    const layers = f.create_group("layers");
    encode(layers, "dict", "0.1.0");
    sparse(layers, "counts", "csr_matrix", [3, 4], CSR);
  });
  assertEquals(await listH5adLayers(path), ["counts"]);
  const ds = await readH5ad(path, { layer: "counts" });
  assertEquals(bruteDense(ds), EXPECTED);
  assertEquals(ds.uns, { source: { format: "h5ad", path, layer: "counts" } });
  const err = await assertRejects(() => readH5ad(path, { layer: "spliced" }), MissingFieldError);
  assertEquals(err.message.includes("use one of: counts"), true, err.message);
  await assertRejects(() => readH5ad(path, { raw: true }), MissingFieldError);
});

Deno.test("shape attribute disagreeing with indptr, var or obs is a ShapeMismatchError", async () => {
  const shortPtr = await fixture((f) =>
    sparse(f, "X", "csr_matrix", [3, 4], { ...CSR, indptr: Int32Array.from([0, 2, 4]) })
  );
  namesFile(await assertRejects(() => readH5ad(shortPtr), ShapeMismatchError), shortPtr);
  const wide = await fixture((f) => sparse(f, "X", "csr_matrix", [3, 5], CSR));
  const err = await assertRejects(() => readH5ad(wide), ShapeMismatchError);
  assertEquals(err.message.includes("'var' lists 4"), true, err.message);
  const tall = await fixture((f) =>
    sparse(f, "X", "csr_matrix", [2, 4], { ...CSR, indptr: Int32Array.from([0, 2, 2]) })
  );
  await assertRejects(() => readH5ad(tall), ShapeMismatchError);
  const badIndex = await fixture((f) =>
    sparse(f, "X", "csr_matrix", [3, 4], { ...CSR, indices: Int32Array.from([0, 2, 1, 4]) })
  );
  await assertRejects(() => readH5ad(badIndex), ShapeMismatchError);
});

Deno.test("missing X, unknown X encoding and the anndata < 0.7 table layout are FileFormatErrors", async () => {
  const noX = await fixture(() => {});
  const err = await assertRejects(() => readH5ad(noX), FileFormatError);
  namesFile(err, noX);
  assertEquals(err.field, "X");
  const coo = await fixture((f) => sparse(f, "X", "coo_matrix", [3, 4], CSR));
  assertEquals((await assertRejects(() => readH5ad(coo), FileFormatError)).field, "X");
  const path = `${await tempDir()}/old.h5ad`;
  const f = new h5wasm.File(path, "w");
  f.create_dataset({ name: "X", data: Float32Array.from(EXPECTED.flat()), shape: [3, 4] });
  f.create_dataset({ name: "obs", data: new Map([["n_counts", Float64Array.from([1, 2, 3])]]) });
  f.create_dataset({ name: "var", data: new Map([["mean", Float64Array.from([1, 2, 3, 4])]]) });
  f.close();
  const old = await assertRejects(() => readH5ad(path), FileFormatError);
  assertEquals(old.message.includes("anndata < 0.7"), true, old.message);
});

// ---- bad input --------------------------------------------------------------------------------

Deno.test("missing, empty, truncated and non-HDF5 files are FileFormatErrors naming the file", async () => {
  const dir = await tempDir();
  const check = async (path: string, words: string) => {
    const err = await assertRejects(() => readH5ad(path), FileFormatError);
    namesFile(err, path);
    assertEquals(err.message.includes(words), true, err.message);
  };
  await check(`${dir}/nope.h5ad`, "not found");
  await Deno.writeFile(`${dir}/empty.h5ad`, new Uint8Array(0));
  await check(`${dir}/empty.h5ad`, "empty");
  await Deno.writeTextFile(`${dir}/text.h5ad`, "cell,gene,count\nc0,g0,1\n");
  await check(`${dir}/text.h5ad`, "not an HDF5 file");
  await writeH5ad(tinyCsr(), `${dir}/good.h5ad`);
  const bytes = await Deno.readFile(`${dir}/good.h5ad`);
  await Deno.writeFile(`${dir}/half.h5ad`, bytes.subarray(0, bytes.length >> 1));
  await check(`${dir}/half.h5ad`, "truncated");
});

Deno.test("a failed writeH5ad leaves no file and no temp file behind", async () => {
  const dir = await tempDir();
  const err = await assertRejects(
    () => writeH5ad(tinyCsr(), `${dir}/missing/out.h5ad`),
    OptionError,
  );
  namesFile(err, `${dir}/missing/out.h5ad`);
  // fails after X is written: an obs column name HDF5 would read as a path
  const ds = tinyCsr().withObs("a/b", { kind: "numeric", values: new Float64Array(5) });
  await assertRejects(() => writeH5ad(ds, `${dir}/out.h5ad`), OptionError);
  assertEquals(Array.from(Deno.readDirSync(dir)), []);
});

// ---- h5py booleans, carried elements, annotated copies -----------------------------------------

/** h5py's boolean type as h5wasm reports it: an enum FALSE = 0, TRUE = 1. */
function isH5pyBool(md: { type: number; enum_type?: { members: Record<string, number> } }) {
  return md.type === 8 && JSON.stringify(md.enum_type?.members) === '{"FALSE":0,"TRUE":1}';
}

Deno.test("writeH5ad keeps the ordered flag and writes booleans as h5py's enum type", async () => {
  const path = `${await tempDir()}/flags.h5ad`;
  const stage = {
    kind: "categorical" as const,
    codes: Int32Array.from([2, 0, 1]),
    categories: ["early", "mid", "late"],
    ordered: true,
  };
  const ds = Dataset.fromDense(new Float32Array(6), 3, 2, ["A", "B"])
    .withObs("stage", stage)
    .withObs("kind", { ...stage, ordered: undefined });
  await writeH5ad(
    new Dataset({ ...partsOf(ds), var: { gene: ["A", "B"], hvg: [false, true] } }),
    path,
  );
  const back = await readH5ad(path);
  assertEquals(back.obs("stage"), stage);
  assertEquals("ordered" in back.obs("kind"), false);
  assertEquals(back.var.hvg, [false, true]);
  const f = new h5wasm.File(path, "r");
  try {
    for (const name of ["stage", "kind"]) {
      const attr = (f.get(`obs/${name}`) as H5Group).attrs["ordered"];
      assertEquals(isH5pyBool(attr.metadata), true, name);
      assertEquals(attr.value, name === "stage" ? 1 : 0);
    }
    assertEquals(isH5pyBool((f.get("var/hvg") as H5Dataset).metadata), true);
  } finally {
    f.close();
  }
});

/** The parts of a Dataset, to build a variant of it. */
function partsOf(ds: Dataset) {
  return { X: ds.X, var: ds.var, obs: { ...ds.obsColumns }, obsIndex: ds.obsIndex };
}

const RAW_GENES = [...GENES, "g4"];
/** EXPECTED with a fifth gene column: raw/X. */
const RAW = EXPECTED.map((row, i) => [...row, i + 1]);

/** Row-major values of a dense 2-D dataset. */
function dense(f: H5Group, path: string, data: Float64Array | BigInt64Array, shape: number[]) {
  encode(f.create_dataset({ name: path, data, shape }), "array", "0.2.0");
}

/** A scanpy-like fixture: X = EXPECTED, layers, obsm, varm, obsp, varp, raw and uns. */
function scanpyLike(): Promise<string> {
  return fixture((f) => {
    sparse(f, "X", "csr_matrix", [3, 4], CSR);
    const layers = f.create_group("layers");
    encode(layers, "dict", "0.1.0");
    sparse(layers, "counts", "csr_matrix", [3, 4], { ...CSR, data: CSR.data.map((v) => 10 * v) });
    dense(layers, "dense", Float64Array.from(EXPECTED.flat(), (v) => v + 0.5), [3, 4]);
    const obsm = f.create_group("obsm");
    encode(obsm, "dict", "0.1.0");
    dense(obsm, "X_pca", Float64Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
    encode(obsm.create_group("ragged"), "awkward-array", "0.1.0");
    const varm = f.create_group("varm");
    encode(varm, "dict", "0.1.0");
    dense(varm, "PCs", BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]), [4, 2]);
    const obsp = f.create_group("obsp");
    encode(obsp, "dict", "0.1.0");
    sparse(obsp, "distances", "csr_matrix", [3, 3], {
      data: Float64Array.from([0.5, 0.25, 0.75]),
      indices: Int32Array.from([2, 0, 1]),
      indptr: Int32Array.from([0, 1, 2, 3]),
    });
    const varp = f.create_group("varp");
    encode(varp, "dict", "0.1.0");
    dense(varp, "corr", Float64Array.from({ length: 16 }, (_, i) => i), [4, 4]);
    const raw = f.create_group("raw");
    encode(raw, "raw", "0.1.0");
    sparse(raw, "X", "csc_matrix", [3, 5], {
      data: Float64Array.from([1, 3, 2, 7, 1, 2, 3]),
      indices: Int32Array.from([0, 2, 0, 2, 0, 1, 2]),
      indptr: Int32Array.from([0, 1, 2, 3, 4, 7]),
    });
    frame(raw, "var", RAW_GENES, []);
    const uns = f.create_group("uns");
    encode(uns, "dict", "0.1.0");
    const params = uns.create_group("params");
    encode(params, "dict", "0.1.0");
    encode(
      params.create_dataset({ name: "n_neighbors", data: BigInt64Array.of(15n), shape: [] }),
      "numeric-scalar",
      "0.2.0",
    );
    encode(
      params.create_dataset({ name: "method", data: "umap", shape: [], dtype: "S" }),
      "string",
      "0.2.0",
    );
    strings(uns, "colors", ["#1f77b4", "#ff7f0e"]);
  });
}

/** Row-major values of a dataset in `file`. */
function valuesAt(file: string, path: string): number[] {
  const f = new h5wasm.File(file, "r");
  try {
    return Array.from((f.get(path) as H5Dataset).value as ArrayLike<number | bigint>, Number);
  } finally {
    f.close();
  }
}

/** Console warnings during `run`. */
async function warnings(run: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [], warn = console.warn;
  console.warn = (m: string) => seen.push(m);
  try {
    await run();
  } finally {
    console.warn = warn;
  }
  return seen;
}

Deno.test("carry: layers, obsm, varm, obsp, varp, raw and uns follow a cell and gene subset", async () => {
  const input = await scanpyLike();
  const path = `${await tempDir()}/subset.h5ad`;
  const cells = [2, 0], genes = [3, 1];
  const ds = (await readH5ad(input)).selectCells(cells).selectGenes(genes);
  const notes = await warnings(() => writeH5ad(ds, path, { carry: { from: input, cells, genes } }));
  const take = (m: number[][], rows: number[], cols: number[]) =>
    rows.map((i) => cols.map((j) => m[i][j]));
  assertEquals(bruteDense(await readH5ad(path)), take(EXPECTED, cells, genes));
  const counts = EXPECTED.map((row) => row.map((v) => 10 * v));
  assertEquals(bruteDense(await readH5ad(path, { layer: "counts" })), take(counts, cells, genes));
  // cell 2 holds g1 = 30 and g3 = 70: genes [3, 1] make them columns 1 and 0, stored sorted
  assertEquals(valuesAt(path, "layers/counts/indices"), [0, 1]);
  assertEquals(valuesAt(path, "layers/counts/data"), [70, 30]);
  assertEquals(
    valuesAt(path, "layers/dense"),
    take(EXPECTED, cells, genes).flat().map((v) => v + 0.5),
  );
  assertEquals(valuesAt(path, "obsm/X_pca"), [5, 6, 1, 2]);
  assertEquals(valuesAt(path, "varm/PCs"), [7, 8, 3, 4]);
  const corr = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => 4 * i + j));
  assertEquals(valuesAt(path, "varp/corr"), take(corr, genes, genes).flat());
  const raw = await readH5ad(path, { raw: true });
  assertEquals([bruteDense(raw), raw.genes], [take(RAW, cells, [0, 1, 2, 3, 4]), RAW_GENES]);
  const f = new h5wasm.File(path, "r");
  try {
    const dist = f.get("obsp/distances") as H5Group;
    // distances (0,2) = 0.5, (1,0) = 0.25, (2,1) = 0.75: rows and columns [2, 0] keep (0,2) only
    assertEquals(Array.from(dist.attrs["shape"].value as BigInt64Array, Number), [2, 2]);
    assertEquals(Array.from((dist.get("indptr") as H5Dataset).value as Int32Array), [0, 0, 1]);
    assertEquals(Array.from((dist.get("data") as H5Dataset).value as Float64Array), [0.5]);
    assertEquals((f.get("varm/PCs") as H5Dataset).value instanceof BigInt64Array, true);
    assertEquals((f.get("uns/params/n_neighbors") as H5Dataset).value, 15n);
    assertEquals((f.get("uns/params/method") as H5Dataset).value, "umap");
    assertEquals((f.get("uns/colors") as H5Dataset).value, ["#1f77b4", "#ff7f0e"]);
    assertEquals((f.get("obsm") as H5Group).keys(), ["X_pca"]);
  } finally {
    f.close();
  }
  assertEquals(notes.length, 1, notes.join("\n"));
  assertEquals(notes[0].includes("not copied: obsm/ragged"), true, notes[0]);
});

Deno.test("carry from raw: var-indexed elements follow raw's genes by name, or are left out", async () => {
  const input = await scanpyLike();
  const dir = await tempDir();
  const raw = await readH5ad(input, { raw: true });
  const inVar = [3, 0];
  await writeH5ad(raw.selectGenes(inVar), `${dir}/a.h5ad`, {
    carry: { from: input, genes: inVar, raw: true },
  });
  assertEquals(bruteDense(await readH5ad(`${dir}/a.h5ad`, { layer: "counts" })), [
    [0, 10],
    [0, 0],
    [70, 0],
  ]);
  const notes = await warnings(() =>
    writeH5ad(raw.selectGenes([4, 1]), `${dir}/b.h5ad`, {
      carry: { from: input, genes: [4, 1], raw: true },
    })
  );
  assertEquals(await listH5adLayers(`${dir}/b.h5ad`), []);
  for (const path of ["layers/counts", "layers/dense", "varm/PCs", "varp/corr"]) {
    assertEquals(notes.some((n) => n.includes(`not copied: ${path}`)), true, path);
  }
});

Deno.test("annotateH5ad copies everything and adds var columns; a missing raw is named", async () => {
  const input = await scanpyLike();
  const dir = await tempDir();
  await annotateH5ad(input, `${dir}/ann.h5ad`, (genes) => ({
    picked: genes.map((g) => g === "g2"),
    rank: Float64Array.from(genes, (g) => (g === "g2" ? 1 : NaN)),
  }), { quiet: true });
  const back = await readH5ad(`${dir}/ann.h5ad`);
  assertEquals(bruteDense(back), EXPECTED);
  assertEquals(back.var.picked, [false, false, true, false]);
  assertEquals(back.var.rank, [null, null, 1, null]);
  assertEquals(bruteDense(await readH5ad(`${dir}/ann.h5ad`, { raw: true })), RAW);
  assertEquals(valuesAt(`${dir}/ann.h5ad`, "obsp/distances/data"), [0.5, 0.25, 0.75]);
  assertEquals(await isYotoH5ad(`${dir}/ann.h5ad`), true);
  await annotateH5ad(
    input,
    `${dir}/raw.h5ad`,
    (genes) => ({ n: Float64Array.from(genes, () => 1) }),
    {
      raw: true,
      quiet: true,
    },
  );
  assertEquals((await readH5ad(`${dir}/raw.h5ad`, { raw: true })).var.n, [1, 1, 1, 1, 1]);
  const noRaw = await fixture((f) => sparse(f, "X", "csr_matrix", [3, 4], CSR));
  const err = await assertRejects(
    () => annotateH5ad(noRaw, `${dir}/x.h5ad`, () => ({}), { raw: true }),
    FileFormatError,
  );
  assertEquals(err.message.includes("raw/var"), true, err.message);
});
