import { assertClose, assertEquals, assertThrows } from "../_assert.ts";
import * as vega from "vega";
import * as vl from "vega-lite";
import { unzlibSync } from "fflate";
import { dotPlotData, heatmapData } from "../../lib/data/expression.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { confusionMatrix } from "../../lib/metrics/classification.ts";
import { meanJaccard, selectionFrequency } from "../../lib/metrics/stability.ts";
import { metricVsKSpec, secondsSpec } from "../../lib/plot/benchmark.ts";
import { confusionMatrixSpec } from "../../lib/plot/confusion.ts";
import { embeddingSpec, pcaEmbedding, umapPair, umapPairSpec } from "../../lib/plot/embedding.ts";
import { dotPlotSpec, heatmapSpec, scoreRankingSpec, stabilitySpec } from "../../lib/plot/genes.ts";
import { toPng, toSvg, type VegaLiteSpec } from "../../lib/plot/render.ts";
import { saturationSpec } from "../../lib/plot/saturation.ts";
import { trainingCurveSpec, trainingPanelsSpec } from "../../lib/plot/training.ts";
import { DataValueError, OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import { fitInput } from "../../lib/data/transform.ts";
import type { EpochRecord } from "../../lib/select/yoto/model.ts";

// Realistic inputs: simulated PBMC-like cells and a 16-gene panel of true markers and others.
const { dataset, truth } = simulate({ nCells: 600, nGenes: 300, seed: 7 });
const types = dataset.categorical("cell_type").categories;
const markers = types.flatMap((t) => truth.markers[t]);
const panel = [...markers.slice(0, 12), "G0001", "G0002", "G0003", "G0004"]
  .filter((g, i, a) => a.indexOf(g) === i);

// A saturation study's curves: three schemes over the usual fractions, two saturating.
const saturation = saturationSpec(
  ["random", "celltype", "geosketch"].flatMap((scheme, j) =>
    [0.01, 0.1, 0.25, 0.5, 0.75, 1].map((fraction) => ({
      scheme,
      fraction,
      mean: 0.9 - 0.5 * Math.exp(-fraction * (8 + 4 * j)),
      sd: 0.03,
    }))
  ),
  [
    { scheme: "random", fraction: 0.5 },
    { scheme: "celltype", fraction: 0.25 },
    { scheme: "geosketch", fraction: null },
  ],
  "test micro-F1",
  "saturation",
);

function values<T>(spec: VegaLiteSpec): T[] {
  return (spec.data as { values: T[] }).values;
}

/** vega-lite compile warnings and vega runtime warnings of a spec (both should be none). */
async function warnings(spec: VegaLiteSpec): Promise<string[]> {
  const out: string[] = [];
  const logger = {
    level: () => logger,
    error: (...a: unknown[]) => (out.push(a.join(" ")), logger),
    warn: (...a: unknown[]) => (out.push(a.join(" ")), logger),
    info: () => logger,
    debug: () => logger,
  };
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec, { logger: logger as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logger: logger as never });
  await view.runAsync();
  view.finalize();
  return out;
}

/** Decode an 8-bit RGBA non-interlaced PNG (what resvg writes): width, height, pixels. */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const width = view.getUint32(16), height = view.getUint32(20);
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const len = view.getUint32(at);
    if (String.fromCharCode(...png.subarray(at + 4, at + 8)) === "IDAT") {
      idat.push(png.subarray(at + 8, at + 8 + len));
    }
    at += 12 + len;
  }
  const joined = new Uint8Array(idat.reduce((s, c) => s + c.length, 0));
  idat.reduce((o, c) => (joined.set(c, o), o + c.length), 0);
  const raw = unzlibSync(joined), stride = 4 * width, rgba = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = rgba.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? rgba.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= 4 ? row[i - 4] : 0, b = up[i], c = i >= 4 ? up[i - 4] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c];
      row[i] = (src[i] + predictor[filter]) & 0xff;
    }
  }
  return { width, height, rgba };
}

/** Pixels drawn (not white) in the outermost `band` pixels of the image: clipped content. */
function inkOnEdges(png: Uint8Array, band = 3): number {
  const { width, height, rgba } = decodePng(png);
  let ink = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const edge = x < band || y < band || x >= width - band || y >= height - band;
      const o = 4 * (y * width + x);
      if (edge && (rgba[o] < 245 || rgba[o + 1] < 245 || rgba[o + 2] < 245)) ink++;
    }
  }
  return ink;
}

