/**
 * fetch-data: downloads from a local HTTP server on 127.0.0.1 (never the internet), resume,
 * checksums, zip extraction, conversion recipes, the shipped manifest and the paper configs.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { zipSync } from "fflate";
import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { runScript, tempDir } from "../_shared.ts";
import { bruteDense, tinyCsr } from "../data/_fixtures.ts";
import { readArrow } from "../../lib/data/arrow.ts";
import { writeH5ad } from "../../lib/data/h5ad.ts";
import { downloadFile } from "../../lib/data/fetch/download.ts";
import {
  type Manifest,
  type ManifestDataset,
  type ManifestFile,
  parseManifest,
  readManifest,
} from "../../lib/data/fetch/manifest.ts";
import { fetchDataset } from "../../lib/data/fetch/mod.ts";
import { parseBenchmarkConfig } from "../../lib/eval/protocol.ts";
import { DataValueError, DownloadError, FileFormatError } from "../../lib/runtime/errors.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const enc = new TextEncoder();

/** 200 kB of deterministic bytes: several network chunks. */
const PAYLOAD = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7919 + (i >> 8)) % 251);

async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(data)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface ServerOptions {
  /** Answer every request with the whole file (200), as servers without Range support do. */
  ignoreRange?: boolean;
  /** Cut the first response to this path off after this many bytes. */
  breakAt?: number;
}

