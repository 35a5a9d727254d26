import { assertClose, assertEquals, assertRejects } from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { selectPanel } from "../../lib/select/panel.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import {
  binaryConcrete,
  hurdleLoss,
  logisticNoise,
  modifiedSecant,
  persistSelector,
} from "../../lib/select/persist.ts";

await initBackend("wasm");

// 450 UMIs per cell over 300 genes: the per-gene depth of the default 2000-gene simulation, so
// that x > 0 (PERSIST's input) still tells types apart (at 3000 UMIs most genes are detected in
// most cells).
const small = simulate({ nCells: 1200, nGenes: 300, seed: 1, meanLibrarySize: 450 });
const markers = Object.values(small.truth.markers).flat();
const base = { tasks: ["cell_type"], candidates: 300, quiet: true };

Deno.test("hurdle loss equals the hand-computed value", () => {
  // 2 cells x 2 genes; out = [mu | logit P(y <= 0)].
  const out = [[0.5, -1, 2, -0.3], [1.5, 0.2, -1, 0.7]];
  const y = [[0, 2], [1, 0]];
  const softplus = (v: number) => Math.log1p(Math.exp(v));
  let total = 0;
  for (let i = 0; i < 2; i++) {
    for (let g = 0; g < 2; g++) {
      const mu = out[i][g], l = out[i][2 + g], zero = y[i][g] <= 0 ? 1 : 0;
      total += 10 * (softplus(l) - l * zero) + (1 - zero) * (y[i][g] - mu) ** 2;
    }
  }
  const v = tf.tidy(() => hurdleLoss(tf.tensor2d(out), tf.tensor2d(y)).dataSync()[0]);
  assertClose(v, total / 2, 1e-5);
});

Deno.test("binary concrete: a step at logit + noise = 0 as tau -> 0, 1/2 as tau grows, P(open) = sigmoid", () => {
  const logits = tf.tensor1d([2, -0.5, 0.1]);
  const noise = new Float32Array([-2.5, 1, -0.05]);
  const cold = tf.tidy(() => binaryConcrete(logits, noise, 1, 1e-4).dataSync());
  const hot = tf.tidy(() => binaryConcrete(logits, noise, 1, 1e4).dataSync());
  assertEquals(Array.from(cold), [0, 1, 1]);
  hot.forEach((v) => assertClose(v, 0.5, 1e-3));
  // With logistic noise the cold gate is open with probability sigmoid(logit).
  const n = 20000, rng = new Rng(5);
  const draws = tf.tidy(() =>
    binaryConcrete(logits, logisticNoise(n * 3, () => rng.uniform()), n, 1e-4).dataSync()
  );
  logits.dispose();
  [2, -0.5, 0.1].forEach((l, g) => {
    let open = 0;
    for (let i = 0; i < n; i++) open += draws[i * 3 + g];
    assertClose(open / n, 1 / (1 + Math.exp(-l)), 0.015, `gate ${g}`);
  });
});

Deno.test("modified secant: exact on a line, slope from all earlier points, slope floor", () => {
  // y = 0.5 x + 1 through (2, 2), earlier (0, 1) and (1, 1.5): target y 3 -> x 4.
  assertClose(modifiedSecant(2, 2, 3, [0, 1], [1, 1.5]), 4, 1e-12);
  // Weighted slope: points at distance 1 (slope 1) and 2 (slope 0.5) weigh 1 and 1/2:
  // slope = (1*1*1 + 0.5*2*1) / (1*1 + 0.5*4) = 2 / 3.
  assertClose(modifiedSecant(0, 0, 1, [1, 2], [1, 1]), 1.5, 1e-12);
  // A decreasing fit is floored at slope 1e-6.
  assertClose(modifiedSecant(1, 1, 1.001, [0], [2]), 1 + 0.001 / 1e-6, 1e-6);
});

Deno.test("simulated data, k = number of markers: persist recovers >= 60%, stage 1 on target", async () => {
  const k = markers.length;
  const panel = await selectPanel(persistSelector(), small.dataset, { ...base, k, seed: 1 });
  const found = panel.genes.filter((g) => markers.includes(g)).length;
  const stage1 = panel.params.stage1 as { trials: { survivors: number }[] };
  const kept = stage1.trials[stage1.trials.length - 1].survivors;
  console.log(`persist: ${found}/${k} markers, ${kept} survivors; ${panel.notes.join("; ")}`);
  assertEquals(found >= 0.6 * k, true, `recovered ${found}/${k}`);
  assertEquals(new Set(panel.genes).size, k);
  // eliminateTo defaults to max(5k, G / 20) = 140, within +/- 20%.
  assertEquals(Math.abs(kept - 140) <= 28, true, `${kept} survivors`);
  assertEquals(panel.params.survivors, kept);
});

Deno.test("same seed, same panel; exactly k distinct; no tensor left behind", async () => {
  const quick = { hidden: [32], eliminateEpochs: 4, selectEpochs: 4, maxTrials: 2 };
  const before = tf.memory().numTensors;
  const a = await selectPanel(persistSelector(quick), small.dataset, { ...base, k: 10, seed: 2 });
  assertEquals(tf.memory().numTensors, before);
  const b = await selectPanel(persistSelector(quick), small.dataset, { ...base, k: 10, seed: 2 });
  assertEquals([a.genes, a.scores], [b.genes, b.scores]);
  assertEquals(new Set(a.genes).size, 10);
});

Deno.test("persist_recon: exactly k distinct genes from the hurdle model; no tensor left behind", async () => {
  const before = tf.memory().numTensors;
  const quick = { supervised: false, hidden: [32], eliminateEpochs: 6, selectEpochs: 6 };
  const panel = await selectPanel(persistSelector(quick), small.dataset, {
    k: 10,
    candidates: 300,
    quiet: true,
    seed: 3,
  });
  assertEquals(tf.memory().numTensors, before);
  assertEquals([panel.method, new Set(panel.genes).size], ["persist_recon", 10]);
  // The argmax panel was scored on validation cells with a finite hurdle loss.
  const valLoss = (panel.params.stage2 as { valLoss: number }).valLoss;
  assertEquals(Number.isFinite(valLoss) && valLoss > 0, true, `val loss ${valLoss}`);
});

Deno.test("names, needs and errors", async () => {
  assertEquals([persistSelector().name, persistSelector().needs], ["persist", "labels"]);
  assertEquals([
    persistSelector({ supervised: false }).name,
    persistSelector({ supervised: false }).needs,
  ], ["persist_recon", "data"]);
  await assertRejects(
    () => selectPanel(persistSelector(), small.dataset, { k: 5, candidates: 300, quiet: true }),
    OptionError,
  );
  await assertRejects(
    () => selectPanel(persistSelector({ eliminateTo: 4 }), small.dataset, { ...base, k: 5 }),
    OptionError,
  );
});
