import assert from "node:assert/strict";
import { tableFromIPC } from "apache-arrow";
import { assertEquals, assertThrows } from "../_assert.ts";
import { runScript, tempDir } from "../_shared.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { readDataset } from "../../lib/data/io.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { protocolSplit, splitDataset } from "../../lib/data/split.ts";
import { evaluatePanel } from "../../lib/eval/downstream.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { FileFormatError } from "../../lib/runtime/errors.ts";
import {
  type BenchmarkConfig,
  parseBenchmarkConfig,
  readResultRows,
  type ResultRow,
  runBenchmark,
} from "../../lib/eval/protocol.ts";
import { rowsToCsv, SUITE_COLUMNS, summaryMarkdown } from "../../lib/eval/report.ts";
import { evaluateSuite, panelMetrics, suiteReference } from "../../lib/eval/suite.ts";

await initBackend("wasm");

const grid = {
  methods: ["random", "markers", "yoto"],
  k: [4, 8],
  seeds: [0],
  splits: ["cell", "donor"],
  candidates: 100,
  classifiers: ["lr"],
  yoto: { epochs: 3 },
};

async function simulatedConfig(): Promise<{ dir: string; config: BenchmarkConfig }> {
  const dir = await tempDir();
  const { dataset } = simulate({ nCells: 400, nGenes: 120, seed: 5 });
  await writeArrow(dataset, `${dir}/sim.arrow`);
  const text = JSON.stringify({
    datasets: [{
      name: "sim",
      path: "sim.arrow",
      labels: ["cell_type", "condition"],
      splitBy: "donor",
    }],
    ...grid,
    out: "out",
  });
  await Deno.writeTextFile(`${dir}/config.json`, text);
  return { dir, config: parseBenchmarkConfig(text, `${dir}/config.json`) };
}

Deno.test("config: paths resolve against the config file; bad configs name the problem", () => {
  const ok = {
    datasets: [{ name: "a", path: "../data/a.h5ad", labels: ["t"] }],
    methods: ["l1"],
    out: "/abs/out",
  };
  const c = parseBenchmarkConfig(JSON.stringify(ok), "/x/bench/c.json");
  assertEquals(c.datasets[0].path, "/x/data/a.h5ad");
  assertEquals(c.out, "/abs/out");
  assertEquals([c.k, c.seeds, c.splits], [[8, 16, 32, 64], [0, 1, 2], ["cell"]]);
  const bad = (patch: Record<string, unknown>) =>
    assertThrows(
      () => parseBenchmarkConfig(JSON.stringify({ ...ok, ...patch }), "c.json"),
      FileFormatError,
    );
  assert.match(bad({ methods: ["l1", "lasso"] }).message, /unknown method\(s\) lasso/);
  assert.match(bad({ k: [8, 0] }).message, /'k'/);
  assert.match(bad({ datasets: [{ name: "a", path: "p" }] }).message, /labels/);
  assert.match(bad({ splits: ["patient"] }).message, /'splits'/);
  assert.match(bad({ nullGenes: "yes" }).message, /'nullGenes'/);
  // a misspelt or benchmark-set YOTO option is refused, not silently ignored
  assert.match(bad({ yoto: { epochs: 3, ephocs: 5 } }).message, /'yoto\.ephocs' is not a fitYoto/);
  assert.match(bad({ yoto: { k: 4 } }).message, /'yoto\.k' is set by the benchmark/);
  assertEquals(
    parseBenchmarkConfig(JSON.stringify({ ...ok, yoto: { balance: true } }), "c.json").yoto,
    { balance: true },
  );
  assertEquals(c.nullGenes, false);
  assertEquals(
    parseBenchmarkConfig(JSON.stringify({ ...ok, nullGenes: true }), "c.json").nullGenes,
    true,
  );
  assertThrows(() => parseBenchmarkConfig("{", "c.json"), FileFormatError);
});

