import { assertClose, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { splitDataset, stratifiedSplit } from "../../lib/data/split.ts";
import { evaluatePanel, evaluateReconstruction } from "../../lib/eval/downstream.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { MissingFieldError, OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { applyInput, fitCandidates, fitInput } from "../../lib/data/transform.ts";

await initBackend("wasm");

const { dataset, truth } = simulate({ nCells: 1500, nGenes: 200, seed: 1 });
const split = splitDataset(dataset, stratifiedSplit(dataset.categorical("cell_type"), { seed: 1 }));
const MARKERS = Object.values(truth.markers).flat();
const UNRELATED = dataset.genes.filter((g) => !MARKERS.includes(g) && !truth.stimGenes.includes(g));
const RANDOM16 = Array.from(
  new Rng(2).sampleWithoutReplacement(UNRELATED.length, 16),
  (i) => UNRELATED[i],
);

Deno.test("evaluatePanel: marker genes give test macro-F1 >= 0.9 with every classifier, 16 random genes far less", async () => {
  const markers = await evaluatePanel(MARKERS, split, "cell_type", { seed: 0 });
  const random = await evaluatePanel(RANDOM16, split, "cell_type", { seed: 0 });
  assertEquals(markers.results.map((r) => r.classifier), ["lr", "mlp", "knn"]);
  assertEquals(markers.classes, truth.typeNames);
  for (const [i, r] of markers.results.entries()) {
    const weak = random.results[i];
    console.log(
      `${r.classifier}: markers macro-F1 ${r.metrics.macroF1.toFixed(3)} (fit ${
        r.fitSeconds.toFixed(2)
      } s), 16 random genes ${weak.metrics.macroF1.toFixed(3)}`,
    );
    assertEquals(r.metrics.macroF1 >= 0.9, true, `${r.classifier} ${r.metrics.macroF1}`);
    assertEquals(weak.metrics.macroF1 < 0.6, true, `${r.classifier} ${weak.metrics.macroF1}`);
    assertEquals(r.metrics.nEvaluated, split.test.nCells);
  }
});

Deno.test("evaluatePanel: test classes unseen in train count as errors, missing labels are left out", async () => {
  const trainCodes = split.train.categorical("cell_type");
  const dc = trainCodes.categories.indexOf("DC");
  const keep = Int32Array.from(trainCodes.codes.keys()).filter((i) => trainCodes.codes[i] !== dc);
  const { codes, categories } = split.test.categorical("cell_type");
  // The first 10 test cells lose their label.
  const testCodes = Int32Array.from(codes, (c, i) => (i < 10 ? -1 : c));
  const test = split.test.withObs("cell_type", {
    kind: "categorical",
    codes: testCodes,
    categories,
  });
  const r = await evaluatePanel(
    MARKERS,
    { train: split.train.selectCells(keep), val: split.val, test },
    "cell_type",
    { classifiers: ["lr", "mlp"], mlp: { maxEpochs: 3 } },
  );
  assertEquals(r.classes, truth.typeNames.filter((t) => t !== "DC"));
  const nDc = testCodes.filter((c) => c === dc).length;
  for (const { metrics } of r.results) {
    assertEquals(metrics.nEvaluated, test.nCells - 10);
    const unseen = metrics.perClass[metrics.perClass.length - 1];
    assertEquals([unseen.name, unseen.support, unseen.recall], ["(unseen in training)", nDc, 0]);
    assertEquals(metrics.accuracy <= 1 - nDc / metrics.nEvaluated, true);
  }
});

Deno.test("evaluatePanel: typed errors for bad panels and tasks", async () => {
  await assertRejects(() => evaluatePanel([], split, "cell_type"), OptionError);
  await assertRejects(() => evaluatePanel(["G0001", "G0001"], split, "cell_type"), OptionError);
  await assertRejects(() => evaluatePanel(["nope"], split, "cell_type"), MissingFieldError);
  await assertRejects(() => evaluatePanel(["G0001"], split, "no_such_label"), MissingFieldError);
  await assertRejects(
    () => evaluatePanel(["G0001"], split, "cell_type", { targetSum: -1 }),
    OptionError,
  );
});

/** Ridge by hand for a panel of 1 or 2 genes: the normal equations solved by Cramer's rule. */
function handRidge(panel: string[], targets: string[], alpha: number) {
  // panel genes on the default (panel-native) input, targets on the transcriptome scale
  const { targetSum } = fitCandidates(split.train, { candidates: targets });
  const inputs = fitInput(split.train, panel),
    outputs = fitInput(split.train, targets, {
      normalize: "transcriptome",
      targetSum,
    });
  const k = panel.length, G = k + targets.length;
  const join = (a: Float32Array, b: Float32Array, rows: number) => {
    const out = new Float64Array(rows * G);
    for (let i = 0; i < rows; i++) {
      out.set(a.subarray(i * k, (i + 1) * k), i * G);
      out.set(b.subarray(i * targets.length, (i + 1) * targets.length), i * G + k);
    }
    return out;
  };
  const n = split.train.nCells, m = split.test.nCells;
  const x = join(inputs.x, outputs.x, n);
  const xt = join(
    applyInput(split.test, inputs.transform),
    applyInput(split.test, outputs.transform),
    m,
  );
  const mean = Array.from({ length: G }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * G + j];
    return s / n;
  });
  const cov = (a: number, b: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (x[i * G + a] - mean[a]) * (x[i * G + b] - mean[b]);
    return s;
  };
  const lambda = alpha * n;
  return targets.map((_, t) => {
    const j = k + t;
    let w: number[];
    if (k === 1) {
      w = [cov(0, j) / (cov(0, 0) + lambda)];
    } else {
      const a = cov(0, 0) + lambda, b = cov(0, 1), c = cov(1, 1) + lambda;
      const det = a * c - b * b;
      w = [(c * cov(0, j) - b * cov(1, j)) / det, (a * cov(1, j) - b * cov(0, j)) / det];
    }
    let sse = 0, sst = 0, mu = 0;
    for (let i = 0; i < m; i++) mu += xt[i * G + j] / m;
    for (let i = 0; i < m; i++) {
      let p = mean[j];
      for (let q = 0; q < k; q++) p += (xt[i * G + q] - mean[q]) * w[q];
      sse += (xt[i * G + j] - p) ** 2;
      sst += (xt[i * G + j] - mu) ** 2;
    }
    return { sse, sst, r2: 1 - sse / sst, mse: sse / m };
  });
}

