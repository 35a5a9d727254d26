/**
 * Long runs survive one bad unit: a benchmark unit that fails is recorded with its error, the
 * grid goes on, the CLI exits 3, a rerun retries it; resumed results carry a fingerprint of
 * their settings, so a changed config (or changed data) recomputes them instead of silently
 * reusing them. Same fingerprint check for the saturation study's results.jsonl.
 * @module
 */
import assert from "node:assert/strict";
import { tableFromIPC } from "apache-arrow";
import { assertEquals } from "../_assert.ts";
import { runScript, tempDir } from "../_shared.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { simulate } from "../../lib/data/simulate.ts";
import {
  type BenchmarkConfig,
  parseBenchmarkConfig,
  runBenchmark,
  type UnitRecord,
} from "../../lib/eval/protocol.ts";
import { runSaturationStudy, type SaturationStudyOptions } from "../../lib/eval/saturation.ts";
import { readJsonLines } from "../../lib/runtime/atomic.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { EXIT_SOME_FAILED } from "../../lib/runtime/cli.ts";
import { selectorEntry } from "../../lib/select/registry.ts";

await initBackend("wasm");

/** Simulated cells with a one-donor column (a donor split of it cannot be made). */
async function writeSim(path: string, seed = 5): Promise<void> {
  const { dataset } = simulate({ nCells: 240, nGenes: 60, seed });
  const one = dataset.withObs("one_donor", {
    kind: "string",
    values: Array(dataset.nCells).fill("d1"),
  });
  await writeArrow(one, path);
}

/** A small grid in a fresh folder: 2 methods x k 4 on the cell split; patch to vary it. */
async function setup(patch: Record<string, unknown> = {}) {
  const dir = await tempDir();
  await writeSim(`${dir}/sim.arrow`);
  const raw: Record<string, unknown> = {
    datasets: [{ name: "sim", path: "sim.arrow", labels: ["cell_type"], splitBy: "one_donor" }],
    methods: ["random", "hvg"],
    k: [4],
    seeds: [0],
    splits: ["cell"],
    candidates: 20,
    classifiers: ["lr"],
    out: "out",
    ...patch,
  };
  const write = async (p: Record<string, unknown> = {}) => {
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...raw, ...p }));
    return parseBenchmarkConfig(JSON.stringify({ ...raw, ...p }), `${dir}/config.json`);
  };
  return { dir, config: await write(), write };
}

/** Run quietly, collecting warnings and the units that ran. */
async function run(config: BenchmarkConfig) {
  const warnings: string[] = [];
  const ran: string[] = [];
  const result = await runBenchmark(config, {
    quiet: true,
    warn: (line) => warnings.push(line),
    onRows: (rows) => ran.push(rows[0].unit),
  });
  return { ...result, warnings, ran };
}

const records = (config: BenchmarkConfig) =>
  readJsonLines<UnitRecord>(`${config.out}/results.jsonl`);

Deno.test("benchmark: failing units (a selection, a split, a dataset) are recorded and the grid goes on", async () => {
  const { dir, config } = await setup({
    k: [4, 20], // k = 20 with 20 candidates: every selector refuses it
    splits: ["cell", "donor"], // one donor: the donor split cannot be made
  });
  await Deno.writeTextFile(`${dir}/broken.arrow`, "not an arrow file");
  config.datasets.push({ name: "broken", path: `${dir}/broken.arrow`, labels: ["cell_type"] });
  const first = await run(config);
  // sim: 2 methods x 2 k x 2 splits; broken: 2 methods x 2 k on the cell split.
  assertEquals(first.units, 12);
  assertEquals(first.ran.sort(), ["sim|cell|0|hvg|4||panel", "sim|cell|0|random|4||panel"]);
  assertEquals(first.failures.length, 10);
  const why = (f: { dataset: string; split: string; k: number }) =>
    f.dataset === "broken" ? "dataset" : f.split === "donor" ? "split" : "k";
  const byCause = Object.groupBy(first.failures, why);
  assertEquals([byCause.k?.length, byCause.split?.length, byCause.dataset?.length], [2, 4, 4]);
  assert.match(byCause.k![0].error, /k = 20 leaves nothing to choose/);
  assert.match(byCause.split![0].error, /has 1 group\(s\)/);
  assert.match(byCause.dataset![0].error, /broken\.arrow/);
  assert.ok(first.failures.every((f) => !f.error.includes("\n")));
  assert.ok(
    first.warnings.some((w) => /sim donor seed 0 random k=4 failed: .*has 1 group\(s\)/.test(w)),
  );
  // Rows of the finished units only, with real scores.
  assertEquals(first.rows.length, 2);
  assert.ok(first.rows.every((r) => r.macro_f1 > 0.3 && r.k === 4 && r.split === "cell"));
  // Every unit has its line: 2 with rows, 10 with the failure.
  const lines = await records(config);
  assertEquals(lines.length, 12);
  assertEquals(lines.filter((r) => r.failure).length, 10);
  assert.ok(lines.every((r) => r.fingerprint && r.settings));

  // A rerun retries the failed units only (they fail again here) and keeps the finished ones.
  const second = await run(config);
  assertEquals(second.ran, []);
  assertEquals(second.failures.length, 10);
  assertEquals(second.rows, first.rows);
  assertEquals((await records(config)).length, 22);
});