Deno.test("config: a dataset may be simulated; bad simulate options name the dataset and option", () => {
  const sim = { name: "s", simulate: { nCells: 500, hierarchy: [2, 5] }, labels: ["cell_type"] };
  const ok = { datasets: [sim], methods: ["l1"], out: "res" };
  const c = parseBenchmarkConfig(JSON.stringify(ok), "/x/c.json");
  assertEquals(c.datasets[0], sim);
  const bad = (patch: Record<string, unknown>) =>
    assertThrows(
      () =>
        parseBenchmarkConfig(
          JSON.stringify({ ...ok, datasets: [{ ...sim, ...patch }] }),
          "c.json",
        ),
      FileFormatError,
    ).message;
  assert.match(bad({ path: "d.arrow" }), /datasets\[0\] needs name, either path or simulate/);
  assert.match(bad({ simulate: undefined }), /either path or simulate/);
  assert.match(bad({ simulate: [3] }), /'s': 'simulate' must be an object/);
  assert.match(
    bad({ simulate: { nCell: 5 } }),
    /'s': simulate option 'nCell' unknown.*Fix: use one of: nCells/,
  );
  assert.match(
    bad({ simulate: { hierarchy: [5, 2] } }),
    /simulate option 'hierarchy' level 2 has 2 types/,
  );
  assert.match(
    bad({ simulate: { nCells: 0 } }),
    /simulate option 'nCells' must be an integer >= 1/,
  );
  assert.match(bad({ layer: "counts" }), /'s': layer is for a dataset read from a path/);
});

Deno.test("runBenchmark: every unit of the grid once, own heads for YOTO, resumes after a crash", async () => {
  const { config } = await simulatedConfig();
  const { rows } = await runBenchmark(config, { quiet: true });
  // Per split: random fits once and is scored on 2 tasks; markers and yoto fit per task;
  // yoto adds its own heads. (2 + 2 + 4) rows x 2 k values x 2 splits.
  assertEquals(rows.length, 32);
  const own = rows.filter((r) => r.classifier === "own");
  assertEquals(own.length, 8);
  assert.ok(own.every((r) => r.method === "yoto"));
  assert.ok(rows.every((r) => r.exact_k && r.panel.split(";").length === r.k));
  assertEquals(new Set(rows.map((r) => r.split)), new Set(["cell", "donor"]));
  const markers = rows.filter((r) => r.method === "markers" && r.task === "cell_type" && r.k === 8);
  assert.ok(markers.every((r) => r.macro_f1 > 0.8), JSON.stringify(markers.map((r) => r.macro_f1)));

  // Nothing left to do: a rerun adds no rows.
  assertEquals((await runBenchmark(config, { quiet: true })).rows.length, 32);
  // A crash mid-write leaves a cut line: that unit (and only it) runs again.
  const jsonl = `${config.out}/results.jsonl`;
  const lines = (await Deno.readTextFile(jsonl)).trimEnd().split("\n");
  // Each unit's line records what its result depends on: YOTO's options only for YOTO.
  const settings = lines.map((l) => JSON.parse(l).settings);
  assert.ok(settings.every((s) => /^[0-9a-f]{64}$/.test(s.data) && s.candidates === 100));
  assertEquals(
    settings.filter((s) => s.yoto).map((s) => s.unit.split("|")[3]),
    settings.filter((s) => s.unit.includes("|yoto|")).map(() => "yoto"),
  );
  const lost: string = JSON.parse(lines.at(-1)!).unit;
  await Deno.writeTextFile(
    jsonl,
    lines.slice(0, -1).join("\n") + "\n" + lines.at(-1)!.slice(0, 30),
  );
  const kept = await readResultRows(jsonl);
  assert.ok(kept.length < 32 && !kept.some((r) => r.unit === lost));
  const { rows: again } = await runBenchmark(config, { quiet: true });
  assertEquals(again.length, 32);
  assertEquals(
    again.filter((r) => r.unit === lost).map((r) => r.macro_f1),
    rows.filter((r) => r.unit === lost).map((r) => r.macro_f1),
  );
});