/** A file server on 127.0.0.1 with Range support that records each request's path and Range. */
function serveFiles(files: Record<string, Uint8Array>, options: ServerOptions = {}) {
  const requests: { path: string; range: string | null }[] = [];
  let broken = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname, range = req.headers.get("range");
    requests.push({ path, range });
    if (!files[path]) return new Response("not found", { status: 404 });
    const body = new Uint8Array(files[path]); // a copy on its own ArrayBuffer, as Response wants
    if (options.breakAt !== undefined && !broken) {
      // Promise the whole file, send the head, hang up: the client sees a truncated body.
      broken = true;
      const head = body.slice(0, options.breakAt);
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(head);
          c.close();
        },
      });
      return new Response(stream, { headers: { "content-length": String(body.length) } });
    }
    const from = Number(/^bytes=(\d+)-$/.exec(range ?? "")?.[1] ?? NaN);
    if (Number.isNaN(from) || options.ignoreRange) return new Response(body);
    if (from >= body.length) {
      const headers = { "content-range": `bytes */${body.length}` };
      return new Response(null, { status: 416, headers });
    }
    return new Response(body.slice(from), {
      status: 206,
      headers: { "content-range": `bytes ${from}-${body.length - 1}/${body.length}` },
    });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return {
    requests,
    url: (path: string) => base + path,
    /** `await using` shuts the server down when the test ends, however it ends. */
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function entry(url: string, path: string, data: Uint8Array): Promise<ManifestFile> {
  return {
    url,
    path,
    bytes: data.length,
    sha256: await sha256Hex(data),
    licence: "CC0",
    citation: "test",
  };
}

Deno.test("download: size and sha256 checked, renamed into place, no .part left", async () => {
  await using srv = serveFiles({ "/p.bin": PAYLOAD });
  const dir = await tempDir();
  const file = await entry(srv.url("/p.bin"), "sub/p.bin", PAYLOAD);
  const r = await downloadFile(file, dir, { quiet: true });
  assertEquals([r.status, r.sha256], ["downloaded", file.sha256]);
  assertEquals(await Deno.readFile(`${dir}/sub/p.bin`), PAYLOAD);
  assertEquals(existsSync(`${dir}/sub/p.bin.part`), false);
  assertEquals(srv.requests, [{ path: "/p.bin", range: null }]);

  // Not pinned yet: refused, unless asked for; then the computed hash and size are printed,
  // to be put in the manifest.
  const lines: string[] = [];
  const loose = { ...file, path: "q.bin", bytes: null, sha256: null };
  for (const unpinned of [{ ...loose, bytes: 200_000 }, { ...loose, sha256: file.sha256 }]) {
    const err = await assertRejects(() => downloadFile(unpinned, dir), FileFormatError);
    assert.match(err.message, /no (sha256|bytes) for q\.bin, .*--unpinned/);
  }
  assertEquals([srv.requests.length, existsSync(`${dir}/q.bin.part`)], [1, false]);
  await downloadFile(loose, dir, { log: (l) => lines.push(l), allowUnpinned: true });
  assert.ok(
    lines.some((l) => l.includes(file.sha256!) && l.includes("200000 bytes")),
    lines.join(),
  );
});

Deno.test("download: a .part is resumed with a Range request and verified", async () => {
  await using srv = serveFiles({ "/p.bin": PAYLOAD });
  const dir = await tempDir();
  const half = PAYLOAD.length / 2;
  await Deno.writeFile(`${dir}/p.bin.part`, PAYLOAD.slice(0, half));
  const file = await entry(srv.url("/p.bin"), "p.bin", PAYLOAD);
  const r = await downloadFile(file, dir, { quiet: true });
  assertEquals(srv.requests, [{ path: "/p.bin", range: `bytes=${half}-` }]);
  assertEquals(r.status, "resumed");
  assertEquals(await Deno.readFile(`${dir}/p.bin`), PAYLOAD);
  assertEquals(existsSync(`${dir}/p.bin.part`), false);

  // A .part that is already whole is only verified: the server says there is nothing left.
  await Deno.writeFile(`${dir}/w.bin.part`, PAYLOAD);
  const whole = { ...file, path: "w.bin", bytes: null };
  const r2 = await downloadFile(whole, dir, { quiet: true, allowUnpinned: true });
  assertEquals(r2.status, "resumed");
  assertEquals(srv.requests[1].range, `bytes=${PAYLOAD.length}-`);
  assertEquals(await Deno.readFile(`${dir}/w.bin`), PAYLOAD);
});

Deno.test("download: a server that ignores Range is downloaded again from byte 0", async () => {
  await using srv = serveFiles({ "/p.bin": PAYLOAD }, { ignoreRange: true });
  const dir = await tempDir();
  await Deno.writeFile(`${dir}/p.bin.part`, PAYLOAD.slice(0, 1000));
  const lines: string[] = [];
  const file = await entry(srv.url("/p.bin"), "p.bin", PAYLOAD);
  const r = await downloadFile(file, dir, { log: (l) => lines.push(l), quiet: false });
  assertEquals(r.status, "downloaded");
  assertEquals(srv.requests[0].range, "bytes=1000-");
  assertEquals(await Deno.readFile(`${dir}/p.bin`), PAYLOAD);
  assert.ok(lines.some((l) => l.includes("does not resume")), lines.join());
});

Deno.test("download: a wrong checksum is an error naming both hashes, and nothing is kept", async () => {
  await using srv = serveFiles({ "/p.bin": PAYLOAD });
  const dir = await tempDir();
  const other = PAYLOAD.slice(1);
  const wrong = { ...(await entry(srv.url("/p.bin"), "p.bin", other)), bytes: null };
  const err = await assertRejects(
    () => downloadFile(wrong, dir, { quiet: true, allowUnpinned: true }),
    DataValueError,
  );
  assert.ok(err.message.includes(`expected ${wrong.sha256}`), err.message);
  assert.ok(err.message.includes(`got ${await sha256Hex(PAYLOAD)}`), err.message);
  assertEquals([...Deno.readDirSync(dir)].length, 0);

  // A wrong size is caught the same way: refused on the server's announced length.
  const big = { ...(await entry(srv.url("/p.bin"), "p.bin", PAYLOAD)), bytes: 1000 };
  const long = await assertRejects(() => downloadFile(big, dir, { quiet: true }), DataValueError);
  assert.match(long.message, /announces 200000 bytes, the manifest says 1000/);
  assertEquals([...Deno.readDirSync(dir)].length, 0);
});

Deno.test("download: a server sending far more than the manifest's size is cut off at size + 1", async () => {
  // 20 MB in 64 kB chunks with no content-length, counting what the client pulled (socket
  // buffers let a few MB through before the cut-off is seen).
  const entryBytes = 1000, chunk = new Uint8Array(65_536).fill(7);
  let sent = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= 20e6) return c.close();
          sent += chunk.length;
          c.enqueue(chunk.slice());
        },
      }, { highWaterMark: 0 }),
    ));
  await using _ = { [Symbol.asyncDispose]: () => server.shutdown() };
  const dir = await tempDir();
  const file: ManifestFile = {
    url: `http://127.0.0.1:${server.addr.port}/huge.bin`,
    path: "huge.bin",
    bytes: entryBytes,
    sha256: "0".repeat(64),
    licence: "CC0",
    citation: "test",
  };
  const err = await assertRejects(() => downloadFile(file, dir, { quiet: true }), DataValueError);
  assert.match(err.message, /download deleted, the server sent more than the 1000 bytes/);
  assertEquals([...Deno.readDirSync(dir)], []); // neither the file nor a .part
  assert.ok(sent < 10e6, `the server had to send ${sent} bytes`);
});

