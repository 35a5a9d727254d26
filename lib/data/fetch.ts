/**
 * Public datasets named in a manifest (`data/manifest.json`, described in `data/README.md`):
 * download with HTTP Range resume into `PATH.part`, check size and sha256, rename into place,
 * unpack zip members, then convert to yoto's `.arrow` format with a recipe. The CLI is
 * `scripts/fetch_data.ts` (`deno task fetch-data`).
 * @module
 */
import { basename, dirname, join, posix } from "node:path";
import { unzipSync } from "fflate";
import { Dataset, encodeCategorical } from "./dataset.ts";
import { joinObs, type ObsTable, readDelimited, readObsCsv } from "./csv.ts";
import { isYotoArrow } from "./arrow.ts";
import { readH5ad } from "./h5ad.ts";
import { writeDataset } from "./io.ts";
import { checkUniqueIds } from "./_text.ts";
import { writeFileAtomic } from "../runtime/atomic.ts";
import { checkOutputFile } from "../runtime/output.ts";
import { sha256File } from "../runtime/fingerprint.ts";
import {
  DataValueError,
  DownloadError,
  FileFormatError,
  MissingFieldError,
} from "../runtime/errors.ts";
import { Progress } from "../runtime/progress.ts";

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

/** Options shared by the fetch steps. */
export interface FetchOptions {
  /** No progress bars and no log lines. */
  quiet?: boolean;
  /**
   * Download files whose sha256 or size the manifest does not give yet (unchecked; the values
   * are printed to pin) [false: such a download is refused].
   */
  allowUnpinned?: boolean;
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void;
}

/** Options of fetchDataset. */
export interface FetchDatasetOptions extends FetchOptions {
  /** Run the convert recipe (default true). */
  convert?: boolean;
}

/** What happened to one file. */
export interface FileResult {
  path: string;
  status: "present" | "downloaded" | "resumed";
  sha256: string;
}

