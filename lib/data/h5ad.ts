/**
 * AnnData `.h5ad` import and export (via h5wasm).
 *
 * Reading: X (or `layers/<name>`, or `raw/X` with `raw/var`) as CSR when stored as csr_matrix or
 * csc_matrix, dense when stored as a 2-D array; any integer or float dtype becomes float32. obs
 * columns: categoricals stay categorical, numbers become Float64Array numeric columns, strings
 * string columns, booleans a "False"/"True" categorical; the obs index becomes a string column
 * (named by `_index`) and `obsIndex`. var: the index becomes `var.gene`, other columns var fields
 * (categoricals decoded to strings, booleans kept). `uns` is not read; the Dataset's uns records
 * where it came from.
 *
 * Writing: an AnnData 0.8+ file laid out like anndata writes it (X as csr_matrix or a dense
 * array, obs/var dataframes with h5py booleans, so that anndata 0.8 reads it), plus a root
 * attribute {@link WRITER_ATTRIBUTE} that marks it as written by yoto. obsm, varm, obsp, varp,
 * layers, raw and uns are empty, or copied from the `.h5ad` the data came from (subset to its
 * cells and genes: {@link H5adCarry}); {@link annotateH5ad} copies a whole file with var columns
 * added. Written atomically.
 * @module
 */
import { dirname } from "node:path";
import { Dataset, type ExpressionMatrix, type ObsColumn, type VarFields } from "./dataset.ts";
import {
  FileFormatError,
  MissingFieldError,
  OptionError,
  ShapeMismatchError,
  YotoError,
} from "../runtime/errors.ts";
import { withAtomicFile } from "../runtime/atomic.ts";
import {
  asFloat32,
  asInt32,
  attrNumbers,
  attrString,
  child,
  type Entity,
  type H5File,
  type H5Group,
  isDataset,
  isGroup,
  openForRead,
  openForWrite,
  requireDataset,
  setEncoding,
  writeNumbers,
} from "./_h5ad_hdf5.ts";
import {
  readFrame,
  readFrameIndex,
  toObsColumn,
  toVarField,
  varFieldColumn,
  type WriteColumn,
  writeFrame,
} from "./_h5ad_frame.ts";
import { BoolWriter } from "./_h5ad_bool.ts";
import {
  arrayNode,
  readTree,
  takeColumns,
  takeRows,
  type TreeNode,
  writeGroup,
  writeTree,
} from "./_h5ad_tree.ts";
import { cscToCsr } from "./_text.ts";

/** Options of {@link readH5ad}. */
export interface ReadH5adOptions {
  /** Read `layers/<layer>` instead of X (same cells and genes). */
  layer?: string;
  /** Read `raw/X`, with the genes of `raw/var`, instead of X. */
  raw?: boolean;
  /** Do not warn about obs/var columns that are skipped. */
  quiet?: boolean;
}

/**
 * Where the Dataset written by {@link writeH5ad} came from: the `.h5ad` whose layers, obsm,
 * varm, obsp, varp, raw and uns are copied, and which of its cells and genes the Dataset holds
 * (rows of obsm/obsp/layers/raw.X and columns of obsp/layers follow the cells, rows of
 * varm/varp and columns of layers/varp the genes; raw keeps its own genes; uns is copied as it
 * is).
 */
export interface H5adCarry {
  /** The `.h5ad` file the Dataset was read from. */
  from: string;
  /** Positions in its obs of the Dataset's cells, in order (default: all, as they are). */
  cells?: ArrayLike<number>;
  /** Positions of the Dataset's genes in its var, or in raw/var with `raw` (default: all). */
  genes?: ArrayLike<number>;
  /** The Dataset was read from raw/X: its genes are raw/var's, matched to var by name. */
  raw?: boolean;
}

/** Options of {@link writeH5ad}. */
export interface WriteH5adOptions {
  /** gzip the numeric arrays (default true); strings are always stored plain. */
  compression?: boolean;
  /** Copy the other elements of the `.h5ad` the Dataset came from. */
  carry?: H5adCarry;
  /** Do not warn about elements of `carry.from` that cannot be copied. */
  quiet?: boolean;
}

const REWRITE = "write the file again with anndata";

