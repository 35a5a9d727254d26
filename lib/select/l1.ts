/**
 * L1-penalised multinomial logistic regression baseline (docs/methods.md §2.4) in plain Float64Arrays:
 * FISTA with backtracking and restarts on a working set of genes grown until the KKT conditions
 * hold over all genes, warm-started along a path of penalties; the penalty is searched until
 * exactly k genes have a non-zero coefficient, and genes rank by I_g = max_c |beta_cg|.
 * @module
 */
import { fitCandidates, fitInput } from "../data/transform.ts";
import { balancedClassWeights, labelledRows } from "../data/stats.ts";
import { classLabels } from "./markers.ts";
import { requireTasks } from "./panel.ts";
import { checkPanelSize, panelSelector, type Selector } from "./panel.ts";

/** A classification problem: x [n x nGenes] row-major, class y[i] in [0, nClasses). */
export interface L1Problem {
  x: ArrayLike<number>;
  n: number;
  nGenes: number;
  y: Int32Array;
  nClasses: number;
  /** Per-cell weights of the cross-entropy, mean 1 (e.g. {@link balancedWeights}) [all 1]. */
  sampleWeights?: Float64Array;
}

/** A solution at one penalty. Objective: mean cross-entropy + lambda * sum |weights|. */
export interface L1Fit {
  lambda: number;
  /** Coefficients [nClasses x nGenes] (class-major, like scikit-learn's coef_). */
  weights: Float64Array;
  /** Unpenalised intercepts, one per class. */
  intercepts: Float64Array;
  /** Gradient of the mean cross-entropy at the solution, [nClasses x nGenes]. */
  gradient: Float64Array;
  /** Objective at the start and after each accepted step (non-increasing). */
  objective: number[];
  iterations: number;
  /** False when a working-set solve hit its iteration limit. */
  converged: boolean;
}

/** Solver settings; defaults in brackets. */
export interface L1SolverOptions {
  /** Stop when L * max |step| (the gradient-mapping norm) is below this [1e-5]. */
  tol?: number;
  /** Iteration limit of each working-set solve [5000]. */
  maxIter?: number;
}

/**
 * Mean (cell-weighted) cross-entropy of logits Z [C x n]; with R, writes
 * sw_i (softmax - onehot) / n into it.
 */
function crossEntropy(
  Z: Float64Array,
  y: Int32Array,
  n: number,
  C: number,
  sw: Float64Array | undefined,
  R?: Float64Array,
): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, Z[c * n + i]);
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(Z[c * n + i] - max);
      sum += e;
      if (R) R[c * n + i] = e;
    }
    const wi = sw ? sw[i] : 1;
    loss += wi * (max + Math.log(sum) - Z[y[i] * n + i]);
    if (R) {
      for (let c = 0; c < C; c++) R[c * n + i] *= wi / (sum * n);
      R[y[i] * n + i] -= wi / n;
    }
  }
  return loss / n;
}

/** Gradient over every gene, x^T R, [C x G], from residuals R [C x n]. */
function fullGradient(p: L1Problem, R: Float64Array): Float64Array {
  const { x, n, nGenes: G, nClasses: C } = p;
  const grad = new Float64Array(C * G);
  for (let i = 0; i < n; i++) {
    const o = i * G;
    for (let c = 0; c < C; c++) {
      const r = R[c * n + i], b = c * G;
      for (let g = 0; g < G; g++) grad[b + g] += r * x[o + g];
    }
  }
  return grad;
}

/** Logits [C x n] of the genes in `genes` (coefficients w [C x genes.length], columns xa). */
function forward(
  xa: Float64Array,
  w: Float64Array,
  b: Float64Array,
  n: number,
  C: number,
  out: Float64Array,
): Float64Array {
  const m = w.length / C;
  for (let c = 0; c < C; c++) {
    const zc = out.subarray(c * n, (c + 1) * n).fill(b[c]);
    for (let a = 0; a < m; a++) {
      const v = w[c * m + a];
      if (v === 0) continue;
      const col = xa.subarray(a * n, (a + 1) * n);
      for (let i = 0; i < n; i++) zc[i] += v * col[i];
    }
  }
  return out;
}

