import { assertClose, assertEquals } from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import {
  neuralSortCost,
  neuralSortCostBackward,
  relaxedRows,
  sampleMask,
  temperature,
  topKIndices,
} from "../../lib/nn/relax.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { Rng } from "../../lib/runtime/rng.ts";

await initBackend("cpu");

function scores(g: number, seed: number, ties: boolean): Float64Array {
  const r = new Rng(seed);
  const s = Float64Array.from({ length: g }, () => r.normal());
  if (ties && g > 3) {
    s[1] = s[0];
    s[g - 1] = s[2];
    s[3] = s[0];
  }
  return s;
}

function bruteCost(s: Float64Array): Float64Array {
  return s.map((sj) => s.reduce((acc, sl) => acc + Math.abs(sj - sl), 0));
}

function relClose(a: number, b: number, tol: number, msg: string): void {
  assertClose(a, b, tol * Math.max(1, Math.abs(b)), msg);
}

Deno.test("NeuralSort cost identity equals the O(G^2) sum, ties included", () => {
  for (const g of [1, 2, 5, 50, 257]) {
    for (const ties of [false, true]) {
      const s = scores(g, g, ties);
      const { cost } = neuralSortCost(s);
      bruteCost(s).forEach((c, j) => relClose(cost[j], c, 1e-9, `G=${g} j=${j}`));
    }
  }
});

Deno.test("NeuralSort cost backward equals the brute-force Jacobian", () => {
  for (const g of [1, 2, 5, 50, 257]) {
    const s = scores(g, 100 + g, false);
    const u = scores(g, 200 + g, false);
    const grad = neuralSortCostBackward(u, neuralSortCost(s).order);
    for (let m = 0; m < g; m++) {
      // dc_j/ds_m = -sign(s_j - s_m) for m != j; dc_m/ds_m = sum_l sign(s_m - s_l)
      let expected = 0;
      for (let j = 0; j < g; j++) {
        if (j === m) { for (let l = 0; l < g; l++) expected += u[m] * Math.sign(s[m] - s[l]); }
        else expected -= u[j] * Math.sign(s[j] - s[m]);
      }
      relClose(grad[m], expected, 1e-9, `G=${g} m=${m}`);
    }
  }
});

function bruteRows(s: Float64Array, k: number, tau: number, relaxation: "neuralsort" | "softsort") {
  const g = s.length;
  const c = bruteCost(s);
  const sortedDesc = Array.from(s).sort((a, b) => b - a);
  return Array.from({ length: k }, (_, i) => {
    const logits = Array.from(
      s,
      (sj, j) =>
        relaxation === "neuralsort"
          ? ((g + 1 - 2 * (i + 1)) * sj - c[j]) / tau
          : -Math.abs(sortedDesc[i] - sj) / tau,
    );
    const max = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - max));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  });
}

Deno.test("relaxed rows equal the brute-force G x G versions (NeuralSort and SoftSort)", () => {
  for (const relaxation of ["neuralsort", "softsort"] as const) {
    for (const [g, k, tau] of [[5, 2, 1], [50, 8, 0.5], [300, 16, 2]]) {
      const s = scores(g, g + k, false).map((x) => x * 0.1);
      const rows = tf.tidy(() =>
        relaxedRows(tf.tensor1d(Float32Array.from(s)), k, tau, relaxation).arraySync()
      );
      const expected = bruteRows(Float64Array.from(Float32Array.from(s)), k, tau, relaxation);
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < g; j++) {
          assertClose(rows[i][j], expected[i][j], 2e-5, `${relaxation} G=${g} [${i},${j}]`);
        }
        assertClose(rows[i].reduce((a, b) => a + b, 0), 1, 1e-4, "row sum");
      }
    }
  }
});

Deno.test("each row's argmax recovers the sort for any temperature; the soft mask sums to k", () => {
  const s = scores(40, 7, false);
  const order = topKIndices(s, 6);
  for (const tau of [10, 1, 0.1]) {
    const rows = tf.tidy(() => relaxedRows(tf.tensor1d(Float32Array.from(s)), 6, tau).arraySync());
    assertEquals(rows.map((r) => r.indexOf(Math.max(...r))), Array.from(order));
    const mask = rows.reduce((acc, r) => acc.map((x, j) => x + r[j]), new Array(40).fill(0));
    assertClose(mask.reduce((a, b) => a + b, 0), 6, 1e-4, "mask sum");
  }
});

Deno.test("as the temperature goes to 0 the soft mask becomes the hard top-k", () => {
  const s = tf.tensor1d(Float32Array.from(scores(30, 3, false)));
  const gaps: number[] = [];
  for (const tau of [1, 0.1, 0.001]) {
    const sample = sampleMask(s, 5, tau, null);
    const soft = sample.soft.dataSync();
    const hard = new Float32Array(30);
    for (const j of sample.hard) hard[j] = 1;
    gaps.push(Math.max(...Array.from(soft, (x, j) => Math.abs(x - hard[j]))));
    sample.mask.dispose();
    sample.soft.dispose();
  }
  assertEquals(gaps[2] < 1e-4, true, `max |soft - hard| at tau 0.001: ${gaps[2]}`);
  assertEquals(gaps[0] > gaps[1] && gaps[1] > gaps[2], true, String(gaps));
});

Deno.test("straight-through: forward is exactly k-hot, gradients reach the scores (finite differences)", () => {
  const g = 6, k = 2, tau = 1;
  const s0 = Float32Array.from([0.3, -0.2, 0.5, 0.1, -0.4, 0.25]);
  const w = tf.tensor1d(Float32Array.from([1.0, -0.5, 2.0, 0.7, -1.3, 0.4]));
  const sample = sampleMask(tf.tensor1d(s0), k, tau, null);
  assertEquals(Array.from(sample.mask.dataSync()).filter((x) => x === 1).length, k);
  assertEquals(Array.from(sample.mask.dataSync()).filter((x) => x !== 0 && x !== 1).length, 0);
  const loss = (s: tf.Tensor) => tf.sum(tf.mul(w, sampleMask(s as tf.Tensor1D, k, tau, null).mask));
  const softLoss = (s: Float32Array) =>
    tf.tidy(() => tf.sum(tf.mul(w, sampleMask(tf.tensor1d(s), k, tau, null).soft)).dataSync()[0]);
  const grad = tf.grad(loss)(tf.tensor1d(s0)).dataSync();
  const eps = 1e-2;
  for (let j = 0; j < g; j++) {
    const up = Float32Array.from(s0), down = Float32Array.from(s0);
    up[j] += eps;
    down[j] -= eps;
    const fd = (softLoss(up) - softLoss(down)) / (2 * eps);
    assertClose(grad[j], fd, 2e-3 + 0.02 * Math.abs(fd), `d/ds_${j}`);
  }
  assertEquals(Array.from(grad).some((x) => Math.abs(x) > 1e-3), true);
});

Deno.test("temperature schedules start at tau0, end at tauEnd and hold", () => {
  const sched = { tau0: 1, tauEnd: 0.01, annealSteps: 100 };
  assertClose(temperature(0, { ...sched, kind: "exponential" }), 1, 1e-12);
  assertClose(temperature(50, { ...sched, kind: "exponential" }), 0.1, 1e-12);
  assertClose(temperature(100, { ...sched, kind: "exponential" }), 0.01, 1e-12);
  assertClose(temperature(500, { ...sched, kind: "linear" }), 0.01, 1e-12);
  assertClose(temperature(50, { ...sched, kind: "linear" }), 0.505, 1e-12);
});
