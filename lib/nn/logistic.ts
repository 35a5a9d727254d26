/**
 * Multinomial logistic regression with an L2 penalty, as scikit-learn's `LogisticRegression`
 * (lbfgs, C = 1): minimise sum_i CE_i + ||W||^2 / (2C), intercepts unpenalised, solved by a
 * compact L-BFGS in float64. Used as a downstream classifier on panel genes, and as YOTO's
 * classification heads refitted on its panel.
 * @module
 */

/** f(x) with its gradient written into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

/** Options of {@link minimizeLbfgs}; defaults in brackets. */
export interface LbfgsOptions {
  /** Iterations [200]. */
  maxIter?: number;
  /** Converged when max |gradient component| <= gradTol [1e-6]. */
  gradTol?: number;
  /** Converged when the relative decrease of f in one iteration is below this [1e-13]. */
  fTol?: number;
  /** Correction pairs kept [10]. */
  memory?: number;
}

/** Where {@link minimizeLbfgs} stopped. */
export interface LbfgsResult {
  x: Float64Array;
  value: number;
  /** max |gradient component| at x. */
  gradNorm: number;
  iterations: number;
  /** Objective evaluations (line searches included). */
  evaluations: number;
  /** Whether a tolerance was met (not the iteration limit or a failed line search). */
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Line search for the strong Wolfe conditions (Nocedal & Wright, algorithms 3.5 and 3.6, cubic
 * interpolation with bisection as a safeguard). On success `xNew`/`gNew` hold the accepted point.
 */
function wolfeSearch(
  f: Objective,
  x: Float64Array,
  fx: number,
  g: Float64Array,
  p: Float64Array,
  alpha0: number,
  xNew: Float64Array,
  gNew: Float64Array,
  count: { evaluations: number },
): { alpha: number; value: number } | null {
  const c1 = 1e-4, c2 = 0.9, dg0 = dot(g, p);
  const phi = (a: number) => {
    for (let i = 0; i < x.length; i++) xNew[i] = x[i] + a * p[i];
    count.evaluations++;
    const v = f(xNew, gNew);
    return { v, d: dot(gNew, p) };
  };
  const armijo = (a: number, v: number) => v <= fx + c1 * a * dg0;
  const curvature = (d: number) => Math.abs(d) <= -c2 * dg0;
  let lo = { a: 0, v: fx, d: dg0 }, hi = lo;
  let a = alpha0, bracketed = false;
  for (let i = 0; i < 40 && !bracketed; i++) {
    const { v, d } = phi(a);
    if (!Number.isFinite(v) || !armijo(a, v) || (i > 0 && v >= lo.v)) {
      hi = { a, v, d };
      bracketed = true;
    } else if (curvature(d)) {
      return { alpha: a, value: v };
    } else if (d >= 0) {
      hi = lo;
      lo = { a, v, d };
      bracketed = true;
    } else {
      lo = { a, v, d };
      a *= 2;
    }
  }
  for (let i = 0; i < 40 && bracketed; i++) {
    const left = Math.min(lo.a, hi.a), width = Math.abs(hi.a - lo.a);
    if (width < 1e-16 * Math.max(1, left)) break;
    a = cubicMinimizer(lo, hi);
    if (!(a >= left + 0.1 * width && a <= left + 0.9 * width)) a = left + 0.5 * width;
    const { v, d } = phi(a);
    if (!Number.isFinite(v) || !armijo(a, v) || v >= lo.v) {
      hi = { a, v, d };
    } else {
      if (curvature(d)) return { alpha: a, value: v };
      if (d * (hi.a - lo.a) >= 0) hi = lo;
      lo = { a, v, d };
    }
  }
  // No Wolfe point: accept the best point with sufficient decrease, if any.
  if (lo.a === 0) return null;
  return { alpha: lo.a, value: phi(lo.a).v };
}

/** Minimiser of the cubic through two points with values and slopes (NaN when it has none). */
function cubicMinimizer(
  p: { a: number; v: number; d: number },
  q: { a: number; v: number; d: number },
): number {
  const d1 = p.d + q.d - 3 * (p.v - q.v) / (p.a - q.a);
  const d2 = Math.sign(q.a - p.a) * Math.sqrt(d1 * d1 - p.d * q.d);
  return q.a - (q.a - p.a) * (q.d + d2 - d1) / (q.d - p.d + 2 * d2);
}

/**
 * Minimise a smooth function by L-BFGS (two-loop recursion, strong-Wolfe line search).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { minimizeLbfgs } from "./logistic.ts";
 * // f(x) = (x0 - 1)^2 + 10 (x1 + 2)^2
 * const f = (x: Float64Array, g: Float64Array) => {
 *   g[0] = 2 * (x[0] - 1);
 *   g[1] = 20 * (x[1] + 2);
 *   return (x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2;
 * };
 * const r = minimizeLbfgs(f, new Float64Array(2));
 * assert.ok(r.converged);
 * assert.ok(Math.abs(r.x[0] - 1) < 1e-6);
 * assert.ok(Math.abs(r.x[1] + 2) < 1e-6);
 * ```
 */
export function minimizeLbfgs(
  f: Objective,
  x0: Float64Array,
  options: LbfgsOptions = {},
): LbfgsResult {
  const maxIter = options.maxIter ?? 200, gradTol = options.gradTol ?? 1e-6;
  const fTol = options.fTol ?? 1e-13, m = options.memory ?? 10;
  const dim = x0.length;
  let x = Float64Array.from(x0), g = new Float64Array(dim);
  let xNew = new Float64Array(dim), gNew = new Float64Array(dim);
  const count = { evaluations: 1 };
  let fx = f(x, g);
  const s: Float64Array[] = [], y: Float64Array[] = [], rho: number[] = [];
  const p = new Float64Array(dim), alphas = new Float64Array(m);
  let iterations = 0, converged = maxAbs(g) <= gradTol;
  while (!converged && iterations < maxIter) {
    // p = -H g by the two-loop recursion; H0 = (s'y / y'y) I.
    for (let i = 0; i < dim; i++) p[i] = -g[i];
    for (let j = s.length - 1; j >= 0; j--) {
      alphas[j] = rho[j] * dot(s[j], p);
      for (let i = 0; i < dim; i++) p[i] -= alphas[j] * y[j][i];
    }
    if (s.length) {
      const last = s.length - 1;
      const gamma = 1 / (rho[last] * dot(y[last], y[last]));
      for (let i = 0; i < dim; i++) p[i] *= gamma;
    }
    for (let j = 0; j < s.length; j++) {
      const beta = rho[j] * dot(y[j], p);
      for (let i = 0; i < dim; i++) p[i] += (alphas[j] - beta) * s[j][i];
    }
    if (dot(g, p) >= 0) {
      // Not a descent direction (rounding): restart from steepest descent.
      for (let i = 0; i < dim; i++) p[i] = -g[i];
      s.length = y.length = rho.length = 0;
    }
    // First step: unit length; afterwards the quasi-Newton step.
    const alpha0 = s.length ? 1 : Math.min(1, 1 / Math.sqrt(dot(g, g)));
    const step = wolfeSearch(f, x, fx, g, p, alpha0, xNew, gNew, count);
    if (step === null) break;
    iterations++;
    const fNew = step.value;
    const sk = new Float64Array(dim), yk = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      sk[i] = xNew[i] - x[i];
      yk[i] = gNew[i] - g[i];
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12 * Math.sqrt(dot(sk, sk) * dot(yk, yk))) {
      if (s.length === m) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    const decrease = (fx - fNew) / Math.max(Math.abs(fx), Math.abs(fNew), 1);
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    fx = fNew;
    converged = maxAbs(g) <= gradTol || decrease <= fTol;
  }
  return {
    x,
    value: fx,
    gradNorm: maxAbs(g),
    iterations,
    evaluations: count.evaluations,
    converged,
  };
}

/** Options of {@link fitLogistic}; defaults in brackets. */
export interface LogisticOptions {
  /** Inverse L2 strength, as scikit-learn's C [1]. */
  C?: number;
  /** L-BFGS iterations [200]. */
  maxIter?: number;
  /** Gradient tolerance of the per-cell objective (max component) [1e-6]. */
  tol?: number;
}

/**
 * Class probabilities of row i of `x` into `p` (params: W [K x d], then K intercepts); returns
 * minus the log-probability of class `label` (the cross-entropy; pass -1 when not needed).
 */
function softmaxRow(
  w: Float64Array,
  K: number,
  d: number,
  x: Float32Array,
  i: number,
  label: number,
  p: Float64Array,
): number {
  let max = -Infinity;
  for (let c = 0; c < K; c++) {
    let v = w[K * d + c];
    for (let j = 0; j < d; j++) v += w[c * d + j] * x[i * d + j];
    p[c] = v;
    if (v > max) max = v;
  }
  const shifted = label >= 0 ? p[label] - max : 0;
  let sum = 0;
  for (let c = 0; c < K; c++) sum += p[c] = Math.exp(p[c] - max);
  for (let c = 0; c < K; c++) p[c] /= sum;
  return Math.log(sum) - shifted;
}

/**
 * The per-cell objective (sum_i CE_i + ||W||^2 / (2C)) / n of multinomial logistic regression on
 * rows `x` [n x d] with classes `y` in [0, nClasses). Parameters: W [nClasses x d] row-major,
 * then the nClasses intercepts. Dividing by n keeps the gradient tolerance independent of n and
 * leaves the minimiser unchanged.
 */
export function logisticObjective(
  x: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  nClasses: number,
  C = 1,
): Objective {
  const K = nClasses, p = new Float64Array(K);
  return (w, grad) => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      loss += softmaxRow(w, K, d, x, i, y[i], p);
      for (let c = 0; c < K; c++) {
        const r = p[c] - (c === y[i] ? 1 : 0);
        grad[K * d + c] += r;
        for (let j = 0; j < d; j++) grad[c * d + j] += r * x[i * d + j];
      }
    }
    let penalty = 0;
    for (let p = 0; p < K * d; p++) {
      penalty += w[p] * w[p];
      grad[p] += w[p] / C;
    }
    for (let p = 0; p < grad.length; p++) grad[p] /= n;
    return (loss + penalty / (2 * C)) / n;
  };
}

