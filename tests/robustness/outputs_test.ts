/**
 * Outputs never destroy what yoto did not write: every CLI checks its output path before it reads
 * data or trains, and an operating-system refusal while writing is one line, exit 2.
 */
import { assertEquals, assertRejects } from "../_assert.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { openForWrite } from "../../lib/data/_h5ad_hdf5.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { withAtomicFile, writeFileAtomic } from "../../lib/runtime/atomic.ts";
import { OptionError, OutputError, YotoError } from "../../lib/runtime/errors.ts";
import { checkOutputFile, claimResultsFolder, RESULTS_MARKER } from "../../lib/runtime/output.ts";
import { runScript, tempDir } from "../_shared.ts";
import { installKernel } from "../../scripts/kernel.ts";

const dir = await tempDir();
const data = `${dir}/sim.arrow`;
await writeArrow(simulate({ nCells: 300, nGenes: 80, seed: 3 }).dataset, data);
const dataBytes = await Deno.readFile(data);
const folder = `${dir}/folder`; // a folder that holds no input
await Deno.mkdir(folder);
const tiny = ["--candidates", "80", "--epochs", "2", "--backend", "wasm"];

function train(out: string, ...more: string[]) {
  return runScript(
    "scripts/yoto.ts",
    "train",
    "--data",
    data,
    "--label",
    "cell_type",
    "--k",
    "4",
    "--out",
    out,
    ...tiny,
    ...more,
  );
}