function readCompressed(
  g: H5Group,
  field: string,
  file: string,
  kind: "csr" | "csc",
): ExpressionMatrix {
  // anndata < 0.7 stored the shape in h5sparse_shape
  const shape = attrNumbers(g, "shape") ?? attrNumbers(g, "h5sparse_shape");
  if (shape?.length !== 2) {
    throw new FileFormatError(`sparse matrix '${field}' has no 2-D shape attribute`, {
      file,
      field,
      fix: REWRITE,
    });
  }
  const [nRows, nCols] = shape;
  const data = asFloat32(requireDataset(g, "data", field, file).value, `${field}/data`, file);
  const indices = asInt32(
    requireDataset(g, "indices", field, file).value,
    `${field}/indices`,
    file,
  );
  const indptr = asInt32(requireDataset(g, "indptr", field, file).value, `${field}/indptr`, file);
  // CSR stores rows along indptr and columns in indices; CSC the other way round.
  const [nMajor, nMinor] = kind === "csr" ? [nRows, nCols] : [nCols, nRows];
  if (indptr.length !== nMajor + 1) {
    throw new ShapeMismatchError(
      `indptr has ${indptr.length} entries but the shape attribute ${nRows} x ${nCols} needs ${
        nMajor + 1
      }`,
      { file, field: `${field}/indptr`, fix: REWRITE },
    );
  }
  if (indices.length !== data.length || indptr[0] < 0 || indptr[nMajor] > data.length) {
    throw new ShapeMismatchError(
      `indptr ends at ${
        indptr[nMajor]
      } but there are ${indices.length} indices and ${data.length} values`,
      { file, field, fix: REWRITE },
    );
  }
  for (let i = 0; i < nMajor; i++) {
    if (indptr[i] > indptr[i + 1]) {
      throw new FileFormatError(`indptr decreases at entry ${i + 1}`, {
        file,
        field: `${field}/indptr`,
        fix: REWRITE,
      });
    }
  }
  for (const j of indices) {
    if (j < 0 || j >= nMinor) {
      throw new ShapeMismatchError(
        `index ${j} is outside the ${nMinor} ${kind === "csr" ? "columns" : "rows"} of the shape`,
        {
          file,
          field: `${field}/indices`,
          fix: REWRITE,
        },
      );
    }
  }
  if (kind === "csr") return { kind: "csr", nRows, nCols, indptr, indices, values: data };
  return cscToCsr(nRows, nCols, indptr, indices, data);
}

function readMatrix(elem: Entity, field: string, file: string): ExpressionMatrix {
  if (isDataset(elem)) {
    const shape = elem.shape ?? [];
    if (shape.length !== 2) {
      throw new FileFormatError(
        `'${field}' is a ${shape.length}-D array, not a cells x genes matrix`,
        {
          file,
          field,
          fix: REWRITE,
        },
      );
    }
    const data = asFloat32(elem.value, field, file);
    return { kind: "dense", nRows: shape[0], nCols: shape[1], data };
  }
  if (isGroup(elem)) {
    const h5sparse = attrString(elem, "h5sparse_format");
    const encoding = attrString(elem, "encoding-type") ?? (h5sparse && `${h5sparse}_matrix`);
    if (encoding === "csr_matrix") return readCompressed(elem, field, file, "csr");
    if (encoding === "csc_matrix") return readCompressed(elem, field, file, "csc");
    throw new FileFormatError(
      `'${field}' has encoding '${encoding ?? "(none)"}', not a matrix yoto reads`,
      {
        file,
        field,
        fix: "store it as csr_matrix, csc_matrix or a dense array (anndata does by default)",
      },
    );
  }
  throw new FileFormatError(`'${field}' is neither an array nor a sparse matrix group`, {
    file,
    field,
    fix: REWRITE,
  });
}

function layerNames(root: H5File): string[] {
  const layers = child(root, "layers");
  return isGroup(layers) ? layers.keys() : [];
}

