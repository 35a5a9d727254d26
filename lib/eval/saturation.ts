/**
 * The learning-saturation study for panels (docs/methods.md §4.3-4.4): choose the training cells by
 * each downsampling scheme at growing fractions, train a panel selector on them, score it on one
 * fixed test split, record the diversity of the chosen cells, and find per scheme the smallest
 * fraction that reaches 95% of the best run. Rows are appended to `results.jsonl` as runs finish,
 * so an interrupted study resumes where it stopped.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import {
  downsample,
  SAMPLING_SCHEMES,
  type SamplingScheme,
  sketchCoordinates,
} from "../data/sampling.ts";
import { protocolSplit, validationSplit } from "../data/split.ts";
import { formatMeanSd, meanSd } from "../data/stats.ts";
import { readJsonLines } from "../runtime/atomic.ts";
import { changedKeys, fingerprint } from "../runtime/fingerprint.ts";
import { DataValueError, OptionError } from "../runtime/errors.ts";
import { Progress } from "../runtime/progress.ts";
import { DEFAULT_NORMALIZATION, fitCandidates, type Normalization } from "../data/transform.ts";
import {
  checkConstraintSources,
  constraintLines,
  type ConstraintSources,
  readConstraints,
} from "../data/constraints.ts";
import { type DiversityReport, diversityReport } from "./diversity.ts";
import { evaluatePanel } from "./downstream.ts";
import type { ClassificationMetrics } from "../metrics/classification.ts";
import { markdownTable } from "./report.ts";
import { DEFAULT_METHOD, selectorEntry } from "../select/registry.ts";
import { scorePrediction } from "./score.ts";

/** One trained run: its training fraction, seed and test metric. */
export interface SaturationRun {
  fraction: number;
  seed: number;
  metric: number;
}

/** Result of {@link saturationPoint}. */
export interface SaturationResult {
  /** The smallest fraction whose mean over seeds exceeds threshold x maxMetric; null if none. */
  fraction: number | null;
  /** max*: the best metric of any run, over all fractions and seeds. */
  maxMetric: number;
  threshold: number;
  /** Per fraction, ascending: mean and sample sd of the metric over its runs (seeds). */
  curve: { fraction: number; mean: number; sd: number; n: number }[];
}

/**
 * The learning saturation point (docs/methods.md §4.3): max* is the best metric over every run (all
 * fractions, all seeds; untrained runs at fraction 0 left out); the saturation point is the
 * smallest fraction whose run exceeds threshold x max* (strictly). With several seeds per
 * fraction "its run" is the mean over those seeds, so one lucky seed does not decide it. The
 * metric must be >= 0 (F1, accuracy).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { saturationPoint } from "./saturation.ts";
 * const runs = [
 *   { fraction: 0.1, seed: 0, metric: 0.8 }, { fraction: 0.1, seed: 1, metric: 0.9 },
 *   { fraction: 0.5, seed: 0, metric: 0.96 }, { fraction: 1, seed: 0, metric: 1 },
 * ];
 * // max* = 1; the mean at 10% is 0.85, not above 0.95; 50% has 0.96
 * assert.equal(saturationPoint(runs).fraction, 0.5);
 * ```
 */
export function saturationPoint(
  runs: SaturationRun[],
  options: { threshold?: number } = {},
): SaturationResult {
  const threshold = options.threshold ?? 0.95;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new OptionError(`threshold must be in (0, 1], got ${threshold}`, {
      field: "threshold",
      fix: "pass e.g. 0.95 (95% of the best run)",
    });
  }
  const trained = runs.filter((r) => r.fraction > 0);
  if (!trained.length) {
    throw new DataValueError("no trained run (fraction > 0) to find a saturation point in", {
      field: "runs",
      fix: "pass the runs of at least one training fraction",
    });
  }
  for (const r of trained) {
    if (!(Number.isFinite(r.metric) && r.metric >= 0) || !Number.isFinite(r.fraction)) {
      throw new DataValueError(
        `run at fraction ${r.fraction}, seed ${r.seed} has metric ${r.metric}`,
        { field: "metric", fix: "pass finite metrics >= 0 (F1, accuracy); drop failed runs" },
      );
    }
  }
  const maxMetric = Math.max(...trained.map((r) => r.metric));
  const byFraction = new Map<number, number[]>();
  for (const r of trained) {
    byFraction.set(r.fraction, [...byFraction.get(r.fraction) ?? [], r.metric]);
  }
  const curve = [...byFraction].sort((a, b) => a[0] - b[0])
    .map(([fraction, v]) => ({ fraction, ...meanSd(v), n: v.length }));
  const hit = curve.find((c) => c.mean > threshold * maxMetric);
  return { fraction: hit?.fraction ?? null, maxMetric, threshold, curve };
}