function l1Norm(w: Float64Array): number {
  let s = 0;
  for (const v of w) s += Math.abs(v);
  return s;
}

/**
 * FISTA with backtracking on the genes whose columns are in xa [m x n], from (w, b), updated in
 * place. A step that would raise the objective restarts the momentum instead, so the objective
 * recorded in `state.trace` never increases. Returns the final logits.
 */
function solveWorkingSet(
  xa: Float64Array,
  y: Int32Array,
  n: number,
  C: number,
  sw: Float64Array | undefined,
  lambda: number,
  w: Float64Array,
  b: Float64Array,
  state: { L: number; iterations: number; trace: number[] },
  tol: number,
  maxIter: number,
): { Z: Float64Array; converged: boolean } {
  const m = w.length / C;
  let Zx: Float64Array = forward(xa, w, b, n, C, new Float64Array(C * n));
  let Zn: Float64Array = new Float64Array(C * n);
  const Zy = Zx.slice();
  let wx = w.slice(), bx = b.slice();
  const wy = w.slice(), by = b.slice();
  let wn = new Float64Array(C * m), bn = new Float64Array(C);
  const R = new Float64Array(C * n), gw = new Float64Array(C * m), gb = new Float64Array(C);
  let Fx = crossEntropy(Zx, y, n, C, sw) + lambda * l1Norm(wx);
  if (state.trace.length === 0) state.trace.push(Fx);
  let t = 1, converged = false;
  for (let it = 0; it < maxIter; it++) {
    state.iterations++;
    const fy = crossEntropy(Zy, y, n, C, sw, R);
    for (let c = 0; c < C; c++) {
      const rc = R.subarray(c * n, (c + 1) * n);
      let s = 0;
      for (let i = 0; i < n; i++) s += rc[i];
      gb[c] = s;
      for (let a = 0; a < m; a++) {
        const col = xa.subarray(a * n, (a + 1) * n);
        let d = 0;
        for (let i = 0; i < n; i++) d += col[i] * rc[i];
        gw[c * m + a] = d;
      }
    }
    let fn = 0, step = 0;
    // let the step grow back: the local curvature is often far below the worst case
    state.L *= 0.8;
    for (;;) {
      // proximal step: soft-threshold the weights, plain gradient step on the intercepts
      const thr = lambda / state.L;
      let lin = 0, sq = 0;
      step = 0;
      for (let j = 0; j < C * m; j++) {
        const u = wy[j] - gw[j] / state.L;
        wn[j] = u > thr ? u - thr : u < -thr ? u + thr : 0;
        const d = wn[j] - wy[j];
        lin += gw[j] * d;
        sq += d * d;
        step = Math.max(step, Math.abs(d));
      }
      for (let c = 0; c < C; c++) {
        bn[c] = by[c] - gb[c] / state.L;
        const d = bn[c] - by[c];
        lin += gb[c] * d;
        sq += d * d;
        step = Math.max(step, Math.abs(d));
      }
      fn = crossEntropy(forward(xa, wn, bn, n, C, Zn), y, n, C, sw);
      if (fn <= fy + lin + state.L / 2 * sq + 1e-12 * Math.abs(fy)) break;
      state.L *= 2;
    }
    const Fn = fn + lambda * l1Norm(wn);
    if (Fn > Fx) {
      // from x itself a valid step cannot go up: x is optimal to rounding
      if (t === 1) {
        converged = true;
        break;
      }
      t = 1;
      wy.set(wx);
      by.set(bx);
      Zy.set(Zx);
      continue;
    }
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2, beta = (t - 1) / tNext;
    t = tNext;
    for (let j = 0; j < C * m; j++) wy[j] = wn[j] + beta * (wn[j] - wx[j]);
    for (let c = 0; c < C; c++) by[c] = bn[c] + beta * (bn[c] - bx[c]);
    // logits are linear in the parameters: no pass over the data for the extrapolated point
    for (let j = 0; j < C * n; j++) Zy[j] = Zn[j] + beta * (Zn[j] - Zx[j]);
    [wx, wn] = [wn, wx];
    [bx, bn] = [bn, bx];
    [Zx, Zn] = [Zn, Zx];
    Fx = Fn;
    state.trace.push(Fn);
    if (state.L * step <= tol) {
      converged = true;
      break;
    }
  }
  w.set(wx);
  b.set(bx);
  return { Z: Zx, converged };
}

