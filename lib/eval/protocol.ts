/**
 * The evaluation protocol: datasets x split kinds x seeds x methods x k, every panel scored by the
 * same downstream classifiers on the panel genes (and YOTO also by its own heads). Candidate
 * genes and preprocessing are fit on train only. Rows are appended to `results.jsonl`, one line
 * per unit (one selection), so an interrupted run resumes where it stopped.
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { countNulls, withNullTwins } from "../calibrate/panel.ts";
import type { Dataset } from "../data/dataset.ts";
import type { HvgFlavor } from "../data/hvg.ts";
import { readDataset } from "../data/io.ts";
import { protocolSplit, splitDataset } from "../data/split.ts";
import { readJsonLines } from "../runtime/atomic.ts";
import { FileFormatError, OptionError } from "../runtime/errors.ts";
import { Progress } from "../runtime/progress.ts";
import { fitCandidates } from "../select/input.ts";
import type { Panel, Selector } from "../select/panel.ts";
import { fitYoto, type YotoOptions } from "../select/yoto/train.ts";
import { CLASSIFIER_KINDS, type ClassifierKind } from "./classifiers.ts";
import { evaluatePanel } from "./downstream.ts";
import type { ClassificationMetrics } from "./metrics.ts";
import { scorePrediction } from "./score.ts";

/** One dataset of a benchmark config. */
export interface BenchmarkDataset {
  name: string;
  /** .h5ad, .arrow, a 10x directory, ...; relative paths resolve against the config file. */
  path: string;
  /** Label columns, one task each; the first stratifies the cell-level split. */
  labels: string[];
  /** Donor (or patient, sample) column for the held-out-group split. */
  splitBy?: string;
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
  /** Downstream classifiers [["lr", "mlp", "knn"]]. */
  classifiers?: ClassifierKind[];
  /** Extra fitYoto options for every YOTO run (the same for all datasets) [none]. */
  yoto?: Partial<YotoOptions>;
  /**
   * Calibrate every panel with null twins (methods.md §3.5) [false]: each method chooses from
   * the candidates and one twin each (one draw per dataset, split and seed, seeded by the seed),
   * rows gain n_null, null_fraction and fsp, and the downstream classifiers read the panel's
   * real genes only.
   */
  nullGenes?: boolean;
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
}

/** The selectors a config may name, loaded lazily (each pulls in its own dependencies). */
const SELECTOR_LOADERS: Record<string, () => Promise<Selector>> = {
  random: async () => (await import("../select/random.ts")).randomSelector,
  hvg: async () => (await import("../select/hvg.ts")).hvgSelector("seurat"),
  hvg_cell_ranger: async () => (await import("../select/hvg.ts")).hvgSelector("cell_ranger"),
  hvg_seurat_v3: async () => (await import("../select/hvg.ts")).hvgSelector("seurat_v3"),
  markers: async () => (await import("../select/markers.ts")).markersSelector,
  markers_wilcoxon: async () =>
    (await import("../select/markers.ts")).markerSelector({ method: "wilcoxon" }),
  l1: async () => (await import("../select/l1.ts")).l1Selector,
  stg: async () => (await import("../select/stg.ts")).stgSelector,
  cae: async () => (await import("../select/cae.ts")).caeSelector,
  cae_sup: async () => (await import("../select/cae.ts")).caeSupervisedSelector,
  persist: async () => (await import("../select/persist_method.ts")).persistSelector,
  persist_recon: async () => (await import("../select/persist_method.ts")).persistReconSelector,
};

const HVG_FLAVORS: HvgFlavor[] = ["seurat", "cell_ranger", "seurat_v3"];

/** YOTO per task, and YOTO with every label of the dataset in one model (one shared panel). */
const YOTO_METHODS = ["yoto", "yoto_multitask"];

/** Every method name a config may use. */
export const SELECTOR_NAMES: string[] = [...YOTO_METHODS, ...Object.keys(SELECTOR_LOADERS)];

/**
 * The baseline selector of a method name (every name of {@link SELECTOR_NAMES} but YOTO's),
 * loaded on first use; OptionError naming the choices for any other name.
 *
 * @example
 * ```ts
 * console.assert((await loadSelector("hvg")).needs === "data");
 * ```
 */
