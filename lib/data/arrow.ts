/**
 * The on-disk Dataset: one Arrow IPC file, rows = cells.
 * - obs columns: categoricals as Dictionary<Int32, Utf8> (ordered as pandas' flag), numbers as
 *   Float64/Float32/Int32, strings as Utf8;
 * - expression `X`: CSR as List<Struct<gene: Int32, value: Float32>> (list offsets = indptr), or
 *   dense as FixedSizeList<Float32>[nGenes];
 * - schema metadata: `yoto.format` = "1", `var` = JSON {"gene": [...], ...}, `uns` = JSON,
 *   `yoto.obs_index` = the cell-id column.
 * Written in record batches of at most 65,536 cells so readers can stream it.
 * @module
 */
import {
  AsyncByteQueue,
  type Data,
  Dictionary,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  List,
  makeData,
  makeVector,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import * as fs from "node:fs/promises";
import { Dataset, type ObsColumn, type Uns, type VarFields } from "./dataset.ts";
import { FileFormatError, OptionError, ShapeMismatchError, YotoError } from "../runtime/errors.ts";
import { withAtomicFile } from "../runtime/atomic.ts";

/** Value of the `yoto.format` metadata key this version writes and reads. */
export const FORMAT_VERSION = "1";
/** Largest record batch written, in cells. */
export const MAX_BATCH_CELLS = 65_536;

const ARROW_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"

const geneField = new Field("gene", new Int32(), false);
const valueField = new Field("value", new Float32(), false);
const entryType = new Struct([geneField, valueField]);
const csrType = new List(new Field("item", entryType, false));

function schemaFor(ds: Dataset): Schema {
  const fields: Field[] = [];
  let dictId = 0;
  for (const [name, col] of Object.entries(ds.obsColumns)) {
    if (col.kind === "categorical") {
      const ordered = col.ordered ?? false;
      fields.push(
        new Field(name, new Dictionary(new Utf8(), new Int32(), dictId++, ordered), true),
      );
    } else if (col.kind === "string") fields.push(new Field(name, new Utf8(), true));
    else if (col.values instanceof Float64Array) fields.push(new Field(name, new Float64(), false));
    else if (col.values instanceof Float32Array) fields.push(new Field(name, new Float32(), false));
    else fields.push(new Field(name, new Int32(), false));
  }
  if (ds.obsNames.includes("X")) {
    throw new OptionError(
      "an obs column is named 'X', which the Arrow layout reserves for the matrix",
      {
        field: "X",
        fix: "rename the obs column",
      },
    );
  }
  const xType = ds.X.kind === "csr"
    ? csrType
    : new FixedSizeList(ds.nGenes, new Field("value", new Float32(), false));
  fields.push(new Field("X", xType, false));
  const metadata = new Map<string, string>([
    ["yoto.format", FORMAT_VERSION],
    ["var", JSON.stringify(ds.var)],
    ["uns", JSON.stringify(ds.uns)],
  ]);
  if (ds.obsIndex !== undefined) metadata.set("yoto.obs_index", ds.obsIndex);
  return new Schema(fields, metadata);
}

function validityOfCodes(codes: Int32Array): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array(Math.ceil(codes.length / 8));
  let nulls = 0;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] >= 0) bitmap[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return { bitmap, nulls };
}

function obsData(
  col: ObsColumn,
  type: Field["type"],
  a: number,
  b: number,
  dict?: Vector<Utf8>,
): Data {
  if (col.kind === "categorical") {
    const codes = col.codes.subarray(a, b);
    const { bitmap, nulls } = validityOfCodes(codes);
    return makeData({
      type: type as Dictionary<Utf8, Int32>,
      length: b - a,
      nullCount: nulls,
      nullBitmap: nulls ? bitmap : undefined,
      data: codes,
      dictionary: dict,
    });
  }
  if (col.kind === "string") return vectorFromArray(col.values.slice(a, b), new Utf8()).data[0];
  return makeData({
    type: type as Float64,
    length: b - a,
    nullCount: 0,
    data: col.values.subarray(a, b) as Float64Array,
  });
}

