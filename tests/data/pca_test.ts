import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertThrows } from "../_assert.ts";
import { symmetricEigen } from "../../lib/data/_linalg.ts";
import { EXACT_MAX_COLUMNS, pca } from "../../lib/data/pca.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { Rng } from "../../lib/runtime/rng.ts";

await initBackend("wasm");

function assertClose(actual: number, expected: number, tol: number, what = "") {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: ${actual} is not within ${tol} of ${expected}`);
  }
}

/** n x d: a rank-`rank` signal with decaying strengths plus small noise. */
function lowRank(n: number, d: number, rank: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const f = Float64Array.from({ length: n * rank }, () => rng.normal());
  const l = Float64Array.from({ length: rank * d }, () => rng.normal());
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let s = 3 + 0.1 * rng.normal();
      for (let r = 0; r < rank; r++) s += f[i * rank + r] * l[r * d + j] * 2 ** (-r / 2);
      x[i * d + j] = s;
    }
  }
  return x;
}

Deno.test("pca: the randomized path matches the exact covariance spectrum and eigenvectors", () => {
  const n = 200, d = EXACT_MAX_COLUMNS + 44, c = 8;
  const x = lowRank(n, d, 12, 3);
  const before = tf.memory().numTensors;
  const r = pca(x, n, d, { nComponents: c, seed: 1 });
  assertEquals(tf.memory().numTensors, before);
  assertEquals(r.nComponents, c);
  // Brute force: the full d x d covariance, diagonalised exactly.
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const va = x[i * d + a] - mean[a];
      for (let b = 0; b < d; b++) cov[a * d + b] += va * (x[i * d + b] - mean[b]) / (n - 1);
    }
  }
  let trace = 0;
  for (let a = 0; a < d; a++) trace += cov[a * d + a];
  const eig = symmetricEigen(cov, d);
  const order = Array.from(eig.values, (_, i) => i).sort((a, b) => eig.values[b] - eig.values[a]);
  for (let k = 0; k < c; k++) {
    const lambda = eig.values[order[k]];
    assertClose(r.variance[k], lambda, 1e-4 * lambda, `variance ${k}`);
    assertClose(r.explainedVarianceRatio[k], lambda / trace, 1e-4, `ratio ${k}`);
    let dot = 0, big = 0;
    for (let j = 0; j < d; j++) {
      dot += r.components[k * d + j] * eig.vectors[j * d + order[k]];
      if (Math.abs(r.components[k * d + j]) > Math.abs(r.components[k * d + big])) big = j;
    }
    assertClose(Math.abs(dot), 1, 1e-4, `component ${k}`);
    assertEquals(r.components[k * d + big] > 0, true);
    // coordinates are the centred rows projected on the component
    for (const i of [0, 57, n - 1]) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] - mean[j]) * r.components[k * d + j];
      assertClose(r.coords[i * c + k], s, 1e-3 * Math.sqrt(lambda), `coord ${i},${k}`);
    }
  }
  // Same seed, same result; nComponents is clipped to min(n, d).
  assertEquals(pca(x, n, d, { nComponents: c, seed: 1 }).coords, r.coords);
  assertEquals(pca(x.subarray(0, 5 * d), 5, d).nComponents, 5);
});

Deno.test("pca: center false projects raw rows; bad input is refused with typed errors", () => {
  // Rows on the x axis at 1..4 (not centred): the uncentred first component is still (1, 0).
  const x = Float64Array.of(1, 0, 2, 0, 3, 0, 4, 0);
  const r = pca(x, 4, 2, { nComponents: 1, center: false });
  assertEquals(Array.from(r.coords), [1, 2, 3, 4]);
  assertEquals(Array.from(r.means), [0, 0]);
  assertThrows(() => pca(new Float32Array(5), 2, 3), ShapeMismatchError);
  assertThrows(() => pca(new Float32Array(6), 2, 3, { nComponents: 0 }), OptionError);
  assertThrows(() => pca(new Float32Array(6), 2, 3), DataValueError);
  assertThrows(() => pca(Float32Array.of(0, NaN, 1, 2), 2, 2), DataValueError);
  const big = lowRank(30, EXACT_MAX_COLUMNS + 1, 2, 1);
  assertThrows(() => pca(big, 30, EXACT_MAX_COLUMNS + 1, { iterations: -1 }), OptionError);
});

Deno.test("symmetricEigen: A v = λ v and orthonormal vectors, by brute-force products", () => {
  const d = 40, rng = new Rng(5);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) a[i * d + j] = a[j * d + i] = rng.normal();
  }
  const input = a.slice();
  const { values, vectors } = symmetricEigen(a, d);
  assertEquals(a, input);
  let trace = 0, sum = 0;
  for (let k = 0; k < d; k++) {
    trace += a[k * d + k];
    sum += values[k];
    for (let r = 0; r < d; r++) {
      let av = 0;
      for (let j = 0; j < d; j++) av += a[r * d + j] * vectors[j * d + k];
      assertClose(av, values[k] * vectors[r * d + k], 1e-12, `(Av - λv)[${r}], pair ${k}`);
    }
    for (let q = k; q < d; q++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += vectors[j * d + k] * vectors[j * d + q];
      assertClose(dot, k === q ? 1 : 0, 1e-12, `v${k}·v${q}`);
    }
  }
  assertClose(sum, trace, 1e-11, "sum of eigenvalues = trace");
});
