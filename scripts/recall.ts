/**
 * `deno task recall --data PATH`: recall's calibrated clustering (docs/methods.md §3.4) next to plain
 * Seurat-style Louvain at one resolution, with the adjusted Rand index of both against a label.
 */
import { plainClustering, recallClustering } from "../lib/calibrate/recall.ts";
import { readCounts } from "../lib/data/io.ts";
import { adjustedRandIndex } from "../lib/metrics/clustering.ts";
import { markdownTable } from "../lib/eval/report.ts";
import { writeFileAtomic } from "../lib/runtime/atomic.ts";
import { initBackend, parseBackend } from "../lib/runtime/backend.ts";
import { numberFlag, parseCli, requireFlags, runCli } from "../lib/runtime/cli.ts";
import { OptionError } from "../lib/runtime/errors.ts";
import {
  checkOutputFile,
  OVERWRITE_FLAG,
  OVERWRITE_HELP,
  readTextHead,
} from "../lib/runtime/output.ts";

const HELP = `recall: clustering calibrated with artificial null genes (DenAdel et al. 2025).

Usage: deno task recall --data PATH [--label COL] [--hvg 2000] [--seed S] [--out FILE.json]

  --data PATH        .h5ad, .arrow, 10x/MatrixMarket folder or .csv of raw counts
  --layer NAME       .h5ad input: read layers/NAME (e.g. counts) instead of X
  --raw              .h5ad input: read raw/X instead of X
  --label COL        obs column to compare both clusterings with (adjusted Rand index)
  --hvg N            highly variable genes (seurat_v3) to cluster on (default 2000)
  --null M           null generator: zip (default) or nb
  --resolution R     resolution of the plain clustering (default 0.8)
  --resolution-start R
                     recall's starting resolution (default 0.8); raise it when recall warns
                     that it stopped in its first round
  --seed S           seed of the nulls, PCA and Louvain (default 0)
  --backend B        tfjs backend of the PCA: auto, wasm, webgpu, cpu, tensorflow (default auto)
  --out FILE.json    write the history, both clusterings and the scores
  --overwrite        ${OVERWRITE_HELP}
  --quiet            no progress lines
  -h, --help         this help

Prints the recall loop (one line per round), recall's cluster count, the plain clustering's
count, and their ARIs. Progress goes to stderr.
`;

/** The start of the report written below: its data, label and options keys, in order. */
const REPORT_START =
  /^\{\n "data": "(?:[^"\\]|\\.)*",\n "label": (?:null|"(?:[^"\\]|\\.)*"),\n "options": \{\n {2}"nHvg": /;

/** True when `file` begins like a report this command wrote. */
async function isReport(file: string): Promise<boolean> {
  return REPORT_START.test(await readTextHead(file));
}

await runCli(async () => {
  const { values } = parseCli(Deno.args, {
    data: { type: "string" },
    label: { type: "string" },
    hvg: { type: "string" },
    null: { type: "string" },
    resolution: { type: "string" },
    "resolution-start": { type: "string" },
    seed: { type: "string" },
    backend: { type: "string" },
    out: { type: "string" },
    ...OVERWRITE_FLAG,
    quiet: { type: "boolean" },
    layer: { type: "string" },
    raw: { type: "boolean" },
  }, { name: "recall", help: HELP });
  requireFlags(values, ["data"], "recall");
  const nHvg = numberFlag(values.hvg, "hvg", 2000, { integer: true, min: 1 });
  const seed = numberFlag(values.seed, "seed", 0, { integer: true });
  const resolution = numberFlag(values.resolution, "resolution", 0.8, { min: Number.MIN_VALUE });
  const resolutionStart = numberFlag(values["resolution-start"], "resolution-start", 0.8, {
    min: Number.MIN_VALUE,
  });
  const nullMethod = values.null ?? "zip";
  if (nullMethod !== "zip" && nullMethod !== "nb") {
    throw new OptionError(`--null must be zip or nb, got '${nullMethod}'`, { field: "--null" });
  }
  const quiet = values.quiet ?? false;
  const out = values.out && await checkOutputFile(values.out, {
    flag: "--out",
    inputs: [values.data],
    command: "deno task recall",
    isOurs: isReport,
    overwrite: values.overwrite ?? false,
  });
  const backend = await initBackend(parseBackend(values.backend));
  const ds = await readCounts(values.data, values, "recall", { integers: true });
  const truth = values.label === undefined ? null : ds.categorical(values.label).codes;
  console.log(`${ds}; backend ${backend.description}`);

  let t0 = performance.now();
  const recall = recallClustering(ds, { nHvg, seed, nullMethod, quiet, resolutionStart });
  const recallSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const plain = plainClustering(ds, { nHvg, seed, resolution, quiet });
  const plainSeconds = (performance.now() - t0) / 1000;

  console.log(`\nrecall loop (${recall.genes.length} HVGs + as many nulls):`);
  console.log(markdownTable(
    ["round", "resolution", "clusters", "pairs tested", "first failing pair"],
    recall.history.map((h) => [
      h.round,
      h.resolution.toPrecision(4),
      h.nClusters,
      h.selectedPerPair?.length ?? 0,
      h.failedPair ? h.failedPair.join(" vs ") : "-",
    ]),
  ));
  if (recall.warning) console.log(`warning: ${recall.warning}`);
  const ariRecall = truth ? adjustedRandIndex(recall.labels, truth) : null;
  const ariPlain = truth ? adjustedRandIndex(plain.labels, truth) : null;
  const ari = (v: number | null) => (v === null ? "" : `, ARI vs ${values.label} ${v.toFixed(4)}`);
  console.log(
    `\nrecall: ${recall.nClusters} clusters at resolution ${recall.resolution.toPrecision(4)}` +
      `${ari(ariRecall)} (${recallSeconds.toFixed(1)} s)`,
  );
  console.log(
    `plain:  ${plain.nClusters} clusters at resolution ${resolution}${ari(ariPlain)} ` +
      `(${plainSeconds.toFixed(1)} s)`,
  );
  if (truth) {
    const n = new Set(Array.from(truth).filter((c) => c >= 0)).size;
    console.log(`truth:  ${n} classes in '${values.label}'`);
  }

  if (out) {
    const report = {
      data: values.data,
      label: values.label ?? null,
      options: { nHvg, seed, nullMethod, plainResolution: resolution, resolutionStart },
      backend: backend.description,
      recall: {
        nClusters: recall.nClusters,
        resolution: recall.resolution,
        warning: recall.warning ?? null,
        history: recall.history,
        guards: recall.guards,
        nClamped: recall.nClamped,
        nUntestable: recall.nUntestable,
        ari: ariRecall,
        seconds: recallSeconds,
        labels: Array.from(recall.labels),
      },
      plain: {
        nClusters: plain.nClusters,
        resolution,
        ari: ariPlain,
        seconds: plainSeconds,
        labels: Array.from(plain.labels),
      },
      genes: recall.genes,
    };
    await writeFileAtomic(out, JSON.stringify(report, null, 1) + "\n");
    console.log(`wrote ${out}`);
  }
});
