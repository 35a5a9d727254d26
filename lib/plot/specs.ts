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
 * const spec = trainingCurveSpec([{ epoch: 1, steps: 10, tau: 1, loss: { t: 1 }, val: { t: 0.5 }, monitor: 0.5, maskMass: 0.3, seconds: 1 }]);
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
