/**
 * Figure builders: each returns a vega-lite spec (plain JSON data); rendering is separate
 * (render.ts). Also the small summaries some figures draw: per-class expression for the dot plot,
 * selection frequency and Jaccard stability of panels across seeds.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { medianLibrarySize } from "../data/preprocess.ts";
import type { MetricPoint } from "../eval/report.ts";
import type { SaturationCurvePoint, SaturationMark } from "../eval/saturation.ts";
import { meanJaccard, selectionFrequency } from "../metrics/stability.ts";
import { OptionError, ShapeMismatchError } from "../runtime/errors.ts";
import { libraryTotals, transformInput } from "../data/transform.ts";
import type { EpochRecord } from "../select/yoto/model.ts";

/** A vega-lite specification (top-level JSON object). */
export type VegaLiteSpec = Record<string, unknown>;

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
/**
 * Text a little larger than vega's defaults, so figures stay legible when scaled into a page;
 * labels (class and gene names) are cut with "…" only beyond 400 px (about 65 characters).
 */
const CONFIG = {
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400, titleLimit: 400 },
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: "#555", anchor: "start", offset: 8 },
};
/** Line colours (tableau10) for tasks and methods; mask mass is drawn in dark grey. */
const PALETTE = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2"];
const MASK_SERIES = "mask mass on panel";
const MASK_COLOUR = "#444";
const HIGHLIGHT = "#e45756";
/** ColorBrewer's 9-class Blues and Reds (vega's schemes of that name leave out the pale end). */
const BLUES = "#f7fbff #deebf7 #c6dbef #9ecae1 #6baed6 #4292c6 #2171b5 #08519c #08306b".split(" ");
const REDS = "#fff5f0 #fee0d2 #fcbba1 #fc9272 #fb6a4a #ef3b2c #cb181d #a50f15 #67000d".split(" ");
const MUTED = "#9a9a9a";
/** The x encoding of every training panel. */
const EPOCH = { field: "epoch", type: "quantitative", title: "epoch" };

/** The fields every top-level spec here starts with. */
function top(title: string | { text: string; subtitle?: string | string[] }): VegaLiteSpec {
  const t = typeof title === "string" ? title : title.subtitle ? title : title.text;
  return { $schema: SCHEMA, ...(t ? { title: t } : {}), config: CONFIG };
}

/** The scale's domain is [0, 1] when every value lies there (F1, mass), free otherwise (losses). */
function unitOrFree(values: number[]): Record<string, unknown> {
  return values.every((v) => v >= 0 && v <= 1) ? { domain: [0, 1] } : { zero: false };
}

/**
 * The tasks with a `key` value (training loss or validation) and their colours, each task's colour
 * fixed by its place among all tasks of the history so that it is the same in every panel.
 */
function taskColours(history: EpochRecord[], key: "loss" | "val") {
  const all = [
    ...new Set(history.flatMap((r) => [...Object.keys(r.loss), ...Object.keys(r.val)])),
  ];
  const tasks = all.filter((t) => history.some((r) => t in r[key]));
  return { tasks, colours: tasks.map((t) => PALETTE[all.indexOf(t) % PALETTE.length]) };
}

/** Validation lines (one colour per task, mask mass dashed dark grey) as one layer. */
function validationLayer(history: EpochRecord[], title: string): VegaLiteSpec {
  const values = history.flatMap((r) => [
    ...Object.entries(r.val).map(([task, value]) => ({
      epoch: r.epoch,
      series: `validation ${task}`,
      value,
    })),
    { epoch: r.epoch, series: MASK_SERIES, value: r.maskMass },
  ]);
  const { tasks, colours } = taskColours(history, "val");
  return {
    data: { values },
    mark: { type: "line", point: false },
    encoding: {
      x: EPOCH,
      y: {
        field: "value",
        type: "quantitative",
        title,
        scale: unitOrFree(values.map((v) => v.value)),
      },
      color: {
        field: "series",
        type: "nominal",
        title: null,
        scale: {
          domain: [...tasks.map((t) => `validation ${t}`), MASK_SERIES],
          range: [...colours, MASK_COLOUR],
        },
      },
      strokeDash: {
        condition: { test: `datum.series === '${MASK_SERIES}'`, value: [4, 3] },
        value: [1, 0],
      },
    },
  };
}

