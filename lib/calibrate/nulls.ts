/**
 * Artificial null genes (recall, docs/methods.md §3.1-3.2): one twin per real gene drawn from a
 * zero-inflated Poisson (default) or negative binomial fitted to that gene's raw counts. A twin
 * matches its gene's marginal distribution but carries no signal: it ignores labels and every
 * other gene.
 * @module
 */
import { Dataset, type ExpressionMatrix, type VarFields } from "../data/dataset.ts";
import { checkCounts, geneStats } from "../data/stats.ts";
import { isNullGene, NULL_SUFFIX } from "../data/twins.ts";
import { DataValueError, OptionError } from "../runtime/errors.ts";
import lgamma from "@stdlib/math-base-special-gammaln";
import { Rng } from "../runtime/rng.ts";

/** Which fallback a gene's fit took ("none" = the plain estimate); counted by {@link nullGenes}. */
export type NullGuard = "none" | "all_zero" | "unit_counts" | "pi_negative" | "poisson";

/** Every guard, in a fixed order. */
export const NULL_GUARDS: readonly NullGuard[] = [
  "none",
  "all_zero",
  "unit_counts",
  "pi_negative",
  "poisson",
];

/** A zero-inflated Poisson: 0 with probability `pi`, else Poisson(`lambda`) (all-zero: 0, 1). */
export interface ZipFit {
  lambda: number;
  /** Zero-inflation probability used for sampling (clamped to >= 0). */
  pi: number;
  /** The unclamped estimate 1 - mean / lambda (differs from `pi` only under "pi_negative"). */
  piRaw: number;
  guard: NullGuard;
}

/** A negative binomial with mean `mu` and size (inverse dispersion) `size`. */
export interface NbFit {
  mu: number;
  /** Infinity = the Poisson(mu) fallback. */
  size: number;
  guard: NullGuard;
}

const INV_E = Math.exp(-1);

/**
 * The principal branch W0 of the Lambert W function (w e^w = z, w >= -1) for z >= -1/e, by
 * Halley iteration; near the branch point it starts from the series -1 + p - p^2/3 + 11p^3/72,
 * p = sqrt(2(e z + 1)).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lambertW0 } from "./nulls.ts";
 * assert.ok(Math.abs(lambertW0(1) - 0.5671432904097838) < 1e-15);
 * assert.equal(lambertW0(-Math.exp(-1)), -1);
 * ```
 */
export function lambertW0(z: number): number {
  if (!Number.isFinite(z) || z < -INV_E * (1 + 1e-15)) {
    throw new DataValueError(`lambertW0 needs a finite z >= -1/e, got ${z}`, {
      field: "z",
      fix: "pass a finite number >= -0.36787944117144233",
    });
  }
  if (z === 0) return 0;
  const q = Math.E * z + 1;
  if (q <= 0) return -1;
  let w: number;
  if (q < 0.5) {
    const p = Math.sqrt(2 * q);
    w = -1 + p - p * p / 3 + 11 * p * p * p / 72;
  } else if (z < 3) {
    w = Math.log1p(z);
  } else {
    const l = Math.log(z);
    w = l - Math.log(l);
  }
  for (let iter = 0; iter < 60; iter++) {
    const ew = Math.exp(w), f = w * ew - z;
    if (f === 0 || w === -1) break;
    const step = f / (ew * (w + 1) - (w + 2) * f / (2 * w + 2));
    w -= step;
    if (Math.abs(step) <= 1e-15 * (1 + Math.abs(w))) break;
  }
  if (!Number.isFinite(w)) {
    throw new DataValueError(`lambertW0(${z}) did not converge`, {
      field: "z",
      fix: "report this input; W0 is defined for every finite z >= -1/e",
    });
  }
  return w;
}

/** Count summary of one gene: cells, sum of counts, cells at zero. */
function zipFromSummary(n: number, sum: number, nZero: number): ZipFit {
  if (sum === 0) return { lambda: 0, pi: 1, piRaw: 1, guard: "all_zero" };
  const mean = sum / n, gamma = mean / (1 - nZero / n);
  // all non-zero counts equal 1: W's argument sits at the branch point, lambda -> 0
  if (gamma <= 1 + 1e-12) return { lambda: mean, pi: 0, piRaw: 0, guard: "unit_counts" };
  const lambda = lambertW0(-gamma * Math.exp(-gamma)) + gamma;
  const piRaw = 1 - mean / lambda;
  // fewer zeros than a Poisson predicts: R then samples Poisson(lambda); keep lambda for parity
  if (piRaw < 0) return { lambda, pi: 0, piRaw, guard: "pi_negative" };
  return { lambda, pi: piRaw, piRaw, guard: "none" };
}

