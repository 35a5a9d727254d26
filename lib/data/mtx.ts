/**
 * MatrixMarket coordinate files (`.mtx`, optionally gzipped) with their gene and cell lists:
 * 10x Genomics folders (genes x cells) and yoto's shared folders (cells x genes, genes.txt,
 * obs.csv).
 *
 * Entries must be listed once: a repeated (row, column) is a FileFormatError rather than being
 * summed, since in a counts file it almost always means two files were concatenated. Explicit
 * zeros are dropped.
 * @module
 */
import { basename, dirname, join } from "node:path";
import { type CsrMatrix, Dataset, type ObsColumn, type VarFields } from "./dataset.ts";
import { checkUniqueIds, cooToCsr, countProblem, readBytes, readLines, Scanner } from "./_text.ts";
import { joinObs, readObsCsv } from "./csv.ts";
import {
  DataValueError,
  FileFormatError,
  OptionError,
  ShapeMismatchError,
} from "../runtime/errors.ts";
import { Progress } from "../runtime/progress.ts";

/**
 * The files of one MatrixMarket dataset.
 *
 * @example
 * ```ts
 * import type { MtxPaths } from "yoto";
 * const paths: MtxPaths = { matrix: "counts.mtx.gz", genes: "genes.txt", obs: "obs.csv" };
 * ```
 */
export interface MtxPaths {
  /** The `.mtx` / `.mtx.gz` file. */
  matrix: string;
  /**
   * Gene list: one name per line, or 10x `features.tsv` / `genes.tsv` (id, name[, type]; the name
   * becomes `gene`, the id `gene_id`, the type `feature_type`). Absent: genes are `gene_<j>`.
   */
  genes?: string;
  /** Cell barcodes, one per line: the `barcode` obs column and obs index. */
  barcodes?: string;
  /** Obs table (CSV, first column = cell id), joined by barcode, or taken row by row without one. */
  obs?: string;
}

/**
 * How the matrix is laid out; 10x files are genes-by-cells.
 *
 * @example
 * ```ts
 * import type { MtxOrientation } from "yoto";
 * const tenx: MtxOrientation = "genes-by-cells";
 * ```
 */
export type MtxOrientation = "auto" | "cells-by-genes" | "genes-by-cells";

/**
 * Options of readMtx.
 *
 * @example
 * ```ts
 * import type { ReadMtxOptions } from "yoto";
 * const options: ReadMtxOptions = { orientation: "cells-by-genes", quiet: true };
 * ```
 */
export interface ReadMtxOptions {
  /** Default "auto": decided by which way the gene and cell lists fit the matrix. */
  orientation?: MtxOrientation;
  /** No progress or warning output. */
  quiet?: boolean;
}

/**
 * Read a MatrixMarket dataset into a CSR cells x genes Dataset. `input` is a folder, a matrix file
 * (its companions are looked for beside it), or explicit paths. In a folder the matrix is
 * `matrix.mtx` / `counts.mtx` (or the only `*.mtx`), genes `features.tsv` / `genes.tsv` /
 * `genes.txt`, cells `barcodes.tsv` and / or `obs.csv`, each optionally `.gz`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readMtx } from "yoto";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/matrix.mtx`, "%%MatrixMarket matrix coordinate integer general\n3 2 2\n1 1 5\n3 2 1\n");
 * await Deno.writeTextFile(`${dir}/genes.txt`, "A\nB\nC\n");
 * await Deno.writeTextFile(`${dir}/barcodes.tsv`, "c1\nc2\n");
 * const ds = await readMtx(dir, { quiet: true });
 * assert.equal(ds.nCells, 2);
 * assert.equal(ds.nGenes, 3);
 * assert.notEqual(ds.uns.source, undefined);
 * ```
 */