/** The cells of one run that fit the model and those that stop it early. */
export interface HoldOut {
  fit: Dataset;
  val: Dataset;
  notes: string[];
  /** Set when no model can be trained on these cells: why. */
  skip?: string;
}

/**
 * The rule for small training sets: 15% of the chosen training cells are held out for early
 * stopping, stratified on `label`, where a class with a single cell stays whole in the fitting
 * part (`validationSplit`); when no class has two cells the hold-out is empty and the fitting
 * cells also serve as validation cells. A fitting part with fewer than two classes trains no
 * classifier: `skip` says so, and the run is recorded without scores.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * import { holdOut } from "./saturation.ts";
 * const ds = Dataset.fromDense(new Float32Array(3), 3, 1, ["g"], {
 *   t: { kind: "string", values: ["a", "b", "c"] },
 * });
 * const h = holdOut(ds, "t", 0);
 * assert.equal(h.val, h.fit);
 * assert.equal(h.skip, undefined);
 * assert.equal(h.notes.length, 1);
 * ```
 */
export function holdOut(train: Dataset, label: string, seed: number): HoldOut {
  const { fit, val } = validationSplit(train, { seed }, label);
  const classes = fit.categoryCounts(label).counts.filter((c) => c > 0).length;
  if (classes < 2) {
    const skip = `${classes} class(es) among the ${fit.nCells} fitting cells; a classifier needs 2`;
    return { fit, val, notes: [], skip };
  }
  if (val.nCells > 0) return { fit, val, notes: [] };
  const note = "no class has 2 training cells: the fitting cells also served as validation cells";
  return { fit, val: fit, notes: [note] };
}

/** Options of {@link runSaturationStudy}; defaults in brackets. */
export interface SaturationStudyOptions {
  /** The label column: the task to predict and the classes of cell-type re-weighting. */
  label: string;
  /** Panel size [16]. */
  k?: number;
  /** Fractions of the training cells, in (0, 1] [0.01, 0.1, 0.25, 0.5, 0.75, 1]. */
  fractions?: number[];
  /** Downsampling schemes [random, celltype, geosketch]. */
  schemes?: SamplingScheme[];
  /** One run per seed (downsampling and training) [0, 1, 2]. */
  seeds?: number[];
  /** Hold out whole groups of this column for the test split [stratified cells]. */
  splitBy?: string;
  /**
   * A method of the registry: one whose fit predicts is scored by its own heads, any other by
   * the "lr" classifier on its panel genes [DEFAULT_METHOD: "yoto"].
   */
  method?: string;
  /** Training epochs of a method that takes YOTO's options [fitYoto's default]. */
  epochs?: number;
  /** Top-N HVGs of the fitting cells as candidates, or a list of genes [2000]. */
  candidates?: number | string[];
  /** Model-input normalisation of the method and the "lr" classifier [DEFAULT_NORMALIZATION]. */
  normalize?: Normalization;
  /**
   * Assay constraints on each run's candidates, as the benchmark config's `constraints` (gene
   * lists as a file or a list, excludePatterns, excludePresets, minMean/maxMean per class of
   * `label`) [none]. Forced genes are in every panel.
   */
  constraints?: ConstraintSources;
  /**
   * results.jsonl to resume from and append to [none: nothing written]. Each run's line records
   * a fingerprint of the data and settings it was made with; runs made with others are redone.
   */
  jsonl?: string;
  /** Where warnings go (runs recomputed because their settings changed) [stderr]. */
  warn?: (line: string) => void;
  quiet?: boolean;
  /** Called with each finished run's row. */
  onRow?: (row: SaturationRow) => void;
}

/** One run of the study: which cells, how they scored, how diverse they are. */
export interface SaturationRow {
  /** Identifies the run (resuming skips finished units). */
  unit: string;
  /** "all" at fraction 1, where every scheme takes every training cell. */
  scheme: SamplingScheme | "all";
  fraction: number;
  seed: number;
  method: string;
  /** "own" (the method's heads: YOTO) or "lr". */
  classifier: string;
  k: number;
  status: "ok" | "skipped";
  /** Chosen training cells, of which n_fit fit the model and n_val stop it early. */
  n_train: number;
  n_fit: number;
  n_val: number;
  n_test: number;
  /** Test scores (NaN when skipped); micro-F1 = accuracy for single-label cells. */
  macro_f1: number;
  micro_f1: number;
  balanced_accuracy: number;
  /** Seconds to select the panel (YOTO: to train the model). */
  fit_seconds: number;
  /** Diversity of the chosen training cells (diversityReport). */
  n_types: number;
  shannon: number;
  gini_simpson: number;
  inverse_simpson: number;
  vendi: number;
  vendi_genes: number;
  /** Panel genes joined by ";". */
  panel: string;
  notes: string;
}

