/**
 * `deno task yoto <command>`: train a YOTO model, predict with it, print its panel.
 */
import { calibratePanel, type Spread } from "../lib/calibrate/calibration.ts";
import { streamArrow } from "../lib/data/arrow.ts";
import { concatCells, type Dataset, integerCategorical } from "../lib/data/dataset.ts";
import { quoteCsvField, tsvField } from "../lib/data/csv.ts";
import { annotateH5ad, isYotoH5ad } from "../lib/data/h5ad.ts";
import {
  checkUniqueNames,
  COUNT_FLAGS,
  type CountFlags,
  detectFormat,
  readCounts,
} from "../lib/data/io.ts";
import { protocolSplit, splitDataset } from "../lib/data/split.ts";
import { checkRawCounts } from "../lib/data/stats.ts";
import { sketchFromArrow } from "../lib/data/stream.ts";
import { isNullGene } from "../lib/data/twins.ts";
import {
  CANDIDATE_FLAGS,
  CANDIDATE_HELP,
  type CandidateConstraints,
  constraintLines,
  readCandidateFlags,
} from "../lib/data/constraints.ts";
import {
  DEFAULT_NORMALIZATION,
  normalization,
  NORMALIZATION_HELP,
  NORMALIZE_FLAG,
  parseNormalization,
} from "../lib/data/transform.ts";
import { scorePrediction, scoreRegression } from "../lib/eval/score.ts";
import { REPORT_FILE, reportHtml, trainReport } from "../lib/plot/report.ts";
import { classifierReport } from "../lib/eval/suite.ts";
import { initBackend, parseBackend } from "../lib/runtime/backend.ts";
import { withAtomicFile, writeFileAtomic } from "../lib/runtime/atomic.ts";
import { numberFlag, parseCli, requireFlags, runCli } from "../lib/runtime/cli.ts";
import { FileFormatError, OptionError } from "../lib/runtime/errors.ts";
import {
  checkOutputFile,
  checkOutputFolder,
  isInside,
  OVERWRITE_FLAG,
  OVERWRITE_HELP,
  readTextHead,
} from "../lib/runtime/output.ts";
import {
  type Fitted,
  panelTable,
  type SelectOptions,
  type Selector,
  type TaskPrediction,
} from "../lib/select/panel.ts";
import type { YotoModel } from "../lib/select/yoto/model.ts";
import { isModelDir, loadYoto } from "../lib/select/yoto/save.ts";
import { yotoSelector } from "../lib/select/yoto/selector.ts";
import { evaluate, EVALUATE_FLAGS, EVALUATE_HELP } from "./evaluate.ts";

/** Integer-coded label columns with at most this many values are classes, not quantities. */
const MAX_INTEGER_CLASSES = 50;

/** Test cells of `train --sketch`: at most this many, drawn from outside the sketch. */
const SKETCH_TEST_CELLS = 20_000;

const OVERVIEW = `YOTO: select exactly k genes and predict every task from them, trained once.

Usage:
  deno task yoto train --data PATH --label COL [--label COL ...] --k K --out DIR [options]
  deno task yoto train --data PATH --reconstruct --k K --out DIR [options]
  deno task yoto predict --model DIR --data PATH --out FILE.csv [options]
  deno task yoto panel --model DIR
  deno task yoto evaluate --panel FILE [--panel FILE ...] [--model DIR] --data PATH
                          --label COL [--label COL ...] [options]

Commands:
  train      choose the panel and train a predictor of every task on it; writes a model folder
  predict    predict every task of a model for the cells of a file
  panel      print a model's panel (its panel.csv)
  evaluate   score gene panels side by side on a dataset, without training YOTO

deno task yoto COMMAND --help lists the options of COMMAND.`;

/** The input flags train and predict share (COUNT_FLAGS), for their help. */
const COUNT_HELP = `  --layer NAME       .h5ad input: read layers/NAME (e.g. counts) instead of X
  --raw              .h5ad input: read raw/X instead of X
  --allow-non-integer  accept non-negative non-integer values (estimated counts from salmon,
                     alevin, CellBender); train and predict both need it then
`;

const BACKEND_HELP = "  --backend B        auto, wasm, webgpu, cpu, tensorflow (default auto)\n";

const TRAIN_FLAGS = {
  data: { type: "string" },
  label: { type: "string", multiple: true },
  regression: { type: "string", multiple: true },
  reconstruct: { type: "boolean" },
  k: { type: "string" },
  "split-by": { type: "string" },
  sketch: { type: "string" },
  ...COUNT_FLAGS,
  ...CANDIDATE_FLAGS,
  ...NORMALIZE_FLAG,
  "null-genes": { type: "boolean" },
  "null-draws": { type: "string" },
  epochs: { type: "string" },
  seed: { type: "string" },
  backend: { type: "string" },
  out: { type: "string" },
  annotate: { type: "string" },
  quiet: { type: "boolean" },
} as const;

