/**
 * Private helpers shared by the readers (mtx.ts, csv.ts; h5ad.ts for CSC): reading a possibly
 * gzipped file, a byte-level scanner (numbers, RFC 4180 fields) that never splits the input into
 * line strings, and COO / CSC -> CSR assembly. Not part of the public API.
 * @module
 */
import { gunzipSync } from "node:zlib";
import type { CsrMatrix } from "./dataset.ts";
import { DataValueError, FileFormatError } from "../runtime/errors.ts";

/**
 * The whole file as bytes, gunzipped when it starts with the gzip magic (whatever its name).
 * node:zlib rather than DecompressionStream: it is several times faster and, unlike
 * DecompressionStream, reads multi-member (bgzip, `cat a.gz b.gz`) files.
 */
export async function readBytes(path: string): Promise<Uint8Array> {
  let raw: Uint8Array;
  try {
    raw = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new FileFormatError("file not found", { file: path, fix: "check the path" });
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new FileFormatError("is a directory, expected a file", { file: path });
    }
    throw err;
  }
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    const out = gunzipSync(raw);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw new FileFormatError(`gzip data is truncated or corrupt (${(err as Error).message})`, {
      file: path,
      fix: "download or compress the file again",
    });
  }
}

const decoder = new TextDecoder();

/**
 * Non-empty lines of a small text file (gene lists, barcodes), a trailing blank line allowed.
 * A blank line inside the file is a FileFormatError: it would shift every later entry.
 */
