/**
 * `deno task mae`: train the masked autoencoder on a dataset's cells (no labels), embed every
 * cell, and print the zero-shot kNN table of docs/methods.md §4.4: MAE vs the HVG and PCA embeddings.
 */
import { COUNT_FLAGS, readCounts } from "../lib/data/io.ts";
import { splitToJSON } from "../lib/data/split.ts";
import {
  type CellEmbedding,
  embeddingPca,
  zeroShotHvg,
  zeroShotKnn,
  type ZeroShotMetrics,
  zeroShotSplit,
} from "../lib/eval/zeroshot.ts";
import type { MaeEncoder, MaeTokens } from "../lib/mae/model.ts";
import { fitMae } from "../lib/mae/train.ts";
import { markdownTable } from "../lib/eval/report.ts";
import { writeFileAtomic } from "../lib/runtime/atomic.ts";
import { initBackend, parseBackend } from "../lib/runtime/backend.ts";
import { numberFlag, parseCli, requireFlags, runCli } from "../lib/runtime/cli.ts";
import { claimResultsFolder } from "../lib/runtime/output.ts";
import { Rng } from "../lib/runtime/rng.ts";

const HELP = `Masked-autoencoder cell embeddings vs HVG and PCA, by zero-shot kNN (k = 5).

Usage: deno task mae --data PATH --label COL [options]

  --data PATH           .h5ad, .arrow, 10x/MatrixMarket folder or .csv (raw counts)
  --layer NAME          .h5ad input: read layers/NAME (e.g. counts) instead of X
  --raw                 .h5ad input: read raw/X instead of X
  --allow-non-integer   accept non-negative non-integer values (estimated counts)
  --label COL           obs column scored by the kNN (never seen in training)
  --candidates N        top-N seurat HVGs the MAE models (default 2000)
  --epochs N            MAE epochs (default: enough for ~1000 steps)
  --mask-ratio R        fraction of the candidates hidden per cell (default 0.75)
  --encoder E           pooling (default) or transformer
  --tokens T            scaled (default: value x gene embedding) or concat (TxFM's [E ; x])
  --max-train-cells N   train the MAE on a random N cells at most (default 3000); all are embedded
  --seed S              seed of the MAE, its training cells and the 50/50 split (default 0)
  --backend B           auto, wasm, webgpu, cpu, tensorflow (default auto)
  --out DIR             also write results.json and split.json there
  --quiet               no progress lines
  -h, --help            this help
`;

interface Row {
  embedding: string;
  dim: number;
  metrics: ZeroShotMetrics;
  /** Seconds to compute the embedding (MAE: training plus embedding). */
  seconds: number;
}

