/**
 * `deno task fetch-data [NAME ...]`: download the public datasets named in data/manifest.json
 * (resumable, checksum-verified), unpack them and convert them to `.arrow`. The work is done by
 * lib/data/fetch/; this is its command line.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkPinned } from "../lib/data/fetch/download.ts";
import { type ManifestDataset, readManifest } from "../lib/data/fetch/manifest.ts";
import { fetchDataset } from "../lib/data/fetch/mod.ts";
import { EXIT_SOME_FAILED, parseCli, runCli } from "../lib/runtime/cli.ts";
import { OptionError, YotoError } from "../lib/runtime/errors.ts";

const DEFAULT_MANIFEST = fileURLToPath(new URL("../data/manifest.json", import.meta.url));

const HELP = `Download public datasets and convert them to yoto's .arrow format.

Usage: deno task fetch-data [NAME ...] [options]

NAME   datasets of the manifest to fetch (default: all of them, but those with a file the
       manifest gives no sha256 or size for, unless --unpinned: each is skipped with a note)

Options:
  --list             list the datasets, their files, sizes and licences; fetch nothing
  --manifest FILE    the manifest (default: data/manifest.json of this project)
  --dir DIR          where files go (default: the manifest's folder)
  --no-convert       download (and unzip) only
  --unpinned         also download files the manifest gives no sha256 or size for, unchecked,
                     and print the values to pin (without it such files are refused)
  --quiet            no progress output
  -h, --help         this help

Downloads go to PATH.part and resume there after an interruption (HTTP Range); a file is moved
into place only once its size and sha256 match the manifest; a server sending more bytes than
the manifest says is cut off and the download deleted. Files already present with the
right checksum are not fetched again; a conversion is skipped when its output is newer than its
inputs. Files already in --dir that the fetch did not write are never replaced: a file at a
download's path with the wrong checksum is an error (it is kept), and so is a converted
output's path holding a file yoto did not write.

With several datasets, one that fails does not stop the others; the command then exits with
code ${EXIT_SOME_FAILED} (also when datasets were skipped) after one line per dataset.

Example:
  deno task fetch-data covid
`;

function sizeText(bytes: number | null): string {
  if (bytes === null) return "size unknown";
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${bytes} bytes`;
}

function listDataset(name: string, entry: ManifestDataset, dir: string): string[] {
  const lines = [`${name}${entry.convert ? ` -> ${join(dir, entry.convert.output)}` : ""}`];
  for (const f of entry.files) {
    lines.push(
      `  ${f.path}  ${sizeText(f.bytes)}, sha256 ${f.sha256 ? "pinned" : "not pinned"}`,
      `    from ${f.url}`,
      `    licence: ${f.licence}`,
    );
  }
  return lines;
}

await runCli(async () => {
  const { values, positionals } = parseCli(Deno.args, {
    list: { type: "boolean" },
    manifest: { type: "string" },
    dir: { type: "string" },
    "no-convert": { type: "boolean" },
    unpinned: { type: "boolean" },
    quiet: { type: "boolean" },
  }, { name: "deno task fetch-data", help: HELP });
  const manifestPath = values.manifest ?? DEFAULT_MANIFEST;
  const manifest = await readManifest(manifestPath);
  const dir = values.dir ?? dirname(manifestPath);
  const known = Object.keys(manifest.datasets);
  const unknown = positionals.filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new OptionError(`unknown dataset(s) ${unknown.join(", ")}`, {
      fix: `choose among ${known.join(", ")} (see --list)`,
    });
  }
  const names = positionals.length ? positionals : known;
  if (values.list) {
    console.log(names.flatMap((n) => listDataset(n, manifest.datasets[n], dir)).join("\n"));
    return;
  }
  // Unverifiable downloads (files already in place are used): named ones are refused before
  // anything is fetched; of all datasets (no names) they are skipped, with a note each.
  const skipped: string[] = [];
  for (const name of names) {
    for (const file of manifest.datasets[name].files) {
      if (existsSync(join(dir, file.path))) continue;
      try {
        checkPinned(file, { allowUnpinned: values.unpinned });
      } catch (err) {
        if (positionals.length) throw err;
        console.error(
          `note: skipped ${name}: ${file.path} has no sha256 or size in the manifest; fetch it ` +
            `unchecked with \`deno task fetch-data ${name} --unpinned\``,
        );
        skipped.push(name);
        break;
      }
    }
  }
  const todo = names.filter((n) => !skipped.includes(n));
  const failed: string[] = [];
  for (const name of todo) {
    const log = (line: string) => console.error(`${name}: ${line}`);
    const options = {
      convert: !values["no-convert"],
      allowUnpinned: values.unpinned,
      quiet: values.quiet,
      log,
    };
    try {
      const r = await fetchDataset(manifest.datasets[name], dir, options);
      if (r.output && !r.converted) log(`${r.output}: up to date`);
    } catch (err) {
      // One dataset alone fails as any command does; of several, the others go on.
      if (!(err instanceof YotoError) || names.length === 1) throw err;
      console.error(`error: ${name}: ${err.message}`);
      failed.push(name);
    }
  }
  if (skipped.length || failed.length) {
    console.error(
      `${todo.length - failed.length} of ${names.length} datasets fetched` +
        (skipped.length ? `; skipped (not pinned): ${skipped.join(", ")}` : "") +
        (failed.length ? `; failed: ${failed.join(", ")}` : ""),
    );
    Deno.exitCode = EXIT_SOME_FAILED;
  }
});
