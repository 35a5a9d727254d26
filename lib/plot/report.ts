/**
 * The HTML report that `yoto train` and `yoto evaluate` write (`report.html`): one
 * self-contained page to open in a browser, with no script and nothing fetched when viewed
 * (its Content-Security-Policy forbids both). Tables are HTML; figures are the vega-lite
 * builders of lib/plot/ rendered to SVG by {@link toSvg} and inlined as `data:` images, which
 * keeps each figure's SVG ids (clip paths, gradients) apart from the others'.
 *
 * A report is data ({@link Report}: titled sections of notes, tables and figures), turned into
 * HTML by the pure {@link reportHtml}; {@link trainReport} and {@link evaluationReport} gather
 * it. A new figure is one more {@link FigureSpec} in a section's list.
 * @module
 */
import { Buffer } from "node:buffer";
import { constraintLines } from "../data/constraints.ts";
import type { Dataset } from "../data/dataset.ts";
import { dotPlotData } from "../data/expression.ts";
import { predictionConfusion, scorePrediction, scoreRegression } from "../eval/score.ts";
import { type EvaluationDocument, suiteTables } from "../eval/suite.ts";
import {
  type Fitted,
  panelTable,
  type TaskPrediction,
  type TrainingSummary,
} from "../select/panel.ts";
import { confusionMatrixSpec } from "./confusion.ts";
import { metricBarsSpec, perClassF1Spec } from "./evaluation.ts";
import { dotPlotSpec, scoreRankingSpec } from "./genes.ts";
import { toSvg, type VegaLiteSpec } from "./render.ts";
import { trainingPanelsSpec } from "./training.ts";

/** The file name of the report in a command's output folder. */
export const REPORT_FILE = "report.html";

/** A table of text cells under an optional caption. */
export interface ReportTable {
  title?: string;
  header: string[];
  rows: string[][];
}

/** A rendered figure; `name` is file-name safe: its anchor, and its file in figures/. */
export interface ReportFigure {
  name: string;
  title: string;
  svg: string;
}

/** A figure before rendering: a vega-lite spec from a builder of lib/plot/. */
export interface FigureSpec {
  name: string;
  title: string;
  spec: VegaLiteSpec;
}

/** One titled part of a report: notes (paragraphs), then tables, then figures side by side. */
export interface ReportSection {
  title: string;
  notes?: string[];
  tables?: ReportTable[];
  figures?: ReportFigure[];
}

