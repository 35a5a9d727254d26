/**
 * Atomic file output: write to a temporary file beside the target, flush it to disk, then rename.
 * A crash or an error mid-write leaves the target untouched and no partial file behind; an
 * operating-system refusal (no space, permission, read-only, busy) becomes a one-line
 * {@link OutputError}. Append-only JSON-lines logs (resumable runs) are read back with
 * {@link readJsonLines}.
 * @module
 */
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { OutputError } from "./errors.ts";

/** What each operating-system write error means, and what the user can do about it. */
const WRITE_ERRORS: Record<string, [string, string]> = {
  ENOSPC: ["no space left on the device", "free some space, or write to another disk"],
  EDQUOT: ["disk quota exceeded", "free some space, or write to another disk"],
  EACCES: ["permission denied", "write to a folder you own, or fix its permissions"],
  EPERM: ["operation not permitted", "write to a folder you own, or fix its permissions"],
  EROFS: ["the file system is read-only", "write to a folder on a writable disk"],
  EBUSY: [
    "the path is busy (in use by another program)",
    "close that program or choose another path",
  ],
  ETXTBSY: [
    "the file is busy (in use by another program)",
    "close that program or choose another path",
  ],
  ENOTDIR: ["a part of the path is a file, not a folder", "check the path"],
  EISDIR: ["the path is a folder", "name a file inside it"],
  ENOENT: ["its folder does not exist (any more)", "create the folder, or check the path"],
  ENOTEMPTY: ["a folder is in the way", "choose another path"],
  EEXIST: ["something else is in the way", "choose another path"],
  ENAMETOOLONG: ["the name is too long", "use a shorter path"],
  EIO: ["input/output error from the disk", "check the disk, or write to another one"],
};

/**
 * An {@link OutputError} naming `path`, the problem and the fix when `err` is an operating-system
 * error of writing (it carries a code like ENOSPC); any other error is returned unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeError } from "./atomic.ts";
 * const err = await Deno.writeFile("/dev/full", new Uint8Array(8)).catch((e) => e);
 * assert.match((writeError(err, "/dev/full") as Error).message, /no space left.*Fix: free some/);
 * ```
 */
export function writeError(err: unknown, path: string): unknown {
  const code = (err as { code?: unknown })?.code;
  const known = typeof code === "string" ? WRITE_ERRORS[code] : undefined;
  if (!known) return err;
  return new OutputError(`cannot write: ${known[0]} (${code})`, { file: path, fix: known[1] });
}

/** Flush a written file, or a folder's entries (after a rename in it), to the disk. */
export async function syncPath(path: string): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    await file.sync();
  } finally {
    file.close();
  }
}

function tempPathFor(path: string): string {
  const tag = `${Deno.pid}-${crypto.getRandomValues(new Uint32Array(1))[0].toString(36)}`;
  return join(dirname(path), `.${basename(path)}.tmp-${tag}`);
}

/**
 * Run `write(tmpPath)`, which must create the file at `tmpPath`; on success flush it and rename it
 * to `path`, on failure delete it and rethrow (an operating-system error as an
 * {@link OutputError}). For writers that need a path (h5wasm, streams).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withAtomicFile } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await withAtomicFile(`${dir}/a.txt`, (tmp) => Deno.writeTextFile(tmp, "hi"));
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "hi");
 * ```
 */
export async function withAtomicFile<T>(
  path: string,
  write: (tmpPath: string) => Promise<T> | T,
): Promise<T> {
  const tmp = tempPathFor(path);
  try {
    const result = await write(tmp);
    await syncPath(tmp);
    await Deno.rename(tmp, path);
    return result;
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw writeError(err, path);
  }
}

/** Write bytes or text to `path` atomically. */
export function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  return withAtomicFile(
    path,
    (tmp) => typeof data === "string" ? Deno.writeTextFile(tmp, data) : Deno.writeFile(tmp, data),
  );
}

/**
 * The records of an append-only JSON-lines file (none when it does not exist). A line that does
 * not parse, the cut-off last line of an interrupted run, is skipped, so its work runs again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readJsonLines } from "./atomic.ts";
 * const path = `${await Deno.makeTempDir()}/r.jsonl`;
 * await Deno.writeTextFile(path, '{"a":1}\n{"a":2}\n{"a":');
 * assert.equal((await readJsonLines<{ a: number }>(path)).map((r) => r.a).join(), "1,2");
 * ```
 */
export async function readJsonLines<T>(path: string): Promise<T[]> {
  if (!existsSync(path)) return [];
  const records: T[] = [];
  for (const line of (await Deno.readTextFile(path)).split("\n")) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line));
    } catch { /* the incomplete last line of an interrupted run */ }
  }
  return records;
}
