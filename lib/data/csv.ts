/**
 * Dense delimited expression tables (CSV / TSV, optionally gzipped) and obs tables.
 *
 * Obs column types: a column is numeric when every non-missing value is an unquoted number;
 * otherwise it is categorical (TRUE/FALSE included: there is no boolean obs kind). Missing is an
 * unquoted empty field or `NA`; a quoted field is always text, so `"1016"` stays a label (R's
 * write.csv quotes text, and writeObsCsv quotes text that would otherwise read as a number).
 * @module
 */
import { basename } from "node:path";
import { gzipSync } from "node:zlib";
import { type CsrMatrix, Dataset, encodeCategorical, type ObsColumn } from "./dataset.ts";
import {
  alignHeader,
  checkUniqueIds,
  countProblem,
  cscToCsr,
  type CsvRecord,
  FIELD,
  parseNumberText,
  raggedRow,
  readBytes,
  resolveDelimiter,
  Scanner,
} from "./_text.ts";
import { writeFileAtomic } from "../runtime/atomic.ts";
import {
  DataValueError,
  FileFormatError,
  MissingFieldError,
  OptionError,
} from "../runtime/errors.ts";
import { Progress } from "../runtime/progress.ts";

/**
 * An obs table read from CSV: cell ids (first column, or `idColumn`) and the other columns.
 *
 * @example
 * ```ts
 * import type { ObsTable } from "yoto";
 * const table: ObsTable = { ids: ["c1"], indexName: "cell_id", columns: { n: { kind: "numeric", values: new Float64Array([3]) } } };
 * ```
 */
export interface ObsTable {
  ids: string[];
  columns: Record<string, ObsColumn>;
  /** Header of the id column ("cell_id" when it is empty, as in R's write.csv). */
  indexName: string;
}

/**
 * Options of readObsCsv.
 *
 * @example
 * ```ts
 * import type { ReadObsCsvOptions } from "yoto";
 * const options: ReadObsCsvOptions = { idColumn: "barcode", delimiter: "\t" };
 * ```
 */
export interface ReadObsCsvOptions {
  /** The column holding cell ids (default: the first). */
  idColumn?: string;
  /** Field separator (default "auto": tab or comma, whichever the header has more of). */
  delimiter?: "," | "\t" | "auto";
}

/**
 * Read an obs table (header row, one row per cell). Ids must be unique and non-empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readObsCsv } from "yoto";
 * const path = `${await Deno.makeTempDir()}/obs.csv`;
 * await Deno.writeTextFile(path, "cell_id,stim,n\nc1,CTRL,3\nc2,STIM,\n");
 * const t = await readObsCsv(path);
 * assert.equal(t.ids[1], "c2");
 * assert.equal(t.columns.n.kind, "numeric");
 * assert.equal(t.indexName, "cell_id");
 * ```
 */
export async function readObsCsv(path: string, options: ReadObsCsvOptions = {}): Promise<ObsTable> {
  const buf = await readBytes(path);
  const sc = new Scanner(buf, path, resolveDelimiter(options.delimiter, buf));
  const headerRecord = sc.record();
  if (!headerRecord) {
    throw new FileFormatError("file is empty", {
      file: path,
      fix: "give a header row, then one row per cell",
    });
  }
  const rows: CsvRecord[] = [];
  for (let r = sc.record(); r; r = sc.record()) rows.push(r);
  const header = alignHeader(headerRecord, rows[0] ?? null);
  for (const r of rows) {
    if (r.fields.length !== header.length) {
      throw raggedRow(r.line, r.fields.length, header.length, path);
    }
  }
  const idCol = options.idColumn === undefined ? 0 : header.indexOf(options.idColumn);
  if (idCol < 0) {
    throw new MissingFieldError(`no column '${options.idColumn}'`, {
      file: path,
      field: options.idColumn,
      fix: `use one of: ${header.join(", ")}`,
    });
  }
  header.forEach((name, k) => {
    if (k === idCol) return;
    if (name === "" || header.indexOf(name) !== k) {
      throw new FileFormatError(
        `header column ${k + 1} ${name ? `'${name}' is repeated` : "has no name"}`,
        {
          file: path,
          fix: "give every column a distinct name",
        },
      );
    }
  });
  const ids = rows.map((r) => r.fields[idCol]);
  const empty = ids.indexOf("");
  if (empty >= 0) {
    throw new DataValueError(`line ${rows[empty].line} has an empty cell id`, {
      file: path,
      fix: "give every row an id",
    });
  }
  checkUniqueIds(ids, "cell id", path);
  const columns: Record<string, ObsColumn> = {};
  header.forEach((name, k) => {
    if (k !== idCol) {
      columns[name] = obsColumn(
        rows.map((r) => r.fields[k]),
        rows.map((r) => r.quoted[k]),
      );
    }
  });
  return { ids, columns, indexName: header[idCol] || "cell_id" };
}