const TRAIN_HELP =
  `Train YOTO: choose a panel of exactly k genes and a predictor of every task on it.

Usage:
  deno task yoto train --data PATH --label COL [--label COL ...] --k K --out DIR [options]
  deno task yoto train --data PATH --reconstruct --k K --out DIR [options]

Options:
  --data PATH        .h5ad, .arrow, 10x/MatrixMarket folder or .csv (raw counts; a matrix
                     that is not is refused, e.g. log-normalised or scaled values)
${COUNT_HELP}  --label COL        obs column to predict (repeatable): text or categorical columns and
                     integer codes with at most ${MAX_INTEGER_CLASSES} values (cluster ids) are
                     classification, other numeric columns regression; missing values are
                     allowed. The output's "tasks:" line says which kind each task is
  --regression COL   numeric obs column to predict as a number, even integer codes (repeatable)
  --reconstruct      add a head reconstructing every candidate gene (alone: no labels needed)
  --k K              panel size
  --split-by COL     hold out whole groups of COL (donors) for validation and test, chosen
                     so that training keeps every class of every label (an error when a label
                     is confounded with COL); 2 groups: one for test, validation from the other;
                     default: stratified 70/15/15 on the first class label, else random
  --sketch N         .arrow input larger than memory (docs/methods.md §4.5): train on a seeded
                     sketch of N cells, balanced over the first text/categorical --label, read
                     record batch by record batch; candidates from the statistics of every cell;
                     validation 15% of the sketch, test up to ${SKETCH_TEST_CELLS} cells drawn
                     uniformly from those outside it. Not with --split-by, --null-genes,
                     --normalize transcriptome, --min-mean or --max-mean
${NORMALIZATION_HELP}  --null-genes       calibrate the panel (docs/methods.md §3.5): one null twin per candidate, drawn
                     from its counts in each split, and YOTO trained on candidates + twins;
                     prints k_null (twins picked) and FSP^ = k_null / max(1, k - k_null) and
                     writes them to metrics.json. A model whose panel holds twins cannot predict
                     (twins are noise, not measured genes): train without it for predictions
  --null-draws N     null draws, one model each (default 1; the first draw's model is saved)
  --epochs N         training epochs (default: enough for ~3000 steps, 30-300)
  --seed S           seed (default 0)
${BACKEND_HELP}  --out DIR          model folder: model.json, weights.bin, panel.csv, metrics.json (test
                     scores per task, with per-class precision/recall/F1 and the confusion
                     matrix), history.json (one record per epoch), report.html (the panel,
                     test metrics and figures, to open in a browser);
                     panel.csv: gene, rank, score, and from the training cells' raw counts
                     top_group (class of the first class --label with the highest mean count),
                     log2fc_top (log2 of that mean over the other labelled cells', +0.01 each),
                     mean_count, frac_detected. \`yoto panel\` prints the same columns
  --annotate FILE.h5ad  .h5ad input: also write a copy of the input with the panel as var
                     columns yoto_panel (bool) and yoto_rank (1 = best, NaN off the panel);
                     with --raw they go to raw.var. All else is copied as convert copies it
                     (deno task convert --help); FILE.h5ad may not be the input, lie inside
                     --out, or replace a file yoto did not write
  --quiet            no progress lines
  -h, --help         this help

${CANDIDATE_HELP}`;

const PREDICT_FLAGS = {
  model: { type: "string" },
  data: { type: "string" },
  ...COUNT_FLAGS,
  ...OVERWRITE_FLAG,
  "library-size-column": { type: "string" },
  out: { type: "string" },
  backend: { type: "string" },
  quiet: { type: "boolean" },
} as const;

const PREDICT_HELP = `Predict every task of a trained model for the cells of a file.

Usage:
  deno task yoto predict --model DIR --data PATH --out FILE.csv [options]

Options:
  --model DIR        a model folder written by \`yoto train\`
  --data PATH        .h5ad, .arrow, 10x/MatrixMarket folder or .csv of raw counts; it may hold
                     only the panel genes (the predictions are the same). An .arrow file is read
                     record batch by record batch, so memory stays that of one batch whatever
                     the number of cells (deno task convert IN OUT.arrow makes one); the CSV is
                     the same, byte for byte
${COUNT_HELP}  --library-size-column COL  required for a model trained with --normalize transcriptome:
                     obs column holding each cell's total count over all genes
  --out FILE.csv     cell_id, then per task its prediction and, for a classification task,
                     one probability column per class (TASK:CLASS)
  --overwrite        ${OVERWRITE_HELP}
${BACKEND_HELP}  --quiet            no progress lines
  -h, --help         this help`;