export async function readMtx(
  input: string | MtxPaths,
  options: ReadMtxOptions = {},
): Promise<Dataset> {
  const asked = options.orientation ?? "auto";
  if (!["auto", "cells-by-genes", "genes-by-cells"].includes(asked)) {
    throw new OptionError(`unknown orientation '${asked}'`, {
      field: "orientation",
      fix: "use auto, cells-by-genes or genes-by-cells",
    });
  }
  const paths = typeof input === "string" ? await findFiles(input) : input;
  const file = paths.matrix;
  const sc = new Scanner(await readBytes(file), file, 32);
  const size = readHeader(sc);
  const vars = paths.genes ? await readGeneList(paths.genes) : undefined;
  const barcodes = paths.barcodes
    ? (await readLines(paths.barcodes)).map((l) => l.split("\t")[0])
    : undefined;
  const table = paths.obs ? await readObsCsv(paths.obs) : undefined;
  const orientation = decideOrientation(
    asked,
    size,
    vars?.gene.length,
    barcodes?.length ?? table?.ids.length,
    paths,
  );
  const cellsAreRows = orientation === "cells-by-genes";
  const [nCells, nGenes] = cellsAreRows ? [size.nRows, size.nCols] : [size.nCols, size.nRows];

  const X = readEntries(sc, size, cellsAreRows, nCells, nGenes, options.quiet);

  let obs: Record<string, ObsColumn> | undefined, obsIndex: string | undefined;
  if (barcodes) {
    checkUniqueIds(barcodes, "barcode", paths.barcodes!);
    obsIndex = "barcode";
    obs = table
      ? joinObs(table, barcodes, { indexName: obsIndex, file: paths.obs!, quiet: options.quiet })
      : { barcode: { kind: "string", values: barcodes } };
  } else if (table) {
    obsIndex = table.indexName;
    obs = joinObs(table, table.ids, {
      indexName: obsIndex,
      file: paths.obs!,
      quiet: options.quiet,
    });
  }
  return new Dataset({
    X,
    var: vars ?? { gene: Array.from({ length: nGenes }, (_, j) => `gene_${j}`) },
    obs,
    obsIndex,
    uns: { source: { format: "mtx", path: file, orientation } },
  });
}

/** Companion files of a folder, or of the folder a matrix file is in. */
async function findFiles(input: string): Promise<MtxPaths> {
  let isDir: boolean;
  try {
    isDir = (await Deno.stat(input)).isDirectory;
  } catch {
    throw new FileFormatError("no such file or directory", { file: input, fix: "check the path" });
  }
  const dir = isDir ? input : dirname(input);
  const names = new Set<string>();
  for await (const e of Deno.readDir(dir)) if (!e.isDirectory) names.add(e.name);
  const pick = (...stems: string[]) => {
    const name = stems.flatMap((s) => [s, `${s}.gz`]).find((n) => names.has(n));
    return name === undefined ? undefined : join(dir, name);
  };
  let matrix = isDir ? pick("matrix.mtx", "counts.mtx") : input;
  if (!matrix) {
    const all = [...names].filter((n) => /\.mtx(\.gz)?$/i.test(n));
    if (all.length !== 1) {
      throw new FileFormatError(
        all.length
          ? `several .mtx files (${all.join(", ")})`
          : "no matrix.mtx(.gz), counts.mtx(.gz) or other .mtx file",
        { file: dir, fix: "pass the matrix file itself, or { matrix, genes, barcodes, obs }" },
      );
    }
    matrix = join(dir, all[0]);
  }
  const genes = pick("features.tsv", "genes.tsv", "genes.txt");
  if (!genes) {
    throw new FileFormatError(
      "no gene list (features.tsv, genes.tsv or genes.txt, optionally .gz)",
      {
        file: dir,
        fix: "put the gene list beside the matrix, or pass { matrix, genes }",
      },
    );
  }
  return { matrix, genes, barcodes: pick("barcodes.tsv"), obs: pick("obs.csv") };
}

interface MtxSize {
  nRows: number;
  nCols: number;
  nnz: number;
  /** real, integer or pattern. */
  field: string;
  /** Line of the size line. */
  line: number;
}

/** Skip blank and % comment lines; false at the end of input. */
function skipToContent(sc: Scanner): boolean {
  for (;;) {
    sc.spaces();
    if (sc.atEnd) return false;
    if (sc.buf[sc.pos] === 37) sc.restOfLine();
    else if (!sc.eol()) return true;
  }
}

