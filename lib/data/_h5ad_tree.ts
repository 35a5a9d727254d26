/**
 * AnnData elements copied as HDF5 trees (private to lib/data): groups, datasets and attributes
 * read with their types and written back, so that `obsm`, `layers`, `raw`, `uns` and the rest
 * of an input `.h5ad` survive a conversion or an annotated copy without yoto understanding them.
 * {@link takeRows} / {@link takeColumns} subset the elements whose axes are cells or genes
 * (arrays, sparse matrices, dataframes). Numbers keep their dtype, booleans stay h5py booleans,
 * strings are written as variable-length UTF-8, records (rec-arrays) of numbers as they are.
 * What HDF5 holds beyond that cannot be copied: records with text fields (h5wasm cannot write
 * variable-length text inside records, and anndata 0.8 cannot read fixed-length text there),
 * references, opaque, bitfield or other enum types. {@link readTree} names such an element and
 * leaves it out.
 * @module
 */
import type { BoolWriter } from "./_h5ad_bool.ts";
import {
  type Entity,
  type H5Dataset,
  type H5Group,
  H5T,
  isBoolEnum,
  isDataset,
  isGroup,
  type NumericArray,
  writeNumbers,
} from "./_h5ad_hdf5.ts";

type Metadata = H5Dataset["metadata"];

/** An attribute as read. */
export type TreeAttr =
  | { kind: "string"; value: string | string[]; scalar: boolean }
  | { kind: "number"; value: NumericArray; shape: number[] }
  | { kind: "bool"; value: boolean };

/** A field of records, as one array. */
type RecordField = { name: string; values: NumericArray };

/** An HDF5 dataset as read: its values in row-major order and its shape ([] = scalar). */
export type TreeData =
  | { kind: "number"; values: NumericArray }
  | { kind: "bool"; values: Int8Array }
  | { kind: "string"; values: string[] }
  | { kind: "record"; fields: RecordField[] };

/** An HDF5 object as read. */
export type TreeNode =
  | { kind: "group"; attrs: Map<string, TreeAttr>; children: Map<string, TreeNode> }
  | { kind: "dataset"; attrs: Map<string, TreeAttr>; shape: number[]; data: TreeData };

/** Why an object cannot be copied; {@link readTree} turns it into a warning. */
class Uncopyable extends Error {}

/** Groups whose members are independent elements (one may be left out): dicts, the file root. */
function isDict(attrs: Map<string, TreeAttr>): boolean {
  const e = attrs.get("encoding-type");
  return e === undefined || (e.kind === "string" && (e.value === "dict" || e.value === "anndata"));
}

const UNKNOWN_TYPE = "an HDF5 type yoto cannot copy";

/** A zeroed typed array of `n` elements of the integer or float type `md` describes. */
function typedArrayOf(
  md: { type: number; size: number; signed?: boolean },
  n: number,
): NumericArray {
  if (md.type === H5T.FLOAT) {
    if (md.size === 4) return new Float32Array(n);
    if (md.size === 8) return new Float64Array(n);
  } else if (md.type === H5T.INTEGER) {
    const signed = md.signed ?? true;
    if (md.size === 1) return signed ? new Int8Array(n) : new Uint8Array(n);
    if (md.size === 2) return signed ? new Int16Array(n) : new Uint16Array(n);
    if (md.size === 4) return signed ? new Int32Array(n) : new Uint32Array(n);
    if (md.size === 8) return signed ? new BigInt64Array(n) : new BigUint64Array(n);
  }
  throw new Uncopyable(UNKNOWN_TYPE);
}

/** `values` (numbers or bigints) in a typed array of the type `md` describes. */
function numbersOf(md: { type: number; size: number; signed?: boolean }, values: unknown[]) {
  const out = typedArrayOf(md, values.length);
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  values.forEach((v, i) =>
    (out as { [i: number]: unknown })[i] = big ? BigInt(v as number) : Number(v)
  );
  return out;
}

