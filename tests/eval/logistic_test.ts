import { assertClose, assertEquals } from "../_assert.ts";
import {
  fitLogistic,
  logisticObjective,
  minimizeLbfgs,
  type Objective,
} from "../../lib/nn/logistic.ts";
import { Rng } from "../../lib/runtime/rng.ts";

// 18 cells, 2 features (multiples of 0.25, exact in float32), 3 classes; not separable.
const X3 = Float32Array.from([
  0.0,
  0.25,
  1.25,
  -0.25,
  -0.25,
  0.75,
  0.0,
  1.0,
  1.0,
  0.0,
  0.5,
  1.75,
  0.0,
  -0.75,
  1.5,
  1.0,
  -1.0,
  1.25,
  -1.5,
  -1.0,
  0.0,
  0.25,
  -1.0,
  1.75,
  0.25,
  -0.25,
  -0.5,
  0.0,
  0.0,
  1.5,
  -1.25,
  -0.5,
  0.75,
  -0.25,
  0.75,
  0.75,
]);
const Y3 = Int32Array.from({ length: 18 }, (_, i) => i % 3);
// Binary, separable in 1-D: without the penalty the weights would diverge.
const XSEP = Float32Array.from([-1.5, -1.0, -0.25, 0.5, 1.25, 2.0]);
const YSEP = Int32Array.from([0, 0, 0, 1, 1, 1]);

Deno.test("minimizeLbfgs: Rosenbrock in 2 and 10 dimensions reaches the minimum at all ones", () => {
  const rosenbrock: Objective = (x, g) => {
    let f = 0;
    g.fill(0);
    for (let i = 0; i + 1 < x.length; i++) {
      const a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
      f += 100 * a * a + b * b;
      g[i] += -400 * a * x[i] - 2 * b;
      g[i + 1] += 200 * a;
    }
    return f;
  };
  for (const dim of [2, 10]) {
    const x0 = Float64Array.from({ length: dim }, (_, i) => (i % 2 ? 1 : -1.2));
    const r = minimizeLbfgs(rosenbrock, x0, { maxIter: 1000, gradTol: 1e-10 });
    assertEquals(r.converged, true);
    for (const v of r.x) assertClose(v, 1, 1e-6, `dim ${dim}`);
    assertEquals(r.value < 1e-12, true);
  }
});

Deno.test("logisticObjective: gradient matches central finite differences", () => {
  const rng = new Rng(3);
  const n = 25, d = 4, K = 3;
  const x = Float32Array.from({ length: n * d }, () => rng.normal());
  const y = Int32Array.from({ length: n }, () => rng.int(K));
  const f = logisticObjective(x, n, d, y, K, 0.7);
  const w = Float64Array.from({ length: K * (d + 1) }, () => rng.normal());
  const grad = new Float64Array(w.length), scratch = new Float64Array(w.length);
  f(w, grad);
  const h = 1e-6;
  for (let p = 0; p < w.length; p++) {
    const plus = w.slice(), minus = w.slice();
    plus[p] += h;
    minus[p] -= h;
    const numeric = (f(plus, scratch) - f(minus, scratch)) / (2 * h);
    assertClose(grad[p], numeric, 1e-8, `parameter ${p}`);
  }
});

Deno.test("fitLogistic: the gradient vanishes at the optimum and intercepts sum to 0", () => {
  for (const C of [1, 0.3]) {
    const model = fitLogistic(X3, 18, 2, Y3, 3, { C });
    assertEquals(model.converged, true);
    const params = Float64Array.from([...model.coef, ...model.intercept]);
    const grad = new Float64Array(params.length);
    logisticObjective(X3, 18, 2, Y3, 3, C)(params, grad);
    for (const g of grad) assertClose(g, 0, 1e-6);
    assertClose(model.intercept.reduce((a, b) => a + b, 0), 0, 1e-12);
  }
});

// Plain gradient descent on the objective written out independently (softmax probabilities,
// explicit penalty), run long: the brute-force reference.
function gradientDescent(
  x: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  K: number,
  C: number,
  steps: number,
): Float64Array {
  const W = new Float64Array(K * d), b = new Float64Array(K);
  for (let s = 0; s < steps; s++) {
    const gW = new Float64Array(K * d), gb = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      const z = Array.from({ length: K }, (_, c) => {
        let v = b[c];
        for (let j = 0; j < d; j++) v += W[c * d + j] * x[i * d + j];
        return v;
      });
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const total = e.reduce((a, v) => a + v, 0);
      for (let c = 0; c < K; c++) {
        const r = e[c] / total - (y[i] === c ? 1 : 0);
        gb[c] += r;
        for (let j = 0; j < d; j++) gW[c * d + j] += r * x[i * d + j];
      }
    }
    // d/dW of (sum CE + ||W||^2 / (2C)) / n
    for (let p = 0; p < K * d; p++) W[p] -= 0.2 * (gW[p] + W[p] / C) / n;
    for (let c = 0; c < K; c++) b[c] -= 0.2 * gb[c] / n;
  }
  const shift = b.reduce((a, v) => a + v, 0) / K;
  return Float64Array.from([...W, ...b.map((v) => v - shift)]);
}

