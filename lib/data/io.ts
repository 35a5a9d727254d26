/**
 * One entry point for every input and output format, chosen by the path:
 * `.arrow` (yoto's own), `.h5ad` (AnnData), a 10x / MatrixMarket directory or `.mtx(.gz)`,
 * and dense `.csv` / `.tsv` / `.txt` tables (optionally `.gz`).
 * @module
 */
import { Dataset } from "./dataset.ts";
import { readArrow, writeArrow } from "./arrow.ts";
import { readH5ad, writeH5ad } from "./h5ad.ts";
import { readMtx } from "./mtx.ts";
import { readDelimited, writeDelimited, writeObsCsv } from "./csv.ts";
import { checkRawCounts } from "./stats.ts";
import { DataValueError, FileFormatError, OptionError, quoted } from "../runtime/errors.ts";

/** The input formats readDataset understands. */
export type InputFormat = "arrow" | "h5ad" | "mtx" | "csv";

/** Options that apply to one format or another; irrelevant ones are ignored. */
export interface ReadOptions {
  /** Force the format instead of guessing it from the path. */
  format?: InputFormat;
  /** mtx / csv: how the matrix is laid out (10x files are genes x cells). */
  orientation?: "auto" | "cells-by-genes" | "genes-by-cells";
  /** csv: an obs table (CSV) joined by cell id. */
  obs?: string;
  /** h5ad: read `layers/<layer>` instead of X. */
  layer?: string;
  /** h5ad: read `raw/X` instead of X. */
  raw?: boolean;
  /**
   * Make repeated gene names and cell ids unique (later copies get `-1`, `-2`, ... as scanpy's
   * var_names_make_unique) instead of refusing them.
   */
  makeUnique?: boolean;
  /** No progress output. */
  quiet?: boolean;
}

/** Guess the format of a path (a directory is a 10x / MatrixMarket folder). */
export function detectFormat(path: string): InputFormat {
  let isDir = false;
  try {
    isDir = Deno.statSync(path).isDirectory;
  } catch {
    throw new FileFormatError("no such file or directory", { file: path, fix: "check the path" });
  }
  if (isDir) return "mtx";
  const name = path.toLowerCase().replace(/\.gz$/, "");
  if (name.endsWith(".arrow") || name.endsWith(".feather")) return "arrow";
  if (name.endsWith(".h5ad")) return "h5ad";
  if (name.endsWith(".mtx")) return "mtx";
  if (/\.(csv|tsv|txt)$/.test(name)) return "csv";
  throw new FileFormatError("cannot tell the format from the file name", {
    file: path,
    fix: "use .arrow, .h5ad, .mtx(.gz), a 10x directory, or .csv/.tsv/.txt (or pass a format)",
  });
}

/**
 * Read a dataset in any supported format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, readDataset, writeDataset } from "yoto";
 * const path = `${await Deno.makeTempDir()}/d.arrow`;
 * await writeDataset(Dataset.fromDense(new Float32Array(4), 2, 2, ["A", "B"]), path);
 * assert.equal((await readDataset(path)).nGenes, 2);
 * ```
 */
export async function readDataset(path: string, options: ReadOptions = {}): Promise<Dataset> {
  const format = options.format ?? detectFormat(path);
  if (format !== "h5ad" && (options.layer !== undefined || options.raw)) {
    throw new OptionError(
      `${options.raw ? "--raw" : "--layer"} reads from an .h5ad file, but this input is ${format}`,
      { file: path, fix: `drop ${options.raw ? "--raw" : "--layer"} or pass the .h5ad file` },
    );
  }
  const ds = await readFormat(path, format, options);
  return options.makeUnique ? withUniqueNames(ds) : checkUniqueNames(ds, path);
}

function readFormat(path: string, format: InputFormat, options: ReadOptions): Promise<Dataset> {
  switch (format) {
    case "arrow":
      return readArrow(path);
    case "h5ad":
      return readH5ad(path, { layer: options.layer, raw: options.raw, quiet: options.quiet });
    case "mtx":
      return readMtx(path, { orientation: options.orientation, quiet: options.quiet });
    case "csv":
      return readDelimited(path, {
        orientation: options.orientation === "auto" ? undefined : options.orientation,
        obs: options.obs,
        quiet: options.quiet,
      });
    default:
      throw new OptionError(`unknown input format '${format}'`, {
        fix: "use arrow, h5ad, mtx or csv",
      });
  }
}

/**
 * The flags of every command that needs raw counts; readCounts takes their values. Commands that
 * need integers offer only `layer` and `raw`.
 */
export const COUNT_FLAGS = {
  layer: { type: "string" },
  raw: { type: "boolean" },
  "allow-non-integer": { type: "boolean" },
} as const;

/** Values of {@link COUNT_FLAGS} (and --quiet). */
export interface CountFlags {
  layer?: string;
  raw?: boolean;
  "allow-non-integer"?: boolean;
  quiet?: boolean;
}

/**
 * Read raw counts for `context` (what needs them, named in the error): `--layer` / `--raw` pick
 * the matrix of an .h5ad, and anything but finite non-negative integers (or, with
 * `--allow-non-integer`, non-negative values) is a DataValueError (checkRawCounts); with
 * `integers`, where only integers will do, the error does not offer `--allow-non-integer`.
 */