const PANEL_FLAGS = { model: { type: "string" } } as const;

const PANEL_HELP = `Print a model's panel, tab-separated: the columns and rows of its panel.csv.

Usage:
  deno task yoto panel --model DIR

Options:
  --model DIR        a model folder written by \`yoto train\`
  -h, --help         this help

Columns: gene, rank, score; for a model trained with a class --label also top_group,
log2fc_top, mean_count and frac_detected (README.md, "panel.csv"). Tabs, line ends and
backslashes inside names print as \\t, \\n, \\r and \\\\.`;

/** Each command's flags (parseCli options) and its --help, which lists exactly those flags. */
export const YOTO_COMMANDS = {
  train: { flags: TRAIN_FLAGS, help: TRAIN_HELP },
  predict: { flags: PREDICT_FLAGS, help: PREDICT_HELP },
  panel: { flags: PANEL_FLAGS, help: PANEL_HELP },
  evaluate: { flags: EVALUATE_FLAGS, help: EVALUATE_HELP },
};

/**
 * A task's test scores for metrics.json (a classification's as `yoto evaluate` reports them: per
 * class and the confusion matrix) and the line that prints them.
 */
function scoreTask(pred: TaskPrediction, test: Dataset): { report: object; line: string } {
  if (pred.kind === "regression") {
    const r = scoreRegression(pred, test);
    const rmse = Math.sqrt(r.mse);
    return {
      report: { r2: r.r2, rmse, n: r.n },
      line: `R² ${r.r2.toFixed(3)}, RMSE ${rmse.toPrecision(4)} (${r.n} cells)`,
    };
  }
  const r = scorePrediction(pred, test);
  return {
    report: classifierReport(r),
    line: `accuracy ${r.accuracy.toFixed(3)}, balanced accuracy ${
      r.balancedAccuracy.toFixed(3)
    }, macro-F1 ${r.macroF1.toFixed(3)} (${r.nEvaluated} cells)`,
  };
}

/**
 * Each task's kind, decided here so the user sees it: --regression columns must be numeric;
 * a --label column is classification when it is text/categorical or holds integer codes (then
 * turned into classes on `ds`), regression when it is any other numeric column.
 */
function resolveTaskKinds(
  ds: Dataset,
  labels: string[],
  regressions: string[],
): { ds: Dataset; kinds: string[] } {
  const tasks = [...labels, ...regressions];
  const twice = tasks.find((t, i) => tasks.indexOf(t) !== i);
  if (twice !== undefined) {
    throw new OptionError(`column '${twice}' is given twice as a task (--label/--regression)`, {
      fix: "give each task column once",
    });
  }
  const kinds: string[] = [];
  for (const name of labels) {
    const col = ds.obs(name);
    const coded = integerCategorical(col, MAX_INTEGER_CLASSES);
    if (coded) {
      ds = ds.withObs(name, coded);
      kinds.push(
        `${name} classification (integer codes as ${coded.categories.length} classes; ` +
          `--regression ${name} predicts it as a number)`,
      );
    } else if (col.kind === "numeric") kinds.push(`${name} regression`);
    else kinds.push(`${name} classification (${ds.categorical(name).categories.length} classes)`);
  }
  for (const name of regressions) {
    const col = ds.obs(name);
    if (col.kind !== "numeric") {
      throw new OptionError(
        `--regression ${name}: the column holds ${col.kind} values, not numbers`,
        {
          fix: `use --label ${name} to predict its classes`,
        },
      );
    }
    kinds.push(`${name} regression`);
  }
  return { ds, kinds };
}

function checkClasses(ds: Dataset, labels: string[]): void {
  for (const label of labels) {
    const col = ds.obs(label);
    if (col.kind === "numeric") continue;
    const { categories, counts } = ds.categoryCounts(label);
    const single = categories.filter((_, i) => counts[i] === 1);
    if (single.length) {
      throw new OptionError(
        `label '${label}' has class(es) with a single cell: ${single.join(", ")}`,
        {
          field: label,
          fix: "drop or merge those cells' labels (a class needs cells to train and to test on)",
        },
      );
    }
  }
}

