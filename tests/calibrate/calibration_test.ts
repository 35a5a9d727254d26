import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import {
  calibratePanel,
  scoreNullDraw,
  summarizeNullDraws,
  withNullTwins,
} from "../../lib/calibrate/calibration.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { splitDataset, stratifiedSplit } from "../../lib/data/split.ts";
import { cellStats } from "../../lib/data/stats.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { hvgSelector } from "../../lib/select/hvg.ts";
import { hvgRanking } from "../../lib/data/transform.ts";
import {
  applyInput,
  fitCandidates,
  fitInput,
  realLibraryTotals,
} from "../../lib/data/transform.ts";
import { l1Selector } from "../../lib/select/l1.ts";
import { markersSelector } from "../../lib/select/markers.ts";
import { yotoSelector } from "../../lib/select/yoto/selector.ts";
import {
  type Panel,
  panelSelector,
  type SelectOptions,
  type Selector,
} from "../../lib/select/panel.ts";
import { randomSelector } from "../../lib/select/random.ts";

await initBackend("wasm");

const sim = simulate({ nCells: 600, nGenes: 300, seed: 7 });
const parts = splitDataset(sim.dataset, stratifiedSplit(sim.dataset.categorical("cell_type")));
const task = { tasks: ["cell_type"], quiet: true };

Deno.test("null twins leave every real gene's input bit-identical (library sizes over real genes)", () => {
  const { train, val } = parts;
  const { genes, targetSum } = fitCandidates(train, { candidates: 60 });
  const aug = withNullTwins({ train, val }, genes, { seed: 1 });
  assertEquals(aug.pool, [...genes, ...genes.map((g) => `${g}__null`)]);
  assertEquals(aug.parts.train.genes, [...train.genes, ...aug.twins]);
  assertEquals(aug.parts.train.selectGenes(train.genes).toDense(), train.toDense());
  // the twins carry counts, so totals over every column would change the real input
  const all = cellStats(aug.parts.train).totals, real = cellStats(train).totals;
  assert.ok(all.some((t, i) => t > real[i]));
  assertEquals(realLibraryTotals(aug.parts.train), real);
  assertEquals(realLibraryTotals(train), real);

  const augFit = fitCandidates(aug.parts.train, { candidates: aug.pool });
  assertEquals(augFit.targetSum, targetSum);
  for (const normalize of ["transcriptome", "panel"] as const) {
    const plain = fitInput(train, genes, { normalize });
    const doubled = fitInput(aug.parts.train, aug.pool, { normalize });
    const G = genes.length, n = train.nCells;
    for (let i = 0; i < n; i++) {
      assertEquals(
        doubled.x.subarray(i * 2 * G, i * 2 * G + G),
        plain.x.subarray(i * G, i * G + G),
      );
    }
    assertEquals(doubled.transform.targetSum, plain.transform.targetSum);
    assertEquals(doubled.transform.means.slice(0, G), plain.transform.means);
    assertEquals(
      applyInput(aug.parts.val!, doubled.transform, genes),
      applyInput(val, plain.transform),
    );
  }
  // HVG normalises by itself: its per-gene moments of the real genes are unchanged too
  for (const flavor of ["seurat", "cell_ranger"] as const) {
    const a = hvgRanking(train, flavor, targetSum),
      b = hvgRanking(aug.parts.train, flavor, targetSum);
    assertEquals(b.means.slice(0, train.nGenes), a.means, flavor);
  }
  // a dense matrix gets the same twins as its CSR twin
  const dense = Dataset.fromDense(train.toDense(), train.nCells, train.nGenes, train.genes);
  const denseAug = withNullTwins({ train: dense }, genes, { seed: 1 });
  assertEquals(denseAug.parts.train.toDense(), aug.parts.train.toDense());
  // val and train twins come from different streams
  const v = aug.parts.val!.selectGenes(aug.twins.slice(0, 5)).toDense();
  const t = aug.parts.train.selectGenes(aug.twins.slice(0, 5)).toDense().subarray(0, v.length);
  assert.notDeepStrictEqual(v, t);
});

