import assert from "node:assert/strict";
import { assertClose, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { runScript, tempDir } from "../_shared.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import {
  holdOut,
  readSaturationRows,
  runSaturationStudy,
  saturationCurves,
  saturationPoint,
  type SaturationRow,
  saturationSummary,
} from "../../lib/eval/saturation.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { DataValueError, OptionError } from "../../lib/runtime/errors.ts";

await initBackend("wasm");

const run = (fraction: number, seed: number, metric: number) => ({ fraction, seed, metric });

Deno.test("saturationPoint by hand: max* over all runs, mean over seeds, strictly above 0.95 max*", () => {
  const runs = [
    run(0, 0, 0.1), // untrained: never max*, never a saturation point
    run(0.01, 0, 0.5),
    run(0.01, 1, 0.7),
    run(0.1, 0, 0.95),
    run(0.1, 1, 0.97), // one seed above 0.95 * 1 = 0.95, but the mean 0.96 decides: above
    run(0.25, 0, 0.99),
    run(1, 0, 1),
    run(1, 1, 0.98),
  ];
  const r = saturationPoint(runs);
  assertEquals(r.maxMetric, 1);
  assertEquals(r.fraction, 0.1);
  assertEquals(r.curve.map((c) => c.fraction), [0.01, 0.1, 0.25, 1]);
  assertClose(r.curve[0].mean, 0.6, 1e-12);
  assertClose(r.curve[0].sd, Math.sqrt(0.02), 1e-12);
  assertEquals(r.curve.map((c) => c.n), [2, 2, 1, 2]);
  // The mean at 10% is 0.93 < 0.95: the point moves on to 25%.
  assertEquals(
    saturationPoint([...runs.slice(0, 4), run(0.1, 1, 0.91), ...runs.slice(5)]).fraction,
    0.25,
  );
  // Strict: a mean of exactly threshold x max* (0.5 = 0.5 x 1) does not count; just above does.
  const half = (metric: number) => [run(0.5, 0, metric), run(1, 0, 1)];
  assertEquals(saturationPoint(half(0.5), { threshold: 0.5 }).fraction, 1);
  assertEquals(saturationPoint(half(0.5000001), { threshold: 0.5 }).fraction, 0.5);
  // max* from a lucky seed whose mean stays low everywhere: no saturation point.
  assertEquals(saturationPoint([run(0.5, 0, 1), run(0.5, 1, 0.5), run(1, 0, 0.8)]).fraction, null);
  assertThrows(() => saturationPoint([]), DataValueError);
  assertThrows(() => saturationPoint([run(0, 0, 0.5)]), DataValueError);
  assertThrows(() => saturationPoint([run(0.5, 0, NaN)]), DataValueError);
  assertThrows(() => saturationPoint([run(0.5, 0, -0.1)]), DataValueError);
  assertThrows(() => saturationPoint(runs, { threshold: 1.2 }), OptionError);
});

Deno.test("holdOut: stratified 15%, singletons stay in fitting, one class is skipped", () => {
  const labelled = (values: string[]) =>
    Dataset.fromDense(new Float32Array(values.length), values.length, 1, ["g"], {
      t: { kind: "string", values },
    });
  const many = holdOut(labelled([...Array(20).fill("a"), ...Array(20).fill("b"), "c"]), "t", 0);
  assertEquals([many.fit.nCells, many.val.nCells, many.skip, many.notes], [35, 6, undefined, []]);
  assertEquals(many.fit.labels("t").includes("c"), true);
  // No class with 2 cells: empty hold-out, the fitting cells also validate.
  const singles = holdOut(labelled(["a", "b", "c"]), "t", 0);
  assertEquals(singles.val, singles.fit);
  assertEquals(singles.fit.nCells, 3);
  // One class in the fitting part: no classifier.
  const one = holdOut(labelled(["a", "a", "a"]), "t", 0);
  assertEquals(one.skip?.startsWith("1 class(es)"), true);
});

/** A finished row with the fields the summaries read. */
function row(
  scheme: string,
  fraction: number,
  seed: number,
  f1: number,
  vendi = 10,
): SaturationRow {
  return {
    unit: `${scheme}|${fraction}|${seed}`,
    scheme: scheme as SaturationRow["scheme"],
    fraction,
    seed,
    method: "yoto",
    classifier: "own",
    k: 8,
    status: "ok",
    n_train: Math.round(100 * fraction),
    n_fit: 0,
    n_val: 0,
    n_test: 30,
    macro_f1: f1 - 0.1,
    micro_f1: f1,
    balanced_accuracy: f1,
    fit_seconds: 1,
    n_types: 3,
    shannon: 1.5,
    gini_simpson: 0.6,
    inverse_simpson: 2.5,
    vendi,
    vendi_genes: 50,
    panel: "",
    notes: "",
  };
}