async function train(args: string[]) {
  const { values } = parseCli(args, TRAIN_FLAGS, {
    name: "deno task yoto train",
    help: TRAIN_HELP,
  });
  requireFlags(values, ["data", "k", "out"], "deno task yoto train");
  const labels = [...(values.label ?? []), ...(values.regression ?? [])];
  if (!labels.length && !values.reconstruct) {
    throw new OptionError("no task: pass --label COL (repeatable) and/or --reconstruct", {
      fix: "see deno task yoto train --help",
    });
  }
  const k = numberFlag(values.k, "k", 0, { integer: true, min: 1 });
  const seed = numberFlag(values.seed, "seed", 0, { integer: true });
  if (values["null-draws"] && !values["null-genes"]) {
    throw new OptionError("--null-draws needs --null-genes", { fix: "add --null-genes" });
  }
  if (values["null-genes"] && values["allow-non-integer"]) {
    throw new OptionError("--null-genes draws its null twins from integer counts", {
      fix: "drop --allow-non-integer (and pass integer counts) or drop --null-genes",
    });
  }
  const nullDraws = numberFlag(values["null-draws"], "null-draws", 1, { integer: true, min: 1 });
  const normalize = parseNormalization(values.normalize ?? DEFAULT_NORMALIZATION, "--normalize");
  const sketch = values.sketch === undefined
    ? undefined
    : numberFlag(values.sketch, "sketch", 0, { integer: true, min: 1 });
  if (sketch !== undefined) checkSketchFlags(values, normalize);
  const { candidates, constraints } = await readCandidateFlags(values);
  const out = await checkOutputFolder(values.out, {
    flag: "--out",
    inputs: [values.data],
    isOurs: isModelDir,
  });
  const annotate = values.annotate === undefined
    ? undefined
    : await checkAnnotate(values.annotate, values.data, out, values["null-genes"]);
  const backend = await initBackend(parseBackend(values.backend));
  const input = sketch === undefined
    ? await readWhole(values, labels, seed)
    : await readSketch(values, labels, seed, sketch, { k, candidates, constraints });
  const { parts, kinds } = input;
  console.log(`tasks: ${[...kinds, ...(values.reconstruct ? ["reconstruction"] : [])].join("; ")}`);
  for (const note of input.notes) console.error(`note: ${note}`);
  if (!values.quiet) {
    console.error(
      `backend ${backend.description}; ${input.data}; train ${parts.train.nCells}, val ${parts.val.nCells}, test ${parts.test.nCells}`,
    );
  }
  const training = {
    reconstruct: values.reconstruct,
    epochs: values.epochs
      ? numberFlag(values.epochs, "epochs", 1, { integer: true, min: 1 })
      : undefined,
  };
  const select = {
    k,
    tasks: labels,
    seed,
    quiet: values.quiet,
    normalize,
    ...(input.pool ?? { candidates, ...constraints }),
  };
  const selector = yotoSelector(training);
  let fitted: Fitted, test = parts.test, calibration: Record<string, unknown> | undefined;
  if (values["null-genes"]) {
    ({ fitted, test, calibration } = await trainWithNulls(parts, selector, select, nullDraws));
  } else {
    fitted = await selector.fit(parts.train, { ...select, validation: parts.val });
  }
  try {
    const tasks: Record<string, object> = {}, scoreLines: string[] = [];
    const predictions = fitted.predict!(test);
    for (const pred of predictions) {
      if (pred.kind === "reconstruction") continue;
      const { report, line } = scoreTask(pred, test);
      tasks[pred.task] = report;
      scoreLines.push(`test ${pred.task}: ${line}`);
    }
    const trainSeconds = fitted.training?.seconds ?? 0;
    // the result first: a failed save must not lose it
    const constraintReport = fitted.panel.constraints;
    for (const line of constraintReport ? constraintLines(constraintReport) : []) {
      console.log(`candidates: ${line}`);
    }
    console.log(`panel (k = ${k}): ${fitted.panel.genes.join(", ")}`);
    for (const line of scoreLines) console.log(line);
    await fitted.save!(out, {
      tasks,
      k,
      n_test: parts.test.nCells,
      split: input.split,
      seed,
      backend: backend.description,
      ...(calibration ? { calibration } : {}),
      ...(constraintReport ? { constraints: constraintReport } : {}),
    });
    await writeFileAtomic(
      `${out}/${REPORT_FILE}`,
      reportHtml(await trainReport({ fitted, test, predictions, data: values.data!, parts })),
    );
    console.log(`model written to ${out} (${trainSeconds.toFixed(1)} s training)`);
    if (annotate) {
      const rank = new Map(fitted.panel.genes.map((g, i) => [g, i + 1]));
      await annotateH5ad(values.data, annotate, (genes) => ({
        yoto_panel: genes.map((g) => rank.has(g)),
        yoto_rank: Float64Array.from(genes, (g) => rank.get(g) ?? NaN),
      }), { raw: values.raw, quiet: values.quiet });
      console.log(
        `annotated copy written to ${annotate} (${
          values.raw ? "raw.var" : "var"
        } columns yoto_panel, yoto_rank)`,
      );
    }
  } finally {
    fitted.dispose();
  }
}

