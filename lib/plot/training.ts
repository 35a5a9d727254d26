/**
 * YOTO training curves: validation metric and mask mass per epoch, or three panels (training
 * loss, validation, temperature).
 * @module
 */
import type { EpochRecord } from "../select/yoto/model.ts";
import { MUTED, PALETTE, top, unitOrFree } from "./_common.ts";
import type { VegaLiteSpec } from "./render.ts";

const MASK_SERIES = "mask mass on panel";
/** Mask mass is drawn in dark grey. */
const MASK_COLOUR = "#444";
/** The x encoding of every training panel. */
const EPOCH = { field: "epoch", type: "quantitative", title: "epoch" };

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
 * import assert from "node:assert/strict";
 * const spec = trainingCurveSpec([{ epoch: 1, steps: 10, tau: 1, loss: { t: 1 }, val: { t: 0.5 }, monitor: 0.5, valLoss: 1, maskMass: 0.3, seconds: 1 }]);
 * assert.ok(JSON.stringify(spec).includes("validation"));
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
 * import assert from "node:assert/strict";
 * const history = [1, 2].map((epoch) => ({ epoch, steps: 10 * epoch, tau: 10 / epoch, loss: { t: 1 / epoch }, val: { t: 0.5 }, monitor: 0.5, valLoss: 1, maskMass: 0.3 * epoch, seconds: 1 }));
 * const spec = trainingPanelsSpec(history, { bestEpoch: 2 });
 * assert.equal((spec.vconcat as unknown[]).length, 3);
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