export async function readCounts(
  path: string,
  flags: CountFlags,
  context: string,
  { integers = false } = {},
): Promise<Dataset> {
  const ds = await readDataset(path, { layer: flags.layer, raw: flags.raw, quiet: flags.quiet });
  checkRawCounts(ds, context, {
    allowNonInteger: flags["allow-non-integer"],
    offerNonInteger: !integers,
  });
  return ds;
}

/** The names that occur more than once (in order of first repeat) and how often each does. */
export function repeatedNames(names: readonly string[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const name of names) seen.set(name, (seen.get(name) ?? 0) + 1);
  return new Map([...seen].filter(([, n]) => n > 1));
}

/**
 * The names with repeats made unique as scanpy's var_names_make_unique does: the first copy
 * keeps its name, later ones get `-1`, `-2`, ... (skipping names already taken).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeNamesUnique } from "yoto";
 * assert.deepEqual(makeNamesUnique(["A", "B", "A", "A-1", "A"]), ["A", "B", "A-2", "A-1", "A-3"]);
 * ```
 */
export function makeNamesUnique(names: readonly string[]): string[] {
  const taken = new Set(names), seen = new Set<string>(), next = new Map<string, number>();
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    let n = next.get(name) ?? 1, unique = `${name}-${n}`;
    while (taken.has(unique)) unique = `${name}-${++n}`;
    next.set(name, n + 1);
    taken.add(unique);
    return unique;
  });
}

/**
 * DataValueError when gene names or cell ids repeat: a panel gene or a prediction row would be
 * ambiguous. Names the first repeats, how many there are and the way to fix it. A file streamed
 * record batch by record batch is checked batch by batch (cell ids within each).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "./dataset.ts";
 * const ds = Dataset.fromDense(new Float32Array(2), 1, 2, ["A", "A"]);
 * assert.throws(() => checkUniqueNames(ds, "x.arrow"), /'A' x2/);
 * ```
 */
export function checkUniqueNames(ds: Dataset, file: string): Dataset {
  const listed = (repeats: Map<string, number>) =>
    [...repeats].slice(0, 5).map(([name, n]) => `${quoted(name)} x${n}`).join(", ") +
    (repeats.size > 5 ? ", ..." : "");
  const genes = repeatedNames(ds.genes);
  if (genes.size) {
    throw new DataValueError(
      `${genes.size} gene name(s) occur more than once: ${listed(genes)}`,
      {
        file,
        field: "genes",
        fix: "make them unique with `convert IN OUT --make-unique` (repeats get -1, -2, ...)",
      },
    );
  }
  const cells = repeatedNames(ds.cellIds());
  if (cells.size) {
    throw new DataValueError(`${cells.size} cell id(s) occur more than once: ${listed(cells)}`, {
      file,
      field: ds.obsIndex ?? "cell id",
      fix: "make them unique with `convert IN OUT --make-unique` (repeats get -1, -2, ...)",
    });
  }
  return ds;
}

/** `ds` with repeated gene names and cell ids made unique (makeNamesUnique). */
function withUniqueNames(ds: Dataset): Dataset {
  let out = ds;
  if (repeatedNames(ds.genes).size) {
    out = new Dataset({
      X: ds.X,
      var: { ...ds.var, gene: makeNamesUnique(ds.genes) },
      obs: { ...ds.obsColumns },
      obsIndex: ds.obsIndex,
      uns: ds.uns,
    });
  }
  if (ds.obsIndex !== undefined && repeatedNames(ds.cellIds()).size) {
    out = out.withObs(ds.obsIndex, { kind: "string", values: makeNamesUnique(ds.cellIds()) });
  }
  return out;
}

/** The output formats writeDataset understands. */
export type OutputFormat = "arrow" | "h5ad" | "csv" | "tsv" | "obs-csv";

/** Guess the output format from a path: `.arrow`, `.h5ad`, `.csv`, `.tsv`; `*.obs.csv` = obs only. */
export function detectOutputFormat(path: string): OutputFormat {
  const name = path.toLowerCase();
  if (name.endsWith(".arrow")) return "arrow";
  if (name.endsWith(".h5ad")) return "h5ad";
  if (name.endsWith(".obs.csv")) return "obs-csv";
  if (name.endsWith(".csv")) return "csv";
  if (name.endsWith(".tsv")) return "tsv";
  throw new OptionError("cannot tell the output format from the file name", {
    file: path,
    fix: "end the output path with .arrow, .h5ad, .csv, .tsv or .obs.csv",
  });
}

/** Write a dataset (atomically) in the format its path names. */
export function writeDataset(
  ds: Dataset,
  path: string,
  format = detectOutputFormat(path),
): Promise<void> {
  switch (format) {
    case "arrow":
      return writeArrow(ds, path);
    case "h5ad":
      return writeH5ad(ds, path);
    case "obs-csv":
      return writeObsCsv(ds, path);
    case "csv":
      return writeDelimited(ds, path, { delimiter: "," });
    case "tsv":
      return writeDelimited(ds, path, { delimiter: "\t" });
  }
}
