import { assertClose, assertEquals, assertRejects } from "../_assert.ts";
import { selectPanel } from "../../lib/select/panel.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { MissingFieldError, OptionError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { fitCandidates, fitInput } from "../../lib/data/transform.ts";
import {
  classLabels,
  markersSelector,
  roundRobin,
  welchT,
  wilcoxonZ,
} from "../../lib/select/markers.ts";

// A tiny matrix: 14 cells x 4 genes of small integers (many ties), 3 classes, one label missing.
// Gene 2 is constant (zero denominators); gene 3 is constant within each class.
const n = 14, G = 4, C = 3;
const codes = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, -1, 1, 0, 2]);
const tiny = new Float32Array(n * G);
{
  const rng = new Rng(11);
  for (let i = 0; i < n; i++) {
    tiny[i * G] = rng.int(4);
    tiny[i * G + 1] = rng.int(3) + (codes[i] === 1 ? 2 : 0);
    tiny[i * G + 2] = 5;
    tiny[i * G + 3] = codes[i] === 0 ? 1 : 3;
  }
}

/** Values of gene g over the labelled cells whose class passes `keep`. */
function values(x: Float32Array, g: number, keep: (code: number) => boolean): number[] {
  return Array.from(codes.keys()).filter((i) => codes[i] >= 0 && keep(codes[i])).map((i) =>
    x[i * G + g]
  );
}

function bruteWelch(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const variance = (v: number[]) => v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / (v.length - 1);
  const t = (mean(a) - mean(b)) / Math.sqrt(variance(a) / a.length + variance(b) / b.length);
  return Number.isFinite(t) ? t : 0;
}

/** Rank-sum z by the O(n^2) definition of average ranks; tie term sum_i (t_i^2 - 1). */
function bruteWilcoxon(a: number[], b: number[], tieCorrect: boolean): number {
  const all = [...a, ...b], m = all.length;
  const rank = (v: number) =>
    all.filter((u) => u < v).length + (all.filter((u) => u === v).length + 1) / 2;
  const R = a.reduce((s, v) => s + rank(v), 0);
  const tieTerm = all.reduce((s, v) => s + all.filter((u) => u === v).length ** 2 - 1, 0);
  const tc = tieCorrect ? 1 - tieTerm / (m ** 3 - m) : 1;
  const z = (R - a.length * (m + 1) / 2) / Math.sqrt(tc * a.length * b.length * (m + 1) / 12);
  return Number.isFinite(z) ? z : 0;
}

Deno.test("welchT: each class vs the rest equals the textbook formula, 0 for zero denominators", () => {
  const t = welchT(tiny, G, codes, C);
  for (let c = 0; c < C; c++) {
    for (let g = 0; g < G; g++) {
      const expected = bruteWelch(values(tiny, g, (o) => o === c), values(tiny, g, (o) => o !== c));
      assertClose(t[c * G + g], expected, 1e-9, `class ${c} gene ${g}`);
    }
  }
  // constant gene 2; gene 3 with class 0 (all 1) against a constant rest (all 3)
  assertEquals([t[2], t[G + 2], t[2 * G + 2], t[3]], [0, 0, 0, 0]);
});

Deno.test("wilcoxonZ: equals the O(n^2) average-rank formula, with and without tie correction", () => {
  for (const tieCorrect of [false, true]) {
    const z = wilcoxonZ(tiny, G, codes, C, tieCorrect);
    for (let c = 0; c < C; c++) {
      for (let g = 0; g < G; g++) {
        const a = values(tiny, g, (o) => o === c), b = values(tiny, g, (o) => o !== c);
        assertClose(z[c * G + g], bruteWilcoxon(a, b, tieCorrect), 1e-9, `${tieCorrect} ${c} ${g}`);
      }
    }
    // the constant gene has no signal either way (tie-corrected: 0 / 0)
    assertEquals(z[2], 0);
  }
  // ties shrink the variance, so the corrected |z| is larger
  const plain = wilcoxonZ(tiny, G, codes, C), corrected = wilcoxonZ(tiny, G, codes, C, true);
  assertEquals(Math.abs(corrected[0]) > Math.abs(plain[0]), true);
});

Deno.test("welchT and wilcoxonZ do not change under a per-gene positive affine map (z-scoring)", () => {
  const scaled = tiny.map((v, p) => 0.5 + (p % G) * 3 + v * (0.2 + (p % G)));
  const pairs = [
    [welchT(tiny, G, codes, C), welchT(scaled, G, codes, C)],
    [wilcoxonZ(tiny, G, codes, C, true), wilcoxonZ(scaled, G, codes, C, true)],
  ];
  for (const [a, b] of pairs) a.forEach((v, j) => assertClose(b[j], v, 1e-5));
});

