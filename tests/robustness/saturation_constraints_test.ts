// The saturation study takes the candidate constraints of `yoto train` and the benchmark: the
// `constraints` option (the benchmark config's object) and the same CLI flags; they are part of
// the resume fingerprint.
import assert from "node:assert/strict";
import { assertEquals, assertRejects } from "../_assert.ts";
import { runScript, tempDir } from "../_shared.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import {
  readSaturationRows,
  runSaturationStudy,
  type SaturationStudyOptions,
} from "../../lib/eval/saturation.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { OptionError } from "../../lib/runtime/errors.ts";

await initBackend("wasm");

// The simulation's markers renamed to mitochondrial and ribosomal names: the genes a marker
// method picks first, and the ones the presets exclude.
const sim = simulate({ nCells: 300, nGenes: 120, nTypes: 3, seed: 4 });
const markers = new Set(Object.values(sim.truth.markers).flat());
let n = 0;
const names = sim.dataset.genes.map((g) =>
  markers.has(g) ? (n++ % 2 ? `RPL${n}` : `MT-CO${n}`) : g
);
const dataset = Dataset.fromDense(
  sim.dataset.toDense(),
  sim.dataset.nCells,
  sim.dataset.nGenes,
  names,
  sim.dataset.obsColumns,
);
const excluded = (g: string) => /^(MT-|RPL)/.test(g);
const dir = await tempDir();
const options: SaturationStudyOptions = {
  label: "cell_type",
  k: 4,
  fractions: [0.5, 1],
  schemes: ["random"],
  seeds: [0],
  method: "markers",
  candidates: 80,
  quiet: true,
};

Deno.test("saturation constraints: an exclude preset keeps every excluded gene out of every panel", async () => {
  const panels = (rows: { panel: string }[]) => rows.flatMap((r) => r.panel.split(";"));
  // Without it the marker method picks them (the check below can fail).
  const free = await runSaturationStudy(dataset, options);
  assertEquals(panels(free).some(excluded), true, panels(free).join());
  const jsonl = `${dir}/results.jsonl`;
  const constrained = { ...options, jsonl, constraints: { excludePresets: ["mito", "ribo"] } };
  const rows = await runSaturationStudy(dataset, constrained);
  assertEquals(rows.length, 2);
  assertEquals(rows.every((r) => r.status === "ok" && r.panel.split(";").length === 4), true);
  assertEquals(panels(rows).filter(excluded), []);

  // Resumed with the same constraints: nothing is redone.
  const again = await runSaturationStudy(dataset, {
    ...constrained,
    onRow: () => assert.fail("resumed run made again"),
  });
  assertEquals(again.map((r) => r.panel), rows.map((r) => r.panel));
  // Other constraints (a forced gene) are another fingerprint: redone, and the warning says so.
  const warned: string[] = [];
  const forced = dataset.genes.find((g) => !excluded(g) && !panels(rows).includes(g))!;
  const redone = await runSaturationStudy(dataset, {
    ...constrained,
    constraints: { excludePresets: ["mito", "ribo"], force: [forced] },
    warn: (line) => warned.push(line),
  });
  assertEquals(warned.length, 1);
  assert.match(warned[0], /^2 run\(s\) .*\(changed: constraints\)/);
  assertEquals(redone.every((r) => r.panel.split(";")[0] === forced), true);
  assertEquals(panels(redone).filter(excluded), []);
  assertEquals((await readSaturationRows(jsonl)).length, 4);
});

Deno.test("saturation constraints: a bad key or value is an OptionError naming it", async () => {
  const bad: [unknown, RegExp][] = [
    [{ excludePreset: ["mito"] }, /unknown 'constraints' key\(s\) excludePreset/],
    [{ excludePresets: ["mitochondria"] }, /mitochondria/],
    [{ maxMean: -1 }, /'constraints.maxMean' must be a number >= 0/],
    [["mito"], /'constraints' must be an object/],
  ];
  for (const [constraints, message] of bad) {
    const err = await assertRejects(
      () => runSaturationStudy(dataset, { ...options, constraints: constraints as never }),
      OptionError,
    );
    assert.match(err.message, message);
  }
});

Deno.test("deno task saturation: yoto train's constraint flags; bad ones are one-line errors", async () => {
  await writeArrow(dataset, `${dir}/sim.arrow`);
  const kept = dataset.genes.find((g) => !excluded(g))!;
  await Deno.writeTextFile(`${dir}/base.csv`, `gene,rank,score\n${kept},1,1\n`);
  const base = [
    "--data",
    `${dir}/sim.arrow`,
    "--label",
    "cell_type",
    "--k",
    "4",
    "--method",
    "markers",
  ];
  const grid = ["--fractions", "50,100", "--schemes", "random", "--seeds", "0", "--quiet"];
  const out = `${dir}/cli`;
  const r = await runScript(
    "scripts/saturation.ts",
    ...base,
    ...grid,
    "--exclude-preset",
    "mito,ribo",
    "--force",
    `${dir}/base.csv`,
    "--candidates",
    "80",
    "--out",
    out,
  );
  assertEquals(r.code, 0, r.stderr);
  const rows = await readSaturationRows(`${out}/results.jsonl`);
  assertEquals(rows.length, 2);
  for (const row of rows) {
    const genes = row.panel.split(";");
    assertEquals(genes[0], kept, row.panel);
    assertEquals(genes.filter(excluded), [], row.panel);
  }
  const bad: [string[], RegExp][] = [
    [["--exclude-preset", "mitochondria"], /mitochondria/],
    [["--exclude-presets", "mito"], /exclude-presets/],
    [["--min-mean", "-1"], /--min-mean/],
    [["--force", `${dir}/none.txt`], /none\.txt/],
  ];
  for (const [flags, message] of bad) {
    const b = await runScript("scripts/saturation.ts", ...base, ...flags, "--out", `${dir}/bad`);
    assertEquals(b.code, 2, b.stderr);
    assertEquals(b.stderr.trim().split("\n").length, 1, b.stderr);
    assert.match(b.stderr, /^error: /);
    assert.match(b.stderr, message);
  }
  assertEquals(await Deno.stat(`${dir}/bad`).then(() => true, () => false), false);
});