function checkVector(counts: ArrayLike<number>, what: string): void {
  if (counts.length === 0) {
    throw new OptionError(`${what} needs at least one count`, {
      field: "counts",
      fix: "pass one gene's counts over at least one cell",
    });
  }
  for (let i = 0; i < counts.length; i++) {
    const v = counts[i];
    if (!(v >= 0 && v < Infinity) || v !== Math.floor(v)) {
      throw new DataValueError(`${what} needs raw counts, but entry ${i} is ${v}`, {
        field: "counts",
        fix: "pass non-negative integer counts, not normalised or log values",
      });
    }
  }
}

/**
 * Fit a zero-inflated Poisson to one gene's raw counts (docs/methods.md §3.1): gamma = mean of the
 * non-zero counts, lambda = W0(-gamma e^-gamma) + gamma, pi = 1 - mean / lambda, with the guards
 * all_zero, unit_counts (Poisson(mean)) and pi_negative (pi clamped to 0, lambda kept).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitZip } from "./nulls.ts";
 * const fit = fitZip([0, 0, 0, 0, 1, 2, 3, 0, 5, 2]);
 * assert.ok(Math.abs(fit.lambda - 2.35271) < 1e-5);
 * assert.ok(Math.abs(fit.pi - 0.44745) < 1e-5);
 * ```
 */
export function fitZip(counts: ArrayLike<number>): ZipFit {
  checkVector(counts, "fitZip");
  let sum = 0, nZero = 0;
  for (let i = 0; i < counts.length; i++) {
    sum += counts[i];
    if (counts[i] === 0) nZero++;
  }
  return zipFromSummary(counts.length, sum, nZero);
}

/**
 * Brent's minimisation of f on [a, b] (golden section with parabolic steps); f unimodal there.
 * Returns the minimiser to about `tol` relative.
 */
function brentMinimize(f: (x: number) => number, a: number, b: number, tol = 1e-10): number {
  const golden = 0.3819660112501051, tiny = 1e-12;
  let x = a + golden * (b - a), w = x, v = x;
  let fx = f(x), fw = fx, fv = fx, d = 0, e = 0;
  for (let iter = 0; iter < 200; iter++) {
    const m = 0.5 * (a + b), tol1 = tol * Math.abs(x) + tiny, tol2 = 2 * tol1;
    if (Math.abs(x - m) <= tol2 - 0.5 * (b - a)) break;
    let parabolic = false;
    if (Math.abs(e) > tol1) {
      const r = (x - w) * (fx - fv);
      let q = (x - v) * (fx - fw), p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      q = Math.abs(q);
      const eOld = e;
      e = d;
      if (Math.abs(p) < Math.abs(0.5 * q * eOld) && p > q * (a - x) && p < q * (b - x)) {
        d = p / q;
        const u = x + d;
        if (u - a < tol2 || b - u < tol2) d = m >= x ? tol1 : -tol1;
        parabolic = true;
      }
    }
    if (!parabolic) {
      e = (x >= m ? a : b) - x;
      d = golden * e;
    }
    const u = x + (Math.abs(d) >= tol1 ? d : d >= 0 ? tol1 : -tol1), fu = f(u);
    if (fu <= fx) {
      if (u >= x) a = x;
      else b = x;
      [v, fv, w, fw, x, fx] = [w, fw, x, fx, u, fu];
    } else {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w === x) [v, fv, w, fw] = [w, fw, u, fu];
      else if (fu <= fv || v === x || v === w) [v, fv] = [u, fu];
    }
  }
  return x;
}

/** ln Γ(v + r) - ln Γ(r): a sum of logs for small v, which stays accurate for huge r. */
function lgammaRatio(v: number, r: number): number {
  if (v > 32) return lgamma(v + r) - lgamma(r);
  let s = 0;
  for (let k = 0; k < v; k++) s += Math.log(r + k);
  return s;
}