/**
 * The fit at zero weights with the optimal intercepts (log weighted class frequencies), and lambda_max:
 * the largest |gradient|, above which every weight stays zero.
 */
export function nullFit(p: L1Problem): { fit: L1Fit; lambdaMax: number } {
  const { n, nGenes: G, nClasses: C, y } = p;
  const counts = new Float64Array(C);
  y.forEach((c, i) => counts[c] += p.sampleWeights?.[i] ?? 1);
  const total = counts.reduce((s, v) => s + v, 0);
  const intercepts = counts.map((k) => Math.log(k / total));
  const Z = new Float64Array(C * n);
  for (let c = 0; c < C; c++) Z.fill(intercepts[c], c * n, (c + 1) * n);
  const R = new Float64Array(C * n);
  const loss = crossEntropy(Z, y, n, C, p.sampleWeights, R);
  const gradient = fullGradient(p, R);
  const lambdaMax = gradient.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  return {
    fit: {
      lambda: lambdaMax,
      weights: new Float64Array(C * G),
      intercepts,
      gradient,
      objective: [loss],
      iterations: 0,
      converged: true,
    },
    lambdaMax,
  };
}

/**
 * Minimise mean cross-entropy + lambda * sum |w| (intercepts unpenalised) from `warm` (default
 * the null fit): FISTA on a working set (the non-zero genes and the strongest violators of
 * |gradient| <= lambda), re-checking the gradient over all genes and adding violators until none
 * is left.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitL1Logistic } from "./l1.ts";
 * // gene 0 separates the classes, gene 1 is noise
 * const x = Float32Array.from([-1, 0.3, -2, -0.1, 1, 0.2, 2, -0.4]);
 * const p = { x, n: 4, nGenes: 2, y: Int32Array.from([0, 0, 1, 1]), nClasses: 2 };
 * const fit = fitL1Logistic(p, 0.1);
 * assert.notEqual(fit.weights[0], 0);
 * assert.equal(fit.weights[1], 0);
 * ```
 */
export function fitL1Logistic(
  p: L1Problem,
  lambda: number,
  warm: L1Fit = nullFit(p).fit,
  options: L1SolverOptions = {},
): L1Fit {
  const { x, n, nGenes: G, nClasses: C, y } = p;
  const tol = options.tol ?? 1e-5, maxIter = options.maxIter ?? 5000;
  const weights = warm.weights.slice(), intercepts = warm.intercepts.slice();
  let gradient = warm.gradient;
  const inSet = new Uint8Array(G);
  const active: number[] = [];
  const join = (g: number) => {
    inSet[g] = 1;
    active.push(g);
  };
  for (let g = 0; g < G; g++) {
    for (let c = 0; c < C; c++) {
      if (weights[c * G + g] !== 0) {
        join(g);
        break;
      }
    }
  }
  // Violators of |gradient| <= lambda join the working set strongest first, at most as many as
  // it holds (10 at least): a small set keeps the step size large and each iteration cheap.
  const addViolators = (): number => {
    const score = new Float64Array(G);
    for (let c = 0; c < C; c++) {
      for (let g = 0; g < G; g++) score[g] = Math.max(score[g], Math.abs(gradient[c * G + g]));
    }
    const violators = Array.from({ length: G }, (_, g) => g)
      .filter((g) => !inSet[g] && score[g] > lambda + tol)
      .sort((a, b) => score[b] - score[a] || a - b)
      .slice(0, Math.max(10, active.length));
    violators.forEach(join);
    return violators.length;
  };
  addViolators();
  const state = { L: 1, iterations: 0, trace: [] as number[] };
  let converged = true;
  const R = new Float64Array(C * n);
  for (;;) {
    const m = active.length;
    const xa = new Float64Array(m * n);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < m; a++) xa[a * n + i] = x[i * G + active[a]];
    }
    const w = new Float64Array(C * m);
    for (let c = 0; c < C; c++) {
      for (let a = 0; a < m; a++) w[c * m + a] = weights[c * G + active[a]];
    }
    const solved = solveWorkingSet(
      xa,
      y,
      n,
      C,
      p.sampleWeights,
      lambda,
      w,
      intercepts,
      state,
      tol,
      maxIter,
    );
    converged &&= solved.converged;
    for (let c = 0; c < C; c++) {
      for (let a = 0; a < m; a++) weights[c * G + active[a]] = w[c * m + a];
    }
    crossEntropy(solved.Z, y, n, C, p.sampleWeights, R);
    gradient = fullGradient(p, R);
    if (addViolators() === 0) break;
  }
  return {
    lambda,
    weights,
    intercepts,
    gradient,
    objective: state.trace,
    iterations: state.iterations,
    converged,
  };
}