Deno.test("download: a file already present is checked, not requested", async () => {
  await using srv = serveFiles({ "/p.bin": PAYLOAD });
  const dir = await tempDir();
  const file = await entry(srv.url("/p.bin"), "p.bin", PAYLOAD);
  await Deno.writeFile(`${dir}/p.bin`, PAYLOAD);
  assertEquals((await downloadFile(file, dir, { quiet: true })).status, "present");
  assertEquals(srv.requests.length, 0);

  // Present but different: refused, and the file is left alone for the user to look at.
  await Deno.writeFile(`${dir}/p.bin`, PAYLOAD.slice(0, 10));
  const err = await assertRejects(() => downloadFile(file, dir, { quiet: true }), DataValueError);
  assert.ok(err.message.includes("delete it"), err.message);
  assertEquals((await Deno.readFile(`${dir}/p.bin`)).length, 10);
  assertEquals(srv.requests.length, 0);
});

Deno.test("download: HTTP errors and broken-off transfers are DownloadErrors; a rerun resumes", async () => {
  await using srv = serveFiles({ "/p.bin": PAYLOAD }, { breakAt: 70_000 });
  const dir = await tempDir();
  const missing = await entry(srv.url("/nope.bin"), "nope.bin", PAYLOAD);
  const e404 = await assertRejects(
    () => downloadFile(missing, dir, { quiet: true }),
    DownloadError,
  );
  assert.ok(e404.message.includes("HTTP 404"), e404.message);

  const file = await entry(srv.url("/p.bin"), "p.bin", PAYLOAD);
  const cut = await assertRejects(() => downloadFile(file, dir, { quiet: true }), DownloadError);
  assert.ok(cut.message.includes("resumes"), cut.message);
  assertEquals(Deno.statSync(`${dir}/p.bin.part`).size, 70_000);
  assertEquals(existsSync(`${dir}/p.bin`), false);

  const r = await downloadFile(file, dir, { quiet: true });
  assertEquals(r.status, "resumed");
  assertEquals(srv.requests.at(-1)!.range, "bytes=70000-");
  assertEquals(await Deno.readFile(`${dir}/p.bin`), PAYLOAD);
});

// A miniature of the Allen VISp layout: a genes x cells exon matrix (quoted empty corner, Entrez
// ids as row names), a gene table, a samples table keyed by sample_name, and PERSIST-style
// labels keyed by seq_name, three of them in a zip.
const COUNTS = [
  // s1 s2 s3 s4   (genes in matrix order: Entrez 101..105)
  [0, 3, 0, 1],
  [2, 0, 0, 0],
  [0, 0, 5, 7],
  [1, 1, 0, 0],
  [0, 4, 0, 9],
];
const MATRIX_CSV = '"","s1","s2","s3","s4"\n' +
  COUNTS.map((row, g) => `"${101 + g}",${row.join(",")}`).join("\n") + "\n";
const GENES_CSV = '"gene_symbol","gene_id","gene_entrez_id","gene_name"\n' +
  '"Pvalb",5,105,"parvalbumin"\n"Gad1",1,101,"glutamate decarboxylase 1"\n' +
  '"Sst",3,103,"somatostatin"\n"Vip",4,104,"vasoactive intestinal polypeptide"\n' +
  '"Rorb",2,102,"RAR-related orphan receptor beta"\n';
