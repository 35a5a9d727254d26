/**
 * The confusion matrix of a classifier as a row-normalised heatmap.
 * @module
 */
import { checkDistinct } from "../data/expression.ts";
import { ShapeMismatchError } from "../runtime/errors.ts";
import { BLUES, top } from "./_common.ts";
import type { VegaLiteSpec } from "./render.ts";

/**
 * Confusion matrix as a heatmap: rows true classes, columns predicted ones, colour = fraction of
 * the true class (row-normalised; a class without cells is a row of zeros), cell counts as text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const spec = confusionMatrixSpec([Int32Array.of(3, 1), Int32Array.of(0, 0)], ["a", "b"]);
 * const rows = (spec.data as { values: { fraction: number }[] }).values;
 * assert.deepEqual(rows.map((r) => r.fraction), [0.75, 0.25, 0, 0]);
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
