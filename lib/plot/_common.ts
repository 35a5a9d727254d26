/**
 * What every figure shares: the top-level fields (schema, title, text sizes), the colours, and
 * the y scale rule for metrics.
 * @module
 */
import type { VegaLiteSpec } from "./render.ts";

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
/** Line colours (tableau10) for tasks and methods. */
export const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
];
export const HIGHLIGHT = "#e45756";
/** ColorBrewer's 9-class Blues and Reds (vega's schemes of that name leave out the pale end). */
export const BLUES = "#f7fbff #deebf7 #c6dbef #9ecae1 #6baed6 #4292c6 #2171b5 #08519c #08306b"
  .split(" ");
export const REDS = "#fff5f0 #fee0d2 #fcbba1 #fc9272 #fb6a4a #ef3b2c #cb181d #a50f15 #67000d".split(
  " ",
);
export const MUTED = "#9a9a9a";

/**
 * Colour scale of a label's classes, in the given order: tableau10 (tableau20 above 10 classes),
 * so a class has one colour in every figure that draws these classes.
 */
export function classColours(classes: readonly string[]): Record<string, unknown> {
  return { domain: [...classes], scheme: classes.length <= 10 ? "tableau10" : "tableau20" };
}

/** The fields every top-level spec here starts with. */
export function top(title: string | { text: string; subtitle?: string | string[] }): VegaLiteSpec {
  const t = typeof title === "string" ? title : title.subtitle ? title : title.text;
  return { $schema: SCHEMA, ...(t ? { title: t } : {}), config: CONFIG };
}

/** The scale's domain is [0, 1] when every value lies there (F1, mass), free otherwise (losses). */
export function unitOrFree(values: number[]): Record<string, unknown> {
  return values.every((v) => v >= 0 && v <= 1) ? { domain: [0, 1] } : { zero: false };
}