Deno.test("benchmark: an unexpected error (a bug) fails its unit only; the rerun retries it", async () => {
  const { config } = await setup({ k: [4, 5] });
  // Patch the registry's random baseline to throw a TypeError at k = 5.
  const random = selectorEntry("random");
  const load = random.load;
  random.load = async () => {
    const selector = await load();
    return {
      ...selector,
      fit: (train, options) =>
        options.k === 5
          ? Promise.reject(new TypeError("x is undefined"))
          : selector.fit(train, options),
    };
  };
  let first;
  try {
    first = await run(config);
  } finally {
    random.load = load;
  }
  assertEquals(first.failures.map((f) => [f.unit, f.error]), [
    ["sim|cell|0|random|5||panel", "TypeError: x is undefined"],
  ]);
  assertEquals(first.ran.length, 3);
  // The stack of a bug is kept for the report.
  assert.ok(first.warnings.some((w) => w.includes("long_runs_test.ts")), first.warnings.join("\n"));
  const second = await run(config);
  assertEquals([second.ran, second.failures], [["sim|cell|0|random|5||panel"], []]);
  assertEquals(second.rows.length, 4);
  assertEquals(second.warnings, []);
});

Deno.test("benchmark resume: a changed config or dataset recomputes what it affects, and says so", async () => {
  const { dir, config, write } = await setup();
  const first = await run(config);
  assertEquals(first.ran.length, 2);

  // More candidates: both units depend on them.
  const more = await run(await write({ candidates: 30 }));
  assertEquals(more.ran.length, 2);
  assertEquals(more.warnings.length, 1);
  assert.match(
    more.warnings[0],
    /^2 result\(s\) .* different config \(changed: candidates\): recomputed/,
  );
  assert.ok(more.rows.every((r) => r.n_candidates === 30));

  // Back to the first config: its results are still in the file, valid again, nothing runs.
  const back = await run(config);
  assertEquals([back.ran, back.warnings], [[], []]);
  assertEquals(back.rows, first.rows);

  // Other classifiers, or another label list, change every unit.
  const knn = await run(await write({ classifiers: ["knn"] }));
  assertEquals(knn.ran.length, 2);
  assert.match(knn.warnings[0], /changed: candidates, classifiers\)/); // vs the latest lines
  assert.ok(knn.rows.every((r) => r.classifier === "knn"));

  // YOTO's options do not touch the baselines; a new method only adds its units.
  const yotoOptions = await run(await write({ yoto: { epochs: 7 } }));
  assertEquals([yotoOptions.ran, yotoOptions.warnings], [[], []]);
  const grown = await run(await write({ methods: ["random", "hvg", "markers"] }));
  assertEquals([grown.ran, grown.warnings], [["sim|cell|0|markers|4|cell_type|panel"], []]);
  // A method dropped from the config: its rows leave the tables (they stay in the file).
  const shrunk = await run(await write({ methods: ["random"] }));
  assertEquals(shrunk.ran, []);
  assert.ok(shrunk.rows.every((r) => r.method === "random"));
  assert.match(
    shrunk.warnings.join("\n"),
    /2 unit\(s\) in results.jsonl are not in this config's grid/,
  );

  // The same path with other cells: everything is recomputed.
  await writeSim(`${dir}/sim.arrow`, 6);
  const newData = await run(config);
  assertEquals(newData.ran.length, 2);
  assert.match(newData.warnings[0], /changed: data/);
});

Deno.test("benchmark resume: lines written without a fingerprint (older versions) are recomputed", async () => {
  const { config } = await setup();
  await run(config);
  const jsonl = `${config.out}/results.jsonl`;
  const old = (await records(config)).map(({ unit, rows }) => JSON.stringify({ unit, rows }));
  await Deno.writeTextFile(jsonl, old.join("\n") + "\n");
  const again = await run(config);
  assertEquals(again.ran.length, 2);
  assert.match(again.warnings[0], /^2 result\(s\) .* without a record of their settings/);
});