/** Where the matrix and its genes are, for the options; Missing* errors name what exists. */
function locate(
  root: H5File,
  file: string,
  options: ReadH5adOptions,
): { matrix: Entity; field: string; varPath: string } {
  if (options.raw) {
    const matrix = child(root, "raw/X");
    if (matrix === null) {
      throw new MissingFieldError("no raw matrix (raw/X)", {
        file,
        field: "raw/X",
        fix: "read X instead (omit raw)",
      });
    }
    return { matrix, field: "raw/X", varPath: "raw/var" };
  }
  const layers = layerNames(root);
  if (options.layer !== undefined) {
    const field = `layers/${options.layer}`;
    const matrix = child(root, field);
    if (matrix === null) {
      throw new MissingFieldError(`no layer '${options.layer}'`, {
        file,
        field,
        fix: layers.length
          ? `use one of: ${layers.join(", ")}`
          : "the file has no layers; read X (omit layer)",
      });
    }
    return { matrix, field, varPath: "var" };
  }
  const matrix = child(root, "X");
  if (matrix === null) {
    const others = [
      ...layers.map((l) => `layer: "${l}"`),
      ...(child(root, "raw/X") ? ["raw: true"] : []),
    ];
    throw new FileFormatError("no expression matrix 'X'", {
      file,
      field: "X",
      fix: others.length
        ? `read another matrix (${others.join(", ")})`
        : "write the file with its matrix in X",
    });
  }
  return { matrix, field: "X", varPath: "var" };
}

function readOpen(root: H5File, file: string, options: ReadH5adOptions): Dataset {
  const warn = options.quiet ? () => {} : (message: string) => console.warn(`${file}: ${message}`);
  const { matrix, field, varPath } = locate(root, file, options);
  const X = readMatrix(matrix, field, file);
  // The dataframe at `path`, whose index must list the matrix's `n` cells or genes.
  const frameOf = (path: string, n: number, what: string) => {
    const frame = readFrame(root, path, file, warn);
    if (frame.index.length !== n) {
      throw new ShapeMismatchError(
        `'${field}' has ${n} ${what} but '${path}' lists ${frame.index.length}`,
        { file, field, fix: REWRITE },
      );
    }
    return frame;
  };
  const genes = frameOf(varPath, X.nCols, "genes (columns)");
  const cells = frameOf("obs", X.nRows, "cells (rows)");
  const obs: Record<string, ObsColumn> = {
    [cells.indexName]: { kind: "string", values: cells.index },
  };
  for (const [name, col] of cells.columns) obs[name] = toObsColumn(col);
  const vars: VarFields = { gene: genes.index };
  for (const [name, col] of genes.columns) {
    if (name === "gene") warn(`skipped column '${varPath}/gene': var.gene holds the index`);
    else vars[name] = toVarField(col);
  }
  const source = {
    format: "h5ad",
    path: file,
    ...(options.layer !== undefined ? { layer: options.layer } : {}),
    ...(options.raw ? { raw: true } : {}),
  };
  return new Dataset({ X, var: vars, obs, obsIndex: cells.indexName, uns: { source } });
}

/**
 * Read an AnnData `.h5ad` file. Typed errors name the file and field: FileFormatError for a
 * missing, empty, truncated, non-HDF5 or malformed file, ShapeMismatchError when X disagrees
 * with obs/var, MissingFieldError for an absent layer or raw.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, readH5ad, writeH5ad } from "yoto";
 * const path = `${await Deno.makeTempDir()}/tiny.h5ad`;
 * await writeH5ad(Dataset.fromDense(new Float32Array([1, 0, 0, 2]), 2, 2, ["A", "B"]), path);
 * const ds = await readH5ad(path);
 * assert.equal(ds.genes[1], "B");
 * assert.notEqual(ds.uns.source, undefined);
 * ```
 */
export async function readH5ad(path: string, options: ReadH5adOptions = {}): Promise<Dataset> {
  if (options.raw && options.layer !== undefined) {
    throw new OptionError("pass either layer or raw, not both", {
      field: "layer",
      fix: "drop one of the two options",
    });
  }
  const root = await openForRead(path);
  try {
    return readOpen(root, path, options);
  } catch (err) {
    if (err instanceof YotoError) throw err;
    throw new FileFormatError(`cannot read it (${(err as Error).message ?? err})`, {
      file: path,
      fix: "the file may be damaged; write or copy it again",
    });
  } finally {
    root.close();
  }
}

/**
 * Names of the layers (`layers/*`) in an `.h5ad` file; empty when it has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, listH5adLayers, writeH5ad } from "yoto";
 * const path = `${await Deno.makeTempDir()}/tiny.h5ad`;
 * await writeH5ad(Dataset.fromDense(new Float32Array([1, 0, 0, 2]), 2, 2, ["A", "B"]), path);
 * assert.equal((await listH5adLayers(path)).length, 0);
 * ```
 */
export async function listH5adLayers(path: string): Promise<string[]> {
  const root = await openForRead(path);
  try {
    return layerNames(root);
  } finally {
    root.close();
  }
}

