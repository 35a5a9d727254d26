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
import { parseCli, runCli } from "../lib/runtime/cli.ts";
import { OptionError } from "../lib/runtime/errors.ts";

const DEFAULT_MANIFEST = fileURLToPath(new URL("../data/manifest.json", import.meta.url));

const HELP = `Download public datasets and convert them to yoto's .arrow format.

Usage: deno task fetch-data [NAME ...] [options]

NAME   datasets of the manifest to fetch (default: all of them)

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
inputs.

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
  // Refuse unverifiable downloads before fetching anything (files already in place are used).
  for (const name of names) {
    for (const file of manifest.datasets[name].files) {
      if (!existsSync(join(dir, file.path))) {
        checkPinned(file, { allowUnpinned: values.unpinned });
      }
    }
  }
  for (const name of names) {
    const log = (line: string) => console.error(`${name}: ${line}`);
    const options = {
      convert: !values["no-convert"],
      allowUnpinned: values.unpinned,
      quiet: values.quiet,
      log,
    };
    const r = await fetchDataset(manifest.datasets[name], dir, options);
    if (r.output && !r.converted) log(`${r.output}: up to date`);
  }
});