/** The grid of a study, checked, with defaults filled in. */
function resolveStudy(options: SaturationStudyOptions) {
  const fractions = options.fractions ?? [0.01, 0.1, 0.25, 0.5, 0.75, 1];
  const schemes = options.schemes ?? [...SAMPLING_SCHEMES];
  const seeds = options.seeds ?? [0, 1, 2];
  const k = options.k ?? 16;
  const bad = (field: string, problem: string, fix: string): never => {
    throw new OptionError(problem, { field, fix });
  };
  if (!fractions.length || fractions.some((f) => !(f > 0 && f <= 1))) {
    bad(
      "fractions",
      `fractions must be in (0, 1], got ${fractions.join(", ")}`,
      "e.g. 0.1, 0.5, 1",
    );
  }
  const unknown = schemes.filter((s) => !SAMPLING_SCHEMES.includes(s));
  if (!schemes.length || unknown.length) {
    bad("schemes", `unknown scheme(s) ${unknown.join(", ")}`, `use ${SAMPLING_SCHEMES.join(", ")}`);
  }
  if (!seeds.length || seeds.some((s) => !(Number.isInteger(s) && s >= 0))) {
    bad("seeds", `seeds must be integers >= 0, got ${seeds.join(", ")}`, "e.g. 0, 1, 2");
  }
  if (!(Number.isInteger(k) && k > 0)) {
    bad("k", `k must be a positive integer, got ${k}`, "e.g. 16");
  }
  const method = options.method ?? DEFAULT_METHOD;
  const entry = selectorEntry(method);
  return {
    ...options,
    fractions: [...new Set(fractions)].sort((a, b) => a - b),
    schemes,
    seeds,
    k,
    method,
    entry,
  };
}

/** One line of a study's results.jsonl; `settings` and `fingerprint` are absent in older files. */
interface RunRecord {
  unit: string;
  fingerprint?: string;
  settings?: Record<string, unknown>;
  row: SaturationRow;
}

/** JSON has no NaN: scores of skipped runs are stored as null. */
function restoreNaN(row: SaturationRow): SaturationRow {
  for (const [key, v] of Object.entries(row)) {
    if (v === null) (row as never)[key] = NaN as never;
  }
  return row;
}

/** Rows already in a study's results.jsonl ({unit, row} per line; a cut-off last line is skipped). */
export async function readSaturationRows(path: string): Promise<SaturationRow[]> {
  return (await readJsonLines<RunRecord>(path)).map(({ row }) => restoreNaN(row));
}

function scores(m: ClassificationMetrics) {
  return { macro_f1: m.macroF1, micro_f1: m.accuracy, balanced_accuracy: m.balancedAccuracy };
}

/** "10%", "2.5%". */
function percent(fraction: number): string {
  return `${+(100 * fraction).toFixed(2)}%`;
}

/**
 * Run (or resume) a learning-saturation study on `ds` and return its rows, old and new. One
 * fixed split (protocolSplit, seed 0: stratified 70/15/15 on the label, or whole `splitBy` groups
 * held out) gives the test cells; its train and validation parts together are the training set
 * the schemes draw from (geometric sketching on {@link sketchCoordinates} of that set). Each run
 * (scheme x fraction x seed) downsamples the training set, holds cells out by {@link holdOut},
 * fits the method on them and scores it by its own heads when its fit predicts (YOTO), else by
 * the L2 logistic regression on the panel genes, and records the {@link diversityReport} of the chosen cells. At
 * fraction 1 every scheme takes every cell, so that run is made once per seed (scheme "all").
 */
