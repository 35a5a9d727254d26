/**
 * Downloads of manifest files: HTTP Range resume into `PATH.part`, size and sha256 checks, then
 * a rename into place; files the manifest does not pin are refused unless asked for.
 * @module
 */
import { dirname, join } from "node:path";
import { sha256File } from "../../runtime/fingerprint.ts";
import { DataValueError, DownloadError, FileFormatError } from "../../runtime/errors.ts";
import { Progress } from "../../runtime/progress.ts";
import { type FetchOptions, logger, statOrNull } from "./_common.ts";
import type { ManifestFile } from "./manifest.ts";

/** What happened to one file. */
export interface FileResult {
  path: string;
  status: "present" | "downloaded" | "resumed";
  sha256: string;
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