Deno.test("roundRobin: classes take turns, tasks interleave, no gene twice", () => {
  const s = (...v: number[]) => Float64Array.from(v);
  // task A: classes a0, a1; task B: one class b0
  const a0 = s(9, 8, 7, 0, 0, 0), a1 = s(9, 0, 0, 6, 5, 0), b0 = s(1, 2, 3, 4, 5, 6);
  const { genes, scores } = roundRobin([[a0, a1], [b0]], 6);
  // turns: a0 -> 0, b0 -> 5, a1 -> 3 (0 taken), b0 -> 4, a0 -> 1, b0 -> 2
  assertEquals(genes, [0, 5, 3, 4, 1, 2]);
  assertEquals(scores, [9, 6, 6, 5, 8, 3]);
});

Deno.test("classLabels: classes sorted by name, unused ones dropped, missing = -1", () => {
  const ds = Dataset.fromDense(new Float32Array(5), 5, 1, ["g"], {
    t: { kind: "string", values: ["b", "a", null, "c", "a"] },
  });
  const l = classLabels(ds, "t");
  assertEquals([l.classes, Array.from(l.codes), Array.from(l.counts)], [
    ["a", "b", "c"],
    [1, 0, -1, 2, 0],
    [2, 1, 1],
  ]);
});

const { dataset, truth } = simulate({ seed: 0 });
const markers = Object.values(truth.markers).flat();

Deno.test("markers: at k = number of markers, t-test and Wilcoxon panels recover >= 80% of them", async () => {
  const { genes } = fitCandidates(dataset, {});
  const { x } = fitInput(dataset, genes);
  const l = classLabels(dataset, "cell_type");
  for (const selector of [markersSelector(), markersSelector({ method: "wilcoxon" })]) {
    const panel = await selectPanel(selector, dataset, { k: markers.length, tasks: ["cell_type"] });
    const found = panel.genes.filter((g) => markers.includes(g)).length;
    console.log(
      `${selector.name}: ${found}/${markers.length} markers, ${panel.fitSeconds.toFixed(2)} s`,
    );
    assertEquals(found >= 0.8 * markers.length, true, `${found}/${markers.length}`);
    assertEquals(new Set(panel.genes).size, markers.length);
    // the first gene is the top statistic of the first class by name
    const stat = selector.name === "markers"
      ? welchT(x, genes.length, l.codes, l.classes.length)
      : wilcoxonZ(x, genes.length, l.codes, l.classes.length);
    const best = stat.subarray(0, genes.length).reduce((b, v, j, a) => (v > a[b] ? j : b), 0);
    assertEquals(panel.genes[0], genes[best]);
    assertEquals(panel.scores[0], stat[best]);
  }
});

const small = simulate({ nCells: 400, nGenes: 150, seed: 8 }).dataset;

Deno.test("markers: several tasks interleave, cells without a label are left out", async () => {
  const labels = small.labels("cell_type").map((l, i) => (i % 5 === 0 ? null : l));
  const ds = small.withObs("cell_type", { kind: "string", values: labels });
  const tasks = ["cell_type", "condition"];
  const panel = await selectPanel(markersSelector(), ds, { k: 20, tasks });
  assertEquals(new Set(panel.genes).size, 20);
  assertEquals(panel.params.tasks, tasks);
  const { genes } = fitCandidates(ds, {});
  const { x } = fitInput(ds, genes);
  const stats = tasks.map((task) => {
    const l = classLabels(ds, task);
    const t = welchT(x, genes.length, l.codes, l.classes.length);
    return l.classes.map((_, c) => t.subarray(c * genes.length, (c + 1) * genes.length));
  });
  assertEquals(panel.genes, roundRobin(stats, 20).genes.map((j) => genes[j]));
  assertEquals(classLabels(ds, "cell_type").codes[5], -1);
});

Deno.test("markers: a class of one cell is skipped with a note", async () => {
  const labels = small.labels("cell_type").map((l, i) => (i === 3 ? "lonely" : l));
  const ds = small.withObs("cell_type", { kind: "string", values: labels });
  const panel = await selectPanel(markersSelector(), ds, { k: 10, tasks: ["cell_type"] });
  assertEquals(panel.genes.length, 10);
  assertEquals(panel.notes, ["cell_type: class(es) of one cell skipped: lonely"]);
});

Deno.test("markers: errors for no task, an unknown column, one class, k out of range", async () => {
  await assertRejects(() => selectPanel(markersSelector(), small, { k: 5 }), OptionError);
  await assertRejects(
    () => selectPanel(markersSelector(), small, { k: 5, tasks: ["nope"] }),
    MissingFieldError,
  );
  const one = small.withObs("t", { kind: "string", values: new Array(small.nCells).fill("x") });
  await assertRejects(
    () => selectPanel(markersSelector(), one, { k: 5, tasks: ["t"] }),
    OptionError,
  );
  await assertRejects(
    () => selectPanel(markersSelector(), small, { k: 150, tasks: ["cell_type"] }),
    OptionError,
  );
  await assertRejects(
    () =>
      selectPanel(markersSelector({ method: "wilcoxon" }), small, { k: 0, tasks: ["cell_type"] }),
    OptionError,
  );
});
