/**
 * Atomic file output: write to a temporary file beside the target, then rename.
 * A crash or an error mid-write leaves the target untouched and no partial file behind. Append-only
 * JSON-lines logs (resumable runs) are read back with {@link readJsonLines}.
 * @module
 */
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";

function tempPathFor(path: string): string {
  const tag = `${Deno.pid}-${crypto.getRandomValues(new Uint32Array(1))[0].toString(36)}`;
  return join(dirname(path), `.${basename(path)}.tmp-${tag}`);
}

/**
 * Run `write(tmpPath)`, which must create the file at `tmpPath`; on success rename it to
 * `path`, on failure delete it and rethrow. For writers that need a path (h5wasm, streams).
 *
 * @example
 * ```ts
 * const dir = await Deno.makeTempDir();
 * await withAtomicFile(`${dir}/a.txt`, (tmp) => Deno.writeTextFile(tmp, "hi"));
 * console.assert((await Deno.readTextFile(`${dir}/a.txt`)) === "hi");
 * ```
 */
export async function withAtomicFile<T>(
  path: string,
  write: (tmpPath: string) => Promise<T> | T,
): Promise<T> {
  const tmp = tempPathFor(path);
  try {
    const result = await write(tmp);
    await Deno.rename(tmp, path);
    return result;
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
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
 * const path = `${await Deno.makeTempDir()}/r.jsonl`;
 * await Deno.writeTextFile(path, '{"a":1}\n{"a":2}\n{"a":');
 * console.assert((await readJsonLines<{ a: number }>(path)).map((r) => r.a).join() === "1,2");
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
