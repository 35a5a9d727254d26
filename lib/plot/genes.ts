/**
 * Figures of a panel's genes: the dot plot (expression per class), gene scores by rank, and
 * selection frequency across runs (stability).
 * @module
 */
import { checkDistinct, type DotPlotData } from "../data/expression.ts";
import { meanJaccard, selectionFrequency } from "../metrics/stability.ts";
import { ShapeMismatchError } from "../runtime/errors.ts";
import { HIGHLIGHT, MUTED, PALETTE, REDS, top } from "./_common.ts";
import type { VegaLiteSpec } from "./render.ts";

/**
 * Genes in marker order: grouped by the class where their mean expression is highest (classes in
 * `data.classes` order), then by that mean, highest first; ties keep the given order.
 */
function markerOrder(data: DotPlotData): string[] {
  const best = new Map<string, { c: number; mean: number }>();
  for (const r of data.rows) {
    const c = data.classes.indexOf(r.class), b = best.get(r.gene);
    if (!b || r.mean > b.mean) best.set(r.gene, { c, mean: r.mean });
  }
  return data.genes.map((gene, i) => ({ gene, i, ...best.get(gene)! }))
    .sort((a, b) => a.c - b.c || b.mean - a.mean || a.i - b.i)
    .map((e) => e.gene);
}

/**
 * Dot plot of a panel (scanpy's `dotplot`): classes as rows, genes as columns in marker order
 * (grouped by the class where each gene's mean is highest, classes in order, then by that mean),
 * colour = mean expression, dot size = fraction of cells expressing the gene (count > 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rows = [
 *   { class: "a", gene: "G1", mean: 0.1, fraction: 0.2 }, { class: "a", gene: "G2", mean: 2, fraction: 0.9 },
 *   { class: "b", gene: "G1", mean: 1.5, fraction: 0.8 }, { class: "b", gene: "G2", mean: 0.3, fraction: 0.1 },
 * ];
 * const spec = dotPlotSpec({ label: "t", genes: ["G1", "G2"], classes: ["a", "b"], cells: [5, 5], rows, targetSum: 1e4, log1p: true });
 * assert.deepEqual((spec.encoding as { x: { sort: string[] } }).x.sort, ["G2", "G1"]);
 * ```
 */
export function dotPlotSpec(data: DotPlotData, title = ""): VegaLiteSpec {
  const colour = data.log1p ? "mean log1p expression" : "mean expression";
  return {
    ...top(title),
    width: { step: 20 },
    height: { step: 20 },
    data: { values: data.rows },
    mark: { type: "circle", opacity: 1, stroke: "#777", strokeWidth: 0.5 },
    encoding: {
      x: {
        field: "gene",
        type: "nominal",
        sort: markerOrder(data),
        title: null,
        axis: { labelAngle: -90, labelBaseline: "middle", domain: false, ticks: false },
      },
      y: {
        field: "class",
        type: "nominal",
        sort: data.classes,
        title: data.label,
        axis: { domain: false, ticks: false },
      },
      color: {
        field: "mean",
        type: "quantitative",
        title: [colour, "in class"],
        scale: { range: REDS, domainMin: 0 },
        legend: { gradientLength: 100 },
      },
      size: {
        field: "fraction",
        type: "quantitative",
        title: ["fraction of cells", "in class (count > 0)"],
        scale: { domain: [0, 1], range: [0, 300] },
        legend: { values: [0.25, 0.5, 0.75, 1], format: ".0%", symbolFillColor: MUTED },
      },
      tooltip: [
        { field: "class" },
        { field: "gene" },
        { field: "mean", format: ".3f" },
        { field: "fraction", format: ".1%" },
      ],
    },
  };
}

/** Up to this many genes, a score ranking names every gene (one panel). */
const ALL_NAMED = 60;

/** Options of {@link scoreRankingSpec}. */
export interface ScoreRankingOptions {
  title?: string;
  /** Genes named in the zoomed panel besides the selected ones (default 30). */
  topN?: number;
  /** y axis title (default "score"). */
  scoreTitle?: string;
}

/** 1, 2, 5, 10, 20, 50, ... up to `max`. */
function logTicks(max: number): number[] {
  const ticks: number[] = [];
  for (let decade = 1; decade <= max; decade *= 10) {
    for (const m of [1, 2, 5]) if (m * decade <= max) ticks.push(m * decade);
  }
  return ticks;
}

/**
 * Gene scores against rank, selected genes highlighted. With more than 60 genes: an overview of
 * every rank (log scale) above a zoom on the top `topN` ranks plus every selected gene, each
 * named on the axis (selected names in bold); otherwise the zoom alone. For YOTO: `genes` =
 * `model.spec.transform.genes.slice(0, model.spec.nFree)`, `scores` = `model.scores`; for any
 * Panel: its genes and scores. Selected genes missing from `genes` (forced ones) are not drawn.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const spec = scoreRankingSpec(["A", "B", "C"], [0.2, 3, 1], ["B"]);
 * const rows = (spec.data as { values: { gene: string; rank: number; selected: boolean }[] }).values;
 * assert.deepEqual([rows[0].gene, rows[0].rank, rows[0].selected], ["B", 1, true]);
 * ```
 */