/** A value h5wasm read: a typed array as it is, a scalar as a one-element array. */
function asNumbers(md: Metadata, v: unknown): NumericArray {
  return ArrayBuffer.isView(v) ? v as NumericArray : numbersOf(md, [v]);
}

function readAttr(obj: H5Group | H5Dataset, name: string): TreeAttr {
  const a = obj.attrs[name];
  const md = a.metadata as Metadata;
  const shape = md.shape;
  if (!shape) throw new Uncopyable(`attribute '${name}' is empty (no dataspace)`);
  const v = a.value;
  if (md.type === H5T.STRING) {
    const scalar = shape.length === 0;
    return { kind: "string", value: scalar ? String(v) : (v as unknown[]).map(String), scalar };
  }
  if (isBoolEnum(md)) return { kind: "bool", value: Boolean(Number(v)) };
  if (md.type === H5T.INTEGER || md.type === H5T.FLOAT) {
    return { kind: "number", value: asNumbers(md, v), shape };
  }
  throw new Uncopyable(`attribute '${name}' has ${UNKNOWN_TYPE}`);
}

/** Records of numbers (rec-arrays, e.g. rank_genes_groups' scores) as one array per field. */
function readRecords(ds: H5Dataset, md: Metadata): RecordField[] {
  const members = md.compound_type?.members ?? [];
  if (members.some((m) => m.type === H5T.STRING)) throw new Uncopyable("records with text fields");
  const rows = ds.value as unknown[][];
  return members.map((m, j) => ({ name: m.name, values: numbersOf(m, rows.map((r) => r[j])) }));
}

function readData(ds: H5Dataset): { shape: number[]; data: TreeData } {
  const md = ds.metadata;
  if (md.shape === null || md.shape === undefined) throw new Uncopyable("an empty dataspace");
  const shape = md.shape;
  const v = ds.value;
  if (md.type === H5T.STRING) {
    return {
      shape,
      data: { kind: "string", values: Array.isArray(v) ? v.map(String) : [String(v)] },
    };
  }
  if (isBoolEnum(md)) {
    const values = ArrayBuffer.isView(v) ? Int8Array.from(v as Int8Array) : Int8Array.of(Number(v));
    return { shape, data: { kind: "bool", values } };
  }
  if (md.type === H5T.INTEGER || md.type === H5T.FLOAT) {
    return { shape, data: { kind: "number", values: asNumbers(md, v) } };
  }
  if (md.type === H5T.COMPOUND) {
    return { shape, data: { kind: "record", fields: readRecords(ds, md) } };
  }
  throw new Uncopyable(UNKNOWN_TYPE);
}

function readNode(
  obj: Entity,
  path: string,
  warn: (message: string) => void,
  required: ReadonlySet<string>,
): TreeNode {
  if (!isGroup(obj) && !isDataset(obj)) {
    throw new Uncopyable("a link or object that is not a group or dataset");
  }
  const attrs = new Map<string, TreeAttr>();
  for (const name of Object.keys(obj.attrs)) {
    try {
      attrs.set(name, readAttr(obj, name));
    } catch (err) {
      if (!(err instanceof Uncopyable)) throw err;
      warn(`not copied: ${path} attribute '${name}' (${err.message})`);
    }
  }
  if (isDataset(obj)) {
    try {
      return { kind: "dataset", attrs, ...readData(obj) };
    } catch (err) {
      if (err instanceof Uncopyable) throw err;
      throw new Uncopyable(`HDF5 cannot read it: ${(err as Error).message}`);
    }
  }
  const children = new Map<string, TreeNode>();
  const dict = isDict(attrs);
  for (const name of obj.keys()) {
    const at = path ? `${path}/${name}` : name;
    try {
      children.set(name, readNode(obj.get(name)!, at, warn, required));
    } catch (err) {
      // a dict's members stand alone; anything else (a dataframe, a matrix) is whole or nothing
      if (!(err instanceof Uncopyable) || !dict) throw err;
      if (required.has(at)) throw new Uncopyable(`'${at}' (${err.message})`);
      warn(`not copied: ${at} (${err.message})`);
    }
  }
  return { kind: "group", attrs, children };
}