Deno.test("dotPlotSpec orders genes by the class they mark (class order), then by that mean", () => {
  const rows = [
    ["a", "G1", 0.1, 0.2],
    ["a", "G2", 2, 0.9],
    ["a", "G3", 3, 0.9],
    ["a", "G4", 0.5, 0.4],
    ["b", "G1", 1.5, 0.8],
    ["b", "G2", 0.3, 0.1],
    ["b", "G3", 0.3, 0.1],
    ["b", "G4", 0.5, 0.4], // tie with a: the first class in order wins
  ].map(([c, gene, mean, fraction]) => ({
    class: c as string,
    gene: gene as string,
    mean: mean as number,
    fraction: fraction as number,
  }));
  const spec = dotPlotSpec({
    label: "t",
    genes: ["G1", "G2", "G3", "G4"],
    classes: ["a", "b"],
    cells: [3, 3],
    rows,
    targetSum: 1e4,
    log1p: true,
  });
  const [dots, ...brackets] = spec.layer as VegaLiteSpec[];
  const enc = dots.encoding as Record<string, { sort: string[]; scale: { domain: string[] } }>;
  assertEquals(enc.x.scale.domain, ["G3", "G2", "G4", "G1"]);
  assertEquals(enc.y.sort, ["a", "b"]);
  // One bracket per block, named by its class: a holds G3, G2, G4; b holds G1.
  const blocks = values<{ class: string; first: string; last: string; middle: string }>(
    brackets[0],
  );
  assertEquals(blocks.map((b) => [b.class, b.first, b.last, b.middle]), [
    ["a", "G3", "G4", "G2"],
    ["b", "G1", "G1", "G1"],
  ]);
});

/** Each labelled cell's log1p expression of `genes`, scaled to the median total, by hand. */
function logExpression(genes: string[]): { x: number[][]; codes: Int32Array } {
  const dense = dataset.toDense(), d = dataset.nGenes;
  const totals = Array.from({ length: dataset.nCells }, (_, i) => {
    let t = 0;
    for (let j = 0; j < d; j++) t += dense[i * d + j];
    return t;
  });
  const sorted = totals.filter((t) => t > 0).sort((a, b) => a - b), m = sorted.length;
  const median = m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
  const cols = genes.map((g) => dataset.genes.indexOf(g));
  const x = totals.map((t, i) => cols.map((j) => Math.log1p(dense[i * d + j] * median / t)));
  return { x, codes: dataset.categorical("cell_type").codes };
}

Deno.test("dot plot colours: class means min-max scaled per gene (scanpy's standard_scale='var')", async () => {
  const { x, codes } = logExpression(panel);
  // Brute force: class means from the cells, then each gene's min-max across the classes.
  const means = types.map((_, c) =>
    panel.map((_, j) => {
      const rows = x.filter((_, i) => codes[i] === c);
      return rows.reduce((s, r) => s + r[j], 0) / rows.length;
    })
  );
  const data = dotPlotData(dataset, panel, "cell_type");
  const [dots] = dotPlotSpec(data).layer as VegaLiteSpec[];
  const rows = values<{ class: string; gene: string; mean: number; scaled: number }>(dots);
  assertEquals(rows.length, types.length * panel.length);
  for (const r of rows) {
    const c = types.indexOf(r.class), j = panel.indexOf(r.gene);
    const column = means.map((m) => m[j]);
    const low = Math.min(...column), high = Math.max(...column);
    assertClose(r.mean, means[c][j], 1e-9);
    assertClose(r.scaled, (means[c][j] - low) / (high - low), 1e-9, `${r.class} ${r.gene}`);
  }
  // Every gene reaches 0 and 1; the colour reads `scaled` on [0, 1].
  for (const g of panel) {
    const s = rows.filter((r) => r.gene === g).map((r) => r.scaled);
    assertEquals([Math.min(...s), Math.max(...s)], [0, 1]);
  }
  const color = (dots.encoding as { color: { field: string; scale: { domain: number[] } } }).color;
  assertEquals([color.field, color.scale.domain], ["scaled", [0, 1]]);
  // A gene equal in every class is 0, as scanpy's fillna(0); scale "none" keeps the means.
  const flat = dotPlotSpec({ ...data, rows: data.rows.map((r) => ({ ...r, mean: 2 })) });
  assertEquals(
    values<{ scaled: number }>((flat.layer as VegaLiteSpec[])[0]).every((r) => r.scaled === 0),
    true,
  );
  const raw = (dotPlotSpec(data, "", { scale: "none" }).layer as VegaLiteSpec[])[0];
  assertEquals((raw.encoding as { color: { field: string } }).color.field, "mean");
  assertEquals(await warnings(dotPlotSpec(data, "scaled")), []);
});