export async function runSaturationStudy(
  ds: Dataset,
  options: SaturationStudyOptions,
): Promise<SaturationRow[]> {
  const o = resolveStudy(options);
  const prefix = [o.label, o.splitBy ?? "cell", o.method, `k${o.k}`, `e${o.epochs ?? "auto"}`]
    .join("|");
  const constraints = o.constraints === undefined ? {} : await readConstraints(
    checkConstraintSources(o.constraints, (problem, fix) => {
      throw new OptionError(problem, { field: "constraints", fix });
    }),
  );
  const forced = constraints.forceInclude ?? [];
  // What a run's result depends on besides its key: the cells (matrix, genes, ids, the label
  // and group columns), the candidates and, only when given (older fingerprints stay valid), the
  // constraints.
  const settings: Record<string, unknown> = {
    data: fingerprint({
      X: ds.X,
      genes: ds.genes,
      cells: ds.cellIds(),
      label: ds.labels(o.label),
      splitBy: o.splitBy === undefined ? undefined : ds.labels(o.splitBy),
    }),
    candidates: o.candidates ?? 2000,
    normalize: o.normalize ?? DEFAULT_NORMALIZATION,
  };
  if (Object.keys(constraints).length) settings.constraints = constraints;
  const fingerprintOf = (unit: string) => fingerprint({ unit, ...settings });
  const records = (o.jsonl ? await readJsonLines<RunRecord>(o.jsonl) : [])
    .filter((r) => r.unit.startsWith(prefix + "|"));
  // The last record of a unit made with these settings counts; the others are recomputed.
  const current = new Map<string, SaturationRow>();
  for (const r of records) {
    if (r.fingerprint === fingerprintOf(r.unit)) current.set(r.unit, restoreNaN(r.row));
  }
  // Each unit's latest line made with other settings says what changed.
  const stale = new Map(records.filter((r) => !current.has(r.unit)).map((r) => [r.unit, r]));
  if (stale.size) {
    const changed = new Set(
      [...stale.values()].flatMap((r) =>
        r.settings ? changedKeys(r.settings, settings) : ["not recorded by an older version"]
      ),
    );
    (o.warn ?? ((line: string) => console.error(`warning: ${line}`)))(
      `${stale.size} run(s) in results.jsonl were made with other ` +
        `settings (changed: ${[...changed].join(", ")}): recomputed where this study needs ` +
        "them; the old lines stay in the file, out of the summary",
    );
  }
  const rows = [...current.values()];
  const done = new Set(current.keys());
  const units = o.seeds.flatMap((seed) =>
    o.fractions.flatMap((fraction) =>
      (fraction === 1 ? ["all" as const] : o.schemes).map((scheme) => ({
        key: `${prefix}|${scheme}|${fraction}|${seed}`,
        scheme,
        fraction,
        seed,
      }))
    )
  ).filter((u) => !done.has(u.key));
  if (!units.length) return rows;
  const selector = await o.entry.load(o.entry.yotoOptions ? { epochs: o.epochs } : undefined);
  const split = protocolSplit(ds, { labels: [o.label], groupBy: o.splitBy, seed: 0 });
  const pool = ds.selectCells(Int32Array.from([...split.train, ...split.val]).sort());
  const test = ds.selectCells(split.test);
  const labels = pool.categorical(o.label).codes;
  const coords = units.some((u) => u.scheme === "geosketch") ? sketchCoordinates(pool) : undefined;
  // A run's work grows with its training cells: the bar and ETA weigh each run by its cells, so
  // the small fractions done first do not promise an early end.
  const cellsOf = (u: (typeof units)[number]) =>
    Math.max(1, Math.floor(pool.nCells * (u.scheme === "all" ? 1 : u.fraction)));
  const progress = new Progress(
    "saturation (training cells)",
    units.reduce((sum, u) => sum + cellsOf(u), 0),
    { quiet: o.quiet },
  );
  let everyCell: DiversityReport | undefined, reported = false;
  for (const unit of units) {
    const { scheme, fraction, seed } = unit;
    const indices = scheme === "all"
      ? Int32Array.from({ length: pool.nCells }, (_, i) => i)
      : downsample(pool.nCells, { scheme, fraction, seed, labels, coords });
    const train = pool.selectCells(indices);
    const diversity = scheme === "all"
      ? (everyCell ??= diversityReport(train, undefined, { label: o.label }))
      : diversityReport(train, undefined, { label: o.label });
    const held = holdOut(train, o.label, seed);
    const notes = [...diversity.notes, ...held.notes];
    let result = { macro_f1: NaN, micro_f1: NaN, balanced_accuracy: NaN };
    let panel: string[] = [], fitSeconds = 0, runSeconds = 0;
    if (held.skip) notes.push(`skipped: ${held.skip}`);
    else {
      const runStart = performance.now();
      const { genes, report } = fitCandidates(held.fit, {
        candidates: o.candidates, // undefined: the default, without a "--candidates" report line
        tasks: [o.label],
        k: o.k,
        ...constraints,
      });
      if (report && !reported) {
        reported = true;
        for (const line of constraintLines(report)) progress.log(`candidates: ${line}`);
      }
      const fitted = await selector.fit(held.fit, {
        k: o.k,
        tasks: [o.label],
        seed,
        candidates: genes,
        normalize: o.normalize,
        ...(forced.length ? { forceInclude: forced } : {}),
        validation: held.val,
        quiet: true,
      });
      try {
        const own = fitted.predict?.(test).find((p) => p.task === o.label);
        result = scores(
          own ? scorePrediction(own, test) : (await evaluatePanel(
            fitted.panel.genes,
            { train: held.fit, val: held.val, test },
            o.label,
            { classifiers: ["lr"], seed, normalize: o.normalize },
          )).results[0].metrics,
        );
      } finally {
        fitted.dispose();
      }
      panel = fitted.panel.genes;
      fitSeconds = fitted.panel.fitSeconds;
      notes.push(...fitted.panel.notes);
      runSeconds = (performance.now() - runStart) / 1000;
    }
    const row: SaturationRow = {
      unit: unit.key,
      scheme,
      fraction,
      seed,
      method: o.method,
      classifier: o.entry.predicts ? "own" : "lr",
      k: o.k,
      status: held.skip ? "skipped" : "ok",
      n_train: train.nCells,
      n_fit: held.fit.nCells,
      n_val: held.val === held.fit ? 0 : held.val.nCells,
      n_test: test.nCells,
      ...result,
      fit_seconds: fitSeconds,
      n_types: diversity.nTypes,
      shannon: diversity.shannon,
      gini_simpson: diversity.giniSimpson,
      inverse_simpson: diversity.inverseSimpson,
      vendi: diversity.vendi,
      vendi_genes: diversity.vendiGenes,
      panel: panel.join(";"),
      notes: notes.join(" | "),
    };
    if (o.jsonl) {
      const record: RunRecord = {
        unit: unit.key,
        fingerprint: fingerprintOf(unit.key),
        settings,
        row,
      };
      await Deno.writeTextFile(o.jsonl, JSON.stringify(record) + "\n", { append: true });
    }
    rows.push(row);
    o.onRow?.(row);
    // The ETA extrapolates the training runs only: data set-up and diversity are not their work.
    progress.tick(cellsOf(unit), "", runSeconds);
    progress.log(
      `${scheme} ${percent(fraction)} seed ${seed}: ${train.nCells} cells, ` +
        (held.skip
          ? `skipped (${held.skip})`
          : `macro-F1 ${result.macro_f1.toFixed(3)}, micro-F1 ${result.micro_f1.toFixed(3)}`) +
        `, Vendi ${diversity.vendi.toFixed(1)} (${fitSeconds.toFixed(1)} s)`,
    );
  }
  progress.finish();
  return rows;
}