function obsColumn(texts: string[], quoted: boolean[]): ObsColumn {
  const missing = (i: number) => !quoted[i] && (texts[i] === "" || texts[i] === "NA");
  const numeric = texts.every((t, i) => missing(i) || (!quoted[i] && parseNumberText(t) !== null));
  if (numeric) {
    return {
      kind: "numeric",
      values: Float64Array.from(texts, (t, i) => (missing(i) ? NaN : parseNumberText(t)!)),
    };
  }
  return encodeCategorical(texts.map((t, i) => (missing(i) ? null : t)));
}

/**
 * Options of joinObs.
 *
 * @example
 * ```ts
 * import type { JoinObsOptions } from "yoto";
 * const options: JoinObsOptions = { indexName: "barcode", file: "obs.csv", quiet: true };
 * ```
 */
export interface JoinObsOptions {
  /** Name of the cell id column in the result (the obs index). */
  indexName: string;
  /** The obs file, for messages. */
  file: string;
  /** No warning line. */
  quiet?: boolean;
}

/**
 * Obs columns for the cells `ids` (in that order) from an obs table, plus the id column itself.
 * Cells without a row get missing values; table ids that are not cells are ignored. Either is
 * reported in one warning line on stderr (unless quiet). Unused categories are dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinObs } from "yoto";
 * const table = { ids: ["b", "a"], indexName: "cell", columns: { n: { kind: "numeric" as const, values: new Float64Array([2, 1]) } } };
 * const obs = joinObs(table, ["a", "b", "c"], { indexName: "cell", file: "obs.csv", quiet: true });
 * assert.equal(obs.n.kind, "numeric");
 * assert.equal(obs.n.values[0], 1);
 * assert.ok(Number.isNaN(obs.n.values[2]));
 * ```
 */
export function joinObs(
  table: ObsTable,
  ids: readonly string[],
  options: JoinObsOptions,
): Record<string, ObsColumn> {
  const { indexName, file } = options;
  if (indexName in table.columns) {
    throw new DataValueError(
      `column '${indexName}' clashes with the cell id column of the same name`,
      {
        file,
        field: indexName,
        fix: "rename that column",
      },
    );
  }
  const rowOf = new Map(table.ids.map((id, r) => [id, r]));
  const at = Int32Array.from(ids, (id) => rowOf.get(id) ?? -1);
  const cells = new Set(ids);
  const extra = table.ids.filter((id) => !cells.has(id)).length;
  const unmatched = at.filter((r) => r < 0).length;
  if ((extra || unmatched) && !options.quiet) {
    console.warn(
      `warning: ${file}: ${extra} id(s) are not cells of the matrix (ignored); ${unmatched} cell(s) have no row (missing values)`,
    );
  }
  const out: Record<string, ObsColumn> = { [indexName]: { kind: "string", values: [...ids] } };
  for (const [name, col] of Object.entries(table.columns)) {
    if (col.kind === "numeric") {
      out[name] = {
        kind: "numeric",
        values: Float64Array.from(at, (r) => (r < 0 ? NaN : col.values[r])),
      };
    } else if (col.kind === "string") {
      out[name] = { kind: "string", values: Array.from(at, (r) => (r < 0 ? null : col.values[r])) };
    } else {
      out[name] = encodeCategorical(
        Array.from(at, (r) => (r < 0 || col.codes[r] < 0 ? null : col.categories[col.codes[r]])),
      );
    }
  }
  return out;
}