/** What fetchDataset did. */
export interface DatasetResult {
  files: FileResult[];
  /** Files extracted from archives (or already extracted). */
  extracted: string[];
  /** The converted file, when there is a recipe and conversion was not turned off. */
  output?: string;
  /** False when the output was already newer than its inputs. */
  converted: boolean;
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
 * import { parseManifest } from "./fetch.ts";
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

function logger(options: FetchOptions): (line: string) => void {
  if (options.quiet) return () => {};
  return options.log ?? ((line) => console.error(line));
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** The checksum problem with a file, or null when it is what the manifest says. */
function mismatch(file: ManifestFile, size: number, sha256: string): string | null {
  if (file.bytes !== null && size !== file.bytes) {
    return `it has ${size} bytes, the manifest says ${file.bytes}`;
  }
  if (file.sha256 !== null && sha256 !== file.sha256) {
    return `sha256 mismatch: expected ${file.sha256}, got ${sha256}`;
  }
  return null;
}

/**
 * Download one manifest file into `dir` (resuming `PATH.part` with an HTTP Range request),
 * check its size and sha256, and rename it into place. A file already at PATH is checked, not
 * fetched again. A download with the wrong checksum is deleted (DataValueError naming expected
 * and actual hash), and so is one the server makes longer than the manifest's size (reading
 * stops one byte past it); a broken-off one keeps its `.part` (DownloadError: run again to
 * resume). A file the manifest gives no sha256 or size for is not downloaded (FileFormatError)
 * unless `allowUnpinned`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { downloadFile } from "./fetch.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "abc");
 * const r = await downloadFile({
 *   url: "https://example.org/a.txt", path: "a.txt", bytes: 3, licence: "CC0", citation: "-",
 *   sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * }, dir);
 * assert.equal(r.status, "present"); // already there: nothing is fetched
 * ```
 */
export async function downloadFile(
  file: ManifestFile,
  dir: string,
  options: FetchOptions = {},
): Promise<FileResult> {
  const log = logger(options);
  const dest = join(dir, file.path), part = `${dest}.part`;
  const present = await statOrNull(dest);
  if (present) {
    const sha256 = await sha256File(dest);
    const problem = mismatch(file, present.size, sha256);
    if (problem) {
      throw new DataValueError(`the file already there does not match the manifest: ${problem}`, {
        file: dest,
        fix: "delete it to download it again, or correct the manifest",
      });
    }
    notePin(file, sha256, present.size, log);
    return { path: dest, status: "present", sha256 };
  }
  checkPinned(file, options);
  await Deno.mkdir(dirname(dest), { recursive: true });
  let start = (await statOrNull(part))?.size ?? 0;
  if (file.bytes !== null && start > file.bytes) {
    await Deno.remove(part);
    start = 0;
  }
  if (start > 0) log(`${file.path}: resuming at byte ${start}`);
  const from = file.bytes === null || start < file.bytes
    ? await fetchInto(file, part, start, options.quiet, log)
    : start;
  const size = (await Deno.stat(part)).size;
  if (file.bytes !== null && size < file.bytes) {
    throw new DownloadError(`the download stopped at ${size} of ${file.bytes} bytes`, {
      file: part,
      fix: "run the same command again: it resumes",
    });
  }
  const sha256 = await sha256File(part);
  const problem = mismatch(file, size, sha256);
  if (problem) {
    await Deno.remove(part);
    throw new DataValueError(`download deleted, ${problem}`, {
      file: dest,
      fix: "run again to download it afresh; if it fails again the source changed: " +
        "check it and update bytes/sha256 in the manifest",
    });
  }
  await Deno.rename(part, dest);
  notePin(file, sha256, size, log);
  return { path: dest, status: from > 0 ? "resumed" : "downloaded", sha256 };
}

/**
 * FileFormatError when the manifest gives no sha256 or size for `file` (its download could not
 * be checked), unless `allowUnpinned`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPinned } from "./fetch.ts";
 * const file = { url: "https://example.org/a", path: "a", bytes: 3, sha256: null, licence: "-",
 *   citation: "-" };
 * assert.throws(() => checkPinned(file), /no sha256 for a/);
 * checkPinned(file, { allowUnpinned: true });
 * ```
 */
export function checkPinned(file: ManifestFile, options: FetchOptions = {}): void {
  if (options.allowUnpinned || (file.sha256 !== null && file.bytes !== null)) return;
  const missing = [file.sha256 === null && "sha256", file.bytes === null && "bytes"]
    .filter(Boolean).join(" and ");
  throw new FileFormatError(
    `the manifest gives no ${missing} for ${file.path}, so its download cannot be checked`,
    {
      fix: "pin them in the manifest, put a copy you trust at that path, name only other " +
        "datasets, or pass --unpinned to download it unchecked once and print the values to pin",
    },
  );
}

function notePin(file: ManifestFile, sha256: string, size: number, log: (l: string) => void) {
  if (file.sha256 === null || file.bytes === null) {
    log(
      `note: ${file.path} is not pinned in the manifest: its sha256 is ${sha256} and it has ` +
        `${size} bytes; put these in its "sha256" and "bytes" so later downloads are checked`,
    );
  }
}

/**
 * GET `file.url` into `part` from byte `start` on (Range), appending; starts again from 0 when
 * the server ignores the range. Returns the byte it continued from.
 */
async function fetchInto(
  file: ManifestFile,
  part: string,
  start: number,
  quiet: boolean | undefined,
  log: (line: string) => void,
): Promise<number> {
  const { url } = file;
  let res: Response;
  try {
    res = await fetch(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {} });
  } catch (err) {
    throw new DownloadError(`cannot reach ${url} (${(err as Error).message})`, {
      file: part,
      fix: "check the network connection and run again",
    });
  }
  if (res.status === 416 && start > 0) {
    // Nothing left to send: the .part is already whole when the server's total equals its size.
    await res.body?.cancel();
    const total = /\/(\d+)$/.exec(res.headers.get("content-range") ?? "")?.[1];
    if (Number(total) === start) return start;
    await Deno.remove(part);
    return fetchInto(file, part, 0, quiet, log);
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw new DownloadError(`HTTP ${res.status} ${res.statusText} from ${url}`, {
      file: part,
      fix: "check the url in the manifest (the source may have moved), then run again",
    });
  }
  let offset = 0;
  if (res.status === 206) {
    const first = /^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1];
    if (Number(first) !== start) {
      await res.body?.cancel();
      throw new DownloadError(`asked for bytes ${start}- of ${url}, got '${first}'`, {
        file: part,
        fix: `delete ${part} and run again`,
      });
    }
    offset = start;
  } else if (start > 0) {
    log(`${file.path}: the server does not resume downloads; starting again from byte 0`);
  }
  const length = Number(res.headers.get("content-length") ?? NaN);
  const tooLong = async (problem: string): Promise<never> => {
    await Deno.remove(part).catch(() => {});
    throw new DataValueError(`download deleted, ${problem}`, {
      file: part.slice(0, -".part".length),
      fix: "check the url in the manifest: the source may have changed; if it did, update " +
        "bytes/sha256 there",
    });
  };
  // Never read past the manifest's size: a server sending more is cut off at size + 1 bytes.
  const limit = file.bytes;
  if (limit !== null && offset + length > limit) {
    await res.body?.cancel();
    await tooLong(`the server announces ${offset + length} bytes, the manifest says ${limit}`);
  }
  const total = limit ?? (Number.isFinite(length) ? offset + length : null);
  const progress = total ? new Progress(`downloading ${file.path}`, total, { quiet }) : null;
  progress?.tick(offset);
  const mode = offset > 0 ? { append: true } : { write: true, create: true, truncate: true };
  const out = await Deno.open(part, mode);
  let received = offset, overflow = false;
  try {
    for await (let chunk of res.body!) {
      if (limit !== null && received + chunk.length > limit) {
        chunk = chunk.subarray(0, limit + 1 - received);
        overflow = true;
      }
      for (let o = 0; o < chunk.length;) o += await out.write(chunk.subarray(o));
      received += chunk.length;
      progress?.tick(chunk.length);
      if (overflow) break; // leaving the loop cancels the response body
    }
  } catch (err) {
    throw new DownloadError(
      `the download broke off at byte ${received} (${(err as Error).message})`,
      {
        file: part,
        fix: "run the same command again: it resumes",
      },
    );
  } finally {
    out.close();
  }
  progress?.finish();
  if (overflow) await tooLong(`the server sent more than the ${limit} bytes the manifest says`);
  return offset;
}

