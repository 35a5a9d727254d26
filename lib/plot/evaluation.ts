/**
 * `yoto evaluate` figures: per-class F1 of the panels side by side, and their headline metrics
 * side by side (the confusion matrices use {@link confusionMatrixSpec}).
 * @module
 */
import type { PanelReport } from "../eval/suite.ts";
import { PALETTE, top } from "./_common.ts";
import type { VegaLiteSpec } from "./render.ts";

/** Bars grouped by `group`, one colour per panel (the panels in the order given). */
function groupedBars(
  values: { group: string; panel: string; value: number }[],
  panels: string[],
  groupTitle: string,
  valueTitle: string,
  title: string,
): VegaLiteSpec {
  return {
    ...top(title),
    width: { step: Math.max(14, 60 / panels.length) },
    height: 220,
    data: { values },
    mark: { type: "bar" },
    encoding: {
      x: {
        field: "group",
        type: "nominal",
        title: groupTitle,
        sort: [...new Set(values.map((v) => v.group))],
        axis: { labelAngle: -45, labelAlign: "right" },
      },
      xOffset: { field: "panel", type: "nominal", sort: panels },
      y: { field: "value", type: "quantitative", title: valueTitle, scale: { domain: [0, 1] } },
      color: {
        field: "panel",
        type: "nominal",
        title: "panel",
        sort: panels,
        scale: { range: PALETTE },
      },
      tooltip: [{ field: "panel" }, { field: "group" }, { field: "value", format: ".3f" }],
    },
  };
}

/**
 * Per-class test F1 of one classifier on one label, the panels side by side.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PanelReport } from "../eval/suite.ts";
 * import { perClassF1Spec } from "./evaluation.ts";
 * const report = {
 *   name: "hvg16",
 *   classification: { cell_type: { lr: { per_class: [{ class: "B", f1: 0.9 }] } } },
 * } as unknown as PanelReport;
 * const spec = perClassF1Spec([report], "cell_type", "lr");
 * assert.ok(JSON.stringify(spec).includes("hvg16"));
 * ```
 */
export function perClassF1Spec(
  reports: PanelReport[],
  task: string,
  classifier: string,
): VegaLiteSpec {
  const values = reports.flatMap((r) =>
    (r.classification[task]?.[classifier]?.per_class ?? []).map((c) => ({
      group: c.class,
      panel: r.name,
      value: c.f1,
    }))
  );
  return groupedBars(
    values,
    reports.map((r) => r.name),
    task,
    "test F1",
    `per-class F1 (${classifier}, ${task})`,
  );
}

/**
 * The headline metrics of every panel side by side, all on [0, 1]: macro-F1 per label and
 * classifier, knn_overlap, mean NMI and ARI of cluster_similarity, mean redundancy, marker
 * coverage per label, reconstruction mean R² (clipped at 0) and macro-F1 at the lowest thinning
 * depth.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PanelReport } from "../eval/suite.ts";
 * import { metricBarsSpec } from "./evaluation.ts";
 * const report = {
 *   name: "p", classification: {}, knn_overlap: { mean: 0.4 },
 *   cluster_similarity: { mean_nmi: 0.5, mean_ari: 0.3 }, redundancy: { mean: 0.2 },
 *   marker_coverage: { labels: {} }, reconstruction_r2: null, thinning: { skipped: "" },
 * } as unknown as PanelReport;
 * assert.ok(JSON.stringify(metricBarsSpec([report])).includes("knn_overlap"));
 * ```
 */
export function metricBarsSpec(reports: PanelReport[]): VegaLiteSpec {
  const values: { group: string; panel: string; value: number }[] = [];
  for (const r of reports) {
    const add = (group: string, value: number | null | undefined) => {
      if (value !== null && value !== undefined && Number.isFinite(value)) {
        values.push({ group, panel: r.name, value });
      }
    };
    for (const [task, byClassifier] of Object.entries(r.classification)) {
      for (const [c, m] of Object.entries(byClassifier)) add(`macro-F1 ${c} ${task}`, m.macro_f1);
    }
    add("knn_overlap", r.knn_overlap.mean);
    add("cluster NMI", r.cluster_similarity.mean_nmi);
    add("cluster ARI", Math.max(0, r.cluster_similarity.mean_ari));
    add("redundancy", r.redundancy.mean);
    for (const [task, c] of Object.entries(r.marker_coverage.labels)) {
      add(`marker coverage ${task}`, c.covered_fraction);
    }
    if (r.reconstruction_r2) add("reconstruction R²", Math.max(0, r.reconstruction_r2.mean_r2));
    if ("macro_f1" in r.thinning) {
      const last = r.thinning.fractions.length - 1;
      const pct = `${Math.round(100 * r.thinning.fractions[last])}%`;
      for (const [task, byClassifier] of Object.entries(r.thinning.macro_f1)) {
        for (const [c, f1] of Object.entries(byClassifier)) {
          add(`macro-F1 ${c} ${task} at ${pct}`, f1[last]);
        }
      }
    }
  }
  return groupedBars(
    values,
    reports.map((r) => r.name),
    "metric",
    "value (redundancy: lower is better)",
    "panels side by side",
  );
}