/** NB fit from n cells, the sum and sum of squares, and the histogram of non-zero counts. */
function nbFromSummary(
  n: number,
  sum: number,
  sumSquares: number,
  values: Float64Array,
  multiplicity: Float64Array,
): NbFit {
  if (sum === 0) return { mu: 0, size: Infinity, guard: "all_zero" };
  const mu = sum / n, s2 = n > 1 ? (sumSquares - n * mu * mu) / (n - 1) : 0;
  if (!(s2 > mu)) return { mu, size: Infinity, guard: "poisson" };
  const r0 = mu * mu / (s2 - mu);
  // minus the log-likelihood in ln r without the ln Γ(x + 1) constant; unimodal when s2 > mu
  const negLogLik = (t: number): number => {
    const r = Math.exp(t);
    let ll = -n * r * Math.log1p(mu / r) + sum * (Math.log(mu) - Math.log(r + mu));
    for (let k = 0; k < values.length; k++) ll += multiplicity[k] * lgammaRatio(values[k], r);
    return -ll;
  };
  const lo = Math.min(Math.log(r0), 0) - 12, hi = Math.max(Math.log(r0), Math.log(1e8)) + 3;
  const size = Math.exp(brentMinimize(negLogLik, lo, hi));
  if (size > 1e8) return { mu, size: Infinity, guard: "poisson" };
  return { mu, size, guard: "none" };
}

/** Distinct values of `sorted` (ascending) and how often each occurs. */
function histogram(
  sorted: ArrayLike<number>,
): { values: Float64Array; multiplicity: Float64Array } {
  const values: number[] = [], multiplicity: number[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    values.push(sorted[i]);
    multiplicity.push(j - i);
    i = j;
  }
  return { values: Float64Array.from(values), multiplicity: Float64Array.from(multiplicity) };
}

/**
 * Fit a negative binomial to one gene's raw counts (docs/methods.md §3.2): mu = the mean, size = the
 * maximum-likelihood r by Brent's method on ln r (started around mean^2 / (var - mean)); Poisson
 * fallback (size Infinity, guard "poisson") when var <= mean or r > 1e8.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitNegBinomial } from "./nulls.ts";
 * const fit = fitNegBinomial([0, 0, 1, 5, 0, 9, 2, 0, 0, 14]);
 * assert.equal(fit.mu, 3.1);
 * assert.ok(fit.size > 0.2);
 * assert.ok(fit.size < 1);
 * assert.equal(fit.guard, "none");
 * assert.equal(fitNegBinomial([1, 2, 1, 2]).guard, "poisson");
 * ```
 */
export function fitNegBinomial(counts: ArrayLike<number>): NbFit {
  checkVector(counts, "fitNegBinomial");
  let sum = 0, sumSquares = 0;
  const nonzero: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    sum += counts[i];
    sumSquares += counts[i] * counts[i];
    if (counts[i] > 0) nonzero.push(counts[i]);
  }
  const { values, multiplicity } = histogram(Float64Array.from(nonzero).sort());
  return nbFromSummary(counts.length, sum, sumSquares, values, multiplicity);
}

/** How to draw one gene's null: P(count > 0) and a draw conditioned on count > 0. */
interface PositiveSampler {
  pNonzero: number;
  draw: (rng: Rng) => number;
}

function zipSampler(fit: ZipFit): PositiveSampler {
  const lambda = fit.lambda;
  return {
    pNonzero: lambda > 0 ? (1 - fit.pi) * -Math.expm1(-lambda) : 0,
    draw: (rng) => {
      let k = 0;
      while (k === 0) k = rng.poisson(lambda);
      return k;
    },
  };
}

function nbSampler(fit: NbFit): PositiveSampler {
  const { mu, size } = fit;
  // Poisson fallback and all-zero genes (mu = 0: never non-zero)
  if (size === Infinity) return zipSampler({ lambda: mu, pi: 0, piRaw: 0, guard: fit.guard });
  return {
    pNonzero: -Math.expm1(-size * Math.log1p(mu / size)),
    draw: (rng) => {
      let k = 0;
      while (k === 0) k = rng.negativeBinomial(mu, size);
      return k;
    },
  };
}

/**
 * Draw n independent values from a sampler as (cell, value) pairs of the non-zeros, in cell
 * order: geometric gaps between non-zero cells, then a zero-truncated draw for each, so the cost
 * follows the non-zeros rather than n.
 */
function drawColumn(
  s: PositiveSampler,
  n: number,
  rng: Rng,
): { cells: Int32Array; values: Float32Array } {
  if (!(s.pNonzero > 0)) return { cells: new Int32Array(0), values: new Float32Array(0) };
  const cells: number[] = [], values: number[] = [];
  const logMiss = Math.log1p(-s.pNonzero);
  for (let i = -1;;) {
    i += 1 + (logMiss === -Infinity ? 0 : Math.floor(Math.log(rng.uniformOpen()) / logMiss));
    if (i >= n) break;
    cells.push(i);
    values.push(s.draw(rng));
  }
  return { cells: Int32Array.from(cells), values: Float32Array.from(values) };
}