Deno.test("twins: refused twice, and HVG-ranked candidates refused on data holding them", () => {
  const { genes } = fitCandidates(parts.train, { candidates: 20 });
  const aug = withNullTwins({ train: parts.train }, genes);
  assertThrows(() => withNullTwins({ train: aug.parts.train }, genes), OptionError);
  assertThrows(() => fitCandidates(aug.parts.train, { candidates: 10 }), OptionError);
});

function panelOf(genes: string[], candidateScores?: Record<string, number>): Panel {
  return {
    method: "x",
    k: genes.length,
    genes,
    scores: [],
    params: {},
    fitSeconds: 0,
    notes: [],
    candidateScores,
  };
}

Deno.test("k_null, FSP^ and knockoff+ passes by hand (docs/methods.md §3.3 vector)", () => {
  const W = [3.2, 2.5, -0.4, 1.7, 0.9, -1.1, 4.0, 0.0, 2.2, 1.3];
  const genes = W.map((_, j) => `G${j}`), twins = genes.map((g) => `${g}__null`);
  // score(real) = W, score(twin) = 0: W_j is exactly the vector
  const scores: Record<string, number> = {};
  genes.forEach((g, j) => (scores[g] = W[j]));
  twins.forEach((g) => (scores[g] = 0));
  const panel = panelOf(["G6", "G0", "G1__null", "G7", "G2", "G8__null"], scores);
  const d = scoreNullDraw(panel, genes, twins, 0.2);
  assertEquals([d.kNull, d.fsp, d.fspConservative], [2, 2 / 4, 3 / 4]);
  assertEquals(d.nullGenes, ["G1__null", "G8__null"]);
  // T = 1.3 at q = 0.2: real genes with W >= 1.3 are G0 G1 G3 G6 G8 G9; in the panel G6 and G0
  assertEquals(d.knockoff, { threshold: 1.3, passing: ["G6", "G0"] });
  assertEquals(scoreNullDraw(panel, genes, twins, 0.1).knockoff, {
    threshold: Infinity,
    passing: [],
  });
  // unranked (NaN) scores count as the lowest finite one: G0 then loses to its twin
  const unranked = scoreNullDraw(panelOf(panel.genes, { ...scores, G0: NaN }), genes, twins, 0.2);
  assertEquals(unranked.knockoff!.passing, ["G6"]);
  // no scores for every candidate: no knockoff
  assertEquals(scoreNullDraw(panelOf(panel.genes), genes, twins, 0.2).knockoff, null);
  const { [twins[3]]: _, ...partial } = scores;
  assertEquals(scoreNullDraw(panelOf(panel.genes, partial), genes, twins, 0.2).knockoff, null);
  // every pick a twin: k - k_null = 0 counts as 1
  const allNull = scoreNullDraw(panelOf(twins.slice(0, 3)), genes, twins, 0.2);
  assertEquals([allNull.kNull, allNull.fsp, allNull.fspConservative], [3, 3, 4]);

  const s = summarizeNullDraws([d, allNull]);
  assertEquals(s.kNull, { mean: 2.5, min: 2, max: 3 });
  assertEquals(s.nullFraction, { mean: (2 / 6 + 1) / 2, min: 2 / 6, max: 1 });
  assertEquals(s.fsp, { mean: 1.75, min: 0.5, max: 3 });
  assertEquals(s.knockoffPassing, null);
  assertEquals(summarizeNullDraws([d]).knockoffPassing, { mean: 2, min: 2, max: 2 });
});