Deno.test("deno task benchmark: a failed unit is in summary.md, not in the CSV/Arrow rows; exit 3", async () => {
  const { dir } = await setup({ k: [4, 20] });
  const r = await runScript("scripts/benchmark.ts", "--config", `${dir}/config.json`, "--quiet");
  assertEquals(r.code, EXIT_SOME_FAILED, r.stderr);
  assert.match(r.stderr, /2 of 4 units failed; see .*out\/summary\.md/);
  assert.match(r.stderr, /warning: sim cell seed 0 hvg k=20 failed: .*leaves nothing to choose/);
  assert.doesNotMatch(r.stderr, /\n\s+at /); // user errors: no stack trace
  const summary = await Deno.readTextFile(`${dir}/out/summary.md`);
  assert.match(summary, /### Failed units: 2 of 4 units failed/);
  assert.match(summary, /\| sim \| cell \| 0 \| hvg \| 20 \| - \| .*leaves nothing to choose/);
  assert.match(summary, /sim · cell_type · cell: macro-F1/);
  const csv = (await Deno.readTextFile(`${dir}/out/results.csv`)).trimEnd().split("\n");
  assertEquals(csv.length, 3); // header + the two k = 4 rows
  const arrow = tableFromIPC(await Deno.readFile(`${dir}/out/results.arrow`));
  assertEquals([...arrow.getChild("k")!.toArray()], [4, 4]);

  // Every unit failing still writes the files, and exits 3.
  const none = await setup({ k: [20] });
  const all = await runScript(
    "scripts/benchmark.ts",
    "--config",
    `${none.dir}/config.json`,
    "--quiet",
  );
  assertEquals(all.code, EXIT_SOME_FAILED, all.stderr);
  assert.match(all.stderr, /2 of 2 units failed/);
  assert.match(await Deno.readTextFile(`${none.dir}/out/summary.md`), /2 of 2 units failed/);
});

Deno.test("deno task benchmark: a rerun after a config change says what it recomputed; exit 0", async () => {
  const { dir, write } = await setup();
  const args = ["scripts/benchmark.ts", "--config", `${dir}/config.json`, "--quiet"];
  assertEquals((await runScript(...args as [string, ...string[]])).code, 0);
  await write({ candidates: 25 });
  const r = await runScript(...args as [string, ...string[]]);
  assertEquals(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: 2 result\(s\) .* different config \(changed: candidates\)/);
  const csv = await Deno.readTextFile(`${dir}/out/results.csv`);
  assertEquals(csv.trimEnd().split("\n").length, 3);
});

Deno.test("saturation resume: runs made with other data or candidates are recomputed", async () => {
  const dir = await tempDir();
  const { dataset } = simulate({ nCells: 240, nGenes: 60, seed: 5 });
  const warnings: string[] = [];
  const ran: string[] = [];
  const options: SaturationStudyOptions = {
    label: "cell_type",
    method: "random",
    k: 4,
    fractions: [0.5, 1],
    schemes: ["random"],
    seeds: [0],
    candidates: 20,
    jsonl: `${dir}/results.jsonl`,
    quiet: true,
    warn: (line) => warnings.push(line),
    onRow: (row) => ran.push(row.unit),
  };
  const first = await runSaturationStudy(dataset, options);
  assertEquals([first.length, ran.length], [2, 2]);
  // Same settings: nothing runs.
  ran.length = 0;
  assertEquals((await runSaturationStudy(dataset, options)).length, 2);
  assertEquals([ran, warnings], [[], []]);
  // Other candidates: recomputed, said once.
  const more = await runSaturationStudy(dataset, { ...options, candidates: 30 });
  assertEquals([more.length, ran.length], [2, 2]);
  assertEquals(warnings.length, 1);
  assert.match(warnings[0], /^2 run\(s\) .* other settings \(changed: candidates\): recomputed/);
  // Other cells under the same settings: recomputed.
  ran.length = 0;
  const other = simulate({ nCells: 240, nGenes: 60, seed: 6 }).dataset;
  await runSaturationStudy(other, options);
  assertEquals(ran.length, 2);
  assert.match(warnings[1], /changed: data, candidates\)/); // vs the latest lines
  // Lines from an older version (no fingerprint) are not reused either.
  const lines = (await Deno.readTextFile(options.jsonl!)).trimEnd().split("\n")
    .map((l) => JSON.parse(l)).map(({ unit, row }) => JSON.stringify({ unit, row }));
  await Deno.writeTextFile(options.jsonl!, lines.join("\n") + "\n");
  ran.length = 0;
  await runSaturationStudy(dataset, options);
  assertEquals(ran.length, 2);
  assert.match(warnings[2], /not recorded by an older version/);
});
