/**
 * A model directory is untrusted input (model.json checked field by field, the weights read only
 * inside the directory and at the declared size), and a save never leaves --out without a model:
 * not on a kill between its steps, not on a full disk.
 */
import { fileURLToPath } from "node:url";
import { assertEquals, assertRejects } from "../_assert.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { FileFormatError, OutputError } from "../../lib/runtime/errors.ts";
import { loadYoto, saveYoto } from "../../lib/select/yoto/save.ts";
import { fitYoto } from "../../lib/select/yoto/train.ts";
import { runCommand, tempDir } from "../_shared.ts";

await initBackend("wasm");
const { dataset } = simulate({ nCells: 200, nGenes: 60, seed: 4 });
const fit = (k: number) =>
  fitYoto(dataset, { k, tasks: ["cell_type"], candidates: 60, epochs: 2, quiet: true });
const small = await fit(3), large = await fit(5);
const root = await tempDir();
const source = `${root}/large`;
await saveYoto(large, source);

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

async function panelSize(dir: string): Promise<number> {
  const model = await loadYoto(dir);
  model.dispose();
  return model.panel.genes.length;
}

/** Save the 5-gene model over `dir` in a subprocess that exits at `step`, as a kill would. */
async function killedSave(dir: string, step: string): Promise<void> {
  const script = `${root}/save.ts`;
  const saveModule = new URL("../../lib/select/yoto/save.ts", import.meta.url).href;
  const backend = new URL("../../lib/runtime/backend.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { loadYoto, saveYoto } from "${saveModule}";\n` +
      `import { initBackend } from "${backend}";\n` +
      `await initBackend("wasm");\n` +
      `await saveYoto(await loadYoto(${JSON.stringify(source)}), Deno.args[0]);\n`,
  );
  const config = fileURLToPath(new URL("../../deno.json", import.meta.url));
  const r = await runCommand(Deno.execPath(), ["run", "-A", "--config", config, script, dir], {
    YOTO_TEST_SAVE_EXIT: step,
  });
  assertEquals(r.code, 86, `the save should have stopped at '${step}': ${r.stderr}`);
}

for (const step of ["written", "aside", "switched"]) {
  Deno.test(`a save killed at '${step}' leaves a loadable model at --out`, async () => {
    const parent = await tempDir();
    const dir = `${parent}/model`;
    await saveYoto(small, dir);
    await killedSave(dir, step);
    // the old model until the new one is complete and moved aside; the new one after
    assertEquals(await panelSize(dir), step === "written" ? 3 : 5);
    // the next save cleans up what the killed one left
    await saveYoto(small, dir);
    assertEquals(names(parent), ["model"]);
    assertEquals(await panelSize(dir), 3);
  });
}

Deno.test("a save killed after moving the old model aside is put back by the next save", async () => {
  const parent = await tempDir();
  const dir = `${parent}/model`;
  await saveYoto(small, dir);
  await killedSave(dir, "aside");
  assertEquals(names(parent).includes("model"), false);
  await saveYoto(small, `${dir}/`);
  assertEquals(names(parent), ["model"]);
  assertEquals(await panelSize(dir), 3);
});

Deno.test("a full disk during a save: OutputError, the previous model intact", async () => {
  const parent = await tempDir();
  const dir = `${parent}/model`;
  await saveYoto(small, dir);
  const writeFile = Deno.writeFile;
  const rename = Deno.rename;
  try {
    Deno.writeFile = () => Promise.reject(Object.assign(new Error("full"), { code: "ENOSPC" }));
    await assertRejects(() => saveYoto(large, dir), OutputError);
    Deno.writeFile = writeFile;
    // the switch itself refused (busy): the old model goes back
    let calls = 0;
    Deno.rename = (from, to) =>
      ++calls === 2
        ? Promise.reject(Object.assign(new Error("busy"), { code: "EBUSY" }))
        : rename(from, to);
    const err = await assertRejects(() => saveYoto(large, dir), OutputError);
    assertEquals(err.message.includes("EBUSY") && err.message.includes(dir), true, err.message);
  } finally {
    Deno.writeFile = writeFile;
    Deno.rename = rename;
  }
  assertEquals(names(parent), ["model"]);
  assertEquals(await panelSize(dir), 3);
});

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>; // model.json, edited freely to craft bad ones

/** A copy of the saved 5-gene model with model.json edited by `edit`. */
async function crafted(edit: (json: Json, dir: string) => void | Promise<void>) {
  const dir = `${await tempDir()}/m`;
  await Deno.mkdir(dir);
  for (const name of names(source)) await Deno.copyFile(`${source}/${name}`, `${dir}/${name}`);
  const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  await edit(json, dir);
  await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(json));
  return dir;
}