Deno.test("runBenchmark with nullGenes: null columns on every row, classifiers on the real genes", async () => {
  const { dir, config } = await simulatedConfig();
  const { rows } = await runBenchmark(
    {
      ...config,
      methods: ["random", "markers", "yoto"],
      k: [6],
      splits: ["cell"],
      nullGenes: true,
    },
    { quiet: true },
  );
  // random once on 2 tasks, markers and yoto per task, yoto's own heads: 2 + 2 + 4
  assertEquals(rows.length, 8);
  for (const r of rows) {
    const genes = r.panel.split(";");
    const nNull = genes.filter((g) => g.endsWith("__null")).length;
    assertEquals([r.n_genes, r.n_null, r.null_fraction, r.fsp], [
      6,
      nNull,
      nNull / 6,
      nNull / Math.max(1, 6 - nNull),
    ]);
    assert.ok(r.unit.includes("|nulls|"), r.unit);
  }
  assertEquals(rows.filter((r) => r.classifier === "own").length, 2);
  // the classifier saw the real panel genes only: the same score as evaluating them directly
  const r = rows.find((r) => r.method === "random" && r.classifier === "lr" && r.n_null! > 0)!;
  const ds = await readDataset(`${dir}/sim.arrow`);
  const parts = splitDataset(ds, protocolSplit(ds, { labels: ["cell_type"], seed: 0 }));
  const real = r.panel.split(";").filter((g) => !g.endsWith("__null"));
  const direct = await evaluatePanel(real, parts, r.task, { classifiers: ["lr"], seed: 0 });
  assertEquals(r.macro_f1, direct.results[0].metrics.macroF1);
  // so did the suite metrics
  const candidates = 100;
  const ref = suiteReference(parts, { tasks: ["cell_type", "condition"], candidates }, real);
  const m = panelMetrics(real, parts, ref, { normalize: "panel" });
  assertEquals(
    [r.knn_overlap, r.redundancy, r.reconstruction_r2],
    [m.knn_overlap!.mean, m.redundancy!.mean, m.reconstruction_r2!.mean_r2],
  );
  const csv = rowsToCsv(rows).split("\n")[0];
  assert.ok(
    csv.endsWith(
      ",unit,knn_overlap,cluster_nmi,cluster_ari,redundancy,marker_coverage,reconstruction_r2,suite_seconds,n_null,null_fraction,fsp",
    ),
    csv,
  );
  assert.match(summaryMarkdown(rows), /null twins picked: null fraction \/ FSP\^/);
  // without nullGenes the columns stay out
  assert.ok(!rowsToCsv(rows.map(({ n_null: _, ...rest }) => rest as ResultRow)).includes("n_null"));
});

Deno.test("summary: mean ± sd over seeds, best per k in bold (own heads included), other classifiers apart", () => {
  const row = (method: string, k: number, seed: number, f1: number, classifier = "lr") =>
    ({
      dataset: "d",
      task: "t",
      split: "cell",
      seed,
      method,
      k,
      classifier,
      macro_f1: f1,
      fit_seconds: 2,
      unit: `${method}${k}${seed}`,
    }) as ResultRow;
  const rows = [
    row("a", 8, 0, 0.5),
    row("a", 8, 1, 0.7),
    row("b", 8, 0, 0.65),
    row("b", 8, 1, 0.65),
    row("b", 8, 0, 0.9, "own"),
    row("b", 8, 0, 0.1, "knn"),
  ];
  const md = summaryMarkdown(rows, "lr");
  assert.match(md, /\| a \| 0\.600 ± 0\.141 \|/);
  assert.match(md, /\| b \| 0\.650 ± 0\.000 \|/);
  assert.match(md, /\| b \(own heads\) \| \*\*0\.900\*\* \|/);
  assert.doesNotMatch(md, /0\.100/);
  assert.ok(rowsToCsv(rows).startsWith("dataset,task,split,seed,method,k,classifier,"));
});

Deno.test("deno task benchmark writes CSV, Arrow, summary and figures; bad config exits 2", async () => {
  const { dir } = await simulatedConfig();
  const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  config.methods = ["random", "hvg"];
  config.k = [4];
  config.splits = ["cell"];
  await Deno.writeTextFile(`${dir}/small.json`, JSON.stringify(config));
  const r = await runScript("scripts/benchmark.ts", "--config", `${dir}/small.json`, "--quiet");
  assertEquals(r.code, 0, r.stderr);
  assert.match(r.stdout, /sim · cell_type · cell/);
  const arrow = tableFromIPC(await Deno.readFile(`${dir}/out/results.arrow`));
  const csv = (await Deno.readTextFile(`${dir}/out/results.csv`)).trimEnd().split("\n");
  assertEquals(arrow.numRows, 4);
  assertEquals(csv.length, 5);
  assertEquals(arrow.getChild("method")!.toArray().sort(), ["hvg", "hvg", "random", "random"]);
  for (const f of ["f1_vs_k_sim_cell_type_cell.png", "selection_seconds.svg"]) {
    assert.ok((await Deno.stat(`${dir}/out/figures/${f}`)).size > 1000, f);
  }
  config.methods = ["nope"];
  await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify(config));
  const bad = await runScript("scripts/benchmark.ts", "--config", `${dir}/bad.json`);
  assertEquals(bad.code, 2);
  assert.match(bad.stderr, /unknown method\(s\) nope/);
});

