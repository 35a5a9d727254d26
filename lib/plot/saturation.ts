/**
 * The training-size saturation study: metric against the fraction of training cells per
 * downsampling scheme, with each scheme's saturation point.
 * @module
 */
import type { SaturationCurvePoint, SaturationMark } from "../eval/saturation.ts";
import { top, unitOrFree } from "./_common.ts";
import type { VegaLiteSpec } from "./render.ts";

/**
 * Test metric against the fraction of training cells (log axis), one line per downsampling
 * scheme, mean over seeds with a ±1 sd band; each scheme's saturation point drawn as a dashed
 * rule and a ring on its curve, labelled along the bottom of the plot.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const points = [0.1, 1].map((fraction) => ({ scheme: "random", fraction, mean: 0.5 + fraction / 4, sd: 0.01 }));
 * const spec = saturationSpec(points, [{ scheme: "random", fraction: 1 }], "micro-F1");
 * assert.equal((spec.layer as unknown[]).length, 5);
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