Deno.test("calibratePanel: the selector reruns unchanged on the 2G pool; Jaccard by hand", async () => {
  const genes = parts.train.genes.slice(0, 6);
  const seen: SelectOptions[] = [];
  const fake: Selector = panelSelector("fake", "data", (train, options) => {
    seen.push(options);
    const pool = options.candidates as string[];
    assertEquals(train.geneIndices(pool).length, pool.length);
    const picks = pool.length === 6
      ? [genes[0], genes[1], genes[2], genes[3]]
      : [genes[0], genes[1], genes[4], `${genes[0]}__null`];
    return Promise.resolve(panelOf(picks));
  });
  const c = await calibratePanel(parts.train, fake, {
    k: 4,
    candidates: genes,
    draws: 2,
    seed: 9,
    validation: parts.val,
  });
  assertEquals(seen.length, 3);
  assertEquals(seen.map((o) => [o.k, o.seed, (o.candidates as string[]).length]), [
    [4, 9, 6],
    [4, 9, 12],
    [4, 9, 12],
  ]);
  assertEquals(seen[0].validation, parts.val);
  assertEquals(seen[1].validation!.nGenes, parts.val.nGenes + 6);
  // real picks {g0, g1, g4} vs production {g0, g1, g2, g3}: 2 shared of 5
  assertEquals(c.draws.map((d) => d.jaccard), [0.4, 0.4]);
  assertEquals([c.kNull.mean, c.fsp.mean, c.fspConservative.mean], [1, 1 / 3, 2 / 3]);
  assertEquals([c.method, c.k, c.q, c.nullMethod, c.candidates], ["fake", 4, 0.1, "zip", genes]);
  assertEquals(c.knockoffPassing, null);
  await assertRejects(() => calibratePanel(parts.train, fake, { k: 4, draws: 0 }), OptionError);
  await assertRejects(() => calibratePanel(parts.train, fake, { k: 4, q: 0 }), OptionError);
});

Deno.test("calibratePanel: no production fit, the first draw's fit kept with its test twins", async () => {
  const genes = parts.train.genes.slice(0, 6);
  let fits = 0;
  const disposed: number[] = [];
  const fake: Selector = {
    name: "fake",
    needs: "data",
    fit(_train, options) {
      const fit = fits++;
      const pool = options.candidates as string[];
      return Promise.resolve({
        panel: panelOf([pool[fit], `${genes[fit]}__null`, genes[5], genes[4]]),
        dispose: () => disposed.push(fit),
      });
    },
  };
  const seen: number[] = [];
  const c = await calibratePanel(parts.train, fake, {
    k: 4,
    candidates: genes,
    draws: 3,
    validation: parts.val,
    test: parts.test,
    production: false,
    keepFirst: true,
    onDraw: (d) => seen.push(d.draw),
  });
  // three fits, one per draw; every one disposed but the kept first
  assertEquals([fits, disposed, seen], [3, [1, 2], [0, 1, 2]]);
  assertEquals([c.production, c.jaccard, c.draws.map((d) => d.jaccard)], [null, null, [
    null,
    null,
    null,
  ]]);
  assertEquals(c.first!.fitted.panel, c.draws[0].panel);
  assertEquals(c.first!.test!.nGenes, parts.test.nGenes + 6);
  assertEquals(c.draws.map((d) => d.kNull), [1, 1, 1]);
  c.first!.fitted.dispose();
  // without keepFirst every fit is disposed
  fits = 0;
  disposed.length = 0;
  const plain = await calibratePanel(parts.train, fake, { k: 4, candidates: genes, draws: 2 });
  assertEquals([fits, disposed, plain.first], [3, [0, 1, 2], undefined]);
});