/**
 * Validation metric of each task per epoch (macro-F1 for classification, loss otherwise), with
 * the soft-mask mass on the hard top-k as a dashed line. The y axis is [0, 1] when every value
 * lies there.
 *
 * @example
 * ```ts
 * const spec = trainingCurveSpec([{ epoch: 1, steps: 10, tau: 1, loss: { t: 1 }, val: { t: 0.5 }, monitor: 0.5, valLoss: 1, maskMass: 0.3, seconds: 1 }]);
 * console.assert(JSON.stringify(spec).includes("validation"));
 * ```
 */
export function trainingCurveSpec(history: EpochRecord[], title = "YOTO training"): VegaLiteSpec {
  return {
    ...top(title),
    width: 420,
    height: 240,
    ...validationLayer(history, "macro-F1 (classification) / mass"),
  };
}

/** Options of {@link trainingPanelsSpec}. */
export interface TrainingPanelsOptions {
  title?: string;
  /** The epoch whose weights were kept (`model.metrics.bestEpoch`): a grey rule on each panel. */
  bestEpoch?: number;
}

/**
 * YOTO training in three panels over epochs: training loss per task; validation metric per task
 * (macro-F1 for classification, loss otherwise) with the soft-mask mass on the hard top-k;
 * the relaxation temperature on a log scale. Tasks keep their colour across panels.
 *
 * @example
 * ```ts
 * const history = [1, 2].map((epoch) => ({ epoch, steps: 10 * epoch, tau: 10 / epoch, loss: { t: 1 / epoch }, val: { t: 0.5 }, monitor: 0.5, valLoss: 1, maskMass: 0.3 * epoch, seconds: 1 }));
 * const spec = trainingPanelsSpec(history, { bestEpoch: 2 });
 * console.assert((spec.vconcat as unknown[]).length === 3);
 * ```
 */
export function trainingPanelsSpec(
  history: EpochRecord[],
  options: TrainingPanelsOptions = {},
): VegaLiteSpec {
  const { tasks, colours } = taskColours(history, "loss");
  const taus = history.map((r) => r.tau).filter((t) => t > 0);
  const lo = taus.length ? Math.floor(Math.log10(Math.min(...taus))) : 0;
  const hi = Math.max(lo + 1, taus.length ? Math.ceil(Math.log10(Math.max(...taus))) : 1);
  const decades = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
  const rule = options.bestEpoch === undefined ? [] : [{
    data: { values: [{ epoch: options.bestEpoch }] },
    mark: { type: "rule", color: MUTED, strokeDash: [2, 2] },
    encoding: { x: { field: "epoch", type: "quantitative" } },
  }];
  const panel = (title: string, height: number, layer: VegaLiteSpec) => ({
    title: { text: title, fontSize: 12, fontWeight: "normal" },
    width: 420,
    height,
    layer: [layer, ...rule],
  });
  const loss = history.flatMap((r) =>
    Object.entries(r.loss).map(([series, value]) => ({ epoch: r.epoch, series, value }))
  );
  return {
    ...top({
      text: options.title ?? "YOTO training",
      subtitle: options.bestEpoch === undefined
        ? undefined
        : `dotted line: epoch ${options.bestEpoch}, whose weights were kept`,
    }),
    vconcat: [
      panel("training loss per task", 140, {
        data: { values: loss },
        mark: "line",
        encoding: {
          x: EPOCH,
          y: { field: "value", type: "quantitative", title: "loss", scale: { zero: false } },
          color: {
            field: "series",
            type: "nominal",
            title: null,
            scale: { domain: tasks, range: colours },
          },
        },
      }),
      panel(
        "validation per task (macro-F1, or loss) and soft-mask mass on the top-k",
        160,
        validationLayer(history, "metric / mass"),
      ),
      panel("relaxation temperature", 90, {
        data: { values: history.map((r) => ({ epoch: r.epoch, tau: r.tau })) },
        mark: { type: "line", color: MASK_COLOUR },
        encoding: {
          x: EPOCH,
          y: {
            field: "tau",
            type: "quantitative",
            title: "τ (log scale)",
            scale: { type: "log", domain: [decades[0], decades.at(-1)!], nice: false },
            // One grid line per power of ten: minor log ticks crowd a short panel.
            axis: { values: decades, format: "~g" },
          },
        },
      }),
    ],
    spacing: 18,
    resolve: { scale: { color: "independent" } },
  };
}

