/**
 * Benchmarks (timings live here, never in tests). `deno task bench load`: simulate a
 * 100,000 x 2,000 dataset, write it as .arrow, read it back (whole and streamed), compare with a
 * raw Deno.readFile of the same file, report peak RSS, and time h5ad reads of the shared data.
 * `deno task bench <method>`: a panel method's test macro-F1 and timings on the shared Kang data.
 */
import { simulate } from "../lib/data/simulate.ts";
import { readArrow, streamArrow, writeArrow } from "../lib/data/arrow.ts";
import { readH5ad } from "../lib/data/h5ad.ts";
import { listFlag, numberFlag, parseCli, runCli } from "../lib/runtime/cli.ts";
import { readCounts } from "../lib/data/io.ts";
import { protocolSplit, splitDataset } from "../lib/data/split.ts";
import { formatMeanSd } from "../lib/data/stats.ts";
import { evaluatePanel } from "../lib/eval/downstream.ts";
import { scorePrediction } from "../lib/eval/score.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { DEFAULT_METHOD, loadSelector, SELECTOR_NAMES } from "../lib/select/registry.ts";
import { OptionError } from "../lib/runtime/errors.ts";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const HELP = `Benchmarks.

Usage: deno task bench load [--cells N] [--genes G] [--repeats R] [--shared DIR]
       deno task bench METHOD [--k 8,16,32] [--seeds 0,1,2] [--runs R,...] [--shared DIR]

load   simulate N x G (default 100,000 x 2,000), write .arrow, read it whole and streamed,
       raw Deno.readFile of the same file, peak RSS; h5ad read times of the shared datasets
       (DIR, default ../shared/data) when present. Prints a Markdown table.
METHOD a panel method (e.g. ${DEFAULT_METHOD}) with its default settings: test macro-F1 per task
       (its own heads when its fit predicts, else logistic regression on the panel genes),
       at each k on the shared Kang data: kang_ctrl12k cluster_id (stratified and
       donor-held-out by sample_id) and kang_ifnb1k seurat_annotations + stim (one panel),
       with seconds per epoch for methods trained in epochs; then mean ± sd over the seeds.
       Runs: ctrl12k, ctrl12k-donor, ifnb1k (default), and the single-task
       ifnb1k-annotations, ifnb1k-stim. Methods: ${SELECTOR_NAMES.join(", ")}
`;

const YOTO_RUNS = [
  { name: "ctrl12k", file: "kang_ctrl12k/kang_ctrl12k.h5ad", tasks: ["cluster_id"] },
  {
    name: "ctrl12k-donor",
    file: "kang_ctrl12k/kang_ctrl12k.h5ad",
    tasks: ["cluster_id"],
    groupBy: "sample_id",
  },
  { name: "ifnb1k", file: "kang_ifnb1k/kang_ifnb1k.h5ad", tasks: ["seurat_annotations", "stim"] },
  {
    name: "ifnb1k-annotations",
    file: "kang_ifnb1k/kang_ifnb1k.h5ad",
    tasks: ["seurat_annotations"],
  },
  { name: "ifnb1k-stim", file: "kang_ifnb1k/kang_ifnb1k.h5ad", tasks: ["stim"] },
];

async function benchMethod(
  method: string,
  ks: number[],
  seeds: number[],
  runs: string[],
  shared: string,
) {
  const backend = await initBackend("auto");
  const selector = await loadSelector(method);
  console.log(
    `\nbackend: ${backend.description}; seeds ${seeds.join(",")}; ${method}, default settings\n`,
  );
  console.log("| run | split | k | seed | test macro-F1 | epochs (best) | s / epoch | train s |");
  console.log("|---|---|---|---|---|---|---|---|");
  const summary: string[] = [];
  for (const run of YOTO_RUNS.filter((r) => runs.includes(r.name))) {
    const path = `${shared}/${run.file}`;
    if (!existsSync(path)) {
      console.log(`| ${run.name} | - | - | - | absent, skipped | | | |`);
      continue;
    }
    const ds = await readCounts(path, { quiet: true }, `run ${run.name}`);
    const splitName = run.groupBy ? `donor (${run.groupBy})` : "cell (stratified)";
    // A seed's split is the same at every k.
    const splits = seeds.map((seed) =>
      protocolSplit(ds, { labels: run.tasks, groupBy: run.groupBy, seed })
    );
    for (const k of ks) {
      const f1s: Record<string, number[]> = {};
      for (const [i, seed] of seeds.entries()) {
        const parts = splitDataset(ds, splits[i]);
        const { train, val, test } = parts;
        const fitted = await selector.fit(train, {
          k,
          tasks: run.tasks,
          validation: val,
          seed,
          quiet: true,
        });
        const f1Of = new Map<string, number>();
        try {
          // Own heads when the fit predicts; else logistic regression on the panel genes.
          for (const p of fitted.predict?.(test) ?? []) {
            f1Of.set(p.task, scorePrediction(p, test).macroF1);
          }
          for (const task of run.tasks.filter((t) => !f1Of.has(t))) {
            const { results } = await evaluatePanel(fitted.panel.genes, parts, task, {
              classifiers: ["lr"],
              seed,
            });
            f1Of.set(task, results[0].metrics.macroF1);
          }
        } finally {
          fitted.dispose();
        }
        const scores = run.tasks.map((task) => {
          const f1 = f1Of.get(task)!;
          (f1s[task] ??= []).push(f1);
          return `${task} ${f1.toFixed(3)}`;
        });
        const t = fitted.training;
        const epochs = t ? `${t.epochs} (${t.bestEpoch})` : "-";
        const perEpoch = t ? t.secondsPerEpoch.toFixed(2) : "-";
        const seconds = (t?.seconds ?? fitted.panel.fitSeconds).toFixed(0);
        console.log(
          `| ${run.name} | ${splitName} | ${k} | ${seed} | ${
            scores.join(", ")
          } | ${epochs} | ${perEpoch} | ${seconds} |`,
        );
      }
      for (const [task, v] of Object.entries(f1s)) {
        summary.push(`| ${run.name} | ${splitName} | ${task} | ${k} | ${formatMeanSd(v)} |`);
      }
    }
  }
  console.log(
    `\n| run | split | task | k | test macro-F1, mean ± sd over seeds ${seeds.join(",")} |`,
  );
  console.log("|---|---|---|---|---|");
  for (const line of summary) console.log(line);
}