Deno.test("saturation curves and summary: the shared 100% runs count for every scheme", () => {
  const rows = [
    row("random", 0.1, 0, 0.6),
    row("random", 0.1, 1, 0.7),
    row("random", 0.5, 0, 0.96),
    row("celltype", 0.1, 0, 0.97),
    row("celltype", 0.5, 0, 0.99),
    row("all", 1, 0, 1),
    { ...row("celltype", 0.01, 0, 0), status: "skipped" as const, notes: "skipped: 1 class(es)" },
  ];
  const { points, saturation } = saturationCurves(rows, "micro_f1");
  assertEquals(saturation.map((s) => [s.scheme, s.fraction, s.maxMetric]), [
    ["random", 0.5, 1],
    ["celltype", 0.1, 1],
  ]);
  assertEquals(points.filter((p) => p.scheme === "random").map((p) => p.fraction), [0.1, 0.5, 1]);
  assertClose(points[0].mean, 0.65, 1e-12);
  // Macro-F1 is micro - 0.1 here: max* 0.9, threshold 0.855; random's 50% (0.86) passes.
  assertEquals(saturationCurves(rows, "macro_f1").saturation[0].fraction, 0.5);
  const md = saturationSummary(rows);
  assertEquals(md.includes("| random | – | 0.650 ± 0.071 | 0.960 | 1.000 |"), true, md);
  assertEquals(md.includes("| celltype | 0.970 | 0.990 | 1.000 |"), false); // 1% column first
  assertEquals(md.includes("| celltype | – | 0.970 | 0.990 | 1.000 |"), true, md);
  assertEquals(md.includes("| random | 1.000 | 50% | 0.900 | 50% |"), true, md);
  assertEquals(md.includes("| celltype | 1.000 | 10% | 0.900 | 10% |"), true, md);
  assertEquals(md.includes("Skipped runs (left out of the scores): celltype 1% seed 0"), true, md);
  // Diversity rows exist for skipped runs too (the cells were chosen).
  assertEquals(md.includes("| celltype | 1% | 1 | 3.0 |"), true, md);
});