function writeMatrix(root: H5File, X: ExpressionMatrix, compress: boolean): void {
  if (X.kind === "dense") {
    setEncoding(writeNumbers(root, "X", X.data, [X.nRows, X.nCols], compress), "array", "0.2.0");
    return;
  }
  const g = root.create_group("X");
  setEncoding(g, "csr_matrix", "0.1.0");
  g.create_attribute("shape", BigInt64Array.of(BigInt(X.nRows), BigInt(X.nCols)));
  // the Dataset's arrays may be views whose row pointers do not start at 0
  const start = X.indptr[0], end = X.indptr[X.nRows];
  const indptr = start === 0 ? X.indptr : X.indptr.map((p) => p - start);
  writeNumbers(g, "data", X.values.subarray(start, end), [end - start], compress);
  writeNumbers(g, "indices", X.indices.subarray(start, end), [end - start], compress);
  writeNumbers(g, "indptr", indptr, [indptr.length], compress);
}

/**
 * Root attribute marking an `.h5ad` file as written by yoto (value "yoto"), so that yoto replaces
 * it and no other file. An attribute, not a `uns` entry: anndata ignores unknown root attributes
 * and drops them when it writes the file again, so a file rewritten elsewhere is no longer ours.
 */
export const WRITER_ATTRIBUTE = "yoto.writer";

/**
 * True when `path` is an HDF5 file carrying {@link WRITER_ATTRIBUTE}, i.e. written by writeH5ad;
 * opens the file and reads one attribute.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "./dataset.ts";
 * const path = `${await Deno.makeTempDir()}/tiny.h5ad`;
 * await writeH5ad(Dataset.fromDense(new Float32Array([1]), 1, 1, ["A"]), path);
 * assert.equal(await isYotoH5ad(path), true);
 * await Deno.writeTextFile(path, "not hdf5");
 * assert.equal(await isYotoH5ad(path), false);
 * ```
 */
export async function isYotoH5ad(path: string): Promise<boolean> {
  let file: H5File;
  try {
    file = await openForRead(path);
  } catch {
    return false; // not HDF5, damaged or unreadable: not recognisably ours
  }
  try {
    return attrString(file, WRITER_ATTRIBUTE) === "yoto";
  } finally {
    file.close();
  }
}

/** The elements of an AnnData file besides X, obs and var, and the axes of each one's members. */
const SLOTS: Record<string, { rows?: "cells" | "genes"; columns?: "cells" | "genes" }> = {
  layers: { rows: "cells", columns: "genes" },
  obsm: { rows: "cells" },
  obsp: { rows: "cells", columns: "cells" },
  raw: {},
  uns: {},
  varm: { rows: "genes" },
  varp: { rows: "genes", columns: "genes" },
};

/** `idx` unless it is 0, 1, ..., n - 1 (nothing to take). */
function subsetOrAll(idx: ArrayLike<number> | undefined, n: number): ArrayLike<number> | undefined {
  if (idx === undefined || idx.length !== n) return idx;
  for (let i = 0; i < n; i++) if (idx[i] !== i) return idx;
  return undefined;
}

/**
 * The elements in {@link SLOTS} of `carry.from`, subset as the Dataset's cells and genes, handed
 * to `write`; returns their names. What cannot be copied or subset is named through `warn`.
 */