/**
 * Options of readDelimited.
 *
 * @example
 * ```ts
 * import type { ReadDelimitedOptions } from "yoto";
 * const options: ReadDelimitedOptions = { orientation: "genes-by-cells", obs: "obs.csv", sparse: true };
 * ```
 */
export interface ReadDelimitedOptions {
  /** cells-by-genes (default): header = genes, first column = cell ids; or the transpose. */
  orientation?: "cells-by-genes" | "genes-by-cells";
  /** Field separator (default "auto": tab or comma, whichever the header has more of). */
  delimiter?: "," | "\t" | "auto";
  /** An obs table (CSV) joined by cell id. */
  obs?: string;
  /** The obs table's cell id column (default: its first). */
  obsIdColumn?: string;
  /** Store X as CSR (true) or dense (false); default: CSR when more than half the values are 0. */
  sparse?: boolean;
  /** No progress or warning output. */
  quiet?: boolean;
}

/**
 * Read a dense expression table (`.csv`, `.tsv`, `.txt`, optionally `.gz`; RFC 4180 quoting).
 * Values must be finite non-negative numbers. A header without the corner cell (R's
 * write.table) is accepted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDelimited } from "yoto";
 * const path = `${await Deno.makeTempDir()}/x.csv`;
 * await Deno.writeTextFile(path, "cell,A,B\nc1,1,0\nc2,0,0\n");
 * const ds = await readDelimited(path, { quiet: true });
 * assert.equal(ds.nCells, 2);
 * assert.equal(ds.genes[1], "B");
 * assert.ok(ds.isSparse);
 * assert.equal(ds.cellIds()[0], "c1");
 * ```
 */
export async function readDelimited(
  path: string,
  options: ReadDelimitedOptions = {},
): Promise<Dataset> {
  const orientation = options.orientation ?? "cells-by-genes";
  if (orientation !== "cells-by-genes" && orientation !== "genes-by-cells") {
    throw new OptionError(`unknown orientation '${orientation}'`, {
      field: "orientation",
      fix: "use cells-by-genes or genes-by-cells",
    });
  }
  const buf = await readBytes(path);
  const delim = resolveDelimiter(options.delimiter, buf);
  const sc = new Scanner(buf, path, delim);
  const headerRecord = sc.record();
  if (!headerRecord) {
    throw new FileFormatError("file is empty", {
      file: path,
      fix: "give a header row, then one row per cell or gene",
    });
  }
  // Peek at the first data row to tell whether the header has a corner cell.
  const mark = { pos: sc.pos, line: sc.line };
  const header = alignHeader(headerRecord, sc.record());
  [sc.pos, sc.line] = [mark.pos, mark.line];
  const width = header.length - 1, names = header.slice(1);
  if (width === 0) {
    throw new FileFormatError("the header has a single field", {
      file: path,
      fix: `check the delimiter (read as '${delim === 9 ? "\\t" : ","}') or pass delimiter`,
    });
  }
  const [rowWhat, colWhat] = orientation === "cells-by-genes" ? ["cell", "gene"] : ["gene", "cell"];
  const valueError = (problem: string, line: number, c: number, id: string) =>
    new DataValueError(
      `line ${line}, field ${c + 2}: ${problem} (${rowWhat} '${id}', ${colWhat} '${names[c]}')`,
      {
        file: path,
        fix:
          "the table must hold counts: finite numbers >= 0, apart from the header and first column",
      },
    );

  const progress = new Progress(`reading ${basename(path)}`, buf.length, { quiet: options.quiet });
  const rowIds: string[] = [], rowPtr: number[] = [0];
  let indices = new Int32Array(1 << 16), values = new Float32Array(1 << 16), nnz = 0;
  for (;;) {
    sc.skipBlankLines();
    if (sc.atEnd) break;
    const line = sc.line, id = sc.field();
    let s = sc.sep();
    for (let c = 0; c < width; c++) {
      if (s !== FIELD) throw raggedRow(line, c + 1, header.length, path);
      if (!sc.numberField()) throw valueError(`'${sc.badText}' is not a number`, line, c, id);
      const v = sc.value, problem = countProblem(v);
      if (problem) throw valueError(`value ${v} is ${problem}`, line, c, id);
      if (v !== 0) {
        if (nnz === indices.length) [indices, values] = [grown(indices), grown(values)];
        indices[nnz] = c;
        values[nnz++] = v;
      }
      s = sc.sep();
    }
    if (s === FIELD) {
      let got = header.length;
      do {
        sc.field();
        got++;
      } while (sc.sep() === FIELD);
      throw raggedRow(line, got, header.length, path);
    }
    rowIds.push(id);
    rowPtr.push(nnz);
    if ((rowIds.length & 255) === 0) progress.tick(sc.pos - progress.done);
  }
  progress.finish();
  if (rowIds.length === 0) {
    throw new FileFormatError("no data rows after the header", {
      file: path,
      fix: `give one row per ${rowWhat}`,
    });
  }

  const indptr = Int32Array.from(rowPtr), nRows = rowIds.length;
  // genes-by-cells: the file's CSR arrays are the CSC arrays of the cells x genes matrix
  const X: CsrMatrix = orientation === "cells-by-genes"
    ? {
      kind: "csr",
      nRows,
      nCols: width,
      indptr,
      indices: indices.slice(0, nnz),
      values: values.slice(0, nnz),
    }
    : cscToCsr(width, nRows, indptr, indices, values);
  const [cellIds, genes] = orientation === "cells-by-genes" ? [rowIds, names] : [names, rowIds];
  checkUniqueIds(cellIds, "cell id", path);
  const indexName = (orientation === "cells-by-genes" && header[0]) || "cell_id";
  const obs = options.obs
    ? joinObs(await readObsCsv(options.obs, { idColumn: options.obsIdColumn }), cellIds, {
      indexName,
      file: options.obs,
      quiet: options.quiet,
    })
    : { [indexName]: { kind: "string" as const, values: cellIds } };
  const ds = new Dataset({
    X,
    var: { gene: genes },
    obs,
    obsIndex: indexName,
    uns: { source: { format: delim === 9 ? "tsv" : "csv", path, orientation } },
  });
  const total = ds.nCells * ds.nGenes;
  if (options.sparse ?? (total - nnz > total / 2)) return ds;
  return ds.withX({ kind: "dense", nRows: ds.nCells, nCols: ds.nGenes, data: ds.toDense() });
}