/**
 * scikit-learn's class_weight="balanced" per cell: n / (classes present * cells of its class),
 * so every class weighs the same in the cross-entropy and the weights average 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { balancedWeights } from "./l1.ts";
 * assert.deepEqual(Array.from(balancedWeights(Int32Array.from([0, 0, 0, 2]), 3)), [
 *   2 / 3, 2 / 3, 2 / 3, 2,
 * ]);
 * ```
 */
export function balancedWeights(y: Int32Array, nClasses: number): Float64Array {
  const perClass = balancedClassWeights(y, nClasses);
  return Float64Array.from(y, (c) => perClass[c]);
}

/** Genes with a non-zero coefficient in any class. */
export function nonZeroGenes(fit: L1Fit, nGenes: number): number {
  let count = 0;
  const C = fit.weights.length / nGenes;
  for (let g = 0; g < nGenes; g++) {
    for (let c = 0; c < C; c++) {
      if (fit.weights[c * nGenes + g] !== 0) {
        count++;
        break;
      }
    }
  }
  return count;
}

/** The outcome of {@link l1Panel}. */
export interface L1PanelResult {
  /** k gene indices, best first by I_g = max_c |beta_cg|. */
  genes: number[];
  scores: number[];
  /** I_g of every gene at the chosen penalty. */
  importance: Float64Array;
  /** The fit at the chosen penalty. */
  fit: L1Fit;
  lambdaMax: number;
  /** Genes non-zero at the chosen penalty. */
  nonZero: number;
  /** Every penalty tried, in order, with its non-zero count. */
  path: { lambda: number; nonZero: number }[];
}

/**
 * Search the penalty for exactly k non-zero genes: halve lambda from lambda_max (warm starts
 * along the path) until at least k genes are non-zero, then bisect log(lambda) between the last
 * two penalties until exactly k (at most `maxBisections` steps). The chosen penalty is the
 * largest tried with >= k non-zero genes (docs/methods.md §2.4's smallest C), and its top k genes by I_g
 * form the panel. Should even the smallest lambda leave fewer than k non-zero, the rest are
 * filled by max_c |gradient| (score 0): the genes closest to entering.
 */
