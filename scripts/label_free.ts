/**
 * `deno task label-free`: gene panels chosen without labels (YOTO with only its reconstruction
 * head, CAE, PERSIST's reconstruction mode; HVG and random as references), each scored on one
 * fixed cell split by held-out reconstruction (ridge from the panel: fraction of variance
 * explained over the candidates) and by a logistic regression's cell-type macro-F1.
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../lib/data/dataset.ts";
import { COUNT_FLAGS, readCounts } from "../lib/data/io.ts";
import { splitDataset, stratifiedSplit } from "../lib/data/split.ts";
import { evaluatePanel, evaluateReconstruction } from "../lib/eval/downstream.ts";
import { formatMeanSd } from "../lib/data/stats.ts";
import { markdownTable } from "../lib/eval/report.ts";
import { log1pInput } from "../lib/mae/model.ts";
import { writeFileAtomic } from "../lib/runtime/atomic.ts";
import {
  checkOutputFile,
  OVERWRITE_FLAG,
  OVERWRITE_HELP,
  readTextHead,
} from "../lib/runtime/output.ts";
import { initBackend, parseBackend } from "../lib/runtime/backend.ts";
import { listFlag, numberFlag, parseCli, requireFlags, runCli } from "../lib/runtime/cli.ts";
import { fitCandidates } from "../lib/data/transform.ts";
import type { TaskPrediction } from "../lib/select/panel.ts";
import { selectorEntry } from "../lib/select/registry.ts";
import { poissonDeviance } from "../lib/nn/losses.ts";
import { Progress } from "../lib/runtime/progress.ts";

/** Registry methods that can select without labels (YOTO through its reconstruction head). */
const METHODS = ["yoto", "cae", "persist_recon", "hvg", "random"];

const HELP = `Label-free gene panels compared on held-out reconstruction and cell-type macro-F1.

Usage: deno task label-free --data PATH --label COL --k K [options]

  --data PATH       .h5ad, .arrow, 10x/MatrixMarket folder or .csv (raw counts)
  --layer NAME      .h5ad input: read layers/NAME (e.g. counts) instead of X
  --raw             .h5ad input: read raw/X instead of X
  --allow-non-integer  accept non-negative non-integer values (estimated counts)
  --label COL       cell-type column: stratifies the one fixed 70/15/15 split (seed 0) and is
                    the downstream target; no selector reads it
  --k K             panel size
  --seeds LIST      selector seeds (default 0)
  --methods LIST    among ${METHODS.join(", ")} (default all)
  --candidates N    top-N seurat HVGs on train: the pool and the reconstruction targets (2000)
  --backend B       auto, wasm, webgpu, cpu, tensorflow (default auto)
  --out FILE.md     also write the tables there
  --overwrite       ${OVERWRITE_HELP}
  --quiet           no progress lines
  -h, --help        this help

yoto = fitYoto(train, { k, reconstruct: true }) with no label task (Poisson head); its own
head's held-out Poisson deviance is reported too (the other methods have no Poisson output).
`;

interface Result {
  method: string;
  seed: number;
  varianceExplained: number;
  meanR2: number;
  /** YOTO's own reconstruction head on test (NaN for the others). */
  deviance: number;
  macroF1: number;
  fitSeconds: number;
  genes: string[];
}

/**
 * Mean Poisson deviance of a reconstruction head's predictions on the test cells: its columns
 * are the candidates it was given (`pool`), in order, on the log1p scale of `targetSum`.
 */
function reconstructionDeviance(
  pred: TaskPrediction,
  test: Dataset,
  pool: string[],
  targetSum: number,
): number {
  const G = pool.length;
  if (pred.values!.length !== test.nCells * G) {
    throw new Error(
      `a reconstruction of ${pred.values!.length} values is not ${test.nCells} x ${G}`,
    );
  }
  const x = log1pInput(test, pool, targetSum);
  return tf.tidy(() =>
    poissonDeviance(tf.tensor2d(pred.values!, [test.nCells, G]), tf.tensor2d(x, [test.nCells, G]))
      .dataSync()[0]
  );
}

/** The first words of the tables written below. */
const TABLES_START = /^label-free panels, k = \d+, \d+ candidates; /;

/** True when `file` begins like the tables this command writes. */
async function isTables(file: string): Promise<boolean> {
  return TABLES_START.test(await readTextHead(file));
}

