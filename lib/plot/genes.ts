/**
 * Figures of a panel's genes: the dot plot (expression per class), the heatmap (expression per
 * cell), gene scores by rank, and selection frequency across runs (stability).
 * @module
 */
import { checkDistinct, type DotPlotData, type HeatmapData } from "../data/expression.ts";
import { meanJaccard, selectionFrequency } from "../metrics/stability.ts";
import { OptionError, ShapeMismatchError } from "../runtime/errors.ts";
import { classColours, HIGHLIGHT, MUTED, PALETTE, REDS, top } from "./_common.ts";
import type { VegaLiteSpec } from "./render.ts";

/** A run of genes in marker order that share the class where their mean is highest. */
interface GeneBlock {
  class: string;
  genes: string[];
}

/**
 * Genes in marker order, as blocks: grouped by the class where their mean expression
 * (`mean(c, j)`, class c of `classes`, gene j of `genes`) is highest, classes in order, then by
 * that mean, highest first; ties keep the given order (and go to the first class).
 */
function markerBlocks(
  genes: readonly string[],
  classes: readonly string[],
  mean: (c: number, j: number) => number,
): GeneBlock[] {
  const best = genes.map((gene, j) => {
    let c = 0;
    for (let k = 1; k < classes.length; k++) if (mean(k, j) > mean(c, j)) c = k;
    return { gene, j, c, mean: mean(c, j) };
  }).sort((a, b) => a.c - b.c || b.mean - a.mean || a.j - b.j);
  const blocks: GeneBlock[] = [];
  for (const b of best) {
    const last = blocks.at(-1);
    if (last?.class === classes[b.c]) last.genes.push(b.gene);
    else blocks.push({ class: classes[b.c], genes: [b.gene] });
  }
  return blocks;
}

/** How {@link dotPlotSpec} colours the dots. */
export interface DotPlotOptions {
  /**
   * `gene` (default): each gene's class means min-max scaled to [0, 1] across the classes, as
   * scanpy's `standard_scale="var"` (a gene equal in every class is 0); `none`: the means as they are.
   */
  scale?: "gene" | "none";
}

/** Each row's mean min-max scaled across the classes of its gene (scanpy's `standard_scale="var"`). */
function scaledPerGene(rows: DotPlotData["rows"]): number[] {
  const low = new Map<string, number>(), high = new Map<string, number>();
  for (const r of rows) {
    low.set(r.gene, Math.min(low.get(r.gene) ?? Infinity, r.mean));
    high.set(r.gene, Math.max(high.get(r.gene) ?? -Infinity, r.mean));
  }
  return rows.map((r) => {
    const span = high.get(r.gene)! - low.get(r.gene)!;
    return span > 0 ? (r.mean - low.get(r.gene)!) / span : 0;
  });
}

/** Pixels from one gene (or class) to the next in the dot plot. */
const DOT_STEP = 20;

/**
 * Dot plot of a panel (scanpy's `dotplot`): classes as rows, genes as columns in marker order
 * (grouped by the class where each gene's mean is highest, classes in order, then by that mean),
 * each group bracketed and named above the dots; colour = mean expression in the class, scaled
 * 0-1 per gene by default (`options.scale`), dot size = fraction of cells expressing the gene
 * (count > 0). The unscaled mean is in the tooltip.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rows = [
 *   { class: "a", gene: "G1", mean: 0.1, fraction: 0.2 }, { class: "a", gene: "G2", mean: 2, fraction: 0.9 },
 *   { class: "b", gene: "G1", mean: 1.5, fraction: 0.8 }, { class: "b", gene: "G2", mean: 0.3, fraction: 0.1 },
 * ];
 * const spec = dotPlotSpec({ label: "t", genes: ["G1", "G2"], classes: ["a", "b"], cells: [5, 5], rows, targetSum: 1e4, log1p: true });
 * const dots = (spec.layer as { data: { values: { gene: string; scaled: number }[] }; encoding: { x: { scale: { domain: string[] } } } }[])[0];
 * assert.deepEqual(dots.encoding.x.scale.domain, ["G2", "G1"]);
 * assert.deepEqual(dots.data.values.map((r) => r.scaled), [0, 1, 1, 0]);
 * ```
 */
