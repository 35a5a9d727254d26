import assert from "node:assert/strict";
import { assertEquals } from "../_assert.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { runScript, tempDir } from "../_shared.ts";

const dir = await tempDir();
const { dataset } = simulate({ nCells: 300, nGenes: 120, seed: 6 });
await writeArrow(dataset, `${dir}/sim.arrow`);
const common = ["--data", `${dir}/sim.arrow`, "--label", "cell_type", "--backend", "wasm"];

Deno.test("label-free: YOTO's reconstruction-only panel and references, per seed and summed up", async () => {
  const r = await runScript(
    "scripts/label_free.ts",
    ...common,
    "--k",
    "5",
    "--candidates",
    "100",
    "--methods",
    "yoto,hvg,random",
    "--seeds",
    "0,1",
    "--quiet",
    "--out",
    `${dir}/table.md`,
  );
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stderr, ""); // --quiet
  const table = await Deno.readTextFile(`${dir}/table.md`);
  assertEquals(r.stdout.trim(), table.trim());
  // YOTO rows carry its own head's Poisson deviance; the others a dash.
  assert.match(table, /\| yoto \| 1 \| -?[0-9.]+ \| -?[0-9.]+ \| [0-9.]+ \| [0-9.]+ \|/);
  assert.match(table, /\| random \| 0 \| -?[0-9.]+ \| -?[0-9.]+ \| - \| [0-9.]+ \|/);
  assert.match(table, /\| hvg \| -?[0-9.]+ ± [0-9.]+ \| [0-9.]+ ± [0-9.]+ \|/);
});

Deno.test("label-free: each selection says when it starts and ends; YOTO its epochs", async () => {
  const args = ["--k", "5", "--candidates", "100", "--methods", "yoto,random"];
  const r = await runScript("scripts/label_free.ts", ...common, ...args);
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stderr.split("\n");
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const yotoStart = at(/^yoto seed 0: selecting 5 of 100 candidates \(1\/2\)$/);
  const epoch = at(/epoch 1\//);
  const yotoEnd = at(/^yoto seed 0: variance explained/);
  const randomStart = at(/^random seed 0: selecting 5 of 100 candidates \(2\/2\)$/);
  assert.ok(
    0 <= yotoStart && yotoStart < epoch && epoch < yotoEnd && yotoEnd < randomStart,
    r.stderr,
  );
  assert.ok(at(/^random seed 0: variance explained/) > randomStart, r.stderr);
});

Deno.test("label-free: an unknown method is one line on stderr and exit code 2", async () => {
  const r = await runScript("scripts/label_free.ts", ...common, "--k", "5", "--methods", "pca");
  assertEquals(r.code, 2);
  assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /unknown method\(s\): pca/);
});