async function carryElements(
  ds: Dataset,
  carry: H5adCarry,
  write: (name: string, node: TreeNode) => void,
  warn: (message: string) => void,
): Promise<Set<string>> {
  const file = carry.from;
  const src = await openForRead(file);
  try {
    const nCells = readFrameIndex(src, "obs", file).index.length;
    const varNames = readFrameIndex(src, "var", file).index;
    const cells = subsetOrAll(carry.cells, nCells);
    // the Dataset's genes as positions in var (null: some are not among var's genes)
    let genes: ArrayLike<number> | undefined | null = carry.genes;
    if (carry.raw) {
      const rawNames = readFrameIndex(src, "raw/var", file).index;
      const at = new Map(varNames.map((g, j) => [g, j]));
      const wanted = carry.genes ? Array.from(carry.genes, (j) => rawNames[j]) : rawNames;
      const mapped = wanted.map((g) => at.get(g) ?? -1);
      genes = mapped.includes(-1) ? null : mapped;
    }
    genes = genes === null ? null : subsetOrAll(genes, varNames.length);
    const kept = (idx: ArrayLike<number> | undefined | null, n: number) => idx ? idx.length : n;
    if (
      kept(cells, nCells) !== ds.nCells ||
      (genes !== null && kept(genes, varNames.length) !== ds.nGenes)
    ) {
      throw new ShapeMismatchError(
        `the data has ${ds.nCells} cells x ${ds.nGenes} genes but keeps ${kept(cells, nCells)} x ${
          genes === null ? "?" : kept(genes, varNames.length)
        } of the file it came from`,
        { file, fix: "pass the cells and genes the data was subset to" },
      );
    }
    const axis = { cells, genes } as const;
    const written = new Set<string>();
    for (const name of Object.keys(SLOTS)) {
      const elem = child(src, name);
      if (elem === null) continue;
      const slot = readTree(elem, name, warn);
      if (typeof slot === "string" || slot.kind !== "group") {
        warn(`not copied: ${name} (${typeof slot === "string" ? slot : "not a group"})`);
        continue;
      }
      const { rows, columns } = SLOTS[name];
      if (name === "raw") {
        const X = slot.children.get("X");
        const taken = X && cells ? takeRows(X, cells) : X;
        if (!taken) {
          warn("not copied: raw (its X is not a matrix yoto can subset)");
          continue;
        }
        if (X) slot.children.set("X", taken);
      } else if (rows || columns) {
        for (const [member, node] of [...slot.children]) {
          const path = `${name}/${member}`;
          const [r, c] = [rows && axis[rows], columns && axis[columns]];
          if (r === null || c === null) {
            warn(`not copied: ${path} (it indexes var's genes; the data holds raw/var's)`);
            slot.children.delete(member);
            continue;
          }
          let out: TreeNode | undefined = node;
          if (r) out = takeRows(out, r);
          if (out && c) out = takeColumns(out, c);
          if (out) slot.children.set(member, out);
          else {
            warn(`not copied: ${path} (yoto cannot subset this kind of element)`);
            slot.children.delete(member);
          }
        }
      }
      write(name, slot);
      written.add(name);
    }
    return written;
  } finally {
    src.close();
  }
}

/**
 * Write a Dataset as an AnnData `.h5ad` file (AnnData 0.8+ layout, readable by scanpy/anndata
 * 0.8 and later). The obs index is the `obsIndex` column (or "_index" = cell ids when there is
 * none); string obs columns with missing values are stored as categoricals, as anndata does;
 * categoricals keep their `ordered` flag; boolean var fields are h5py booleans. The Dataset's
 * `uns` is not written; with `carry`, layers, obsm, varm, obsp, varp, raw and uns are copied
 * from the file the Dataset came from ({@link H5adCarry}), and what cannot be (an element
 * yoto cannot subset, or an HDF5 type it cannot copy) is named on stderr. The root attribute
 * {@link WRITER_ATTRIBUTE} marks the file as yoto's. The file appears only once it is complete.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, readH5ad, writeH5ad } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([1, 0, 0, 2]), 2, 2, ["A", "B"]);
 * const path = `${await Deno.makeTempDir()}/tiny.h5ad`;
 * await writeH5ad(ds, path);
 * assert.equal((await readH5ad(path)).nCells, 2);
 * ```
 */
export async function writeH5ad(
  ds: Dataset,
  path: string,
  options: WriteH5adOptions = {},
): Promise<void> {
  const compress = options.compression ?? true;
  await checkOutputDir(path);
  const warn = options.quiet
    ? () => {}
    : (m: string) => console.warn(`${options.carry?.from}: ${m}`);
  await withAtomicFile(path, async (tmp) => {
    const bools = new BoolWriter();
    const root = await openForWrite(tmp);
    try {
      setEncoding(root, "anndata", "0.1.0");
      root.create_attribute(WRITER_ATTRIBUTE, "yoto");
      writeMatrix(root, ds.X, compress);
      const indexName = ds.obsIndex ?? "_index";
      const obsColumns = Object.entries(ds.obsColumns).filter(([name]) => name !== ds.obsIndex);
      writeFrame(root, "obs", indexName, ds.cellIds(), obsColumns, compress, bools);
      const varColumns = Object.entries(ds.var).filter(([name]) => name !== "gene")
        .map(([name, values]): [string, WriteColumn] => [name, varFieldColumn(values)]);
      writeFrame(root, "var", "gene", ds.genes, varColumns, compress, bools);
      const carried = options.carry
        ? await carryElements(
          ds,
          options.carry,
          (name, node) => writeTree(root, name, node, compress, bools),
          warn,
        )
        : new Set<string>();
      for (const name of Object.keys(SLOTS)) {
        if (name !== "raw" && !carried.has(name)) {
          setEncoding(root.create_group(name), "dict", "0.1.0");
        }
      }
    } finally {
      root.close();
    }
    await bools.finish(tmp);
  });
}