function readHeader(sc: Scanner): MtxSize {
  const file = sc.file;
  const expected = "'%%MatrixMarket matrix coordinate real|integer|pattern general'";
  if (sc.atEnd) {
    throw new FileFormatError("file is empty", {
      file,
      fix: `a MatrixMarket file starts with ${expected}`,
    });
  }
  const first = sc.restOfLine().trim();
  const [banner, object, format, field, symmetry] = first.toLowerCase().split(/\s+/);
  if (banner !== "%%matrixmarket") {
    throw new FileFormatError("line 1 is not a MatrixMarket header", {
      file,
      fix: `the first line must be ${expected}`,
    });
  }
  if (
    object !== "matrix" || format !== "coordinate" ||
    !["real", "integer", "pattern"].includes(field) ||
    symmetry !== "general"
  ) {
    throw new FileFormatError(`line 1: unsupported MatrixMarket type '${first}'`, {
      file,
      fix: `only sparse count matrices are read: ${expected}`,
    });
  }
  if (!skipToContent(sc)) {
    throw new FileFormatError("no size line ('rows columns entries') after the header", { file });
  }
  const line = sc.line;
  const nRows = sc.uint(),
    gap1 = sc.spaces(),
    nCols = sc.uint(),
    gap2 = sc.spaces(),
    nnz = sc.uint();
  if (nRows < 0 || nCols < 0 || nnz < 0 || !gap1 || !gap2 || !sc.eol()) {
    throw new FileFormatError(`line ${line} is not a size line 'rows columns entries'`, { file });
  }
  if (nnz > nRows * nCols) {
    throw new FileFormatError(
      `line ${line}: ${nnz} entries cannot fit a ${nRows} x ${nCols} matrix`,
      { file },
    );
  }
  return { nRows, nCols, nnz, field, line };
}

async function readGeneList(path: string): Promise<VarFields> {
  const lines = await readLines(path);
  const rows = lines.map((l) => l.split("\t"));
  const width = rows[0]?.length ?? 1;
  rows.forEach((r, k) => {
    if (r.length !== width) {
      throw new FileFormatError(
        `line ${k + 1} has ${r.length} tab-separated fields, line 1 has ${width}`,
        {
          file: path,
          fix: "give every gene the same columns (10x: id, name, type)",
        },
      );
    }
  });
  if (width === 1) return { gene: lines };
  const vars: VarFields = { gene: rows.map((r) => r[1]), gene_id: rows.map((r) => r[0]) };
  if (width >= 3) vars.feature_type = rows.map((r) => r[2]);
  return vars;
}

function decideOrientation(
  asked: MtxOrientation,
  size: MtxSize,
  nGenes: number | undefined,
  nCells: number | undefined,
  paths: MtxPaths,
): "cells-by-genes" | "genes-by-cells" {
  const fits = (o: "cells-by-genes" | "genes-by-cells") => {
    const [cells, genes] = o === "cells-by-genes"
      ? [size.nRows, size.nCols]
      : [size.nCols, size.nRows];
    return (nGenes === undefined || genes === nGenes) && (nCells === undefined || cells === nCells);
  };
  const lists = [
    nGenes === undefined ? "" : `${paths.genes} lists ${nGenes} genes`,
    nCells === undefined ? "" : `${paths.barcodes ?? paths.obs} lists ${nCells} cells`,
  ].filter(Boolean).join(" and ") || "there is no gene or cell list";
  const sizes = `the matrix is ${size.nRows} rows x ${size.nCols} columns and ${lists}`;
  if (asked !== "auto") {
    if (fits(asked)) return asked;
    throw new ShapeMismatchError(`orientation ${asked} does not fit: ${sizes}`, {
      file: paths.matrix,
      fix:
        "check the orientation (10x files are genes-by-cells) and that the lists belong to this matrix",
    });
  }
  const byCells = fits("cells-by-genes"), byGenes = fits("genes-by-cells");
  if (byCells !== byGenes) return byCells ? "cells-by-genes" : "genes-by-cells";
  throw new ShapeMismatchError(
    `${byCells ? "both orientations fit" : "neither orientation fits"}: ${sizes}`,
    {
      file: paths.matrix,
      fix: byCells
        ? "pass orientation cells-by-genes or genes-by-cells"
        : "check that the gene and cell lists belong to this matrix",
    },
  );
}

