/**
 * Local polynomial regression (loess) of one predictor, fitted exactly at every data point:
 * the `surface = "direct"` form of cloess / scikit-misc. For each point the q = floor(n·span)
 * nearest neighbours get tricube weights (1 - (d/h)^3)^3, h being the distance to the q-th
 * nearest (times sqrt(span) when span > 1, as in cloess), and a weighted least-squares
 * polynomial of the given degree is evaluated there.
 * @module
 */
import { OptionError } from "../runtime/errors.ts";

/** Options of {@link loess}. */
export interface LoessOptions {
  /** Fraction of the points in each neighbourhood (default 0.75, as scikit-misc). */
  span?: number;
  /** Degree of the local polynomial, 0, 1 or 2 (default 2). */
  degree?: number;
}

/**
 * Fitted values of a loess regression of y on x, in the order of the input points.
 * O(n·q): neighbourhoods slide along the sorted x.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loess } from "./_loess.ts";
 * const x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], y = x.map((v) => v * v);
 * const fit = loess(x, y, { span: 0.5, degree: 2 });
 * assert.ok(Math.abs(fit[4] - 16) < 1e-9); // a quadratic is reproduced exactly
 * ```
 */
export function loess(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: LoessOptions = {},
): Float64Array {
  const span = options.span ?? 0.75, degree = options.degree ?? 2;
  const n = x.length;
  if (y.length !== n) {
    throw new OptionError(`x has ${n} values but y has ${y.length}`, { field: "y" });
  }
  if (!(span > 0) || !Number.isFinite(span)) {
    throw new OptionError(`span must be a positive number, got ${span}`, { field: "span" });
  }
  if (![0, 1, 2].includes(degree)) {
    throw new OptionError(`degree must be 0, 1 or 2, got ${degree}`, { field: "degree" });
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      throw new OptionError(`loess point ${i} is not finite (x = ${x[i]}, y = ${y[i]})`, {
        field: "x",
      });
    }
  }
  // neighbourhood size as cloess computes it
  const q = Math.min(n, Math.floor(n * span + 1e-5));
  const k = degree + 1;
  if (q < k) {
    throw new OptionError(
      `span ${span} gives ${q} neighbours of ${n} points; degree ${degree} needs ${k}`,
      {
        field: "span",
        fix: "use a larger span or more points",
      },
    );
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || a - b);
  const xs = Float64Array.from(order, (i) => x[i]), ys = Float64Array.from(order, (i) => y[i]);
  const widen = Math.sqrt(Math.max(1, span));
  const fitted = new Float64Array(n);
  const moments = new Float64Array(2 * degree + 1), rhs = new Float64Array(k);
  let lo = 0;
  for (let i = 0; i < n; i++) {
    const x0 = xs[i];
    // the q nearest points are a contiguous run of the sorted x; slide it right while that helps
    while (lo + q < n && xs[lo + q] - x0 < x0 - xs[lo]) lo++;
    const h = Math.max(x0 - xs[lo], xs[lo + q - 1] - x0) * widen;
    if (!(h > 0)) {
      throw new OptionError(
        `span ${span} is too small: the ${q} points nearest x = ${x0} all coincide`,
        {
          field: "span",
        },
      );
    }
    moments.fill(0);
    rhs.fill(0);
    for (let p = lo; p < lo + q; p++) {
      const u = (xs[p] - x0) / h, a = Math.abs(u);
      if (a >= 1) continue;
      const t = 1 - a * a * a, w = t * t * t;
      // local coordinates are u = (x - x0)/h, so the intercept is the fit at x0
      let wu = w;
      for (let e = 0; e < 2 * degree + 1; e++) {
        moments[e] += wu;
        if (e < k) rhs[e] += wu * ys[p];
        wu *= u;
      }
    }
    fitted[order[i]] = solveIntercept(moments, rhs, k);
  }
  return fitted;
}

/**
 * Intercept of the least-squares solution of the k x k normal equations M_ij = moments[i + j]:
 * columns equilibrated to unit norm, then a pseudo-inverse (eigenvalues below 1e-12 of the
 * largest dropped), like cloess's SVD of the equilibrated design for near-singular windows.
 */
function solveIntercept(moments: Float64Array, rhs: Float64Array, k: number): number {
  const c = Array.from({ length: k }, (_, i) => Math.sqrt(moments[2 * i]) || 1);
  const A = Array.from(
    { length: k },
    (_, i) => Array.from({ length: k }, (_, j) => moments[i + j] / (c[i] * c[j])),
  );
  const V = Array.from(
    { length: k },
    (_, i) => Array.from({ length: k }, (_, j): number => (i === j ? 1 : 0)),
  );
  // cyclic Jacobi rotations: exact enough and tiny for k <= 3
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let r = p + 1; r < k; r++) off += A[p][r] * A[p][r];
    if (off < 1e-30) break;
    for (let p = 0; p < k; p++) {
      for (let r = p + 1; r < k; r++) {
        if (A[p][r] === 0) continue;
        const theta = (A[r][r] - A[p][p]) / (2 * A[p][r]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1), sn = t * cs;
        for (let m = 0; m < k; m++) {
          const ap = A[m][p], ar = A[m][r];
          A[m][p] = cs * ap - sn * ar;
          A[m][r] = sn * ap + cs * ar;
        }
        for (let m = 0; m < k; m++) {
          const ap = A[p][m], ar = A[r][m];
          A[p][m] = cs * ap - sn * ar;
          A[r][m] = sn * ap + cs * ar;
        }
        for (let m = 0; m < k; m++) {
          const vp = V[m][p], vr = V[m][r];
          V[m][p] = cs * vp - sn * vr;
          V[m][r] = sn * vp + cs * vr;
        }
      }
    }
  }
  const lambdaMax = Math.max(...A.map((row, i) => row[i]));
  let intercept = 0;
  for (let e = 0; e < k; e++) {
    const lambda = A[e][e];
    if (!(lambda > lambdaMax * 1e-12)) continue;
    let proj = 0;
    for (let i = 0; i < k; i++) proj += V[i][e] * (rhs[i] / c[i]);
    intercept += (V[0][e] * proj) / lambda;
  }
  return intercept / c[0];
}
