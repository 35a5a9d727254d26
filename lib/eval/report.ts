/**
 * Benchmark results as files people read: CSV and Arrow rows, Markdown tables of mean ± sd over
 * seeds (best per column in bold), and the points behind the metric-vs-k figures.
 * @module
 */
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { quoteCsvField } from "../data/csv.ts";
import { formatMeanSd, meanSd } from "../data/stats.ts";
import type { ResultRow, UnitFailure } from "./protocol.ts";

/** One point of a metric-vs-k curve: mean and sd over seeds. */
export interface MetricPoint {
  method: string;
  k: number;
  mean: number;
  sd: number;
}

/** Column order of results.csv / results.arrow. */
export const RESULT_COLUMNS: (keyof ResultRow)[] = [
  "dataset",
  "task",
  "split",
  "seed",
  "method",
  "k",
  "classifier",
  "normalize",
  "depth",
  "n_genes",
  "exact_k",
  "accuracy",
  "balanced_accuracy",
  "macro_f1",
  "weighted_f1",
  "fit_seconds",
  "classifier_seconds",
  "n_train",
  "n_test",
  "n_candidates",
  "panel",
  "notes",
  "unit",
];

/**
 * The evaluation suite's columns (the benchmark config's `"suite"`), after RESULT_COLUMNS; each
 * one only when some row has it.
 */
export const SUITE_COLUMNS: (keyof ResultRow)[] = [
  "knn_overlap",
  "cluster_nmi",
  "cluster_ari",
  "redundancy",
  "marker_coverage",
  "reconstruction_r2",
  "suite_seconds",
];

/** Columns rows of a `nullGenes` benchmark add after SUITE_COLUMNS. */
export const NULL_COLUMNS: (keyof ResultRow)[] = ["n_null", "null_fraction", "fsp"];

/** RESULT_COLUMNS, then the SUITE_COLUMNS and NULL_COLUMNS some row has. */
function columnsOf(rows: ResultRow[]): (keyof ResultRow)[] {
  const present = (c: keyof ResultRow) => rows.some((r) => r[c] !== undefined);
  return [...RESULT_COLUMNS, ...SUITE_COLUMNS.filter(present), ...NULL_COLUMNS.filter(present)];
}

/** Rows as CSV text (RESULT_COLUMNS and any optional columns, one line per row; missing = empty). */
export function rowsToCsv(rows: ResultRow[]): string {
  const columns = columnsOf(rows);
  const lines = rows.map((r) => columns.map((c) => quoteCsvField(String(r[c] ?? ""))).join(","));
  return [columns.join(","), ...lines].join("\n") + "\n";
}

/**
 * Rows as an Arrow IPC file (strings as utf8, numbers as float64 with NaN where missing, exact_k
 * as bool).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tableFromIPC } from "apache-arrow";
 * import { rowsToArrow } from "./report.ts";
 * // a NaN read back from results.jsonl is null: still a number column
 * const rows = [{ redundancy: null }, { redundancy: 0.5 }] as never;
 * const column = tableFromIPC(rowsToArrow(rows)).getChild("redundancy")!.toArray();
 * assert.ok(column instanceof Float64Array && Number.isNaN(column[0]) && column[1] === 0.5);
 * ```
 */
export function rowsToArrow(rows: ResultRow[]): Uint8Array {
  const columns: Record<string, unknown> = {};
  for (const c of columnsOf(rows)) {
    const values = rows.map((r) => r[c]);
    // NaN is written to results.jsonl as null: both are a missing number
    const sample = typeof values.find((v) => v !== undefined && v !== null);
    columns[c] = sample === "number"
      ? Float64Array.from(values, (v) => (v as number | null | undefined) ?? NaN)
      : sample === "boolean"
      ? values
      : values.map(String);
  }
  return tableToIPC(tableFromArrays(columns as Parameters<typeof tableFromArrays>[0]), "file");
}

/** Method label in tables: YOTO's own heads are a row of their own. */
function label(r: ResultRow): string {
  return r.classifier === "own" ? `${r.method} (own heads)` : r.method;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push(it);
  }
  return out;
}

/**
 * Rows per table and figure: one dataset/task/split, one downstream classifier plus YOTO's own
 * heads; keyed by "dataset · task · split", then the normalisation when the rows hold several,
 * then the depth of thinned test cells.
 */