/** One draw per cell at the fitted law with its mean times `scale[i]` (zero inflation kept). */
function drawScaledColumn(
  fit: ZipFit | NbFit,
  scale: ArrayLike<number>,
  rng: Rng,
): { cells: Int32Array; values: Float32Array } {
  const cells: number[] = [], values: number[] = [];
  for (let i = 0; i < scale.length; i++) {
    let k: number;
    if ("lambda" in fit) k = rng.uniform() < fit.pi ? 0 : rng.poisson(fit.lambda * scale[i]);
    else if (fit.size === Infinity) k = rng.poisson(fit.mu * scale[i]);
    else k = rng.negativeBinomial(fit.mu * scale[i], fit.size);
    if (k > 0) {
      cells.push(i);
      values.push(k);
    }
  }
  return { cells: Int32Array.from(cells), values: Float32Array.from(values) };
}

/** Options of {@link nullGenes}. */
export interface NullGenesOptions {
  /** "zip" (default, recall's default) or "nb" (negative binomial). */
  method?: "zip" | "nb";
  /** Seed of the draws (default 0); each gene's stream is forked by its name. */
  seed?: number;
  /** Appended to a gene's name to name its twin (default "__null"). */
  suffix?: string;
  /**
   * Per-cell multipliers of the twin's rate (mean about 1), e.g. each cell's real library size
   * over the mean. The twins then scale with sequencing depth as real genes do, so after library
   * normalisation they carry no cell-type signal through depth differences (default: none, the
   * unscaled draws of recall). The fit itself is unchanged.
   */
  libraryScale?: ArrayLike<number>;
  /**
   * The genes to twin, by name (default: every gene); their twins come after all of the
   * dataset's genes, in this order.
   */
  genes?: string[];
}

/** What {@link nullGenes} returns. */
export interface NullGenesResult {
  /** The real genes (values unchanged) followed by one null twin per twinned gene, obs copied. */
  dataset: Dataset;
  /** The twin's name for each twinned gene, in that order. */
  nullOf: string[];
  /** How many genes each fit guard fired for. */
  guards: Record<NullGuard, number>;
}

/** Per gene, the sorted non-zero counts (a column-wise copy of the stored non-zeros). */
function columns(ds: Dataset, nPositive: Int32Array): { ptr: Int32Array; values: Float64Array } {
  const g = ds.nGenes, ptr = new Int32Array(g + 1);
  for (let j = 0; j < g; j++) ptr[j + 1] = ptr[j] + nPositive[j];
  const values = new Float64Array(ptr[g]), at = ptr.slice(0, g);
  if (ds.X.kind === "csr") {
    const { indptr, indices, values: v } = ds.X;
    for (let p = indptr[0]; p < indptr[ds.nCells]; p++) {
      if (v[p] > 0) values[at[indices[p]]++] = v[p];
    }
  } else {
    const data = ds.X.data;
    for (let p = 0; p < data.length; p++) if (data[p] > 0) values[at[p % g]++] = data[p];
  }
  for (let j = 0; j < g; j++) values.subarray(ptr[j], ptr[j + 1]).sort();
  return { ptr, values };
}

/**
 * Append one artificial null gene per gene of `ds`, or of `options.genes` only (recall,
 * docs/methods.md §3.1-3.2), drawn from a ZIP (default) or negative binomial fitted to the gene's raw
 * counts; the real values are kept as they are. CSR input gives CSR output. Raw integer counts
 * of the twinned genes are required (DataValueError otherwise); a dataset that already holds
 * genes with the suffix is refused (OptionError).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, nullGenes } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([0, 3, 1, 0, 2, 5]), 3, 2, ["A", "B"]);
 * const { dataset, nullOf } = nullGenes(ds, { seed: 1 });
 * assert.equal(dataset.genes.join(), "A,B,A__null,B__null");
 * assert.equal(nullOf[1], "B__null");
 * assert.equal(nullGenes(ds, { genes: ["B"] }).dataset.genes.join(), "A,B,B__null");
 * ```
 */
