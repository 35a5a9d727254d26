/**
 * The in-memory Dataset: cells x genes expression (CSR or dense, float32) with obs columns
 * (per cell) and var fields (per gene). Matrix arrays are typed-array views; when a Dataset is
 * read from an Arrow file they are views of the file's Arrow buffers (no copy).
 * @module
 */
import {
  DataValueError,
  MissingFieldError,
  OptionError,
  quoted,
  ShapeMismatchError,
} from "../runtime/errors.ts";

/**
 * An obs column: categorical (code -1 = missing; `ordered` as pandas' flag, absent = unordered),
 * numeric (NaN = missing) or string.
 */
export type ObsColumn =
  | { kind: "categorical"; codes: Int32Array; categories: string[]; ordered?: boolean }
  | { kind: "numeric"; values: Float64Array | Float32Array | Int32Array }
  | { kind: "string"; values: (string | null)[] };

/** Compressed sparse rows: row i holds indices/values[indptr[i] .. indptr[i+1]). */
export interface CsrMatrix {
  kind: "csr";
  nRows: number;
  nCols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

/** Dense row-major matrix: entry (i, j) at data[i * nCols + j]. */
export interface DenseMatrix {
  kind: "dense";
  nRows: number;
  nCols: number;
  data: Float32Array;
}

/** The expression matrix of a Dataset, rows = cells. */
export type ExpressionMatrix = CsrMatrix | DenseMatrix;

/** Per-gene fields; `gene` holds the gene names. */
export type VarFields = { gene: string[] } & Record<string, (string | number | boolean | null)[]>;

/** JSON-serialisable extra metadata carried with a dataset (provenance, preprocessing). */
export type Uns = Record<string, unknown>;

/** Everything a Dataset is made from. */
export interface DatasetParts {
  X: ExpressionMatrix;
  var: VarFields;
  obs?: Record<string, ObsColumn>;
  /** Name of the obs string column holding cell ids, if any. */
  obsIndex?: string;
  uns?: Uns;
}

/** One batch of densified rows from `Dataset.rows`. */
export interface RowBatch {
  /** First row (cell) of the batch. */
  start: number;
  /** One past the last row. */
  end: number;
  /** (end - start) x nGenes, row-major. */
  data: Float32Array;
}

function checkMatrix(X: ExpressionMatrix): void {
  if (X.kind === "dense") {
    if (X.data.length !== X.nRows * X.nCols) {
      throw new ShapeMismatchError(
        `dense matrix has ${X.data.length} values, expected ${X.nRows} x ${X.nCols}`,
      );
    }
    return;
  }
  if (X.indptr.length !== X.nRows + 1) {
    throw new ShapeMismatchError(
      `CSR indptr has length ${X.indptr.length}, expected nRows + 1 = ${X.nRows + 1}`,
    );
  }
  const end = X.indptr[X.nRows];
  if (X.indices.length < end || X.values.length < end) {
    throw new ShapeMismatchError(
      `CSR indptr ends at ${end} but indices/values have ${X.indices.length}/${X.values.length}`,
    );
  }
}

/** Cells x genes expression with obs and var annotations. */
export class Dataset {
  readonly X: ExpressionMatrix;
  readonly var: VarFields;
  readonly obsIndex?: string;
  readonly uns: Uns;
  readonly #obs: Record<string, ObsColumn>;