async function main() {
  const { values } = parseCli(Deno.args, {
    data: { type: "string" },
    label: { type: "string" },
    candidates: { type: "string" },
    epochs: { type: "string" },
    "mask-ratio": { type: "string" },
    encoder: { type: "string" },
    tokens: { type: "string" },
    "max-train-cells": { type: "string" },
    seed: { type: "string" },
    backend: { type: "string" },
    out: { type: "string" },
    quiet: { type: "boolean" },
    ...COUNT_FLAGS,
  }, { name: "deno task mae", help: HELP });
  requireFlags(values, ["data", "label"], "deno task mae");
  const seed = numberFlag(values.seed, "seed", 0, { integer: true });
  const candidates = numberFlag(values.candidates, "candidates", 2000, { integer: true, min: 2 });
  const maxTrain = numberFlag(values["max-train-cells"], "max-train-cells", 3000, {
    integer: true,
    min: 2,
  });
  const epochs = values.epochs
    ? numberFlag(values.epochs, "epochs", 1, { integer: true, min: 1 })
    : undefined;
  const maskRatio = values["mask-ratio"]
    ? numberFlag(values["mask-ratio"], "mask-ratio", 0.75, { min: 0 })
    : undefined;
  const out = values.out && await claimResultsFolder(values.out, {
    flag: "--out",
    inputs: [values.data],
    command: "deno task mae",
    files: ["results.json", "split.json"],
  });
  const backend = await initBackend(parseBackend(values.backend));
  const ds = await readCounts(values.data, values, "MAE training");
  const labels = ds.categorical(values.label);
  const say = (line: string) => values.quiet || console.error(line);
  say(`backend ${backend.description}; ${ds}`);

  const rows: Row[] = [];
  let t0 = performance.now();
  const trainCells = ds.nCells > maxTrain
    ? new Rng(seed).fork("train cells").sampleWithoutReplacement(ds.nCells, maxTrain).sort()
    : null;
  const train = trainCells ? ds.selectCells(trainCells) : ds;
  say(`MAE trains on ${train.nCells} of ${ds.nCells} cells`);
  const model = await fitMae(train, {
    candidates,
    epochs,
    maskRatio,
    encoder: values.encoder as MaeEncoder | undefined,
    tokens: values.tokens as MaeTokens | undefined,
    seed,
    quiet: values.quiet,
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const maeX = model.embed(ds);
  const embedSeconds = (performance.now() - t0) / 1000;
  say(`MAE: ${trainSeconds.toFixed(1)} s training, ${embedSeconds.toFixed(1)} s embedding`);
  const split = zeroShotSplit(ds.nCells, seed);
  const score = (name: string, e: CellEmbedding, seconds: number) =>
    rows.push({ embedding: name, dim: e.dim, metrics: zeroShotKnn(e, labels, split), seconds });
  score("MAE (CLS)", { x: maeX, dim: model.config.dim }, trainSeconds + embedSeconds);
  const timed = (fn: () => CellEmbedding): [CellEmbedding, number] => {
    const start = performance.now();
    const e = fn();
    return [e, (performance.now() - start) / 1000];
  };
  const [hvg, hvgSeconds] = timed(() => zeroShotHvg(ds));
  score("HVG (scaled)", hvg, hvgSeconds);
  // zeroShotPca of ds, from the HVG embedding just made (its seconds included)
  const [pcs, pcaSeconds] = timed(() => embeddingPca(hvg, { seed }));
  score("PCA (50 PCs)", pcs, hvgSeconds + pcaSeconds);

  console.log(
    `\nzero-shot kNN (k = 5, Euclidean, uniform) on ${values.label}: ${split.train.length} ` +
      `reference / ${split.test.length} query cells (random 50/50, seed ${seed})\n`,
  );
  console.log(markdownTable(
    ["embedding", "dim", "micro-F1", "macro-F1", "macro precision", "macro recall", "seconds"],
    rows.map(({ embedding, dim, metrics: m, seconds }) => [
      embedding,
      dim,
      ...[m.microF1, m.macroF1, m.macroPrecision, m.macroRecall].map((v) => v.toFixed(3)),
      seconds.toFixed(1),
    ]),
  ));
  const c = model.config;
  console.log(
    `\nMAE: ${c.encoder}, ${c.tokens} tokens, ${c.depth} blocks, dim ${c.dim}, ${c.heads} heads, ` +
      `K = ${c.visible} ` +
      `of ${c.genes.length} genes visible, L = ${c.targetSum}, ${model.history.length} epochs, ` +
      `final loss ${model.history.at(-1)!.loss.toFixed(4)} (best constant per gene ${
        model.constantLoss.toFixed(4)
      })`,
  );
  if (out) {
    await writeFileAtomic(`${out}/split.json`, JSON.stringify(splitToJSON(split)));
    const { genes: _genes, ...shape } = c;
    const results = {
      data: values.data,
      label: values.label,
      seed,
      backend: backend.description,
      nCells: ds.nCells,
      maeTrainCells: train.nCells,
      mae: {
        ...shape,
        nGenes: c.genes.length,
        history: model.history,
        constantLoss: model.constantLoss,
        trainSeconds,
        embedSeconds,
      },
      rows,
    };
    await writeFileAtomic(`${out}/results.json`, JSON.stringify(results, null, 2) + "\n");
    say(`results written to ${out}`);
  }
  model.dispose();
}

if (import.meta.main) await runCli(main);