/**
 * The object at `path` (a group or dataset of an open file) with everything below it. An
 * element that cannot be copied is left out of the dict holding it, through `warn`, unless its
 * path is `required`; one whose enclosing element is not a dict makes that element uncopyable
 * too. What makes `obj` itself or a required element uncopyable is returned as a string.
 */
export function readTree(
  obj: Entity,
  path: string,
  warn: (message: string) => void,
  required: ReadonlySet<string> = new Set(),
): TreeNode | string {
  try {
    return readNode(obj, path, warn, required);
  } catch (err) {
    if (err instanceof Uncopyable) return err.message;
    throw err;
  }
}

function writeAttrs(obj: H5Group | H5Dataset, attrs: Map<string, TreeAttr>, bools: BoolWriter) {
  for (const [name, a] of attrs) {
    if (a.kind === "string") {
      if (a.scalar) obj.create_attribute(name, a.value);
      else obj.create_attribute(name, a.value, null, "S");
    } else if (a.kind === "number") obj.create_attribute(name, a.value, a.shape);
    // HDF5 moves the attributes of an object holding more than 8 out of its header, where the
    // h5py boolean patch cannot reach them: such a flag stays a 0/1 integer.
    else if (attrs.size > 8) obj.create_attribute(name, Int8Array.of(Number(a.value)), []);
    else bools.attribute(obj, name, a.value);
  }
}

/** Write the attributes and members of the group `node` into the existing group `g`. */
export function writeGroup(
  g: H5Group,
  node: Extract<TreeNode, { kind: "group" }>,
  compress: boolean,
  bools: BoolWriter,
): void {
  writeAttrs(g, node.attrs, bools);
  for (const [name, sub] of node.children) writeTree(g, name, sub, compress, bools);
}

/** Write `node` as `name` under `parent`; numbers gzip-compressed when `compress`. */
export function writeTree(
  parent: H5Group,
  name: string,
  node: TreeNode,
  compress: boolean,
  bools: BoolWriter,
): void {
  if (node.kind === "group") {
    writeGroup(parent.create_group(name), node, compress, bools);
    return;
  }
  const { data, shape } = node;
  let ds: H5Dataset;
  if (data.kind === "number") ds = writeNumbers(parent, name, data.values, shape, compress);
  else if (data.kind === "bool") ds = bools.dataset(parent, name, data.values, shape, compress);
  else if (data.kind === "string") {
    ds = parent.create_dataset({
      name,
      data: shape.length ? data.values : data.values[0],
      shape,
      dtype: "S",
    });
  } else {
    ds = parent.create_dataset({
      name,
      data: new Map(data.fields.map((f) => [f.name, f.values])),
      shape,
      dtype: data.fields.map((f) => [f.name, dtypeOf(f.values)]) as [string, string][],
    });
  }
  writeAttrs(ds, node.attrs, bools);
}

/** numpy's type string of a typed array, as h5wasm takes it. */
function dtypeOf(a: NumericArray): string {
  const size = a.BYTES_PER_ELEMENT;
  if (a instanceof Float32Array || a instanceof Float64Array) return `<${size === 4 ? "f" : "d"}`;
  const signed = a instanceof Int8Array || a instanceof Int16Array || a instanceof Int32Array ||
    a instanceof BigInt64Array;
  const code = { 1: "b", 2: "h", 4: "i", 8: "q" }[size]!;
  return `<${signed ? code : code.toUpperCase()}`;
}

// ---- subsetting ---------------------------------------------------------------------------------

type Column = NumericArray | Int8Array | string[];

/** Take positions `idx` along `axis` of row-major `values` of `shape`. */
function gather<T extends Column>(
  values: T,
  shape: number[],
  axis: number,
  idx: ArrayLike<number>,
): T {
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const n = shape[axis], m = idx.length;
  const out =
    (Array.isArray(values)
      ? new Array(outer * m * inner)
      : new (values.constructor as new (n: number) => NumericArray)(outer * m * inner)) as T;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < m; r++) {
      const from = (o * n + idx[r]) * inner, to = (o * m + r) * inner;
      for (let k = 0; k < inner; k++) (out as { [i: number]: unknown })[to + k] = values[from + k];
    }
  }
  return out;
}

