import { assertClose, assertEquals, assertRejects } from "../_assert.ts";
import { selectPanel } from "../../lib/select/panel.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { MissingFieldError, OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { fitCandidates, fitInput } from "../../lib/data/transform.ts";
import { pythonCan, runPython } from "../data/_fixtures.ts";
import {
  balancedWeights,
  fitL1Logistic,
  l1Panel,
  type L1Problem,
  l1Selector,
  nonZeroGenes,
  nullFit,
} from "../../lib/select/l1.ts";
import { classLabels } from "../../lib/select/markers.ts";

// 300 cells x 25 genes, 3 classes driven by genes 0-5 (plus noise)
const problem: L1Problem = (() => {
  const rng = new Rng(21), n = 300, G = 25, C = 3;
  const x = Float32Array.from({ length: n * G }, () => rng.normal());
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = [0, 1, 2].map((c) => 1.5 * (x[i * G + 2 * c] - x[i * G + 2 * c + 1]) + rng.gumbel());
    y[i] = z.indexOf(Math.max(...z));
  }
  return { x, n, nGenes: G, y, nClasses: C };
})();

/**
 * Gradient of the mean (cell-weighted) cross-entropy (weights [C x G], then intercepts) and the
 * objective.
 */
function brute(p: L1Problem, w: Float64Array, b: Float64Array, lambda: number) {
  const { x, n, nGenes: G, nClasses: C, y } = p;
  const sw = (i: number) => p.sampleWeights?.[i] ?? 1;
  const gw = new Float64Array(C * G), gb = new Float64Array(C);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: C }, (_, c) => {
      let v = b[c];
      for (let g = 0; g < G; g++) v += w[c * G + g] * x[i * G + g];
      return v;
    });
    const norm = z.reduce((s, v) => s + Math.exp(v), 0);
    loss += sw(i) * (Math.log(norm) - z[y[i]]);
    for (let c = 0; c < C; c++) {
      const r = sw(i) * (Math.exp(z[c]) / norm - (c === y[i] ? 1 : 0)) / n;
      gb[c] += r;
      for (let g = 0; g < G; g++) gw[c * G + g] += r * x[i * G + g];
    }
  }
  const objective = loss / n + lambda * w.reduce((s, v) => s + Math.abs(v), 0);
  return { gw, gb, objective };
}

Deno.test("lambda_max: the largest gradient at zero weights; all weights zero above it, not below", () => {
  const { fit, lambdaMax } = nullFit(problem);
  const { gw, gb } = brute(problem, fit.weights, fit.intercepts, 0);
  assertClose(lambdaMax, Math.max(...gw.map(Math.abs)), 1e-12);
  gb.forEach((v) => assertClose(v, 0, 1e-12)); // log class frequencies are optimal
  assertEquals(nonZeroGenes(fitL1Logistic(problem, lambdaMax * 1.001), 25), 0);
  assertEquals(nonZeroGenes(fitL1Logistic(problem, lambdaMax * 0.9), 25) > 0, true);
});

Deno.test("FISTA: the objective never increases, and the KKT conditions hold at the solution", () => {
  const lambda = 0.15 * nullFit(problem).lambdaMax;
  const fit = fitL1Logistic(problem, lambda, undefined, { tol: 1e-7 });
  assertEquals(fit.converged, true);
  const trace = fit.objective;
  for (let s = 1; s < trace.length; s++) assertEquals(trace[s] <= trace[s - 1], true, `step ${s}`);
  const start = nullFit(problem).fit;
  assertClose(trace[0], brute(problem, start.weights, start.intercepts, lambda).objective, 1e-12);
  const { gw, gb, objective } = brute(problem, fit.weights, fit.intercepts, lambda);
  assertClose(trace.at(-1)!, objective, 1e-10);
  assertEquals(objective < trace[0] - 0.05, true);
  gb.forEach((v) => assertClose(v, 0, 1e-6));
  let zeros = 0;
  fit.weights.forEach((w, j) => {
    if (w === 0) {
      zeros++;
      assertEquals(Math.abs(gw[j]) <= lambda + 1e-6, true, `zero weight ${j}: |grad| ${gw[j]}`);
    } else {
      assertClose(gw[j] + lambda * Math.sign(w), 0, 1e-6, `weight ${j}`);
    }
  });
  assertEquals(zeros > 0 && zeros < fit.weights.length, true);
  // the reported gradient is the brute-force one
  fit.gradient.forEach((v, j) => assertClose(v, gw[j], 1e-12));
  // the driving genes 0-5 are the non-zero ones
  const nonZero = Array.from({ length: 25 }, (_, g) => g).filter((g) =>
    [0, 1, 2].some((c) => fit.weights[c * 25 + g] !== 0)
  );
  assertEquals(nonZero.slice(0, 6), [0, 1, 2, 3, 4, 5]);
});