export function dotPlotSpec(
  data: DotPlotData,
  title = "",
  options: DotPlotOptions = {},
): VegaLiteSpec {
  const scale = options.scale ?? "gene";
  const colour = data.log1p ? "mean log1p expression" : "mean expression";
  const index = new Map(data.rows.map((r) => [`${r.class}\u0000${r.gene}`, r.mean]));
  const blocks = markerBlocks(
    data.genes,
    data.classes,
    (c, j) => index.get(`${data.classes[c]}\u0000${data.genes[j]}`) ?? -Infinity,
  );
  const order = blocks.flatMap((b) => b.genes);
  const scaled = scaledPerGene(data.rows);
  const x = {
    field: "gene",
    type: "nominal",
    // a domain, not a sort: the bracket layers share the scale through other fields
    scale: { domain: order },
    title: null,
    axis: { labelAngle: -90, labelBaseline: "middle", domain: false, ticks: false },
  };
  return {
    ...top(title),
    width: { step: DOT_STEP },
    height: { step: DOT_STEP },
    layer: [
      {
        data: { values: data.rows.map((r, i) => ({ ...r, scaled: scaled[i] })) },
        mark: { type: "circle", opacity: 1, stroke: "#777", strokeWidth: 0.5 },
        encoding: {
          x,
          y: {
            field: "class",
            type: "nominal",
            sort: data.classes,
            title: data.label,
            axis: { domain: false, ticks: false },
          },
          color: {
            field: scale === "gene" ? "scaled" : "mean",
            type: "quantitative",
            title: scale === "gene"
              ? [`${colour} in class`, "(scaled 0-1 per gene)"]
              : [colour, "in class"],
            scale: { range: REDS, ...(scale === "gene" ? { domain: [0, 1] } : { domainMin: 0 }) },
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
            ...(scale === "gene" ? [{ field: "scaled", format: ".2f" }] : []),
            { field: "fraction", format: ".1%" },
          ],
        },
      },
      ...bracketLayers(blocks, x),
    ],
  };
}

/**
 * Layers that bracket each block of genes above the plot (on the dot plot's gene scale `x`) and
 * name its class, written upwards so that names longer than their block never collide.
 */
function bracketLayers(blocks: GeneBlock[], x: Record<string, unknown>): VegaLiteSpec[] {
  const values = blocks.map((b) => ({
    class: b.class,
    first: b.genes[0],
    last: b.genes.at(-1)!,
    middle: b.genes[Math.floor(b.genes.length / 2)],
    // an even block is centred between its two middle genes
    shift: b.genes.length % 2 ? 0 : -DOT_STEP / 2,
  }));
  const at = (field: string) => ({ ...x, field });
  const rule = { type: "rule", color: "#444", strokeWidth: 1 };
  return [
    { mark: rule, encoding: { x: at("first"), x2: { field: "last" }, y: { value: -6 } } },
    ...["first", "last"].map((end) => ({
      mark: rule,
      encoding: { x: at(end), y: { value: -6 }, y2: { value: -1 } },
    })),
    ...[0, -DOT_STEP / 2].map((shift) => ({
      transform: [{ filter: `datum.shift == ${shift}` }],
      mark: {
        type: "text",
        angle: 270,
        align: "left",
        baseline: "middle",
        dy: shift, // offsets apply before the rotation: dy moves the text sideways
        fontSize: 11,
      },
      encoding: { x: at("middle"), y: { value: -9 }, text: { field: "class" } },
    })),
  ].map((layer) => ({ data: { values }, ...layer }));
}

/** Options of {@link heatmapSpec}. */
export interface HeatmapOptions {
  /** z-scores beyond ±clip take the end colours (default 2.5, as Seurat's `DoHeatmap`). */
  clip?: number;
}

/** Heatmap width aimed at, in pixels: cells get 1 to 6 pixels each. */
const HEATMAP_WIDTH = 600;