/** Parse the entry lines into CSR cells x genes, checking indices, values, count and repeats. */
function readEntries(
  sc: Scanner,
  size: MtxSize,
  cellsAreRows: boolean,
  nCells: number,
  nGenes: number,
  quiet?: boolean,
): CsrMatrix {
  const { nRows, nCols, nnz, field } = size, file = sc.file;
  const pattern = field === "pattern", integer = field === "integer";
  // Each entry takes at least 4 bytes ("1 1\n"), so a bogus nnz cannot make us allocate more.
  const cap = Math.min(nnz, Math.floor((sc.buf.length - sc.pos + 1) / 4));
  const cellOf = new Int32Array(cap), geneOf = new Int32Array(cap), vals = new Float32Array(cap);
  const progress = new Progress(`reading ${basename(file)}`, nnz, { quiet });
  const lineText = (start: number) => {
    sc.pos = start;
    return sc.restOfLine().trim();
  };
  let count = 0, stored = 0;
  while (skipToContent(sc)) {
    const line = sc.line, start = sc.pos;
    if (count === nnz) {
      throw new FileFormatError(
        `line ${line}: more entries than the ${nnz} on the size line (line ${size.line})`,
        {
          file,
          fix: "correct the entry count on the size line",
        },
      );
    }
    const i = sc.uint();
    let ok = i >= 0 && sc.spaces() > 0;
    const j = ok ? sc.uint() : -1;
    ok = j >= 0 && (pattern || (sc.spaces() > 0 && sc.number())) && sc.eol();
    if (!ok) {
      throw new FileFormatError(
        `line ${line}: expected '${pattern ? "row column" : "row column value"}', found '${
          lineText(start)
        }'`,
        { file },
      );
    }
    if (i < 1 || i > nRows || j < 1 || j > nCols) {
      throw new FileFormatError(
        `line ${line}: entry (${i}, ${j}) is outside the ${nRows} x ${nCols} matrix`,
        {
          file,
          fix: "indices are 1-based and must fit the size line",
        },
      );
    }
    const v = pattern ? 1 : sc.value, problem = countProblem(v);
    if (problem) {
      throw new DataValueError(`line ${line}: value in '${lineText(start)}' is ${problem}`, {
        file,
        fix: "the matrix must hold counts: finite numbers >= 0",
      });
    }
    if (integer && !Number.isInteger(v)) {
      throw new FileFormatError(
        `line ${line}: '${lineText(start)}' is not an integer in an integer matrix`,
        {
          file,
          fix: "declare the matrix 'real' in the header",
        },
      );
    }
    if (v !== 0) {
      cellOf[stored] = cellsAreRows ? i - 1 : j - 1;
      geneOf[stored] = cellsAreRows ? j - 1 : i - 1;
      vals[stored++] = v;
    }
    if ((++count & 0xfffff) === 0) progress.tick(0x100000);
  }
  if (count < nnz) {
    throw new FileFormatError(
      `the size line (line ${size.line}) announces ${nnz} entries but the file ends after ${count}, at line ${sc.line}`,
      { file, fix: "the file may be truncated: write or download it again" },
    );
  }
  progress.finish();
  const X = cooToCsr(cellOf, geneOf, vals, stored, nCells, nGenes);
  // Duplicates end up adjacent in a row: refuse rather than sum (see the module note).
  const { indptr, indices } = X;
  for (let r = 0; r < nCells; r++) {
    for (let p = indptr[r] + 1; p < indptr[r + 1]; p++) {
      if (indices[p] !== indices[p - 1]) continue;
      const [i, j] = cellsAreRows ? [r + 1, indices[p] + 1] : [indices[p] + 1, r + 1];
      throw new FileFormatError(`entry (${i}, ${j}) is listed more than once`, {
        file,
        fix: "list each entry once (sum duplicates first, e.g. scipy's sum_duplicates())",
      });
    }
  }
  return X;
}