export function reportGroups(rows: ResultRow[], classifier: string): Map<string, ResultRow[]> {
  const normalizations = new Set(rows.map((r) => r.normalize)).size;
  return groupBy(
    rows.filter((r) => r.classifier === classifier || r.classifier === "own"),
    (r) =>
      [
        r.dataset,
        r.task,
        r.split,
        ...(normalizations > 1 ? [`${r.normalize} input`] : []),
        ...((r.depth ?? 1) < 1 ? [`test thinned to ${100 * r.depth}% depth`] : []),
      ].join(" · "),
  );
}

/**
 * Mean ± sd (over seeds) of `metric` per method and k, for figure and table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricPoints } from "yoto";
 * const row = { method: "l1", k: 8, classifier: "lr", macro_f1: 0.5 } as never;
 * assert.equal(metricPoints([row, { ...row as object, macro_f1: 0.7 } as never])[0].mean, 0.6);
 * ```
 */
export function metricPoints(
  rows: ResultRow[],
  metric: keyof ResultRow = "macro_f1",
): MetricPoint[] {
  return [...groupBy(rows, (r) => `${label(r)}\u0000${r.k}`).values()].map((g) => ({
    method: label(g[0]),
    k: g[0].k,
    ...meanSd(g.map((r) => numberOf(r, metric))),
  }));
}

/** A row's number in `column`; NaN where missing (results.jsonl holds NaN as null). */
function numberOf(r: ResultRow, column: keyof ResultRow): number {
  return (r[column] as number | null | undefined) ?? NaN;
}

/** One row per selection (unit): its fit seconds are shared by every task and classifier row. */
function unitRows(rows: ResultRow[]): ResultRow[] {
  return [...groupBy(rows, (r) => r.unit).values()].map((g) => g[0]);
}

/**
 * Mean selection seconds per method over its selections (the selection-time figure).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectionSeconds } from "yoto";
 * const r = (unit: string, s: number) => ({ unit, method: "l1", fit_seconds: s }) as never;
 * assert.equal(selectionSeconds([r("a", 1), r("a", 1), r("b", 3)])[0].seconds, 2);
 * ```
 */
export function selectionSeconds(rows: ResultRow[]): { method: string; seconds: number }[] {
  return [...groupBy(unitRows(rows), (r) => r.method)].map(([method, g]) => ({
    method,
    seconds: meanSd(g.map((r) => r.fit_seconds)).mean,
  }));
}

/**
 * A Markdown table (no trailing newline): a header row, a separator, one line per row. For
 * notebooks, display it with ``Deno.jupyter.md`${markdownTable(...)}` ``.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { markdownTable } from "yoto";
 * const text = markdownTable(["gene", "score"], [["CD3E", 0.9], ["MS4A1", 0.7]]);
 * assert.equal(text, "| gene | score |\n|---|---|\n| CD3E | 0.9 |\n| MS4A1 | 0.7 |");
 * ```
 */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), `|${header.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}

/** The header of a method x k table. */
function kHeader(ks: number[]): string[] {
  return ["method", ...ks.map((k) => `k = ${k}`)];
}

/** A Markdown table per dataset: one row per method, one column per k, one cell per unit group. */
function unitTables(
  rows: ResultRow[],
  title: string,
  cell: (units: ResultRow[]) => string,
): string[] {
  const out: string[] = [];
  for (
    const [dataset, group] of groupBy(rows.filter((r) => r.classifier !== "own"), (r) => r.dataset)
  ) {
    const units = unitRows(group);
    const ks = [...new Set(units.map((r) => r.k))].sort((a, b) => a - b);
    const table = [...groupBy(units, (r) => r.method)].map(([method, g]) => [
      method,
      ...ks.map((k) => {
        const at = g.filter((r) => r.k === k);
        return at.length ? cell(at) : "";
      }),
    ]);
    out.push(`### ${dataset}: ${title}`, "", markdownTable(kHeader(ks), table), "");
  }
  return out;
}

/**
 * A method x k Markdown table of `column`'s mean ± sd over each cell's rows ("–" when a row has
 * none); with `boldBest`, the highest mean per k in bold.
 */
