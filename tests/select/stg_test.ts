import { assertClose, assertEquals, assertRejects } from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { selectPanel } from "../../lib/select/panel.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { stgPenalty, stgSelector } from "../../lib/select/stg.ts";

await initBackend("wasm");

const small = simulate({ nCells: 1200, nGenes: 300, seed: 1 });
const markers = Object.values(small.truth.markers).flat();
const base = { tasks: ["cell_type"], candidates: 300, quiet: true };

/** Standard normal CDF by Simpson's rule on the density (independent of erf). */
function phi(x: number): number {
  const a = -10, n = 4000, h = (x - a) / n;
  const f = (t: number) => Math.exp(-t * t / 2) / Math.sqrt(2 * Math.PI);
  let s = f(a) + f(x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

Deno.test("stgPenalty is mean Phi((mu + 0.5) / sigma) and its gradient phi(.) / (sigma G)", () => {
  const mu = [-1.2, -0.5, -0.1, 0, 0.3, 0.9];
  for (const sigma of [0.5, 1]) {
    const expected = mu.reduce((s, m) => s + phi((m + 0.5) / sigma), 0) / mu.length;
    const muT = tf.tensor1d(mu);
    const { value, grads } = tf.tidy(() => {
      const r = tf.valueAndGrads((m: tf.Tensor) => stgPenalty(m as tf.Tensor1D, sigma))([muT]);
      return { value: r.value.dataSync()[0], grads: r.grads[0].dataSync() };
    });
    muT.dispose();
    assertClose(value, expected, 1e-6, `sigma ${sigma}`);
    mu.forEach((m, d) => {
      const u = (m + 0.5) / sigma;
      const density = Math.exp(-u * u / 2) / Math.sqrt(2 * Math.PI);
      assertClose(grads[d], density / (sigma * mu.length), 1e-6, `gradient ${d}`);
    });
  }
});

Deno.test("simulated data, k = number of markers: STG recovers >= 85% of them", async () => {
  const panel = await selectPanel(stgSelector({ hidden: [128, 64] }), small.dataset, {
    ...base,
    k: markers.length,
    seed: 1,
  });
  const found = panel.genes.filter((g) => markers.includes(g)).length;
  console.log(`stg: ${found}/${markers.length} markers, ${panel.notes.join("; ")}`);
  assertEquals(found >= 0.85 * markers.length, true, `recovered ${found}/${markers.length}`);
  assertEquals(new Set(panel.genes).size, markers.length);
  // The gates close: lambda leaves fewer gates open than candidates, but at least k.
  const trials = panel.params.trials as { open: number }[];
  const open = trials[trials.length - 1].open;
  assertEquals(open >= markers.length && open < 300, true, `${open} gates open`);
});

Deno.test("same seed, same panel; exactly k distinct genes ranked by mu; no tensor left behind", async () => {
  const quick = stgSelector({ hidden: [32], epochs: 3 });
  const before = tf.memory().numTensors;
  const a = await selectPanel(quick, small.dataset, { ...base, k: 10, seed: 4 });
  assertEquals(tf.memory().numTensors, before);
  const b = await selectPanel(quick, small.dataset, { ...base, k: 10, seed: 4 });
  assertEquals(a.genes, b.genes);
  assertEquals(a.scores, b.scores);
  assertEquals(new Set(a.genes).size, 10);
  assertEquals(a.scores.every((s, i) => i === 0 || s <= a.scores[i - 1]), true);
  assertEquals(a.method, "stg");
});

Deno.test("lambda search: lowered by lambdaFactor until k gates are open, noted when never", async () => {
  const strict = stgSelector({
    hidden: [32],
    epochs: 8,
    lambda: 1000,
    lambdaFactor: 0.001,
    maxTrials: 2,
  });
  const panel = await selectPanel(strict, small.dataset, { ...base, k: 10, seed: 2 });
  const trials = panel.params.trials as { lambda: number; open: number }[];
  assertEquals(trials.length, 2);
  assertEquals(trials[0].open < 10, true, `${trials[0].open} open at lambda 1000`);
  assertClose(trials[1].lambda, 1, 1e-9);
  assertEquals(trials[1].open >= 10, true, `${trials[1].open} open at lambda 1`);
  assertEquals(panel.genes.length, 10);

  const never = stgSelector({ hidden: [32], epochs: 8, lambda: 1000, maxTrials: 1 });
  const closed = await selectPanel(never, small.dataset, { ...base, k: 10, seed: 2 });
  assertEquals(closed.genes.length, 10);
  assertEquals(closed.notes.some((n) => n.includes("no lambda tried left k = 10")), true);
});

Deno.test("needs a label; bad k and settings are OptionErrors", async () => {
  assertEquals([stgSelector().name, stgSelector().needs], ["stg", "labels"]);
  await assertRejects(
    () => selectPanel(stgSelector(), small.dataset, { k: 5, candidates: 300, quiet: true }),
    OptionError,
  );
  await assertRejects(
    () => selectPanel(stgSelector(), small.dataset, { ...base, k: 301 }),
    OptionError,
  );
  await assertRejects(
    () => selectPanel(stgSelector({ sigma: 0 }), small.dataset, { ...base, k: 5 }),
    OptionError,
  );
});