/** Whether `path` exists and is at least as new as every one of `inputs`. */
async function isFresh(path: string, inputs: readonly string[]): Promise<boolean> {
  const out = await statOrNull(path);
  if (!out?.mtime) return false;
  for (const p of inputs) {
    const s = await Deno.stat(p);
    if (!s.mtime || s.mtime > out.mtime) return false;
  }
  return true;
}

/**
 * Extract zip members (matched by file name, wherever they sit in the archive) into `outDir`,
 * each atomically; members already extracted after the archive's last change are skipped.
 * Returns the extracted paths. The archive and the members being extracted are held in memory
 * (fflate's unzipSync, which reads the archive's central directory).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extractZip } from "./fetch.ts";
 * import { zipSync } from "fflate";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/a.zip`, zipSync({ "x/m.txt": new TextEncoder().encode("hi") }));
 * const [path] = await extractZip(`${dir}/a.zip`, ["m.txt"], dir, { quiet: true });
 * assert.equal(await Deno.readTextFile(path), "hi");
 * ```
 */
export async function extractZip(
  zipPath: string,
  members: readonly string[],
  outDir: string,
  options: FetchOptions = {},
): Promise<string[]> {
  const outputs = members.map((m) => join(outDir, basename(m)));
  const todo: string[] = [];
  for (let i = 0; i < members.length; i++) {
    if (!(await isFresh(outputs[i], [zipPath]))) todo.push(basename(members[i]));
  }
  if (todo.length === 0) return outputs;
  const names: string[] = [];
  let found: Record<string, Uint8Array>;
  try {
    found = unzipSync(await Deno.readFile(zipPath), {
      filter: (f) => {
        names.push(f.name);
        return todo.includes(basename(f.name));
      },
    });
  } catch (err) {
    throw new FileFormatError(`cannot unzip it (${(err as Error).message})`, {
      file: zipPath,
      fix: "delete it and run again to download it afresh",
    });
  }
  const byName = new Map(Object.entries(found).map(([name, data]) => [basename(name), data]));
  for (const name of todo) {
    const data = byName.get(name);
    if (!data) {
      throw new FileFormatError(`the archive has no member '${name}'`, {
        file: zipPath,
        fix: `list some of ${names.slice(0, 8).join(", ")} in the manifest's "unzip"`,
      });
    }
    await writeFileAtomic(join(outDir, name), data);
    logger(options)(`${join(outDir, name)}: extracted`);
  }
  return outputs;
}