/** Exit 2 with a single `error:` line (nothing else: no data was read, nothing trained). */
function assertRefused(r: { code: number; stderr: string }, pattern: RegExp) {
  assertEquals(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  assertEquals(lines[0].startsWith("error: ") && pattern.test(lines[0]), true, r.stderr);
}

/** assertRejects, and the message contains `part`. */
async function rejectsWith(fn: () => Promise<unknown>, cls: typeof YotoError, part: string) {
  const err = await assertRejects(fn, cls);
  assertEquals(err.message.includes(part), true, err.message);
}

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

Deno.test("yoto train --out a user's folder: refused before training, the notes are kept", async () => {
  const notes = `${dir}/mine`;
  await Deno.mkdir(notes);
  await Deno.writeTextFile(`${notes}/notes.txt`, "my notes");
  assertRefused(await train(notes), /--out.*notes\.txt.*Fix: pass a new or empty folder/);
  assertEquals(await Deno.readTextFile(`${notes}/notes.txt`), "my notes");
});

Deno.test("yoto train --out an input, inside one, or holding one: refused", async () => {
  const tenx = `${dir}/tenx`;
  await Deno.mkdir(tenx);
  await Deno.writeTextFile(
    `${tenx}/matrix.mtx`,
    "%%MatrixMarket matrix coordinate integer general\n",
  );
  for (
    const [data_, out] of [[tenx, tenx], [tenx, `${tenx}/model`], [tenx, `${tenx}/`], [
      `${tenx}/matrix.mtx`,
      tenx,
    ]]
  ) {
    const r = await runScript(
      "scripts/yoto.ts",
      "train",
      "--data",
      data_,
      "--label",
      "cell_type",
      "--k",
      "4",
      "--out",
      out,
    );
    assertRefused(r, /--out.*(is|is inside|holds) the input/);
  }
  assertRefused(await train(data), /is the input/);
  assertEquals(await Deno.readFile(data), dataBytes);
  assertEquals([...Deno.readDirSync(tenx)].map((e) => e.name), ["matrix.mtx"]);
});

Deno.test("yoto train --out a file, a device, a symlink, `.`: refused, nothing touched", async () => {
  const file = `${dir}/file.txt`;
  await Deno.writeTextFile(file, "keep me");
  assertRefused(await train(file), /is a file, not a folder/);
  assertEquals(await Deno.readTextFile(file), "keep me");
  assertRefused(await train("/dev/null"), /device/);
  await Deno.symlink(folder, `${dir}/link`);
  assertRefused(await train(`${dir}/link`), /symbolic link/);
  assertRefused(await train("."), /current folder/);
  assertRefused(await train("/"), /root folder/);
  assertRefused(await train(`${file}/model`), /is a file, so/);
});

Deno.test("yoto train --out dir/ (tab completion) works; retraining replaces the model", async () => {
  const out = `${dir}/new/parent/model/`;
  const first = await train(out, "--quiet");
  assertEquals(first.code, 0, first.stderr);
  assertEquals(first.stderr.includes("note: created folder"), true, first.stderr);
  // the panel and test metrics come before the save line
  const lines = first.stdout.trim().split("\n");
  assertEquals(lines.findIndex((l) => l.startsWith("panel (k = 4)")), 1, first.stdout);
  assertEquals(lines.at(-1)!.startsWith("model written to"), true, first.stdout);
  assertEquals(
    [...Deno.readDirSync(`${dir}/new/parent/model`)].map((e) => e.name).sort(),
    ["history.json", "metrics.json", "model.json", "panel.csv", "report.html", "weights.bin"],
  );
  const again = await train(out, "--quiet", "--seed", "1");
  assertEquals(again.code, 0, again.stderr);
  assertEquals([...Deno.readDirSync(`${dir}/new/parent`)].map((e) => e.name), ["model"]);

  // predict --out onto its input, into the model, or onto a folder: refused
  const model = `${dir}/new/parent/model`;
  const predict = (out: string, ...more: string[]) =>
    runScript(
      "scripts/yoto.ts",
      "predict",
      "--model",
      model,
      "--data",
      data,
      "--out",
      out,
      ...more,
    );
  assertRefused(await predict(data), /is the input/);
  assertRefused(await predict(`${model}/pred.csv`), /is inside the input/);
  assertRefused(await predict(folder), /is a folder/);
  assertEquals(await Deno.readFile(data), dataBytes);
  const ok = await predict(`${dir}/pred/`);
  assertEquals(ok.code, 0, ok.stderr);
  assertEquals((await Deno.readTextFile(`${dir}/pred`)).startsWith("cell_id,"), true);

  // a rerun replaces its own predictions; a user's CSV, even one starting with cell_id, is kept
  await Deno.writeTextFile(`${dir}/pred`, (await Deno.readTextFile(`${dir}/pred`)) + "\n");
  const rerun = await predict(`${dir}/pred`);
  assertEquals(rerun.code, 0, rerun.stderr);
  assertEquals((await Deno.readTextFile(`${dir}/pred`)).endsWith("\n\n"), false);
  const notes = `${dir}/notes.csv`;
  for (const text of ["my notes\n", "cell_id,cell_type,score\nc1,B,0.5\n"]) {
    await Deno.writeTextFile(notes, text);
    assertRefused(
      await predict(notes),
      /--out.*'.*notes\.csv' exists and was not written by yoto predict\. Fix: pass a new path, or move the file away \(or pass --overwrite/,
    );
    assertEquals(await Deno.readTextFile(notes), text);
  }
  const forced = await predict(notes, "--overwrite");
  assertEquals(forced.code, 0, forced.stderr);
  assertEquals((await Deno.readTextFile(notes)).startsWith("cell_id,cell_type,cell_type:"), true);
});

Deno.test("convert OUT: the input itself or a folder is refused", async () => {
  assertRefused(await runScript("scripts/convert.ts", data, data), /OUT.*is the input/);
  assertRefused(await runScript("scripts/convert.ts", data, folder), /is a folder/);
  assertEquals(await Deno.readFile(data), dataBytes);
});

Deno.test("convert OUT: an existing file is replaced only when yoto wrote it", async () => {
  const convert = (out: string, ...more: string[]) =>
    runScript("scripts/convert.ts", data, out, "--quiet", ...more);
  for (const ext of ["arrow", "h5ad", "csv", "obs.csv"]) {
    const user = `${dir}/user.${ext}`;
    await Deno.writeTextFile(user, "my own table\n");
    assertRefused(await convert(user), /OUT.*user\..* exists.*Fix: pass a new path/);
    assertEquals(await Deno.readTextFile(user), "my own table\n");
    // ours: written once, then rewritten by a rerun (.csv carries no mark: --overwrite)
    const ours = `${dir}/ours.${ext}`;
    const first = await convert(ours);
    assertEquals(first.code, 0, first.stderr);
    const again = await convert(ours);
    if (ext === "arrow" || ext === "h5ad") assertEquals(again.code, 0, again.stderr);
    else assertRefused(again, /cannot tell whether it wrote it/);
    assertEquals((await convert(ours, "--overwrite")).code, 0);
  }
  // an HDF5 file that yoto did not write is kept
  const foreign = `${dir}/foreign.h5ad`;
  const h5 = await openForWrite(foreign);
  h5.create_group("X");
  h5.close();
  const h5Bytes = await Deno.readFile(foreign);
  assertRefused(await convert(foreign), /not written by deno task convert/);
  assertEquals(await Deno.readFile(foreign), h5Bytes);
});

Deno.test("recall and label-free --out: a user's file is kept, their own output is rewritten", async () => {
  const runs: [string, string[], string][] = [
    ["scripts/recall.ts", ["--data", data, "--hvg", "40"], "recall.json"],
    [
      "scripts/label_free.ts",
      ["--data", data, "--label", "cell_type", "--k", "4", "--methods", "random"],
      "tables.md",
    ],
  ];
  for (const [script, flags, name] of runs) {
    const out = `${dir}/${name}`;
    await Deno.writeTextFile(out, '{"mine": true}\n');
    const refused = await runScript(script, ...flags, "--quiet", "--backend", "wasm", "--out", out);
    assertRefused(refused, /--out.* exists and was not written by deno task/);
    assertEquals(await Deno.readTextFile(out), '{"mine": true}\n');
    await Deno.remove(out);
    for (let run = 0; run < 2; run++) {
      const r = await runScript(script, ...flags, "--quiet", "--backend", "wasm", "--out", out);
      assertEquals(r.code, 0, r.stderr);
    }
  }
});

Deno.test("deno task kernel keeps a kernel.json it did not write; nb --out checks its folder", async () => {
  const jupyter = await tempDir();
  const spec = `${jupyter}/kernels/deno-yoto/kernel.json`;
  const dir_ = await installKernel(jupyter);
  assertEquals(JSON.parse(await Deno.readTextFile(spec)).display_name, "Deno (yoto)");
  await Deno.writeTextFile(
    spec,
    JSON.stringify({ ...JSON.parse(await Deno.readTextFile(spec)), metadata: {} }),
  );
  assertEquals(await installKernel(jupyter), dir_); // ours, changed: rewritten
  const mine = '{"argv": ["python3"], "display_name": "my kernel"}';
  await Deno.writeTextFile(spec, mine);
  await rejectsWith(() => installKernel(jupyter), OptionError, "not written by deno task kernel");
  assertEquals(await Deno.readTextFile(spec), mine);

  const nbs = `${dir}/nbs`;
  await Deno.mkdir(`${nbs}/a`, { recursive: true });
  await Deno.mkdir(`${nbs}/b`);
  for (const p of ["a/x.ipynb", "b/x.ipynb"]) await Deno.writeTextFile(`${nbs}/${p}`, "{}");
  const notes = `${dir}/nb-notes`;
  await Deno.mkdir(notes);
  await Deno.writeTextFile(`${notes}/x.ipynb`, "my notebook");
  assertRefused(
    await runScript("scripts/nb.ts", `${nbs}/a/x.ipynb`, "--out", notes),
    /--out.*holds files that yoto did not write \(x\.ipynb\)/,
  );
  assertEquals(await Deno.readTextFile(`${notes}/x.ipynb`), "my notebook");
  assertRefused(
    await runScript("scripts/nb.ts", `${nbs}/a/x.ipynb`, "--out", `${nbs}/a`),
    /is the input|holds the input/,
  );
  assertRefused(
    await runScript("scripts/nb.ts", `${nbs}/a/x.ipynb`, `${nbs}/b/x.ipynb`, "--out", `${dir}/nb`),
    /two notebooks are named x\.ipynb/,
  );
});

Deno.test("results folders: a folder of other files or of another command is refused", async () => {
  const notes = `${dir}/results`;
  await Deno.mkdir(notes);
  await Deno.writeTextFile(`${notes}/notes.txt`, "mine");
  const flags = ["--data", data, "--label", "cell_type", "--out", notes];
  assertRefused(await runScript("scripts/saturation.ts", ...flags), /--out.*notes\.txt/);
  assertRefused(await runScript("scripts/mae.ts", ...flags), /--out.*notes\.txt/);
  assertRefused(await runScript("scripts/demo.ts", "--out", notes), /--out.*notes\.txt/);
  assertRefused(
    await runScript("scripts/label_free.ts", ...flags.slice(0, 4), "--k", "4", "--out", data),
    /is the input/,
  );
  assertRefused(
    await runScript("scripts/recall.ts", "--data", data, "--out", notes),
    /is a folder/,
  );
  const config = `${dir}/bench.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      datasets: [{ name: "sim", path: "sim.arrow", labels: ["cell_type"] }],
      methods: ["random"],
      k: [4],
      seeds: [0],
      splits: ["cell"],
      out: "results",
    }),
  );
  assertRefused(await runScript("scripts/benchmark.ts", "--config", config), /out.*notes\.txt/);
  assertEquals([...Deno.readDirSync(notes)].map((e) => e.name), ["notes.txt"]);

  // a folder claimed by one command is not reused by another
  const sat = `${dir}/sat`;
  await claimResultsFolder(sat, { flag: "--out", command: "deno task saturation", files: [] });
  assertEquals(await exists(`${sat}/${RESULTS_MARKER}`), true);
  await rejectsWith(
    () => claimResultsFolder(sat, { flag: "--out", command: "deno task mae", files: [] }),
    OptionError,
    "results of `deno task saturation`",
  );
  // an older version's folder (no marker) is recognised by its files
  const legacy = `${dir}/legacy`;
  await Deno.mkdir(legacy);
  await Deno.writeTextFile(`${legacy}/results.jsonl`, "");
  await Deno.writeTextFile(`${legacy}/summary.md`, "");
  const files = ["results.jsonl", "summary.md"];
  assertEquals(
    await claimResultsFolder(legacy, { flag: "--out", command: "deno task saturation", files }),
    legacy,
  );
});

Deno.test("a file output replaces only a file yoto wrote (or --overwrite), never a device, folder or the home folder", async () => {
  const flag = { flag: "--out", command: "yoto predict" };
  await Deno.writeTextFile(`${dir}/old.csv`, "x");
  await rejectsWith(
    () => checkOutputFile(`${dir}/old.csv`, flag),
    OptionError,
    "'" + dir + "/old.csv' exists, and yoto predict cannot tell whether it wrote it",
  );
  const isOurs = async (f: string) => (await Deno.readTextFile(f)) === "ours";
  await rejectsWith(
    () => checkOutputFile(`${dir}/old.csv`, { ...flag, isOurs, overwrite: false }),
    OptionError,
    "not written by yoto predict. Fix: pass a new path, or move the file away (or pass --overwrite",
  );
  const broken = () => Promise.reject(new Error("unreadable"));
  await rejectsWith(
    () => checkOutputFile(`${dir}/old.csv`, { ...flag, isOurs: broken }),
    OptionError,
    "not written",
  );
  assertEquals(await Deno.readTextFile(`${dir}/old.csv`), "x");
  assertEquals(
    await checkOutputFile(`${dir}/old.csv`, { ...flag, overwrite: true }),
    `${dir}/old.csv`,
  );
  await Deno.writeTextFile(`${dir}/old.csv`, "ours");
  assertEquals(await checkOutputFile(`${dir}/old.csv`, { ...flag, isOurs }), `${dir}/old.csv`);
  await rejectsWith(() => checkOutputFile("/dev/zero", flag), OptionError, "not a regular file");
  await rejectsWith(() => checkOutputFile(Deno.env.get("HOME")!, flag), OptionError, "home");
  await rejectsWith(() => checkOutputFile("", flag), OptionError, "empty");
});

Deno.test("operating-system errors while writing: one-line OutputError, nothing left behind", async () => {
  const target = `${dir}/full.csv`;
  await Deno.writeTextFile(target, "previous");
  // the writer hits a full disk (/dev/full answers every write with ENOSPC)
  const err = await assertRejects(
    () => withAtomicFile(target, () => Deno.writeFile("/dev/full", new Uint8Array(64))),
    OutputError,
  );
  assertEquals(
    /full\.csv: cannot write: no space left.*ENOSPC.*Fix: free some space/.test(err.message),
    true,
    err.message,
  );
  assertEquals(await Deno.readTextFile(target), "previous");
  assertEquals([...Deno.readDirSync(dir)].some((e) => e.name.includes(".tmp-")), false);
  await rejectsWith(() => writeFileAtomic(`${target}/x.csv`, "y"), OutputError, "ENOTDIR");
});