/** Rows per scheme, the shared fraction-1 runs ("all") counted in every scheme. */
function byScheme(rows: SaturationRow[]): Map<string, SaturationRow[]> {
  const schemes = [...new Set(rows.map((r) => r.scheme))].filter((s) => s !== "all");
  const all = rows.filter((r) => r.scheme === "all");
  const groups = new Map<string, SaturationRow[]>();
  for (const s of SAMPLING_SCHEMES.filter((s) => schemes.includes(s))) {
    groups.set(s, [...rows.filter((r) => r.scheme === s), ...all]);
  }
  if (!groups.size && all.length) groups.set("all", all);
  return groups;
}

/** One point of a learning-saturation curve: mean and sd over seeds at one training fraction. */
export interface SaturationCurvePoint {
  scheme: string;
  /** Fraction of the training cells, in (0, 1]. */
  fraction: number;
  mean: number;
  sd: number;
}

/** A scheme's saturation point (null: none reached). */
export interface SaturationMark {
  scheme: string;
  fraction: number | null;
}

/** The score columns a study reports. */
export type SaturationMetric = "macro_f1" | "micro_f1";

/**
 * Per scheme: the metric's mean ± sd over seeds at each fraction (for {@link saturationSpec}) and
 * the saturation point ({@link saturationPoint}); skipped runs are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { saturationCurves } from "yoto";
 * const row = (fraction: number, micro_f1: number) => ({ scheme: "random", fraction, seed: 0, status: "ok", micro_f1 });
 * const { saturation } = saturationCurves([row(0.1, 0.5), row(1, 0.9)] as never, "micro_f1");
 * assert.equal(saturation[0].fraction, 1);
 * ```
 */