function xData(ds: Dataset, a: number, b: number): Data {
  const X = ds.X;
  if (X.kind === "dense") {
    const g = X.nCols;
    const child = makeData({
      type: new Float32(),
      length: (b - a) * g,
      nullCount: 0,
      data: X.data.subarray(a * g, b * g),
    });
    return makeData({
      type: new FixedSizeList(g, new Field("value", new Float32(), false)),
      length: b - a,
      nullCount: 0,
      child,
    });
  }
  const p0 = X.indptr[a], p1 = X.indptr[b];
  const offsets = new Int32Array(b - a + 1);
  for (let i = 0; i <= b - a; i++) offsets[i] = X.indptr[a + i] - p0;
  const child = makeData({
    type: entryType,
    length: p1 - p0,
    nullCount: 0,
    children: [
      makeData({
        type: new Int32(),
        length: p1 - p0,
        nullCount: 0,
        data: X.indices.subarray(p0, p1),
      }),
      makeData({
        type: new Float32(),
        length: p1 - p0,
        nullCount: 0,
        data: X.values.subarray(p0, p1),
      }),
    ],
  });
  return makeData({ type: csrType, length: b - a, nullCount: 0, valueOffsets: offsets, child });
}

function checkBatchSize(batchSize: number): void {
  if (!(batchSize >= 1 && batchSize <= MAX_BATCH_CELLS)) {
    throw new OptionError(`batchSize must be in [1, ${MAX_BATCH_CELLS}], got ${batchSize}`);
  }
}

/** The dictionary of each categorical obs column, shared by every batch written with it. */
function dictionariesOf(ds: Dataset): Map<string, Vector<Utf8>> {
  const dicts = new Map<string, Vector<Utf8>>();
  for (const [name, col] of Object.entries(ds.obsColumns)) {
    if (col.kind === "categorical") dicts.set(name, vectorFromArray(col.categories, new Utf8()));
  }
  return dicts;
}

/** The cells of `ds` as record batches of at most `batchSize` cells (one empty batch when none). */
function* batchesOf(
  ds: Dataset,
  schema: Schema,
  dicts: Map<string, Vector<Utf8>>,
  batchSize: number,
): Generator<RecordBatch> {
  for (let a = 0; a < Math.max(ds.nCells, 1); a += batchSize) {
    const b = Math.min(ds.nCells, a + batchSize);
    const children = schema.fields.map((f) =>
      f.name === "X" ? xData(ds, a, b) : obsData(ds.obs(f.name), f.type, a, b, dicts.get(f.name))
    );
    const struct = makeData({
      type: new Struct(schema.fields),
      length: b - a,
      nullCount: 0,
      children,
    });
    yield new RecordBatch(schema, struct);
    if (b === ds.nCells) break;
  }
}

/**
 * The dataset as Arrow record batches of at most `batchSize` cells. Matrix and numeric buffers
 * are views of the dataset's arrays (only list offsets are rebased per batch).
 */
export function datasetToBatches(ds: Dataset, batchSize = MAX_BATCH_CELLS): RecordBatch[] {
  checkBatchSize(batchSize);
  return [...batchesOf(ds, schemaFor(ds), dictionariesOf(ds), batchSize)];
}

/** The dataset as an in-memory Arrow Table (zero-copy of the matrix buffers). */
export function datasetToTable(ds: Dataset, batchSize = MAX_BATCH_CELLS): Table {
  return new Table(datasetToBatches(ds, batchSize));
}

/**
 * Write a dataset as an Arrow IPC file, atomically, in record batches of at most 65,536 cells.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, readArrow, writeArrow } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 2, 3, 4]), 2, 2, ["A", "B"]);
 * const path = `${await Deno.makeTempDir()}/d.arrow`;
 * await writeArrow(ds, path);
 * assert.equal((await readArrow(path)).nGenes, 2);
 * ```
 */
export async function writeArrow(
  ds: Dataset,
  path: string,
  options: { batchSize?: number } = {},
): Promise<void> {
  await writeArrowChunks(path, [ds], options);
}

/** Writes what the Arrow writer emits straight to an open file, so no bytes queue in memory. */
class FileSink extends AsyncByteQueue {
  #file: Deno.FsFile;
  constructor(file: Deno.FsFile) {
    super();
    this.#file = file;
  }
  override write(value: Uint8Array): void {
    let written = 0;
    while (written < value.byteLength) written += this.#file.writeSync(value.subarray(written));
  }
}

