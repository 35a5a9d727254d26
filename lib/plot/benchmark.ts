/**
 * Benchmark figures: a metric against panel size k per method, and selection time per method.
 * @module
 */
import type { MetricPoint } from "../eval/report.ts";
import { top } from "./_common.ts";
import type { VegaLiteSpec } from "./render.ts";

/**
 * Metric against panel size k, one line per method, mean over seeds with a ±1 sd band; k on a
 * log2 axis (the usual 8, 16, 32, 64 grid is then evenly spaced).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const spec = metricVsKSpec([{ method: "yoto", k: 8, mean: 0.8, sd: 0.02 }], "macro-F1");
 * assert.ok(JSON.stringify(spec).includes("yoto"));
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
 * import assert from "node:assert/strict";
 * const spec = secondsSpec([{ method: "l1", seconds: 2.5 }]);
 * assert.ok(JSON.stringify(spec).includes("l1"));
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
