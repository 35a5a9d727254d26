/**
 * `deno task benchmark --help` documents every config key, and the parser takes exactly those:
 * a config using every documented key parses, any other key is an error naming it.
 */
import assert from "node:assert/strict";
import { assertEquals } from "../_assert.ts";
import { runScript } from "../_shared.ts";
import {
  BENCHMARK_CONFIG_KEYS,
  BENCHMARK_DATASET_KEYS,
  parseBenchmarkConfig,
} from "../../lib/eval/protocol.ts";
import { FileFormatError } from "../../lib/runtime/errors.ts";

/** A config that sets every documented key (path and simulate: one dataset each). */
const everyKey = {
  datasets: [
    {
      name: "file",
      path: "d.h5ad",
      labels: ["cell_type"],
      splitBy: "donor",
      layer: "counts",
      raw: false,
      allowNonInteger: true,
    },
    { name: "sim", simulate: { nCells: 300 }, labels: ["cell_type"] },
  ],
  methods: ["random", "yoto"],
  k: [4],
  seeds: [0],
  splits: ["cell", "donor"],
  out: "res",
  candidates: 100,
  hvgFlavor: "cell_ranger",
  constraints: { excludePresets: ["mito"], minMean: 0.1 },
  classifiers: ["lr"],
  normalize: ["panel", "counts"],
  thinning: [0.5],
  yoto: { epochs: 2 },
  nullGenes: true,
  suite: ["redundancy"],
};

Deno.test("benchmark --help lists every config and dataset key", async () => {
  const r = await runScript("scripts/benchmark.ts", "--help");
  assertEquals(r.code, 0, r.stderr);
  for (
    const key of [...Object.keys(BENCHMARK_CONFIG_KEYS), ...Object.keys(BENCHMARK_DATASET_KEYS)]
  ) {
    assert.match(r.stdout, new RegExp(`^  ${key} +\\S`, "m"), key);
  }
});

Deno.test("the config parser takes every documented key and refuses any other", () => {
  assertEquals(Object.keys(everyKey).sort(), Object.keys(BENCHMARK_CONFIG_KEYS).sort());
  const datasetKeys = new Set(everyKey.datasets.flatMap((d) => Object.keys(d)));
  assertEquals([...datasetKeys].sort(), Object.keys(BENCHMARK_DATASET_KEYS).sort());
  const c = parseBenchmarkConfig(JSON.stringify(everyKey), "/tmp/bench/config.json");
  assertEquals(c.nullGenes, true);
  assertEquals(c.datasets[0].layer, "counts");

  const misspelt = { ...everyKey, nullgenes: true };
  assert.throws(
    () => parseBenchmarkConfig(JSON.stringify(misspelt), "/tmp/bench/config.json"),
    (err) => err instanceof FileFormatError && /unknown key\(s\) nullgenes/.test(err.message),
  );
  const badDataset = { ...everyKey, datasets: [{ ...everyKey.datasets[1], split_by: "donor" }] };
  assert.throws(
    () => parseBenchmarkConfig(JSON.stringify(badDataset), "/tmp/bench/config.json"),
    /datasets\[0\]: unknown key\(s\) split_by/,
  );
});