Deno.test("supervised selectors pick few twins; random picks about half", async () => {
  const common = { ...task, k: 8, candidates: 100, seed: 0 };
  const markers = await calibratePanel(parts.train, markersSelector(), { ...common, draws: 3 });
  assert.ok(markers.kNull.max <= 1, JSON.stringify(markers.kNull));
  assert.ok(markers.fsp.mean <= 0.1 && markers.jaccard!.mean >= 0.75, JSON.stringify(markers));
  // strong markers beat their twins by far: most of the panel passes knockoff+ at q = 0.1
  assert.ok(markers.knockoffPassing!.min >= 4, JSON.stringify(markers.knockoffPassing));
  const l1 = await calibratePanel(parts.train, l1Selector(), { ...common, draws: 2 });
  assert.ok(l1.kNull.mean <= 1.5, JSON.stringify(l1.kNull));
  const hvg = await calibratePanel(parts.train, hvgSelector("seurat"), { ...common, draws: 1 });
  assert.ok(hvg.draws[0].knockoff !== null);
  // random: each pick is a twin with probability 1/2 (100 candidates, 100 twins)
  const fractions: number[] = [];
  for (let seed = 0; seed < 10; seed++) {
    const r = await calibratePanel(parts.train, randomSelector(), { ...common, draws: 1, seed });
    assertEquals(r.knockoffPassing, null);
    fractions.push(r.nullFraction.mean);
  }
  const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
  // 80 picks: sd of the mean fraction about 0.056
  assertClose(mean, 0.5, 0.15, "random null fraction");
});

Deno.test("YOTO with a short schedule runs end to end on the augmented pool", async () => {
  const small = simulate({ nCells: 300, nGenes: 80, seed: 3 }).dataset;
  const before = tf.memory().numTensors;
  const c = await calibratePanel(small, yotoSelector({ epochs: 3, hidden: [16] }), {
    ...task,
    k: 4,
    candidates: 30,
    draws: 2,
  });
  assertEquals(tf.memory().numTensors, before);
  assertEquals(c.draws.length, 2);
  for (const d of c.draws) {
    assertEquals(d.panel.genes.length, 4);
    assertEquals(Object.keys(d.panel.candidateScores!).length, 60);
    assert.ok(d.knockoff !== null && d.jaccard! >= 0 && d.jaccard! <= 1);
  }
  assertEquals(c.production!.genes.length, 4);
  assert.ok(c.knockoffPassing !== null);
});

Deno.test("library-matched twins do not track 1/depth after normalisation; unmatched ones do", () => {
  const deep = simulate({ nCells: 800, nGenes: 200, librarySizeSd: 0.6, seed: 3 }).dataset;
  const totals = realLibraryTotals(deep);
  // the most expressed gene: its twin has the most counts to show a depth trend
  const sums = new Float64Array(deep.nGenes), x = deep.toDense();
  for (let i = 0; i < deep.nCells; i++) {
    for (let j = 0; j < deep.nGenes; j++) sums[j] += x[i * deep.nGenes + j];
  }
  const top = deep.genes[sums.indexOf(Math.max(...sums))];
  const corr = (a: number[], b: number[]) => {
    const ma = a.reduce((s, v) => s + v, 0) / a.length,
      mb = b.reduce((s, v) => s + v, 0) / b.length;
    let ab = 0, aa = 0, bb = 0;
    a.forEach((v, i) => {
      ab += (v - ma) * (b[i] - mb);
      aa += (v - ma) ** 2;
      bb += (b[i] - mb) ** 2;
    });
    return ab / Math.sqrt(aa * bb);
  };
  const inverseDepth = Array.from(totals, (t) => 1 / t);
  const twinTrend = (libraryMatched: boolean) => {
    const { parts } = withNullTwins({ train: deep }, [top], { seed: 1, libraryMatched });
    const t = parts.train.toDense(), width = parts.train.nGenes;
    return corr(Array.from(totals, (tot, i) => t[i * width + width - 1] / tot), inverseDepth);
  };
  const unmatched = twinTrend(false), matched = twinTrend(true);
  assert(unmatched > 0.5, `unmatched twin vs 1/depth: r = ${unmatched}`);
  assert(Math.abs(matched) < 0.15, `matched twin vs 1/depth: r = ${matched}`);
});