function grown<T extends Int32Array | Float32Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Options of writeDelimited.
 *
 * @example
 * ```ts
 * import type { WriteDelimitedOptions } from "./csv.ts";
 * const options: WriteDelimitedOptions = { delimiter: "\t" };
 * ```
 */
export interface WriteDelimitedOptions {
  /** Field separator (default: tab for `.tsv` / `.tab` paths, else comma). */
  delimiter?: "," | "\t";
}

/**
 * Write X as a dense table (cells x genes; header = the obs index name, then the genes; first
 * column = cell ids), atomically, gzipped when the path ends in `.gz`. Values are written in the
 * shortest form that reads back to the same float32, names exactly as they are (no spreadsheet
 * escaping: the table must read back the same). Meant for small exports: the whole table is
 * built in memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * import { writeDelimited } from "./csv.ts";
 * const path = `${await Deno.makeTempDir()}/x.tsv`;
 * await writeDelimited(Dataset.fromDense(new Float32Array([1, 0.5]), 1, 2, ["A", "B"]), path);
 * assert.equal(await Deno.readTextFile(path), "cell_id\tA\tB\ncell_0\t1\t0.5\n");
 * ```
 */
export async function writeDelimited(
  ds: Dataset,
  path: string,
  options: WriteDelimitedOptions = {},
): Promise<void> {
  const delim = options.delimiter ?? delimiterFor(path);
  const lines = [
    [ds.obsIndex ?? "cell_id", ...ds.genes].map((f) => quoteCsvField(f, delim, false, false))
      .join(delim),
  ];
  const ids = ds.cellIds(), g = ds.nGenes;
  for (const { start, end, data } of ds.rows()) {
    for (let i = start; i < end; i++) {
      const row = [quoteCsvField(ids[i], delim, false, false)];
      for (let j = 0; j < g; j++) row.push(formatFloat32(data[(i - start) * g + j]));
      lines.push(row.join(delim));
    }
  }
  await writeText(path, lines.join("\n") + "\n");
}

