import assert from "node:assert/strict";
import { tempDir } from "../_shared.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { FileFormatError } from "../../lib/runtime/errors.ts";
import { parseBenchmarkConfig, runBenchmark } from "../../lib/eval/protocol.ts";

await initBackend("wasm");

const base = {
  datasets: [{ name: "a", path: "a.h5ad", labels: ["t"] }],
  methods: ["markers"],
  out: "out",
};

Deno.test("config constraints: file paths resolve against the config; bad ones name the key", () => {
  const c = parseBenchmarkConfig(
    JSON.stringify({
      ...base,
      constraints: { force: "base.csv", exclude: ["A"], excludePresets: ["mito"], maxMean: 50 },
    }),
    "/x/bench/c.json",
  );
  assert.deepEqual(c.constraints, {
    force: "/x/bench/base.csv",
    exclude: ["A"],
    excludePresets: ["mito"],
    maxMean: 50,
  });
  for (
    const [bad, message] of [
      [{ nope: 1 }, /unknown 'constraints' key\(s\) nope/],
      [{ force: 3 }, /'constraints.force' must be a gene list file or a list of genes/],
      [{ maxMean: -1 }, /'constraints.maxMean' must be a number >= 0/],
      [{ excludePresets: "mito" }, /'constraints.excludePresets' must be a list of strings/],
      [[], /'constraints' must be an object/],
    ] as const
  ) {
    assert.throws(
      () => parseBenchmarkConfig(JSON.stringify({ ...base, constraints: bad }), "c.json"),
      (e: Error) => e instanceof FileFormatError && message.test(e.message),
    );
  }
});

Deno.test("runBenchmark: constrained panels hold the forced genes, never excluded ones; a change reruns", async () => {
  const dir = await tempDir();
  const { dataset } = simulate({ nCells: 300, nGenes: 100, seed: 6 });
  await writeArrow(dataset, `${dir}/sim.arrow`);
  const forced = [dataset.genes[90], dataset.genes[91]], excluded = dataset.genes.slice(0, 30);
  const config = (exclude: string[]) =>
    parseBenchmarkConfig(
      JSON.stringify({
        datasets: [{ name: "sim", path: "sim.arrow", labels: ["cell_type"] }],
        methods: ["markers", "hvg"],
        k: [5],
        seeds: [0],
        candidates: 60,
        classifiers: ["lr"],
        out: "out",
        constraints: { force: forced, exclude },
      }),
      `${dir}/config.json`,
    );
  const run = await runBenchmark(config(excluded), { quiet: true });
  assert.equal(run.failures.length, 0);
  for (const row of run.rows) {
    const genes = row.panel.split(";");
    assert.deepEqual(genes.slice(0, 2), forced);
    assert.equal(genes.length, 5);
    assert.ok(!genes.some((g) => excluded.includes(g)), row.panel);
  }
  // a changed constraint changes the units' fingerprints: they run again
  let rerun = 0;
  const same = { quiet: true, onRows: () => rerun++, warn: () => {} };
  await runBenchmark(config(excluded), same);
  assert.equal(rerun, 0);
  await runBenchmark(config(excluded.slice(0, 10)), same);
  assert.equal(rerun, 2);
});
