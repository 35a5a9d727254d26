import assert from "node:assert/strict";
import { writeArrow } from "../../lib/data/arrow.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { runScript, tempDir } from "../_shared.ts";

const dir = await tempDir();
const sim = simulate({ nCells: 300, nGenes: 120, seed: 4 }).dataset;
const renamed = ["MT-CO1", "MT-ND4", "RPL3", "RPS27A", "HBB", "HBEGF"];
const ds = Dataset.fromDense(
  sim.toDense(),
  sim.nCells,
  sim.nGenes,
  sim.genes.map((g, j) => renamed[j] ?? g),
  { cell_type: sim.obs("cell_type") },
);
await writeArrow(ds, `${dir}/sim.arrow`);
const base = ["--data", `${dir}/sim.arrow`, "--label", "cell_type", "--epochs", "2"];
const tail = ["--backend", "wasm", "--quiet"];

function train(out: string, ...flags: string[]) {
  return runScript(
    "scripts/yoto.ts",
    "train",
    ...base,
    ...flags,
    "--out",
    `${dir}/${out}`,
    ...tail,
  );
}

Deno.test("yoto train: --force/--exclude/--exclude-preset/--max-mean reported and honoured", async () => {
  await Deno.writeTextFile(
    `${dir}/base.csv`,
    "gene,rank,score\nHBEGF,1,3\n" + `${ds.genes[50]},2,1\n`,
  );
  await Deno.writeTextFile(`${dir}/ex.txt`, `# never\n${ds.genes[60]}\nNOT_A_GENE\n`);
  const r = await train(
    "m1",
    "--k",
    "6",
    "--force",
    `${dir}/base.csv`,
    "--exclude",
    `${dir}/ex.txt`,
    "--exclude-preset",
    "mito,ribo,hemoglobin",
    "--exclude-pattern",
    "^gene_00[0-4]",
    "--max-mean",
    "1000",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /candidates: --exclude: 1 genes removed, \d+ left \(1 listed gene\(s\) are not in the data\)/,
  );
  assert.match(r.stdout, /candidates: --exclude-preset mito,ribo,hemoglobin: 5 genes removed/);
  const panelLine = r.stdout.split("\n").find((l) => l.startsWith("panel (k = 6): "))!;
  const panel = panelLine.slice("panel (k = 6): ".length).split(", ");
  assert.deepEqual(panel.slice(0, 2), ["HBEGF", ds.genes[50]]);
  assert.equal(panel.length, 6);
  assert.ok(!panel.some((g) => renamed.slice(0, 5).includes(g) || g === ds.genes[60]));
  const metrics = JSON.parse(await Deno.readTextFile(`${dir}/m1/metrics.json`));
  assert.deepEqual(
    metrics.constraints.steps.map((s: { constraint: string }) => s.constraint),
    [
      "--exclude",
      "--exclude-preset mito,ribo,hemoglobin",
      "--exclude-pattern ^gene_00[0-4]",
      "--max-mean 1000",
    ],
  );
  assert.equal(metrics.constraints.forced, 2);
});

Deno.test("yoto train --candidates FILE chooses among the listed genes", async () => {
  const list = ds.genes.slice(10, 40);
  await Deno.writeTextFile(`${dir}/cand.txt`, list.join("\n") + "\n");
  const r = await train("m2", "--k", "4", "--candidates", `${dir}/cand.txt`);
  assert.equal(r.code, 0, r.stderr);
  const panel = r.stdout.split("\n").find((l) => l.startsWith("panel (k = 4): "))!.slice(15).split(
    ", ",
  );
  assert.ok(panel.every((g) => list.includes(g)), panel.join());
});

Deno.test("constraint errors: one line, exit 2, naming the flag; no model written", async () => {
  await Deno.writeTextFile(`${dir}/mt.txt`, "MT-CO1\n");
  await Deno.writeTextFile(`${dir}/allow.txt`, ds.genes.slice(10, 20).join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/bad.csv`, "symbol,rank\nA,1\n");
  const cases: [string[], RegExp][] = [
    [
      ["--force", `${dir}/mt.txt`, "--exclude-preset", "mito"],
      /'MT-CO1' fail --exclude-preset mito/,
    ],
    [
      ["--allow", `${dir}/allow.txt`],
      /after --allow only 10 candidate gene\(s\) are left .*--k 16 needs at least 17/,
    ],
    [["--exclude-preset", "mito,nope"], /no gene preset 'nope'/],
    [["--exclude-pattern", "(["], /--exclude-pattern '\(\[' is not a valid regular expression/],
    [["--max-mean=-1"], /--max-mean must be a number >= 0/],
    [["--force", `${dir}/bad.csv`], /no 'gene' column/],
    [["--candidates", `${dir}/missing.txt`], /missing\.txt/],
  ];
  for (const [flags, message] of cases) {
    const out = `bad${cases.findIndex((c) => c[0] === flags)}`;
    const r = await train(out, "--k", "16", ...flags);
    assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    await assert.rejects(() => Deno.stat(`${dir}/${out}`));
  }
});
