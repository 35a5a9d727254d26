/**
 * 2-D views of cells: PCA of a panel's values (exact eigen-decomposition of the d x d covariance,
 * meant for panels of up to a few hundred genes).
 * @module
 */
import { DataValueError, OptionError, ShapeMismatchError } from "../runtime/errors.ts";

/** Result of {@link pcaEmbedding}. */
export interface Pca {
  /** [n x dims] row-major: each cell's coordinates on the principal components. */
  coords: Float64Array;
  /** [dims x d] row-major: unit loading vectors, largest-|loading| entry of each positive. */
  components: Float64Array;
  /** Variance along each component (n - 1 divisor). */
  variance: number[];
  /** Each component's share of the total variance. */
  explainedVarianceRatio: number[];
}

/** Above this many columns the O(d^3) eigen-decomposition gets slow; PCA here is for panels. */
const MAX_COLUMNS = 500;

/**
 * PCA of the rows of `x` ([n x d] row-major, e.g. the z-scored panel genes from `applyInput`):
 * columns are centred (not scaled: pass standardised values for a correlation PCA), the
 * covariance is diagonalised by cyclic Jacobi rotations (exact and deterministic: no seed), and
 * each component's sign makes its largest-|loading| entry positive.
 *
 * @example
 * ```ts
 * // points on the line y = 2x: PC1 is (1, 2)/sqrt(5) and carries all the variance
 * const pca = pcaEmbedding(Float32Array.of(0, 0, 1, 2, 2, 4, 3, 6), 4, 2);
 * console.assert(Math.abs(pca.components[1] - 2 / Math.sqrt(5)) < 1e-9);
 * console.assert(Math.abs(pca.explainedVarianceRatio[0] - 1) < 1e-9);
 * ```
 */
export function pcaEmbedding(x: ArrayLike<number>, n: number, d: number, dims = 2): Pca {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 2 || d < 1 || x.length !== n * d) {
    throw new ShapeMismatchError(`${x.length} values do not make ${n} cells x ${d} genes`, {
      field: "x",
      fix: "pass row-major [cells x genes] values with n >= 2 cells",
    });
  }
  if (!Number.isInteger(dims) || dims < 1 || dims > d) {
    throw new OptionError(`dims must be an integer in [1, ${d}], got ${dims}`, { field: "dims" });
  }
  if (d > MAX_COLUMNS) {
    throw new OptionError(`PCA here is for panels: ${d} genes is more than ${MAX_COLUMNS}`, {
      field: "d",
      fix: "select the panel (or the top HVGs) first",
    });
  }
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
  for (let j = 0; j < d; j++) means[j] /= n;
  const cov = new Float64Array(d * d), row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j] - means[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b];
    }
  }
  let total = 0;
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= n - 1;
    total += cov[a * d + a];
  }
  if (!(total > 0)) {
    throw new DataValueError("every column is constant: there is no variance to project", {
      field: "x",
      fix: "check that the genes are expressed in these cells",
    });
  }
  const { values, vectors } = symmetricEigen(cov, d);
  const order = Array.from(values, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, dims);
  const components = new Float64Array(dims * d);
  order.forEach((c, k) => {
    let big = 0;
    for (let j = 0; j < d; j++) {
      if (Math.abs(vectors[j * d + c]) > Math.abs(vectors[big * d + c])) big = j;
    }
    const sign = vectors[big * d + c] < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[k * d + j] = sign * vectors[j * d + c];
  });
  const coords = new Float64Array(n * dims);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dims; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] - means[j]) * components[k * d + j];
      coords[i * dims + k] = s;
    }
  }
  const variance = order.map((c) => Math.max(0, values[c]));
  return { coords, components, variance, explainedVarianceRatio: variance.map((v) => v / total) };
}

/**
 * Eigen-decomposition of a symmetric [d x d] matrix by cyclic Jacobi rotations: eigenvalues and
 * eigenvectors as the columns of `vectors` (row-major). `a` is overwritten.
 */
function symmetricEigen(
  a: Float64Array,
  d: number,
): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  let scale = 0;
  for (let i = 0; i < d * d; i++) scale += a[i] * a[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    if (off <= 1e-30 * scale) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        // Rotation zeroing a[p][q] (Numerical Recipes' jacobi; the smaller angle, for stability).
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let r = 0; r < d; r++) {
          const arp = a[r * d + p], arq = a[r * d + q];
          a[r * d + p] = c * arp - s * arq;
          a[r * d + q] = s * arp + c * arq;
        }
        for (let r = 0; r < d; r++) {
          const apr = a[p * d + r], aqr = a[q * d + r];
          a[p * d + r] = c * apr - s * aqr;
          a[q * d + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < d; r++) {
          const vrp = v[r * d + p], vrq = v[r * d + q];
          v[r * d + p] = c * vrp - s * vrq;
          v[r * d + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: d }, (_, i) => a[i * d + i]), vectors: v };
}