async function main() {
  const { values } = parseCli(Deno.args, {
    data: { type: "string" },
    label: { type: "string" },
    k: { type: "string" },
    seeds: { type: "string" },
    methods: { type: "string" },
    candidates: { type: "string" },
    backend: { type: "string" },
    out: { type: "string" },
    ...OVERWRITE_FLAG,
    quiet: { type: "boolean" },
    ...COUNT_FLAGS,
  }, { name: "deno task label-free", help: HELP });
  requireFlags(values, ["data", "label", "k"], "deno task label-free");
  const k = numberFlag(values.k, "k", 0, { integer: true, min: 1 });
  const candidates = numberFlag(values.candidates, "candidates", 2000, { integer: true, min: 2 });
  const seeds = listFlag(values.seeds, "0", "seeds")
    .map((s) => numberFlag(s, "seeds", 0, { integer: true }));
  const methods = listFlag(values.methods, METHODS.join(","), "methods", METHODS);
  const out = values.out && await checkOutputFile(values.out, {
    flag: "--out",
    inputs: [values.data],
    command: "deno task label-free",
    isOurs: isTables,
    overwrite: values.overwrite ?? false,
  });
  const backend = await initBackend(parseBackend(values.backend));
  const ds = await readCounts(values.data, values, "panel selection");
  const label = values.label;
  const split = stratifiedSplit(ds.categorical(label), { seed: 0 });
  const parts = splitDataset(ds, split);
  const { train, val, test } = parts;
  const say = (line: string) => values.quiet || console.error(line);
  say(
    `backend ${backend.description}; ${ds}; train ${train.nCells}, val ${val.nCells}, test ${test.nCells}`,
  );

  // The candidates once (top-N HVGs of train, fewer when the data has fewer genes): every method
  // chooses among them, and they are the reconstruction targets.
  const { genes: pool, targetSum } = fitCandidates(train, { candidates });
  // No task: YOTO learns from its reconstruction head alone.
  const selectors = await Promise.all(methods.map((m) => {
    const entry = selectorEntry(m);
    return entry.load(entry.yotoOptions ? { reconstruct: true } : undefined);
  }));
  const results: Result[] = [];
  // One line as each selection starts and ends; the trained selectors add one per epoch.
  const progress = new Progress("label-free", seeds.length * methods.length, {
    quiet: values.quiet,
  });
  for (const seed of seeds) {
    for (const [i, method] of methods.entries()) {
      progress.log(
        `${method} seed ${seed}: selecting ${k} of ${pool.length} candidates ` +
          `(${progress.done + 1}/${progress.total})`,
      );
      const started = performance.now();
      const fitted = await selectors[i].fit(train, {
        k,
        candidates: pool,
        // the reconstruction heads predict the transcriptome-scaled values the deviance scores
        normalize: "transcriptome",
        validation: val,
        seed,
        quiet: values.quiet,
      });
      const { panel } = fitted;
      let deviance = NaN;
      try {
        // Only a method with its own reconstruction head has a Poisson output to score.
        const recon = fitted.predict?.(test).find((p) => p.kind === "reconstruction");
        if (recon) deviance = reconstructionDeviance(recon, test, pool, targetSum);
      } finally {
        fitted.dispose();
      }
      const fitSeconds = (performance.now() - started) / 1000;
      // scored on the panel-native input, as a panel measured alone
      const recon = evaluateReconstruction(panel.genes, pool, parts);
      const downstream = await evaluatePanel(panel.genes, parts, label, {
        classifiers: ["lr"],
        seed,
      });
      const r: Result = {
        method,
        seed,
        varianceExplained: recon.varianceExplained,
        meanR2: recon.meanR2,
        deviance,
        macroF1: downstream.results[0].metrics.macroF1,
        fitSeconds,
        genes: panel.genes,
      };
      results.push(r);
      progress.tick(1);
      progress.log(
        `${method} seed ${seed}: variance explained ${r.varianceExplained.toFixed(3)}, ` +
          `LR macro-F1 ${r.macroF1.toFixed(3)}, ${fitSeconds.toFixed(1)} s`,
      );
    }
  }
  progress.finish();
  const fmt = (v: number) => (Number.isNaN(v) ? "-" : v.toFixed(3));
  const lines = [
    `label-free panels, k = ${k}, ${pool.length} candidates; ${values.data}; split stratified ` +
    `70/15/15 on ${label} (seed 0): train ${train.nCells}, val ${val.nCells}, test ${test.nCells}`,
    "",
    markdownTable(
      [
        "method",
        "seed",
        "variance explained",
        "mean R²",
        "YOTO Poisson deviance",
        "LR macro-F1",
        "select s",
      ],
      results.map((r) => [
        r.method,
        r.seed,
        ...[r.varianceExplained, r.meanR2, r.deviance, r.macroF1].map(fmt),
        r.fitSeconds.toFixed(1),
      ]),
    ),
    "",
    markdownTable(
      [
        "method",
        "variance explained",
        "LR macro-F1",
        `select s (mean over seeds ${seeds.join(",")})`,
      ],
      methods.map((m) => {
        const rs = results.filter((r) => r.method === m);
        const of = (f: (r: Result) => number, digits = 3) => formatMeanSd(rs.map(f), digits);
        return [
          m,
          of((r) => r.varianceExplained),
          of((r) => r.macroF1),
          of((r) => r.fitSeconds, 1),
        ];
      }),
    ),
  ];
  const text = lines.join("\n") + "\n";
  console.log("\n" + text);
  if (out) await writeFileAtomic(out, text);
}

if (import.meta.main) await runCli(main);