export async function readLines(path: string): Promise<string[]> {
  const lines = decoder.decode(await readBytes(path)).split(/\r?\n/); // decode() drops a BOM
  if (lines.at(-1) === "") lines.pop();
  const blank = lines.indexOf("");
  if (blank >= 0) {
    throw new FileFormatError(`line ${blank + 1} is empty`, {
      file: path,
      fix: "remove blank lines; every line names one gene or cell",
    });
  }
  return lines;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL = new Map<string, number>([
  ["nan", NaN],
  ["+nan", NaN],
  ["-nan", NaN],
  ["inf", Infinity],
  ["+inf", Infinity],
  ["-inf", -Infinity],
  ["infinity", Infinity],
  ["+infinity", Infinity],
  ["-infinity", -Infinity],
]);

/**
 * A decimal number (surrounding spaces allowed), or nan / inf spelled out; null for anything
 * else. Stricter than Number(): "", "0x10" and "1_000" are not numbers.
 */
export function parseNumberText(text: string): number | null {
  const t = text.trim();
  if (DECIMAL.test(t)) return Number(t);
  return SPECIAL.get(t.toLowerCase()) ?? null;
}

/** Why a value cannot be a count (NaN, infinite or beyond float32, negative), or null if it can. */
export function countProblem(v: number): string | null {
  if (v !== v) return "NaN";
  if (!Number.isFinite(Math.fround(v))) return "infinite (or beyond the float32 range)";
  if (v < 0) return "negative";
  return null;
}

/** Exact powers of ten: m * 10^k and m / 10^k are correctly rounded for m < 2^53, k <= 22. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** sep() results: another field follows; the record ended; the input ended. */
export const FIELD = 0;
const RECORD = 1, END = 2;

/** One CSV record: its fields, whether each was quoted, and the line it starts on. */
export interface CsvRecord {
  fields: string[];
  quoted: boolean[];
  line: number;
}

/**
 * A cursor over a (decompressed) byte buffer. `delim` is the field separator (32 = space for
 * MatrixMarket, 44 or 9 for CSV / TSV); numbers are parsed straight from the bytes.
 */
export class Scanner {
  pos = 0;
  /** 1-based line of `pos`. */
  line = 1;
  /** The number parsed by the last successful number() / numberField(). */
  value = 0;
  /** Whether the last field() was quoted. */
  quoted = false;
  /** The text of the last field numberField() could not read as a number. */
  badText = "";

  constructor(readonly buf: Uint8Array, readonly file: string, readonly delim: number) {
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) this.pos = 3; // UTF-8 BOM
  }

  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  text(start: number, end: number): string {
    return decoder.decode(this.buf.subarray(start, end));
  }

  #isTerminator(p: number): boolean {
    if (p >= this.buf.length) return true;
    const c = this.buf[p];
    return c === 32 || c === 9 || c === 10 || c === 13 || c === this.delim;
  }

  /** Skip spaces and tabs; how many were skipped. */
  spaces(): number {
    const start = this.pos;
    while (this.pos < this.buf.length && (this.buf[this.pos] === 32 || this.buf[this.pos] === 9)) {
      this.pos++;
    }
    return this.pos - start;
  }

  /** An unsigned decimal integer, or -1 when there is no digit here. */
  uint(): number {
    const buf = this.buf;
    let p = this.pos, v = 0, d = 0;
    while (p < buf.length && (d = buf[p] - 48) >= 0 && d <= 9) {
      v = v * 10 + d;
      p++;
    }
    if (p === this.pos) return -1;
    this.pos = p;
    return v;
  }

  /**
   * A number up to the next space, tab, line end or delimiter, into `value`; false (pos
   * unchanged) when the token is not a number. Plain decimals are converted from the bytes.
   */
  number(): boolean {
    const buf = this.buf, n = buf.length, start = this.pos;
    const neg = buf[start] === 45;
    let p = neg || buf[start] === 43 ? start + 1 : start;
    const unsigned = p;
    let mant = 0, sig = 0, exp = 0, digits = 0, d = 0;
    while (p < n && (d = buf[p] - 48) >= 0 && d <= 9) {
      if (mant !== 0 || d !== 0) sig++;
      mant = mant * 10 + d;
      digits++;
      p++;
    }
    if (buf[p] === 46) {
      p++;
      while (p < n && (d = buf[p] - 48) >= 0 && d <= 9) {
        if (mant !== 0 || d !== 0) sig++;
        mant = mant * 10 + d;
        exp--;
        digits++;
        p++;
      }
    }
    if (digits > 0 && (buf[p] === 101 || buf[p] === 69)) {
      let q = p + 1;
      const eneg = buf[q] === 45;
      if (eneg || buf[q] === 43) q++;
      const e0 = q;
      let e = 0;
      while (q < n && (d = buf[q] - 48) >= 0 && d <= 9) {
        e = e * 10 + d;
        q++;
      }
      if (q > e0) {
        exp += eneg ? -e : e;
        p = q;
      }
    }
    if (digits > 0 && this.#isTerminator(p)) {
      let v: number;
      if (sig > 15 || exp > 22 || exp < -22) v = Number(this.text(unsigned, p)); // rare: exact path
      else v = exp < 0 ? mant / POW10[-exp] : mant * POW10[exp];
      this.value = neg ? -v : v;
      this.pos = p;
      return true;
    }
    // Not a plain decimal: maybe nan / inf spelled out.
    let q = start;
    while (!this.#isTerminator(q)) q++;
    const v = q > start ? parseNumberText(this.text(start, q)) : null;
    if (v === null) return false;
    this.value = v;
    this.pos = q;
    return true;
  }

  /** Skip trailing spaces and consume a line end; true at a line end or the end of input. */
  eol(): boolean {
    this.spaces();
    const buf = this.buf;
    if (this.pos >= buf.length) return true;
    if (buf[this.pos] === 13 && buf[this.pos + 1] === 10) this.pos++;
    if (buf[this.pos] !== 10) return false;
    this.pos++;
    this.line++;
    return true;
  }

  /** The rest of the current line (without its line end), consumed. */
  restOfLine(): string {
    const buf = this.buf, start = this.pos;
    let p = start;
    while (p < buf.length && buf[p] !== 10) p++;
    const end = p > start && buf[p - 1] === 13 ? p - 1 : p;
    if (p < buf.length) this.line++;
    this.pos = Math.min(p + 1, buf.length);
    return this.text(start, end);
  }

  /** Skip empty lines (CSV records with nothing on them). */
  skipBlankLines(): void {
    const buf = this.buf;
    for (;;) {
      if (buf[this.pos] === 10) this.pos++;
      else if (buf[this.pos] === 13 && buf[this.pos + 1] === 10) this.pos += 2;
      else return;
      this.line++;
    }
  }

  /** One RFC 4180 field (quotes removed, "" unescaped); sets `quoted`. */
  field(): string {
    const buf = this.buf, n = buf.length, delim = this.delim;
    let p = this.pos;
    if (buf[p] !== 34) {
      this.quoted = false;
      while (p < n && buf[p] !== delim && buf[p] !== 10 && buf[p] !== 13) p++;
      const text = this.text(this.pos, p);
      this.pos = p;
      return text;
    }
    this.quoted = true;
    const startLine = this.line;
    let out = "", seg = ++p;
    for (;;) {
      if (p >= n) {
        throw new FileFormatError(`quoted field opened on line ${startLine} is never closed`, {
          file: this.file,
          fix: 'close the quote; a quote inside a quoted field is written twice ("")',
        });
      }
      if (buf[p] === 34) {
        if (buf[p + 1] !== 34) break;
        out += this.text(seg, p + 1);
        p += 2;
        seg = p;
        continue;
      }
      if (buf[p] === 10) this.line++;
      p++;
    }
    out += this.text(seg, p);
    p++;
    if (p < n && buf[p] !== delim && buf[p] !== 10 && buf[p] !== 13) {
      throw new FileFormatError(`unexpected text after a closing quote on line ${this.line}`, {
        file: this.file,
        fix: 'quote the whole field; a quote inside a quoted field is written twice ("")',
      });
    }
    this.pos = p;
    return out;
  }

  /** After a field: FIELD (a delimiter, another field follows), RECORD (line end) or END. */
  sep(): number {
    const buf = this.buf;
    if (this.pos >= buf.length) return END;
    const c = buf[this.pos++];
    if (c === this.delim) return FIELD;
    if (c === 13 && buf[this.pos] === 10) this.pos++;
    this.line++;
    return RECORD;
  }

  /**
   * A field holding a number, into `value`. Unquoted plain decimals take the fast byte path;
   * anything else is read as text and parsed. False when it is not a number; the text read is
   * then in `badText`.
   */
  numberField(): boolean {
    const start = this.pos;
    if (this.number()) {
      const c = this.buf[this.pos];
      if (this.pos >= this.buf.length || c === this.delim || c === 10 || c === 13) return true;
      this.pos = start;
    }
    const text = this.field();
    const v = parseNumberText(text);
    if (v === null) {
      this.badText = text;
      return false;
    }
    this.value = v;
    return true;
  }

  /** The next non-blank record, or null at the end of input. */
  record(): CsvRecord | null {
    this.skipBlankLines();
    if (this.atEnd) return null;
    const line = this.line, fields: string[] = [], quoted: boolean[] = [];
    do {
      fields.push(this.field());
      quoted.push(this.quoted);
    } while (this.sep() === FIELD);
    return { fields, quoted, line };
  }
}