const SAMPLES_CSV = '"sample_name","seq_name","class","cluster"\n' +
  '"s9","LS-9","GABAergic","x"\n"s1","LS-1","GABAergic","Vip A"\n' +
  '"s2","LS-2","Non-Neuronal","Astro"\n"s3","LS-3","Glutamatergic","L4 B"\n' +
  '"s4","LS-4","GABAergic","Sst C"\n';
const PERSIST_CSV = "seq_name,cell_types_98,cell_types_50,cell_types_25\n" +
  "LS-4,Sst C,n1,n1\nLS-1,Vip A,Vip A,n2\nLS-3,L4 B,L4 B,n3\nLS-77,Other,n9,n9\n";

function viSpEntry(url: (p: string) => string, zip: Uint8Array, persist: Uint8Array) {
  return Promise.all([
    entry(url("/visp.zip"), "visp/visp.zip", zip),
    entry(url("/persist.csv"), "visp/persist.csv", persist),
  ]).then(([z, p]): ManifestDataset => ({
    files: [{ ...z, unzip: ["matrix.csv", "genes.csv", "samples.csv"] }, p],
    convert: {
      kind: "csv-matrix",
      input: "visp/matrix.csv",
      orientation: "genes-by-cells",
      genes: { file: "visp/genes.csv", key: "gene_entrez_id", name: "gene_symbol" },
      obs: [
        { file: "visp/samples.csv", key: "sample_name", columns: ["seq_name", "class"] },
        { file: "visp/persist.csv", key: "seq_name", on: "seq_name", keep: "matched" },
      ],
      output: "visp.arrow",
    },
  }));
}

Deno.test("fetchDataset: zip + genes-by-cells CSV + gene names + two obs joins -> .arrow", async () => {
  const zip = zipSync({
    "mouse/matrix.csv": enc.encode(MATRIX_CSV),
    "genes.csv": enc.encode(GENES_CSV),
    "samples.csv": enc.encode(SAMPLES_CSV),
    "intron.csv": enc.encode("not extracted"),
  });
  const persist = enc.encode(PERSIST_CSV);
  await using srv = serveFiles({ "/visp.zip": zip, "/persist.csv": persist });
  const dir = await tempDir();
  const dataset = await viSpEntry(srv.url, zip, persist);
  const r = await fetchDataset(dataset, dir, { quiet: true });
  assertEquals(r.converted, true);
  assertEquals(r.extracted.map((p) => p.slice(dir.length)).sort(), [
    "/visp/genes.csv",
    "/visp/matrix.csv",
    "/visp/samples.csv",
  ]);
  assertEquals(existsSync(`${dir}/visp/intron.csv`), false);

  const ds = await readArrow(`${dir}/visp.arrow`);
  // s2 has no PERSIST label: dropped; cells keep the matrix's column order.
  assertEquals(ds.cellIds(), ["s1", "s3", "s4"]);
  assertEquals(ds.genes, ["Gad1", "Rorb", "Sst", "Vip", "Pvalb"]);
  assertEquals(ds.var.gene_entrez_id, ["101", "102", "103", "104", "105"]);
  const expected = [0, 2, 3].map((c) => COUNTS.map((row) => row[c]));
  assertEquals(bruteDense(ds), expected);
  assertEquals(ds.labels("seq_name"), ["LS-1", "LS-3", "LS-4"]);
  assertEquals(ds.labels("cell_types_25"), ["n2", "n3", "n1"]);
  assertEquals(ds.labels("cell_types_98"), ["Vip A", "L4 B", "Sst C"]);
  // Categories of the dropped cell are gone; columns not asked for are not taken.
  assertEquals(ds.categorical("class").categories, ["GABAergic", "Glutamatergic"]);
  assertEquals(ds.hasObs("cluster"), false);

  // A second run finds everything in place: no request, no extraction, no conversion.
  const before = Deno.statSync(`${dir}/visp/matrix.csv`).mtime;
  const n = srv.requests.length;
  const again = await fetchDataset(dataset, dir, { quiet: true });
  assertEquals([again.converted, srv.requests.length], [false, n]);
  assertEquals(again.files.map((f) => f.status), ["present", "present"]);
  assertEquals(Deno.statSync(`${dir}/visp/matrix.csv`).mtime, before);
});