Deno.test("runSaturationStudy: the grid, skipped runs, diversity per run, resume from jsonl", async () => {
  const dir = await tempDir();
  const { dataset } = simulate({ nCells: 300, nGenes: 150, nTypes: 3, seed: 5 });
  const seen: SaturationRow[] = [];
  const options = {
    label: "cell_type",
    k: 6,
    fractions: [0.004, 0.2, 1],
    schemes: ["random" as const, "celltype" as const, "geosketch" as const],
    seeds: [0],
    method: "markers",
    candidates: 80,
    jsonl: `${dir}/results.jsonl`,
    quiet: true,
    onRow: (r: SaturationRow) => seen.push(r),
  };
  const rows = await runSaturationStudy(dataset, options);
  // 3 schemes x 2 fractions + the shared 100% run; the pool is 256 cells (70% + 15%).
  assertEquals(rows.length, 7);
  assertEquals(seen.length, 7);
  assertEquals(rows.map((r) => r.scheme), [
    "random",
    "celltype",
    "geosketch",
    "random",
    "celltype",
    "geosketch",
    "all",
  ]);
  const tiny = rows.filter((r) => r.fraction === 0.004);
  // floor(256 * 0.004) = 1 cell: one class, skipped; cell-type quota floor(1 / 3) = 0 cells.
  assertEquals(tiny.map((r) => [r.n_train, r.status]), [[1, "skipped"], [0, "skipped"], [
    1,
    "skipped",
  ]]);
  assertEquals(tiny.every((r) => Number.isNaN(r.micro_f1)), true);
  const full = rows.at(-1)!;
  assertEquals([full.n_train, full.n_test, full.classifier, full.status], [256, 44, "lr", "ok"]);
  assertEquals(full.n_fit + full.n_val, 256);
  assertEquals(full.panel.split(";").length, 6);
  assertEquals(full.micro_f1 > 0.8, true, `micro-F1 ${full.micro_f1}`);
  // Cell-type re-weighting evens out the classes: its Shannon entropy is the highest at 20%.
  const at20 = rows.filter((r) => r.fraction === 0.2);
  assertEquals(at20.map((r) => r.n_train), [51, 51, 51]);
  assertEquals(at20[1].shannon >= Math.max(at20[0].shannon, at20[2].shannon), true);
  assertClose(at20[1].shannon, Math.log2(3), 1e-12);
  assertEquals(at20.every((r) => r.vendi > 1 && r.vendi_genes > 0), true);
  // Resume: everything is in results.jsonl (NaN stored as null and read back as NaN).
  const again = await runSaturationStudy(dataset, {
    ...options,
    onRow: () => assertEquals(true, false),
  });
  assertEquals(again.length, 7);
  assertEquals(again.map((r) => r.micro_f1), rows.map((r) => r.micro_f1));
  assertEquals((await readSaturationRows(options.jsonl)).length, 7);
  // A changed setting (another candidate count) is not resumed from the old lines: every run
  // is made again, and the warning says what changed.
  const warned: string[] = [];
  const redone: string[] = [];
  await runSaturationStudy(dataset, {
    ...options,
    candidates: 20,
    warn: (line) => warned.push(line),
    onRow: (r) => redone.push(r.unit),
  });
  assertEquals([redone.length, warned.length], [7, 1]);
  assert.match(warned[0], /^7 run\(s\) .*\(changed: candidates\)/);
  // An unknown method or a fraction out of (0, 1] is refused.
  await assertRejects(
    () => runSaturationStudy(dataset, { ...options, method: "nope" }),
    OptionError,
  );
  await assertRejects(
    () => runSaturationStudy(dataset, { ...options, fractions: [0] }),
    OptionError,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runSaturationStudy with YOTO: scored by its own heads", async () => {
  const { dataset } = simulate({ nCells: 240, nGenes: 120, nTypes: 3, seed: 6 });
  const rows = await runSaturationStudy(dataset, {
    label: "cell_type",
    k: 6,
    fractions: [0.5],
    schemes: ["celltype"],
    seeds: [1],
    epochs: 4,
    candidates: 60,
    quiet: true,
  });
  assertEquals(rows.length, 1);
  assertEquals([rows[0].classifier, rows[0].method, rows[0].status], ["own", "yoto", "ok"]);
  assertEquals(rows[0].panel.split(";").length, 6);
  assertEquals(rows[0].micro_f1 >= 0 && rows[0].micro_f1 <= 1, true);
});

Deno.test("deno task saturation: a small run writes results, summary and figures; bad flags exit 2", async () => {
  const dir = await tempDir();
  const { dataset } = simulate({ nCells: 200, nGenes: 100, nTypes: 3, seed: 2 });
  await writeArrow(dataset, `${dir}/sim.arrow`);
  const args = [
    "--data",
    `${dir}/sim.arrow`,
    "--label",
    "cell_type",
    "--k",
    "5",
    "--method",
    "hvg",
  ];
  const out = await runScript(
    "scripts/saturation.ts",
    ...args,
    "--fractions",
    "30,100",
    "--schemes",
    "random,celltype",
    "--seeds",
    "0,1",
    "--candidates",
    "50",
    "--backend",
    "cpu",
    "--out",
    `${dir}/out`,
  );
  assertEquals(out.code, 0, out.stderr);
  assertEquals(out.stdout.includes("### Saturation point"), true, out.stdout);
  assertEquals(out.stderr.includes("random 30% seed 1:"), true, out.stderr);
  const files = [...Deno.readDirSync(`${dir}/out`)].map((e) => e.name).sort();
  assertEquals(files, [
    ".yoto-output.json",
    "results.jsonl",
    "saturation_macro_f1.png",
    "saturation_macro_f1.svg",
    "saturation_micro_f1.png",
    "saturation_micro_f1.svg",
    "summary.md",
  ]);
  assertEquals((await readSaturationRows(`${dir}/out/results.jsonl`)).length, 6);
  for (
    const bad of [["--fractions", "0"], ["--schemes", "kmeans"], ["--method", "yoto_multitask"], [
      "--bogus",
    ]]
  ) {
    const r = await runScript("scripts/saturation.ts", ...args, ...bad, "--out", `${dir}/bad`);
    assertEquals(r.code, 2, `${bad}: ${r.stderr}`);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  const missing = await runScript("scripts/saturation.ts", "--label", "x");
  assertEquals(missing.code, 2);
  await Deno.remove(dir, { recursive: true });
});
