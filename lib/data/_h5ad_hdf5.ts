/**
 * HDF5 plumbing for the `.h5ad` reader and writer (private to lib/data): opening a file with
 * clear errors, reading attributes, converting h5wasm's arrays to the Dataset's array types and
 * writing anndata-style arrays with their encoding attributes.
 * @module
 */
import h5wasm, {
  type Dataset as H5Dataset,
  type Entity,
  type File as H5File,
  type Group as H5Group,
  type Metadata,
  type OutputData,
} from "h5wasm/node";
import { DataValueError, FileFormatError, YotoError } from "../runtime/errors.ts";

export type { Entity, H5Dataset, H5File, H5Group };

/** HDF5 datatype classes (H5T_class_t) as h5wasm reports them in `metadata.type`. */
export const H5T = { INTEGER: 0, FLOAT: 1, STRING: 3, COMPOUND: 6, ENUM: 8 } as const;

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const HEAD_BYTES = 64;

/** File size the superblock declares (base address + end-of-file address); undefined if unknown. */
function declaredSize(head: Uint8Array): number | undefined {
  const version = head[8];
  let offsetSize: number, baseAt: number;
  if (version === 0 || version === 1) [offsetSize, baseAt] = [head[13], version === 0 ? 24 : 28];
  else if (version === 2 || version === 3) [offsetSize, baseAt] = [head[9], 12];
  else return undefined;
  const eofAt = baseAt + 2 * offsetSize; // base, then one address we skip, then end-of-file
  if ((offsetSize !== 4 && offsetSize !== 8) || eofAt + offsetSize > head.length) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const address = (at: number) =>
    offsetSize === 8 ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true);
  return address(baseAt) + address(eofAt);
}

/** The file's size and first bytes; FileFormatError when it is missing or unreadable. */
async function readStart(path: string): Promise<{ size: number; head: Uint8Array }> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) {
      throw new FileFormatError("not a file", {
        file: path,
        fix: "pass the path of an .h5ad file",
      });
    }
    const head = new Uint8Array(HEAD_BYTES);
    using file = await Deno.open(path);
    let n = 0;
    while (n < HEAD_BYTES) {
      const got = await file.read(head.subarray(n));
      if (got === null) break;
      n += got;
    }
    return { size: info.size, head: head.subarray(0, n) };
  } catch (err) {
    if (err instanceof YotoError) throw err;
    if (err instanceof Deno.errors.NotFound) {
      throw new FileFormatError("file not found", { file: path, fix: "check the path" });
    }
    throw new FileFormatError(`cannot read the file (${(err as Error).message})`, {
      file: path,
      fix: "check the path and the file's permissions",
    });
  }
}

/**
 * Open an HDF5 file for reading. Missing, empty, non-HDF5 and truncated files are caught here,
 * before h5wasm sees them (it would fail with a bare message and HDF5 diagnostics on stderr).
 */
export async function openForRead(path: string): Promise<H5File> {
  const { size, head } = await readStart(path);
  if (size === 0) {
    throw new FileFormatError("the file is empty (0 bytes)", {
      file: path,
      fix: "the file was not written completely; write it again (e.g. adata.write_h5ad)",
    });
  }
  if (!HDF5_SIGNATURE.every((b, i) => head[i] === b)) {
    throw new FileFormatError("not an HDF5 file (an .h5ad file starts with the HDF5 signature)", {
      file: path,
      fix:
        "pass an .h5ad file written by anndata/scanpy; for other formats use .arrow, .mtx or .csv",
    });
  }
  const declared = declaredSize(head);
  if (declared !== undefined && declared > size) {
    throw new FileFormatError(`the file is truncated: ${size} of ${declared} bytes`, {
      file: path,
      fix: "the copy or download was cut short; copy the file again",
    });
  }
  await h5wasm.ready;
  try {
    return new h5wasm.File(path, "r");
  } catch (err) {
    throw new FileFormatError(`HDF5 cannot open it (${(err as Error).message})`, {
      file: path,
      fix: "the file is damaged; write or copy it again",
    });
  }
}

/** Create (truncate) an HDF5 file for writing. */
export async function openForWrite(path: string): Promise<H5File> {
  await h5wasm.ready;
  return new h5wasm.File(path, "w");
}

export function isGroup(e: Entity | null): e is H5Group {
  return e instanceof h5wasm.Group;
}

export function isDataset(e: Entity | null): e is H5Dataset {
  return e instanceof h5wasm.Dataset;
}

/** The object at a relative `path` ("raw/X"), or null when absent; looks before it gets, since
 * h5wasm prints HDF5 diagnostics for missing paths. */
export function child(group: H5Group, path: string): Entity | null {
  let at: Entity | null = group;
  for (const name of path.split("/")) {
    if (!isGroup(at) || !at.keys().includes(name)) return null;
    at = at.get(name);
  }
  return at;
}