Deno.test("dot plot of simulated markers: each marker sits in its type's block, types in order", async () => {
  const data = dotPlotData(dataset, markers, "cell_type");
  assertEquals(data.rows.length, types.length * markers.length);
  assertEquals(data.rows.every((r) => r.fraction >= 0 && r.fraction <= 1 && r.mean >= 0), true);
  const spec = dotPlotSpec(data, "markers");
  const dots = (spec.layer as VegaLiteSpec[])[0];
  const order = (dots.encoding as { x: { scale: { domain: string[] } } }).x.scale.domain;
  const typeOf = (g: string) => types.findIndex((t) => truth.markers[t].includes(g));
  assertEquals(order.map(typeOf), types.flatMap((_, i) => truth.markers[types[i]].map(() => i)));
  assertEquals(await warnings(spec), []);
  const svg = await toSvg(spec);
  for (const name of [...markers, ...types, "cell_type"]) assertEquals(svg.includes(name), true);
});

Deno.test("heatmapData: z-scores per gene over labelled cells, seeded per-class cap, class blocks", () => {
  const { x, codes } = logExpression(panel);
  const labelled = x.filter((_, i) => codes[i] >= 0);
  const stats = panel.map((_, j) => {
    const v = labelled.map((r) => r[j]);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, sd: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) };
  });
  const h = heatmapData(dataset, panel, "cell_type", { perClass: 40, seed: 1 });
  const counts = types.map((_, c) => codes.filter((k) => k === c).length);
  assertEquals(h.classes, types);
  assertEquals(h.cells, counts);
  // At most 40 per class, all of a smaller class; grouped in class order, ascending within.
  const drawn = types.map((_, c) => Array.from(h.cellIndex).filter((_, r) => h.cellClass[r] === c));
  assertEquals(drawn.map((d) => d.length), counts.map((n) => Math.min(n, 40)));
  assertEquals(Array.from(h.cellIndex), drawn.flat());
  assertEquals(
    drawn.every((d, c) => d.every((i, k) => codes[i] === c && (k === 0 || d[k - 1] < i))),
    true,
  );
  const g = panel.length;
  h.cellIndex.forEach((i, r) => {
    panel.forEach((_, j) => {
      assertClose(h.z[r * g + j], (x[i][j] - stats[j].mean) / stats[j].sd, 1e-9);
    });
  });
  // Class means over every cell of the class, not only the drawn ones.
  const c0 = labelled.filter((_, k) => codes.filter((c) => c >= 0)[k] === 0);
  assertClose(h.means[0], c0.reduce((a, r) => a + r[0], 0) / c0.length, 1e-9);
  // The same seed draws the same cells, another seed others.
  const again = heatmapData(dataset, panel, "cell_type", { perClass: 40, seed: 1 });
  assertEquals(Array.from(again.cellIndex), Array.from(h.cellIndex));
  const other = heatmapData(dataset, panel, "cell_type", { perClass: 40, seed: 2 });
  assertEquals(Array.from(other.cellIndex).join() === Array.from(h.cellIndex).join(), false);
  assertThrows(() => heatmapData(dataset, panel, "cell_type", { perClass: 0 }), OptionError);
});