// the problem with four in five cells of class 2 left out: rare enough for class weights to matter
const imbalanced: L1Problem = (() => {
  const { x, nGenes: G, y } = problem;
  const rows = Array.from(y.keys()).filter((i) => y[i] !== 2 || i % 5 === 0);
  return {
    x: Float64Array.from(
      { length: rows.length * G },
      (_, j) => x[rows[Math.floor(j / G)] * G + j % G],
    ),
    n: rows.length,
    nGenes: G,
    y: Int32Array.from(rows, (i) => y[i]),
    nClasses: 3,
  };
})();

Deno.test("balancedWeights: each class sums to n / classes present; the mean is 1", () => {
  const w = balancedWeights(imbalanced.y, 3);
  const sums = [0, 0, 0];
  imbalanced.y.forEach((c, i) => sums[c] += w[i]);
  sums.forEach((v) => assertClose(v, imbalanced.n / 3, 1e-9));
  // a class without cells does not count
  assertEquals(Array.from(balancedWeights(Int32Array.from([0, 2, 2, 2]), 4)), [
    2,
    2 / 3,
    2 / 3,
    2 / 3,
  ]);
});

Deno.test("cell weights: null intercepts optimal and KKT conditions of the weighted objective hold", () => {
  const p = { ...imbalanced, sampleWeights: balancedWeights(imbalanced.y, 3) };
  const { fit, lambdaMax } = nullFit(p);
  const start = brute(p, fit.weights, fit.intercepts, 0);
  start.gb.forEach((v) => assertClose(v, 0, 1e-12));
  assertClose(lambdaMax, Math.max(...start.gw.map(Math.abs)), 1e-12);
  // the weights change the problem: lambda_max differs from the unweighted one
  assertEquals(Math.abs(lambdaMax - nullFit(imbalanced).lambdaMax) > 1e-3, true);
  const lambda = 0.2 * lambdaMax;
  const solved = fitL1Logistic(p, lambda, undefined, { tol: 1e-8 });
  const { gw, gb, objective } = brute(p, solved.weights, solved.intercepts, lambda);
  assertClose(solved.objective.at(-1)!, objective, 1e-10);
  gb.forEach((v) => assertClose(v, 0, 1e-6));
  solved.weights.forEach((w, j) => {
    if (w === 0) assertEquals(Math.abs(gw[j]) <= lambda + 1e-6, true, `zero weight ${j}`);
    else assertClose(gw[j] + lambda * Math.sign(w), 0, 1e-6, `weight ${j}`);
  });
  // unit weights are the unweighted problem, bit for bit
  const ones = { ...imbalanced, sampleWeights: new Float64Array(imbalanced.n).fill(1) };
  assertEquals(fitL1Logistic(ones, lambda).weights, fitL1Logistic(imbalanced, lambda).weights);
});

Deno.test("class weights: a rare class's gene enters first only when the classes are balanced", () => {
  // 120 / 70 / 10 cells; gene c shifts class c alone, gene 3 is noise
  const rng = new Rng(3), sizes = [120, 70, 10], G = 4;
  const y = Int32Array.from(sizes.flatMap((m, c) => new Array(m).fill(c)));
  const n = y.length, x = new Float64Array(n * G);
  y.forEach((c, i) => {
    for (let g = 0; g < G; g++) x[i * G + g] = rng.normal() * 0.3 + (g === c ? 2 : 0);
  });
  const p: L1Problem = { x, n, nGenes: G, y, nClasses: 3 };
  // unweighted, the gradient at the null fit scales with the class's share: the big class wins
  assertEquals(l1Panel(p, 1).genes, [0]);
  assertEquals(l1Panel({ ...p, sampleWeights: balancedWeights(y, 3) }, 1).genes, [2]);
});