/** Why `chunk` cannot follow `first` in one file (one schema, one dictionary per column), or null. */
function chunkMismatch(first: Dataset, chunk: Dataset): string | null {
  if (chunk.nGenes !== first.nGenes || chunk.genes.some((g, j) => g !== first.genes[j])) {
    return "has other genes";
  }
  if (JSON.stringify(chunk.var) !== JSON.stringify(first.var)) return "has other var fields";
  if (JSON.stringify(chunk.uns) !== JSON.stringify(first.uns)) return "has another uns";
  if (chunk.X.kind !== first.X.kind) return `is ${chunk.X.kind} where the first is ${first.X.kind}`;
  if (chunk.obsIndex !== first.obsIndex) return "has another obs index";
  const names = first.obsNames;
  if (chunk.obsNames.join("\0") !== names.join("\0")) return "has other obs columns";
  for (const name of names) {
    const a = first.obs(name), b = chunk.obs(name);
    const same = a.kind === b.kind && (a.kind !== "numeric" ||
      (b.kind === "numeric" && a.values.constructor === b.values.constructor)) &&
      (a.kind !== "categorical" ||
        (b.kind === "categorical" && a.categories.join("\0") === b.categories.join("\0")));
    if (!same) return `has obs column '${name}' of another type or other categories`;
  }
  return null;
}

/**
 * Write datasets arriving one at a time (e.g. chunks of a simulation, or of a file too large for
 * memory) as one Arrow file, atomically: each chunk's record batches (at most `batchSize` cells)
 * go to disk before the next chunk is asked for, so memory is one chunk. Every chunk must have
 * the first one's genes, var, uns, obs columns and categories (one schema, one dictionary per
 * categorical column); the file reads back with {@link readArrow} or {@link streamArrow}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "./dataset.ts";
 * const chunk = (v: number) => Dataset.fromDense(new Float32Array([v, 0]), 1, 2, ["A", "B"]);
 * const path = `${await Deno.makeTempDir()}/c.arrow`;
 * const written = await writeArrowChunks(path, [chunk(1), chunk(2), chunk(3)]);
 * assert.deepEqual(written, { nCells: 3, batches: 3 });
 * assert.deepEqual(Array.from((await readArrow(path)).toDense()), [1, 0, 2, 0, 3, 0]);
 * ```
 */
export async function writeArrowChunks(
  path: string,
  chunks: Iterable<Dataset> | AsyncIterable<Dataset>,
  options: { batchSize?: number } = {},
): Promise<{ nCells: number; batches: number }> {
  const batchSize = options.batchSize ?? MAX_BATCH_CELLS;
  checkBatchSize(batchSize);
  return await withAtomicFile(path, async (tmp) => {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      const writer = new RecordBatchFileWriter();
      writer.reset(new FileSink(file));
      let first: Dataset | undefined, schema: Schema | undefined;
      let dicts = new Map<string, Vector<Utf8>>();
      let nCells = 0, batches = 0, index = 0;
      for await (const chunk of chunks) {
        if (!first) {
          [first, schema, dicts] = [chunk, schemaFor(chunk), dictionariesOf(chunk)];
        } else {
          const problem = chunkMismatch(first, chunk);
          if (problem) {
            throw new ShapeMismatchError(`chunk ${index + 1} ${problem} than the first chunk`, {
              file: path,
              fix: "write chunks of one dataset: same genes, obs columns and categories",
            });
          }
        }
        index++;
        if (chunk.nCells === 0) continue;
        for (const batch of batchesOf(chunk, schema!, dicts, batchSize)) {
          writer.write(batch);
          batches++;
        }
        nCells += chunk.nCells;
      }
      if (!first) {
        throw new OptionError("no chunks to write", {
          file: path,
          fix: "pass at least one dataset (it may have zero cells)",
        });
      }
      // no cells at all: one empty batch carries the schema, as writeArrow writes it
      if (batches === 0) {
        writer.write(batchesOf(first, schema!, dicts, batchSize).next().value!);
        batches = 1;
      }
      writer.finish();
      return { nCells, batches };
    } finally {
      file.close();
    }
  });
}