/** The parsed flags of `yoto train`. */
type TrainValues = ReturnType<typeof parseCli<typeof TRAIN_FLAGS>>["values"];

/** The cells `train` learns from and is tested on, as read from --data. */
interface TrainingInput {
  parts: { train: Dataset; val: Dataset; test: Dataset };
  /** Each task's kind, in words (resolveTaskKinds). */
  kinds: string[];
  notes: string[];
  /** How the cells were split, for metrics.json. */
  split: Record<string, unknown>;
  /** The data, in words, for the progress line. */
  data: string;
  /** Candidates chosen while reading (--sketch), with what the constraints removed. */
  pool?: Pick<SelectOptions, "candidates" | "forceInclude" | "constraintReport">;
}

/** The whole file read at once and split (protocolSplit). */
async function readWhole(
  values: TrainValues,
  labels: string[],
  seed: number,
): Promise<TrainingInput> {
  const read = await readCounts(values.data!, values, "YOTO");
  if (values["split-by"]) read.obs(values["split-by"]);
  const { ds, kinds } = resolveTaskKinds(read, values.label ?? [], values.regression ?? []);
  checkClasses(ds, labels);
  const split = protocolSplit(ds, { labels, groupBy: values["split-by"], seed });
  return {
    parts: splitDataset(ds, split),
    kinds,
    notes: split.notes,
    split: split.kind === "group"
      ? { kind: "group", by: values["split-by"], groups: split.groups }
      : { kind: split.kind },
    data: String(ds),
  };
}

/** Validation's share of the sketch: its test cells come from outside it. */
const SKETCH_FRACTIONS = { train: 0.85, val: 0.15, test: 0 };

/** OptionError for what `train --sketch` cannot do, before anything is read. */
function checkSketchFlags(values: TrainValues, normalize: string): void {
  const format = detectFormat(values.data!);
  if (format !== "arrow") {
    throw new OptionError(`--sketch streams an .arrow file, but ${values.data} is ${format}`, {
      fix: `convert it once: deno task convert ${values.data} OUT.arrow, then train on OUT.arrow`,
    });
  }
  const refused: [boolean, string, string][] = [
    [
      values.layer !== undefined || values.raw === true,
      "--layer/--raw pick the matrix of an .h5ad file; --sketch reads an .arrow file",
      "pick it when converting: deno task convert IN.h5ad OUT.arrow --layer NAME (or --raw)",
    ],
    [
      values["split-by"] !== undefined,
      "--sketch tests on cells drawn at random outside the sketch, not on held-out groups",
      "drop --split-by, or train without --sketch",
    ],
    [
      values["null-genes"] === true,
      "--null-genes is not supported with --sketch",
      "drop --null-genes, or calibrate without --sketch",
    ],
    [
      normalize === "transcriptome",
      "--normalize transcriptome needs every gene's count, but --sketch reads the candidates only",
      `use --normalize ${DEFAULT_NORMALIZATION} (the default), counts or binary`,
    ],
  ];
  for (const [bad, problem, fix] of refused) if (bad) throw new OptionError(problem, { fix });
}

/** The first record batch of an .arrow file (null when it holds none). */
async function firstBatch(path: string): Promise<Dataset | null> {
  for await (const { dataset } of streamArrow(path)) return dataset;
  return null;
}

/**
 * `train --sketch`: the sketch of an .arrow file (sketchFromArrow, balanced over the first
 * text/categorical --label) split into train and validation, and up to SKETCH_TEST_CELLS test
 * cells from outside it; the candidates come from every cell.
 */
