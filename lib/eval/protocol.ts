/**
 * The evaluation protocol: datasets x split kinds x seeds x methods x k, every panel scored by the
 * same downstream classifiers on the panel genes (and by the method's own heads when its fit
 * predicts: YOTO). Candidate
 * genes and preprocessing are fit on train only. Rows are appended to `results.jsonl`, one line
 * per unit (one selection) with a fingerprint of its settings, so an interrupted run resumes
 * where it stopped and a changed config recomputes what it changes; a unit that fails is
 * recorded with its error and the grid goes on.
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { countNulls, type NullTwinParts, withNullTwins } from "../calibrate/calibration.ts";
import type { Dataset } from "../data/dataset.ts";
import type { HvgFlavor } from "../data/hvg.ts";
import { readCounts } from "../data/io.ts";
import { simulate, type SimulateOptions, simulationParams } from "../data/simulate.ts";
import { protocolSplit, splitDataset } from "../data/split.ts";
import { readJsonLines } from "../runtime/atomic.ts";
import { DataValueError, FileFormatError, OptionError, YotoError } from "../runtime/errors.ts";
import { changedKeys, contentHash, fingerprint } from "../runtime/fingerprint.ts";
import { Progress } from "../runtime/progress.ts";
import { thinCounts } from "../data/sampling.ts";
import {
  DEFAULT_NORMALIZATION,
  fitCandidates,
  type Normalization,
  NORMALIZATIONS,
  parseNormalization,
} from "../data/transform.ts";
import {
  checkConstraintSources,
  CONSTRAINT_KEYS,
  constraintLines,
  type ConstraintSources,
  readConstraints,
} from "../data/constraints.ts";
import type { Panel, Selector } from "../select/panel.ts";
import {
  loadSelector,
  SELECTOR_NAMES,
  type SelectorEntry,
  selectorEntry,
} from "../select/registry.ts";
import { YOTO_OPTION_NAMES, type YotoOptions } from "../select/yoto/train.ts";
import { CLASSIFIER_KINDS, type ClassifierKind } from "./classifiers.ts";
import { evaluatePanel } from "./downstream.ts";
import type { ClassificationMetrics } from "../metrics/classification.ts";
import { scorePrediction } from "./score.ts";
import {
  type PanelMetrics,
  panelMetrics,
  SUITE_METRICS,
  type SuiteMetric,
  type SuiteReference,
  suiteReference,
} from "./suite.ts";

/** One dataset of a benchmark config: a file (`path`) or a simulation (`simulate`). */
export interface BenchmarkDataset {
  name: string;
  /** .h5ad, .arrow, a 10x directory, ...; relative paths resolve against the config file. */
  path?: string;
  /**
   * Simulate the dataset instead of reading a file: {@link SimulateOptions} (the same options
   * give the same data; results are resumed by the options' fingerprint).
   */
  simulate?: SimulateOptions;
  /** Label columns, one task each; the first stratifies the cell-level split. */
  labels: string[];
  /** Donor (or patient, sample) column for the held-out-group split. */
  splitBy?: string;
  /** .h5ad: read this layer (e.g. "counts") instead of X. */
  layer?: string;
  /** .h5ad: read raw/X instead of X. */
  raw?: boolean;
  /** Accept non-negative non-integer values (estimated counts); otherwise raw counts only. */
  allowNonInteger?: boolean;
}

/** A benchmark grid (the JSON config). */
export interface BenchmarkConfig {
  datasets: BenchmarkDataset[];
  /** Selector names (see {@link SELECTOR_NAMES}). */
  methods: string[];
  k: number[];
  seeds: number[];
  /** "cell" (stratified 70/15/15) and/or "donor" (whole groups of splitBy held out). */
  splits: ("cell" | "donor")[];
  /** Output directory; relative paths resolve against the config file. */
  out: string;
  /** Top-N HVGs on train as candidates [2000]. */
  candidates?: number;
  /** HVG flavour ranking the candidates ["seurat"]; PERSIST's VISp setup uses "cell_ranger". */
  hvgFlavor?: HvgFlavor;
  /**
   * Assay constraints on the candidates, as `yoto train`'s flags: force, exclude, allow (a gene
   * list file, relative to the config, or a list of genes), excludePatterns, excludePresets,
   * minMean, maxMean (per class of each dataset's first label) [none].
   */
  constraints?: ConstraintSources;
  /** Downstream classifiers [["lr", "mlp", "knn"]]. */
  classifiers?: ClassifierKind[];
  /**
   * Model-input normalisations (docs/methods.md §0): each one selects and scores every panel
   * again, and rows say which [[DEFAULT_NORMALIZATION]]. The config may give one as a string.
   */
  normalize?: Normalization[];
  /**
   * Also score every panel on the test cells binomially thinned to these fractions of their
   * counts (rows with `depth` < 1) [none].
   */
  thinning?: number[];
  /**
   * Extra fitYoto options for every run of a method that takes them (YOTO; the same for all
   * datasets) [none].
   */
  yoto?: Partial<YotoOptions>;
  /**
   * Calibrate every panel with null twins (docs/methods.md §3.5) [false]: each method chooses from
   * the candidates and one twin each (one draw per dataset, split and seed, seeded by the seed),
   * rows gain n_null, null_fraction and fsp, and the downstream classifiers read the panel's
   * real genes only.
   */
  nullGenes?: boolean;
  /**
   * The evaluation suite's panel metrics on every row (docs/methods.md §1.9): false for none, or
   * the ones to compute, among {@link SUITE_METRICS} [all]. Computed once per selection, on the
   * real genes with nullGenes.
   */
  suite?: readonly SuiteMetric[] | false;
}