export function loadSelector(name: string): Promise<Selector> {
  const load = Object.hasOwn(SELECTOR_LOADERS, name) ? SELECTOR_LOADERS[name] : undefined;
  if (!load) {
    throw new OptionError(`no baseline selector '${name}'`, {
      field: "method",
      fix: `choose among ${Object.keys(SELECTOR_LOADERS).join(", ")}`,
    });
  }
  return load();
}

function configError(problem: string, fix: string, file: string): never {
  throw new FileFormatError(problem, { file, fix });
}

function numberList(v: unknown, field: string, file: string, min: number): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isInteger(x) && x >= min)) {
    configError(`'${field}' must be a non-empty list of integers >= ${min}`, "e.g. [8, 16]", file);
  }
  return v as number[];
}

/**
 * Parse and check a benchmark config (JSON text); relative paths resolve against `file`'s folder.
 *
 * @example
 * ```ts
 * const c = parseBenchmarkConfig(JSON.stringify({
 *   datasets: [{ name: "d", path: "d.arrow", labels: ["cell_type"] }],
 *   methods: ["random"], k: [8], seeds: [0], splits: ["cell"], out: "res",
 * }), "/tmp/bench/config.json");
 * console.assert(c.out === "/tmp/bench/res" && c.datasets[0].path === "/tmp/bench/d.arrow");
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
  const base = dirname(resolve(file));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  if (!Array.isArray(raw.datasets) || raw.datasets.length === 0) {
    configError("'datasets' must be a non-empty list", "see benchmarks/shared.json", file);
  }
  const datasets = (raw.datasets as Record<string, unknown>[]).map((d, i) => {
    const ok = typeof d?.name === "string" && typeof d.path === "string" &&
      Array.isArray(d.labels) && d.labels.length > 0 &&
      d.labels.every((l) => typeof l === "string") &&
      (d.splitBy === undefined || typeof d.splitBy === "string");
    if (!ok) {
      configError(
        `datasets[${i}] needs name, path, labels (non-empty list) and optionally splitBy`,
        '{"name": "kang", "path": "kang.h5ad", "labels": ["cell_type"]}',
        file,
      );
    }
    return { ...(d as unknown as BenchmarkDataset), path: at(d.path as string) };
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
  if (raw.nullGenes !== undefined && typeof raw.nullGenes !== "boolean") {
    configError("'nullGenes' must be true or false", '"nullGenes": true', file);
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
 * Rows already in `results.jsonl`: one line per finished selection ({unit, rows}), so a line cut
 * short by a crash drops its whole unit, which then runs again.
 */
export async function readResultRows(path: string): Promise<ResultRow[]> {
  return (await readJsonLines<{ rows: ResultRow[] }>(path)).flatMap((unit) => unit.rows);
}

/** Options of {@link runBenchmark}. */
export interface RunBenchmarkOptions {
  quiet?: boolean;
  /** Called after each finished unit with its rows. */
  onRows?: (rows: ResultRow[]) => void;
}

interface Unit {
  key: string;
  method: string;
  k: number;
  /** The label columns the selector learns from (none for data-only methods). */
  fitTasks: string[];
  /** The tasks its panel is scored on. */
  evalTasks: string[];
}

/** The selections one (dataset, split, seed) needs, in run order. */
function planUnits(
  config: BenchmarkConfig,
  d: BenchmarkDataset,
  prefix: string,
  needs: (m: string) => "labels" | "data",
): Unit[] {
  const units: Unit[] = [];
  for (const method of config.methods) {
    // With one label, the multi-task model is the per-task one.
    if (method === "yoto_multitask" && d.labels.length < 2) continue;
    for (const k of config.k) {
      const groups = method === "yoto_multitask" || needs(method) === "data"
        ? [method === "yoto_multitask" ? d.labels : []]
        : d.labels.map((t) => [t]);
      for (const fitTasks of groups) {
        units.push({
          key: `${prefix}|${method}|${k}|${fitTasks.join("+")}`,
          method,
          k,
          fitTasks,
          evalTasks: fitTasks.length ? fitTasks : d.labels,
        });
      }
    }
  }
  return units;
}

/**
 * Run (or resume) a benchmark grid; returns every row, old and new. Rows are appended to
 * `config.out/results.jsonl` as each selection finishes.
 */