/** The files a recipe reads, relative to the data folder. */
function recipeInputs(recipe: ConvertRecipe): string[] {
  if (recipe.kind === "h5ad") return [recipe.input];
  return [
    recipe.input,
    ...(recipe.genes ? [recipe.genes.file] : []),
    ...(recipe.obs ?? []).map((j) => j.file),
  ];
}

/**
 * Run a convert recipe in `dir` (paths in the recipe are relative to it) and write the `.arrow`
 * output atomically; skipped when the output is newer than every input. An older file at the
 * output's path is replaced only when yoto wrote it (OptionError before reading anything).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, writeH5ad } from "yoto";
 * import { convertDataset } from "./fetch.ts";
 * const dir = await Deno.makeTempDir();
 * await writeH5ad(Dataset.fromDense(new Float32Array([1, 0, 0, 2]), 2, 2, ["A", "B"]), `${dir}/d.h5ad`);
 * const r = await convertDataset({ kind: "h5ad", input: "d.h5ad", output: "d.arrow" }, dir, { quiet: true });
 * assert.ok(r.converted);
 * assert.ok(r.output.endsWith("d.arrow"));
 * ```
 */
export async function convertDataset(
  recipe: ConvertRecipe,
  dir: string,
  options: FetchOptions = {},
): Promise<{ output: string; converted: boolean }> {
  const at = (p: string) => join(dir, p);
  const output = at(recipe.output);
  const inputs = recipeInputs(recipe).map(at);
  if (await isFresh(output, inputs)) return { output, converted: false };
  await checkOutputFile(output, {
    flag: "--dir",
    command: "deno task fetch-data",
    isOurs: isYotoArrow,
    inputs,
  });
  const ds = recipe.kind === "h5ad"
    ? await readH5ad(at(recipe.input), {
      layer: recipe.layer,
      raw: recipe.raw,
      quiet: options.quiet,
    })
    : await readCsvMatrix(recipe, at, options);
  await writeDataset(ds.withUns({ convert: recipe }), output);
  logger(options)(`${output}: written (${ds})`);
  return { output, converted: true };
}

async function readCsvMatrix(
  r: CsvMatrixRecipe,
  at: (p: string) => string,
  options: FetchOptions,
): Promise<Dataset> {
  // The small tables first, so that a wrong column name fails before the long matrix read.
  const { genes, obs = [] } = r;
  const geneTable = genes && await readTable(at(genes.file), genes.key, [genes.name]);
  const tables: ObsTable[] = [];
  for (const j of obs) tables.push(await readTable(at(j.file), j.key, j.columns ?? []));
  let ds = await readDelimited(at(r.input), { orientation: r.orientation, quiet: options.quiet });
  if (genes && geneTable) ds = renameGenes(ds, geneTable, genes, at(genes.file));
  obs.forEach((j, i) => ds = joinTable(ds, tables[i], j, at(j.file), logger(options)));
  return ds;
}

