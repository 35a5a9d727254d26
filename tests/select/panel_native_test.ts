/**
 * Panel-native model input (docs/methods.md §0): every normalisation against values computed by
 * hand, predictions from a panel-only file bit-identical to the full file, and a transcriptome
 * model refused without its library sizes.
 */
import assert from "node:assert/strict";
import { writeArrow } from "../../lib/data/arrow.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { readDataset } from "../../lib/data/io.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { protocolSplit, splitDataset } from "../../lib/data/split.ts";
import { macroF1 } from "../../lib/metrics/classification.ts";
import {
  applyInput,
  DEFAULT_NORMALIZATION,
  fitInput,
  fitInputTransform,
  type Normalization,
  NORMALIZATIONS,
  transformInput,
} from "../../lib/data/transform.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { fitYoto } from "../../lib/select/yoto/train.ts";
import { haveShared, runScript, sharedPath, tempDir } from "../_shared.ts";

await initBackend("wasm");

// 4 cells x 3 genes; the panel is {A, B}
const counts = [1, 3, 4, 0, 2, 8, 5, 5, 0, 2, 0, 6];
const ds = Dataset.fromDense(Float32Array.from(counts), 4, 3, ["A", "B", "C"]);

/** The un-z-scored value of cell i, gene g of the panel {A, B}, by the definition. */
function byHand(normalize: Normalization, i: number, g: number, target: number): number {
  const x = counts[i * 3 + g];
  const panelTotal = counts[i * 3] + counts[i * 3 + 1];
  const total = panelTotal + counts[i * 3 + 2];
  switch (normalize) {
    case "counts":
      return Math.log1p(x);
    case "binary":
      return x > 0 ? 1 : 0;
    case "panel":
      return panelTotal === 0 ? 0 : Math.log1p((x * target) / panelTotal);
    case "transcriptome":
      return Math.log1p((x * target) / total);
  }
}

Deno.test("each normalisation equals its definition, z-scored with train moments", () => {
  // median non-zero totals: panel {4, 2, 10, 2} -> 3; all genes {8, 10, 10, 8} -> 9
  const targets: Record<Normalization, number> = {
    counts: 0,
    binary: 0,
    panel: 3,
    transcriptome: 9,
  };
  for (const normalize of NORMALIZATIONS) {
    const { transform, x } = fitInput(ds, ["A", "B"], { normalize });
    assert.equal(transform.normalize, normalize);
    assert.equal(transform.targetSum, targets[normalize] || null);
    for (let g = 0; g < 2; g++) {
      const v = [0, 1, 2, 3].map((i) => byHand(normalize, i, g, targets[normalize]));
      const mean = v.reduce((a, b) => a + b) / 4;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / 4) || 1;
      assert.ok(Math.abs(transform.means[g] - mean) < 1e-6, `${normalize} mean ${g}`);
      for (let i = 0; i < 4; i++) {
        assert.ok(Math.abs(x[i * 2 + g] - (v[i] - mean) / sd) < 1e-6, `${normalize} ${i},${g}`);
      }
    }
    // a file holding only the panel genes gives the same input, except under transcriptome
    const alone = applyInput(ds.selectGenes(["B", "A"]), transform);
    const full = applyInput(ds, transform);
    if (normalize === "transcriptome") assert.notDeepEqual(alone, full);
    else assert.deepEqual(alone, full);
  }
});

Deno.test("a minibatch densified from the sparse matrix equals those rows of the whole input", () => {
  // more cells than one block (2048), sparse, so rows cross block boundaries
  const { dataset } = simulate({ nCells: 4500, nGenes: 60, seed: 4 });
  assert.ok(dataset.isSparse);
  const genes = dataset.genes.slice(0, 40);
  const cols = Int32Array.from(genes, (_, j) => j);
  const rows = Int32Array.from([4499, 0, 2047, 2048, 17, 4096, 17]);
  for (const normalize of NORMALIZATIONS) {
    const { transform, x } = fitInput(dataset, genes, { normalize });
    const fitted = fitInputTransform(dataset, genes, { normalize });
    assert.deepEqual(fitted.transform, transform);
    const batch = transformInput(fitted.selected, transform, cols, fitted.totals, undefined, rows);
    const dense = Float32Array.from(
      { length: rows.length * 40 },
      (_, p) => x[rows[Math.floor(p / 40)] * 40 + (p % 40)],
    );
    assert.deepEqual(batch, dense, normalize);
  }
  assert.throws(() => dataset.gatherRows([4500]), /cell index 4500 is outside 0\.\.4499/);
});

Deno.test("YOTO under each panel-native normalisation: panel-only predictions are bit-identical", async () => {
  const { dataset } = simulate({ nCells: 300, nGenes: 60, seed: 4 });
  for (const normalize of ["panel", "counts", "binary"] as const) {
    const model = await fitYoto(dataset, {
      k: 5,
      tasks: ["cell_type"],
      candidates: 60,
      epochs: 4,
      normalize,
      quiet: true,
    });
    try {
      assert.equal(model.spec.transform.normalize, normalize);
      const full = model.predict(dataset)[0];
      const alone = model.predict(dataset.selectGenes([...model.panel.genes].reverse()))[0];
      assert.deepEqual(alone.probabilities, full.probabilities, normalize);
      assert.deepEqual(alone.labels, full.labels);
    } finally {
      model.dispose();
    }
  }
});