/** A dataset member that must exist; FileFormatError naming `field` otherwise. */
export function requireDataset(
  group: H5Group,
  name: string,
  field: string,
  file: string,
): H5Dataset {
  const e = child(group, name);
  if (!isDataset(e)) {
    throw new FileFormatError(`no '${field}/${name}' array`, {
      file,
      field: `${field}/${name}`,
      fix: "the file is not valid AnnData; write it again with anndata",
    });
  }
  return e;
}

export function attr(obj: H5Group | H5Dataset, name: string): OutputData | null | undefined {
  const attrs = obj.attrs;
  return name in attrs ? attrs[name].value : undefined;
}

export function attrString(obj: H5Group | H5Dataset, name: string): string | undefined {
  const v = attr(obj, name);
  return typeof v === "string" ? v : undefined;
}

/** A string-array attribute (anndata writes an empty float array when there are none). */
export function attrStrings(obj: H5Group | H5Dataset, name: string): string[] {
  const v = attr(obj, name);
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.map(String) : [];
}

export function attrNumbers(obj: H5Group | H5Dataset, name: string): number[] | undefined {
  const v = attr(obj, name);
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<unknown>, Number);
  return undefined;
}

/** True for h5py's boolean type: an enum with members FALSE = 0 and TRUE = 1. */
export function isBoolEnum(md: Metadata): boolean {
  const members = md.enum_type?.members;
  return md.type === H5T.ENUM && members?.FALSE === 0 && members?.TRUE === 1 &&
    Object.keys(members).length === 2;
}

export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;
type PlainNumericArray = Exclude<NumericArray, BigInt64Array | BigUint64Array>;

function numeric(v: OutputData | null, field: string, file: string): NumericArray {
  if (ArrayBuffer.isView(v) && !(v instanceof Uint8ClampedArray)) return v as NumericArray;
  throw new FileFormatError(`'${field}' is not a numeric array`, {
    file,
    field,
    fix: "the file is not valid AnnData; write it again with anndata",
  });
}

/** int64/uint64 arrives as BigInt64Array; plain numbers are exact below 2^53. */
function plain(a: NumericArray): PlainNumericArray {
  return a instanceof BigInt64Array || a instanceof BigUint64Array
    ? Float64Array.from(a, Number)
    : a;
}

export function asFloat32(v: OutputData | null, field: string, file: string): Float32Array {
  const a = numeric(v, field, file);
  return a instanceof Float32Array ? a : new Float32Array(plain(a));
}

export function asFloat64(v: OutputData | null, field: string, file: string): Float64Array {
  const a = numeric(v, field, file);
  return a instanceof Float64Array ? a : new Float64Array(plain(a));
}

/** Indices, pointers and codes as Int32Array; DataValueError when a value does not fit. */
export function asInt32(v: OutputData | null, field: string, file: string): Int32Array {
  const a = numeric(v, field, file);
  if (a instanceof Int32Array) return a;
  const nums = plain(a);
  for (const x of nums) {
    if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) {
      throw new DataValueError(`'${field}' holds ${x}, which is not a 32-bit integer`, {
        file,
        field,
        fix: "yoto handles up to 2^31 - 1 non-zeros and genes; subset the data first",
      });
    }
  }
  return new Int32Array(nums);
}

/** Strings of a 1-D dataset; numbers and booleans (e.g. numeric categories) as pandas prints them. */
export function readStrings(ds: H5Dataset): string[] {
  const v = ds.value;
  if (isBoolEnum(ds.metadata)) return Array.from(v as Int8Array, (b) => (b ? "True" : "False"));
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<unknown>, String);
  return [String(v)];
}

/** Set anndata's `encoding-type` and `encoding-version` attributes. */
export function setEncoding(obj: H5Group | H5Dataset, type: string, version: string): void {
  obj.create_attribute("encoding-type", type);
  obj.create_attribute("encoding-version", version);
}

/** Elements per gzip chunk: large enough that h5wasm's per-chunk overhead stays small. */
const CHUNK_ELEMENTS = 1 << 16;

/** Write a numeric array (row-major `shape`; [] = scalar), gzip-compressed in chunks when asked. */
export function writeNumbers(
  group: H5Group,
  name: string,
  data: NumericArray,
  shape: number[],
  compress: boolean,
): H5Dataset {
  const rowLength = shape.slice(1).reduce((a, b) => a * b, 1);
  const chunked = compress && shape.length > 0 && shape.every((d) => d > 0);
  const rows = Math.min(shape[0], Math.max(1, Math.floor(CHUNK_ELEMENTS / rowLength)));
  return group.create_dataset({
    name,
    data,
    shape,
    ...(chunked ? { chunks: [rows, ...shape.slice(1)], compression: "gzip" as const } : {}),
  });
}

/** Write strings as anndata's string-array: variable-length UTF-8, like h5py writes them. */
export function writeStrings(group: H5Group, name: string, values: string[]): H5Dataset {
  // h5wasm cannot compress variable-length strings, so they are stored plain.
  const ds = group.create_dataset({ name, data: values, shape: [values.length], dtype: "S" });
  setEncoding(ds, "string-array", "0.2.0");
  return ds;
}