Deno.test("runBenchmark on a simulated dataset: the file's results; the options are its fingerprint", async () => {
  const dir = await tempDir();
  const options = { nCells: 400, nGenes: 150, hierarchy: [2, 5], nConditions: 0, seed: 3 };
  await writeArrow(simulate(options).dataset, `${dir}/sim.arrow`);
  const dataset = { name: "sim", labels: ["level1", "cell_type"] };
  const text = (source: Record<string, unknown>, out: string) =>
    JSON.stringify({
      datasets: [{ ...dataset, ...source }],
      methods: ["markers"],
      k: [4],
      seeds: [0],
      splits: ["cell"],
      candidates: 100,
      classifiers: ["lr"],
      suite: false,
      out,
    });
  const config = (source: Record<string, unknown>, out: string) =>
    parseBenchmarkConfig(text(source, out), `${dir}/c.json`);
  const simulated = (await runBenchmark(config({ simulate: options }, "a"), { quiet: true })).rows;
  const read = (await runBenchmark(config({ path: "sim.arrow" }, "b"), { quiet: true })).rows;
  assertEquals(simulated.length, 2);
  const scores = (rows: ResultRow[]) => rows.map((r) => [r.task, r.panel, r.macro_f1]);
  assertEquals(scores(simulated), scores(read));
  // Other options are other data: the rerun recomputes, saying the data changed.
  const warnings: string[] = [];
  const other = await runBenchmark(config({ simulate: { ...options, seed: 4 } }, "a"), {
    quiet: true,
    warn: (line) => warnings.push(line),
  });
  assert.match(warnings.join("\n"), /2 result\(s\) .* different config \(changed: data\)/);
  assert.notDeepStrictEqual(scores(other.rows), scores(simulated));
});

Deno.test("the shipped benchmark configs parse", async () => {
  for (const name of ["shared", "visp", "covid"]) {
    const file = new URL(`../../benchmarks/${name}.json`, import.meta.url).pathname;
    const c = parseBenchmarkConfig(await Deno.readTextFile(file), file);
    assert.ok(c.methods.includes("yoto") && c.seeds.length === 3, name);
  }
  // The hierarchy stand-ins simulate their data: valid options, labels the simulation makes.
  for (const name of ["hierarchy", "hierarchy_quick"]) {
    const file = new URL(`../../benchmarks/${name}.json`, import.meta.url).pathname;
    const [d] = parseBenchmarkConfig(await Deno.readTextFile(file), file).datasets;
    const columns = simulate({ ...d.simulate, nCells: 10 }).dataset.obsNames;
    assert.ok(d.labels.every((label) => columns.includes(label)), `${name}: ${columns}`);
    assertEquals(d.simulate!.hierarchy, [5, 25, 98]);
  }
});

