/**
 * Zip archives of manifest files: extract the members a dataset names, each atomically.
 * @module
 */
import { basename, join } from "node:path";
import { unzipSync } from "fflate";
import { writeFileAtomic } from "../../runtime/atomic.ts";
import { FileFormatError } from "../../runtime/errors.ts";
import { type FetchOptions, isFresh, logger } from "./_common.ts";

/**
 * Extract zip members (matched by file name, wherever they sit in the archive) into `outDir`,
 * each atomically; members already extracted after the archive's last change are skipped.
 * Returns the extracted paths. The archive and the members being extracted are held in memory
 * (fflate's unzipSync, which reads the archive's central directory).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
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