function metadataOf(schema: Schema, path: string): { var: VarFields; uns: Uns; obsIndex?: string } {
  const md = schema.metadata;
  const version = md.get("yoto.format");
  if (version === undefined) {
    throw new FileFormatError(
      "Arrow file has no 'yoto.format' metadata, so it is not a yoto dataset",
      {
        file: path,
        fix: "convert the source data with `deno task convert IN OUT.arrow`",
      },
    );
  }
  if (version !== FORMAT_VERSION) {
    throw new FileFormatError(
      `yoto.format is '${version}', this version reads '${FORMAT_VERSION}'`,
      {
        file: path,
        fix: "re-convert the data with this version of yoto",
      },
    );
  }
  let parsed: VarFields, uns: Uns;
  try {
    parsed = JSON.parse(md.get("var") ?? "null");
    uns = JSON.parse(md.get("uns") ?? "{}");
  } catch (err) {
    throw new FileFormatError(`schema metadata is not valid JSON (${(err as Error).message})`, {
      file: path,
      field: "var",
      fix: "re-convert the data",
    });
  }
  if (!parsed || !Array.isArray(parsed.gene)) {
    throw new FileFormatError("schema metadata 'var' lacks the gene list", {
      file: path,
      field: "var.gene",
    });
  }
  return { var: parsed, uns, obsIndex: md.get("yoto.obs_index") };
}

/** Exactly the `length` logical values of a primitive Data (reader buffers are padded). */
function valuesOf<T extends Int32Array | Float32Array | Float64Array>(data: Data): T {
  const v = data.values as T;
  return v.subarray(data.offset, data.offset + data.length) as T;
}

function obsFromData(chunks: Data[], name: string, path: string): ObsColumn {
  const type = chunks[0].type;
  if (type instanceof Dictionary) {
    const categories: string[] = (chunks[0].dictionary?.toArray() ?? []) as string[];
    const catIndex = new Map(categories.map((c, i) => [c, i]));
    const parts = chunks.map((d) => {
      let codes = valuesOf<Int32Array>(d);
      const dict = (d.dictionary?.toArray() ?? []) as string[];
      const sameDict = dict.length === categories.length &&
        dict.every((c, i) => c === categories[i]);
      if (d.nullCount > 0 || !sameDict) {
        const remap = dict.map((c) => {
          if (!catIndex.has(c)) {
            catIndex.set(c, categories.length);
            categories.push(c);
          }
          return catIndex.get(c)!;
        });
        codes = codes.map((c, i) => (d.getValid(i) ? remap[c] : -1));
      }
      return codes;
    });
    const codes = concat(parts, Int32Array);
    return { kind: "categorical", codes, categories, ...(type.isOrdered ? { ordered: true } : {}) };
  }
  if (type instanceof Utf8) {
    const values = chunks.flatMap((d) => [...makeVector(d as Data<Utf8>)] as (string | null)[]);
    return { kind: "string", values };
  }
  const typeId = String(type);
  if (typeId === "Float64" || typeId === "Float32" || typeId === "Int32") {
    const Ctor = typeId === "Float64"
      ? Float64Array
      : typeId === "Float32"
      ? Float32Array
      : Int32Array;
    const parts = chunks.map((d) => {
      const v = valuesOf<Float64Array>(d);
      if (d.nullCount === 0) return v;
      const f = Float64Array.from(v);
      for (let i = 0; i < d.length; i++) if (!d.getValid(i)) f[i] = NaN;
      return f;
    });
    const anyNull = chunks.some((d) => d.nullCount > 0);
    return {
      kind: "numeric",
      values: concat(parts, anyNull ? Float64Array : Ctor as Float64ArrayConstructor),
    };
  }
  throw new FileFormatError(`obs column has unsupported Arrow type ${typeId}`, {
    file: path,
    field: name,
    fix:
      "store categories as dictionary<int32, utf8>, numbers as float64/float32/int32, text as utf8",
  });
}