function gatherData(
  data: TreeData,
  shape: number[],
  axis: number,
  idx: ArrayLike<number>,
): TreeData {
  if (data.kind === "record") {
    return {
      kind: "record",
      fields: data.fields.map((f) => ({ ...f, values: gather(f.values, shape, axis, idx) })),
    };
  }
  return { ...data, values: gather(data.values, shape, axis, idx) } as TreeData;
}

function takeDataset(
  node: Extract<TreeNode, { kind: "dataset" }>,
  axis: number,
  idx: ArrayLike<number>,
): TreeNode | undefined {
  if (node.shape.length <= axis) return undefined;
  const shape = node.shape.map((d, i) => (i === axis ? idx.length : d));
  return { ...node, shape, data: gatherData(node.data, node.shape, axis, idx) };
}

function numbers(node: TreeNode | undefined): NumericArray | undefined {
  return node?.kind === "dataset" && node.data.kind === "number" ? node.data.values : undefined;
}

/** An array of the type of `like` (BigInt64 for int64 indices) holding `values`. */
function sameType(like: NumericArray, values: Float64Array): NumericArray {
  if (like instanceof BigInt64Array || like instanceof BigUint64Array) {
    const out = new (like.constructor as BigInt64ArrayConstructor)(values.length);
    for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]);
    return out;
  }
  return new (like.constructor as new (a: ArrayLike<number>) => NumericArray)(values);
}

/**
 * A csr/csc group with its major axis (rows of csr, columns of csc) or minor axis taken at
 * `idx`; the other axis kept. Entries of a major slice stay sorted by minor index.
 */
function takeSparse(
  node: Extract<TreeNode, { kind: "group" }>,
  major: boolean,
  axis: number,
  idx: ArrayLike<number>,
): TreeNode | undefined {
  const shapeAttr = node.attrs.get("shape");
  const ptr = numbers(node.children.get("indptr")), ind = numbers(node.children.get("indices"));
  const data = node.children.get("data");
  if (shapeAttr?.kind !== "number" || !ptr || !ind || data?.kind !== "dataset") return undefined;
  // int64 indices arrive as bigints
  const indptr = (i: number) => Number(ptr[i]), index = (p: number) => Number(ind[p]);
  const nMajor = ptr.length - 1;
  let outPtr: Float64Array, outInd: Float64Array, take: Float64Array;
  if (major) {
    outPtr = new Float64Array(idx.length + 1);
    for (let r = 0; r < idx.length; r++) {
      outPtr[r + 1] = outPtr[r] + indptr(idx[r] + 1) - indptr(idx[r]);
    }
    outInd = new Float64Array(outPtr[idx.length]), take = new Float64Array(outInd.length);
    for (let r = 0, q = 0; r < idx.length; r++) {
      for (let p = indptr(idx[r]); p < indptr(idx[r] + 1); p++, q++) {
        take[q] = p, outInd[q] = index(p);
      }
    }
  } else {
    const newIndex = new Int32Array(Number(shapeAttr.value[axis])).fill(-1);
    for (let r = 0; r < idx.length; r++) newIndex[idx[r]] = r;
    outPtr = new Float64Array(nMajor + 1);
    for (let i = 0; i < nMajor; i++) {
      let kept = 0;
      for (let p = indptr(i); p < indptr(i + 1); p++) if (newIndex[index(p)] >= 0) kept++;
      outPtr[i + 1] = outPtr[i] + kept;
    }
    outInd = new Float64Array(outPtr[nMajor]), take = new Float64Array(outInd.length);
    for (let i = 0, q = 0; i < nMajor; i++) {
      for (let p = indptr(i); p < indptr(i + 1); p++) {
        const j = newIndex[index(p)];
        if (j < 0) continue;
        // insertion into the slice so far keeps it sorted by the new minor index
        let at = q++;
        for (; at > outPtr[i] && outInd[at - 1] > j; at--) {
          outInd[at] = outInd[at - 1], take[at] = take[at - 1];
        }
        outInd[at] = j, take[at] = p;
      }
    }
  }
  const shape = Float64Array.from(shapeAttr.value, Number);
  shape[axis] = idx.length;
  const children = new Map(node.children);
  const replace = (name: string, values: Column) => {
    const old = node.children.get(name) as Extract<TreeNode, { kind: "dataset" }>;
    children.set(name, {
      ...old,
      shape: [values.length],
      data: { ...old.data, values } as TreeData,
    });
  };
  replace("indptr", sameType(ptr, outPtr));
  replace("indices", sameType(ind, outInd));
  const values = (data.data as { values: Column }).values;
  replace("data", gather(values, [values.length], 0, take));
  const attrs = new Map(node.attrs);
  attrs.set("shape", { ...shapeAttr, value: sameType(shapeAttr.value, shape) });
  return { ...node, attrs, children };
}