/**
 * Metric against panel size k, one line per method, mean over seeds with a ±1 sd band; k on a
 * log2 axis (the usual 8, 16, 32, 64 grid is then evenly spaced).
 *
 * @example
 * ```ts
 * const spec = metricVsKSpec([{ method: "yoto", k: 8, mean: 0.8, sd: 0.02 }], "macro-F1");
 * console.assert(JSON.stringify(spec).includes("yoto"));
 * ```
 */
export function metricVsKSpec(points: MetricPoint[], metric: string, title = ""): VegaLiteSpec {
  const values = points.map((p) => ({ ...p, lo: p.mean - p.sd, hi: p.mean + p.sd }));
  const x = {
    field: "k",
    type: "quantitative",
    title: "panel size k",
    scale: { type: "log", base: 2 },
    axis: { values: [...new Set(points.map((p) => p.k))].sort((a, b) => a - b) },
  };
  const color = { field: "method", type: "nominal", title: "method" };
  return {
    ...top(title),
    width: 360,
    height: 240,
    data: { values },
    layer: [
      {
        mark: { type: "area", opacity: 0.15 },
        encoding: {
          x,
          y: { field: "lo", type: "quantitative", scale: { zero: false } },
          y2: { field: "hi" },
          // The legend shows the lines (pale band swatches are hard to tell apart); the
          // independent legend below keeps this null from dropping the merged one.
          color: { ...color, legend: null },
        },
      },
      {
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: { field: "mean", type: "quantitative", title: `${metric} (mean ± sd over seeds)` },
          color,
          tooltip: [{ field: "method" }, { field: "k" }, { field: "mean", format: ".3f" }, {
            field: "sd",
            format: ".3f",
          }],
        },
      },
    ],
    resolve: { legend: { color: "independent" } },
  };
}

/**
 * Mean seconds per method (one bar each, log scale: methods differ by orders of magnitude).
 * Bars start at the power of ten below the fastest method (a log scale has no zero); a method
 * timed at 0 s keeps its row, with no bar and its label.
 *
 * @example
 * ```ts
 * const spec = secondsSpec([{ method: "l1", seconds: 2.5 }]);
 * console.assert(JSON.stringify(spec).includes("l1"));
 * ```
 */
export function secondsSpec(
  values: { method: string; seconds: number }[],
  title = "selection time",
): VegaLiteSpec {
  const positive = values.map((v) => v.seconds).filter((s) => s > 0);
  const base = 10 ** Math.floor(Math.log10(positive.length ? Math.min(...positive) : 1));
  return {
    ...top(title),
    width: 360,
    height: { step: 20 },
    // A log scale drops values <= 0: those are drawn at the base.
    data: { values: values.map((v) => ({ ...v, drawn: Math.max(v.seconds, base) })) },
    encoding: {
      y: { field: "method", type: "nominal", sort: "-x", title: null },
      x: {
        field: "drawn",
        type: "quantitative",
        scale: { type: "log", domainMin: base },
        // Bars carry their values; minor log grid lines would only crowd them.
        axis: { grid: false },
        title: "seconds (mean over runs, log scale)",
      },
    },
    layer: [
      { mark: "bar", encoding: { x2: { datum: base } } },
      {
        mark: { type: "text", align: "left", dx: 3, fontSize: 10 },
        encoding: { text: { field: "seconds", type: "quantitative", format: ".3~g" } },
      },
    ],
  };
}

/** Mean expression and fraction of expressing cells of one gene in one class. */
export interface DotPlotRow {
  class: string;
  gene: string;
  /** Mean over the class's cells of the (normalised, log1p) expression. */
  mean: number;
  /** Fraction of the class's cells with a count > 0. */
  fraction: number;
}

/** What {@link dotPlotSpec} draws: classes (with >= 1 cell) x genes. */
export interface DotPlotData {
  /** The label column. */
  label: string;
  /** Genes as given. */
  genes: string[];
  /** Classes with at least one labelled cell, in the column's category order. */
  classes: string[];
  /** Cells per class. */
  cells: number[];
  /** One row per (class, gene), class-major. */
  rows: DotPlotRow[];
  /** How the expression was transformed (for the colour legend). */
  targetSum: number | null;
  log1p: boolean;
}