Deno.test({
  name:
    "fitL1Logistic matches scikit-learn's L1 LogisticRegression (saga), unweighted and balanced",
  ignore: !pythonCan("import sklearn", "scikit-learn", "the L1 scikit-learn parity test"),
  fn: async () => {
    const { x, n, nGenes: G, y } = imbalanced;
    const cases = [
      { weights: undefined, classWeight: "None" },
      { weights: balancedWeights(y, 3), classWeight: "'balanced'" },
    ];
    for (const { weights, classWeight } of cases) {
      const p = { ...imbalanced, sampleWeights: weights };
      const lambda = 0.15 * nullFit(p).lambdaMax;
      const ours = fitL1Logistic(p, lambda, undefined, { tol: 1e-10, maxIter: 100000 });
      // scikit-learn minimises C * sum of cross-entropies + |coef|_1: C = 1 / (lambda n)
      const code = [
        "import sys, json, numpy as np",
        "from sklearn.linear_model import LogisticRegression",
        "d = json.load(open(sys.argv[1]))",
        "X = np.array(d['x']).reshape(d['n'], d['G'])",
        `m = LogisticRegression(penalty='l1', solver='saga', C=d['C'], class_weight=${classWeight},`,
        "    tol=1e-12, max_iter=200000).fit(X, np.array(d['y']))",
        "print(json.dumps({'coef': m.coef_.ravel().tolist(), 'b': m.intercept_.tolist()}))",
      ].join("\n");
      const input = JSON.stringify({
        x: Array.from(x),
        n,
        G,
        y: Array.from(y),
        C: 1 / (lambda * n),
      });
      const dir = await Deno.makeTempDir();
      try {
        await Deno.writeTextFile(`${dir}/in.json`, input);
        const r = await runPython("-c", code, `${dir}/in.json`);
        assertEquals(r.success, true, r.stderr);
        const ref = JSON.parse(r.stdout) as { coef: number[]; b: number[] };
        ref.coef.forEach((v, j) => {
          assertClose(ours.weights[j], v, 1e-5, `${classWeight} coef ${j}`);
          assertEquals(ours.weights[j] === 0, Math.abs(v) < 1e-8, `${classWeight} support ${j}`);
        });
        // intercepts are unpenalised: equal up to a shared constant
        const centre = (b: ArrayLike<number>) => Array.from(b, (v) => v - (b[0] + b[1] + b[2]) / 3);
        const [a, e] = [centre(ours.intercepts), centre(ref.b)];
        a.forEach((v, c) => assertClose(v, e[c], 1e-5, `${classWeight} intercept ${c}`));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
  },
});

Deno.test("FISTA: a warm start reaches the cold start's solution", () => {
  const { lambdaMax } = nullFit(problem);
  const cold = fitL1Logistic(problem, 0.2 * lambdaMax, undefined, { tol: 1e-8 });
  const warmFrom = fitL1Logistic(problem, 0.5 * lambdaMax);
  const warm = fitL1Logistic(problem, 0.2 * lambdaMax, warmFrom, { tol: 1e-8 });
  cold.weights.forEach((w, j) => assertClose(warm.weights[j], w, 1e-5));
});

Deno.test("l1Panel: exactly k non-zero genes at the chosen penalty, ranked by max |coefficient|", () => {
  for (const k of [2, 5, 9]) {
    const r = l1Panel(problem, k);
    assertEquals(r.nonZero, k);
    assertEquals(nonZeroGenes(r.fit, 25), k);
    const importance = Array.from(
      { length: 25 },
      (_, g) => Math.max(...[0, 1, 2].map((c) => Math.abs(r.fit.weights[c * 25 + g]))),
    );
    const expected = importance.map((v, g) => [v, g]).filter(([v]) => v > 0)
      .sort((a, b) => b[0] - a[0]).map(([, g]) => g);
    assertEquals(r.genes, expected);
    assertEquals(r.scores, expected.map((g) => importance[g]));
    assertEquals(r.path.at(-1), { lambda: r.fit.lambda, nonZero: k });
  }
});

Deno.test("l1Panel: when fewer than k genes ever enter, constant genes fill the panel with score 0", () => {
  // genes 0-2 carry noisy signal, genes 3-5 are constant (0 after z-scoring): never non-zero
  const rng = new Rng(5), n = 60, G = 6;
  const x = new Float32Array(n * G), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let g = 0; g < 3; g++) x[i * G + g] = rng.normal() + (y[i] ? 0.5 : -0.5);
  }
  const r = l1Panel({ x, n, nGenes: G, y, nClasses: 2 }, 4);
  assertEquals(r.nonZero, 3);
  assertEquals(r.genes.length, 4);
  assertEquals(r.genes.slice(0, 3).sort(), [0, 1, 2]);
  assertEquals(r.scores[3], 0);
});