/** One result row: one panel, one task, one classifier. */
export interface ResultRow {
  dataset: string;
  task: string;
  split: string;
  seed: number;
  method: string;
  k: number;
  /** "lr", "mlp", "knn", or "own" (YOTO's heads). */
  classifier: string;
  /** The model-input normalisation of the selection and the classifiers. */
  normalize: Normalization;
  /** Fraction of the test cells' counts kept by binomial thinning (1: as measured). */
  depth: number;
  n_genes: number;
  exact_k: boolean;
  accuracy: number;
  balanced_accuracy: number;
  macro_f1: number;
  weighted_f1: number;
  /** Seconds to select the panel (YOTO: to train the whole model). */
  fit_seconds: number;
  /** Seconds to fit this downstream classifier (0 for own heads). */
  classifier_seconds: number;
  n_train: number;
  n_test: number;
  n_candidates: number;
  /** Panel genes, best first, joined by ";". */
  panel: string;
  notes: string;
  /** Identifies the selection this row came from (resuming skips finished units). */
  unit: string;
  /** With `nullGenes`: panel genes that are null twins (the metrics use the others). */
  n_null?: number;
  /** With `nullGenes`: n_null / n_genes. */
  null_fraction?: number;
  /** With `nullGenes`: FSP^ = n_null / max(1, k - n_null). */
  fsp?: number;
  // The suite's panel metrics (config "suite", docs/methods.md §1.9): one value per selection,
  // the same on all its rows (marker_coverage: per task), on the unthinned test cells; NaN
  // where the panel has no real gene or the metric is undefined for it.
  /** Mean share of each test cell's 15 nearest neighbours that the panel and the reference agree on. */
  knn_overlap?: number;
  /** Mean NMI of the panel's and the reference's Louvain clusterings of the test cells. */
  cluster_nmi?: number;
  /** Mean ARI of the panel's and the reference's Louvain clusterings of the test cells. */
  cluster_ari?: number;
  /** Mean over panel genes of the largest |correlation| with another panel gene (NaN: 1 gene). */
  redundancy?: number;
  /** Fraction of this row's task's classes with a panel gene among their top 20 DE genes. */
  marker_coverage?: number;
  /** Mean R² of the reference candidates outside the panel, reconstructed from it by ridge. */
  reconstruction_r2?: number;
  /** Seconds computing this selection's suite metrics (the split's shared reference not included). */
  suite_seconds?: number;
}

const HVG_FLAVORS: HvgFlavor[] = ["seurat", "cell_ranger", "seurat_v3"];

/** fitYoto options each unit sets from the config's own keys; a config's `yoto` may not. */
const BENCHMARK_SETS: readonly string[] = [
  "k",
  "tasks",
  "seed",
  "validation",
  "quiet",
  "candidates",
  "normalize",
  "hvgFlavor",
  "constraintReport", // the report of its constraints
  "forceInclude", // the config's constraints.force
  ...CONSTRAINT_KEYS.filter((key) => key !== "force"),
];

function configError(problem: string, fix: string, file: string): never {
  throw new FileFormatError(problem, { file, fix });
}

/**
 * What each key of a benchmark config holds, [default] last; `deno task benchmark --help`
 * prints these, and the parser refuses any other key.
 */
export const BENCHMARK_CONFIG_KEYS: { readonly [K in keyof BenchmarkConfig]-?: string } = {
  datasets: "non-empty list of datasets, each an object of the dataset keys below (required)",
  methods: `selectors to run, among ${SELECTOR_NAMES.join(", ")} (required)`,
  k: "panel sizes [[8, 16, 32, 64]]",
  seeds: "seeds of the split and the selectors [[0, 1, 2]]",
  splits: `"cell" (stratified 70/15/15) and/or "donor" (whole groups of a dataset's splitBy ` +
    `held out for test) [["cell"]]`,
  out: "results folder, relative to the config file (required)",
  candidates: "top-N HVGs of train every method chooses from [2000]",
  hvgFlavor: `HVG flavour ranking the candidates: ${HVG_FLAVORS.join(", ")} ["seurat"]`,
  constraints: `assay constraints on the candidates, an object of ${CONSTRAINT_KEYS.join(", ")} ` +
    "(as yoto train's flags; gene lists as a file relative to the config or a list of " +
    "genes) [none]",
  classifiers: `downstream classifiers, among ${CLASSIFIER_KINDS.join(", ")} [all]`,
  normalize: `model input per cell, one or a list among ${NORMALIZATIONS.join(", ")}: each ` +
    `selects and scores every panel again (docs/methods.md §0) ["${DEFAULT_NORMALIZATION}"]`,
  thinning: "also score every panel on the test counts thinned to these fractions, in (0, 1), " +
    "e.g. [0.5, 0.25] [none]",
  yoto: `fitYoto options for the methods that take them (YOTO), e.g. {"epochs": 50, ` +
    `"balance": true}; the config's own keys (k, seeds, candidates, normalize, constraints, ...) ` +
    "may not be set here [none]",
  nullGenes: "true: calibrate every panel with one null twin per candidate (docs/methods.md " +
    "§3.5); rows gain n_null, null_fraction and fsp [false]",
  suite: `yoto evaluate's panel metrics on every row: true, false, or a list among ` +
    `${SUITE_METRICS.join(", ")} [true]`,
};