export function scoreRankingSpec(
  genes: string[],
  scores: ArrayLike<number>,
  selected: Iterable<string>,
  options: ScoreRankingOptions = {},
): VegaLiteSpec {
  if (scores.length !== genes.length) {
    throw new ShapeMismatchError(`${scores.length} scores for ${genes.length} genes`, {
      field: "scores",
      fix: "pass one score per gene, in the same order",
    });
  }
  checkDistinct(genes, "genes");
  const chosen = new Set(selected);
  const topN = options.topN ?? 30;
  const values = genes.map((gene, i) => ({ gene, i, score: scores[i] }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map(({ gene, score }, r) => ({
      gene,
      rank: r + 1,
      score,
      selected: chosen.has(gene),
      status: chosen.has(gene) ? "selected" : "not selected",
    }));
  const nSelected = values.filter((v) => v.selected).length;
  // The encodings both panels share: score, status colour (selected drawn on top), tooltip.
  const shared = {
    y: {
      field: "score",
      type: "quantitative",
      title: options.scoreTitle ?? "score",
      scale: { zero: false },
    },
    color: {
      field: "status",
      type: "nominal",
      title: null,
      scale: { domain: ["selected", "not selected"], range: [HIGHLIGHT, MUTED] },
    },
    order: { field: "selected", type: "nominal", sort: "ascending" },
    tooltip: [{ field: "gene" }, { field: "rank" }, { field: "score", format: ".4g" }],
  };
  const isSelected = selectedTest(chosen);
  const zoomed = values.filter((v) => v.rank <= topN || v.selected);
  const zoom = {
    width: { step: 14 },
    height: 200,
    ...(values.length > ALL_NAMED ? { data: { values: zoomed } } : {}),
    mark: { type: "circle", size: 45, opacity: 1 },
    encoding: {
      x: {
        field: "gene",
        type: "nominal",
        sort: { field: "rank", order: "ascending" },
        title: values.length > ALL_NAMED
          ? `top ${topN} ranks and every selected gene`
          : "gene (by rank)",
        axis: {
          labelAngle: -90,
          labelBaseline: "middle",
          labelFontWeight: { condition: { test: isSelected, value: "bold" }, value: 400 },
          labelColor: { condition: { test: isSelected, value: "black" }, value: "#666" },
        },
      },
      ...shared,
    },
  };
  const title = options.title ??
    `gene scores: ${nSelected} selected of ${values.length}`;
  if (values.length <= ALL_NAMED) return { ...top(title), data: { values }, ...zoom };
  const overview = {
    width: 420,
    height: 160,
    data: { values },
    mark: { type: "circle", size: 16, opacity: 0.8 },
    encoding: {
      x: {
        field: "rank",
        type: "quantitative",
        title: "rank (log scale)",
        scale: { type: "log", domain: [1, values.length], nice: false },
        // 1-2-5 ticks: vega's default log ticks (1, 2, 3, ... per decade) collide at 200/300
        axis: { values: logTicks(values.length) },
      },
      ...shared,
    },
  };
  return { ...top(title), vconcat: [overview, zoom], spacing: 16 };
}

/** Vega expression: is this axis label one of the selected genes? */
function selectedTest(chosen: Set<string>): string {
  return `indexof(${JSON.stringify([...chosen])}, datum.value) >= 0`;
}

/**
 * Panel stability across runs: how often each gene was selected (fraction of runs), one bar per
 * gene, most frequent first (the `topN` most frequent, default 40), with the mean pairwise
 * Jaccard index in the subtitle.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const spec = stabilitySpec([["A", "B"], ["B", "C"]]);
 * const bars = (spec.data as { values: { gene: string }[] }).values;
 * assert.equal(bars.length, 3);
 * assert.equal(bars[0].gene, "B");
 * ```
 */
export function stabilitySpec(
  panels: string[][],
  topN = 40,
  title = "selection frequency across runs",
): VegaLiteSpec {
  const all = selectionFrequency(panels);
  const values = all.slice(0, topN).map((f) => ({ ...f, label: `${f.count}/${panels.length}` }));
  const notes = [
    `${panels.length} run${panels.length === 1 ? "" : "s"}`,
    ...(panels.length >= 2 ? [`mean pairwise Jaccard ${meanJaccard(panels).toFixed(2)}`] : []),
    values.length < all.length ? `${values.length} most frequent of ${all.length} genes` : "",
  ].filter(Boolean);
  return {
    ...top({ text: title, subtitle: notes.join("; ") }),
    width: 300,
    height: { step: 16 },
    data: { values },
    encoding: {
      y: { field: "gene", type: "nominal", sort: values.map((v) => v.gene), title: null },
      x: {
        field: "frequency",
        type: "quantitative",
        title: "fraction of runs selecting the gene",
        scale: { domain: [0, 1] },
        axis: { format: ".0%" },
      },
    },
    layer: [
      { mark: { type: "bar", color: PALETTE[0] } },
      {
        mark: { type: "text", align: "left", dx: 3, fontSize: 10, color: "#333" },
        encoding: { text: { field: "label" } },
      },
    ],
  };
}