export function nullGenes(ds: Dataset, options: NullGenesOptions = {}): NullGenesResult {
  const method = options.method ?? "zip", seed = options.seed ?? 0;
  const suffix = options.suffix ?? NULL_SUFFIX;
  if (method !== "zip" && method !== "nb") {
    throw new OptionError(`unknown null method '${method}'`, {
      field: "method",
      fix: 'use "zip" or "nb"',
    });
  }
  if (suffix === "") {
    throw new OptionError("the null suffix is empty", {
      field: "suffix",
      fix: 'pass a non-empty suffix such as "__null"',
    });
  }
  const already = ds.genes.find((name) => isNullGene(name, suffix));
  if (already !== undefined) {
    throw new OptionError(`gene '${already}' already ends with the null suffix '${suffix}'`, {
      field: "suffix",
      fix: "pass the real genes only, or choose another suffix",
    });
  }
  const src = options.genes ? ds.selectGenes(options.genes) : ds;
  checkCounts(src, "drawing null genes", { integers: true });
  const n = ds.nCells, g = src.nGenes, scale = options.libraryScale;
  if (scale && (scale.length !== n || Array.from(scale).some((v) => !(v >= 0 && v < Infinity)))) {
    throw new OptionError(
      `libraryScale must hold one finite multiplier >= 0 per cell (${n} cells), got ${scale.length} values`,
      { field: "libraryScale", fix: "pass each cell's library size divided by the mean size" },
    );
  }
  const stats = geneStats(src);
  const cols = method === "nb" ? columns(src, stats.nPositive) : null;
  const guards = Object.fromEntries(NULL_GUARDS.map((k) => [k, 0])) as Record<NullGuard, number>;
  const root = new Rng(seed).fork("nullGenes");
  const drawn: { cells: Int32Array; values: Float32Array }[] = [];
  for (let j = 0; j < g; j++) {
    let sampler: PositiveSampler, fit: ZipFit | NbFit;
    if (cols) {
      const { values, multiplicity } = histogram(
        cols.values.subarray(cols.ptr[j], cols.ptr[j + 1]),
      );
      fit = nbFromSummary(
        n,
        stats.sums[j],
        sumOfSquares(values, multiplicity),
        values,
        multiplicity,
      );
      guards[fit.guard]++;
      sampler = nbSampler(fit);
    } else {
      fit = zipFromSummary(n, stats.sums[j], n - stats.nPositive[j]);
      guards[fit.guard]++;
      sampler = zipSampler(fit);
    }
    const rng = root.fork(src.genes[j]);
    drawn.push(scale ? drawScaledColumn(fit, scale, rng) : drawColumn(sampler, n, rng));
  }
  const nullOf = src.genes.map((name) => name + suffix);
  const X = appendColumns(ds, drawn);
  const vars = Object.fromEntries(
    Object.entries(ds.var).map((
      [k, v],
    ) => [k, k === "gene" ? [...v, ...nullOf] : [...v, ...nullOf.map(() => null)]]),
  ) as VarFields;
  const dataset = new Dataset({
    X,
    var: vars,
    obs: { ...ds.obsColumns },
    obsIndex: ds.obsIndex,
    uns: { ...ds.uns, nullGenes: { method, seed, suffix, guards, libraryScaled: !!scale } },
  });
  return { dataset, nullOf, guards };
}

function sumOfSquares(values: Float64Array, multiplicity: Float64Array): number {
  let s = 0;
  for (let k = 0; k < values.length; k++) s += multiplicity[k] * values[k] * values[k];
  return s;
}

/** ds's matrix with one extra column per drawn gene (column g + j holds drawn[j]). */
function appendColumns(
  ds: Dataset,
  drawn: { cells: Int32Array; values: Float32Array }[],
): ExpressionMatrix {
  const n = ds.nCells, g = ds.nGenes, width = g + drawn.length;
  if (ds.X.kind === "dense") {
    const src = ds.X.data, data = new Float32Array(n * width);
    for (let i = 0; i < n; i++) data.set(src.subarray(i * g, (i + 1) * g), i * width);
    drawn.forEach(({ cells, values }, j) => {
      for (let k = 0; k < cells.length; k++) data[cells[k] * width + g + j] = values[k];
    });
    return { kind: "dense", nRows: n, nCols: width, data };
  }
  const { indptr, indices, values } = ds.X;
  const count = new Int32Array(n);
  for (const d of drawn) for (let k = 0; k < d.cells.length; k++) count[d.cells[k]]++;
  const ptr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) ptr[i + 1] = ptr[i] + indptr[i + 1] - indptr[i] + count[i];
  const outIdx = new Int32Array(ptr[n]), outVal = new Float32Array(ptr[n]);
  const at = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = indptr[i], b = indptr[i + 1];
    outIdx.set(indices.subarray(a, b), ptr[i]);
    outVal.set(values.subarray(a, b), ptr[i]);
    at[i] = ptr[i] + b - a;
  }
  // genes in ascending order, so each row's null indices come out sorted
  drawn.forEach(({ cells, values: v }, j) => {
    for (let k = 0; k < cells.length; k++) {
      const q = at[cells[k]]++;
      outIdx[q] = g + j;
      outVal[q] = v[k];
    }
  });
  return { kind: "csr", nRows: n, nCols: width, indptr: ptr, indices: outIdx, values: outVal };
}