/** What each key of a config's dataset holds, as {@link BENCHMARK_CONFIG_KEYS}. */
export const BENCHMARK_DATASET_KEYS: { readonly [K in keyof BenchmarkDataset]-?: string } = {
  name: "unique name of the dataset in the results (required)",
  path: ".h5ad, .arrow, 10x/MatrixMarket folder or .csv of raw counts, relative to the " +
    "config file (this or simulate)",
  simulate: 'options of the simulator (lib/data/simulate.ts), e.g. {"nCells": 3000, ' +
    '"hierarchy": [5, 25]}: simulated when the benchmark runs (this or path)',
  labels: "obs columns to predict, one task each; the first stratifies the cell split (required)",
  splitBy: 'obs column of donors (or samples) for the "donor" split [none]',
  layer: ".h5ad: read layers/NAME (e.g. counts) instead of X [X]",
  raw: ".h5ad: true reads raw/X instead of X [false]",
  allowNonInteger: "true accepts non-negative non-integer counts (estimated counts) [false]",
};

/** A configError naming the keys of `object` (at `where`) that are not among `known`. */
function refuseUnknownKeys(
  object: Record<string, unknown>,
  known: Record<string, string>,
  where: string,
  file: string,
): void {
  const unknown = Object.keys(object).filter((key) => !Object.hasOwn(known, key));
  if (unknown.length) {
    configError(
      `${where}unknown key(s) ${unknown.join(", ")}`,
      `use ${Object.keys(known).join(", ")} (deno task benchmark --help says what each holds)`,
      file,
    );
  }
}

function numberList(v: unknown, field: string, file: string, min: number): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isInteger(x) && x >= min)) {
    configError(`'${field}' must be a non-empty list of integers >= ${min}`, "e.g. [8, 16]", file);
  }
  return v as number[];
}

/** A simulated dataset's options: an object that {@link simulationParams} accepts. */
function checkSimulation(options: unknown, where: string, file: string): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    configError(
      `${where}: 'simulate' must be an object of simulate options`,
      '"simulate": {"nCells": 3000, "hierarchy": [5, 25]}',
      file,
    );
  }
  try {
    simulationParams(options as SimulateOptions);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    configError(
      `${where}: simulate option '${err.field}' ${err.problem}`,
      err.fix ?? `fix '${err.field}' in its "simulate" object`,
      file,
    );
  }
}

/**
 * Parse and check a benchmark config (JSON text); relative paths resolve against `file`'s folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBenchmarkConfig } from "yoto";
 * const c = parseBenchmarkConfig(JSON.stringify({
 *   datasets: [{ name: "d", path: "d.arrow", labels: ["cell_type"] }],
 *   methods: ["random"], k: [8], seeds: [0], splits: ["cell"], out: "res",
 * }), "/tmp/bench/config.json");
 * assert.equal(c.out, "/tmp/bench/res");
 * assert.equal(c.datasets[0].path, "/tmp/bench/d.arrow");
 * ```
 */
