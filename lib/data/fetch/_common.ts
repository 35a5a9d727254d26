/**
 * What the fetch steps share: their options, the log line sink, and file freshness checks.
 * @module
 */

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

export function logger(options: FetchOptions): (line: string) => void {
  if (options.quiet) return () => {};
  return options.log ?? ((line) => console.error(line));
}

export async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** Whether `path` exists and is at least as new as every one of `inputs`. */
export async function isFresh(path: string, inputs: readonly string[]): Promise<boolean> {
  const out = await statOrNull(path);
  if (!out?.mtime) return false;
  for (const p of inputs) {
    const s = await Deno.stat(p);
    if (!s.mtime || s.mtime > out.mtime) return false;
  }
  return true;
}