export async function runBenchmark(
  config: BenchmarkConfig,
  options: RunBenchmarkOptions = {},
): Promise<ResultRow[]> {
  await Deno.mkdir(config.out, { recursive: true });
  const jsonl = `${config.out}/results.jsonl`;
  const rows = await readResultRows(jsonl);
  const done = new Set(rows.map((r) => r.unit));
  const selectors = new Map<string, Selector>();
  for (const m of config.methods) {
    if (!YOTO_METHODS.includes(m)) selectors.set(m, await loadSelector(m));
  }
  const needs = (m: string) => (YOTO_METHODS.includes(m) ? "labels" : selectors.get(m)!.needs);
  const plan: { d: BenchmarkDataset; split: "cell" | "donor"; seed: number; units: Unit[] }[] = [];
  for (const d of config.datasets) {
    for (const split of config.splits) {
      if (split === "donor" && !d.splitBy) continue; // no donor column: cell-level only
      for (const seed of config.seeds) {
        const prefix = `${d.name}|${split}|${seed}${config.nullGenes ? "|nulls" : ""}`;
        const units = planUnits(config, d, prefix, needs)
          .filter((u) => !done.has(u.key));
        if (units.length) plan.push({ d, split, seed, units });
      }
    }
  }
  const total = plan.reduce((a, p) => a + p.units.length, 0);
  const progress = new Progress("benchmark", total, { quiet: options.quiet });
  const classifiers = config.classifiers ?? [...CLASSIFIER_KINDS];
  let loaded = null as { name: string; ds: Dataset } | null;
  for (const { d, split, seed, units } of plan) {
    if (loaded?.name !== d.name) {
      if (!existsSync(d.path)) {
        throw new FileFormatError(`dataset '${d.name}' not found`, {
          file: d.path,
          fix: "fix its path in the config (relative to the config file)",
        });
      }
      loaded = { name: d.name, ds: await readDataset(d.path, { quiet: true }) };
    }
    const ds = loaded.ds;
    const parts = splitDataset(
      ds,
      protocolSplit(ds, {
        labels: d.labels,
        groupBy: split === "donor" ? d.splitBy : undefined,
        seed,
      }),
    );
    const { genes: candidates, targetSum } = fitCandidates(parts.train, {
      candidates: config.candidates ?? 2000,
      hvgFlavor: config.hvgFlavor,
    });
    // With nullGenes every method picks from the candidates and their twins (one draw per seed).
    const nulls = config.nullGenes ? withNullTwins(parts, candidates, { seed }) : null;
    const pick = nulls?.parts ?? parts;
    for (const unit of units) {
      const common = { dataset: d.name, split, seed, method: unit.method, k: unit.k };
      const selectOptions = {
        k: unit.k,
        tasks: unit.fitTasks,
        seed,
        candidates: nulls?.pool ?? candidates,
        validation: pick.val,
        quiet: true,
      };
      const unitRows: ResultRow[] = [];
      let panel: Panel;
      const ownScores: Map<string, ReturnType<typeof scorePrediction>> = new Map();
      if (YOTO_METHODS.includes(unit.method)) {
        const model = await fitYoto(pick.train, { ...config.yoto, ...selectOptions });
        try {
          panel = { ...model.panel, method: unit.method };
          for (const p of model.predict(pick.test)) {
            if (p.kind === "classification") ownScores.set(p.task, scorePrediction(p, parts.test));
          }
        } finally {
          model.dispose();
        }
      } else {
        panel = await selectors.get(unit.method)!.select(pick.train, selectOptions);
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
      // Twins are not measured genes: the classifiers read the panel's real genes only.
      const realGenes = counted?.realGenes ?? panel.genes;
      for (const task of unit.evalTasks) {
        const own = ownScores.get(task);
        if (own) {
          unitRows.push({
            ...base,
            task,
            classifier: "own",
            ...metricColumns(own),
            classifier_seconds: 0,
          });
        }
        const results = realGenes.length
          ? (await evaluatePanel(realGenes, parts, task, { classifiers, seed, targetSum })).results
          : classifiers.map((classifier) => ({ classifier, metrics: NO_GENES, fitSeconds: 0 }));
        for (const r of results) {
          unitRows.push({
            ...base,
            task,
            classifier: r.classifier,
            ...metricColumns(r.metrics),
            classifier_seconds: r.fitSeconds,
          });
        }
      }
      const line = JSON.stringify({ unit: unit.key, rows: unitRows }) + "\n";
      await Deno.writeTextFile(jsonl, line, { append: true });
      rows.push(...unitRows);
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
  return rows;
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