/** Options of {@link dotPlotData}. */
export interface DotPlotDataOptions {
  /**
   * Each cell is scaled to this total first (default: the median total of the cells, as scanpy's
   * normalize_total; a model's `spec.transform.targetSum` to match its input; null: as given).
   */
  targetSum?: number | null;
  /** log1p after scaling (default true). */
  log1p?: boolean;
}

/**
 * Per class of `label` and gene: mean normalised log1p expression and the fraction of cells with
 * a count > 0 (scanpy's dot plot), from raw counts. Library sizes are summed over every gene of
 * `ds`; cells without a label are left out.
 *
 * @example
 * ```ts
 * import { Dataset } from "../data/dataset.ts";
 * const ds = Dataset.fromDense(new Float32Array([1, 1, 0, 2, 3, 1]), 3, 2, ["A", "B"], {
 *   t: { kind: "string", values: ["x", "y", "y"] },
 * });
 * const d = dotPlotData(ds, ["A"], "t", { targetSum: 2, log1p: false });
 * console.assert(d.rows[0].mean === 1 && d.rows[1].fraction === 0.5); // x: 1/2*2; y: 1 of 2
 * ```
 */
export function dotPlotData(
  ds: Dataset,
  genes: string[],
  label: string,
  options: DotPlotDataOptions = {},
): DotPlotData {
  checkDistinct(genes, "genes");
  const { codes, categories } = ds.categorical(label);
  const log1p = options.log1p ?? true;
  const targetSum = options.targetSum === undefined ? medianLibrarySize(ds) : options.targetSum;
  const g = genes.length;
  // The shared input transform without z-scoring: the same scaling and log1p as model input.
  const transform = { genes, targetSum, log1p, means: genes.map(() => 0), sds: genes.map(() => 1) };
  const x = transformInput(
    ds.selectGenes(genes),
    transform,
    Int32Array.from(genes, (_, j) => j),
    libraryTotals(ds, transform),
    new Float64Array(ds.nCells * g),
  );
  const k = categories.length;
  const sums = new Float64Array(k * g), positive = new Float64Array(k * g);
  const counts = new Int32Array(k);
  for (let i = 0; i < ds.nCells; i++) {
    const c = codes[i];
    if (c < 0) continue;
    counts[c]++;
    for (let j = 0; j < g; j++) {
      const v = x[i * g + j];
      sums[c * g + j] += v;
      if (v > 0) positive[c * g + j]++;
    }
  }
  const present = categories.map((_, c) => c).filter((c) => counts[c] > 0);
  return {
    label,
    genes: [...genes],
    classes: present.map((c) => categories[c]),
    cells: present.map((c) => counts[c]),
    rows: present.flatMap((c) =>
      genes.map((gene, j) => ({
        class: categories[c],
        gene,
        mean: sums[c * g + j] / counts[c],
        fraction: positive[c * g + j] / counts[c],
      }))
    ),
    targetSum,
    log1p,
  };
}

/** OptionError when a list names something twice (figures key rows by name). */
function checkDistinct(names: readonly string[], field: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) {
      throw new OptionError(`'${n}' appears twice in ${field}`, {
        field,
        fix: "pass each name once",
      });
    }
    seen.add(n);
  }
}

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
 * const rows = [
 *   { class: "a", gene: "G1", mean: 0.1, fraction: 0.2 }, { class: "a", gene: "G2", mean: 2, fraction: 0.9 },
 *   { class: "b", gene: "G1", mean: 1.5, fraction: 0.8 }, { class: "b", gene: "G2", mean: 0.3, fraction: 0.1 },
 * ];
 * const spec = dotPlotSpec({ label: "t", genes: ["G1", "G2"], classes: ["a", "b"], cells: [5, 5], rows, targetSum: 1e4, log1p: true });
 * console.assert(JSON.stringify((spec.encoding as { x: { sort: string[] } }).x.sort) === '["G2","G1"]');
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

/**
 * Confusion matrix as a heatmap: rows true classes, columns predicted ones, colour = fraction of
 * the true class (row-normalised; a class without cells is a row of zeros), cell counts as text.
 *
 * @example
 * ```ts
 * const spec = confusionMatrixSpec([Int32Array.of(3, 1), Int32Array.of(0, 0)], ["a", "b"]);
 * const rows = (spec.data as { values: { fraction: number }[] }).values;
 * console.assert(rows.map((r) => r.fraction).join() === "0.75,0.25,0,0");
 * ```
 */