/**
 * The delimiter byte: the one asked for, else the one (tab or comma) that occurs more often in
 * the first line outside quotes (comma when neither does).
 */
export function resolveDelimiter(asked: "," | "\t" | "auto" | undefined, buf: Uint8Array): number {
  if (asked === ",") return 44;
  if (asked === "\t") return 9;
  let tabs = 0, commas = 0, inQuotes = false;
  for (let p = 0; p < buf.length; p++) {
    const c = buf[p];
    if (c === 34) inQuotes = !inQuotes;
    else if (inQuotes) continue;
    else if (c === 10) break;
    else if (c === 9) tabs++;
    else if (c === 44) commas++;
  }
  return tabs > commas ? 9 : 44;
}

/**
 * Header fields aligned with the data rows. R's write.table leaves out the corner cell above the
 * row names, so a first data row one field longer than the header gets an empty corner added.
 */
export function alignHeader(header: CsvRecord, first: CsvRecord | null): string[] {
  return first && first.fields.length === header.fields.length + 1
    ? ["", ...header.fields]
    : header.fields;
}

/** The FileFormatError for a row whose field count differs from the header's. */
export function raggedRow(
  line: number,
  got: number,
  expected: number,
  file: string,
): FileFormatError {
  return new FileFormatError(`line ${line} has ${got} fields, the header has ${expected}`, {
    file,
    fix: "give every row as many fields as the header (quote fields that contain the delimiter)",
  });
}

