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
import { FileFormatError, OptionError } from "../runtime/errors.ts";

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
 * import { Dataset } from "./dataset.ts";
 * const path = `${await Deno.makeTempDir()}/d.arrow`;
 * await writeDataset(Dataset.fromDense(new Float32Array(4), 2, 2, ["A", "B"]), path);
 * console.assert((await readDataset(path)).nGenes === 2);
 * ```
 */
export function readDataset(path: string, options: ReadOptions = {}): Promise<Dataset> {
  const format = options.format ?? detectFormat(path);
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
