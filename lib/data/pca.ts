/**
 * Principal component analysis of a dense [cells x genes] matrix: exact (covariance
 * eigen-decomposition) for up to {@link EXACT_MAX_COLUMNS} columns, randomized subspace iteration
 * (Halko et al. 2011, as scikit-learn's `randomized_svd`) above, so 50 PCs of a few thousand genes
 * take seconds (the products run on the current tfjs backend: `initBackend()` first, or they
 * fall to tfjs's slow cpu kernels).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";
import { symmetricEigen } from "./_linalg.ts";

/** Options of {@link pca}. */
export interface PcaOptions {
  /** Components to keep [50], clipped to min(n, d). */
  nComponents?: number;
  /** Seed of the random test matrix (randomized path only) [0]. */
  seed?: number;
  /** Centre the columns [true]; false projects the raw values (e.g. already centred data). */
  center?: boolean;
  /** Power iterations of the randomized path [4]. */
  iterations?: number;
}

/** Result of {@link pca}. */
export interface PcaResult {
  /** [n x nComponents] row-major: each cell's coordinates on the components. */
  coords: Float32Array;
  /** [nComponents x d] row-major unit loadings, the largest-|loading| entry of each positive. */
  components: Float32Array;
  /** Variance along each component (n - 1 divisor), descending. */
  variance: Float64Array;
  /** Each component's share of the total variance. */
  explainedVarianceRatio: Float64Array;
  nComponents: number;
  /** Column means that were subtracted (zeros when `center` is false). */
  means: Float64Array;
}

/** Up to this many columns the d x d covariance is diagonalised exactly. */
export const EXACT_MAX_COLUMNS = 256;
/** Extra random directions of the randomized path (scikit-learn's default). */
const OVERSAMPLES = 10;

/**
 * PCA of the rows of `x` ([n x d] row-major). Deterministic for a seed; exact when d is at most
 * {@link EXACT_MAX_COLUMNS} or when nComponents + 10 covers min(n, d).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pca } from "yoto";
 * // points on the line y = 2x: PC1 is (1, 2)/sqrt(5) and carries all the variance
 * const r = pca(Float32Array.of(0, 0, 1, 2, 2, 4, 3, 6), 4, 2, { nComponents: 1 });
 * assert.ok(Math.abs(r.components[1] - 2 / Math.sqrt(5)) < 1e-6);
 * assert.ok(Math.abs(r.explainedVarianceRatio[0] - 1) < 1e-9);
 * ```
 */
export function pca(
  x: ArrayLike<number>,
  n: number,
  d: number,
  options: PcaOptions = {},
): PcaResult {
  const r = pcaFloat64(x, n, d, options);
  return { ...r, coords: Float32Array.from(r.coords), components: Float32Array.from(r.components) };
}

/** {@link pca} in double precision throughout (for exact small problems and their tests). */
export function pcaFloat64(
  x: ArrayLike<number>,
  n: number,
  d: number,
  options: PcaOptions = {},
): Omit<PcaResult, "coords" | "components"> & { coords: Float64Array; components: Float64Array } {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 2 || d < 1 || x.length !== n * d) {
    throw new ShapeMismatchError(`${x.length} values do not make ${n} cells x ${d} genes`, {
      field: "x",
      fix: "pass row-major [cells x genes] values with n >= 2 cells",
    });
  }
  const requested = options.nComponents ?? 50;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new OptionError(`nComponents must be a positive integer, got ${requested}`, {
      field: "nComponents",
    });
  }
  const c = Math.min(requested, n, d);
  const means = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      if (!Number.isFinite(v)) {
        throw new DataValueError(`cell ${i}, column ${j} holds ${v}`, {
          field: "x",
          fix: "remove or impute non-finite values first",
        });
      }
      means[j] += v;
    }
  }
  for (let j = 0; j < d; j++) means[j] = options.center ?? true ? means[j] / n : 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) total += (x[i * d + j] - means[j]) ** 2;
  }
  total /= n - 1;
  if (!(total > 0)) {
    throw new DataValueError("every column is constant: there is no variance to project", {
      field: "x",
      fix: "check that the genes are expressed in these cells",
    });
  }
  const width = Math.min(c + OVERSAMPLES, n, d);
  const { vectors, values, coords: projected } = d <= EXACT_MAX_COLUMNS || width === d
    ? exactComponents(x, n, d, means)
    : randomizedComponents(x, n, d, means, width, c, options);
  const components = new Float64Array(c * d);
  const variance = new Float64Array(c), signs = new Int8Array(c);
  for (let k = 0; k < c; k++) {
    let big = 0;
    for (let j = 1; j < d; j++) {
      if (Math.abs(vectors[k * d + j]) > Math.abs(vectors[k * d + big])) big = j;
    }
    const sign = signs[k] = vectors[k * d + big] < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[k * d + j] = sign * vectors[k * d + j];
    variance[k] = Math.max(0, values[k]);
  }
  const coords = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) {
      let s = 0;
      if (projected) s = projected[i * c + k];
      else for (let j = 0; j < d; j++) s += (x[i * d + j] - means[j]) * components[k * d + j];
      // The sign flip of the component applies to its coordinates too.
      coords[i * c + k] = projected ? s * signs[k] : s;
    }
  }
  return {
    coords,
    components,
    variance,
    explainedVarianceRatio: variance.map((v) => v / total),
    nComponents: c,
    means,
  };
}