  /**
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Dataset } from "yoto";
   * const ds = Dataset.fromDense(new Float32Array([1, 0, 0, 2]), 2, 2, ["A", "B"]);
   * assert.equal(ds.nCells, 2);
   * assert.equal(ds.genes[1], "B");
   * ```
   */
  constructor(parts: DatasetParts) {
    checkMatrix(parts.X);
    this.X = parts.X;
    this.var = parts.var;
    this.#obs = parts.obs ?? {};
    this.obsIndex = parts.obsIndex;
    this.uns = parts.uns ?? {};
    if (this.var.gene.length !== this.X.nCols) {
      throw new ShapeMismatchError(
        `${this.var.gene.length} gene names for a matrix with ${this.X.nCols} genes`,
        { field: "var.gene", fix: "give one name per matrix column" },
      );
    }
    for (const [name, values] of Object.entries(this.var)) {
      if (values.length !== this.X.nCols) {
        throw new ShapeMismatchError(
          `var field has ${values.length} entries, expected ${this.X.nCols}`,
          {
            field: `var.${name}`,
          },
        );
      }
    }
    for (const [name, col] of Object.entries(this.#obs)) {
      const n = col.kind === "categorical" ? col.codes.length : col.values.length;
      if (n !== this.X.nRows) {
        throw new ShapeMismatchError(
          `obs column has ${n} entries, expected ${this.X.nRows} cells`,
          {
            field: name,
          },
        );
      }
    }
    if (this.obsIndex !== undefined && this.#obs[this.obsIndex]?.kind !== "string") {
      throw new MissingFieldError(`obs index '${this.obsIndex}' is not a string obs column`, {
        field: this.obsIndex,
      });
    }
  }

  /** Build from CSR arrays (taken as they are, not copied). */
  static fromCSR(
    indptr: Int32Array,
    indices: Int32Array,
    values: Float32Array,
    nGenes: number,
    genes: string[],
    obs: Record<string, ObsColumn> = {},
  ): Dataset {
    return new Dataset({
      X: { kind: "csr", nRows: indptr.length - 1, nCols: nGenes, indptr, indices, values },
      var: { gene: genes },
      obs,
    });
  }

  /** Build from a dense row-major cells x genes array (taken as it is, not copied). */
  static fromDense(
    data: Float32Array,
    nCells: number,
    nGenes: number,
    genes: string[],
    obs: Record<string, ObsColumn> = {},
  ): Dataset {
    return new Dataset({
      X: { kind: "dense", nRows: nCells, nCols: nGenes, data },
      var: { gene: genes },
      obs,
    });
  }

  get nCells(): number {
    return this.X.nRows;
  }
  get nGenes(): number {
    return this.X.nCols;
  }
  get genes(): string[] {
    return this.var.gene;
  }
  get isSparse(): boolean {
    return this.X.kind === "csr";
  }

  /** CSR row pointers (a view); throws on a dense dataset. */
  get indptr(): Int32Array {
    return this.#csr().indptr;
  }
  /** CSR gene indices (a view); throws on a dense dataset. */
  get indices(): Int32Array {
    return this.#csr().indices;
  }
  /** CSR values (a view); throws on a dense dataset. */
  get values(): Float32Array {
    return this.#csr().values;
  }

  #csr(): CsrMatrix {
    if (this.X.kind !== "csr") {
      throw new OptionError("this dataset's matrix is dense, not CSR", {
        fix: "use ds.X.data (dense) or ds.rows() which works for both",
      });
    }
    return this.X;
  }

