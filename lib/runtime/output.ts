/**
 * Output paths, checked before a command reads its data or trains: {@link checkOutputFile},
 * {@link checkOutputFolder} and {@link claimResultsFolder} refuse, in one line naming the flag and
 * the fix, a path that would replace or mix with something yoto did not write, an input (or a
 * folder inside or around one), `.`, `/` or the home folder. A trailing slash is accepted; a
 * missing parent folder is created, with a note on stderr. An existing file or folder is replaced
 * only when a recogniser (`isOurs`) says yoto wrote it, or, for a file, when the user passed
 * {@link OVERWRITE_FLAG}.
 * @module
 */
import { accessSync, constants, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { writeError, writeFileAtomic } from "./atomic.ts";
import { OptionError } from "./errors.ts";

/** Where a command writes, as its user names it, and what it reads. */
export interface OutputOptions {
  /** The flag or argument naming the path in messages: "--out", "OUT", "config field 'out'". */
  flag: string;
  /** Paths the command reads (undefined: not given); the output may not be, hold or sit in one. */
  inputs?: (string | undefined)[];
}

/** A file output: the command writing it, and how to recognise a file it wrote. */
export interface FileOptions extends OutputOptions {
  /** The command, in messages: "yoto predict", "deno task convert". */
  command: string;
  /**
   * True when the existing file was written by `command` (read its first bytes or metadata only);
   * absent: the format carries no mark of its writer, so an existing file is not replaced.
   */
  isOurs?: (file: string) => boolean | Promise<boolean>;
  /**
   * `--overwrite` as given (true: replace an existing regular file whoever wrote it); left out
   * by a command that has no such flag, whose messages then do not offer it.
   */
  overwrite?: boolean;
  /** The fix offered for an existing file that is not ours (default: a new path, or move it). */
  fix?: string;
}

/** The `--overwrite` flag of the commands writing one file (parseCli options). */
export const OVERWRITE_FLAG = { overwrite: { type: "boolean" } } as const;

/** What `--overwrite` does, for the commands' help. */
export const OVERWRITE_HELP = "replace an existing output file even if yoto did not write it";

/**
 * The first `bytes` bytes of `file` as text (fewer when it is shorter), for recognisers: a large
 * file is never read whole.
 */
export async function readTextHead(file: string, bytes = 16_384): Promise<string> {
  using handle = await Deno.open(file);
  const head = new Uint8Array(bytes);
  let n = 0;
  while (n < bytes) {
    const got = await handle.read(head.subarray(n));
    if (got === null) break;
    n += got;
  }
  return new TextDecoder().decode(head.subarray(0, n));
}

/** A folder output: what a folder of ours is, and how to recognise one. */
export interface FolderOptions extends OutputOptions {
  /** True when the existing, non-empty folder was written by yoto and may be replaced or reused. */
  isOurs: (dir: string) => boolean | Promise<boolean>;
}

function refuse(problem: string, flag: string, fix: string): never {
  throw new OptionError(problem, { field: flag, fix });
}

/** `path` absolute, with the symlinks of its existing part resolved. */
function realPath(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch { /* not there (yet): resolve its parent */ }
  const parent = dirname(abs);
  return parent === abs ? abs : join(realPath(parent), basename(abs));
}

/**
 * True when the path `inner` is `outer` or lies inside it, symbolic links resolved (neither
 * needs to exist).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isInside } from "./output.ts";
 * assert.equal(isInside("model/copy.h5ad", "model/"), true);
 * assert.equal(isInside("model.h5ad", "model"), false);
 * ```
 */
export function isInside(inner: string, outer: string): boolean {
  return within(realPath(inner), realPath(outer));
}

/** True when `inner` is `outer` or lies inside it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === "" || !(rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw writeError(err, path);
  }
}

/**
 * The checks every output shares; returns the path without trailing slashes and what is there
 * now (null: nothing). Creates no folder: see {@link makeParent}.
 */
async function checkCommon(
  given: string,
  noun: "file" | "folder",
  { flag, inputs = [] }: OutputOptions,
): Promise<{ path: string; info: Deno.FileInfo | null }> {
  if (!given.trim()) refuse("the output path is empty", flag, `name a ${noun}`);
  const path = given.length > 1 ? given.replace(/\/+$/, "") || "/" : given;
  const real = realPath(path);
  const home = Deno.env.get("HOME");
  const special: [string, string | undefined][] = [
    ["the current folder", Deno.cwd()],
    ["the root folder", "/"],
    ["your home folder", home],
  ];
  for (const [name, dir] of special) {
    if (dir && real === realPath(dir)) {
      refuse(
        `'${given}' is ${name}: yoto writes only to a ${noun} of its own`,
        flag,
        `pass a new ${noun} inside it, e.g. ${flag} ${
          join(given, noun === "file" ? "out.csv" : "results")
        }`,
      );
    }
  }
  for (const input of inputs) {
    if (input === undefined) continue;
    const source = realPath(input);
    const how = real === source
      ? "is"
      : within(real, source)
      ? "is inside"
      : within(source, real)
      ? "holds"
      : null;
    if (how) {
      refuse(
        `'${given}' ${how} the input '${input}': writing there would replace what is read`,
        flag,
        `write to a new path outside the input, e.g. beside it`,
      );
    }
  }
  let ancestor = dirname(resolve(path));
  while (!(await lstatOrNull(ancestor))) ancestor = dirname(ancestor);
  const { isDirectory } = await Deno.stat(ancestor);
  if (!isDirectory) {
    refuse(`'${ancestor}' is a file, so '${given}' cannot be made`, flag, "check the path");
  }
  try {
    accessSync(ancestor, constants.W_OK);
  } catch (err) {
    const why = (err as { code?: string }).code === "EROFS" ? "read-only" : "not writable";
    refuse(`cannot write in '${ancestor}' (${why})`, flag, "choose a folder you can write to");
  }
  const info = await lstatOrNull(path);
  if (info?.isSymlink) {
    refuse(
      `'${given}' is a symbolic link: yoto would replace the link`,
      flag,
      `pass the path it points to (${realPath(path)}) or a new ${noun}`,
    );
  }
  return { path, info };
}

/** Create the missing parent folders of `path`, saying so on stderr. */
async function makeParent(path: string, flag: string): Promise<void> {
  const parent = dirname(resolve(path));
  if (await lstatOrNull(parent)) return;
  try {
    await Deno.mkdir(parent, { recursive: true });
  } catch (err) {
    throw writeError(err, parent);
  }
  console.error(`note: created folder '${dirname(path)}' for ${flag}`);
}

/**
 * Check a file output (`predict --out`, `convert OUT`, ...): a new path, or an existing regular
 * file that `isOurs` recognises or the user asked to replace (`overwrite`); it is replaced
 * atomically when the command finishes. Never a folder, a device, a symbolic link, an input or
 * a file yoto did not write. Returns the path, without trailing slashes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOutputFile } from "./output.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/in.csv`, "x");
 * const opts = { flag: "--out", command: "yoto predict" };
 * assert.equal(await checkOutputFile(`${dir}/new/out.csv`, opts), `${dir}/new/out.csv`);
 * await assert.rejects(checkOutputFile(`${dir}/in.csv`, { ...opts, inputs: [`${dir}/in.csv`] }));
 * await assert.rejects(checkOutputFile(dir, opts), /is a folder/);
 * const isOurs = async (f: string) => (await Deno.readTextFile(f)) === "mine";
 * await assert.rejects(checkOutputFile(`${dir}/in.csv`, { ...opts, isOurs }), /not written by/);
 * await Deno.writeTextFile(`${dir}/in.csv`, "mine");
 * assert.equal(await checkOutputFile(`${dir}/in.csv`, { ...opts, isOurs }), `${dir}/in.csv`);
 * ```
 */
export async function checkOutputFile(given: string, options: FileOptions): Promise<string> {
  const { path, info } = await checkCommon(given, "file", options);
  if (info?.isDirectory) {
    refuse(
      `'${given}' is a folder`,
      options.flag,
      `name a file inside it, e.g. ${options.flag} ${join(path, basename(path) + ".out")}`,
    );
  }
  if (info && !info.isFile) {
    refuse(
      `'${given}' is not a regular file (a device, pipe or socket)`,
      options.flag,
      "name a new file",
    );
  }
  if (info && !options.overwrite) {
    const { isOurs } = options;
    // An unreadable file is not recognisably ours.
    const ours = isOurs && await Promise.resolve(isOurs(path)).catch(() => false);
    if (!ours) {
      refuse(
        isOurs
          ? `'${given}' exists and was not written by ${options.command}`
          : `'${given}' exists, and ${options.command} cannot tell whether it wrote it (this ` +
            "format carries no mark of its writer)",
        options.flag,
        (options.fix ?? "pass a new path, or move the file away") +
          (options.overwrite === undefined ? "" : " (or pass --overwrite to replace it)"),
      );
    }
  }
  await makeParent(path, options.flag);
  return path;
}

/**
 * Check a folder output that the command creates or replaces as a whole: a new path, an empty
 * folder, or a folder `isOurs` recognises; never a file, a device, a symbolic link, a folder of
 * other files, or an input. Returns the path, without trailing slashes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOutputFolder } from "./output.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
 * const opts = { flag: "--out", isOurs: () => false };
 * await assert.rejects(checkOutputFolder(dir, opts), /notes\.txt/);
 * assert.equal(await checkOutputFolder(`${dir}/model/`, opts), `${dir}/model`);
 * ```
 */
export async function checkOutputFolder(given: string, options: FolderOptions): Promise<string> {
  const { path, info } = await checkCommon(given, "folder", options);
  if (info && !info.isDirectory) {
    refuse(
      `'${given}' is ${info.isFile ? "a file" : "a device, pipe or socket"}, not a folder`,
      options.flag,
      `pass a new folder name to ${options.flag}`,
    );
  }
  if (info) {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
    if (names.length && !(await options.isOurs(path))) {
      const shown = names.sort().slice(0, 3).join(", ") + (names.length > 3 ? ", ..." : "");
      refuse(
        `'${given}' holds files that yoto did not write (${shown})`,
        options.flag,
        `pass a new or empty folder to ${options.flag}`,
      );
    }
  }
  await makeParent(path, options.flag);
  return path;
}

/** The file that marks a results folder as written by yoto, and by which command. */
export const RESULTS_MARKER = ".yoto-output.json";

/** A results folder: the command writing it, and the names it writes there. */
export interface ResultsFolderOptions extends OutputOptions {
  /** The command, e.g. "deno task benchmark"; one command's folder is not reused by another. */
  command: string;
  /**
   * Names the command writes in the folder, its main file first: a folder of an older version
   * (no marker) is recognised by the main file and nothing but these names.
   */
  files: string[];
}

/** Our atomic writes' temporary files (`.NAME.tmp-TAG`), left behind by a killed run. */
const TEMP_FILE = /^\..+\.tmp-[0-9a-z-]+$/;

/**
 * Check a results folder that a command creates or adds to (resumable runs): new, empty, or
 * written by the same command; then create it and mark it as ours. Returns the path, without
 * trailing slashes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { claimResultsFolder } from "./output.ts";
 * const dir = `${await Deno.makeTempDir()}/results`;
 * const opts = { flag: "--out", command: "deno task saturation", files: ["results.jsonl"] };
 * assert.equal(await claimResultsFolder(`${dir}/`, opts), dir);
 * assert.equal(await claimResultsFolder(dir, opts), dir);
 * await assert.rejects(claimResultsFolder(dir, { ...opts, command: "deno task benchmark" }));
 * ```
 */
export async function claimResultsFolder(
  given: string,
  options: ResultsFolderOptions,
): Promise<string> {
  const { command, files, flag } = options;
  const isOurs = async (dir: string) => {
    let marker: { command?: unknown } | null = null;
    try {
      marker = JSON.parse(await Deno.readTextFile(join(dir, RESULTS_MARKER)));
    } catch { /* no marker: an older version's folder, or not ours */ }
    if (marker) {
      if (marker.command === command) return true;
      refuse(
        `'${given}' holds the results of \`${marker.command}\`, not of \`${command}\``,
        flag,
        `pass a new or empty folder to ${flag}`,
      );
    }
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    return names.includes(files[0]) &&
      names.every((n) => files.includes(n) || TEMP_FILE.test(n));
  };
  const path = await checkOutputFolder(given, { ...options, isOurs });
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (err) {
    throw writeError(err, path);
  }
  await writeFileAtomic(join(path, RESULTS_MARKER), JSON.stringify({ command }) + "\n");
  return path;
}