Deno.test("deno task benchmark with a missing config: one line, exit 2", async () => {
  const r = await runScript("scripts/benchmark.ts", "--config", "/nonexistent/config.json");
  assertEquals(r.code, 2);
  assert.match(r.stderr, /cannot read the config/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

Deno.test("runBenchmark with normalize and thinning: one selection per normalisation, rows per depth", async () => {
  const { dir, config } = await simulatedConfig();
  const { rows } = await runBenchmark(
    {
      ...config,
      methods: ["markers"],
      k: [6],
      seeds: [0],
      splits: ["cell"],
      classifiers: ["lr"],
      normalize: ["panel", "counts"],
      thinning: [0.5],
    },
    { quiet: true },
  );
  // 2 tasks x 2 normalisations x 2 depths
  assertEquals(rows.length, 8);
  assertEquals(new Set(rows.map((r) => r.unit)).size, 4);
  const r = rows.find((r) => r.normalize === "counts" && r.depth === 0.5)!;
  // the row equals evaluatePanel on the same split with the same thinning
  const ds = await readDataset(`${dir}/sim.arrow`);
  const parts = splitDataset(
    ds,
    protocolSplit(ds, { labels: ["cell_type", "condition"], seed: 0 }),
  );
  const direct = await evaluatePanel(r.panel.split(";"), parts, r.task, {
    classifiers: ["lr"],
    seed: 0,
    normalize: "counts",
    thinning: [0.5],
  });
  assertEquals(r.macro_f1, direct.results[0].thinned[0].metrics.macroF1);
  assert.match(summaryMarkdown(rows), /counts input · test thinned to 50% depth/);
  assert.throws(
    () =>
      parseBenchmarkConfig(
        JSON.stringify({ ...JSON.parse(JSON.stringify(config)), normalize: "cpm" }),
        `${dir}/config.json`,
      ),
    /'normalize' must be one of/,
  );
  assert.throws(
    () =>
      parseBenchmarkConfig(
        JSON.stringify({ ...JSON.parse(JSON.stringify(config)), thinning: [2] }),
        `${dir}/config.json`,
      ),
    /'thinning' must list fractions/,
  );
});

/** The suite columns of a row (marker_coverage apart: it is per task). */
const panelLevel = (r: ResultRow) =>
  SUITE_COLUMNS.filter((c) => c !== "marker_coverage").map((c) => r[c]);

Deno.test("runBenchmark adds the suite's panel metrics: once per selection, as evaluateSuite gives them", async () => {
  const { dir, config } = await simulatedConfig();
  const { rows } = await runBenchmark(
    {
      ...config,
      methods: ["random", "markers"],
      k: [6],
      splits: ["cell"],
      normalize: ["panel", "counts"],
      thinning: [0.5],
    },
    { quiet: true },
  );
  // per normalisation: random once on 2 tasks, markers per task; 2 depths each
  assertEquals(rows.length, 16);
  for (const unit of new Set(rows.map((r) => r.unit))) {
    const of = rows.filter((r) => r.unit === unit);
    assert.ok(of.every((r) => SUITE_COLUMNS.every((c) => typeof r[c] === "number")), unit);
    assertEquals(new Set(of.map((r) => JSON.stringify(panelLevel(r)))).size, 1, unit);
    for (const task of new Set(of.map((r) => r.task))) {
      assertEquals(
        new Set(of.filter((r) => r.task === task).map((r) => r.marker_coverage)).size,
        1,
      );
    }
  }
  const ds = await readDataset(`${dir}/sim.arrow`);
  const labels = ["cell_type", "condition"];
  const parts = splitDataset(ds, protocolSplit(ds, { labels, seed: 0 }));
  for (
    const r of [
      rows.find((r) =>
        r.method === "random" && r.normalize === "counts" && r.task === "condition"
      )!,
      rows.find((r) => r.method === "markers" && r.normalize === "panel" && r.depth === 0.5)!,
    ]
  ) {
    const [s] = await evaluateSuite([{ name: r.method, genes: r.panel.split(";") }], parts, {
      tasks: labels,
      normalize: r.normalize,
      candidates: 100,
      seed: 0,
      classifiers: ["lr"],
      fractions: [1],
      quiet: true,
    });
    assertEquals(
      [r.knn_overlap, r.cluster_nmi, r.cluster_ari, r.redundancy, r.marker_coverage],
      [
        s.knn_overlap.mean,
        s.cluster_similarity.mean_nmi,
        s.cluster_similarity.mean_ari,
        s.redundancy.mean,
        s.marker_coverage.labels[r.task].covered_fraction,
      ],
    );
    assertEquals(r.reconstruction_r2, s.reconstruction_r2!.mean_r2);
  }
  // the normalisation changes the panel's input, so its neighbours
  const knn = (n: string) => rows.find((r) => r.method === "random" && r.normalize === n)!;
  assert.notEqual(knn("panel").knn_overlap, knn("counts").knn_overlap);
  assert.ok(rowsToCsv(rows).split("\n")[0].includes(",unit,knn_overlap,cluster_nmi,cluster_ari,"));
  const md = summaryMarkdown(rows);
  assert.match(md, /### sim · cell_type · cell · panel input: knn_overlap \(mean ± sd over 1 seed/);
  assert.match(md, /### sim · condition · cell · counts input: reconstruction_r2 /);
  // not per thinned depth: the suite reads the test cells as measured
  assert.doesNotMatch(md, /depth: knn_overlap/);
  const settings = (await Deno.readTextFile(`${config.out}/results.jsonl`)).trimEnd().split("\n")
    .map((l) => JSON.parse(l).settings.suite);
  assert.ok(settings.every((s) => s.length === 5), JSON.stringify(settings));
});

Deno.test("runBenchmark with suite false leaves the columns out; choosing some recomputes, in one order", async () => {
  const { config } = await simulatedConfig();
  const small = { ...config, methods: ["random"], k: [4], splits: ["cell" as const] };
  const off = (await runBenchmark({ ...small, suite: false }, { quiet: true })).rows;
  assertEquals(off.length, 2);
  assert.ok(off.every((r) => SUITE_COLUMNS.every((c) => !(c in r))));
  assert.ok(!rowsToCsv(off).includes("knn_overlap"));
  assert.doesNotMatch(summaryMarkdown(off), /knn_overlap|redundancy/);
  const warnings: string[] = [];
  const some = await runBenchmark(
    { ...small, suite: ["reconstruction_r2", "redundancy"] },
    { quiet: true, warn: (line) => warnings.push(line) },
  );
  assert.match(warnings.join("\n"), /1 result\(s\) .* \(changed: suite\)/);
  assertEquals(Object.keys(some.rows[0]).filter((c) => SUITE_COLUMNS.includes(c as never)), [
    "redundancy",
    "reconstruction_r2",
    "suite_seconds",
  ]);
  assertEquals(rowsToCsv(some.rows).split("\n")[0].split(",").slice(-3), [
    "redundancy",
    "reconstruction_r2",
    "suite_seconds",
  ]);
  // the same choice in another order is the same fingerprint: nothing to redo
  const again = await runBenchmark(
    { ...small, suite: ["redundancy", "reconstruction_r2"] },
    { quiet: true, warn: (line) => warnings.push(line) },
  );
  assertEquals(warnings.length, 1);
  assertEquals(again.rows, some.rows);
});

Deno.test("config: a bad 'suite' is a one-line config error", async () => {
  const { dir, config } = await simulatedConfig();
  const text = (suite: unknown) => JSON.stringify({ ...JSON.parse(JSON.stringify(config)), suite });
  for (const bad of ["yes", [], ["knn_overlap", "knn"], { knn_overlap: true }]) {
    const err = assertThrows(
      () => parseBenchmarkConfig(text(bad), `${dir}/config.json`),
      FileFormatError,
    );
    assert.match(err.message, /'suite' must be true, false or a non-empty list of knn_overlap, /);
    assert.match(
      err.message,
      /Fix: "suite": \["knn_overlap", "reconstruction_r2"\] or "suite": false/,
    );
  }
  assertEquals(parseBenchmarkConfig(text(false), `${dir}/config.json`).suite, false);
  assertEquals(parseBenchmarkConfig(text(true), `${dir}/config.json`).suite, undefined);
  await Deno.writeTextFile(`${dir}/bad.json`, text(["nmi"]));
  const r = await runScript("scripts/benchmark.ts", "--config", `${dir}/bad.json`);
  assertEquals(r.code, 2);
  assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^error: .*'suite' must be/);
});

Deno.test("runBenchmark: too few test cells for the suite's reference fail their units, saying how to leave it out", async () => {
  const dir = await tempDir();
  const { dataset } = simulate({ nCells: 80, nGenes: 60, seed: 2 });
  await writeArrow(dataset, `${dir}/tiny.arrow`);
  const config = parseBenchmarkConfig(
    JSON.stringify({
      datasets: [{ name: "tiny", path: "tiny.arrow", labels: ["cell_type"] }],
      methods: ["random"],
      k: [4],
      seeds: [0],
      candidates: 40,
      classifiers: ["lr"],
      out: "out",
    }),
    `${dir}/config.json`,
  );
  const warnings: string[] = [];
  const run = await runBenchmark(config, { quiet: true, warn: (l) => warnings.push(l) });
  assertEquals(run.rows.length, 0);
  assertEquals(run.failures.length, 1);
  assert.match(
    run.failures[0].error,
    /^field 'suite': the suite metrics' full-transcriptome reference cannot be computed: 12 test cells are too few for 15 neighbours each\. Fix: .*, or leave the suite metrics out with "suite": false$/,
  );
  const off = await runBenchmark({ ...config, suite: false }, { quiet: true });
  assertEquals([off.rows.length, off.failures.length], [1, 0]);
});