  /** Names of the obs columns. */
  get obsNames(): string[] {
    return Object.keys(this.#obs);
  }

  /** Whether an obs column exists. */
  hasObs(name: string): boolean {
    return name in this.#obs;
  }

  /** An obs column; MissingFieldError naming the columns that exist when it is absent. */
  obs(name: string): ObsColumn {
    const col = this.#obs[name];
    if (!col) {
      throw new MissingFieldError(`no obs column '${name}'`, {
        field: name,
        fix: `use one of: ${this.obsNames.join(", ") || "(none)"}`,
      });
    }
    return col;
  }

  /** All obs columns (the record itself; do not mutate). */
  get obsColumns(): Readonly<Record<string, ObsColumn>> {
    return this.#obs;
  }

  /** A categorical obs column; string columns are encoded on the fly (sorted categories). */
  categorical(name: string): { codes: Int32Array; categories: string[] } {
    const col = this.obs(name);
    if (col.kind === "categorical") return col;
    if (col.kind === "string") return encodeCategorical(col.values);
    throw new OptionError(`obs column '${name}' is numeric, not a label`, {
      field: name,
      fix: "use a categorical or string column as a label",
    });
  }

  /**
   * Each cell's label as an index into `classes` (a model's class list); `unknown` (default -1)
   * for a label not in the list, -1 for a missing one.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Dataset } from "yoto";
   * const ds = Dataset.fromDense(new Float32Array(4), 4, 1, ["g"], {
   *   t: { kind: "string", values: ["b", null, "a", "z"] },
   * });
   * assert.equal(ds.codesIn("t", ["a", "b"]).join(), "1,-1,0,-1");
   * assert.equal(ds.codesIn("t", ["a", "b"], 2).join(), "1,-1,0,2");
   * ```
   */
  codesIn(name: string, classes: readonly string[], unknown = -1): Int32Array {
    const { codes, categories } = this.categorical(name);
    const index = new Map(classes.map((c, i) => [c, i]));
    const remap = categories.map((c) => index.get(c) ?? unknown);
    return Int32Array.from(codes, (c) => (c < 0 ? -1 : remap[c]));
  }

  /**
   * Cells per category of a label column (missing labels not counted).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Dataset } from "yoto";
   * const ds = Dataset.fromDense(new Float32Array(3), 3, 1, ["g"], {
   *   t: { kind: "string", values: ["a", "b", "a"] },
   * });
   * assert.equal(ds.categoryCounts("t").counts.join(), "2,1");
   * ```
   */
  categoryCounts(name: string): { categories: string[]; counts: Int32Array } {
    const { codes, categories } = this.categorical(name);
    const counts = new Int32Array(categories.length);
    for (const c of codes) if (c >= 0) counts[c]++;
    return { categories, counts };
  }

  /** Labels of an obs column as strings (null = missing). */
  labels(name: string): (string | null)[] {
    const col = this.obs(name);
    if (col.kind === "categorical") {
      return Array.from(col.codes, (c) => (c < 0 ? null : col.categories[c]));
    }
    if (col.kind === "string") return col.values;
    return Array.from(col.values, (v) => (Number.isNaN(v) ? null : String(v)));
  }

  /** Cell ids: the obs index column, or "cell_<i>" when there is none. */
  cellIds(): string[] {
    if (this.obsIndex !== undefined) {
      return (this.#obs[this.obsIndex] as { values: (string | null)[] }).values.map((v, i) =>
        v ?? `cell_${i}`
      );
    }
    return Array.from({ length: this.nCells }, (_, i) => `cell_${i}`);
  }

  /** Iterate over rows in batches, densifying only the rows of each batch. */
  *rows(batchSize = 1024): Generator<RowBatch> {
    if (!(batchSize >= 1)) throw new OptionError(`batchSize must be >= 1, got ${batchSize}`);
    for (let start = 0; start < this.nCells; start += batchSize) {
      const end = Math.min(this.nCells, start + batchSize);
      yield { start, end, data: this.denseRows(start, end) };
    }
  }

  /** Rows [start, end) as a new dense row-major array (a copy). */
  denseRows(start: number, end: number): Float32Array {
    const g = this.nGenes;
    if (this.X.kind === "dense") return this.X.data.slice(start * g, end * g);
    const { indptr, indices, values } = this.X;
    const out = new Float32Array((end - start) * g);
    for (let i = start; i < end; i++) {
      const base = (i - start) * g;
      for (let p = indptr[i]; p < indptr[i + 1]; p++) out[base + indices[p]] = values[p];
    }
    return out;
  }

  /**
   * The rows `cells`, in that order, as a new dense row-major array [cells.length x nGenes]: a
   * minibatch densified from CSR, so no caller needs the whole matrix dense.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Dataset } from "yoto";
   * const ds = Dataset.fromDense(new Float32Array([1, 0, 0, 2, 3, 0]), 3, 2, ["A", "B"]);
   * assert.deepEqual([...ds.gatherRows([2, 0])], [3, 0, 1, 0]);
   * ```
   */
  gatherRows(cells: ArrayLike<number>): Float32Array {
    const g = this.nGenes, n = this.nCells;
    const out = new Float32Array(cells.length * g);
    for (let r = 0; r < cells.length; r++) {
      const i = cells[r];
      if (!(Number.isInteger(i) && i >= 0 && i < n)) {
        throw new ShapeMismatchError(`cell index ${i} is outside 0..${n - 1}`);
      }
      if (this.X.kind === "dense") {
        out.set(this.X.data.subarray(i * g, (i + 1) * g), r * g);
        continue;
      }
      const { indptr, indices, values } = this.X;
      for (let p = indptr[i]; p < indptr[i + 1]; p++) out[r * g + indices[p]] = values[p];
    }
    return out;
  }

  /** The whole matrix as a new dense row-major array (a copy: nCells x nGenes floats). */
  toDense(): Float32Array {
    return this.denseRows(0, this.nCells);
  }

  /**
   * Resolve gene names or indices to indices; MissingFieldError lists unknown names, and
   * DataValueError those the dataset holds more than once (which column is meant is unknown).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Dataset } from "yoto";
   * const ds = Dataset.fromDense(new Float32Array(3), 1, 3, ["A", "B", "A"]);
   * assert.deepEqual([...ds.geneIndices(["B", 2])], [1, 2]);
   * assert.throws(() => ds.geneIndices(["A"]), /'A' occurs 2 times/);
   * ```
   */
  geneIndices(genes: readonly (string | number)[]): Int32Array {
    const lookup = new Map<string, number>(), repeats = new Map<string, number>();
    this.genes.forEach((name, i) => {
      if (!lookup.has(name)) lookup.set(name, i);
      else repeats.set(name, (repeats.get(name) ?? 1) + 1);
    });
    const ambiguous = genes.filter((g) => typeof g === "string" && repeats.has(g)) as string[];
    if (ambiguous.length) {
      throw new DataValueError(
        `gene(s) asked for by name occur more than once in the data: ${
          [...new Set(ambiguous)].slice(0, 10).map((g) =>
            `${quoted(g)} occurs ${repeats.get(g)} times`
          )
            .join(", ")
        }`,
        {
          field: "genes",
          fix:
            "make gene names unique (e.g. `convert IN OUT --make-unique`) so each names one column",
        },
      );
    }
    const missing: string[] = [];
    const out = new Int32Array(genes.length);
    genes.forEach((g, i) => {
      if (typeof g === "number") {
        if (!Number.isInteger(g) || g < 0 || g >= this.nGenes) missing.push(`#${g}`);
        out[i] = g;
      } else {
        const j = lookup.get(g);
        if (j === undefined) missing.push(g);
        out[i] = j ?? -1;
      }
    });
    if (missing.length) {
      throw new MissingFieldError(
        `${missing.length} gene(s) not in the dataset: ${missing.slice(0, 10).join(", ")}${
          missing.length > 10 ? ", ..." : ""
        }`,
        { field: "genes", fix: "check gene names (case, Ensembl id vs symbol) and the gene list" },
      );
    }
    return out;
  }

  /** A dataset with only these genes, in this order (copies only the selected entries). */
  selectGenes(genes: readonly (string | number)[]): Dataset {
    const cols = this.geneIndices(genes);
    const newVar = Object.fromEntries(
      Object.entries(this.var).map(([k, v]) => [k, Array.from(cols, (j) => v[j])]),
    ) as VarFields;
    const parts = { var: newVar, obs: this.#obs, obsIndex: this.obsIndex, uns: this.uns };
    if (this.X.kind === "dense") {
      const n = this.nCells, g = this.nGenes, k = cols.length, src = this.X.data;
      const data = new Float32Array(n * k);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < k; c++) data[i * k + c] = src[i * g + cols[c]];
      }
      return new Dataset({ ...parts, X: { kind: "dense", nRows: n, nCols: k, data } });
    }
    const newIndex = new Int32Array(this.nGenes).fill(-1);
    cols.forEach((j, c) => {
      if (newIndex[j] !== -1) {
        throw new OptionError(`gene '${this.genes[j]}' selected twice`, {
          fix: "pass each gene once",
        });
      }
      newIndex[j] = c;
    });
    const { indptr, indices, values } = this.X;
    const n = this.nCells;
    const outPtr = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      let c = 0;
      for (let p = indptr[i]; p < indptr[i + 1]; p++) if (newIndex[indices[p]] >= 0) c++;
      outPtr[i + 1] = outPtr[i] + c;
    }
    const outIdx = new Int32Array(outPtr[n]), outVal = new Float32Array(outPtr[n]);
    for (let i = 0; i < n; i++) {
      let q = outPtr[i];
      const start = q;
      for (let p = indptr[i]; p < indptr[i + 1]; p++) {
        const c = newIndex[indices[p]];
        if (c >= 0) {
          outIdx[q] = c;
          outVal[q++] = values[p];
        }
      }
      sortRowByIndex(outIdx, outVal, start, q);
    }
    return new Dataset({
      ...parts,
      X: {
        kind: "csr",
        nRows: n,
        nCols: cols.length,
        indptr: outPtr,
        indices: outIdx,
        values: outVal,
      },
    });
  }

