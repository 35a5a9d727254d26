/**
 * Every documented `yoto train` mode works from the CLI, or stops with one line in CLI words:
 * label-free and regression-only runs, integer-coded labels, --split-by with few groups and
 * donor designs where a condition is confounded with the donors, flag parsing, --backend webgpu.
 */
import { deepStrictEqual, ok as assert } from "node:assert/strict";
import { writeArrow } from "../../lib/data/arrow.ts";
import type { Dataset } from "../../lib/data/dataset.ts";
import { groupSplit } from "../../lib/data/split.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { loadYoto } from "../../lib/select/yoto/save.ts";
import { runScript, type ScriptResult, tempDir } from "../_shared.ts";
import { donorDesign } from "../data/_fixtures.ts";

const dir = await tempDir();
const common = ["--k", "4", "--candidates", "150", "--epochs", "2", "--backend", "wasm", "--quiet"];

/** Library identifiers that must never reach a CLI user. */
const LIBRARY_WORDS =
  /stratifiedSplit|groupSplit|protocolSplit|stratifyBy|oneGroupPerClass|nTopGenes|resolutionStart|fitPreprocess|applyPreprocess/;

function train(data: string, out: string, ...flags: string[]): Promise<ScriptResult> {
  return runScript("scripts/yoto.ts", "train", "--data", data, "--out", `${dir}/${out}`, ...flags);
}