export function parseBenchmarkConfig(text: string, file: string): BenchmarkConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    configError(`not valid JSON (${(err as Error).message})`, "fix the JSON syntax", file);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    configError("the config must be a JSON object", "see benchmarks/shared.json", file);
  }
  refuseUnknownKeys(raw, BENCHMARK_CONFIG_KEYS, "", file);
  const base = dirname(resolve(file));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  if (!Array.isArray(raw.datasets) || raw.datasets.length === 0) {
    configError("'datasets' must be a non-empty list", "see benchmarks/shared.json", file);
  }
  const datasets = (raw.datasets as Record<string, unknown>[]).map((d, i) => {
    if (typeof d === "object" && d !== null && !Array.isArray(d)) {
      refuseUnknownKeys(d, BENCHMARK_DATASET_KEYS, `datasets[${i}]: `, file);
    }
    const ok = typeof d?.name === "string" &&
      (typeof d.path === "string") !== (d.simulate !== undefined) &&
      Array.isArray(d.labels) && d.labels.length > 0 &&
      d.labels.every((l) => typeof l === "string") &&
      (d.splitBy === undefined || typeof d.splitBy === "string") &&
      (d.layer === undefined || typeof d.layer === "string") &&
      [d.raw, d.allowNonInteger].every((b) => b === undefined || typeof b === "boolean");
    if (!ok) {
      configError(
        `datasets[${i}] needs name, either path or simulate, labels (non-empty list) and ` +
          "optionally splitBy, layer (string), raw and allowNonInteger (true/false)",
        '{"name": "kang", "path": "kang.h5ad", "labels": ["cell_type"]}',
        file,
      );
    }
    if (d.simulate === undefined) {
      return { ...(d as unknown as BenchmarkDataset), path: at(d.path as string) };
    }
    const fileOnly = ["layer", "raw", "allowNonInteger"].filter((key) => d[key] !== undefined);
    if (fileOnly.length) {
      configError(
        `datasets[${i}] '${d.name}': ${fileOnly.join(", ")} is for a dataset read from a path`,
        `leave ${fileOnly.join(", ")} out of a simulated dataset`,
        file,
      );
    }
    checkSimulation(d.simulate, `datasets[${i}] '${d.name}'`, file);
    return d as unknown as BenchmarkDataset;
  });
  const names = datasets.map((d) => d.name);
  if (new Set(names).size !== names.length) {
    configError("dataset names must be unique", "rename the duplicates", file);
  }
  const methods = raw.methods;
  if (!Array.isArray(methods) || methods.length === 0) {
    configError("'methods' must be a non-empty list", `choose among ${SELECTOR_NAMES}`, file);
  }
  const unknown = methods.filter((m) => !SELECTOR_NAMES.includes(m));
  if (unknown.length) {
    configError(`unknown method(s) ${unknown.join(", ")}`, `choose among ${SELECTOR_NAMES}`, file);
  }
  const splits = raw.splits ?? ["cell"];
  if (!Array.isArray(splits) || !splits.every((s) => s === "cell" || s === "donor")) {
    configError("'splits' must list 'cell' and/or 'donor'", '["cell", "donor"]', file);
  }
  const classifiers = raw.classifiers ?? [...CLASSIFIER_KINDS];
  if (
    !Array.isArray(classifiers) ||
    !classifiers.every((c) => (CLASSIFIER_KINDS as readonly string[]).includes(c))
  ) {
    configError(`'classifiers' must list some of ${CLASSIFIER_KINDS}`, '["lr"]', file);
  }
  if (typeof raw.out !== "string") configError("'out' must be a folder path", '"results"', file);
  if (raw.hvgFlavor !== undefined && !HVG_FLAVORS.includes(raw.hvgFlavor as HvgFlavor)) {
    configError(`'hvgFlavor' must be one of ${HVG_FLAVORS}`, '"seurat"', file);
  }
  const yoto = raw.yoto ?? {};
  if (typeof yoto !== "object" || yoto === null || Array.isArray(yoto)) {
    configError("'yoto' must be an object of fitYoto options", '{"epochs": 50}', file);
  }
  for (const name of Object.keys(yoto)) {
    if (BENCHMARK_SETS.includes(name)) {
      configError(
        `'yoto.${name}' is set by the benchmark for every unit`,
        "use the config's own keys (k, seeds, candidates, normalize, constraints)",
        file,
      );
    }
    if (!YOTO_OPTION_NAMES.includes(name)) {
      configError(
        `'yoto.${name}' is not a fitYoto option`,
        `choose among ${YOTO_OPTION_NAMES.filter((n) => !BENCHMARK_SETS.includes(n)).join(", ")}`,
        file,
      );
    }
  }
  const constraints = raw.constraints === undefined ? undefined : checkConstraintSources(
    raw.constraints,
    (problem, fix) => configError(problem, fix, file),
    at,
  );
  const normalize = raw.normalize === undefined
    ? undefined
    : (Array.isArray(raw.normalize) ? raw.normalize : [raw.normalize]).map((n) => {
      try {
        return parseNormalization(n, "'normalize'");
      } catch (err) {
        return configError(
          (err as Error).message,
          `"normalize": ["${NORMALIZATIONS.join('", "')}"]`,
          file,
        );
      }
    });
  if (normalize && (normalize.length === 0 || new Set(normalize).size !== normalize.length)) {
    configError(
      "'normalize' must list distinct normalisations",
      `"normalize": ["panel", "counts"]`,
      file,
    );
  }
  const thinning = raw.thinning;
  if (
    thinning !== undefined &&
    !(Array.isArray(thinning) && thinning.every((f) => typeof f === "number" && f > 0 && f < 1))
  ) {
    configError("'thinning' must list fractions between 0 and 1", '"thinning": [0.5, 0.25]', file);
  }
  if (raw.nullGenes !== undefined && typeof raw.nullGenes !== "boolean") {
    configError("'nullGenes' must be true or false", '"nullGenes": true', file);
  }
  const suite = raw.suite;
  if (
    !(suite === undefined || typeof suite === "boolean" ||
      Array.isArray(suite) && suite.length > 0 &&
        suite.every((m) => (SUITE_METRICS as readonly unknown[]).includes(m)))
  ) {
    configError(
      `'suite' must be true, false or a non-empty list of ${SUITE_METRICS.join(", ")}`,
      `"suite": ["knn_overlap", "reconstruction_r2"] or "suite": false`,
      file,
    );
  }
  return {
    datasets,
    methods: methods as string[],
    k: numberList(raw.k ?? [8, 16, 32, 64], "k", file, 1),
    seeds: numberList(raw.seeds ?? [0, 1, 2], "seeds", file, 0),
    splits: splits as ("cell" | "donor")[],
    out: at(raw.out as string),
    candidates: raw.candidates === undefined
      ? undefined
      : numberList([raw.candidates], "candidates", file, 1)[0],
    classifiers: classifiers as ClassifierKind[],
    hvgFlavor: raw.hvgFlavor as HvgFlavor | undefined,
    yoto: yoto as Partial<YotoOptions>,
    nullGenes: raw.nullGenes === true,
    ...(constraints ? { constraints } : {}),
    ...(normalize ? { normalize } : {}),
    ...(thinning ? { thinning: thinning as number[] } : {}),
    ...(suite === false || Array.isArray(suite) ? { suite: suite as SuiteMetric[] | false } : {}),
  };
}

