import assert from "node:assert/strict";
import { assertEquals } from "../_assert.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { runScript, tempDir } from "../_shared.ts";

const dir = await tempDir();
const { dataset } = simulate({ nCells: 300, nGenes: 120, seed: 5 });
await writeArrow(dataset, `${dir}/sim.arrow`);
const data = ["--data", `${dir}/sim.arrow`, "--backend", "wasm", "--quiet"];

Deno.test("mae: zero-shot kNN table of MAE, HVG and PCA; results and split written", async () => {
  const r = await runScript(
    "scripts/mae.ts",
    ...data,
    "--label",
    "cell_type",
    "--candidates",
    "100",
    "--epochs",
    "1",
    "--max-train-cells",
    "200",
    "--out",
    `${dir}/out`,
  );
  assertEquals(r.code, 0, r.stderr);
  for (const name of ["MAE (CLS)", "HVG (scaled)", "PCA (50 PCs)"]) {
    assert.match(
      r.stdout,
      new RegExp(`\\| ${name.replace(/[()]/g, "\\$&")} \\| \\d+ \\| [0-9.]+ \\| [0-9.]+ \\|`),
    );
  }
  const results = JSON.parse(await Deno.readTextFile(`${dir}/out/results.json`));
  assertEquals([results.nCells, results.maeTrainCells, results.rows.length], [300, 200, 3]);
  const split = JSON.parse(await Deno.readTextFile(`${dir}/out/split.json`));
  assertEquals(split.train.length + split.test.length, 300);
});

Deno.test("mae: a missing label column is one line on stderr and exit code 2", async () => {
  const r = await runScript("scripts/mae.ts", ...data, "--label", "nope");
  assertEquals(r.code, 2);
  assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /no obs column 'nope'/);
});