/** Exit 2 with one `error:` line in CLI words; returns that line. */
function oneLineError(r: ScriptResult, what: string): string {
  deepStrictEqual(r.code, 2, `${what}: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  deepStrictEqual(lines.length, 1, `${what}: ${r.stderr}`);
  assert(lines[0].startsWith("error: "), r.stderr);
  assert(!LIBRARY_WORDS.test(lines[0]), `${what} names a library identifier: ${lines[0]}`);
  return lines[0];
}

function numeric(ds: Dataset, name: string, f: (i: number) => number): Dataset {
  return ds.withObs(name, {
    kind: "numeric",
    values: Float64Array.from({ length: ds.nCells }, (_, i) => f(i)),
  });
}

// 6 donors x 3 conditions, 2 donors per condition, with extra columns for the other modes.
const six = donorDesign({ nDonors: 6, nConditions: 3, confounded: true });
const typeCode = six.categorical("cell_type").codes;
const donorCode = six.categorical("donor").codes;
let sim = numeric(six, "score", (i) => typeCode[i] + Math.sin(i));
sim = numeric(sim, "type_code", (i) => typeCode[i]);
sim = numeric(sim, "type_code2", (i) => typeCode[i]);
sim = sim.withObs("two", {
  kind: "categorical",
  codes: Int32Array.from(donorCode, (d) => d % 2),
  categories: ["g1", "g2"],
});
sim = sim.withObs("batch", {
  kind: "categorical",
  codes: new Int32Array(sim.nCells),
  categories: ["b1"],
});
const SIX = `${dir}/six.arrow`, FOUR = `${dir}/four.arrow`, THREE = `${dir}/three.arrow`;
await writeArrow(sim, SIX);
const four = donorDesign({ nDonors: 4, nConditions: 2, confounded: true });
await writeArrow(four, FOUR);
await writeArrow(donorDesign({ nDonors: 3, nConditions: 3, confounded: true }), THREE);

/** A seed whose donor split by cell type alone (what the CLI did before) loses a condition. */
function seedLosingACondition(ds: Dataset, nConditions: number): number {
  const condition = ds.categorical("condition").codes;
  for (let seed = 0;; seed++) {
    const old = groupSplit(ds.categorical("donor"), {
      val: 1,
      test: 1,
      seed,
      stratifyBy: ds.categorical("cell_type"),
      oneGroupPerClass: true,
    });
    if (new Set(Array.from(old.train, (i) => condition[i])).size < nConditions) return seed;
  }
}

Deno.test("--reconstruct alone and a numeric label alone train on a seeded random split", async () => {
  const recon = await train(SIX, "recon", "--reconstruct", ...common);
  deepStrictEqual(recon.code, 0, recon.stderr);
  assert(recon.stderr.includes("note: no categorical label to stratify on: a random 70/15/15"));
  assert(recon.stdout.includes("tasks: reconstruction\n"), recon.stdout);
  const regression = await train(SIX, "regression", "--label", "score", ...common);
  deepStrictEqual(regression.code, 0, regression.stderr);
  assert(regression.stdout.includes("tasks: score regression\n"), regression.stdout);
  assert(/test score: R² -?[0-9.]+, RMSE [0-9.]+ \(\d+ cells\)/.test(regression.stdout));
});

Deno.test("integer-coded labels are classes unless --regression says otherwise", async () => {
  const r = await train(
    SIX,
    "codes",
    "--label",
    "type_code",
    "--regression",
    "type_code2",
    ...common,
  );
  deepStrictEqual(r.code, 0, r.stderr);
  const n = new Set(typeCode).size;
  assert(
    r.stdout.includes(
      `tasks: type_code classification (integer codes as ${n} classes; --regression type_code ` +
        "predicts it as a number); type_code2 regression",
    ),
    r.stdout,
  );
  assert(/test type_code: accuracy/.test(r.stdout) && /test type_code2: R²/.test(r.stdout));
  await initBackend("cpu");
  const model = await loadYoto(`${dir}/codes`);
  const kinds = model.tasks.map((t) => `${t.name}:${t.kind}:${t.classes?.length ?? "-"}`);
  model.dispose();
  deepStrictEqual(kinds, [`type_code:classification:${n}`, "type_code2:regression:-"]);
});

Deno.test("a task given twice, or --regression on classes, is one error", async () => {
  const cases = [
    ["--label", "cell_type", "--label", "cell_type"],
    ["--label", "type_code", "--regression", "type_code"],
    ["--regression", "cell_type"],
  ];
  for (const flags of cases) {
    const line = oneLineError(await train(SIX, "bad", ...flags, ...common), flags.join(" "));
    assert(/--label|--regression/.test(line), line);
  }
});

Deno.test("--split-by with 2 groups trains; with 1 group it is one error naming --split-by", async () => {
  const r = await train(SIX, "two", "--label", "cell_type", "--split-by", "two", ...common);
  deepStrictEqual(r.code, 0, r.stderr);
  assert(r.stderr.includes("note: the --split-by column 'two' has only 2 groups"), r.stderr);
  const line = oneLineError(
    await train(SIX, "bad", "--label", "cell_type", "--split-by", "batch", ...common),
    "--split-by batch",
  );
  assert(line.includes("--split-by column 'batch' has 1 group") && line.includes("at least 2"));
});

Deno.test("donor splits keep every condition in training when the design allows it", async () => {
  for (const [ds, path, nConditions] of [[six, SIX, 3], [four, FOUR, 2]] as const) {
    const seed = seedLosingACondition(ds, nConditions);
    const r = await train(
      path,
      "donor",
      "--label",
      "cell_type",
      "--label",
      "condition",
      "--split-by",
      "donor",
      "--seed",
      String(seed),
      ...common,
    );
    deepStrictEqual(r.code, 0, `${path} seed ${seed}: ${r.stderr}`);
    // One test donor holds one condition: the others are said to be absent from test.
    assert(
      /note: 'condition': class\(es\) absent from test: .* \(test scores the other classes only\)/
        .test(r.stderr),
      r.stderr,
    );
    await initBackend("cpu");
    const model = await loadYoto(`${dir}/donor`);
    const learnt = model.tasks.find((t) => t.name === "condition")!.classes!;
    model.dispose();
    deepStrictEqual(learnt.length, nConditions, `${path} seed ${seed}: ${learnt}`);
  }
});

Deno.test("a condition confounded with donors beyond repair stops in one line", async () => {
  // 3 donors, one condition each: any 1 + 1 held-out donors take a condition out of training.
  const line = oneLineError(
    await train(THREE, "bad", "--label", "condition", "--split-by", "donor", ...common),
    "3 donors x 3 conditions",
  );
  assert(line.includes("--split-by") && line.includes("confounded"), line);
});

Deno.test("a value starting with a dash: one line saying --seed=-1", async () => {
  const line = oneLineError(
    await train(SIX, "bad", "--label", "cell_type", "--seed", "-1", ...common),
    "--seed -1",
  );
  assert(line.includes("use --seed=-1"), line);
  // The suggested form parses: the run gets as far as checking --k.
  const k0 = await train(SIX, "bad", "--label", "cell_type", "--seed=-1", ...common, "--k", "0");
  assert(oneLineError(k0, "--seed=-1 --k 0").includes("--k"), k0.stderr);
});

Deno.test("--backend webgpu runs or is refused in one line before the data is read", async () => {
  const r = await train(
    `${dir}/absent.arrow`,
    "bad",
    "--label",
    "cell_type",
    ...common,
    "--backend",
    "webgpu",
  );
  const line = oneLineError(r, "--backend webgpu");
  if (line.includes("webgpu")) {
    assert(line.includes("--backend wasm"), line);
    return;
  }
  // webgpu started and can read back: it must then train.
  const ok = await train(SIX, "webgpu", "--label", "cell_type", ...common, "--backend", "webgpu");
  deepStrictEqual(ok.code, 0, ok.stderr);
});