export function confusionMatrixSpec(
  confusion: ArrayLike<number>[],
  classes: string[],
  title = "confusion matrix (row-normalised)",
): VegaLiteSpec {
  const k = classes.length;
  if (confusion.length !== k || confusion.some((row) => row.length !== k)) {
    throw new ShapeMismatchError(
      `confusion matrix is not ${k} x ${k} (${k} classes): ${confusion.length} rows of ` +
        `lengths ${[...new Set(confusion.map((r) => r.length))].join("/")}`,
      { field: "confusion", fix: "pass rows = true classes, columns = predicted, one per class" },
    );
  }
  checkDistinct(classes, "classes");
  let largest = 0;
  const values = classes.flatMap((truth, t) => {
    let total = 0;
    for (let p = 0; p < k; p++) total += confusion[t][p];
    return classes.map((predicted, p) => {
      largest = Math.max(largest, confusion[t][p]);
      return {
        true: truth,
        predicted,
        count: confusion[t][p],
        fraction: total > 0 ? confusion[t][p] / total : 0,
      };
    });
  });
  // Cells wide enough for the largest count (about 7 px per digit at font size 10).
  const step = Math.max(28, 7 * String(largest).length + 10);
  const axis = (field: string) => ({
    field,
    type: "nominal",
    sort: classes,
    title: field,
  });
  return {
    ...top(title),
    width: { step },
    height: { step },
    data: { values },
    encoding: {
      x: { ...axis("predicted"), axis: { labelAngle: -45, labelAlign: "right" } },
      y: axis("true"),
    },
    layer: [
      {
        mark: { type: "rect", stroke: "white", strokeWidth: 1 },
        encoding: {
          color: {
            field: "fraction",
            type: "quantitative",
            title: ["fraction of", "true class"],
            // From near-white: an empty cell should look empty.
            scale: { domain: [0, 1], range: BLUES },
            legend: { format: ".0%" },
          },
          tooltip: [
            { field: "true" },
            { field: "predicted" },
            { field: "count" },
            { field: "fraction", format: ".1%" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: {
          text: { field: "count", type: "quantitative" },
          color: { condition: { test: "datum.fraction > 0.5", value: "white" }, value: "black" },
        },
      },
    ],
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
 * const spec = scoreRankingSpec(["A", "B", "C"], [0.2, 3, 1], ["B"]);
 * const rows = (spec.data as { values: { gene: string; rank: number; selected: boolean }[] }).values;
 * console.assert(rows[0].gene === "B" && rows[0].rank === 1 && rows[0].selected);
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
 * const spec = stabilitySpec([["A", "B"], ["B", "C"]]);
 * const bars = (spec.data as { values: { gene: string }[] }).values;
 * console.assert(bars.length === 3 && bars[0].gene === "B");
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

/** A point of a 2-D embedding. */
export interface EmbeddingPoint {
  x: number;
  y: number;
  label: string;
}

/** Options of {@link embeddingSpec}. */
export interface EmbeddingOptions {
  title?: string;
  /** Axis titles (default "PC1", "PC2"). */
  xTitle?: string;
  yTitle?: string;
  /** Legend title (default "label"). */
  labelTitle?: string;
}

/**
 * Scatter plot of a 2-D embedding (e.g. `pcaEmbedding` of the panel genes, embed.ts), one colour
 * per label.
 *
 * @example
 * ```ts
 * const spec = embeddingSpec([{ x: 0, y: 1, label: "B" }, { x: 1, y: 0, label: "NK" }]);
 * console.assert((spec.data as { values: unknown[] }).values.length === 2);
 * ```
 */
export function embeddingSpec(
  points: EmbeddingPoint[],
  options: EmbeddingOptions = {},
): VegaLiteSpec {
  const nLabels = new Set(points.map((p) => p.label)).size;
  const axis = (field: string, title: string) => ({
    field,
    type: "quantitative",
    title,
    scale: { zero: false },
  });
  return {
    ...top(options.title ?? ""),
    width: 360,
    height: 360,
    data: { values: points },
    mark: { type: "circle", size: 14, opacity: 0.7 },
    encoding: {
      x: axis("x", options.xTitle ?? "PC1"),
      y: axis("y", options.yTitle ?? "PC2"),
      color: {
        field: "label",
        type: "nominal",
        title: options.labelTitle ?? "label",
        scale: { scheme: nLabels <= 10 ? "tableau10" : "tableau20" },
        legend: { symbolOpacity: 1, symbolSize: 60 },
      },
    },
  };
}

/**
 * Test metric against the fraction of training cells (log axis), one line per downsampling
 * scheme, mean over seeds with a ±1 sd band; each scheme's saturation point drawn as a dashed
 * rule and a ring on its curve, labelled along the bottom of the plot.
 *
 * @example
 * ```ts
 * const points = [0.1, 1].map((fraction) => ({ scheme: "random", fraction, mean: 0.5 + fraction / 4, sd: 0.01 }));
 * const spec = saturationSpec(points, [{ scheme: "random", fraction: 1 }], "micro-F1");
 * console.assert((spec.layer as unknown[]).length === 5);
 * ```
 */
export function saturationSpec(
  points: SaturationCurvePoint[],
  saturation: SaturationMark[],
  metric: string,
  title = "",
  threshold = 0.95,
): VegaLiteSpec {
  const values = points.map((p) => ({ ...p, lo: p.mean - p.sd, hi: p.mean + p.sd }));
  const schemes = [...new Set(points.map((p) => p.scheme))];
  const height = 240;
  const fractions = [...new Set(points.map((p) => p.fraction))].sort((a, b) => a - b);
  const x = {
    field: "fraction",
    type: "quantitative",
    title: "training cells (fraction of the training set, log scale)",
    // Padded so that the end labels sit inside; every fraction of the grid is labelled.
    scale: {
      type: "log",
      domain: [fractions[0] / 1.3, fractions.at(-1)! * 1.12],
      nice: false,
    },
    axis: { values: fractions, format: ".0%", labelOverlap: false, labelFlush: false },
  };
  const color = { field: "scheme", type: "nominal", title: "scheme", scale: { domain: schemes } };
  const y = {
    field: "mean",
    type: "quantitative",
    title: `${metric} (mean ± sd over seeds)`,
    scale: unitOrFree(values.flatMap((v) => [v.lo, v.hi])),
  };
  const reached = saturation.filter((s) => s.fraction !== null);
  const marks = reached.map((s) => ({
    ...s,
    mean: points.find((p) => p.scheme === s.scheme && p.fraction === s.fraction)?.mean,
    label: `${s.scheme}: ${+(100 * s.fraction!).toFixed(1)}%`,
  }));
  const none = saturation.filter((s) => s.fraction === null).map((s) => s.scheme);
  return {
    ...top({
      text: title,
      subtitle: [
        "dashed rule and ring: a scheme's saturation point, the smallest fraction whose mean",
        `exceeds ${+(100 * threshold).toFixed(1)}% of the best run${
          none.length ? ` (none for ${none.join(", ")})` : ""
        }`,
      ],
    }),
    width: 560,
    height,
    data: { values },
    layer: [
      {
        mark: { type: "area", opacity: 0.15 },
        encoding: {
          x,
          y: { ...y, field: "lo" },
          y2: { field: "hi" },
          color: { ...color, legend: null },
        },
      },
      {
        mark: { type: "line", point: true },
        encoding: {
          x,
          y,
          color,
          tooltip: [{ field: "scheme" }, { field: "fraction", format: ".0%" }, {
            field: "mean",
            format: ".3f",
          }, { field: "sd", format: ".3f" }],
        },
      },
      {
        data: { values: marks },
        mark: { type: "rule", strokeDash: [4, 3], opacity: 0.8 },
        encoding: { x, color: { ...color, legend: null } },
      },
      {
        data: { values: marks },
        mark: { type: "point", size: 160, filled: false, strokeWidth: 2 },
        encoding: { x, y, color: { ...color, legend: null } },
      },
      // One label row per scheme along the bottom, where the curves rarely are.
      ...schemes.map((scheme, row) => ({
        data: { values: marks.filter((m) => m.scheme === scheme) },
        // Left of the rule at the last fraction, so the label stays over the plot.
        mark: marks.some((m) => m.scheme === scheme && m.fraction === fractions.at(-1))
          ? { type: "text", align: "right", dx: -4, fontSize: 10 }
          : { type: "text", align: "left", dx: 4, fontSize: 10 },
        encoding: {
          x,
          y: { value: height - 6 - 13 * row },
          text: { field: "label" },
          color: { ...color, legend: null },
        },
      })),
    ],
    resolve: { legend: { color: "independent" } },
  };
}