async function readSketch(
  values: TrainValues,
  labels: string[],
  seed: number,
  n: number,
  pool: { k: number; candidates: number | string[] | undefined; constraints: CandidateConstraints },
): Promise<TrainingInput> {
  const path = values.data!;
  // task columns checked on the first batch, before the passes over the file
  const first = await firstBatch(path);
  for (const name of labels) first?.obs(name);
  const balance = (values.label ?? []).find((l) => first?.obs(l).kind !== "numeric");
  const { dataset, test, scan, candidates } = await sketchFromArrow(path, {
    n,
    label: balance,
    seed,
    candidates: pool.candidates,
    ...pool.constraints,
    k: pool.k,
    heldOut: SKETCH_TEST_CELLS,
  });
  if (!test!.nCells) {
    throw new OptionError(
      `--sketch ${n} holds all ${scan.nCells} cells of the file, leaving none to test on`,
      { fix: `pass --sketch below ${scan.nCells}, or train without --sketch` },
    );
  }
  for (const part of [dataset, test!]) {
    checkRawCounts(part, "YOTO", { allowNonInteger: values["allow-non-integer"] });
  }
  // task kinds decided on every cell read, sketch and test alike
  const read = resolveTaskKinds(
    concatCells([dataset, test!]),
    values.label ?? [],
    values.regression ?? [],
  );
  checkClasses(read.ds, labels);
  const rows = (from: number, to: number) =>
    Int32Array.from({ length: to - from }, (_, i) => from + i);
  const sketched = read.ds.selectCells(rows(0, dataset.nCells));
  const split = protocolSplit(sketched, { labels, seed, fractions: SKETCH_FRACTIONS });
  const { train, val } = splitDataset(sketched, split);
  console.log(
    `sketch: ${dataset.nCells} of ${scan.nCells} cells scanned (${scan.batches} record batches), ${
      balance ? `balanced on ${balance}` : "uniform"
    }; ${candidates.genes.length} candidates from every cell; test: ${test!.nCells} cells ` +
      "drawn from outside the sketch",
  );
  return {
    parts: { train, val, test: read.ds.selectCells(rows(dataset.nCells, read.ds.nCells)) },
    kinds: read.kinds,
    notes: split.notes,
    split: {
      kind: "sketch",
      cells_scanned: scan.nCells,
      sketch_cells: dataset.nCells,
      balanced_on: balance ?? null,
      validation: `${100 * SKETCH_FRACTIONS.val}% of the sketch, ${split.kind}`,
      test: "uniform sample of the cells outside the sketch",
    },
    data: `${path}: sketch of ${dataset.nCells} cells x ${dataset.nGenes} candidates`,
    pool: {
      candidates: candidates.genes,
      forceInclude: pool.constraints.forceInclude,
      constraintReport: candidates.report ?? undefined,
    },
  };
}

/**
 * The checked `--annotate` path: an .h5ad copy of an .h5ad input, not the input, not inside
 * the model folder (which holds model files only), not a file yoto did not write; refused with
 * --null-genes, whose panel may hold null twins that are no genes of the file.
 */
async function checkAnnotate(
  given: string,
  data: string,
  out: string,
  nullGenes: boolean | undefined,
): Promise<string> {
  if (detectFormat(data) !== "h5ad") {
    throw new OptionError(`--annotate writes a copy of an .h5ad input, but ${data} is not one`, {
      fix: "drop --annotate, or train on an .h5ad (deno task convert IN OUT.h5ad makes one)",
    });
  }
  if (!/\.h5ad$/i.test(given)) {
    throw new OptionError(`--annotate ${given}: the copy is an .h5ad file`, {
      fix: "end the path with .h5ad",
    });
  }
  if (nullGenes) {
    throw new OptionError("--annotate marks a panel to use, --null-genes calibrates one", {
      fix: "train without --null-genes to annotate the data with its panel",
    });
  }
  if (isInside(given, out)) {
    throw new OptionError(`--annotate ${given} lies inside the model folder --out ${out}`, {
      fix: "write the copy beside the model folder, e.g. --annotate annotated.h5ad",
    });
  }
  return await checkOutputFile(given, {
    flag: "--annotate",
    inputs: [data],
    command: "yoto train",
    isOurs: isYotoH5ad,
  });
}

/** The q of the knockoff+ count printed with --null-genes. */
const KNOCKOFF_Q = 0.1;

/**
 * --null-genes: calibratePanel with YOTO, without its production panel (this command saves the
 * first draw's model); prints k_null and FSP^ per draw and over draws, and returns that draw's
 * fit, the test cells with its twins, and the calibration summary for metrics.json.
 */
