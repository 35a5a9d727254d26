/**
 * Figure builders: each returns a vega-lite spec (plain JSON data); rendering is separate
 * (render.ts).
 * @module
 */
import type { EpochRecord } from "../select/yoto/train.ts";

/** A vega-lite specification (top-level JSON object). */
export type VegaLiteSpec = Record<string, unknown>;

/**
 * Validation metric of each task per epoch (macro-F1 for classification, loss otherwise), with
 * the soft-mask mass on the hard top-k as a dashed line.
 *
 * @example
 * ```ts
 * const spec = trainingCurveSpec([{ epoch: 1, steps: 10, tau: 1, loss: { t: 1 }, val: { t: 0.5 }, monitor: 0.5, valLoss: 1, maskMass: 0.3, seconds: 1 }]);
 * console.assert(JSON.stringify(spec).includes("validation"));
 * ```
 */
export function trainingCurveSpec(history: EpochRecord[], title = "YOTO training"): VegaLiteSpec {
  const values = history.flatMap((r) => [
    ...Object.entries(r.val).map(([task, value]) => ({
      epoch: r.epoch,
      series: `validation ${task}`,
      value,
    })),
    { epoch: r.epoch, series: "mask mass on panel", value: r.maskMass },
  ]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: 420,
    height: 240,
    data: { values },
    mark: { type: "line", point: false },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "epoch" },
      y: {
        field: "value",
        type: "quantitative",
        title: "macro-F1 (classification) / mass",
        scale: { domain: [0, 1] },
      },
      color: { field: "series", type: "nominal", title: null, legend: { labelLimit: 400 } },
      strokeDash: {
        condition: { test: "datum.series === 'mask mass on panel'", value: [4, 3] },
        value: [1, 0],
      },
    },
  };
}

/** One point of a metric-vs-k curve: mean and sd over seeds. */
export interface MetricPoint {
  method: string;
  k: number;
  mean: number;
  sd: number;
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
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: 360,
    height: 240,
    data: { values },
    layer: [
      {
        mark: { type: "area", opacity: 0.15 },
        encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color },
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
  };
}

/**
 * Mean seconds per method (one bar each, log scale: methods differ by orders of magnitude).
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
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: 360,
    height: { step: 18 },
    data: { values },
    mark: "bar",
    encoding: {
      y: { field: "method", type: "nominal", sort: "-x", title: null },
      x: {
        field: "seconds",
        type: "quantitative",
        scale: { type: "log" },
        title: "seconds (mean over runs, log scale)",
      },
    },
  };
}
