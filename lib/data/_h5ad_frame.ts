/**
 * AnnData dataframes (`obs`, `var`, `raw/var`) in `.h5ad` files (private to lib/data).
 * Reads the current encoding (dataframe 0.2.0: categoricals as categories/codes groups), the
 * anndata 0.7 one (dataframe 0.1.0: codes as int columns, categories in `__categories`) and
 * anndata's nullable-integer / nullable-boolean / nullable-string-array columns.
 * @module
 */
import { encodeCategorical, type ObsColumn } from "./dataset.ts";
import { FileFormatError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";
import type { BoolWriter } from "./_h5ad_bool.ts";
import {
  asFloat64,
  asInt32,
  attr,
  attrString,
  attrStrings,
  child,
  type Entity,
  type H5Dataset,
  type H5File,
  type H5Group,
  H5T,
  isBoolEnum,
  isDataset,
  isGroup,
  readStrings,
  requireDataset,
  setEncoding,
  writeNumbers,
  writeStrings,
} from "./_h5ad_hdf5.ts";

/** A dataframe column as read; booleans hold 1, 0 or -1 = missing. */
export type FrameColumn =
  | { kind: "categorical"; codes: Int32Array; categories: string[]; ordered?: boolean }
  | { kind: "numeric"; values: Float64Array }
  | { kind: "string"; values: (string | null)[] }
  | { kind: "boolean"; values: Int8Array };

/** A dataframe as read: its index (name and values) and its columns in column order. */
export interface Frame {
  indexName: string;
  index: string[];
  columns: [string, FrameColumn][];
}

const NOT_ANNDATA = "the file is not valid AnnData; write it again with anndata";

/** Missing flags of a nullable column's `mask` (true = missing). */
function readMask(group: H5Group, field: string, file: string): Int32Array {
  return asInt32(requireDataset(group, "mask", field, file).value, `${field}/mask`, file);
}

/** `{ ordered: true }` when the categorical's `ordered` attribute is set (h5py bool or 0/1). */
function orderedFlag(obj: H5Group | H5Dataset): { ordered?: boolean } {
  return Number(attr(obj, "ordered") ?? 0) ? { ordered: true } : {};
}

function readGroupColumn(g: H5Group, field: string, file: string): FrameColumn | undefined {
  const values = () => requireDataset(g, "values", field, file);
  switch (attrString(g, "encoding-type")) {
    case "categorical":
      return {
        kind: "categorical",
        codes: asInt32(requireDataset(g, "codes", field, file).value, `${field}/codes`, file),
        categories: readStrings(requireDataset(g, "categories", field, file)),
        ...orderedFlag(g),
      };
    case "nullable-integer": {
      const nums = asFloat64(values().value, `${field}/values`, file);
      readMask(g, field, file).forEach((m, i) => {
        if (m) nums[i] = NaN;
      });
      return { kind: "numeric", values: nums };
    }
    case "nullable-boolean": {
      const flags = Int8Array.from(
        asInt32(values().value, `${field}/values`, file),
        (b) => (b ? 1 : 0),
      );
      readMask(g, field, file).forEach((m, i) => {
        if (m) flags[i] = -1;
      });
      return { kind: "boolean", values: flags };
    }
    case "nullable-string-array": {
      const mask = readMask(g, field, file);
      return { kind: "string", values: readStrings(values()).map((s, i) => (mask[i] ? null : s)) };
    }
    default:
      return undefined;
  }
}

function readDatasetColumn(
  ds: H5Dataset,
  legacyCategories: Entity | null,
  field: string,
  file: string,
): FrameColumn | undefined {
  if (isDataset(legacyCategories)) {
    return {
      kind: "categorical",
      codes: asInt32(ds.value, field, file),
      categories: readStrings(legacyCategories),
      ...orderedFlag(legacyCategories),
    };
  }
  const md = ds.metadata;
  if (md.shape?.length !== 1) return undefined;
  if (md.type === H5T.STRING) return { kind: "string", values: ds.value as string[] };
  if (isBoolEnum(md)) return { kind: "boolean", values: Int8Array.from(ds.value as Int8Array) };
  if (md.type === H5T.INTEGER || md.type === H5T.FLOAT) {
    return { kind: "numeric", values: asFloat64(ds.value, field, file) };
  }
  return undefined;
}

/** The dataframe group at `path`, its index name and its index. */
export function readFrameIndex(
  root: H5File,
  path: string,
  file: string,
): { g: H5Group; indexName: string; index: string[] } {
  const g = child(root, path);
  if (isDataset(g) && g.metadata.type === H5T.COMPOUND) {
    throw new FileFormatError(`'${path}' is a table of records: the anndata < 0.7 layout`, {
      file,
      field: path,
      fix: "convert it once with a current anndata: anndata.read_h5ad(old).write_h5ad(new)",
    });
  }
  if (!isGroup(g)) {
    throw new FileFormatError(`no '${path}' dataframe`, { file, field: path, fix: NOT_ANNDATA });
  }
  const indexName = attrString(g, "_index");
  if (indexName === undefined) {
    throw new FileFormatError(`dataframe '${path}' has no _index attribute`, {
      file,
      field: path,
      fix: NOT_ANNDATA,
    });
  }
  return { g, indexName, index: readStrings(requireDataset(g, indexName, path, file)) };
}

/**
 * Read the dataframe at `path`. Columns of an encoding this reader does not know are skipped
 * through `warn`; a column whose length differs from the index is a ShapeMismatchError.
 */
export function readFrame(
  root: H5File,
  path: string,
  file: string,
  warn: (message: string) => void,
): Frame {
  const { g, indexName, index } = readFrameIndex(root, path, file);
  const legacy = child(g, "__categories");
  const columns: [string, FrameColumn][] = [];
  for (const name of attrStrings(g, "column-order")) {
    const field = `${path}/${name}`;
    const elem = child(g, name);
    if (elem === null) {
      throw new FileFormatError(`column-order names '${name}' but there is no such column`, {
        file,
        field,
        fix: NOT_ANNDATA,
      });
    }
    const col = isGroup(elem)
      ? readGroupColumn(elem, field, file)
      : isDataset(elem)
      ? readDatasetColumn(elem, isGroup(legacy) ? child(legacy, name) : null, field, file)
      : undefined;
    if (col === undefined) {
      warn(`skipped column '${field}': its encoding is not one yoto reads`);
      continue;
    }
    const n = col.kind === "categorical" ? col.codes.length : col.values.length;
    if (n !== index.length) {
      throw new ShapeMismatchError(`column has ${n} entries but the index has ${index.length}`, {
        file,
        field,
        fix: NOT_ANNDATA,
      });
    }
    columns.push([name, col]);
  }
  return { indexName, index, columns };
}

/** An obs column from a dataframe column; booleans become a "False"/"True" categorical. */
export function toObsColumn(col: FrameColumn): ObsColumn {
  if (col.kind !== "boolean") return col;
  return { kind: "categorical", codes: Int32Array.from(col.values), categories: ["False", "True"] };
}

/** A var field from a dataframe column: categoricals decoded, NaN and missing as null. */
export function toVarField(col: FrameColumn): (string | number | boolean | null)[] {
  switch (col.kind) {
    case "categorical":
      return Array.from(col.codes, (c) => (c < 0 ? null : col.categories[c]));
    case "numeric":
      return Array.from(col.values, (v) => (Number.isNaN(v) ? null : v));
    case "string":
      return col.values;
    case "boolean":
      return Array.from(col.values, (v) => (v < 0 ? null : v === 1));
  }
}

/** A column to write: an obs column, or booleans (0/1) written as h5py's bool. */
export type WriteColumn = ObsColumn | { kind: "boolean"; values: Int8Array };

/**
 * The column to write for a var field: numbers (int32 when all are integers, else float64 with
 * NaN = missing); booleans without nulls as booleans; anything else as strings.
 */
export function varFieldColumn(
  values: readonly (string | number | boolean | null)[],
): WriteColumn {
  if (values.every((v) => v === null || typeof v === "number")) {
    const ints = values.every((v) => Number.isInteger(v) && Math.abs(v as number) < 0x80000000);
    return {
      kind: "numeric",
      values: ints
        ? Int32Array.from(values as number[])
        : Float64Array.from(values, (v) => (v ?? NaN) as number),
    };
  }
  if (values.every((v) => typeof v === "boolean")) {
    return { kind: "boolean", values: Int8Array.from(values, Number) };
  }
  return { kind: "string", values: values.map((v) => (v === null ? null : String(v))) };
}

function checkColumnName(name: string, frame: string, taken: string): void {
  if (name === "" || name.includes("/") || name === "__categories" || name === taken) {
    throw new OptionError(`${frame} column name '${name}' cannot be stored in an .h5ad file`, {
      field: name,
      fix: `rename the column (no '/', not empty, not '__categories' or '${taken}')`,
    });
  }
}

function writeCategorical(
  g: H5Group,
  name: string,
  col: { codes: Int32Array; categories: string[]; ordered?: boolean },
  compress: boolean,
  bools: BoolWriter,
): void {
  const { codes, categories } = col;
  const cat = g.create_group(name);
  setEncoding(cat, "categorical", "0.2.0");
  // anndata 0.8 hands `ordered` to pandas as read, which must be a bool: h5py's enum type.
  bools.attribute(cat, "ordered", col.ordered ?? false);
  writeStrings(cat, "categories", categories);
  const n = categories.length;
  const small = n <= 0x7f ? Int8Array.from(codes) : n <= 0x7fff ? Int16Array.from(codes) : codes;
  setEncoding(writeNumbers(cat, "codes", small, [codes.length], compress), "array", "0.2.0");
}

/** Write one column the way anndata does; strings with nulls become a categorical, as anndata
 * itself stores them. */
function writeColumn(
  g: H5Group,
  name: string,
  col: WriteColumn,
  compress: boolean,
  bools: BoolWriter,
): void {
  const n = [col.kind === "categorical" ? col.codes.length : col.values.length];
  if (col.kind === "categorical") writeCategorical(g, name, col, compress, bools);
  else if (col.kind === "numeric") {
    setEncoding(writeNumbers(g, name, col.values, n, compress), "array", "0.2.0");
  } else if (col.kind === "boolean") {
    setEncoding(bools.dataset(g, name, col.values, n, compress), "array", "0.2.0");
  } else if (col.values.includes(null)) {
    writeCategorical(g, name, encodeCategorical(col.values), compress, bools);
  } else writeStrings(g, name, col.values as string[]);
}

/** Write a dataframe group: index `indexName` holding `index`, then the columns in order. */
export function writeFrame(
  parent: H5Group,
  path: string,
  indexName: string,
  index: string[],
  columns: [string, WriteColumn][],
  compress: boolean,
  bools: BoolWriter,
): void {
  for (const [name] of columns) checkColumnName(name, path, indexName);
  const g = parent.create_group(path);
  g.create_attribute("_index", indexName);
  const order = columns.map(([name]) => name);
  // anndata writes an empty float array when there are no columns.
  if (order.length) g.create_attribute("column-order", order, null, "S");
  else g.create_attribute("column-order", new Float64Array(0));
  setEncoding(g, "dataframe", "0.2.0");
  writeStrings(g, indexName, index);
  for (const [name, col] of columns) writeColumn(g, name, col, compress, bools);
}
