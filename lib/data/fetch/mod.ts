/**
 * Public datasets named in a manifest (`data/manifest.json`, described in `data/README.md`):
 * download with HTTP Range resume into `PATH.part`, check size and sha256, rename into place,
 * unpack zip members, then convert to yoto's `.arrow` format with a recipe. The steps live in
 * manifest.ts, download.ts, archive.ts and convert.ts; this module runs them for one dataset.
 * The CLI is `scripts/fetch_data.ts` (`deno task fetch-data`).
 * @module
 */
import { dirname } from "node:path";
import { type FetchOptions, logger } from "./_common.ts";
import { extractZip } from "./archive.ts";
import { convertDataset } from "./convert.ts";
import { downloadFile, type FileResult } from "./download.ts";
import type { ManifestDataset } from "./manifest.ts";

/** Options of fetchDataset. */
export interface FetchDatasetOptions extends FetchOptions {
  /** Run the convert recipe (default true). */
  convert?: boolean;
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

/**
 * Fetch one manifest dataset into `dir`: download (or check) each file, extract its zip
 * members, then run its convert recipe unless `convert` is false.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "abc");
 * const r = await fetchDataset({ files: [{
 *   url: "https://example.org/a.txt", path: "a.txt", bytes: 3, sha256: null, licence: "CC0",
 *   citation: "-",
 * }] }, dir, { quiet: true });
 * assert.equal(r.files[0].status, "present");
 * assert.equal(r.converted, false);
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
