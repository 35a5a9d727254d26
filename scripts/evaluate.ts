/**
 * `deno task yoto evaluate`: score gene panels (files, or a trained model's) on a dataset without
 * building one, by the suite of lib/eval/suite.ts; writes evaluation.json, summary.md and
 * figures.
 */
import { basename, extname, join } from "node:path";
import { readGeneList } from "../lib/data/constraints.ts";
import { type Dataset, integerCategorical } from "../lib/data/dataset.ts";
import { COUNT_FLAGS, readCounts } from "../lib/data/io.ts";
import { protocolSplit, splitDataset } from "../lib/data/split.ts";
import {
  DEFAULT_NORMALIZATION,
  NORMALIZATION_HELP,
  NORMALIZE_FLAG,
  parseNormalization,
} from "../lib/data/transform.ts";
import {
  evaluateSuite,
  type EvaluationDocument,
  type SuitePanel,
  suiteSummary,
} from "../lib/eval/suite.ts";
import { evaluationReport, REPORT_FILE, reportHtml } from "../lib/plot/report.ts";
import { svgToPng } from "../lib/plot/render.ts";
import { writeFileAtomic } from "../lib/runtime/atomic.ts";
import { initBackend, parseBackend } from "../lib/runtime/backend.ts";
import { numberFlag, parseCli, requireFlags } from "../lib/runtime/cli.ts";
import { OptionError } from "../lib/runtime/errors.ts";
import { claimResultsFolder } from "../lib/runtime/output.ts";
import type { YotoModel } from "../lib/select/yoto/model.ts";
import { loadYoto } from "../lib/select/yoto/save.ts";
import { yotoFitted } from "../lib/select/yoto/selector.ts";

/** Integer-coded label columns with at most this many values are classes (as yoto train). */
const MAX_INTEGER_CLASSES = 50;

/** The flags of `yoto evaluate` (parseCli options); EVALUATE_HELP lists exactly these. */
export const EVALUATE_FLAGS = {
  panel: { type: "string", multiple: true },
  model: { type: "string" },
  data: { type: "string" },
  ...COUNT_FLAGS,
  label: { type: "string", multiple: true },
  "split-by": { type: "string" },
  markers: { type: "string" },
  ...NORMALIZE_FLAG,
  candidates: { type: "string" },
  seed: { type: "string" },
  backend: { type: "string" },
  out: { type: "string" },
  quiet: { type: "boolean" },
} as const;

/** The help of `yoto evaluate`. */
export const EVALUATE_HELP =
  `Score gene panels on a dataset: classification per class, neighbourhood and
cluster agreement with the full transcriptome, redundancy, marker coverage, reconstruction of
the other genes and robustness to shallower sequencing (docs/methods.md §1.9).

Usage:
  deno task yoto evaluate --panel FILE [--panel FILE ...] [--model DIR] --data PATH
                          --label COL [--label COL ...] [--split-by COL] [--out DIR]

Options:
  --panel FILE       a panel: one gene per line (# comments) or a CSV/TSV with a 'gene' column,
                     e.g. a model's panel.csv (repeatable; panels are named by file name)
  --model DIR        a trained YOTO model: its panel is evaluated too, and its own heads are
                     scored beside the classifiers ("own")
  --data PATH        .h5ad, .arrow, 10x/MatrixMarket folder or .csv of raw counts
  --layer NAME       .h5ad input: read layers/NAME (e.g. counts) instead of X
  --raw              .h5ad input: read raw/X instead of X
  --allow-non-integer  accept non-negative non-integer counts (thinning is then skipped)
  --label COL        obs column of classes to predict (repeatable)
  --split-by COL     hold out whole groups of COL (donors) for test; default: stratified 70/15/15
                     on the first label (the split of yoto train with the same --seed)
${NORMALIZATION_HELP}                     (the full-transcriptome reference is always scaled by the total over all genes)
  --markers FILE     known marker genes: each one's best correlation with a panel gene
  --candidates N     top-N HVGs (fitted on train): the full-transcriptome reference and the
                     genes reconstruction predicts (default 2000)
  --seed S           seed of the split, PCA, Louvain and thinning (default 0)
  --backend B        auto, wasm, webgpu, cpu, tensorflow (default auto)
  --out DIR          write DIR/evaluation.json, DIR/summary.md, DIR/report.html (one page to
                     open in a browser: tables and figures) and DIR/figures/*.svg|png
                     (without it the summary is printed only)
  --quiet            no progress lines
  -h, --help         this help
`;

/** A panel file's name, unique among the panels (the path itself when two share a name). */
function panelNames(files: string[]): string[] {
  const short = files.map((f) => basename(f, extname(f)));
  return short.map((name, i) => short.indexOf(name) !== short.lastIndexOf(name) ? files[i] : name);
}

/** OptionError naming the panel genes the data lacks. */
function checkPanelGenes(ds: Dataset, panel: SuitePanel, source: string): void {
  const present = new Set(ds.genes);
  const missing = panel.genes.filter((g) => !present.has(g));
  if (missing.length) {
    throw new OptionError(
      `${source}: ${missing.length} of its ${panel.genes.length} genes are not in the data: ${
        missing.slice(0, 10).join(", ")
      }${missing.length > 10 ? ", ..." : ""}`,
      {
        fix: "remove them from the panel, or check the gene names (symbols vs Ensembl ids, case) " +
          "against the data's genes",
      },
    );
  }
}

