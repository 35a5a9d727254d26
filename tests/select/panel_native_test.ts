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
import {
  applyInput,
  DEFAULT_NORMALIZATION,
  fitInput,
  type Normalization,
  NORMALIZATIONS,
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
      assert.equal(transform.means[g].toFixed(12), mean.toFixed(12), `${normalize} mean ${g}`);
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

Deno.test("the mask-weighted total of panel YOTO is the panel total once the mask is hard", async () => {
  // trained to the end, the model's own validation input and predict() see the same cells the
  // same way: its accuracy on train cells read panel-only is that of the full file
  const { dataset } = simulate({ nCells: 300, nGenes: 60, seed: 5 });
  const model = await fitYoto(dataset, {
    k: 6,
    tasks: ["cell_type"],
    candidates: 60,
    epochs: 30,
    normalize: "panel",
    quiet: true,
  });
  try {
    const t = model.spec.transform;
    // the target shrinks by k / G from the candidates' median total
    const candidates = fitInput(dataset, t.genes, { normalize: "panel" }).transform;
    assert.ok(Math.abs(t.targetSum! - (candidates.targetSum! * 6) / t.genes.length) < 1e-9);
    const pred = model.predict(dataset.selectGenes(model.panel.genes))[0];
    const truth = dataset.labels("cell_type");
    const accuracy = pred.labels!.filter((l, i) => l === truth[i]).length / dataset.nCells;
    assert.ok(accuracy > 0.8, `accuracy ${accuracy}`);
  } finally {
    model.dispose();
  }
});

const KANG = "kang_ifnb1k/kang_ifnb1k.h5ad";

Deno.test({
  name: "kang_ifnb1k: yoto predict on a panel-only file writes the same bytes as on the full file",
  ignore: !haveShared(KANG),
  fn: async () => {
    const dir = await tempDir();
    const train = await runScript(
      "scripts/yoto.ts",
      ..."train --label seurat_annotations --k 8 --epochs 5 --seed 1 --quiet --backend wasm"
        .split(" "),
      "--data",
      sharedPath(KANG),
      "--out",
      `${dir}/model`,
    );
    assert.equal(train.code, 0, train.stderr);
    const model = JSON.parse(await Deno.readTextFile(`${dir}/model/model.json`));
    assert.equal(model.spec.transform.normalize, DEFAULT_NORMALIZATION);
    const full = await readDataset(sharedPath(KANG));
    await writeArrow(full.selectGenes(model.panel.genes), `${dir}/panel_only.arrow`);
    const outputs: string[] = [];
    for (const [data, name] of [[sharedPath(KANG), "full"], [`${dir}/panel_only.arrow`, "alone"]]) {
      const r = await runScript(
        "scripts/yoto.ts",
        "predict",
        "--model",
        `${dir}/model`,
        "--data",
        data,
        "--out",
        `${dir}/${name}.csv`,
        "--quiet",
      );
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
  const train = await runScript(
    "scripts/yoto.ts",
    ..."train --label cell_type --k 5 --candidates 60 --epochs 3 --quiet --backend wasm".split(" "),
    "--normalize",
    "transcriptome",
    "--data",
    `${dir}/sim.arrow`,
    "--out",
    `${dir}/model`,
  );
  assert.equal(train.code, 0, train.stderr);
  const predict = (...flags: string[]) =>
    runScript(
      "scripts/yoto.ts",
      "predict",
      "--model",
      `${dir}/model`,
      "--data",
      `${dir}/sim.arrow`,
      "--out",
      `${dir}/pred.csv`,
      "--quiet",
      "--overwrite",
      ...flags,
    );
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
  const native = await runScript(
    "scripts/yoto.ts",
    ..."train --label cell_type --k 5 --candidates 60 --epochs 3 --quiet --backend wasm".split(" "),
    "--data",
    `${dir}/sim.arrow`,
    "--out",
    `${dir}/native`,
  );
  assert.equal(native.code, 0, native.stderr);
  const extra = await runScript(
    "scripts/yoto.ts",
    ..."predict --quiet --library-size-column total_counts".split(" "),
    "--model",
    `${dir}/native`,
    "--data",
    `${dir}/sim.arrow`,
    "--out",
    `${dir}/native.csv`,
  );
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /drop --library-size-column/);
});