/** Every per-row member of a dataframe (index and columns; categorical codes, nullable values
 * and masks) taken at `idx`; `__categories` and categories are kept. */
function takeFrame(
  node: Extract<TreeNode, { kind: "group" }>,
  idx: ArrayLike<number>,
): TreeNode | undefined {
  const children = new Map<string, TreeNode>();
  for (const [name, child] of node.children) {
    if (name === "__categories") children.set(name, child);
    else if (child.kind === "dataset") {
      const taken = takeDataset(child, 0, idx);
      if (!taken) return undefined;
      children.set(name, taken);
    } else {
      const parts = new Map<string, TreeNode>();
      for (const [part, sub] of child.children) {
        const taken = part === "categories"
          ? sub
          : sub.kind === "dataset"
          ? takeDataset(sub, 0, idx)
          : undefined;
        if (!taken) return undefined;
        parts.set(part, taken);
      }
      children.set(name, { ...child, children: parts });
    }
  }
  return { ...node, children };
}

function encodingOf(node: TreeNode): string | undefined {
  const e = node.attrs.get("encoding-type");
  return e?.kind === "string" && typeof e.value === "string" ? e.value : undefined;
}

/**
 * The element with rows (first axis) `idx`: an array, a sparse matrix or a dataframe; undefined
 * when it is none of these (its rows are unknown to yoto).
 */
export function takeRows(node: TreeNode, idx: ArrayLike<number>): TreeNode | undefined {
  if (node.kind === "dataset") return takeDataset(node, 0, idx);
  const encoding = encodingOf(node);
  if (encoding === "csr_matrix" || encoding === "csc_matrix") {
    return takeSparse(node, encoding === "csr_matrix", 0, idx);
  }
  return encoding === "dataframe" ? takeFrame(node, idx) : undefined;
}

/** The element with columns (second axis) `idx`: a 2-D array or a sparse matrix; else undefined. */
export function takeColumns(node: TreeNode, idx: ArrayLike<number>): TreeNode | undefined {
  if (node.kind === "dataset") return takeDataset(node, 1, idx);
  const encoding = encodingOf(node);
  if (encoding === "csr_matrix" || encoding === "csc_matrix") {
    return takeSparse(node, encoding === "csc_matrix", 1, idx);
  }
  return undefined;
}

/** A dataset node of numbers or booleans with anndata's `array` encoding (a dataframe column). */
export function arrayNode(values: NumericArray | { bool: Int8Array }): TreeNode {
  const attrs = new Map<string, TreeAttr>([
    ["encoding-type", { kind: "string", value: "array", scalar: true }],
    ["encoding-version", { kind: "string", value: "0.2.0", scalar: true }],
  ]);
  const data: TreeData = "bool" in values
    ? { kind: "bool", values: values.bool }
    : { kind: "number", values };
  return { kind: "dataset", attrs, shape: [data.values.length], data };
}