/** OptionError naming the flag when the data has no obs column `name`. */
function requireColumn(ds: Dataset, name: string, flag: string): void {
  if (!ds.hasObs(name)) {
    throw new OptionError(`${flag} ${name}: the data has no obs column '${name}'`, {
      fix: `use one of: ${ds.obsNames.join(", ") || "(none)"}`,
    });
  }
}

/** The label columns as classes: text, categorical, or integer codes (cluster ids). */
function classLabelColumns(ds: Dataset, labels: string[]): Dataset {
  for (const name of labels) {
    requireColumn(ds, name, "--label");
    const col = ds.obs(name);
    if (col.kind !== "numeric") continue;
    const coded = integerCategorical(col, MAX_INTEGER_CLASSES);
    if (!coded) {
      throw new OptionError(`--label ${name}: the column holds numbers, not classes`, {
        fix:
          `pass a column of classes (text, or integer codes with at most ${MAX_INTEGER_CLASSES} ` +
          "values)",
      });
    }
    ds = ds.withObs(name, coded);
  }
  return ds;
}

/** `yoto evaluate ARGS`. */
export async function evaluate(args: string[]): Promise<void> {
  const { values } = parseCli(args, EVALUATE_FLAGS, {
    name: "deno task yoto evaluate",
    help: EVALUATE_HELP,
  });
  requireFlags(values, ["data", "label"], "deno task yoto evaluate");
  const files = values.panel ?? [];
  if (!files.length && !values.model) {
    throw new OptionError("nothing to evaluate", {
      fix: "pass --panel FILE (repeatable) and/or --model DIR",
    });
  }
  const labels = values.label!;
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice !== undefined) {
    throw new OptionError(`--label ${twice} is given twice`, { fix: "give each label once" });
  }
  const seed = numberFlag(values.seed, "seed", 0, { integer: true });
  const normalize = parseNormalization(values.normalize ?? DEFAULT_NORMALIZATION, "--normalize");
  const candidates = numberFlag(values.candidates, "candidates", 2000, { integer: true, min: 2 });
  const names = panelNames(files);
  const panels: SuitePanel[] = [];
  for (const [i, file] of files.entries()) {
    panels.push({ name: names[i], genes: await readGeneList(file) });
  }
  const markers = values.markers ? await readGeneList(values.markers) : undefined;
  const out = values.out && await claimResultsFolder(values.out, {
    flag: "--out",
    command: "yoto evaluate",
    files: ["evaluation.json", "summary.md", REPORT_FILE, "figures"],
    inputs: [values.data, values.model, ...files, values.markers],
  });
  const backend = await initBackend(parseBackend(values.backend));
  let model: YotoModel | undefined;
  try {
    if (values.model) {
      model = await loadYoto(values.model);
      const m = model;
      panels.push({
        name: `model:${basename(values.model.replace(/[\\/]+$/, ""))}`,
        genes: [...m.panel.genes],
        predict: (ds) => m.predict(ds),
      });
    }
    const read = await readCounts(values.data, values, "yoto evaluate");
    if (values["split-by"]) requireColumn(read, values["split-by"], "--split-by");
    const ds = classLabelColumns(read, labels);
    panels.forEach((p, i) =>
      checkPanelGenes(ds, p, i < files.length ? `--panel ${files[i]}` : `--model ${values.model}`)
    );
    const split = protocolSplit(ds, { labels, groupBy: values["split-by"], seed });
    for (const note of split.notes) console.error(`note: ${note}`);
    const parts = splitDataset(ds, split);
    if (!values.quiet) {
      console.error(
        `backend ${backend.description}; ${ds}; train ${parts.train.nCells}, val ${parts.val.nCells}, test ${parts.test.nCells}`,
      );
    }
    const started = performance.now();
    const reports = await evaluateSuite(panels, parts, {
      tasks: labels,
      normalize,
      candidates,
      markers,
      seed,
      quiet: values.quiet,
    });
    const summary = suiteSummary(reports);
    console.log(summary);
    if (!out) return;
    const document: EvaluationDocument = {
      command: "yoto evaluate",
      data: values.data!,
      labels,
      split: split.kind === "group"
        ? { kind: "group", by: values["split-by"], groups: split.groups }
        : { kind: split.kind },
      seed,
      normalize,
      n_train: parts.train.nCells,
      n_val: parts.val.nCells,
      n_test: parts.test.nCells,
      candidates,
      seconds: (performance.now() - started) / 1000,
      panels: reports,
    };
    await writeFileAtomic(join(out, "evaluation.json"), JSON.stringify(document, null, 2) + "\n");
    await writeFileAtomic(join(out, "summary.md"), summary);
    const report = await evaluationReport(document, {
      test: parts.test,
      training: model && yotoFitted(model).training,
    });
    await writeFileAtomic(join(out, REPORT_FILE), reportHtml(report));
    const figures = join(out, "figures");
    await Deno.mkdir(figures, { recursive: true });
    for (const f of report.sections.flatMap((s) => s.figures ?? [])) {
      await writeFileAtomic(join(figures, `${f.name}.svg`), f.svg);
      await writeFileAtomic(join(figures, `${f.name}.png`), await svgToPng(f.svg));
    }
    if (!values.quiet) {
      console.error(`wrote ${out}/evaluation.json, summary.md, ${REPORT_FILE} and figures/`);
    }
  } finally {
    model?.dispose();
  }
}
