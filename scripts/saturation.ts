/**
 * deno task saturation --data PATH --label COL: the learning-saturation study for panels
 * (docs/methods.md §4): train on growing fractions of the training cells chosen by each downsampling
 * scheme, score on one fixed test split, and report per scheme where the scores saturate.
 * @module
 */
import { existsSync } from "node:fs";
import { COUNT_FLAGS, readCounts } from "../lib/data/io.ts";
import { CANDIDATE_FLAGS, CANDIDATE_HELP, readCandidateFlags } from "../lib/data/constraints.ts";
import { SAMPLING_SCHEMES, type SamplingScheme } from "../lib/data/sampling.ts";
import {
  runSaturationStudy,
  saturationCurves,
  type SaturationMetric,
  saturationSummary,
} from "../lib/eval/saturation.ts";
import { svgToPng, toSvg } from "../lib/plot/render.ts";
import { saturationSpec } from "../lib/plot/saturation.ts";
import { writeFileAtomic } from "../lib/runtime/atomic.ts";
import { initBackend, parseBackend } from "../lib/runtime/backend.ts";
import { listFlag, numberFlag, parseCli, requireFlags, runCli } from "../lib/runtime/cli.ts";
import { FileFormatError, OptionError } from "../lib/runtime/errors.ts";
import { claimResultsFolder } from "../lib/runtime/output.ts";
import {
  DEFAULT_NORMALIZATION,
  NORMALIZATION_HELP,
  NORMALIZE_FLAG,
  parseNormalization,
} from "../lib/data/transform.ts";
import { DEFAULT_METHOD, SELECTOR_NAMES, SELECTORS } from "../lib/select/registry.ts";

/** Methods of this study (one label: a fit on every label is the per-task one). */
const METHODS = SELECTOR_NAMES.filter((m) => SELECTORS[m].tasks === "each");
/** Scored by their own heads; the others by logistic regression on the panel genes. */
const OWN_HEADS = METHODS.filter((m) => SELECTORS[m].predicts);

const HELP = `deno task saturation --data PATH --label COL [options]

Learning saturation of a panel method: one fixed test split (stratified 15% of the cells, or
whole --split-by groups); its other cells are the training set. For each scheme x fraction x
seed the training cells are downsampled, 15% of them held out for early stopping (stratified; a
class with one cell stays in fitting; with no class of 2 cells the fitting cells also validate;
a fitting part with one class is recorded as skipped), the method trained, and its panel scored
on the test cells. The diversity of the chosen cells (Shannon, Gini-Simpson, inverse Simpson,
Vendi) is recorded too. The saturation point of a scheme is the smallest fraction whose mean
over seeds exceeds 95% of the best run. At 100% every scheme takes every cell: that run is made
once per seed and counts for every scheme.

Options:
  --data PATH         .h5ad, .arrow, 10x/MatrixMarket folder or .csv (raw counts)
  --layer NAME        .h5ad input: read layers/NAME (e.g. counts) instead of X
  --raw               .h5ad input: read raw/X instead of X
  --allow-non-integer  accept non-negative non-integer values (estimated counts)
  --label COL         label column: the task, and the classes of cell-type re-weighting
  --k K               panel size (default 16)
  --fractions LIST    percentages of the training cells (default 1,10,25,50,75,100)
  --schemes LIST      ${SAMPLING_SCHEMES.join(",")} (default: all)
  --seeds LIST        seeds (default 0,1,2)
  --split-by COL      hold out whole groups of COL (donors) as the test split
  --method M          ${OWN_HEADS.join(", ")} (own heads; default ${DEFAULT_METHOD}) or a
                      baseline scored by logistic regression:
                      ${METHODS.filter((m) => !OWN_HEADS.includes(m)).join(", ")}
  --epochs N          YOTO epochs (default: fitYoto's, enough for ~3000 steps, 30-300)
  --backend B         auto, wasm, webgpu, cpu, tensorflow (default auto)
  --out DIR           output folder (default out/saturation): results.jsonl (rerun to resume),
                      summary.md, saturation_micro_f1.{svg,png}, saturation_macro_f1.{svg,png}
${NORMALIZATION_HELP}  --quiet             no progress lines
  -h, --help          this help

${CANDIDATE_HELP}`;