Deno.test("heatmapSpec: genes in the dot plot's order, one band per class, small SVG", async () => {
  const h = heatmapData(dataset, panel, "cell_type");
  const spec = heatmapSpec(h, "heatmap");
  const [cells, separators, bands] = spec.layer as VegaLiteSpec[];
  const rows = values<{ cell: number; gene: string; z: number; class: string }>(cells);
  assertEquals(rows.length, h.cellIndex.length * panel.length);
  const y = (cells.encoding as { y: { sort: string[] } }).y.sort;
  const dots = (dotPlotSpec(dotPlotData(dataset, panel, "cell_type")).layer as VegaLiteSpec[])[0];
  assertEquals(y, (dots.encoding as { x: { scale: { domain: string[] } } }).x.scale.domain);
  const groups = values<{ class: string; start: number; end: number; drawn: number }>(bands);
  assertEquals(groups.map((b) => b.class), types);
  assertEquals(
    groups.map((b) => b.start),
    groups.map((b) => groups.slice(0, types.indexOf(b.class)).reduce((s, o) => s + o.drawn, 0)),
  );
  assertEquals(groups.at(-1)!.end, h.cellIndex.length);
  assertEquals(values(separators), groups);
  assertEquals(await warnings(spec), []);
  const svg = await toSvg(spec);
  for (const t of [...types, ...panel]) assertEquals(svg.includes(`>${t}<`), true, t);
  // default cap: 300 / 7 classes -> 42 per class; the SVG stays well under half a megabyte
  assertEquals(h.cellIndex.length <= 7 * 42, true);
  assertEquals(svg.length < 400_000, true, `${svg.length} bytes`);
  assertEquals(inkOnEdges(await toPng(spec)), 0);
  assertThrows(() => heatmapSpec(h, "", { clip: 0 }), OptionError);
});

Deno.test("umapPair: the same labelled cells on the panel and on all genes; spec renders", async () => {
  const pair = umapPair(dataset, panel, "cell_type", { maxCells: 200, nEpochs: 60, seed: 4 });
  assertEquals(pair.labelled, dataset.nCells);
  assertEquals([pair.panel.length, pair.all.length], [200, 200]);
  assertEquals(pair.panel.map((p) => p.label), pair.all.map((p) => p.label));
  assertEquals(pair.classes, types.filter((t) => pair.panel.some((p) => p.label === t)));
  assertEquals(pair.nPcs <= 50 && pair.nHvg > 0, true);
  const spec = umapPairSpec(pair);
  assertEquals((spec.title as { subtitle: string }).subtitle, `200 of ${dataset.nCells} cells`);
  assertEquals(await warnings(spec), []);
  const svg = await toSvg(spec);
  assertEquals(svg.includes(`panel genes (${panel.length} genes)`), true);
  assertEquals(svg.includes(`all genes (${pair.nHvg} HVGs, ${pair.nPcs} PCs)`), true);
  assertEquals(inkOnEdges(await toPng(spec)), 0);
  assertThrows(() => umapPair(dataset, panel, "cell_type", { maxCells: 2 }), OptionError);
});

Deno.test("confusionMatrixSpec: row fractions, empty rows all zero, counts kept, bad shapes", async () => {
  const spec = confusionMatrixSpec(
    [Int32Array.of(3, 1, 0), Int32Array.of(0, 0, 0), Int32Array.of(2, 0, 6)],
    ["A", "B", "C"],
  );
  const rows = values<{ true: string; predicted: string; count: number; fraction: number }>(spec);
  assertEquals(rows.length, 9);
  assertEquals(rows.map((r) => r.fraction), [0.75, 0.25, 0, 0, 0, 0, 0.25, 0, 0.75]);
  assertEquals(rows.map((r) => r.count), [3, 1, 0, 0, 0, 0, 2, 0, 6]);
  assertEquals(rows[6].true === "C" && rows[6].predicted === "A", true);
  const text = (spec.layer as { encoding: Record<string, unknown> }[])[1].encoding;
  assertEquals(
    (text.color as { condition: { test: string } }).condition.test,
    "datum.fraction > 0.5",
  );
  assertThrows(() => confusionMatrixSpec([Int32Array.of(1, 2)], ["A", "B"]), ShapeMismatchError);
  assertThrows(
    () => confusionMatrixSpec([Int32Array.of(1), Int32Array.of(1, 2)], ["A", "B"]),
    ShapeMismatchError,
  );
  // Realistic: predictions right 85% of the time; the class names are drawn in full.
  const rng = new Rng(11);
  const { codes } = dataset.categorical("cell_type");
  const pred = Array.from(codes, (c) => rng.uniform() < 0.85 ? c : rng.int(types.length));
  const names = types.map((t) => t === "DC" ? "plasmacytoid dendritic cell (pDC)" : t);
  const real = confusionMatrixSpec(confusionMatrix(codes, pred, types.length), names);
  assertEquals(await warnings(real), []);
  const svg = await toSvg(real);
  assertEquals(svg.includes("plasmacytoid dendritic cell (pDC)"), true);
  assertEquals(svg.includes("…"), false);
  assertEquals(inkOnEdges(await toPng(real)), 0);
});