async function trainWithNulls(
  parts: { train: Dataset; val: Dataset; test: Dataset },
  selector: Selector,
  select: SelectOptions,
  draws: number,
): Promise<{ fitted: Fitted; test: Dataset; calibration: Record<string, unknown> }> {
  const c = await calibratePanel(parts.train, selector, {
    ...select,
    validation: parts.val,
    test: parts.test,
    draws,
    q: KNOCKOFF_Q,
    production: false,
    keepFirst: true,
    onDraw: (d) =>
      console.log(
        `null draw ${d.draw + 1}/${draws}: k_null ${d.kNull} of ${d.panel.genes.length}, FSP^ ${
          d.fsp.toFixed(3)
        } (conservative ${d.fspConservative.toFixed(3)}), ${d.knockoff!.passing.length} panel ` +
          `gene(s) pass knockoff+ at q = ${KNOCKOFF_Q}${
            d.kNull ? `; twins picked: ${d.nullGenes.join(", ")}` : ""
          }`,
      ),
  });
  const range = (r: Spread) =>
    `mean ${r.mean.toFixed(3)} [${r.min.toFixed(3)}, ${r.max.toFixed(3)}]`;
  console.log(`k_null over ${draws} draw(s): ${range(c.kNull)} of ${select.k}`);
  console.log(
    `FSP^ over ${draws} draw(s): ${range(c.fsp)}; conservative ${range(c.fspConservative)}`,
  );
  const saved = c.draws[0];
  if (saved.kNull) {
    console.error(
      `note: the saved panel holds ${saved.kNull} null twin(s), so \`yoto predict\` refuses this ` +
        "model; train without --null-genes for a model to predict with",
    );
  }
  const calibration = {
    method: "null twins (docs/methods.md §3.5)",
    null_method: c.nullMethod,
    candidates: c.candidates.length,
    draws,
    q: KNOCKOFF_Q,
    k_null: c.kNull,
    null_fraction: c.nullFraction,
    fsp: c.fsp,
    fsp_conservative: c.fspConservative,
    knockoff_passing: c.knockoffPassing,
    guards: saved.guards,
    per_draw: c.draws.map((d) => ({
      draw: d.draw,
      k_null: d.kNull,
      null_genes: d.nullGenes,
      fsp: d.fsp,
      fsp_conservative: d.fspConservative,
      knockoff_threshold: d.knockoff!.threshold,
      knockoff_passing: d.knockoff!.passing,
      panel: d.panel.genes,
    })),
  };
  return { fitted: c.first!.fitted, test: c.first!.test!, calibration };
}

/**
 * OptionError when the model's panel holds null twins (a --null-genes model): they are noise
 * drawn at training time, not genes the data can hold.
 */
function refuseTwins(model: YotoModel): void {
  const twins = model.panel.genes.filter((g) => isNullGene(g));
  if (twins.length) {
    throw new OptionError(
      `the model's panel holds ${twins.length} null twin(s) (${twins.join(", ")}) from a ` +
        "--null-genes calibration run: they are random noise, not measured genes, so it cannot " +
        "predict real cells",
      {
        fix: "use this model for its calibration (metrics.json); for predictions train without " +
          "--null-genes",
      },
    );
  }
}

/**
 * A model scaling cells by their transcriptome total needs those totals from a column: summed
 * over a panel-only file they would be wrong, silently. Other models read the panel alone.
 */
function checkLibrarySizeFlag(model: YotoModel, column: string | undefined): void {
  const needs = normalization(model.spec.transform) === "transcriptome";
  if (needs && column === undefined) {
    throw new OptionError(
      "this model scales each cell by its total count over the whole transcriptome " +
        "(--normalize transcriptome, or a model saved before --normalize existed): summed over " +
        "a file holding only the panel genes, those totals would silently give wrong predictions",
      {
        fix: "pass --library-size-column COL naming an obs column with each cell's total count " +
          `(e.g. total_counts, nCount_RNA), or retrain with --normalize ${DEFAULT_NORMALIZATION}`,
      },
    );
  }
  if (!needs && column !== undefined) {
    throw new OptionError(
      `--library-size-column: this model (--normalize ${model.spec.transform.normalize}) reads ` +
        "the panel genes alone and uses no library size",
      { fix: "drop --library-size-column" },
    );
  }
}

/** The obs column `name` as per-cell library sizes: numbers > 0. */
function libraryColumn(ds: Dataset, name: string): Float64Array {
  const col = ds.obs(name);
  const bad = col.kind !== "numeric"
    ? -1
    : Array.from(col.values).findIndex((v) => !(v > 0 && Number.isFinite(v)));
  if (bad !== -1 || col.kind !== "numeric") {
    throw new OptionError(
      `--library-size-column ${name}: ${
        col.kind !== "numeric"
          ? `the column holds ${col.kind} values`
          : `cell ${ds.cellIds()[bad]} holds ${col.values[bad]}`
      }; library sizes are numbers > 0`,
      { fix: "name the column of per-cell total counts (e.g. total_counts)" },
    );
  }
  return Float64Array.from(col.values);
}

/** The fields of one CSV line (RFC 4180 quoting, as quoteCsvField writes). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  const field = /"((?:[^"]|"")*)"|([^,]*)/y;
  for (let at = 0;;) {
    field.lastIndex = at;
    const m = field.exec(line)!;
    fields.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]);
    at = field.lastIndex;
    if (line[at] !== ",") return fields;
    at++;
  }
}

/**
 * True when `file` begins with the header predict writes: cell_id, then each task's column
 * followed, for a classification task, by one `task:class` column per class. A model with no
 * classification task writes nothing that tells its file from a user's, so that is refused.
 */