/** What {@link reportHtml} lays out: a title, facts about the run (name, value), sections. */
export interface Report {
  title: string;
  facts: [string, string][];
  sections: ReportSection[];
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Text as HTML text or attribute value: `& < > " '` escaped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(escapeHtml(`<b a="1">&'`), "&lt;b a=&quot;1&quot;&gt;&amp;&#39;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Cells holding a number (or the "–" of none) are right-aligned. */
const NUMERIC = /^(?:[-+−]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?%?|–)$/i;

function tableHtml(t: ReportTable): string {
  const row = (cells: string[], tag: "th" | "td") =>
    `<tr>${
      cells.map((c) => `<${tag}${NUMERIC.test(c) ? ' class="n"' : ""}>${escapeHtml(c)}</${tag}>`)
        .join("")
    }</tr>`;
  return [
    "<table>",
    t.title ? `<caption>${escapeHtml(t.title)}</caption>` : "",
    `<thead>${row(t.header, "th")}</thead>`,
    `<tbody>${t.rows.map((r) => row(r, "td")).join("\n")}</tbody>`,
    "</table>",
  ].join("");
}

function figureHtml(f: ReportFigure): string {
  const src = `data:image/svg+xml;base64,${Buffer.from(f.svg, "utf8").toString("base64")}`;
  const title = escapeHtml(f.title);
  return `<figure id="fig-${escapeHtml(f.name)}"><figcaption>${title}</figcaption>` +
    `<img alt="${title}" src="${src}"></figure>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, "DejaVu Sans", sans-serif; margin: 24px auto; max-width: 1400px;
  padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; }
nav ol { columns: 2; padding-left: 20px; }
table { border-collapse: collapse; margin: 8px 24px 16px 0; display: inline-table;
  vertical-align: top; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; }
th { border-bottom: 1px solid #999; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #f7f7f7; }
.figures { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 4px; }
figure img { max-width: 100%; height: auto; display: block; }
`;

/**
 * A {@link Report} as one HTML page: every text escaped, figures as `data:` SVG images, no
 * script, and a Content-Security-Policy that lets the page load nothing but its own images.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const html = reportHtml({
 *   title: "panel <k = 2>",
 *   facts: [["data", "a&b.h5ad"]],
 *   sections: [{ title: "Panel", tables: [{ header: ["gene"], rows: [["<CD3E>"]] }] }],
 * });
 * assert.ok(html.includes("<td>&lt;CD3E&gt;</td>"));
 * assert.ok(html.includes("<h1>panel &lt;k = 2&gt;</h1>"));
 * assert.ok(!html.includes("<script"));
 * ```
 */
export function reportHtml(report: Report): string {
  const sections = report.sections.map((s, i) =>
    [
      `<section id="s${i + 1}"><h2>${escapeHtml(s.title)}</h2>`,
      ...(s.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`),
      ...(s.tables ?? []).map(tableHtml),
      s.figures?.length ? `<div class="figures">${s.figures.map(figureHtml).join("\n")}</div>` : "",
      "</section>",
    ].join("\n")
  );
  const toc = report.sections.map((s, i) =>
    `<li><a href="#s${i + 1}">${escapeHtml(s.title)}</a></li>`
  );
  const facts = report.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<dl class="facts">${facts.join("")}</dl>
<nav><ol>${toc.join("")}</ol></nav>
${sections.join("\n")}
</body>
</html>
`;
}

/** Render figure specs to SVG, in order. */
export async function renderFigures(figures: FigureSpec[]): Promise<ReportFigure[]> {
  const out: ReportFigure[] = [];
  for (const f of figures) out.push({ name: f.name, title: f.title, svg: await toSvg(f.spec) });
  return out;
}

/** A file-name-safe version of a label or panel name. */
function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** Three decimals; "–" for none. */
function fixed(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3);
}

/** The training curves section, when there is a history. */
async function trainingSection(
  training: TrainingSummary | undefined,
): Promise<ReportSection[]> {
  if (!training?.history.length) return [];
  const { epochs, bestEpoch, seconds } = training;
  return [{
    title: "Training",
    notes: [`${epochs} epochs in ${seconds.toFixed(1)} s; the weights of epoch ${bestEpoch} kept.`],
    figures: await renderFigures([{
      name: "training",
      title: "training curves",
      spec: trainingPanelsSpec(training.history, { bestEpoch }),
    }]),
  }];
}

/** What {@link trainReport} reads. */
export interface TrainReportInput {
  /** The trained model (its panel, predictions and training history). */
  fitted: Fitted;
  /** The held-out cells its test metrics, confusion matrices and dot plots come from. */
  test: Dataset;
  /** `fitted.predict(test)`, as the caller already scored it (the report predicts nothing). */
  predictions: TaskPrediction[];
  /** The input file, as given. */
  data: string;
  /** The cells of each part of the split. */
  parts: { train: Dataset; val: Dataset; test: Dataset };
}

/**
 * The report of `yoto train`: the panel table, each task's test metrics, per class of each
 * classification task its precision/recall/F1 and confusion matrix, a dot plot of the panel
 * per class label, gene scores, and the training curves.
 */
export async function trainReport(input: TrainReportInput): Promise<Report> {
  const { fitted, test, parts } = input;
  const panel = fitted.panel;
  const predictions = input.predictions.filter((p) => p.kind !== "reconstruction");
  // each classification scored once, for the metrics table and its per-class section
  const scores = new Map(
    predictions.filter((p) => p.kind === "classification").map((p) => [
      p.task,
      scorePrediction(p, test),
    ]),
  );
  const { header, rows } = panelTable(panel);
  const sections: ReportSection[] = [{
    title: `Panel: ${panel.genes.length} genes`,
    notes: [
      ...(panel.constraints ? constraintLines(panel.constraints) : []).map((l) =>
        `candidates: ${l}`
      ),
      ...panel.notes,
    ],
    tables: [{ header, rows }],
  }];
  const metricRows = predictions.map((p) => {
    if (p.kind === "regression") {
      const r = scoreRegression(p, test);
      return [
        p.task,
        p.kind,
        "–",
        "–",
        "–",
        fixed(r.r2),
        Math.sqrt(r.mse).toPrecision(4),
        `${r.n}`,
      ];
    }
    const m = scores.get(p.task)!;
    return [
      p.task,
      p.kind,
      fixed(m.accuracy),
      fixed(m.balancedAccuracy),
      fixed(m.macroF1),
      "–",
      "–",
      `${m.nEvaluated}`,
    ];
  });
  if (metricRows.length) {
    sections.push({
      title: "Test metrics per task",
      notes: [`On the ${test.nCells} held-out test cells.`],
      tables: [{
        header: [
          "task",
          "kind",
          "accuracy",
          "balanced accuracy",
          "macro-F1",
          "R²",
          "RMSE",
          "cells",
        ],
        rows: metricRows,
      }],
    });
  }
  for (const p of predictions) {
    if (p.kind !== "classification") continue;
    const m = scores.get(p.task)!;
    const { confusion, classes } = predictionConfusion(m);
    sections.push({
      title: `Per-class metrics: ${p.task}`,
      tables: [{
        header: ["class", "precision", "recall", "F1", "support"],
        rows: m.perClass.slice(0, classes.length).map((c) => [
          c.name,
          fixed(c.precision),
          fixed(c.recall),
          fixed(c.f1),
          `${c.support}`,
        ]),
      }],
      figures: await renderFigures([{
        name: `confusion_${slug(p.task)}`,
        title: `confusion matrix: ${p.task}`,
        spec: confusionMatrixSpec(confusion, classes, `${p.task} (test cells, row-normalised)`),
      }]),
    });
  }
  const labels = predictions.filter((p) => p.kind === "classification").map((p) => p.task);
  if (labels.length) {
    sections.push({
      title: "Dot plot",
      notes: ["The panel genes on the test cells."],
      figures: await renderFigures(labels.map((label) => ({
        name: `dotplot_${slug(label)}`,
        title: `panel genes by ${label}`,
        spec: dotPlotSpec(dotPlotData(test, panel.genes, label)),
      }))),
    });
  }
  const scored = Object.entries(panel.candidateScores ?? {});
  if (scored.length) {
    sections.push({
      title: "Gene scores",
      figures: await renderFigures([{
        name: "scores",
        title: "selector score of every candidate",
        spec: scoreRankingSpec(scored.map(([g]) => g), scored.map(([, s]) => s), panel.genes),
      }]),
    });
  }
  sections.push(...await trainingSection(fitted.training));
  return {
    title: `${panel.method.toUpperCase()} panel: ${panel.genes.length} genes`,
    facts: [
      ["data", input.data],
      ["tasks", predictions.map((p) => `${p.task} (${p.kind})`).join(", ") || "–"],
      ["panel size k", `${panel.k}`],
      [
        "cells",
        `train ${parts.train.nCells}, validation ${parts.val.nCells}, test ${parts.test.nCells}`,
      ],
    ],
    sections,
  };
}

/** What {@link evaluationReport} reads besides evaluation.json. */
export interface EvaluationReportInput {
  /** The held-out cells the dot plots are drawn on. */
  test: Dataset;
  /** A --model's training, for its curves. */
  training?: TrainingSummary;
}

/**
 * The report of `yoto evaluate`, from what evaluation.json holds: the panels side by side
 * (headline table and bars), their genes by rank, per label the per-class F1 and each panel's
 * confusion matrix (lr), a dot plot of each panel on the first label, and a model's training
 * curves. Its figures, with their names, are also what `figures/` holds.
 */
export async function evaluationReport(
  doc: EvaluationDocument,
  input: EvaluationReportInput,
): Promise<Report> {
  const reports = doc.panels;
  const [headline, ...perClass] = suiteTables(reports);
  const names = reports.map((r) => r.name);
  const longest = Math.max(0, ...reports.map((r) => r.genes.length));
  const sections: ReportSection[] = [
    {
      title: "Panels side by side",
      tables: [headline],
      figures: await renderFigures([{
        name: "metrics",
        title: "headline metrics",
        spec: metricBarsSpec(reports),
      }]),
    },
    {
      title: "Panel genes",
      tables: [{
        header: ["rank", ...names],
        rows: Array.from({ length: longest }, (_, i) => [
          `${i + 1}`,
          ...reports.map((r) => r.genes[i] ?? ""),
        ]),
      }],
    },
  ];
  for (const label of doc.labels) {
    const kinds = [...new Set(reports.flatMap((r) => Object.keys(r.classification[label] ?? {})))];
    const figures: FigureSpec[] = kinds.map((c) => ({
      name: `f1_${slug(label)}_${c}`,
      title: `per-class F1 (${c})`,
      spec: perClassF1Spec(reports, label, c),
    }));
    for (const r of reports) {
      const lr = r.classification[label]?.lr;
      if (!lr) continue;
      figures.push({
        name: `confusion_${slug(label)}_${slug(r.name)}`,
        title: `confusion matrix: ${r.name}`,
        spec: confusionMatrixSpec(
          lr.confusion.matrix,
          lr.confusion.classes,
          `${r.name}: ${label} (lr, row-normalised)`,
        ),
      });
    }
    sections.push({
      title: `Per-class metrics: ${label}`,
      tables: perClass.filter((t) => t.task === label),
      figures: await renderFigures(figures),
    });
  }
  const label = doc.labels[0];
  sections.push({
    title: `Dot plots by ${label}`,
    notes: ["Each panel's genes on the test cells."],
    figures: await renderFigures(reports.map((r) => ({
      name: `dotplot_${slug(r.name)}`,
      title: r.name,
      spec: dotPlotSpec(dotPlotData(input.test, r.genes, label)),
    }))),
  });
  sections.push(...await trainingSection(input.training));
  const split = doc.split.kind === "group" ? `held-out groups of ${doc.split.by}` : doc.split.kind;
  return {
    title: `Panel evaluation: ${names.join(", ")}`,
    facts: [
      ["data", doc.data],
      ["labels", doc.labels.join(", ")],
      ["split", split],
      ["cells", `train ${doc.n_train}, validation ${doc.n_val}, test ${doc.n_test}`],
      ["normalize", doc.normalize],
      ["candidates (reference HVGs)", `${doc.candidates}`],
      ["seed", `${doc.seed}`],
      ["seconds", doc.seconds.toFixed(1)],
    ],
    sections,
  };
}
