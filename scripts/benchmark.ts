/**
 * deno task benchmark --config FILE: run (or resume) a benchmark grid and write results.jsonl,
 * results.csv, results.arrow, summary.md and figures (SVG and PNG) into the config's out folder.
 * @module
 */
import { initBackend, parseBackend } from "../lib/runtime/backend.ts";
import { writeFileAtomic } from "../lib/runtime/atomic.ts";
import { EXIT_SOME_FAILED, parseCli, runCli } from "../lib/runtime/cli.ts";
import { OptionError } from "../lib/runtime/errors.ts";
import { claimResultsFolder } from "../lib/runtime/output.ts";
import {
  BENCHMARK_CONFIG_KEYS,
  BENCHMARK_DATASET_KEYS,
  readBenchmarkConfig,
  runBenchmark,
} from "../lib/eval/protocol.ts";
import {
  failuresMarkdown,
  metricPoints,
  reportGroups,
  rowsToArrow,
  rowsToCsv,
  summaryMarkdown,
} from "../lib/eval/report.ts";
import { metricVsKSpec, secondsSpec } from "../lib/plot/benchmark.ts";
import { meanSd } from "../lib/data/stats.ts";
import { svgToPng, toSvg } from "../lib/plot/render.ts";

/** `keys` as help lines: each key, then its text wrapped to 100 columns. */
function keyLines(keys: Record<string, string>): string {
  const indent = " ".repeat(20);
  return Object.entries(keys).map(([key, text]) => {
    const lines = [`  ${key}`.padEnd(indent.length)];
    for (const word of text.split(" ")) {
      const line = lines[lines.length - 1];
      if (line.length > indent.length && line.length + 1 + word.length > 100) {
        lines.push(indent + word);
      } else lines[lines.length - 1] = line + (line.length > indent.length ? " " : "") + word;
    }
    return lines.join("\n");
  }).join("\n");
}

const HELP = `deno task benchmark --config FILE [--backend B] [--quiet]

Runs every dataset x split x seed x method x k of the JSON config (see benchmarks/shared.json):
panels chosen on train, each scored on test by the downstream classifiers on its genes, YOTO
also by its own heads. Finished selections are kept in OUT/results.jsonl; rerunning the same
command resumes. Writes OUT/results.csv, OUT/results.arrow, OUT/summary.md and OUT/figures/.

Each selection's line in results.jsonl records the settings it depends on (the dataset file's
content or a simulated dataset's options, labels, candidates, classifiers, method options, k,
seed, split): after a config change a rerun recomputes the selections it affects and says how
many. A selection that fails (e.g. a donor split that leaves a class without training cells) is
recorded with its error and listed in summary.md; the others go on, and the command exits with
code ${EXIT_SOME_FAILED}. Rerunning retries the failed ones.

Options:
  --config FILE     the benchmark config (JSON; keys below)
  --backend B       auto, wasm, webgpu, cpu, tensorflow (default auto)
  --quiet           no progress lines
  -h, --help        this help

Config keys ([default]; any other key is an error):
${keyLines(BENCHMARK_CONFIG_KEYS)}

Dataset keys (each entry of "datasets"):
${keyLines(BENCHMARK_DATASET_KEYS)}
`;

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^_|_$/g, "");
}

await runCli(async () => {
  const { values } = parseCli(Deno.args, {
    config: { type: "string" },
    backend: { type: "string" },
    quiet: { type: "boolean" },
  }, { name: "deno task benchmark", help: HELP });
  if (!values.config) {
    throw new OptionError("no config given", { fix: "pass --config benchmarks/shared.json" });
  }
  const config = await readBenchmarkConfig(values.config);
  await claimResultsFolder(config.out, {
    flag: `"out" in ${values.config}`,
    inputs: [values.config, ...config.datasets.flatMap((d) => d.path ?? [])],
    command: "deno task benchmark",
    files: ["results.jsonl", "results.csv", "results.arrow", "summary.md", "figures"],
  });
  const backend = await initBackend(parseBackend(values.backend));
  console.error(`backend: ${backend.description}; results in ${config.out}`);
  const { rows, failures, units } = await runBenchmark(config, { quiet: values.quiet });
  const classifier = (config.classifiers ?? ["lr"])[0];
  await writeFileAtomic(`${config.out}/results.csv`, rowsToCsv(rows));
  await writeFileAtomic(`${config.out}/results.arrow`, rowsToArrow(rows));
  const summary = [summaryMarkdown(rows, classifier), failuresMarkdown(failures, units)]
    .filter(Boolean).join("\n");
  await writeFileAtomic(
    `${config.out}/summary.md`,
    `# Benchmark summary\n\nbackend: ${backend.description}\n\n${summary}`,
  );
  const figures = `${config.out}/figures`;
  await Deno.mkdir(figures, { recursive: true });
  const specs: [string, ReturnType<typeof secondsSpec>][] = [];
  for (const [title, group] of reportGroups(rows, classifier)) {
    specs.push([`f1_vs_k_${slug(title)}`, metricVsKSpec(metricPoints(group), "macro-F1", title)]);
  }
  const byMethod = new Map<string, number[]>();
  for (const r of rows) {
    if (r.classifier === "own" || r.classifier === classifier) {
      if (!byMethod.has(r.method)) byMethod.set(r.method, []);
      byMethod.get(r.method)!.push(r.fit_seconds);
    }
  }
  if (byMethod.size) {
    specs.push([
      "selection_seconds",
      secondsSpec([...byMethod].map(([method, s]) => ({ method, seconds: meanSd(s).mean }))),
    ]);
  }
  for (const [name, spec] of specs) {
    const svg = await toSvg(spec);
    await writeFileAtomic(`${figures}/${name}.svg`, svg);
    await writeFileAtomic(`${figures}/${name}.png`, await svgToPng(svg));
  }
  console.log(summary);
  if (failures.length) {
    console.error(`${failures.length} of ${units} units failed; see ${config.out}/summary.md`);
    Deno.exitCode = EXIT_SOME_FAILED;
  }
});