  /** A dataset with only these cells, in this order (copies only their rows). */
  selectCells(cells: ArrayLike<number>): Dataset {
    const n = this.nCells;
    for (let r = 0; r < cells.length; r++) {
      const i = cells[r];
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new OptionError(`cell index ${i} out of range [0, ${n})`, { field: "cells" });
      }
    }
    const obs: Record<string, ObsColumn> = {};
    for (const [name, col] of Object.entries(this.#obs)) obs[name] = gatherObs(col, cells);
    const parts = { var: this.var, obs, obsIndex: this.obsIndex, uns: this.uns };
    const g = this.nGenes, m = cells.length;
    if (this.X.kind === "dense") {
      const data = new Float32Array(m * g), src = this.X.data;
      for (let r = 0; r < m; r++) data.set(src.subarray(cells[r] * g, cells[r] * g + g), r * g);
      return new Dataset({ ...parts, X: { kind: "dense", nRows: m, nCols: g, data } });
    }
    const { indptr, indices, values } = this.X;
    const outPtr = new Int32Array(m + 1);
    for (let r = 0; r < m; r++) outPtr[r + 1] = outPtr[r] + indptr[cells[r] + 1] - indptr[cells[r]];
    const outIdx = new Int32Array(outPtr[m]), outVal = new Float32Array(outPtr[m]);
    for (let r = 0; r < m; r++) {
      const a = indptr[cells[r]], b = indptr[cells[r] + 1];
      outIdx.set(indices.subarray(a, b), outPtr[r]);
      outVal.set(values.subarray(a, b), outPtr[r]);
    }
    return new Dataset({
      ...parts,
      X: { kind: "csr", nRows: m, nCols: g, indptr: outPtr, indices: outIdx, values: outVal },
    });
  }

  /** The same cells and annotations with another matrix of the same shape (e.g. normalised). */
  withX(X: ExpressionMatrix, uns: Uns = this.uns): Dataset {
    if (X.nRows !== this.nCells || X.nCols !== this.nGenes) {
      throw new ShapeMismatchError(
        `new matrix is ${X.nRows} x ${X.nCols}, dataset is ${this.nCells} x ${this.nGenes}`,
      );
    }
    return new Dataset({ X, var: this.var, obs: this.#obs, obsIndex: this.obsIndex, uns });
  }

  /** The same dataset with an obs column added or replaced. */
  withObs(name: string, column: ObsColumn): Dataset {
    return new Dataset({
      X: this.X,
      var: this.var,
      obs: { ...this.#obs, [name]: column },
      obsIndex: this.obsIndex,
      uns: this.uns,
    });
  }

  /** The same dataset with extra metadata merged into `uns`. */
  withUns(extra: Uns): Dataset {
    return this.withX(this.X, { ...this.uns, ...extra });
  }

  /** A one-line description. */
  toString(): string {
    const nnz = this.X.kind === "csr"
      ? `, ${this.X.indptr[this.nCells] - this.X.indptr[0]} non-zeros`
      : ", dense";
    return `Dataset ${this.nCells} cells x ${this.nGenes} genes${nnz}; obs: ${
      this.obsNames.join(", ") || "-"
    }`;
  }
}

/**
 * The cells of `parts` one after another as one dataset (e.g. the record batches of a file read
 * piece by piece). Every part has the first one's genes, matrix kind and obs columns (of the same
 * kinds); categories are merged by name in order of appearance; var, obs index and uns are the
 * first part's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { concatCells, Dataset } from "./dataset.ts";
 * const a = Dataset.fromDense(new Float32Array([1, 0]), 1, 2, ["A", "B"], {
 *   t: { kind: "categorical", codes: Int32Array.of(0), categories: ["x"] },
 * });
 * const b = Dataset.fromDense(new Float32Array([0, 2, 3, 0]), 2, 2, ["A", "B"], {
 *   t: { kind: "categorical", codes: Int32Array.of(0, 1), categories: ["y", "x"] },
 * });
 * const ab = concatCells([a, b]);
 * assert.deepEqual(Array.from(ab.toDense()), [1, 0, 0, 2, 3, 0]);
 * assert.deepEqual(ab.labels("t"), ["x", "y", "x"]);
 * ```
 */
export function concatCells(parts: readonly Dataset[]): Dataset {
  if (parts.length === 0) {
    throw new OptionError("no datasets to concatenate", { fix: "pass at least one dataset" });
  }
  const first = parts[0], kind = first.X.kind, g = first.nGenes;
  parts.forEach((d, k) => {
    const problem = d.nGenes !== g || d.genes.some((name, j) => name !== first.genes[j])
      ? "other genes"
      : d.X.kind !== kind
      ? `a ${d.X.kind} matrix where the first is ${kind}`
      : first.obsNames.some((name) => !d.hasObs(name) || d.obs(name).kind !== first.obs(name).kind)
      ? "other obs columns"
      : null;
    if (problem) {
      throw new ShapeMismatchError(`dataset ${k + 1} has ${problem} than the first`, {
        fix: "concatenate cells of one dataset (same genes and obs columns)",
      });
    }
  });
  const n = parts.reduce((s, d) => s + d.nCells, 0);
  const obs: Record<string, ObsColumn> = {};
  for (const name of first.obsNames) {
    const cols = parts.map((d) => d.obs(name));
    if (first.obs(name).kind === "categorical") {
      const categories: string[] = [], index = new Map<string, number>();
      const codes = new Int32Array(n);
      let at = 0;
      for (const col of cols as Extract<ObsColumn, { kind: "categorical" }>[]) {
        const remap = col.categories.map((c) => {
          if (!index.has(c)) index.set(c, categories.push(c) - 1);
          return index.get(c)!;
        });
        for (const c of col.codes) codes[at++] = c < 0 ? -1 : remap[c];
      }
      obs[name] = { kind: "categorical", codes, categories };
    } else if (first.obs(name).kind === "string") {
      obs[name] = {
        kind: "string",
        values: (cols as Extract<ObsColumn, { kind: "string" }>[]).flatMap((c) => c.values),
      };
    } else {
      const numeric = cols as Extract<ObsColumn, { kind: "numeric" }>[];
      const same = numeric.every((c) => c.values.constructor === numeric[0].values.constructor);
      const values =
        new (same ? numeric[0].values.constructor as Float64ArrayConstructor : Float64Array)(n);
      let at = 0;
      for (const c of numeric) {
        values.set(c.values, at);
        at += c.values.length;
      }
      obs[name] = { kind: "numeric", values };
    }
  }
  const parts0 = { var: first.var, obs, obsIndex: first.obsIndex, uns: first.uns };
  if (kind === "dense") {
    const data = new Float32Array(n * g);
    let at = 0;
    for (const d of parts) {
      data.set((d.X as DenseMatrix).data.subarray(0, d.nCells * g), at);
      at += d.nCells * g;
    }
    return new Dataset({ ...parts0, X: { kind: "dense", nRows: n, nCols: g, data } });
  }
  const nnz = parts.reduce((s, d) => s + d.indptr[d.nCells] - d.indptr[0], 0);
  const indptr = new Int32Array(n + 1), indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let row = 0, at = 0;
  for (const d of parts) {
    const a = d.indptr[0], b = d.indptr[d.nCells];
    indices.set(d.indices.subarray(a, b), at);
    values.set(d.values.subarray(a, b), at);
    for (let i = 1; i <= d.nCells; i++) indptr[row + i] = at + d.indptr[i] - a;
    row += d.nCells;
    at += b - a;
  }
  return new Dataset({
    ...parts0,
    X: { kind: "csr", nRows: n, nCols: g, indptr, indices, values },
  });
}

/** Encode strings as a categorical (categories sorted; null = code -1). */
export function encodeCategorical(values: readonly (string | null | undefined)[]): {
  kind: "categorical";
  codes: Int32Array;
  categories: string[];
} {
  const categories = [...new Set(values.filter((v): v is string => v != null))].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  const codes = Int32Array.from(values, (v) => (v == null ? -1 : index.get(v)!));
  return { kind: "categorical", codes, categories };
}

/**
 * A numeric obs column that holds only integers, with at most `maxClasses` distinct values, as
 * class codes (categories in numeric order, NaN = missing); null for any other column. Cluster
 * ids and condition codes are often stored this way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { integerCategorical } from "./dataset.ts";
 * const coded = integerCategorical({ kind: "numeric", values: Float64Array.of(2, 10, NaN, 2) }, 5);
 * assert.deepEqual(coded?.categories, ["2", "10"]);
 * assert.deepEqual(Array.from(coded!.codes), [0, 1, -1, 0]);
 * assert.equal(integerCategorical({ kind: "numeric", values: Float64Array.of(0.5, 1) }, 5), null);
 * ```
 */
export function integerCategorical(
  col: ObsColumn,
  maxClasses: number,
): { kind: "categorical"; codes: Int32Array; categories: string[] } | null {
  if (col.kind !== "numeric") return null;
  const distinct = new Set<number>();
  for (const v of col.values) {
    if (Number.isNaN(v)) continue;
    if (!Number.isInteger(v)) return null;
    distinct.add(v);
    if (distinct.size > maxClasses) return null;
  }
  const values = [...distinct].sort((a, b) => a - b);
  const index = new Map(values.map((v, i) => [v, i]));
  const codes = Int32Array.from(col.values, (v) => (Number.isNaN(v) ? -1 : index.get(v)!));
  return { kind: "categorical", codes, categories: values.map(String) };
}

function gatherObs(col: ObsColumn, cells: ArrayLike<number>): ObsColumn {
  const m = cells.length;
  if (col.kind === "categorical") {
    const codes = new Int32Array(m);
    for (let r = 0; r < m; r++) codes[r] = col.codes[cells[r]];
    return { ...col, codes };
  }
  if (col.kind === "string") {
    return {
      kind: "string",
      values: Array.from({ length: m }, (_, r) => col.values[cells[r]]),
    };
  }
  const values = new (col.values.constructor as Float64ArrayConstructor)(m);
  for (let r = 0; r < m; r++) values[r] = col.values[cells[r]];
  return { kind: "numeric", values };
}

function sortRowByIndex(idx: Int32Array, val: Float32Array, a: number, b: number): void {
  for (let i = a + 1; i < b; i++) {
    if (idx[i - 1] <= idx[i]) continue;
    const ki = idx[i], kv = val[i];
    let j = i - 1;
    while (j >= a && idx[j] > ki) {
      idx[j + 1] = idx[j];
      val[j + 1] = val[j];
      j--;
    }
    idx[j + 1] = ki;
    val[j + 1] = kv;
  }
}