Deno.test("scoreRankingSpec: ranks by score (ties in given order), flags and zoom contents", async () => {
  const small = scoreRankingSpec(["A", "B", "C", "D"], [1, 3, 1, 0.5], new Set(["C", "D"]));
  assertEquals(
    values<{ gene: string; rank: number; selected: boolean }>(small)
      .map((v) => [v.gene, v.rank, v.selected]),
    [["B", 1, false], ["A", 2, false], ["C", 3, true], ["D", 4, true]],
  );
  assertEquals("vconcat" in small, false);
  // 300 candidates: overview of all, zoom on the top 30 plus the selected genes.
  const rng = new Rng(3);
  const scores = dataset.genes.map(() => rng.normal());
  const selected = dataset.genes.filter((_, i) => i % 50 === 0); // ranks spread out
  const spec = scoreRankingSpec(dataset.genes, scores, selected, { topN: 30 });
  const [overview, zoom] = spec.vconcat as VegaLiteSpec[];
  const all = values<{ gene: string; rank: number; selected: boolean }>(overview);
  assertEquals(all.length, 300);
  assertEquals(all.filter((v) => v.selected).map((v) => v.gene).sort(), [...selected].sort());
  const zoomed = values<{ gene: string; rank: number; selected: boolean }>(zoom);
  assertEquals(
    zoomed.map((v) => v.gene).sort(),
    all.filter((v) => v.rank <= 30 || v.selected).map((v) => v.gene).sort(),
  );
  assertThrows(() => scoreRankingSpec(["A", "B"], [1], []), ShapeMismatchError);
  // log axis ticks at 1-2-5 steps only (1, 2, 3, ... would print "200300" at ranks 200 and 300)
  const x = (overview.encoding as { x: { axis: { values: number[] } } }).x;
  assertEquals(x.axis.values, [1, 2, 5, 10, 20, 50, 100, 200]);
  assertEquals(await warnings(spec), []);
  const svg = await toSvg(spec);
  for (const g of selected) assertEquals(svg.includes(`>${g}<`), true, g);
});

Deno.test("selectionFrequency and meanJaccard by hand; stabilitySpec bars and subtitle", async () => {
  const panels = [["A", "B", "C"], ["B", "C", "D"], ["C", "D", "E", "E"]];
  assertEquals(selectionFrequency(panels), [
    { gene: "C", count: 3, frequency: 1 },
    { gene: "B", count: 2, frequency: 2 / 3 },
    { gene: "D", count: 2, frequency: 2 / 3 },
    { gene: "A", count: 1, frequency: 1 / 3 },
    { gene: "E", count: 1, frequency: 1 / 3 },
  ]);
  // {A,B,C}/{B,C,D}: 2/4; {A,B,C}/{C,D,E}: 1/5; {B,C,D}/{C,D,E}: 2/4
  assertClose(meanJaccard(panels), (0.5 + 0.2 + 0.5) / 3, 1e-12);
  assertEquals(meanJaccard([["A"], ["A"]]), 1);
  assertEquals(meanJaccard([[], []]), 1);
  assertThrows(() => meanJaccard([["A"]]), OptionError);
  assertThrows(() => selectionFrequency([]), OptionError);
  const spec = stabilitySpec(panels, 4);
  assertEquals(values<{ gene: string }>(spec).map((v) => v.gene), ["C", "B", "D", "A"]);
  const subtitle = (spec.title as { subtitle: string }).subtitle;
  assertEquals(subtitle, "3 runs; mean pairwise Jaccard 0.40; 4 most frequent of 5 genes");
  // One run: no Jaccard; realistic: 8 seeds of panels drawn around the true markers.
  assertEquals((stabilitySpec([["A"]]).title as { subtitle: string }).subtitle, "1 run");
  const rng = new Rng(5);
  const runs = Array.from({ length: 8 }, () => panel.filter(() => rng.uniform() < 0.8));
  const real = stabilitySpec(runs);
  assertEquals(await warnings(real), []);
  assertEquals((await toSvg(real)).includes("mean pairwise Jaccard"), true);
});

