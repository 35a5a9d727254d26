import { assertClose, assertEquals, assertRejects } from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { selectPanel } from "../../lib/select/panel.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { splitDataset, stratifiedSplit } from "../../lib/data/split.ts";
import { evaluateReconstruction } from "../../lib/eval/downstream.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { distinctRowArgmax, softmaxRows } from "../../lib/select/_nn.ts";
import { caeSelector } from "../../lib/select/cae.ts";
import { concreteRows } from "../../lib/nn/relax.ts";

await initBackend("wasm");

const small = simulate({ nCells: 1200, nGenes: 300, seed: 1 });
const markers = Object.values(small.truth.markers).flat();
const base = { tasks: ["cell_type"], candidates: 300, quiet: true };

Deno.test("distinct genes from selector rows: surer rows keep their argmax, others take the next best", () => {
  // 4 rows over 5 genes. Rows 0 and 2 both peak on gene 1 (row 2 surer), row 3 also on gene 1;
  // row 1 peaks on gene 3.
  const logits = [
    [0, 3, 2.5, 0, 0],
    [0, 0, 0, 4, 1],
    [0, 5, 0, 0, 1],
    [2, 2.2, 0, 0, 0],
  ];
  const probs = softmaxRows(logits.flat(), 4, 5);
  const { columns, weights, duplicates } = distinctRowArgmax(probs, 4, 5);
  // Brute force: row 2 takes 1; row 1 takes 3; row 0 (max 3) its next free best = 2;
  // row 3 (max 2.2, on the taken gene 1) its next free best = 0.
  const expected = new Map([[2, 1], [1, 3], [0, 2], [3, 0]]);
  assertEquals(new Set(columns).size, 4);
  assertEquals(duplicates, 2);
  for (const [row, gene] of expected) {
    const at = Array.from(columns).indexOf(gene);
    assertClose(weights[at], probs[row * 5 + gene], 1e-12, `row ${row}`);
  }
  // Best first.
  assertEquals(Array.from(weights).every((w, i) => i === 0 || w <= weights[i - 1]), true);
  // No collision: plain argmax, no duplicates.
  const plain = distinctRowArgmax([0.1, 0.9, 0.8, 0.2], 2, 2);
  assertEquals([Array.from(plain.columns), plain.duplicates], [[1, 0], 0]);
});

Deno.test("concrete rows: each sums to 1, and tends to the one-hot argmax as T -> 0", () => {
  const logits = tf.tensor2d([[0.5, 0.2, -1], [0, 0, 0.1]]);
  const gumbel = new Float32Array([0.1, 0.3, 0, 0, 0, 0]);
  const soft = tf.tidy(() => concreteRows(logits, gumbel, 10).dataSync());
  const hard = tf.tidy(() => concreteRows(logits, gumbel, 1e-3).dataSync());
  logits.dispose();
  assertClose(soft[0] + soft[1] + soft[2], 1, 1e-6);
  assertClose(soft[3] + soft[4] + soft[5], 1, 1e-6);
  // (0.5 + 0.1) vs (0.2 + 0.3): gene 0 wins row 0; row 1 picks gene 2.
  assertEquals(Array.from(hard, (v) => Math.round(v)), [1, 0, 0, 0, 0, 1]);
  // At T = 10 the rows are near uniform.
  assertEquals(soft.every((v) => v > 0.25 && v < 0.45), true);
});

Deno.test("simulated data, k = number of markers: cae_sup recovers >= 70% of them", async () => {
  const k = markers.length;
  const sup = await selectPanel(caeSelector({ supervised: true }), small.dataset, {
    ...base,
    k,
    seed: 1,
  });
  const found = sup.genes.filter((g) => markers.includes(g)).length;
  console.log(`cae_sup: ${found}/${k} markers; ${sup.notes.join("; ")}`);
  assertEquals(found >= 0.7 * k, true, `cae_sup recovered ${found}/${k}`);
  assertEquals(new Set(sup.genes).size, k);
});

Deno.test("cae: a marker of most types, and test reconstruction beats random panels", async () => {
  // Reconstruction has no reason to take every marker of a type (one explains the others).
  const k = markers.length;
  const split = splitDataset(
    small.dataset,
    stratifiedSplit(small.dataset.categorical("cell_type"), { seed: 1 }),
  );
  const rec = await selectPanel(caeSelector(), split.train, {
    k,
    candidates: 300,
    quiet: true,
    seed: 1,
    validation: split.val,
  });
  const types = Object.values(small.truth.markers).filter((m) =>
    m.some((g) => rec.genes.includes(g))
  );
  const explained = evaluateReconstruction(rec.genes, 300, split).varianceExplained;
  const rng = new Rng(7);
  const random = [0, 1, 2].map(() => {
    const genes = Array.from(rng.sampleWithoutReplacement(300, k), (j) => small.dataset.genes[j]);
    return evaluateReconstruction(genes, 300, split).varianceExplained;
  });
  console.log(
    `cae: ${types.length}/7 types, test variance explained ${explained.toFixed(3)} vs random ` +
      random.map((r) => r.toFixed(3)).join(", "),
  );
  assertEquals(types.length >= 5, true, `cae covered ${types.length} types`);
  assertEquals(explained > Math.max(...random), true);
  assertEquals(new Set(rec.genes).size, k);
});

Deno.test("same seed, same panel; exactly k distinct genes; no tensor left behind", async () => {
  const quick = caeSelector({ hidden: [32], epochs: 3, batchSize: 64 });
  const before = tf.memory().numTensors;
  const a = await selectPanel(quick, small.dataset, { ...base, k: 12, seed: 3 });
  assertEquals(tf.memory().numTensors, before);
  const b = await selectPanel(quick, small.dataset, { ...base, k: 12, seed: 3 });
  assertEquals([a.genes, a.scores], [b.genes, b.scores]);
  assertEquals(new Set(a.genes).size, 12);
  const noted = a.notes.some((n) => n.includes("next-best free gene"));
  assertEquals(noted, (a.params.duplicatesResolved as number) > 0);
  // Retrains double the epochs while the selector is not converged.
  const retried = await selectPanel(
    caeSelector({ hidden: [32], epochs: 2, batchSize: 64, maxRetrains: 1 }),
    small.dataset,
    { ...base, k: 12, seed: 3 },
  );
  assertEquals(retried.params.epochs, [2, 4]);
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("names, needs and errors", async () => {
  assertEquals([caeSelector().name, caeSelector().needs], ["cae", "data"]);
  assertEquals([caeSelector({ supervised: true }).name, caeSelector({ supervised: true }).needs], [
    "cae_sup",
    "labels",
  ]);
  await assertRejects(
    () =>
      selectPanel(caeSelector({ supervised: true }), small.dataset, {
        k: 5,
        candidates: 300,
        quiet: true,
      }),
    OptionError,
  );
  await assertRejects(
    () => selectPanel(caeSelector({ tau0: 0.01, tauEnd: 0.1 }), small.dataset, { ...base, k: 5 }),
    OptionError,
  );
});