async function isPredictions(file: string): Promise<boolean> {
  const fields = csvFields((await readTextHead(file)).split(/\r?\n/, 1)[0]);
  if (fields[0] !== "cell_id") return false;
  let classified = 0;
  for (let i = 1; i < fields.length;) {
    let j = i + 1;
    while (j < fields.length && fields[j].startsWith(`${fields[i]}:`)) j++;
    if (j > i + 1) classified++;
    i = j;
  }
  return classified > 0;
}

/** The CSV lines (header first) of a model's predictions for the cells of `ds`. */
function predictionLines(
  model: YotoModel,
  ds: Dataset,
  libraryTotals: Float64Array | undefined,
): string[] {
  const preds = model.predict(ds, { libraryTotals }).filter((p) => p.kind !== "reconstruction");
  const header = ["cell_id"];
  for (const p of preds) {
    header.push(p.task);
    if (p.classes) header.push(...p.classes.map((c) => `${p.task}:${c}`));
  }
  const ids = ds.cellIds();
  const lines = [header.map((f) => quoteCsvField(f)).join(",")];
  for (let i = 0; i < ds.nCells; i++) {
    const row = [ids[i]];
    for (const p of preds) {
      if (p.classes) {
        row.push(p.labels![i]);
        const c = p.classes.length;
        for (let j = 0; j < c; j++) row.push(p.probabilities![i * c + j].toPrecision(6));
      } else row.push(String(p.values![i]));
    }
    lines.push(row.map((f) => quoteCsvField(f)).join(","));
  }
  return lines;
}

/**
 * The cells of `--data` as raw counts: an .arrow file one record batch at a time (memory bounded
 * by a batch), any other input read whole.
 */
async function* countBatches(values: CountFlags & { data?: string }): AsyncGenerator<Dataset> {
  const path = values.data!;
  if (detectFormat(path) !== "arrow" || values.layer !== undefined || values.raw) {
    yield await readCounts(path, values, "YOTO");
    return;
  }
  let any = false;
  for await (const { dataset } of streamArrow(path)) {
    checkUniqueNames(dataset, path);
    checkRawCounts(dataset, "YOTO", { allowNonInteger: values["allow-non-integer"] });
    any = true;
    yield dataset;
  }
  if (!any) {
    throw new FileFormatError("the Arrow file holds no record batch", {
      file: path,
      fix: "re-write or re-convert it",
    });
  }
}

async function predict(args: string[]) {
  const { values } = parseCli(args, PREDICT_FLAGS, {
    name: "deno task yoto predict",
    help: PREDICT_HELP,
  });
  requireFlags(values, ["model", "data", "out"], "deno task yoto predict");
  const out = await checkOutputFile(values.out, {
    flag: "--out",
    inputs: [values.data, values.model],
    command: "yoto predict",
    isOurs: isPredictions,
    overwrite: values.overwrite ?? false,
  });
  await initBackend(parseBackend(values.backend));
  const model: YotoModel = await loadYoto(values.model);
  let n = 0;
  try {
    refuseTwins(model);
    const column = values["library-size-column"];
    checkLibrarySizeFlag(model, column);
    // appended batch by batch to a temporary file, renamed over --out once all are written
    await withAtomicFile(out, async (tmp) => {
      for await (const ds of countBatches(values)) {
        const totals = column === undefined ? undefined : libraryColumn(ds, column);
        const lines = predictionLines(model, ds, totals);
        const text = (n === 0 ? lines : lines.slice(1)).map((l) => `${l}\n`).join("");
        await Deno.writeTextFile(tmp, text, { append: n > 0 });
        n += ds.nCells;
      }
    });
  } finally {
    model.dispose();
  }
  if (!values.quiet) console.error(`${n} predictions -> ${out}`);
}

async function panel(args: string[]) {
  const { values } = parseCli(args, PANEL_FLAGS, {
    name: "deno task yoto panel",
    help: PANEL_HELP,
  });
  requireFlags(values, ["model"], "deno task yoto panel");
  const model = await loadYoto(values.model);
  model.dispose();
  // the columns of the model's panel.csv, tab-separated
  const { header, rows } = panelTable(model.panel);
  for (const row of [header, ...rows]) console.log(row.map(tsvField).join("\t"));
}

if (import.meta.main) {
  await runCli(async () => {
    const [command, ...rest] = Deno.args;
    if (command === "train") await train(rest);
    else if (command === "predict") await predict(rest);
    else if (command === "panel") await panel(rest);
    else if (command === "evaluate") await evaluate(rest);
    else if (!command || command === "--help" || command === "-h") console.log(OVERVIEW);
    else {throw new OptionError(`unknown command '${command}'`, {
        fix: "use train, predict, panel or evaluate (see --help)",
      });}
  });
}