/** DataValueError when an id occurs twice (cell ids must be unique to join and index). */
export function checkUniqueIds(ids: readonly string[], what: string, file: string): void {
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const first = seen.get(id);
    if (first !== undefined) {
      throw new DataValueError(`${what} '${id}' occurs twice (entries ${first + 1} and ${i + 1})`, {
        file,
        fix: `make the ${what}s unique`,
      });
    }
    seen.set(id, i);
  });
}

/**
 * CSR from coordinate entries (the first `count` of each array) by a stable counting sort on the
 * row. When the input order would leave some row's columns unsorted, entries are first put in
 * column order by another counting sort (linear, unlike sorting each row). Duplicates are kept,
 * adjacent.
 */
export function cooToCsr(
  rowOf: Int32Array,
  colOf: Int32Array,
  vals: Float32Array,
  count: number,
  nRows: number,
  nCols: number,
): CsrMatrix {
  const indptr = new Int32Array(nRows + 1), last = new Int32Array(nRows).fill(-1);
  let sorted = true;
  for (let k = 0; k < count; k++) {
    const r = rowOf[k];
    indptr[r + 1]++;
    if (colOf[k] < last[r]) sorted = false;
    last[r] = colOf[k];
  }
  for (let i = 0; i < nRows; i++) indptr[i + 1] += indptr[i];
  let order: Int32Array | undefined;
  if (!sorted) {
    const colNext = new Int32Array(nCols + 1);
    for (let k = 0; k < count; k++) colNext[colOf[k] + 1]++;
    for (let j = 0; j < nCols; j++) colNext[j + 1] += colNext[j];
    order = new Int32Array(count);
    for (let k = 0; k < count; k++) order[colNext[colOf[k]]++] = k;
  }
  const next = indptr.slice(0, nRows);
  const indices = new Int32Array(count), values = new Float32Array(count);
  for (let t = 0; t < count; t++) {
    const k = order ? order[t] : t, q = next[rowOf[k]]++;
    indices[q] = colOf[k];
    values[q] = vals[k];
  }
  return { kind: "csr", nRows, nCols, indptr, indices, values };
}

/**
 * CSR of the nRows x nCols matrix stored as CSC (`colPtr`, `rowIdx`, `data`), by a counting sort
 * on the row; rows come out with their columns in ascending order. Read as CSR arrays of an
 * nCols x nRows matrix, this is its transpose.
 */
export function cscToCsr(
  nRows: number,
  nCols: number,
  colPtr: Int32Array,
  rowIdx: Int32Array,
  data: Float32Array,
): CsrMatrix {
  const indptr = new Int32Array(nRows + 1);
  for (let p = colPtr[0]; p < colPtr[nCols]; p++) indptr[rowIdx[p] + 1]++;
  for (let i = 0; i < nRows; i++) indptr[i + 1] += indptr[i];
  const next = indptr.slice(0, nRows);
  const indices = new Int32Array(indptr[nRows]);
  const values = new Float32Array(indptr[nRows]);
  for (let j = 0; j < nCols; j++) {
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) {
      const q = next[rowIdx[p]]++;
      indices[q] = j;
      values[q] = data[p];
    }
  }
  return { kind: "csr", nRows, nCols, indptr, indices, values };
}