function concat<T extends Int32Array | Float32Array | Float64Array>(
  parts: T[],
  Ctor: { new (n: number): T },
): T {
  if (parts.length === 1 && parts[0] instanceof Ctor) return parts[0];
  const out = new Ctor(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function matrixFromData(chunks: Data[], nGenes: number, path: string): Dataset["X"] {
  const type = chunks[0].type;
  const nRows = chunks.reduce((s, d) => s + d.length, 0);
  if (type instanceof FixedSizeList) {
    if (type.listSize !== nGenes) {
      throw new FileFormatError(
        `dense X rows have ${type.listSize} values but var has ${nGenes} genes`,
        { file: path, field: "X" },
      );
    }
    const parts = chunks.map((d) => {
      const child = d.children[0];
      return (child.values as Float32Array).subarray(
        (d.offset + child.offset) * nGenes,
        (d.offset + child.offset + d.length) * nGenes,
      );
    });
    return { kind: "dense", nRows, nCols: nGenes, data: concat(parts, Float32Array) };
  }
  if (!(type instanceof List) || !(type.children[0].type instanceof Struct)) {
    throw new FileFormatError(
      `column X has type ${type}, expected list<struct<gene: int32, value: float32>>`,
      {
        file: path,
        field: "X",
      },
    );
  }
  const rebased = chunks.map((d) => {
    const offsets = (d.valueOffsets as Int32Array).subarray(d.offset, d.offset + d.length + 1);
    const entries = d.children[0];
    const [g, v] = entries.children;
    const end = offsets[offsets.length - 1];
    return {
      offsets,
      indices: (g.values as Int32Array).subarray(
        g.offset + entries.offset,
        g.offset + entries.offset + end,
      ),
      values: (v.values as Float32Array).subarray(
        v.offset + entries.offset,
        v.offset + entries.offset + end,
      ),
    };
  });
  let indptr: Int32Array, indices: Int32Array, values: Float32Array;
  if (rebased.length === 1 && rebased[0].offsets[0] === 0) {
    ({ offsets: indptr, indices, values } = rebased[0]);
  } else {
    // Several record batches: one contiguous CSR needs one copy.
    indptr = new Int32Array(nRows + 1);
    let row = 0, base = 0;
    for (const r of rebased) {
      for (let i = 1; i < r.offsets.length; i++) indptr[++row] = base + r.offsets[i] - r.offsets[0];
      base = indptr[row];
    }
    indices = concat(rebased.map((r) => r.indices.subarray(r.offsets[0])), Int32Array);
    values = concat(rebased.map((r) => r.values.subarray(r.offsets[0])), Float32Array);
  }
  for (let p = 0; p < indices.length; p++) {
    if (indices[p] < 0 || indices[p] >= nGenes) {
      throw new FileFormatError(`X has gene index ${indices[p]} outside [0, ${nGenes})`, {
        file: path,
        field: "X",
      });
    }
  }
  return { kind: "csr", nRows, nCols: nGenes, indptr, indices, values };
}

function datasetFromBatches(schema: Schema, batches: RecordBatch[], path: string): Dataset {
  const meta = metadataOf(schema, path);
  const nGenes = meta.var.gene.length;
  const obs: Record<string, ObsColumn> = {};
  let X: Dataset["X"] | undefined;
  schema.fields.forEach((f, i) => {
    const chunks = batches.map((b) => b.data.children[i]);
    if (chunks.length === 0) return;
    if (f.name === "X") X = matrixFromData(chunks, nGenes, path);
    else obs[f.name] = obsFromData(chunks, f.name, path);
  });
  if (!X) {
    if (batches.length === 0 && schema.fields.some((f) => f.name === "X")) {
      X = {
        kind: "csr",
        nRows: 0,
        nCols: nGenes,
        indptr: new Int32Array(1),
        indices: new Int32Array(0),
        values: new Float32Array(0),
      };
    } else {
      throw new FileFormatError("Arrow file has no column 'X' (the expression matrix)", {
        file: path,
        field: "X",
      });
    }
  }
  try {
    return new Dataset({ X, var: meta.var, obs, obsIndex: meta.obsIndex, uns: meta.uns });
  } catch (err) {
    if (err instanceof YotoError) {
      throw new FileFormatError(err.message, { file: path, fix: "re-convert the data" });
    }
    throw err;
  }
}

function checkMagic(bytes: Uint8Array, path: string): void {
  if (bytes.length === 0) {
    throw new FileFormatError("file is empty", { file: path, fix: "re-write or re-convert it" });
  }
  const head = ARROW_MAGIC.every((c, i) => bytes[i] === c);
  const tail = ARROW_MAGIC.every((c, i) => bytes[bytes.length - 6 + i] === c);
  if (!head) {
    throw new FileFormatError("not an Arrow IPC file (no ARROW1 magic at the start)", {
      file: path,
      fix: "convert the data with `deno task convert IN OUT.arrow`",
    });
  }
  if (!tail) {
    throw new FileFormatError("Arrow file is truncated (no ARROW1 magic at the end)", {
      file: path,
      fix: "re-write or re-convert the file",
    });
  }
}

/**
 * Read an Arrow dataset from bytes already in memory. With one record batch the CSR arrays are
 * views of `bytes` (no copy); several batches are concatenated once.
 */
export function datasetFromArrowBytes(bytes: Uint8Array, path = "<bytes>"): Dataset {
  checkMagic(bytes, path);
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new FileFormatError(`corrupt Arrow file (${(err as Error).message})`, {
      file: path,
      fix: "re-write or re-convert it",
    });
  }
  return datasetFromBatches(table.schema, table.batches, path);
}

/**
 * Read a whole `.arrow` dataset file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, readArrow, writeArrow } from "yoto";
 * const path = `${await Deno.makeTempDir()}/d.arrow`;
 * await writeArrow(Dataset.fromDense(new Float32Array(4), 2, 2, ["A", "B"]), path);
 * const ds = await readArrow(path);
 * assert.equal(ds.nCells, 2);
 * ```
 */
export async function readArrow(path: string): Promise<Dataset> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw new FileFormatError(`cannot read file (${(err as Error).message})`, {
      file: path,
      fix: "check the path",
    });
  }
  return datasetFromArrowBytes(bytes, path);
}