/** Read and parse a benchmark config file; a missing or unreadable file is a FileFormatError. */
export async function readBenchmarkConfig(path: string): Promise<BenchmarkConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new FileFormatError(`cannot read the config (${(err as Error).message})`, {
      file: path,
      fix: "check the --config path (e.g. benchmarks/shared.json)",
    });
  }
  return parseBenchmarkConfig(text, path);
}

/**
 * One line of `results.jsonl`: a finished unit with its rows, or a failed one with its error.
 * `settings` (and their `fingerprint`) are what the unit's result depends on; lines written
 * before fingerprints existed have neither.
 */
export interface UnitRecord {
  unit: string;
  fingerprint?: string;
  settings?: Record<string, unknown>;
  rows?: ResultRow[];
  failure?: UnitFailure;
}

/** A unit (one selection) that failed: which one, and its error in one line. */
export interface UnitFailure {
  unit: string;
  dataset: string;
  split: string;
  seed: number;
  method: string;
  k: number;
  /** The label columns it learns from, joined by "+" ("" for data-only methods). */
  tasks: string;
  error: string;
}

/**
 * Rows of the finished units in `results.jsonl` (whatever their settings): one line per unit
 * ({unit, rows}), so a line cut short by a crash drops its whole unit, which then runs again.
 */
export async function readResultRows(path: string): Promise<ResultRow[]> {
  return (await readJsonLines<UnitRecord>(path)).flatMap((unit) => unit.rows ?? []);
}

/** Options of {@link runBenchmark}. */
export interface RunBenchmarkOptions {
  quiet?: boolean;
  /** Called after each finished unit with its rows. */
  onRows?: (rows: ResultRow[]) => void;
  /** Where warnings go: failed units, results recomputed for changed settings [stderr]. */
  warn?: (line: string) => void;
}

/** What {@link runBenchmark} returns: the rows and failures of the config's grid. */
export interface BenchmarkRun {
  /** Rows of every finished unit of the grid (earlier calls' and this one's), in grid order. */
  rows: ResultRow[];
  /** The units that failed in this call (failed units are retried by the next call). */
  failures: UnitFailure[];
  /** Units in the grid. */
  units: number;
}

interface Unit {
  key: string;
  method: string;
  k: number;
  normalize: Normalization;
  /** The label columns the selector learns from (none for data-only methods). */
  fitTasks: string[];
  /** The tasks its panel is scored on. */
  evalTasks: string[];
  /** What its result depends on, and their fingerprint. */
  settings: Record<string, unknown>;
  fingerprint: string;
}

/** The selections one (dataset, split, seed) needs, in run order. */
function planUnits(
  config: BenchmarkConfig,
  d: BenchmarkDataset,
  prefix: string,
  selectors: Map<string, Selector>,
  shared: Record<string, unknown>,
): Unit[] {
  const units: Unit[] = [];
  for (const method of config.methods) {
    const entry = selectorEntry(method);
    // With one label, the fit on every label is the per-task one.
    if (entry.tasks === "all" && d.labels.length < 2) continue;
    for (const normalize of config.normalize ?? [DEFAULT_NORMALIZATION]) {
      for (const k of config.k) {
        const groups = selectors.get(method)!.needs === "data"
          ? [[]]
          : entry.tasks === "all"
          ? [d.labels]
          : d.labels.map((t) => [t]);
        for (const fitTasks of groups) {
          const key = `${prefix}|${method}|${k}|${fitTasks.join("+")}|${normalize}`;
          const settings = { unit: key, ...shared, normalize, yoto: yotoOptions(config, entry) };
          units.push({
            key,
            method,
            k,
            normalize,
            fitTasks,
            evalTasks: fitTasks.length ? fitTasks : d.labels,
            settings,
            fingerprint: fingerprint(settings),
          });
        }
      }
    }
  }
  return units;
}

/** The config's YOTO options for a method that takes them (else undefined). */
function yotoOptions(
  config: BenchmarkConfig,
  entry: SelectorEntry,
): Partial<YotoOptions> | undefined {
  return entry.yotoOptions ? config.yoto ?? {} : undefined;
}