function peakRssMiB(): number {
  try {
    const m = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/);
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss / 2 ** 20;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await fn();
  return [result, (performance.now() - t0) / 1000];
}

/** Best (minimum) of `repeats` timings. */
async function best(repeats: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  let min = Infinity;
  for (let r = 0; r < repeats; r++) min = Math.min(min, (await timed(fn))[1]);
  return min;
}

async function benchLoad(cells: number, genes: number, repeats: number, shared: string) {
  const dir = await Deno.makeTempDir({ prefix: "yoto-bench-" });
  const path = `${dir}/sim.arrow`;
  try {
    console.error(`simulating ${cells} x ${genes} ...`);
    const [{ dataset }, simSeconds] = await timed(() =>
      simulate({ nCells: cells, nGenes: genes, seed: 0 })
    );
    const nnz = dataset.indptr[dataset.nCells];
    const writeSeconds = await best(repeats, () => writeArrow(dataset, path));
    const bytes = Deno.statSync(path).size;
    const rawSeconds = await best(repeats, () => Deno.readFile(path));
    const readSeconds = await best(repeats, async () => {
      const back = await readArrow(path);
      if (back.indptr[back.nCells] !== nnz) throw new Error("read back a different matrix");
    });
    const streamSeconds = await best(repeats, async () => {
      let n = 0;
      for await (const b of streamArrow(path)) n += b.dataset.nCells;
      if (n !== cells) throw new Error(`streamed ${n} cells, expected ${cells}`);
    });

    const rows: [string, string][] = [
      ["cells x genes", `${cells.toLocaleString("en")} x ${genes.toLocaleString("en")}`],
      [
        "non-zeros",
        `${nnz.toLocaleString("en")} (${(100 * nnz / (cells * genes)).toFixed(1)}% dense)`,
      ],
      [".arrow file size", `${(bytes / 2 ** 20).toFixed(1)} MiB`],
      ["simulate", `${simSeconds.toFixed(2)} s`],
      [
        "write .arrow",
        `${writeSeconds.toFixed(3)} s (${(bytes / 2 ** 20 / writeSeconds).toFixed(0)} MiB/s)`,
      ],
      ["raw Deno.readFile", `${rawSeconds.toFixed(3)} s`],
      ["read .arrow (whole)", `${readSeconds.toFixed(3)} s`],
      ["read / raw ratio", `${(readSeconds / rawSeconds).toFixed(2)}`],
      ["stream .arrow (all batches)", `${streamSeconds.toFixed(3)} s`],
    ];
    for (
      const rel of [
        "kang_ifnb1k/kang_ifnb1k.h5ad",
        "kang_ctrl12k/kang_ctrl12k.h5ad",
        "pbmc68k_reduced.h5ad",
      ]
    ) {
      const file = `${shared}/${rel}`;
      if (!existsSync(file)) {
        rows.push([`read ${rel}`, "absent, skipped"]);
        continue;
      }
      let shape = "";
      const seconds = await best(repeats, async () => {
        const ds = await readH5ad(file, { quiet: true });
        shape = `${ds.nCells} x ${ds.nGenes}`;
      });
      rows.push([`read ${rel} (${shape})`, `${seconds.toFixed(3)} s`]);
    }
    rows.push(["peak RSS", `${peakRssMiB().toFixed(0)} MiB`]);
    console.log(`\n| load benchmark (best of ${repeats}) | value |\n|---|---|`);
    for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

await runCli(async () => {
  const { values, positionals } = parseCli(Deno.args, {
    cells: { type: "string" },
    genes: { type: "string" },
    repeats: { type: "string" },
    shared: { type: "string" },
    k: { type: "string" },
    seeds: { type: "string" },
    runs: { type: "string" },
  }, { name: "deno task bench", help: HELP });
  if (positionals.length === 0) return console.log(HELP);
  const shared = values.shared ?? fileURLToPath(new URL("../../shared/data", import.meta.url));
  if (SELECTOR_NAMES.includes(positionals[0])) {
    const ks = listFlag(values.k, "8,16,32", "k")
      .map((x) => numberFlag(x, "k", 16, { integer: true, min: 1 }));
    const seeds = listFlag(values.seeds, "0,1,2", "seeds")
      .map((x) => numberFlag(x, "seeds", 0, { integer: true, min: 0 }));
    const names = YOTO_RUNS.map((r) => r.name);
    const runs = listFlag(values.runs, names.slice(0, 3).join(","), "runs", names);
    return await benchMethod(positionals[0], ks, seeds, runs, shared);
  }
  if (positionals[0] !== "load") {
    throw new OptionError(`unknown benchmark '${positionals[0]}'`, {
      fix: `use: deno task bench load | deno task bench METHOD (${SELECTOR_NAMES.join(", ")})`,
    });
  }
  await benchLoad(
    numberFlag(values.cells, "cells", 100_000, { integer: true, min: 1 }),
    numberFlag(values.genes, "genes", 2_000, { integer: true, min: 1 }),
    numberFlag(values.repeats, "repeats", 3, { integer: true, min: 1 }),
    shared,
  );
});