async function readTable(path: string, key: string, columns: string[]): Promise<ObsTable> {
  const table = await readObsCsv(path, { idColumn: key });
  const missing = columns.filter((c) => !(c in table.columns));
  if (missing.length) {
    throw new MissingFieldError(`no column(s) ${missing.join(", ")}`, {
      file: path,
      fix: `use some of: ${Object.keys(table.columns).join(", ")}`,
    });
  }
  return table;
}

function renameGenes(ds: Dataset, table: ObsTable, spec: GeneNames, file: string): Dataset {
  // The table's rows in matrix gene order, read as text through a gene-less Dataset.
  const obs = joinObs(table, ds.genes, { indexName: spec.key, file, quiet: true });
  const X = { kind: "dense" as const, nRows: ds.nGenes, nCols: 0, data: new Float32Array(0) };
  const names = new Dataset({ X, var: { gene: [] }, obs }).labels(spec.name);
  const lost = names.findIndex((n) => !n);
  if (lost >= 0) {
    throw new DataValueError(`matrix gene '${ds.genes[lost]}' has no ${spec.name} here`, {
      file,
      field: spec.key,
      fix: "use the gene table that belongs to the matrix",
    });
  }
  checkUniqueIds(names as string[], spec.name, file);
  return new Dataset({
    X: ds.X,
    var: { ...ds.var, gene: names as string[], [spec.key]: ds.genes },
    obs: ds.obsColumns,
    obsIndex: ds.obsIndex,
    uns: ds.uns,
  });
}

function joinTable(
  ds: Dataset,
  table: ObsTable,
  j: ObsJoin,
  file: string,
  log: (line: string) => void,
): Dataset {
  const keys = j.on === undefined ? ds.cellIds() : ds.labels(j.on).map((v) => v ?? "");
  const rows = new Set(table.ids);
  const matched = keys.flatMap((k, i) => (rows.has(k) ? [i] : []));
  log(`${basename(file)}: ${matched.length} of ${ds.nCells} cells have a row`);
  const cols = joinObs(table, keys, { indexName: j.key, file, quiet: true });
  let out = ds;
  for (const name of j.columns ?? Object.keys(table.columns)) {
    if (out.hasObs(name)) {
      throw new DataValueError(`column '${name}' is already an obs column`, {
        file,
        field: name,
        fix: 'list the columns to take in this join\'s "columns"',
      });
    }
    out = out.withObs(name, cols[name]);
  }
  if (j.keep !== "matched") return out;
  out = out.selectCells(Int32Array.from(matched));
  // Re-encode categoricals so that categories of the dropped cells do not linger.
  for (const name of out.obsNames) {
    if (out.obs(name).kind === "categorical") {
      out = out.withObs(name, encodeCategorical(out.labels(name)));
    }
  }
  return out;
}

/**
 * Fetch one manifest dataset into `dir`: download (or check) each file, extract its zip
 * members, then run its convert recipe unless `convert` is false.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetchDataset } from "./fetch.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "abc");
 * const r = await fetchDataset({ files: [{
 *   url: "https://example.org/a.txt", path: "a.txt", bytes: 3, sha256: null, licence: "CC0",
 *   citation: "-",
 * }] }, dir, { quiet: true });
 * assert.equal(r.files[0].status, "present");
 * assert.ok(!r.converted);
 * ```
 */
export async function fetchDataset(
  entry: ManifestDataset,
  dir: string,
  options: FetchDatasetOptions = {},
): Promise<DatasetResult> {
  const log = logger(options);
  const files: FileResult[] = [], extracted: string[] = [];
  for (const file of entry.files) {
    const r = await downloadFile(file, dir, options);
    log(`${file.path}: ${r.status}`);
    files.push(r);
    if (file.unzip) {
      extracted.push(...await extractZip(r.path, file.unzip, dirname(r.path), options));
    }
  }
  if (!entry.convert || options.convert === false) return { files, extracted, converted: false };
  return { files, extracted, ...await convertDataset(entry.convert, dir, options) };
}
