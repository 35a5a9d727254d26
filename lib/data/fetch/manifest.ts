/**
 * The dataset manifest (`data/manifest.json`, described in `data/README.md`): its types, and
 * parsing with a check of every entry (paths stay inside the data folder, recipes read only the
 * dataset's own files).
 * @module
 */
import { basename, posix } from "node:path";
import { FileFormatError } from "../../runtime/errors.ts";

/** One file of a dataset: where it comes from, where it goes, what it must be. */
export interface ManifestFile {
  /** http(s) source. */
  url: string;
  /** Destination, relative to the data folder. */
  path: string;
  /** Size in bytes, or null when not known yet. */
  bytes: number | null;
  /** Lower-case hex sha256, or null when not known yet (the fetch prints it, to pin). */
  sha256: string | null;
  licence: string;
  citation: string;
  /** Zip members to extract beside the archive (matched by file name). */
  unzip?: string[];
}

/** Rename genes from a table: matrix gene ids looked up in `key`, new names from `name`. */
export interface GeneNames {
  file: string;
  key: string;
  name: string;
}

/** Join an obs table (CSV) whose `key` column matches the cell ids, or the obs column `on`. */
export interface ObsJoin {
  file: string;
  key: string;
  /** Obs column to match `key` against (default: the cell ids). */
  on?: string;
  /** Columns to take (default: all but `key`). */
  columns?: string[];
  /** "matched": keep only the cells that have a row in this table (default "all"). */
  keep?: "all" | "matched";
}

/** Convert an `.h5ad` file (X, a layer, or raw/X). */
export interface H5adRecipe {
  kind: "h5ad";
  input: string;
  output: string;
  layer?: string;
  raw?: boolean;
}

/** Convert a dense CSV/TSV matrix, with optional gene renaming and obs joins (in order). */
export interface CsvMatrixRecipe {
  kind: "csv-matrix";
  input: string;
  output: string;
  orientation?: "cells-by-genes" | "genes-by-cells";
  genes?: GeneNames;
  obs?: ObsJoin[];
}

/** How to turn a dataset's files into one `.arrow` file; paths relative to the data folder. */
export type ConvertRecipe = H5adRecipe | CsvMatrixRecipe;

/** One dataset of the manifest. */
export interface ManifestDataset {
  description?: string;
  files: ManifestFile[];
  convert?: ConvertRecipe;
}

/** The manifest: datasets by name. */
export interface Manifest {
  datasets: Record<string, ManifestDataset>;
}

const FILE_KEYS = ["url", "path", "bytes", "sha256", "licence", "citation", "unzip"];
const RECIPE_KEYS: Record<ConvertRecipe["kind"], string[]> = {
  "h5ad": ["kind", "input", "output", "layer", "raw"],
  "csv-matrix": ["kind", "input", "output", "orientation", "genes", "obs"],
};

/**
 * Parse and check a manifest (JSON text); `file` names it in errors. Every file needs url, path,
 * bytes (or null), sha256 (or null), licence and citation; paths stay inside the data folder;
 * a recipe may only read files the dataset provides.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const m = parseManifest(JSON.stringify({ datasets: { d: { files: [{
 *   url: "https://example.org/d.h5ad", path: "d/d.h5ad", bytes: null, sha256: null,
 *   licence: "CC0", citation: "Doe 2020",
 * }], convert: { kind: "h5ad", input: "d/d.h5ad", output: "d.arrow" } } } }), "m.json");
 * assert.equal(m.datasets.d.files[0].path, "d/d.h5ad");
 * ```
 */
export function parseManifest(text: string, file: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FileFormatError(`not valid JSON (${(err as Error).message})`, {
      file,
      fix: "fix the JSON syntax",
    });
  }
  const bad = (field: string, problem: string, fix: string): never => {
    throw new FileFormatError(problem, { file, field, fix });
  };
  if (!isObject(raw) || !isObject(raw.datasets)) {
    bad("datasets", "the manifest needs a 'datasets' object", "see data/README.md");
  }
  checkKeys(raw as Record<string, unknown>, ["description", "datasets"], "manifest", bad);
  const datasets = (raw as { datasets: Record<string, unknown> }).datasets;
  for (const [name, entry] of Object.entries(datasets)) {
    const at = `datasets.${name}`;
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      bad(at, "dataset names may only use letters, digits, '_' and '-'", "rename it");
    }
    if (!isObject(entry) || !Array.isArray(entry.files) || entry.files.length === 0) {
      return bad(`${at}.files`, "a dataset needs a non-empty 'files' list", "see data/README.md");
    }
    checkKeys(entry, ["description", "files", "convert"], at, bad);
    const provided = new Set<string>();
    (entry as { files: unknown[] }).files.forEach((f, i) => {
      for (const p of checkFile(f, `${at}.files[${i}]`, bad)) provided.add(p);
    });
    const convert = (entry as { convert?: unknown }).convert;
    if (convert !== undefined) checkRecipe(convert, `${at}.convert`, provided, bad);
  }
  return raw as unknown as Manifest;
}

type Bad = (field: string, problem: string, fix: string) => never;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(o: Record<string, unknown>, allowed: string[], at: string, bad: Bad): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length) bad(at, `unknown key(s) ${extra.join(", ")}`, `use ${allowed.join(", ")}`);
}