Deno.test("fetchDataset: h5ad recipe converts to the same dataset; --no-convert skips it", async () => {
  const src = await tempDir();
  await writeH5ad(tinyCsr(), `${src}/tiny.h5ad`);
  const bytes = await Deno.readFile(`${src}/tiny.h5ad`);
  await using srv = serveFiles({ "/tiny.h5ad": bytes });
  const dir = await tempDir();
  const dataset: ManifestDataset = {
    files: [await entry(srv.url("/tiny.h5ad"), "tiny/tiny.h5ad", bytes)],
    convert: { kind: "h5ad", input: "tiny/tiny.h5ad", output: "tiny.arrow" },
  };
  const skipped = await fetchDataset(dataset, dir, { quiet: true, convert: false });
  assertEquals([skipped.converted, existsSync(`${dir}/tiny.arrow`)], [false, false]);
  const r = await fetchDataset(dataset, dir, { quiet: true });
  assertEquals(r.converted, true);
  const back = await readArrow(`${dir}/tiny.arrow`);
  assertEquals(bruteDense(back), bruteDense(tinyCsr()));
  assertEquals(back.labels("type"), tinyCsr().labels("type"));
  assertEquals(back.genes, tinyCsr().genes);
});

Deno.test("data/manifest.json parses and names the paper datasets with url, size, licence", async () => {
  const manifest: Manifest = await readManifest(`${ROOT}data/manifest.json`);
  assertEquals(Object.keys(manifest.datasets).sort(), ["covid", "visp"]);
  for (const ds of Object.values(manifest.datasets)) {
    for (const f of ds.files) {
      assert.ok(/^https:\/\//.test(f.url), f.url);
      assert.ok(f.bytes === null || f.bytes > 0, f.path);
      assert.ok(f.sha256 === null || /^[0-9a-f]{64}$/.test(f.sha256), f.path);
      assert.ok(f.licence.length > 0 && f.citation.length > 0, f.path);
    }
  }
  const visp = manifest.datasets.visp;
  assertEquals(visp.convert?.output, "visp.arrow");
  assert.ok(visp.files[0].url.endsWith("/well_known_file_download/694413985"));
  assert.ok(visp.files[0].unzip?.includes("mouse_VISp_2018-06-14_exon-matrix.csv"));
  assert.ok(visp.files[1].url.includes("iancovert/persist"));
  assertEquals(manifest.datasets.covid.convert, {
    kind: "h5ad",
    input: "covid/wilk2020_covid_pbmc.h5ad",
    raw: true,
    output: "covid.arrow",
  });
});

Deno.test("parseManifest rejects entries that are incomplete, unsafe or inconsistent", () => {
  const file = {
    url: "https://example.org/x.h5ad",
    path: "x/x.h5ad",
    bytes: null,
    sha256: null,
    licence: "CC0",
    citation: "Doe 2020",
  };
  const ok = {
    datasets: {
      x: { files: [file], convert: { kind: "h5ad", input: "x/x.h5ad", output: "x.arrow" } },
    },
  };
  parseManifest(JSON.stringify(ok), "m.json");
  const variants = [
    { ...file, licence: "" },
    { ...file, path: "../x.h5ad" },
    { ...file, path: "/tmp/x.h5ad" },
    { ...file, sha256: "abc" },
    { ...file, bytes: undefined }, // bytes must be given, null when unknown
    { ...file, url: "ftp://example.org/x" },
    { ...file, licnce: "x" }, // a typo is an unknown key
  ];
  for (const f of variants) {
    const text = JSON.stringify({ datasets: { x: { files: [f] } } });
    assertThrows(() => parseManifest(text, "m.json"), FileFormatError);
  }
  const recipes = [
    { kind: "h5ad", input: "x/other.h5ad", output: "x.arrow" }, // not a file of the dataset
    { kind: "h5ad", input: "x/x.h5ad", output: "x.h5ad" }, // not .arrow
    { kind: "loom", input: "x/x.h5ad", output: "x.arrow" },
    {
      kind: "csv-matrix",
      input: "x/x.h5ad",
      output: "x.arrow",
      obs: [{ file: "x/o.csv", key: "id" }],
    },
  ];
  for (const convert of recipes) {
    const text = JSON.stringify({ datasets: { x: { files: [file], convert } } });
    const err = assertThrows(() => parseManifest(text, "m.json"), FileFormatError);
    assert.ok(err.message.startsWith("m.json"), err.message);
  }
});

Deno.test("benchmarks/visp.json and covid.json parse as benchmark configs", async () => {
  const read = async (name: string) => {
    const path = `${ROOT}benchmarks/${name}`;
    return parseBenchmarkConfig(await Deno.readTextFile(path), path);
  };
  const visp = await read("visp.json");
  assertEquals(visp.datasets[0].path, `${ROOT}data/visp.arrow`);
  assertEquals(visp.datasets[0].labels, ["cell_types_25", "cell_types_50", "cell_types_98"]);
  assert.ok(["yoto", "l1", "hvg"].every((m) => visp.methods.includes(m)));
  assertEquals([visp.k, visp.seeds, visp.splits, visp.candidates], [
    [8, 16, 32, 64],
    [0, 1, 2],
    ["cell"],
    10000,
  ]);
  assertEquals(visp.out, `${ROOT}results/visp`);
  const covid = await read("covid.json");
  assertEquals(covid.datasets[0].path, `${ROOT}data/covid.arrow`);
  assertEquals(covid.datasets[0].splitBy, "donor_id");
  assertEquals(covid.splits, ["cell", "donor"]);
});

Deno.test("fetch-data CLI: --list, unknown names, and a full run against a local server", async () => {
  const list = await runScript("scripts/fetch_data.ts", "--list");
  assertEquals(list.code, 0, list.stderr);
  assert.ok(list.stdout.includes("visp") && list.stdout.includes("covid"), list.stdout);

  const bad = await runScript("scripts/fetch_data.ts", "nope");
  assertEquals(bad.code, 2);
  assertEquals(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  assert.ok(bad.stderr.startsWith("error: unknown dataset(s) nope"), bad.stderr);

  const src = await tempDir();
  await writeH5ad(tinyCsr(), `${src}/tiny.h5ad`);
  const bytes = await Deno.readFile(`${src}/tiny.h5ad`);
  await using srv = serveFiles({ "/tiny.h5ad": bytes });
  const dir = await tempDir();
  const manifest = {
    datasets: {
      tiny: {
        files: [await entry(srv.url("/tiny.h5ad"), "tiny.h5ad", bytes)],
        convert: { kind: "h5ad", input: "tiny.h5ad", output: "tiny.arrow" },
      },
    },
  };
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(manifest));
  const r = await runScript("scripts/fetch_data.ts", "--manifest", `${dir}/manifest.json`);
  assertEquals(r.code, 0, r.stderr);
  assert.ok(r.stderr.includes("tiny: tiny.h5ad: downloaded"), r.stderr);
  assertEquals((await readArrow(`${dir}/tiny.arrow`)).nCells, 5);
  const again = await runScript("scripts/fetch_data.ts", "--manifest", `${dir}/manifest.json`);
  assert.ok(again.stderr.includes("up to date"), again.stderr);
  assertEquals(srv.requests.length, 1);
});

Deno.test("fetch-data CLI: unpinned datasets are skipped (exit 3) unless named or --unpinned; a failing one does not stop the rest", async () => {
  await using srv = serveFiles({ "/a.bin": PAYLOAD, "/b.bin": PAYLOAD });
  const dir = await tempDir();
  const pinned = await entry(srv.url("/a.bin"), "a.bin", PAYLOAD);
  const loose = { ...(await entry(srv.url("/b.bin"), "b.bin", PAYLOAD)), sha256: null };
  const gone = await entry(srv.url("/gone.bin"), "gone.bin", PAYLOAD);
  const manifest = { datasets: { a: { files: [pinned] }, b: { files: [loose] } } };
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(manifest));
  const args = ["scripts/fetch_data.ts", "--manifest", `${dir}/manifest.json`, "--quiet"];
  const run = (...more: string[]) => runScript(...args as [string, ...string[]], ...more);

  // all datasets: the pinned one is fetched, the unpinned one skipped with one note; exit 3
  const all = await run();
  assertEquals(all.code, 3, all.stderr);
  assertEquals(await Deno.readFile(`${dir}/a.bin`), PAYLOAD);
  assertEquals(existsSync(`${dir}/b.bin`), false);
  const lines = all.stderr.trim().split("\n");
  assertEquals(lines.length, 2, all.stderr);
  assert.match(
    lines[0],
    /^note: skipped b: b\.bin has no sha256.*deno task fetch-data b --unpinned/,
  );
  assert.match(lines[1], /^1 of 2 datasets fetched; skipped \(not pinned\): b$/);
  assertEquals(srv.requests.map((r) => r.path), ["/a.bin"]);

  // named without --unpinned: refused before any download
  const named = await run("b");
  assertEquals(named.code, 2, named.stderr);
  assertEquals(named.stderr.trim().split("\n").length, 1, named.stderr);
  assert.match(named.stderr, /^error: the manifest gives no sha256 for b\.bin, .*--unpinned/);
  assertEquals(srv.requests.length, 1);

  // --unpinned: everything, exit 0; then nothing is left to skip
  const ok = await run("--unpinned");
  assertEquals(ok.code, 0, ok.stderr);
  assertEquals(await Deno.readFile(`${dir}/b.bin`), PAYLOAD);
  assertEquals((await run()).code, 0);

  // a dataset that fails (HTTP 404) is reported in one line; the others are still fetched
  await Deno.remove(`${dir}/a.bin`);
  const broken = { datasets: { gone: { files: [gone] }, a: { files: [pinned] } } };
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(broken));
  const some = await run();
  assertEquals(some.code, 3, some.stderr);
  assert.match(some.stderr, /^error: gone: .*HTTP 404/m);
  assert.match(some.stderr, /^1 of 2 datasets fetched; failed: gone$/m);
  assertEquals(await Deno.readFile(`${dir}/a.bin`), PAYLOAD);
});