/**
 * Heatmap of a panel's genes by cell (Seurat's `DoHeatmap`, scanpy's `heatmap`): genes as rows
 * in marker order (as {@link dotPlotSpec}), cells as columns grouped by class, each group under
 * a coloured band with its name (its tooltip: cells drawn, cells in the class); colour = the gene's
 * z-score, diverging blue-white-red and clipped at ±`clip`. Data from `heatmapData`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "../data/dataset.ts";
 * import { heatmapData } from "../data/expression.ts";
 * const ds = Dataset.fromDense(new Float32Array([5, 0, 4, 1, 0, 6, 1, 5]), 4, 2, ["A", "B"], {
 *   t: { kind: "string", values: ["x", "x", "y", "y"] },
 * });
 * const spec = heatmapSpec(heatmapData(ds, ["B", "A"], "t"));
 * const cells = (spec.layer as { data: { values: { gene: string; cell: number }[] } }[])[0].data.values;
 * assert.equal(cells.length, 8);
 * assert.deepEqual((spec.layer as { encoding: { y: { sort: string[] } } }[])[0].encoding.y.sort, ["A", "B"]);
 * ```
 */
export function heatmapSpec(
  data: HeatmapData,
  title = "",
  options: HeatmapOptions = {},
): VegaLiteSpec {
  const clip = options.clip ?? 2.5;
  if (!(clip > 0 && Number.isFinite(clip))) {
    throw new OptionError(`clip must be a finite number > 0, got ${clip}`, {
      field: "clip",
      fix: "pass e.g. clip: 2.5",
    });
  }
  const g = data.genes.length, n = data.cellIndex.length;
  const order = markerBlocks(data.genes, data.classes, (c, j) => data.means[c * g + j])
    .flatMap((b) => b.genes);
  const cells = Array.from({ length: n * g }, (_, k) => {
    const r = Math.floor(k / g), j = k % g;
    // 3 decimals are plenty for a colour and keep the spec's JSON short
    const z = Math.round(data.z[k] * 1000) / 1000;
    return { cell: r, gene: data.genes[j], z, class: data.classes[data.cellClass[r]] };
  });
  // Drawn cells come grouped by class, in class order.
  const groups = data.classes.map((name, c) => {
    const start = data.cellClass.indexOf(c), end = data.cellClass.lastIndexOf(c) + 1;
    return {
      class: name,
      start,
      end,
      middle: (start + end) / 2,
      drawn: end - start,
      cells: data.cells[c],
    };
  });
  const x = {
    type: "quantitative",
    scale: { domain: [0, n], nice: false, zero: false },
    axis: null,
  };
  const band = { y: { value: -12 }, y2: { value: -3 } };
  // aria off: per-cell ARIA labels would triple the SVG
  const rect = { data: { values: cells }, mark: { type: "rect", aria: false } };
  return {
    ...top(title),
    // whole pixels per cell: short path data in the SVG
    width: n * Math.min(6, Math.max(1, Math.floor(HEATMAP_WIDTH / Math.max(1, n)))),
    height: { step: 14 },
    layer: [
      {
        ...rect,
        transform: [{ calculate: "datum.cell + 1", as: "next" }],
        encoding: {
          x: { ...x, field: "cell" },
          x2: { field: "next" },
          y: {
            field: "gene",
            type: "nominal",
            sort: order,
            title: null,
            axis: { domain: false, ticks: false },
          },
          color: {
            field: "z",
            type: "quantitative",
            title: ["expression z-score", `(clipped at ±${clip})`],
            scale: { scheme: "redblue", reverse: true, domain: [-clip, clip], clamp: true },
            legend: { gradientLength: 100 },
          },
          tooltip: [{ field: "class" }, { field: "gene" }, { field: "z", format: ".2f" }],
        },
      },
      {
        data: { values: groups },
        mark: { type: "rule", color: "white", strokeWidth: 1.5 },
        transform: [{ filter: "datum.start > 0" }],
        encoding: { x: { ...x, field: "start" } },
      },
      {
        data: { values: groups },
        mark: { type: "rect" },
        encoding: {
          x: { ...x, field: "start" },
          x2: { field: "end" },
          ...band,
          color: {
            field: "class",
            type: "nominal",
            scale: classColours(data.classes),
            legend: null,
          },
          tooltip: [{ field: "class" }, { field: "drawn", title: "cells drawn" }, {
            field: "cells",
            title: "cells in class",
          }],
        },
      },
      {
        data: { values: groups },
        mark: { type: "text", angle: 270, align: "left", baseline: "middle", fontSize: 11 },
        encoding: { x: { ...x, field: "middle" }, y: { value: -15 }, text: { field: "class" } },
      },
    ],
    resolve: { scale: { color: "independent" } },
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