/** A fitted multinomial logistic regression. */
export interface LogisticModel {
  /** Weights [nClasses x d] row-major. */
  coef: Float64Array;
  /** Intercepts, centred to sum 0 (they are defined only up to a common shift). */
  intercept: Float64Array;
  iterations: number;
  converged: boolean;
  /** Class probabilities [n x nClasses] of rows `x` [n x d]. */
  predictProba(x: Float32Array, n: number): Float32Array;
}

/**
 * Fit multinomial logistic regression with an L2 penalty on the weights (not the intercepts),
 * scikit-learn's `LogisticRegression(C)` objective, by L-BFGS from zero. With two classes the
 * penalty is that of sklearn's binary model (the multinomial one at C / 2 has the same decision
 * function). Inputs are taken as checked: every y in [0, nClasses); see `fitClassifier` for
 * checks and missing labels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitLogistic } from "./logistic.ts";
 * const x = Float32Array.from([-2, -1, 1, 2]), y = Int32Array.from([0, 0, 1, 1]);
 * const model = fitLogistic(x, 4, 1, y, 2);
 * assert.ok(model.converged);
 * assert.ok(model.coef[1] > 0);
 * assert.ok(model.predictProba(x, 4)[7] > 0.5);
 * ```
 */
export function fitLogistic(
  x: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  nClasses: number,
  options: LogisticOptions = {},
): LogisticModel {
  const K = nClasses;
  const result = minimizeLbfgs(
    logisticObjective(x, n, d, y, K, (options.C ?? 1) / (K === 2 ? 2 : 1)),
    new Float64Array(K * (d + 1)),
    { maxIter: options.maxIter ?? 200, gradTol: options.tol ?? 1e-6 },
  );
  const params = result.x;
  const intercept = params.subarray(K * d);
  const shift = intercept.reduce((a, b) => a + b, 0) / K;
  for (let c = 0; c < K; c++) intercept[c] -= shift;
  return {
    coef: params.subarray(0, K * d),
    intercept,
    iterations: result.iterations,
    converged: result.converged,
    predictProba: (xs: Float32Array, m: number) => logisticProbabilities(params, K, xs, m),
  };
}

/**
 * Class probabilities [n x nClasses] of rows `x` [n x d] under `params`: the weights
 * [nClasses x d] row-major, then the nClasses intercepts (a {@link LogisticModel}'s coef and
 * intercept concatenated).
 */
export function logisticProbabilities(
  params: Float64Array,
  nClasses: number,
  x: Float32Array,
  n: number,
): Float32Array {
  const K = nClasses, d = params.length / K - 1;
  const out = new Float32Array(n * K), p = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    softmaxRow(params, K, d, x, i, -1, p);
    out.set(p, i * K);
  }
  return out;
}