Deno.test("pcaEmbedding: a line, an axis-aligned cross, and a random case against A v = λ v", () => {
  const line = pcaEmbedding(Float32Array.of(0, 0, 1, 2, 2, 4, 3, 6), 4, 2);
  assertClose(line.components[0], 1 / Math.sqrt(5), 1e-9);
  assertClose(line.components[1], 2 / Math.sqrt(5), 1e-9);
  assertClose(line.explainedVarianceRatio[0], 1, 1e-12);
  assertClose(line.explainedVarianceRatio[1], 0, 1e-12);
  // coordinates along the line, centred: t * sqrt(5) for t = -1.5 .. 1.5
  [-1.5, -0.5, 0.5, 1.5].forEach((t, i) => assertClose(line.coords[2 * i], t * Math.sqrt(5), 1e-9));
  // (±3, 0), (0, ±1): variances 18/3 and 2/3; PC1 = x (sign: largest loading positive)
  const cross = pcaEmbedding(Float64Array.of(3, 0, -3, 0, 0, 1, 0, -1), 4, 2);
  assertClose(cross.variance[0], 6, 1e-12);
  assertClose(cross.variance[1], 2 / 3, 1e-12);
  assertClose(cross.explainedVarianceRatio[0], 0.9, 1e-12);
  assertEquals(Array.from(cross.components), [1, 0, 0, 1]);
  // Random 40 x 6: every component solves C v = λ v, unit length, orthogonal, λ descending.
  const rng = new Rng(9), n = 40, d = 6;
  const x = Float64Array.from({ length: n * d }, (_, i) => rng.normal() * (1 + (i % d)));
  const pca = pcaEmbedding(x, n, d, 3);
  const mean = Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * d + j];
    return s / n;
  });
  const cov = (a: number, b: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]);
    return s / (n - 1);
  };
  let trace = 0;
  for (let a = 0; a < d; a++) trace += cov(a, a);
  for (let k = 0; k < 3; k++) {
    const v = Array.from(pca.components.subarray(k * d, (k + 1) * d));
    for (let a = 0; a < d; a++) {
      let cv = 0;
      for (let b = 0; b < d; b++) cv += cov(a, b) * v[b];
      assertClose(cv, pca.variance[k] * v[a], 1e-9);
    }
    assertClose(v.reduce((s, e) => s + e * e, 0), 1, 1e-12);
    const big = v.reduce((m, e) => Math.abs(e) > Math.abs(m) ? e : m, 0);
    assertEquals(big > 0, true);
    if (k > 0) {
      assertEquals(pca.variance[k] <= pca.variance[k - 1], true);
      const prev = pca.components.subarray((k - 1) * d, k * d);
      assertClose(v.reduce((s, e, j) => s + e * prev[j], 0), 0, 1e-12);
    }
    assertClose(pca.explainedVarianceRatio[k], pca.variance[k] / trace, 1e-12);
    // the coordinates' variance is the eigenvalue
    let ss = 0;
    for (let i = 0; i < n; i++) ss += pca.coords[i * 3 + k] ** 2;
    assertClose(ss / (n - 1), pca.variance[k], 1e-9);
  }
  assertThrows(() => pcaEmbedding(new Float32Array(5), 2, 3), ShapeMismatchError);
  assertThrows(() => pcaEmbedding(new Float32Array(6), 2, 3, 4), OptionError);
  assertThrows(() => pcaEmbedding(new Float32Array(6), 2, 3), DataValueError);
  assertThrows(() => pcaEmbedding(Float32Array.of(0, NaN, 1, 2), 2, 2), DataValueError);
});