export function l1Panel(
  p: L1Problem,
  k: number,
  options: L1SolverOptions & { maxBisections?: number } = {},
): L1PanelResult {
  const G = p.nGenes;
  const start = nullFit(p);
  const path: { lambda: number; nonZero: number }[] = [];
  let last = start.fit, above = start.fit, below: L1Fit | null = null;
  const solve = (lambda: number) => {
    last = fitL1Logistic(p, lambda, last, options);
    const nonZero = nonZeroGenes(last, G);
    path.push({ lambda, nonZero });
    return nonZero;
  };
  for (let j = 1; j <= 30 && below === null; j++) {
    if (solve(start.lambdaMax * 0.5 ** j) >= k) below = last;
    else above = last;
  }
  let nonZero = path.at(-1)!.nonZero;
  for (let s = 0; below !== null && nonZero !== k && s < (options.maxBisections ?? 30); s++) {
    const count = solve(Math.sqrt(below.lambda * above.lambda));
    if (count >= k) [below, nonZero] = [last, count];
    else above = last;
  }
  const fit = below ?? last;
  nonZero = nonZeroGenes(fit, G);
  const C = p.nClasses;
  const importance = new Float64Array(G), reach = new Float64Array(G);
  for (let c = 0; c < C; c++) {
    for (let g = 0; g < G; g++) {
      importance[g] = Math.max(importance[g], Math.abs(fit.weights[c * G + g]));
      reach[g] = Math.max(reach[g], Math.abs(fit.gradient[c * G + g]));
    }
  }
  const order = Array.from({ length: G }, (_, g) => g).sort((a, b) =>
    importance[b] - importance[a] || reach[b] - reach[a] || a - b
  );
  const genes = order.slice(0, k);
  return {
    genes,
    scores: genes.map((g) => importance[g]),
    importance,
    fit,
    lambdaMax: start.lambdaMax,
    nonZero,
    path,
  };
}

/** Options of {@link l1Selector}; defaults in brackets. */
export interface L1SelectorOptions {
  /**
   * "balanced": each cell weighs n / (classes x cells of its class) in the cross-entropy
   * ({@link balancedWeights}, scikit-learn's class_weight), so rare classes pull genes in
   * earlier along the path ["none"].
   */
  classWeight?: "none" | "balanced";
}

/**
 * The L1 logistic-regression selector on the primary task: "l1", or "l1_balanced" with class
 * weights; scores are I_g. The chosen penalty is in params as `lambda` and as scikit-learn's
 * C = 1 / (lambda * n).
 */
export function l1Selector(l1Options: L1SelectorOptions = {}): Selector {
  const balanced = l1Options.classWeight === "balanced";
  const name = balanced ? "l1_balanced" : "l1";
  return panelSelector(name, "labels", (train, options) => {
    const started = performance.now();
    const tasks = requireTasks(options, name);
    const labels = classLabels(train, tasks[0]);
    const { genes } = fitCandidates(train, options);
    checkPanelSize(options.k, genes.length);
    const { x } = fitInput(train, genes, options);
    const G = genes.length;
    // cells without a label of the primary task take no part
    const { x: xl, y, rows } = labelledRows(x, G, labels.codes);
    const nClasses = labels.classes.length;
    const problem = {
      x: xl,
      n: rows.length,
      nGenes: G,
      y,
      nClasses,
      sampleWeights: balanced ? balancedWeights(y, nClasses) : undefined,
    };
    const result = l1Panel(problem, options.k);
    const notes: string[] = [];
    if (tasks.length > 1) notes.push(`${name} fits the primary task '${tasks[0]}' only`);
    if (result.nonZero > options.k) {
      notes.push(
        `no penalty tried gave exactly k non-zero genes; kept the top ${options.k} of ` +
          `${result.nonZero} by max |coefficient|`,
      );
    } else if (result.nonZero < options.k) {
      notes.push(
        `only ${result.nonZero} genes are non-zero at the smallest penalty tried; the rest ` +
          "are the zero-coefficient genes of largest gradient (score 0)",
      );
    }
    if (!result.fit.converged) notes.push("the solver hit its iteration limit at some penalty");
    const lambda = result.fit.lambda;
    return Promise.resolve({
      method: name,
      k: options.k,
      genes: result.genes.map((g) => genes[g]),
      scores: result.scores,
      candidateScores: Object.fromEntries(genes.map((g, j) => [g, result.importance[j]])),
      params: {
        task: tasks[0],
        classWeight: balanced ? "balanced" : "none",
        lambda,
        C: 1 / (lambda * problem.n),
        lambdaMax: result.lambdaMax,
        nonZero: result.nonZero,
        penaltiesTried: result.path.length,
        candidates: G,
        hvgFlavor: options.hvgFlavor ?? "seurat",
      },
      fitSeconds: (performance.now() - started) / 1000,
      notes,
    });
  });
}