/**
 * Write the obs table (cell id column first, then every other obs column) atomically; missing
 * values as empty fields. Text that would read back as a number or as missing is quoted, so
 * readObsCsv gives back the same columns (string columns come back categorical, numeric ones as
 * Float64Array).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, encodeCategorical, writeObsCsv } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array(2), 2, 1, ["A"], { donor: encodeCategorical(["7", null]) });
 * const path = `${await Deno.makeTempDir()}/obs.csv`;
 * await writeObsCsv(ds, path);
 * assert.equal(await Deno.readTextFile(path), 'cell_id,donor\ncell_0,"7"\ncell_1,\n');
 * ```
 */
export async function writeObsCsv(ds: Dataset, path: string): Promise<void> {
  const delim = delimiterFor(path);
  const names = ds.obsNames.filter((n) => n !== ds.obsIndex);
  const columns = [ds.cellIds().map((id) => quoteCsvField(id, delim, false, false))];
  for (const name of names) {
    const col = ds.obs(name);
    if (col.kind === "numeric") {
      columns.push(Array.from(col.values, (v) => (Number.isNaN(v) ? "" : String(v))));
    } else {
      columns.push(
        ds.labels(name).map((v) => (v === null ? "" : quoteCsvField(v, delim, true, false))),
      );
    }
  }
  const lines = [
    [ds.obsIndex ?? "cell_id", ...names].map((f) => quoteCsvField(f, delim, false, false))
      .join(delim),
  ];
  for (let i = 0; i < ds.nCells; i++) lines.push(columns.map((c) => c[i]).join(delim));
  await writeText(path, lines.join("\n") + "\n");
}

function delimiterFor(path: string): "," | "\t" {
  return /\.(tsv|tab)(\.gz)?$/i.test(path) ? "\t" : ",";
}

/** Starts of a cell that a spreadsheet would run as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * `text` made inert for a spreadsheet: prefixed with `'` when it starts with = + - @, a tab or a
 * carriage return and is not a plain number (-1.5 stays a number).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formulaSafe } from "./csv.ts";
 * assert.equal(formulaSafe("=HYPERLINK(1)"), "'=HYPERLINK(1)");
 * assert.equal(formulaSafe("-1.5e3"), "-1.5e3");
 * assert.equal(formulaSafe("CD4+"), "CD4+");
 * ```
 */
export function formulaSafe(text: string): string {
  return FORMULA_START.test(text) && parseNumberText(text) === null ? `'${text}` : text;
}

const TSV_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * `text` as one field of a tab-separated line printed for people: formulaSafe, and backslashes,
 * tabs and line ends written as \\, \t, \n and \r, so a name never splits a row or a line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tsvField } from "./csv.ts";
 * assert.equal(tsvField("A\tB\nC"), "A\\tB\\nC");
 * assert.equal(tsvField("@x"), "'@x");
 * ```
 */
export function tsvField(text: string): string {
  return formulaSafe(text).replace(/[\\\t\n\r]/g, (c) => TSV_ESCAPES[c]);
}

/**
 * A CSV field, quoted when it holds the delimiter, a quote or a line end, or (with `isText`)
 * would read back as a number or missing. With `safe` (the default, for tables people open in
 * spreadsheets) formula-like text is escaped (formulaSafe); data tables that must read back
 * exactly (convert's output) pass false.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoteCsvField } from "./csv.ts";
 * assert.equal(quoteCsvField('a,"b"'), '"a,""b"""');
 * assert.equal(quoteCsvField("x"), "x");
 * assert.equal(quoteCsvField("=1+1"), "'=1+1");
 * assert.equal(quoteCsvField("=1+1", ",", false, false), "=1+1");
 * ```
 */
export function quoteCsvField(text: string, delim = ",", isText = false, safe = true): string {
  if (safe) text = formulaSafe(text);
  const needs = text.includes(delim) || /["\r\n]/.test(text) ||
    (isText && (text === "" || text === "NA" || parseNumberText(text) !== null));
  return needs ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The shortest decimal that reads back as the same float32. */
function formatFloat32(v: number): string {
  if (Number.isInteger(v)) return String(v);
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return s;
  }
  return v.toPrecision(9);
}

function writeText(path: string, text: string): Promise<void> {
  return writeFileAtomic(path, /\.gz$/i.test(path) ? new Uint8Array(gzipSync(text)) : text);
}