const { dataset, truth } = simulate({ seed: 0 });

Deno.test("l1: at k = number of markers the panel recovers >= 80% of them", async () => {
  const markers = Object.values(truth.markers).flat();
  const panel = await selectPanel(l1Selector(), dataset, {
    k: markers.length,
    tasks: ["cell_type"],
  });
  const found = panel.genes.filter((g) => markers.includes(g)).length;
  console.log(
    `l1: ${found}/${markers.length} markers, lambda ${panel.params.lambda}, ` +
      `${panel.params.penaltiesTried} penalties, ${panel.fitSeconds.toFixed(2)} s`,
  );
  assertEquals(found >= 0.8 * markers.length, true, `${found}/${markers.length}`);
  assertEquals(panel.params.nonZero, markers.length);
  assertEquals(panel.notes, []);
  assertEquals([panel.method, l1Selector().needs], ["l1", "labels"]);
});

const small = simulate({ nCells: 400, nGenes: 120, seed: 9 }).dataset;

Deno.test("l1: fits the labelled cells of the primary task only", async () => {
  const labels = small.labels("cell_type").map((l, i) => (i % 4 === 0 ? null : l));
  const ds = small.withObs("cell_type", { kind: "string", values: labels });
  const panel = await selectPanel(l1Selector(), ds, { k: 6, tasks: ["cell_type", "condition"] });
  const { genes } = fitCandidates(ds, {});
  const { x } = fitInput(ds, genes);
  const l = classLabels(ds, "cell_type");
  const rows = Int32Array.from(l.codes.keys()).filter((i) => l.codes[i] >= 0);
  const G = genes.length;
  const expected = l1Panel({
    x: Float32Array.from(
      { length: rows.length * G },
      (_, p) => x[rows[Math.floor(p / G)] * G + p % G],
    ),
    n: rows.length,
    nGenes: G,
    y: Int32Array.from(rows, (i) => l.codes[i]),
    nClasses: l.classes.length,
  }, 6);
  assertEquals(panel.genes, expected.genes.map((g) => genes[g]));
  assertEquals(panel.notes, ["l1 fits the primary task 'cell_type' only"]);
  assertClose(panel.params.C as number, 1 / (expected.fit.lambda * rows.length), 1e-12);
});

Deno.test("l1_balanced: the panel of the class-balanced problem", async () => {
  const panel = await selectPanel(l1Selector({ classWeight: "balanced" }), small, {
    k: 6,
    tasks: ["cell_type"],
  });
  const { genes } = fitCandidates(small, {});
  const { x } = fitInput(small, genes);
  const l = classLabels(small, "cell_type");
  const p = { x, n: small.nCells, nGenes: genes.length, y: l.codes, nClasses: l.classes.length };
  const expected = l1Panel({ ...p, sampleWeights: balancedWeights(l.codes, p.nClasses) }, 6);
  assertEquals(panel.genes, expected.genes.map((g) => genes[g]));
  assertEquals([panel.method, panel.params.classWeight], ["l1_balanced", "balanced"]);
  // the weights change the fit: the unweighted problem stops at another penalty
  assertEquals(expected.fit.lambda !== l1Panel(p, 6).fit.lambda, true);
});

Deno.test("l1: errors for no task, an unknown column, k out of range", async () => {
  await assertRejects(() => selectPanel(l1Selector(), small, { k: 5 }), OptionError);
  await assertRejects(
    () => selectPanel(l1Selector(), small, { k: 5, tasks: ["nope"] }),
    MissingFieldError,
  );
  await assertRejects(
    () => selectPanel(l1Selector(), small, { k: 120, tasks: ["cell_type"] }),
    OptionError,
  );
});