export function saturationCurves(
  rows: SaturationRow[],
  metric: SaturationMetric,
  threshold = 0.95,
): { points: SaturationCurvePoint[]; saturation: (SaturationMark & SaturationResult)[] } {
  const points: SaturationCurvePoint[] = [];
  const saturation: (SaturationMark & SaturationResult)[] = [];
  for (const [scheme, group] of byScheme(rows.filter((r) => r.status === "ok"))) {
    const result = saturationPoint(
      group.map((r) => ({ fraction: r.fraction, seed: r.seed, metric: r[metric] })),
      { threshold },
    );
    saturation.push({ scheme, ...result });
    for (const c of result.curve) {
      points.push({ scheme, fraction: c.fraction, mean: c.mean, sd: c.sd });
    }
  }
  return { points, saturation };
}

/**
 * The study as Markdown: test macro- and micro-F1 per scheme and fraction (mean ± sd over
 * seeds), the diversity of the chosen training cells, the saturation point per scheme for both
 * metrics (micro-F1 is the study's), and the runs skipped with their reason.
 */
export function saturationSummary(rows: SaturationRow[], threshold = 0.95): string {
  const groups = byScheme(rows);
  const fractions = [...new Set(rows.map((r) => r.fraction))].sort((a, b) => a - b);
  const ok = (g: SaturationRow[]) => g.filter((r) => r.status === "ok");
  const cell = (values: number[], digits: number) =>
    values.length ? formatMeanSd(values, digits) : "–";
  const out: string[] = [];
  const method = rows[0]
    ? `${rows[0].method} (${
      rows[0].classifier === "own" ? "own heads" : rows[0].classifier
    }), k = ${rows[0].k}`
    : "";
  for (const [metric, name] of [["macro_f1", "macro-F1"], ["micro_f1", "micro-F1"]] as const) {
    const table = [...groups].map(([scheme, g]) => [
      scheme,
      ...fractions.map((f) => cell(ok(g).filter((r) => r.fraction === f).map((r) => r[metric]), 3)),
    ]);
    out.push(
      `### Test ${name}, ${method}: mean ± sd over seeds`,
      "",
      markdownTable(["scheme", ...fractions.map(percent)], table),
      "",
    );
  }
  const diversity: string[][] = [];
  for (const [scheme, g] of groups) {
    for (const f of fractions) {
      const at = g.filter((r) => r.fraction === f);
      if (!at.length) continue;
      const col = (key: keyof SaturationRow, digits: number) =>
        cell(at.map((r) => r[key] as number).filter((v) => !Number.isNaN(v)), digits);
      diversity.push([
        scheme,
        percent(f),
        col("n_train", 0),
        col("n_types", 1),
        col("shannon", 3),
        col("gini_simpson", 3),
        col("inverse_simpson", 2),
        col("vendi", 1),
      ]);
    }
  }
  out.push(
    "### Diversity of the chosen training cells (mean ± sd over seeds)",
    "",
    markdownTable(
      [
        "scheme",
        "fraction",
        "cells",
        "types",
        "Shannon (bits)",
        "Gini–Simpson",
        "inverse Simpson",
        "Vendi",
      ],
      diversity,
    ),
  );
  out.push(
    "",
    `### Saturation point: smallest fraction whose mean exceeds ${threshold} × the best run`,
    "",
  );
  const curves = (["micro_f1", "macro_f1"] as const).map((m) =>
    saturationCurves(rows, m, threshold)
  );
  const show = (s?: SaturationResult) =>
    s ? [s.maxMetric.toFixed(3), s.fraction === null ? "none" : percent(s.fraction)] : ["–", "–"];
  out.push(markdownTable(
    ["scheme", "best micro-F1", "saturation (micro-F1)", "best macro-F1", "saturation (macro-F1)"],
    [...groups.keys()].map((scheme) => {
      const [micro, macro] = curves.map((c) => c.saturation.find((s) => s.scheme === scheme));
      return [scheme, ...show(micro), ...show(macro)];
    }),
  ));
  const skipped = rows.filter((r) => r.status === "skipped");
  if (skipped.length) {
    out.push(
      "",
      `Skipped runs (left out of the scores): ${
        skipped.map((r) => `${r.scheme} ${percent(r.fraction)} seed ${r.seed} (${r.notes})`).join(
          "; ",
        )
      }.`,
    );
  }
  return out.join("\n") + "\n";
}