function checkPath(p: unknown, at: string, bad: Bad): string {
  if (
    typeof p !== "string" || p === "" || p.startsWith("/") || p.includes("\\") ||
    posix.normalize(p) !== p || p.split("/").includes("..")
  ) {
    bad(at, `'${p}' is not a plain relative path`, "use a path like 'visp/file.csv'");
  }
  return p as string;
}

/** Checks one file entry; returns the paths it provides (itself and its zip members). */
function checkFile(f: unknown, at: string, bad: Bad): string[] {
  if (!isObject(f)) return bad(at, "a file entry must be an object", "see data/README.md");
  checkKeys(f, FILE_KEYS, at, bad);
  if (typeof f.url !== "string" || !/^https?:\/\/\S+$/.test(f.url)) {
    bad(`${at}.url`, "needs an http(s) url", "give the download address");
  }
  const path = checkPath(f.path, `${at}.path`, bad);
  if (f.bytes !== null && !(Number.isInteger(f.bytes) && (f.bytes as number) >= 0)) {
    bad(`${at}.bytes`, "must be the size in bytes or null", "e.g. 660544, or null if unknown");
  }
  if (f.sha256 !== null && !(typeof f.sha256 === "string" && /^[0-9a-f]{64}$/.test(f.sha256))) {
    bad(`${at}.sha256`, "must be 64 lower-case hex digits or null", "null until it is known");
  }
  for (const key of ["licence", "citation"]) {
    if (typeof f[key] !== "string" || !(f[key] as string).trim()) {
      bad(`${at}.${key}`, `needs a ${key}`, `say under which terms and how to cite`);
    }
  }
  const provided = [path];
  if (f.unzip !== undefined) {
    if (!Array.isArray(f.unzip) || f.unzip.length === 0) {
      bad(`${at}.unzip`, "must list the archive members to extract", '["matrix.csv"]');
    }
    for (const m of f.unzip as unknown[]) {
      if (typeof m !== "string" || !m) bad(`${at}.unzip`, "member names are strings", '["a.csv"]');
      provided.push(posix.join(posix.dirname(path), basename(m as string)));
    }
  }
  return provided;
}

function checkRecipe(r: unknown, at: string, provided: Set<string>, bad: Bad): void {
  if (!isObject(r) || !(typeof r.kind === "string" && r.kind in RECIPE_KEYS)) {
    return bad(`${at}.kind`, "unknown convert kind", `use ${Object.keys(RECIPE_KEYS).join(", ")}`);
  }
  checkKeys(r, RECIPE_KEYS[r.kind as ConvertRecipe["kind"]], at, bad);
  const input = (v: unknown, field: string) => {
    const p = checkPath(v, `${at}.${field}`, bad);
    if (!provided.has(p)) {
      bad(`${at}.${field}`, `'${p}' is not a file of this dataset`, "name a path from its files");
    }
  };
  const text = (v: unknown, field: string) => {
    if (typeof v !== "string" || !v) bad(`${at}.${field}`, "must be a non-empty string", "fix it");
  };
  input(r.input, "input");
  if (!checkPath(r.output, `${at}.output`, bad).endsWith(".arrow")) {
    bad(`${at}.output`, "the output must be an .arrow file", "e.g. 'visp.arrow'");
  }
  if (r.kind === "h5ad") {
    if (r.layer !== undefined) text(r.layer, "layer");
    if (r.raw !== undefined && typeof r.raw !== "boolean") {
      bad(`${at}.raw`, "must be true or false", "true reads raw/X");
    }
    return;
  }
  if (
    r.orientation !== undefined && r.orientation !== "cells-by-genes" &&
    r.orientation !== "genes-by-cells"
  ) {
    bad(`${at}.orientation`, "unknown orientation", "use cells-by-genes or genes-by-cells");
  }
  if (r.genes !== undefined) {
    const g = r.genes;
    if (!isObject(g)) return bad(`${at}.genes`, "must be {file, key, name}", "fix it");
    checkKeys(g, ["file", "key", "name"], `${at}.genes`, bad);
    input(g.file, "genes.file");
    text(g.key, "genes.key");
    text(g.name, "genes.name");
    if (g.key === "gene") bad(`${at}.genes.key`, "'gene' is reserved", "name the id column");
  }
  if (r.obs !== undefined) {
    if (!Array.isArray(r.obs)) return bad(`${at}.obs`, "must be a list of joins", "[{file, key}]");
    r.obs.forEach((j: unknown, i: number) => {
      const jat = `obs[${i}]`;
      if (!isObject(j)) return bad(`${at}.${jat}`, "must be {file, key, ...}", "fix it");
      checkKeys(j, ["file", "key", "on", "columns", "keep"], `${at}.${jat}`, bad);
      input(j.file, `${jat}.file`);
      text(j.key, `${jat}.key`);
      if (j.on !== undefined) text(j.on, `${jat}.on`);
      if (
        j.columns !== undefined &&
        !(Array.isArray(j.columns) && j.columns.every((c) => typeof c === "string" && c))
      ) {
        bad(`${at}.${jat}.columns`, "must be a list of column names", '["cluster"]');
      }
      if (j.keep !== undefined && j.keep !== "all" && j.keep !== "matched") {
        bad(`${at}.${jat}.keep`, "must be 'all' or 'matched'", '"matched"');
      }
    });
  }
}

/** Read and check a manifest file. */
export async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new FileFormatError("manifest not found", { file: path, fix: "check --manifest" });
    }
    throw err;
  }
  return parseManifest(text, path);
}