Deno.test("fetch-data --dir: files it did not write are kept (a wrong checksum, a converted output's path)", async () => {
  const src = await tempDir();
  await writeH5ad(tinyCsr(), `${src}/tiny.h5ad`);
  const bytes = await Deno.readFile(`${src}/tiny.h5ad`);
  await using srv = serveFiles({ "/tiny.h5ad": bytes });
  const dir = await tempDir();
  const manifest = {
    datasets: {
      tiny: {
        files: [await entry(srv.url("/tiny.h5ad"), "tiny.h5ad", bytes)],
        convert: { kind: "h5ad", input: "tiny.h5ad", output: "tiny.arrow" },
      },
    },
  };
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(manifest));
  const args = ["scripts/fetch_data.ts", "--manifest", `${dir}/manifest.json`, "--quiet"];
  // a user's file at the download's path: an error, the file kept, nothing requested
  await Deno.writeTextFile(`${dir}/tiny.h5ad`, "mine");
  const wrong = await runScript(...args as [string, ...string[]]);
  assertEquals(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /^error: .*tiny\.h5ad: the file already there does not match/);
  assertEquals([await Deno.readTextFile(`${dir}/tiny.h5ad`), srv.requests.length], ["mine", 0]);
  // a user's file at the converted output's path (older than the input): kept
  await Deno.remove(`${dir}/tiny.h5ad`);
  await Deno.writeTextFile(`${dir}/tiny.arrow`, "my table");
  await Deno.utime(`${dir}/tiny.arrow`, 0, 0);
  const user = await runScript(...args as [string, ...string[]]);
  assertEquals(user.code, 2, user.stderr);
  assert.match(
    user.stderr,
    /^error: .*tiny\.arrow' exists and was not written by deno task fetch-data/,
  );
  assertEquals(await Deno.readTextFile(`${dir}/tiny.arrow`), "my table");
  // its own older output is converted again
  await Deno.remove(`${dir}/tiny.arrow`);
  assertEquals((await runScript(...args as [string, ...string[]])).code, 0);
  await Deno.utime(`${dir}/tiny.arrow`, 0, 0);
  assertEquals((await runScript(...args as [string, ...string[]])).code, 0);
  assertEquals((await readArrow(`${dir}/tiny.arrow`)).nCells, 5);
});