await runCli(async () => {
  const { values } = parseCli(Deno.args, {
    data: { type: "string" },
    label: { type: "string" },
    k: { type: "string" },
    fractions: { type: "string" },
    schemes: { type: "string" },
    seeds: { type: "string" },
    "split-by": { type: "string" },
    method: { type: "string" },
    epochs: { type: "string" },
    ...CANDIDATE_FLAGS,
    ...NORMALIZE_FLAG,
    backend: { type: "string" },
    out: { type: "string" },
    quiet: { type: "boolean" },
    ...COUNT_FLAGS,
  }, { name: "deno task saturation", help: HELP });
  requireFlags(values, ["data", "label"], "deno task saturation");
  const fractions = listFlag(values.fractions, "1,10,25,50,75,100", "fractions").map((x) => {
    const pct = numberFlag(x, "fractions", NaN);
    if (!(pct > 0 && pct <= 100)) {
      throw new OptionError(`--fractions are percentages in (0, 100], got '${x}'`, {
        field: "--fractions",
      });
    }
    return pct / 100;
  });
  const schemes = listFlag(
    values.schemes,
    SAMPLING_SCHEMES.join(","),
    "schemes",
    SAMPLING_SCHEMES,
  ) as SamplingScheme[];
  const seeds = listFlag(values.seeds, "0,1,2", "seeds")
    .map((x) => numberFlag(x, "seeds", 0, { integer: true, min: 0 }));
  const method = values.method ?? DEFAULT_METHOD;
  if (!METHODS.includes(method)) {
    throw new OptionError(`unknown method '${method}'`, {
      field: "--method",
      fix: `choose among ${METHODS.join(", ")}`,
    });
  }
  const { candidates, sources } = await readCandidateFlags(values);
  if (!existsSync(values.data)) {
    throw new FileFormatError("no such file or folder", {
      file: values.data,
      fix: "check the --data path",
    });
  }
  const out = await claimResultsFolder(values.out ?? "out/saturation", {
    flag: "--out",
    inputs: [values.data],
    command: "deno task saturation",
    files: [
      "results.jsonl",
      "summary.md",
      ...["micro", "macro"].flatMap((m) =>
        ["svg", "png"].map((ext) => `saturation_${m}_f1.${ext}`)
      ),
    ],
  });
  const backend = await initBackend(parseBackend(values.backend));
  const ds = await readCounts(values.data, { ...values, quiet: true }, "the saturation study");
  console.error(`backend: ${backend.description}; ${ds}; results in ${out}`);
  const started = performance.now();
  const rows = await runSaturationStudy(ds, {
    label: values.label,
    k: numberFlag(values.k, "k", 16, { integer: true, min: 1 }),
    fractions,
    schemes,
    seeds,
    splitBy: values["split-by"],
    method,
    epochs: values.epochs === undefined
      ? undefined
      : numberFlag(values.epochs, "epochs", 0, { integer: true, min: 1 }),
    candidates,
    normalize: parseNormalization(values.normalize ?? DEFAULT_NORMALIZATION, "--normalize"),
    constraints: sources,
    jsonl: `${out}/results.jsonl`,
    quiet: values.quiet,
  });
  const seconds = (performance.now() - started) / 1000;
  const summary = saturationSummary(rows);
  await writeFileAtomic(
    `${out}/summary.md`,
    `# Learning saturation: ${values.data}, label ${values.label}\n\nbackend: ${backend.description}\n\n${summary}`,
  );
  const metrics: [SaturationMetric, string][] = [["micro_f1", "micro-F1"], [
    "macro_f1",
    "macro-F1",
  ]];
  for (const [metric, name] of metrics) {
    const { points, saturation } = saturationCurves(rows, metric);
    if (!points.length) continue;
    const svg = await toSvg(
      saturationSpec(
        points,
        saturation,
        `test ${name}`,
        `${method}, k = ${rows[0].k}: test ${name} vs training cells`,
      ),
    );
    await writeFileAtomic(`${out}/saturation_${metric}.svg`, svg);
    await writeFileAtomic(`${out}/saturation_${metric}.png`, await svgToPng(svg));
  }
  console.error(`saturation study: ${rows.length} runs, ${seconds.toFixed(0)} s this call`);
  console.log(summary);
});