/** An error as one line for a results file: a user error's message; for a bug, its class too. */
function errorLine(err: unknown): string {
  const text = err instanceof YotoError
    ? err.message
    : err instanceof Error
    ? `${err.name}: ${err.message}`
    : String(err);
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Which planned units are done (a finished record with the unit's current fingerprint; the
 * last one wins), and one warning line per kind of record that no longer counts.
 */
function resumeState(records: UnitRecord[], units: Unit[]) {
  const planned = new Map(units.map((u) => [u.key, u]));
  const done = new Map<string, ResultRow[]>();
  const stale = new Map<string, UnitRecord>();
  const unfingerprinted = new Set<string>();
  const outside = new Set<string>();
  for (const r of records) {
    const unit = planned.get(r.unit);
    if (!unit) outside.add(r.unit);
    else if (!r.rows) continue; // a failed attempt: run it again
    else if (r.fingerprint === unit.fingerprint) done.set(r.unit, r.rows);
    else if (r.fingerprint === undefined) unfingerprinted.add(r.unit);
    else stale.set(r.unit, r);
  }
  for (const key of done.keys()) {
    stale.delete(key);
    unfingerprinted.delete(key);
  }
  const warnings: string[] = [];
  if (stale.size) {
    const changed = new Set(
      [...stale].flatMap(([key, r]) => changedKeys(r.settings ?? {}, planned.get(key)!.settings)),
    );
    warnings.push(
      `${stale.size} result(s) in results.jsonl come from a different config (changed: ` +
        `${
          [...changed].join(", ")
        }): recomputed; the old lines stay in the file, out of the tables`,
    );
  }
  if (unfingerprinted.size) {
    warnings.push(
      `${unfingerprinted.size} result(s) in results.jsonl were written without a record of ` +
        "their settings (by an older version): recomputed; the old lines stay in the file, " +
        "out of the tables",
    );
  }
  if (outside.size) {
    warnings.push(
      `${outside.size} unit(s) in results.jsonl are not in this config's grid: left out of the tables`,
    );
  }
  return { done, warnings };
}

/**
 * Run (or resume) a benchmark grid. Each unit (one selection and its scores) is appended to
 * `config.out/results.jsonl` as it finishes, with a fingerprint of what its result depends on
 * (the dataset file's content or a simulation's options, labels, split column, candidates, HVG
 * flavour, classifiers, the unit's method, k, seed and split, YOTO's options): a rerun skips the units whose fingerprint
 * still matches and recomputes the others. A unit that throws (its selection, scoring, or its
 * split or dataset) is recorded as failed with its error and the grid goes on; the next call
 * retries it.
 */
export async function runBenchmark(
  config: BenchmarkConfig,
  options: RunBenchmarkOptions = {},
): Promise<BenchmarkRun> {
  const warn = options.warn ?? ((line: string) => console.error(`warning: ${line}`));
  await Deno.mkdir(config.out, { recursive: true });
  const jsonl = `${config.out}/results.jsonl`;
  const selectors = new Map<string, Selector>();
  for (const m of config.methods) {
    selectors.set(m, await loadSelector(m, yotoOptions(config, selectorEntry(m))));
  }
  const classifiers = config.classifiers ?? [...CLASSIFIER_KINDS];
  const constraints = config.constraints ? await readConstraints(config.constraints) : {};
  // in SUITE_METRICS' order, so the same choice always has the same fingerprint
  const chosen = config.suite ?? SUITE_METRICS;
  const suite = chosen === false ? [] : SUITE_METRICS.filter((m) => chosen.includes(m));
  const plan: { d: BenchmarkDataset; split: "cell" | "donor"; seed: number; units: Unit[] }[] = [];
  for (const d of config.datasets) {
    if (d.path !== undefined && !existsSync(d.path)) {
      throw new FileFormatError(`dataset '${d.name}' not found`, {
        file: d.path,
        fix: "fix its path in the config (relative to the config file)",
      });
    }
    // A simulation is identified by its options with every default filled in.
    const data = d.path !== undefined
      ? await contentHash(d.path)
      : `simulate:${fingerprint(simulationParams(d.simulate))}`;
    for (const split of config.splits) {
      if (split === "donor" && !d.splitBy) continue; // no donor column: cell-level only
      for (const seed of config.seeds) {
        const prefix = `${d.name}|${split}|${seed}${config.nullGenes ? "|nulls" : ""}`;
        const shared = {
          data,
          labels: d.labels,
          splitBy: split === "donor" ? d.splitBy : undefined,
          candidates: config.candidates ?? 2000,
          hvgFlavor: config.hvgFlavor ?? "seurat",
          classifiers,
          ...(config.thinning ? { thinning: config.thinning } : {}),
          // only when on: results without suite columns are those of "suite": false
          ...(suite.length ? { suite } : {}),
          // only when given, so the fingerprints of unconstrained runs stay as they were
          ...(Object.keys(constraints).length ? { constraints } : {}),
        };
        plan.push({ d, split, seed, units: planUnits(config, d, prefix, selectors, shared) });
      }
    }
  }
  const all = plan.flatMap((p) => p.units);
  const { done, warnings } = resumeState(await readJsonLines<UnitRecord>(jsonl), all);
  for (const line of warnings) warn(line);
  const progress = new Progress("benchmark", all.length - done.size, { quiet: options.quiet });
  const failures: UnitFailure[] = [];
  const append = (record: UnitRecord) =>
    Deno.writeTextFile(jsonl, JSON.stringify(record) + "\n", { append: true });
  let loaded = null as { name: string; ds?: Dataset; error?: unknown } | null;
  for (const { d, split, seed, units: planned } of plan) {
    const units = planned.filter((u) => !done.has(u.key));
    if (!units.length) continue;
    const fail = async (unit: Unit, err: unknown) => {
      const failure: UnitFailure = {
        unit: unit.key,
        dataset: d.name,
        split,
        seed,
        method: unit.method,
        k: unit.k,
        tasks: unit.fitTasks.join("+"),
        error: errorLine(err),
      };
      await append({
        unit: unit.key,
        fingerprint: unit.fingerprint,
        settings: unit.settings,
        failure,
      });
      failures.push(failure);
      progress.tick(1);
      warn(`${d.name} ${split} seed ${seed} ${unit.method} k=${unit.k} failed: ${failure.error}`);
      // A bug, not a user error: keep its stack for the report.
      if (!(err instanceof YotoError) && err instanceof Error && err.stack) warn(err.stack);
    };
    if (loaded?.name !== d.name) {
      loaded = { name: d.name };
      try {
        const flags = { layer: d.layer, raw: d.raw, "allow-non-integer": d.allowNonInteger };
        loaded.ds = d.path !== undefined
          ? await readCounts(d.path, { ...flags, quiet: true }, `dataset '${d.name}'`)
          : simulate(d.simulate).dataset;
      } catch (err) {
        loaded.error = err;
      }
    }
    let prepared: PreparedSplit;
    try {
      if (!loaded.ds) throw loaded.error;
      const ds = loaded.ds;
      const parts = splitDataset(
        ds,
        protocolSplit(ds, {
          labels: d.labels,
          groupBy: split === "donor" ? d.splitBy : undefined,
          seed,
        }),
      );
      const { genes: candidates, report } = fitCandidates(parts.train, {
        candidates: config.candidates ?? 2000,
        hvgFlavor: config.hvgFlavor,
        tasks: d.labels,
        ...constraints,
      });
      for (const line of report ? constraintLines(report) : []) {
        progress.log(`${d.name} ${split} seed ${seed} candidates: ${line}`);
      }
      // With nullGenes every method picks from the candidates and their twins (one draw per seed).
      const nulls = config.nullGenes ? withNullTwins(parts, candidates, { seed }) : null;
      const started = performance.now();
      const reference = suite.length ? suiteReferenceOf(parts, d, seed, config, candidates) : null;
      if (reference) {
        progress.log(
          `${d.name} ${split} seed ${seed}: suite reference in ${
            ((performance.now() - started) / 1000).toFixed(1)
          } s`,
        );
      }
      prepared = {
        parts,
        candidates,
        nulls,
        forced: constraints.forceInclude ?? [],
        suite: reference && { reference, metrics: suite },
      };
    } catch (err) {
      // The dataset or this split cannot be made: every unit of it fails, the others go on.
      for (const unit of units) await fail(unit, err);
      continue;
    }
    for (const unit of units) {
      let result;
      try {
        result = await runUnit(
          d,
          split,
          seed,
          unit,
          prepared,
          selectors,
          classifiers,
          config.thinning,
        );
      } catch (err) {
        await fail(unit, err);
        continue;
      }
      const { unitRows, panel, counted } = result;
      await append({
        unit: unit.key,
        fingerprint: unit.fingerprint,
        settings: unit.settings,
        rows: unitRows,
      });
      done.set(unit.key, unitRows);
      options.onRows?.(unitRows);
      progress.tick(1);
      const f1 = unitRows.filter((r) => r.classifier !== "knn" && r.classifier !== "mlp")
        .map((r) => `${r.task}/${r.classifier} ${r.macro_f1.toFixed(3)}`).join(", ");
      const twins = counted ? `, ${counted.kNull} null twin(s)` : "";
      progress.log(
        `${d.name} ${split} seed ${seed} ${unit.method} k=${unit.k}: ${f1} (${
          panel.fitSeconds.toFixed(1)
        } s${twins})`,
      );
    }
  }
  progress.finish();
  return { rows: all.flatMap((u) => done.get(u.key) ?? []), failures, units: all.length };
}

/** The split, candidates and null twins shared by the units of one (dataset, split, seed). */
interface PreparedSplit {
  parts: ReturnType<typeof splitDataset>;
  candidates: string[];
  nulls: NullTwinParts<ReturnType<typeof splitDataset>> | null;
  /** Genes every panel holds (counted in k). */
  forced: string[];
  /** The suite metrics to compute and their full-transcriptome reference (null: none). */
  suite: { reference: SuiteReference; metrics: SuiteMetric[] } | null;
}

/**
 * The suite's reference of one split: its own candidates (the top `candidates` HVGs, as
 * `yoto evaluate --candidates`) with every gene a panel may hold in the DE ranking. An error is
 * the user's to fix: it says how to leave the suite out.
 */
function suiteReferenceOf(
  parts: PreparedSplit["parts"],
  d: BenchmarkDataset,
  seed: number,
  config: BenchmarkConfig,
  candidates: string[],
): SuiteReference {
  try {
    return suiteReference(
      parts,
      { tasks: d.labels, candidates: config.candidates ?? 2000, seed, quiet: true },
      candidates,
    );
  } catch (err) {
    if (!(err instanceof YotoError)) throw err;
    throw new DataValueError(
      `the suite metrics' full-transcriptome reference cannot be computed: ${err.problem}`,
      {
        field: "suite",
        fix: `${err.fix ? `${err.fix}, or ` : ""}leave the suite metrics out with "suite": false`,
      },
    );
  }
}

/**
 * A row's suite columns from its selection's metrics (null: the panel has no real gene, NaN).
 */
function suiteColumns(
  metrics: SuiteMetric[],
  m: Partial<PanelMetrics> | null,
  task: string,
): Partial<ResultRow> {
  const columns: Partial<ResultRow> = {};
  for (const metric of metrics) {
    if (metric === "knn_overlap") columns.knn_overlap = m?.knn_overlap?.mean ?? NaN;
    if (metric === "cluster_similarity") {
      columns.cluster_nmi = m?.cluster_similarity?.mean_nmi ?? NaN;
      columns.cluster_ari = m?.cluster_similarity?.mean_ari ?? NaN;
    }
    if (metric === "redundancy") columns.redundancy = m?.redundancy?.mean ?? NaN;
    if (metric === "marker_coverage") {
      columns.marker_coverage = m?.marker_coverage?.labels[task]?.covered_fraction ?? NaN;
    }
    if (metric === "reconstruction_r2") {
      columns.reconstruction_r2 = m?.reconstruction_r2?.mean_r2 ?? NaN;
    }
  }
  return columns;
}

/** Select one unit's panel and score it on every task and classifier. */
async function runUnit(
  d: BenchmarkDataset,
  split: string,
  seed: number,
  unit: Unit,
  { parts, candidates, nulls, forced, suite }: PreparedSplit,
  selectors: Map<string, Selector>,
  classifiers: ClassifierKind[],
  thinning: number[] | undefined,
) {
  const pick = nulls?.parts ?? parts;
  const common = {
    dataset: d.name,
    split,
    seed,
    method: unit.method,
    k: unit.k,
    normalize: unit.normalize,
  };
  const depths = [1, ...(thinning ?? [])];
  // the test cells at each depth, thinned once for every classifier and the own heads
  const tests = depths.map((depth) => depth === 1 ? pick.test : thinCounts(pick.test, depth, seed));
  const selectOptions = {
    normalize: unit.normalize,
    k: unit.k,
    tasks: unit.fitTasks,
    seed,
    candidates: nulls?.pool ?? candidates,
    validation: pick.val,
    quiet: true,
    ...(forced.length ? { forceInclude: forced } : {}),
  };
  const unitRows: ResultRow[] = [];
  let panel: Panel;
  // per depth, per task
  const ownScores = depths.map(() => new Map<string, ClassificationMetrics>());
  const fitted = await selectors.get(unit.method)!.fit(pick.train, selectOptions);
  try {
    panel = { ...fitted.panel, method: unit.method };
    // A method whose fit predicts is scored by its own heads too.
    tests.forEach((test, t) => {
      for (const p of fitted.predict?.(test) ?? []) {
        if (p.kind === "classification") ownScores[t].set(p.task, scorePrediction(p, test));
      }
    });
  } finally {
    fitted.dispose();
  }
  const counted = nulls ? countNulls(panel.genes, nulls.twins) : null;
  const base = {
    ...common,
    n_genes: panel.genes.length,
    exact_k: panel.genes.length === unit.k,
    fit_seconds: panel.fitSeconds,
    n_train: parts.train.nCells,
    n_test: parts.test.nCells,
    n_candidates: candidates.length,
    panel: panel.genes.join(";"),
    notes: panel.notes.join(" | "),
    unit: unit.key,
    ...(counted
      ? {
        n_null: counted.kNull,
        null_fraction: counted.kNull / panel.genes.length,
        fsp: counted.fsp,
      }
      : {}),
  };
  // Twins are not measured genes: the classifiers and the suite read the panel's real genes only.
  const realGenes = counted?.realGenes ?? panel.genes;
  const started = performance.now();
  const metrics = suite && realGenes.length
    ? panelMetrics(realGenes, parts, suite.reference, {
      normalize: unit.normalize,
      metrics: suite.metrics,
    })
    : null;
  const suiteSeconds = suite ? { suite_seconds: (performance.now() - started) / 1000 } : {};
  for (const task of unit.evalTasks) {
    const results = realGenes.length
      ? (await evaluatePanel(realGenes, parts, task, {
        classifiers,
        seed,
        normalize: unit.normalize,
        thinning,
      })).results
      : classifiers.map((classifier) => ({
        classifier,
        metrics: NO_GENES,
        fitSeconds: 0,
        thinned: (thinning ?? []).map((depth) => ({ depth, metrics: NO_GENES })),
      }));
    const suiteValues = suite
      ? { ...suiteColumns(suite.metrics, metrics, task), ...suiteSeconds }
      : {};
    depths.forEach((depth, t) => {
      const own = ownScores[t].get(task);
      if (own) {
        unitRows.push({
          ...base,
          task,
          depth,
          classifier: "own",
          ...metricColumns(own),
          classifier_seconds: 0,
          ...suiteValues,
        });
      }
      for (const r of results) {
        unitRows.push({
          ...base,
          task,
          depth,
          classifier: r.classifier,
          ...metricColumns(t === 0 ? r.metrics : r.thinned[t - 1].metrics),
          classifier_seconds: r.fitSeconds,
          ...suiteValues,
        });
      }
    });
  }
  return { unitRows, panel, counted };
}

type MetricValues = Pick<
  ClassificationMetrics,
  "accuracy" | "balancedAccuracy" | "macroF1" | "weightedF1"
>;

/** The metrics of a panel whose genes are all null twins: nothing to classify from. */
const NO_GENES: MetricValues = {
  accuracy: NaN,
  balancedAccuracy: NaN,
  macroF1: NaN,
  weightedF1: NaN,
};

function metricColumns(m: MetricValues) {
  return {
    accuracy: m.accuracy,
    balanced_accuracy: m.balancedAccuracy,
    macro_f1: m.macroF1,
    weighted_f1: m.weightedF1,
  };
}