Deno.test("evaluateReconstruction equals ridge regression solved by hand (1- and 2-gene panels)", () => {
  const targets = [MARKERS[1], UNRELATED[0], MARKERS[9]];
  for (const [panel, alpha] of [[[MARKERS[0]], 1e-2], [[MARKERS[0], MARKERS[5]], 0.5]] as const) {
    const r = evaluateReconstruction([...panel], targets, split, { alpha });
    const ref = handRidge([...panel], targets, alpha);
    assertEquals(r.genes, targets);
    assertEquals(r.lambda, alpha * split.train.nCells);
    ref.forEach((g, t) => {
      assertClose(r.r2[t], g.r2, 1e-9, `r2 ${t}`);
      assertClose(r.mse[t], g.mse, 1e-9, `mse ${t}`);
    });
    const sse = ref.reduce((s, g) => s + g.sse, 0), sst = ref.reduce((s, g) => s + g.sst, 0);
    assertClose(r.varianceExplained, 1 - sse / sst, 1e-9);
    assertClose(r.meanR2, ref.reduce((s, g) => s + g.r2, 0) / 3, 1e-9);
    assertClose(r.meanMse, sse / (3 * split.test.nCells), 1e-9);
  }
});

Deno.test("evaluateReconstruction: the panel's own genes R^2 ~ 1, unrelated genes ~ 0", () => {
  const panel = MARKERS.slice(0, 8);
  const unrelated = RANDOM16;
  // own genes are predicted exactly when inputs and targets share the transcriptome scale
  const r = evaluateReconstruction(panel, [...panel, ...unrelated], split, {
    normalize: "transcriptome",
  });
  const own = Array.from(r.r2.subarray(0, 8)), other = Array.from(r.r2.subarray(8));
  console.log(
    `own R^2 min ${Math.min(...own).toFixed(4)}; unrelated R^2 ${Math.min(...other).toFixed(3)}..${
      Math.max(...other).toFixed(3)
    }`,
  );
  for (const v of own) assertEquals(v > 0.99, true, `own ${v}`);
  for (const v of other) assertEquals(Math.abs(v) < 0.1, true, `unrelated ${v}`);
  assertEquals(Math.abs(other.reduce((a, b) => a + b, 0) / other.length) < 0.05, true);
  // Top-N HVG candidates as targets work too.
  assertEquals(evaluateReconstruction(panel, 50, split).genes.length, 50);
  assertThrows(() => evaluateReconstruction(panel, 50, split, { alpha: 0 }), OptionError);
});