/** OptionError unless the folder `path` goes into exists. */
async function checkOutputDir(path: string): Promise<void> {
  const dir = dirname(path);
  const dirInfo = await Deno.stat(dir).catch(() => null);
  if (!dirInfo?.isDirectory) {
    throw new OptionError(`the output directory '${dir}' does not exist`, {
      file: path,
      fix: "create the directory first or write somewhere else",
    });
  }
}

/** Options of {@link annotateH5ad}. */
export interface AnnotateH5adOptions {
  /** Add the columns to raw/var (the genes of raw/X) instead of var. */
  raw?: boolean;
  /** gzip the numeric arrays written (default true). */
  compression?: boolean;
  /** Do not warn about elements that cannot be copied. */
  quiet?: boolean;
}

/**
 * Copy the `.h5ad` file `input` to `output` with columns added to its var (or raw/var): the
 * columns are `columns(genes)` for the genes of that dataframe, in its order; numbers (NaN =
 * missing) or booleans (h5py booleans); a column of the same name is replaced. Everything else
 * is copied with its types, gzip-compressed; an element whose HDF5 type cannot be copied is
 * left out and named on stderr, and one in X, obs or var is a FileFormatError. The copy carries
 * {@link WRITER_ATTRIBUTE} and appears only once complete.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { annotateH5ad, Dataset, readH5ad, writeH5ad } from "yoto";
 * const dir = await Deno.makeTempDir();
 * await writeH5ad(Dataset.fromDense(new Float32Array([1, 0, 0, 2]), 2, 2, ["A", "B"]), `${dir}/a.h5ad`);
 * await annotateH5ad(`${dir}/a.h5ad`, `${dir}/b.h5ad`, (genes) => ({
 *   in_panel: genes.map((g) => g === "B"),
 * }));
 * assert.deepEqual((await readH5ad(`${dir}/b.h5ad`)).var.in_panel, [false, true]);
 * ```
 */
export async function annotateH5ad(
  input: string,
  output: string,
  columns: (genes: readonly string[]) => Record<string, Float64Array | boolean[]>,
  options: AnnotateH5adOptions = {},
): Promise<void> {
  const compress = options.compression ?? true;
  await checkOutputDir(output);
  const warn = options.quiet ? () => {} : (m: string) => console.warn(`${input}: ${m}`);
  const varPath = options.raw ? "raw/var" : "var";
  const src = await openForRead(input);
  let genes: string[], tree: TreeNode | string;
  try {
    genes = readFrameIndex(src, varPath, input).index;
    const required = ["X", "obs", "var", ...(options.raw ? ["raw"] : [])];
    tree = readTree(src, "", warn, new Set(required.filter((name) => child(src, name) !== null)));
  } finally {
    src.close();
  }
  if (typeof tree === "string" || tree.kind !== "group") {
    throw new FileFormatError(`cannot copy ${tree}`, {
      file: input,
      fix: "write the file again with anndata (adata.write_h5ad)",
    });
  }
  const root = tree;
  let frame = root;
  for (const part of varPath.split("/")) {
    frame = frame.children.get(part) as Extract<TreeNode, { kind: "group" }>;
  }
  const order = frame.attrs.get("column-order");
  const names = order?.kind === "string" ? [order.value].flat() : [];
  for (const [name, values] of Object.entries(columns(genes))) {
    if (values.length !== genes.length) {
      throw new ShapeMismatchError(
        `column '${name}' has ${values.length} values for ${genes.length} genes`,
      );
    }
    frame.children.set(
      name,
      arrayNode(values instanceof Float64Array ? values : { bool: Int8Array.from(values, Number) }),
    );
    if (!names.includes(name)) names.push(name);
  }
  frame.attrs.set("column-order", { kind: "string", value: names, scalar: false });
  root.attrs.set(WRITER_ATTRIBUTE, { kind: "string", value: "yoto", scalar: true });
  await withAtomicFile(output, async (tmp) => {
    const bools = new BoolWriter();
    const out = await openForWrite(tmp);
    try {
      writeGroup(out, root, compress, bools);
    } finally {
      out.close();
    }
    await bools.finish(tmp);
  });
}