function meanSdTable(group: ResultRow[], column: keyof ResultRow, boldBest: boolean): string {
  const ks = [...new Set(group.map((r) => r.k))].sort((a, b) => a - b);
  const points = metricPoints(group, column);
  const methods = [...new Set(points.map((p) => p.method))];
  // a missing value (a panel of null twins only) is no one's best
  const best = new Map(
    ks.map((k) => [
      k,
      Math.max(...points.filter((p) => p.k === k && Number.isFinite(p.mean)).map((p) => p.mean)),
    ]),
  );
  const table = methods.map((m) => [
    m,
    ...ks.map((k) => {
      const values = group.filter((r) => label(r) === m && r.k === k).map((r) =>
        numberOf(r, column)
      );
      if (!values.length) return "";
      const mean = meanSd(values).mean;
      if (!Number.isFinite(mean)) return "–";
      const text = formatMeanSd(values);
      return boldBest && mean === best.get(k) ? `**${text}**` : text;
    }),
  ]);
  return markdownTable(kHeader(ks), table);
}

/**
 * Markdown: per dataset/task/split, mean ± sd of macro-F1 over seeds per method (rows) and k
 * (columns) with the downstream `classifier` (YOTO's own heads as extra rows), best mean per
 * column in bold; the same for each suite column the rows hold (the panel's agreement with the
 * full transcriptome: knn_overlap, cluster_nmi, ...; redundancy not in bold, lower is less
 * redundant); then mean selection seconds per method and k; with null twins, the mean null
 * fraction and FSP^ per method and k.
 */
export function summaryMarkdown(rows: ResultRow[], classifier = "lr"): string {
  const out: string[] = [];
  for (const [title, group] of reportGroups(rows, classifier)) {
    const seeds = new Set(group.map((r) => r.seed)).size;
    out.push(
      `### ${title}: macro-F1 (${classifier} on the panel; mean ± sd over ${seeds} seed(s))`,
      "",
      meanSdTable(group, "macro_f1", true),
      "",
    );
    // The suite's columns do not depend on the classifier or the test depth: one row per
    // selection and task.
    if ((group[0].depth ?? 1) < 1) continue;
    const selections = group.filter((r) => r.classifier === classifier);
    for (const column of SUITE_COLUMNS) {
      if (column === "suite_seconds" || selections.every((r) => r[column] === undefined)) continue;
      out.push(
        `### ${title}: ${column} (mean ± sd over ${seeds} seed(s))`,
        "",
        // redundancy: lower is less redundant, not necessarily better
        meanSdTable(selections, column, column !== "redundancy"),
        "",
      );
    }
  }
  const mean = (units: ResultRow[], c: keyof ResultRow) =>
    meanSd(units.map((r) => r[c] as number)).mean;
  out.push(
    ...unitTables(
      rows,
      "selection seconds (mean over splits, seeds and tasks)",
      (units) => mean(units, "fit_seconds").toFixed(1),
    ),
  );
  const calibrated = rows.filter((r) => r.n_null !== undefined);
  out.push(
    ...unitTables(
      calibrated,
      "null twins picked: null fraction / FSP^ (mean over splits, seeds and tasks)",
      (units) => `${mean(units, "null_fraction").toFixed(2)} / ${mean(units, "fsp").toFixed(2)}`,
    ),
  );
  return out.join("\n");
}

/**
 * Markdown: the units that failed (left out of every table and file of rows), one line each
 * with its error; "" when none failed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failuresMarkdown } from "yoto";
 * const failed = { unit: "u", dataset: "d", split: "donor", seed: 0, method: "l1", k: 8, tasks: "t",
 *   error: "a | b" };
 * assert.match(failuresMarkdown([failed], 10), /1 of 10 units failed[^]*\| a \\\| b \|/);
 * assert.equal(failuresMarkdown([], 10), "");
 * ```
 */
export function failuresMarkdown(failures: UnitFailure[], units: number): string {
  if (!failures.length) return "";
  const cell = (text: string) => text.replaceAll("|", "\\|");
  return [
    `### Failed units: ${failures.length} of ${units} units failed`,
    "",
    "They are left out of the tables, results.csv and results.arrow; rerunning the same " +
    "command retries them.",
    "",
    markdownTable(
      ["dataset", "split", "seed", "method", "k", "tasks", "error"],
      failures.map((f) => [
        f.dataset,
        f.split,
        f.seed,
        f.method,
        f.k,
        f.tasks || "-",
        cell(f.error),
      ]),
    ),
    "",
  ].join("\n");
}