const cases: [string, (json: Json, dir: string) => void | Promise<void>, RegExp][] = [
  ["weights.file ../ escape", (j) => {
    j.weights.file = "../../../../../etc/passwd";
  }, /not a file inside the model directory/],
  ["weights.file absolute", (j) => {
    j.weights.file = "/etc/passwd";
  }, /not a file inside/],
  ["weights.bin a symlink to /dev/zero", async (_, d) => {
    await Deno.remove(`${d}/weights.bin`);
    await Deno.symlink("/dev/zero", `${d}/weights.bin`);
  }, /not a file inside/],
  ["weights.file a symlink leading out", async (j, d) => {
    await Deno.symlink("/etc/passwd", `${d}/w.bin`);
    j.weights.file = "w.bin";
  }, /not a file inside/],
  ["weights.bin a named pipe", async (_, d) => {
    await Deno.remove(`${d}/weights.bin`);
    await new Deno.Command("mkfifo", { args: [`${d}/weights.bin`] }).output();
  }, /not a regular file/],
  ["weights.bin longer than declared", async (_, d) => {
    const bytes = await Deno.readFile(`${d}/weights.bin`);
    await Deno.writeFile(`${d}/weights.bin`, new Uint8Array(bytes.length + 4096));
  }, /more than the \d+ expected/],
  ["weights.bytes inconsistent with the shapes", (j) => {
    j.weights.bytes += 4;
  }, /weights\.bytes/],
  ["a huge declared network with consistent bytes", (j) => {
    j.weights.shapes = [[100000, 100000]];
    j.weights.bytes = 4 * (1e10 + j.weights.scores);
  }, /does not match model\.json/],
  ["weights.shapes not the network's", (j) => {
    j.weights.shapes = [...j.weights.shapes].reverse();
  }, /shapes do not fit the network/],
  ["weights.scores not spec.nFree", (j) => {
    j.weights.scores = 1;
  }, /weights\.scores/],
  ["format tag", (j) => {
    j.format = "something/9";
  }, /model format 'something\/9'/],
  ["not an object", (j) => {
    for (const key of Object.keys(j)) delete j[key];
    j.format = "yoto.model/1";
  }, /field 'seed'/],
  ["panel gene duplicated", (j) => {
    j.panel.genes[1] = j.panel.genes[0];
  }, /panel\.genes.*listed twice/],
  ["panel gene not a string", (j) => {
    j.panel.genes[0] = 7;
  }, /panel\.genes.*list of gene names/],
  ["panel gene not a candidate", (j) => {
    j.panel.genes[0] = "NOT_A_GENE";
  }, /not one of the candidates/],
  ["panel scores of the wrong length", (j) => {
    j.panel.scores.pop();
  }, /panel\.scores/],
  ["classes duplicated", (j) => {
    j.spec.net.tasks[0].classes[1] = j.spec.net.tasks[0].classes[0];
  }, /classes.*listed twice/],
  ["classes missing", (j) => {
    delete j.spec.net.tasks[0].classes;
  }, /classes.*list of class names/],
  ["task kind unknown", (j) => {
    j.spec.net.tasks[0].kind = "clustering";
  }, /tasks\[0\]\.kind/],
  ["transform genes of the wrong length", (j) => {
    j.spec.transform.genes.pop();
  }, /spec\.transform\.genes/],
  ["transform means not numbers", (j) => {
    j.spec.transform.means[0] = "x";
  }, /spec\.transform\.means/],
  ["hidden widths not integers", (j) => {
    j.spec.net.hidden = [1.5];
  }, /spec\.net\.hidden/],
  ["sha256 not hex", (j) => {
    j.weights.sha256 = "zz";
  }, /weights\.sha256/],
];

for (const [name, edit, pattern] of cases) {
  Deno.test(`crafted model.json: ${name} is a one-line FileFormatError`, async () => {
    const dir = await crafted(edit);
    const err = await assertRejects(() => loadYoto(dir), FileFormatError);
    assertEquals(pattern.test(err.message) && !err.message.includes("\n"), true, err.message);
  });
}

Deno.test("model.json a device or a symlink to one: refused without reading it", async () => {
  const dir = await crafted(() => {});
  await Deno.remove(`${dir}/model.json`);
  await Deno.symlink("/dev/zero", `${dir}/model.json`);
  const err = await assertRejects(() => loadYoto(dir), FileFormatError);
  assertEquals(/not a regular file/.test(err.message), true, err.message);
});

Deno.test("an untouched copy still loads (the checks accept what saveYoto writes)", async () => {
  assertEquals(await panelSize(await crafted(() => {})), 5);
});

globalThis.addEventListener("unload", () => {
  small.dispose();
  large.dispose();
});