Deno.test("PCA of a simulated panel separates cell types; embedding spec renders", async () => {
  const { x } = fitInput(dataset, panel);
  const pca = pcaEmbedding(x, dataset.nCells, panel.length);
  assertEquals(pca.explainedVarianceRatio[0] > pca.explainedVarianceRatio[1], true);
  assertEquals(pca.explainedVarianceRatio[0] + pca.explainedVarianceRatio[1] < 1, true);
  const labels = dataset.labels("cell_type");
  const points = labels.map((label, i) => ({
    x: pca.coords[2 * i],
    y: pca.coords[2 * i + 1],
    label: label!,
  }));
  // Types differ along the top PCs: between-type variance is a good part of the total.
  const byType = new Map<string, number[]>();
  points.forEach((p) => byType.set(p.label, [...(byType.get(p.label) ?? []), p.x]));
  const all = points.map((p) => p.x), mu = all.reduce((s, v) => s + v, 0) / all.length;
  const between = [...byType.values()].reduce(
    (s, v) => s + v.length * (v.reduce((a, b) => a + b, 0) / v.length - mu) ** 2,
    0,
  );
  const total = all.reduce((s, v) => s + (v - mu) ** 2, 0);
  assertEquals(between / total > 0.5, true, `between-type share of PC1 ${between / total}`);
  const spec = embeddingSpec(points, { xTitle: "PC1", yTitle: "PC2", labelTitle: "cell type" });
  assertEquals(values(spec).length, dataset.nCells);
  assertEquals(await warnings(spec), []);
  const svg = await toSvg(spec);
  for (const t of types) assertEquals(svg.includes(`>${t}<`), true, t);
});

Deno.test("training panels, metric vs k and seconds: compile cleanly, right marks and data", async () => {
  const history: EpochRecord[] = Array.from({ length: 12 }, (_, i) => ({
    epoch: i + 1,
    steps: 10 * (i + 1),
    tau: 100 * 0.5 ** i,
    loss: { cell_type: 2 / (i + 1), donor_age: 5 / (i + 1) },
    val: { cell_type: 0.5 + i / 30, donor_age: 3 / (i + 1) }, // a regression loss above 1
    monitor: 0,
    valLoss: 1,
    maskMass: i / 11,
    seconds: 1,
  }));
  const spec = trainingPanelsSpec(history, { bestEpoch: 9 });
  const panels = spec.vconcat as { layer: VegaLiteSpec[] }[];
  assertEquals(panels.length, 3);
  assertEquals(panels.map((p) => p.layer.length), [2, 2, 2]); // each: lines + best-epoch rule
  assertEquals(values(panels[0].layer[0]).length, 24);
  assertEquals(values(panels[1].layer[0]).length, 36);
  const valY = (panels[1].layer[0].encoding as { y: { scale: Record<string, unknown> } }).y;
  assertEquals(valY.scale.domain, undefined); // not clamped to [0, 1]: a loss is there
  const tau = (panels[2].layer[0].encoding as { y: { axis: { values: number[] } } }).y;
  assertEquals(tau.axis.values, [0.01, 0.1, 1, 10, 100]);
  const k = [8, 16, 32].flatMap((k) =>
    ["yoto", "hvg"].map((method, j) => ({ method, k, mean: 0.7 + j / 10, sd: 0.02 }))
  );
  const seconds = secondsSpec([{ method: "yoto", seconds: 40 }, { method: "hvg", seconds: 0.02 }]);
  for (
    const s of [spec, trainingCurveSpec(history), metricVsKSpec(k, "macro-F1"), seconds, saturation]
  ) {
    assertEquals(await warnings(s), []);
  }
  const svg = await toSvg(spec);
  for (const t of ["cell_type", "donor_age", "mask mass on panel", "relaxation temperature"]) {
    assertEquals(svg.includes(t), true, t);
  }
  // One legend for the methods, drawn from the lines (the bands have none).
  const kSvg = await toSvg(metricVsKSpec(k, "macro-F1"));
  assertEquals(kSvg.match(/role-legend"/g)?.length, 1);
  assertEquals(kSvg.includes(">yoto<") && kSvg.includes(">hvg<"), true);
  // The seconds bars are drawn with a positive width on the log scale (a bar from 0 is not).
  const widths = [
    ...(await toSvg(seconds)).matchAll(/roledescription="bar" d="M0,[\d.]+h([^v]+)v/g),
  ]
    .map((m) => Number(m[1]));
  assertEquals(widths.length, 2);
  assertEquals(widths.every((w) => w > 0), true);
});

Deno.test("rendered figures leave a white margin: nothing is clipped at the edges", async () => {
  const data = dotPlotData(dataset, panel, "cell_type");
  const specs = [
    dotPlotSpec({ ...data, label: "a rather long label column name" }, "dot plot"),
    scoreRankingSpec(panel, panel.map((_, i) => -i), panel.slice(0, 8)),
    stabilitySpec([panel, panel.slice(3), [...panel.slice(0, 5), "G0200"]]),
    saturation,
  ];
  for (const spec of specs) assertEquals(inkOnEdges(await toPng(spec)), 0);
});