Deno.test("fitLogistic agrees with long plain gradient descent to 1e-4 (3 classes; separable)", () => {
  const three = fitLogistic(X3, 18, 2, Y3, 3, { C: 1 });
  const ref3 = gradientDescent(X3, 18, 2, Y3, 3, 1, 20000);
  [...three.coef, ...three.intercept].forEach((v, p) => assertClose(v, ref3[p], 1e-4, `p ${p}`));
  // Two classes: the binary model at C equals the multinomial one at C / 2.
  const sep = fitLogistic(XSEP, 6, 1, YSEP, 2, { C: 1 });
  const refSep = gradientDescent(XSEP, 6, 1, YSEP, 2, 0.5, 20000);
  [...sep.coef, ...sep.intercept].forEach((v, p) => assertClose(v, refSep[p], 1e-4, `p ${p}`));
});

// scikit-learn 1.2.1 (Debian python3-sklearn):
//   LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(X, y)
// coef_ row-major; intercept_ minus its mean (sklearn's sum to ~4e-16 already).
Deno.test("fitLogistic matches scikit-learn's LogisticRegression (multinomial, C = 1 and 0.3)", () => {
  const expected = {
    1: {
      coef: [
        -0.5264193453426965,
        -0.7753652872546108,
        0.8480849383018859,
        -0.5045124875883947,
        -0.3216655929591891,
        1.2798777748430057,
      ],
      intercept: [0.41322449981441683, 0.21426229204698682, -0.6274867918614037],
    },
    0.3: {
      coef: [
        -0.34066952143780155,
        -0.4824110660821561,
        0.5296035848163118,
        -0.270889118865658,
        -0.18893406337851013,
        0.753300184947814,
      ],
      intercept: [0.22678735803542854, 0.11396517512604361, -0.34075253316147214],
    },
  };
  for (const [C, ref] of Object.entries(expected)) {
    const model = fitLogistic(X3, 18, 2, Y3, 3, { C: Number(C) });
    ref.coef.forEach((v, p) => assertClose(model.coef[p], v, 1e-5, `C ${C} coef ${p}`));
    ref.intercept.forEach((v, c) => assertClose(model.intercept[c], v, 1e-5, `C ${C} b ${c}`));
  }
});

// sklearn binary (its default for two classes): coef_ is w1 - w0 of the multinomial form.
Deno.test("fitLogistic with two classes matches scikit-learn's binary model", () => {
  const sep = fitLogistic(XSEP, 6, 1, YSEP, 2);
  assertClose(sep.coef[1] - sep.coef[0], 1.1694585407920082, 1e-5);
  assertClose(sep.intercept[1] - sep.intercept[0], -0.17544662661429303, 1e-5);
  const x2 = Float32Array.from([
    -1.5,
    0.5,
    -1.0,
    -0.25,
    -0.25,
    1.0,
    0.5,
    -0.75,
    1.25,
    0.25,
    2.0,
    -1.0,
    0.75,
    0.75,
    -0.5,
    -1.25,
  ]);
  const y2 = Int32Array.from([0, 0, 0, 1, 1, 1, 1, 0]);
  const m = fitLogistic(x2, 8, 2, y2, 2);
  assertClose(m.coef[2] - m.coef[0], 1.3562402588237628, 1e-5);
  assertClose(m.coef[3] - m.coef[1], -0.04798288879632927, 1e-5);
  assertClose(m.intercept[1] - m.intercept[0], -0.19184395296097947, 1e-5);
  // Probabilities are the softmax of the fitted logits; rows sum to 1.
  const p = sep.predictProba(XSEP, 6);
  const logit = 1.1694585407920082 * -1.5 - 0.17544662661429303;
  assertClose(p[1], 1 / (1 + Math.exp(-logit)), 1e-5);
  for (let i = 0; i < 6; i++) assertClose(p[2 * i] + p[2 * i + 1], 1, 1e-6);
});