Deno.test("panel YOTO: validation in the graph (mask-weighted total, hard mask) equals predict()", async () => {
  // the early-stopping metric is computed in the graph with the hard mask; predict() reads the
  // panel genes alone: the same number only if the mask-weighted total is the panel total and the
  // saved z-scoring is the one of the kept epoch
  const { dataset } = simulate({ nCells: 400, nGenes: 60, seed: 5 });
  const split = splitDataset(dataset, protocolSplit(dataset, { labels: ["cell_type"], seed: 5 }));
  const model = await fitYoto(split.train, {
    k: 6,
    tasks: ["cell_type"],
    candidates: 60,
    epochs: 30,
    normalize: "panel",
    validation: split.val,
    heads: "network",
    quiet: true,
  });
  try {
    const t = model.spec.transform;
    // the target shrinks by about k / G from the candidates' median total
    const candidates = fitInput(split.train, t.genes, { normalize: "panel" }).transform;
    const shrink = t.targetSum! / candidates.targetSum!;
    assert.ok(Math.abs(shrink - 6 / 60) < 1e-9, `target shrunk by ${shrink}`);
    const classes = model.tasks[0].classes!;
    const pred = model.predict(split.val.selectGenes(model.panel.genes))[0];
    const codes = Int32Array.from(pred.labels!, (l) => classes.indexOf(l));
    const f1 = macroF1(split.val.codesIn("cell_type", classes), codes, classes.length);
    const best = model.metrics.history[model.metrics.bestEpoch - 1];
    assert.ok(
      Math.abs(best.val.cell_type - f1) < 1e-9,
      `graph ${best.val.cell_type}, predict ${f1}`,
    );
  } finally {
    model.dispose();
  }
});

const KANG = "kang_ifnb1k/kang_ifnb1k.h5ad";

/** `yoto train` on `data` into `out`, then a `yoto predict` bound to that model. */
async function trainCli(data: string, out: string, flags: string) {
  const r = await runScript(
    "scripts/yoto.ts",
    ..."train --quiet --backend wasm".split(" "),
    ...flags.split(" "),
    "--data",
    data,
    "--out",
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  return (data: string, csv: string, ...extra: string[]) =>
    runScript("scripts/yoto.ts", "predict", "--model", out, "--data", data, "--out", csv, ...extra);
}

Deno.test({
  name: "kang_ifnb1k: yoto predict on a panel-only file writes the same bytes as on the full file",
  ignore: !haveShared(KANG),
  fn: async () => {
    const dir = await tempDir();
    const predict = await trainCli(
      sharedPath(KANG),
      `${dir}/model`,
      "--label seurat_annotations --k 8 --epochs 5 --seed 1",
    );
    const model = JSON.parse(await Deno.readTextFile(`${dir}/model/model.json`));
    assert.equal(model.spec.transform.normalize, DEFAULT_NORMALIZATION);
    const full = await readDataset(sharedPath(KANG));
    await writeArrow(full.selectGenes(model.panel.genes), `${dir}/panel_only.arrow`);
    const outputs: string[] = [];
    for (const [data, name] of [[sharedPath(KANG), "full"], [`${dir}/panel_only.arrow`, "alone"]]) {
      const r = await predict(data, `${dir}/${name}.csv`, "--quiet");
      assert.equal(r.code, 0, r.stderr);
      outputs.push(await Deno.readTextFile(`${dir}/${name}.csv`));
    }
    assert.equal(outputs[0].split("\n").length, full.nCells + 2);
    assert.equal(outputs[1], outputs[0]);
  },
});

Deno.test("a transcriptome model is refused without --library-size-column, and uses it when given", async () => {
  const dir = await tempDir();
  const { dataset } = simulate({ nCells: 300, nGenes: 60, seed: 6 });
  const totals = Float64Array.from({ length: dataset.nCells }, (_, i) => {
    let s = 0;
    for (const v of dataset.denseRows(i, i + 1)) s += v;
    return s;
  });
  const withTotals = dataset.withObs("total_counts", { kind: "numeric", values: totals });
  await writeArrow(withTotals, `${dir}/sim.arrow`);
  const flags = "--label cell_type --k 5 --candidates 60 --epochs 3";
  const predictWith = await trainCli(
    `${dir}/sim.arrow`,
    `${dir}/model`,
    `${flags} --normalize transcriptome`,
  );
  const predict = (...extra: string[]) =>
    predictWith(`${dir}/sim.arrow`, `${dir}/pred.csv`, "--quiet", "--overwrite", ...extra);
  const refused = await predict();
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--library-size-column COL/);
  assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
  const bad = await predict("--library-size-column", "cell_type");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /library sizes are numbers > 0/);
  const ok = await predict("--library-size-column", "total_counts");
  assert.equal(ok.code, 0, ok.stderr);
  const full = await Deno.readTextFile(`${dir}/pred.csv`);
  // with the totals given, a panel-only file predicts the same
  const panel = JSON.parse(await Deno.readTextFile(`${dir}/model/model.json`)).panel.genes;
  await writeArrow(withTotals.selectGenes(panel), `${dir}/sim.arrow`);
  const alone = await predict("--library-size-column", "total_counts");
  assert.equal(alone.code, 0, alone.stderr);
  assert.equal(await Deno.readTextFile(`${dir}/pred.csv`), full);
  await writeArrow(withTotals, `${dir}/sim.arrow`);
  // a panel-native model refuses the flag: it reads no library size
  const native = await trainCli(`${dir}/sim.arrow`, `${dir}/native`, flags);
  const extra = await native(
    `${dir}/sim.arrow`,
    `${dir}/native.csv`,
    "--library-size-column",
    "total_counts",
  );
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /drop --library-size-column/);
});