/** Top eigenpairs of the covariance, as [rank x d] row-major unit vectors, descending. */
interface Eigenpairs {
  vectors: Float64Array;
  values: Float64Array;
  /** [n x rank] projections when the method has them cheaply. */
  coords?: Float64Array;
}

function exactComponents(
  x: ArrayLike<number>,
  n: number,
  d: number,
  means: Float64Array,
): Eigenpairs {
  const cov = new Float64Array(d * d), row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j] - means[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= n - 1;
  }
  const eig = symmetricEigen(cov, d);
  const order = descending(eig.values);
  const vectors = new Float64Array(d * d);
  order.forEach((col, k) => {
    for (let j = 0; j < d; j++) vectors[k * d + j] = eig.vectors[j * d + col];
  });
  return { vectors, values: Float64Array.from(order, (col) => eig.values[col]) };
}

/**
 * Randomized subspace iteration on the centred matrix (never formed): Q spans X̃ Ω after power
 * iterations; the eigenvectors of (X̃ᵀQ)ᵀ(X̃ᵀQ) give the components (Rayleigh-Ritz).
 */
function randomizedComponents(
  x: ArrayLike<number>,
  n: number,
  d: number,
  means: Float64Array,
  width: number,
  c: number,
  options: PcaOptions,
): Eigenpairs {
  const iterations = options.iterations ?? 4;
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new OptionError(`iterations must be a non-negative integer, got ${iterations}`, {
      field: "iterations",
    });
  }
  const rng = new Rng(options.seed ?? 0);
  const omega = Float64Array.from({ length: d * width }, () => rng.normal());
  // The products run as float32 tfjs matMuls (SIMD on wasm, ~50x a JS loop); the centring is a
  // rank-one correction, so the centred matrix is never formed.
  let q: Float64Array = new Float64Array(0), t = q;
  tf.tidy(() => {
    const xs = tf.tensor2d(Float32Array.from(x), [n, d]);
    const xsT = xs.transpose();
    const mu = tf.tensor2d(Float32Array.from(means), [1, d]);
    const ones = tf.ones([n, 1]);
    /** (X - 1 μᵀ) M: [n x w] */
    const times = (m: Float64Array) => {
      const mt = tf.tensor2d(Float32Array.from(m), [d, width]);
      return Float64Array.from(xs.matMul(mt).sub(mu.matMul(mt)).dataSync());
    };
    /** (X - 1 μᵀ)ᵀ Q: [d x w] */
    const transposeTimes = (q: Float64Array) => {
      const qt = tf.tensor2d(Float32Array.from(q), [n, width]);
      const colSums = ones.transpose().matMul(qt);
      return Float64Array.from(xsT.matMul(qt).sub(mu.transpose().matMul(colSums)).dataSync());
    };
    q = orthonormalize(times(omega), n, width);
    for (let it = 0; it < iterations; it++) {
      q = orthonormalize(times(orthonormalize(transposeTimes(q), d, width)), n, width);
    }
    t = transposeTimes(q); // X̃ᵀQ, d x width
  });
  const gram = new Float64Array(width * width);
  for (let j = 0; j < d; j++) {
    for (let a = 0; a < width; a++) {
      const ta = t[j * width + a];
      for (let b = a; b < width; b++) gram[a * width + b] += ta * t[j * width + b];
    }
  }
  for (let a = 0; a < width; a++) {
    for (let b = a + 1; b < width; b++) gram[b * width + a] = gram[a * width + b];
  }
  const eig = symmetricEigen(gram, width);
  const order = descending(eig.values).slice(0, c);
  const vectors = new Float64Array(c * d);
  const coords = new Float64Array(n * c);
  order.forEach((col, k) => {
    // v = X̃ᵀQ u / s and X̃ v = Q u s, with s² the eigenvalue of the Gram matrix.
    const s = Math.sqrt(Math.max(eig.values[col], 1e-300));
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let a = 0; a < width; a++) v += t[j * width + a] * eig.vectors[a * width + col];
      vectors[k * d + j] = v / s;
    }
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let a = 0; a < width; a++) v += q[i * width + a] * eig.vectors[a * width + col];
      coords[i * c + k] = v * s;
    }
  });
  return {
    vectors,
    values: Float64Array.from(order, (col) => eig.values[col] / (n - 1)),
    coords,
  };
}

/** Indices of `values` from largest to smallest (ties by index). */
function descending(values: Float64Array): number[] {
  return Array.from(values, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
}

/** Orthonormal columns of a [rows x w] row-major matrix, in place (modified Gram-Schmidt, twice). */
function orthonormalize(a: Float64Array, rows: number, w: number): Float64Array {
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < w; k++) {
      for (let p = 0; p < k; p++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += a[i * w + k] * a[i * w + p];
        for (let i = 0; i < rows; i++) a[i * w + k] -= dot * a[i * w + p];
      }
      let norm = 0;
      for (let i = 0; i < rows; i++) norm += a[i * w + k] ** 2;
      norm = Math.sqrt(norm);
      // A rank-deficient direction stays zero and contributes a zero eigenvalue.
      const inv = norm > 1e-12 ? 1 / norm : 0;
      for (let i = 0; i < rows; i++) a[i * w + k] *= inv;
    }
  }
  return a;
}