/** One record batch of a streamed file: its cells as a Dataset, and its first row in the file. */
export interface StreamedBatch {
  start: number;
  dataset: Dataset;
}

/**
 * Iterate over the record batches of an `.arrow` dataset without reading the whole file: each
 * batch is read from disk when asked for, and its CSR arrays are views of that batch's buffers.
 */
export async function* streamArrow(path: string): AsyncGenerator<StreamedBatch> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, "r");
  } catch (err) {
    throw new FileFormatError(`cannot open file (${(err as Error).message})`, {
      file: path,
      fix: "check the path",
    });
  }
  try {
    const head = new Uint8Array(6);
    await handle.read(head, 0, 6, 0);
    if (!ARROW_MAGIC.every((c, i) => head[i] === c)) checkMagic(head, path);
    let reader: RecordBatchReader;
    try {
      reader = await RecordBatchReader.from(handle);
    } catch (err) {
      throw new FileFormatError(`corrupt Arrow file (${(err as Error).message})`, { file: path });
    }
    let start = 0;
    for await (const batch of reader) {
      const dataset = datasetFromBatches(batch.schema, [batch], path);
      yield { start, dataset };
      start += dataset.nCells;
    }
  } finally {
    await handle.close();
  }
}

/**
 * True when `path` is an Arrow file carrying yoto's `yoto.format` schema metadata, i.e. written
 * by yoto; reads the magic, the footer and the schema only, never the record batches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "./dataset.ts";
 * const path = `${await Deno.makeTempDir()}/d.arrow`;
 * await writeArrow(Dataset.fromDense(new Float32Array([1]), 1, 1, ["A"]), path);
 * assert.equal(await isYotoArrow(path), true);
 * await Deno.writeTextFile(path, "not arrow");
 * assert.equal(await isYotoArrow(path), false);
 * ```
 */
export async function isYotoArrow(path: string): Promise<boolean> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(path, "r");
    const head = new Uint8Array(6);
    await handle.read(head, 0, 6, 0);
    if (!ARROW_MAGIC.every((c, i) => head[i] === c)) return false;
    const reader = await (await RecordBatchReader.from(handle)).open(); // the footer and schema
    return reader.schema.metadata.has("yoto.format");
  } catch {
    return false; // unreadable or damaged: not recognisably ours
  } finally {
    await handle?.close();
  }
}
