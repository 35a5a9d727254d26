/**
 * Benchmarks (timings live here, never in tests). `deno task bench load`: simulate a
 * 100,000 x 2,000 dataset, write it as .arrow, read it back (whole and streamed), compare with a
 * raw Deno.readFile of the same file, report peak RSS, and time h5ad reads of the shared data.
 * `deno task bench scale`: the out-of-core path (docs/methods.md §4.5) on simulated files of
 * growing size, seconds and peak RSS per phase, one child process per size.
 * `deno task bench <method>`: a panel method's test macro-F1 and timings on the shared Kang data.
 */
import { simulate, simulateChunks } from "../lib/data/simulate.ts";
import { readArrow, streamArrow, writeArrow, writeArrowChunks } from "../lib/data/arrow.ts";
import { arrowCandidates, readArrowCells, scanArrow } from "../lib/data/stream.ts";
import { classificationReport } from "../lib/metrics/classification.ts";
import { markdownTable } from "../lib/eval/report.ts";
import { readH5ad } from "../lib/data/h5ad.ts";
import { listFlag, numberFlag, parseCli, runCli } from "../lib/runtime/cli.ts";
import { readCounts } from "../lib/data/io.ts";
import { protocolSplit, splitDataset } from "../lib/data/split.ts";
import { formatMeanSd, median } from "../lib/data/stats.ts";
import { evaluatePanel } from "../lib/eval/downstream.ts";
import { scorePrediction } from "../lib/eval/score.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { DEFAULT_METHOD, loadSelector, SELECTOR_NAMES } from "../lib/select/registry.ts";
import { fitYoto } from "../lib/select/yoto/train.ts";
import type { Dataset } from "../lib/data/dataset.ts";
import { OptionError } from "../lib/runtime/errors.ts";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const HELP = `Benchmarks.

Usage: deno task bench load [--cells N] [--genes G] [--repeats R] [--shared DIR]
       deno task bench scale [--cells N,...] [--genes G] [--k K] [--sketch S] [--candidates C]
                             [--epochs E] [--json]
       deno task bench METHOD [--k 8,16,32] [--seeds 0,1,2] [--runs R,...] [--shared DIR]
       deno task bench step [--runs ifnb1k-annotations,ctrl12k] [--repeats R] [--shared DIR]

load   simulate N x G (default 100,000 x 2,000), write .arrow, read it whole and streamed,
       raw Deno.readFile of the same file, peak RSS; h5ad read times of the shared datasets
       (DIR, default ../shared/data) when present. Prints a Markdown table.
scale  the out-of-core path on simulated data, per size (default 100,000,300,000,1,000,000 cells
       x 20,000 genes), each in a child process of its own: simulate chunk by chunk and write a
       multi-batch .arrow; stats (scan + candidates, C HVGs, default 2000); sketch (read the S
       cells drawn in the scan, cell-type-balanced, default 50,000, over the candidates); train
       YOTO k (default 64; E epochs, default YOTO's own) on the sketch; predict streaming over the
       file, macro-F1 on the cells outside the sketch. Seconds and peak RSS (VmHWM, reset per
       phase) per phase, and the whole process's peak. Needs disk for the file (~8 bytes per
       non-zero); --json: one size, its result as JSON (what each child prints).
step   milliseconds per YOTO training step (k = 16, batch 128, encoder [128, 128], defaults,
       cell split seed 0; the optimiser steps alone, after 20 warm-up steps) against the PyTorch
       reference's (../shared/reference/torch_step_bench.py, one thread, same data and shapes),
       run interleaved R times (default 5), medians and their ratio. The reference is skipped
       with a note when it, /usr/bin/python3 or torch is missing.
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

/** Warm-up steps left out of a step timing, as the reference's --warmup. */
const WARMUP_STEPS = 20;

/** YOTO's milliseconds per optimiser step on `train`: whole epochs after the warm-up steps. */
async function yotoStepMs(train: Dataset, val: Dataset, task: string): Promise<number> {
  const stepsPerEpoch = Math.ceil(train.nCells / 128);
  const model = await fitYoto(train, {
    k: 16,
    tasks: [task],
    validation: val,
    epochs: Math.ceil((WARMUP_STEPS + 200) / stepsPerEpoch) + 1,
    patience: Infinity,
    quiet: true,
  });
  try {
    const timed = model.metrics.history.filter((r) => r.steps - stepsPerEpoch >= WARMUP_STEPS);
    const seconds = timed.reduce((a, r) => a + r.stepSeconds!, 0);
    return 1000 * seconds / (timed.length * stepsPerEpoch);
  } finally {
    model.dispose();
  }
}

/** The reference's milliseconds per step, or null (with the reason) when it cannot run. */
async function referenceStepMs(
  dataset: string,
  task: string,
): Promise<{ ms: number | null; note?: string }> {
  const script = fileURLToPath(
    new URL("../../shared/reference/torch_step_bench.py", import.meta.url),
  );
  if (!existsSync(script)) return { ms: null, note: `reference absent (${script})` };
  const one = "1";
  let out;
  try {
    out = await new Deno.Command("/usr/bin/python3", {
      args: [
        script,
        dataset,
        task,
        "--k",
        "16",
        "--steps",
        "200",
        "--warmup",
        String(WARMUP_STEPS),
        "--threads",
        one,
      ],
      env: { OMP_NUM_THREADS: one, OPENBLAS_NUM_THREADS: one, MKL_NUM_THREADS: one },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    return { ms: null, note: `/usr/bin/python3 did not start (${(err as Error).message})` };
  }
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  if (!out.success) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
    return { ms: null, note: `reference failed: ${why}` };
  }
  return { ms: JSON.parse(text).msPerStep };
}

/** ms per training step, YOTO against the PyTorch reference, interleaved; medians. */
async function benchStep(runs: string[], repeats: number, shared: string) {
  const backend = await initBackend("auto");
  console.log(`\nbackend: ${backend.description}; ${repeats} interleaved repeats, medians\n`);
  const rows: string[][] = [];
  for (const run of YOTO_RUNS.filter((r) => runs.includes(r.name))) {
    const path = `${shared}/${run.file}`;
    if (!existsSync(path)) {
      rows.push([run.name, "absent, skipped", "", "", ""]);
      continue;
    }
    const task = run.tasks[0];
    const ds = await readCounts(path, { quiet: true }, `run ${run.name}`);
    const { train, val } = splitDataset(ds, protocolSplit(ds, { labels: [task], seed: 0 }));
    const ours: number[] = [], ref: number[] = [];
    let note = "";
    for (let r = 0; r < repeats; r++) {
      ours.push(await yotoStepMs(train, val, task));
      const got = await referenceStepMs(run.file.split("/")[0], task);
      if (got.ms === null) note = got.note!;
      else ref.push(got.ms);
      console.error(
        `${run.name} repeat ${r + 1}/${repeats}: yoto ${ours.at(-1)!.toFixed(2)} ms` +
          (got.ms === null ? "" : `, reference ${got.ms.toFixed(2)} ms`),
      );
    }
    const a = median(ours.sort((x, y) => x - y)), b = median(ref.sort((x, y) => x - y));
    rows.push([
      run.name,
      `${train.nCells} train cells, ${task}`,
      a.toFixed(2),
      ref.length ? b.toFixed(2) : `- (${note})`,
      ref.length ? (a / b).toFixed(2) : "-",
    ]);
  }
  console.log(
    markdownTable(
      ["run", "data", "yoto ms/step", "reference ms/step", "ratio yoto / reference"],
      rows,
    ),
  );
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

/** Cells per simulated chunk and per record batch of the scale benchmark's file. */
const SCALE_CHUNK = 8192;

/** Settings of one size of the scale benchmark. */
interface ScaleSettings {
  cells: number;
  genes: number;
  k: number;
  sketch: number;
  candidates: number;
  epochs?: number;
}

interface ScalePhase {
  phase: string;
  seconds: number;
  /** Peak RSS during the phase (MiB), or of the process so far where it cannot be reset. */
  peakMiB: number;
}

interface ScaleResult extends ScaleSettings {
  fileMiB: number;
  sketchCells: number;
  phases: ScalePhase[];
  /** Over the cells outside the sketch. */
  macroF1: number;
  accuracy: number;
  /** Whether the peak was reset per phase (Linux: /proc/self/clear_refs). */
  perPhase: boolean;
}

/** Reset the process's peak RSS to its current RSS (Linux); false where it cannot. */
function resetPeakRss(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** One size of the scale benchmark, in this process. */
async function scaleRun(o: ScaleSettings): Promise<ScaleResult> {
  const dir = await Deno.makeTempDir({ prefix: "yoto-scale-" });
  const path = `${dir}/sim.arrow`;
  const phases: ScalePhase[] = [];
  let perPhase = true;
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    perPhase = resetPeakRss() && perPhase;
    console.error(`${o.cells} cells: ${name} ...`);
    const [result, seconds] = await timed(fn);
    phases.push({ phase: name, seconds, peakMiB: peakRssMiB() });
    return result;
  };
  try {
    await initBackend("auto");
    const label = "cell_type", seed = 0;
    const { chunks } = simulateChunks({ nCells: o.cells, nGenes: o.genes, seed }, SCALE_CHUNK);
    await phase(
      "simulate + write .arrow",
      () => writeArrowChunks(path, chunks, { batchSize: SCALE_CHUNK }),
    );
    const { scan, candidates } = await phase("stats (scan + candidates)", async () => {
      const scan = await scanArrow(path, { label, sketch: o.sketch, seed });
      return { scan, candidates: await arrowCandidates(scan, { candidates: o.candidates }) };
    });
    const sketched = await phase(
      "sketch (read its cells)",
      () => readArrowCells(path, scan.sketch!, candidates.genes),
    );
    const fitted = await phase(`train YOTO k = ${o.k}`, async () => {
      const yoto = await loadSelector("yoto", o.epochs ? { epochs: o.epochs } : undefined);
      return yoto.fit(sketched, {
        k: o.k,
        tasks: [label],
        candidates: sketched.genes,
        seed,
        quiet: true,
      });
    });
    const scores = await phase("predict (streamed)", async () => {
      const classes = scan.labels!.categories, code = new Map(classes.map((c, i) => [c, i]));
      const inSketch = new Set(scan.sketch!);
      const yTrue: number[] = [], yPred: number[] = [];
      for await (const { start, dataset } of streamArrow(path)) {
        const p = fitted.predict!(dataset).find((t) => t.task === label)!;
        const truth = dataset.labels(label);
        for (let i = 0; i < dataset.nCells; i++) {
          if (inSketch.has(start + i)) continue;
          yTrue.push(code.get(truth[i]!)!);
          yPred.push(code.get(p.labels![i])!);
        }
      }
      return classificationReport(yTrue, yPred, classes.length);
    });
    fitted.dispose();
    return {
      ...o,
      fileMiB: Deno.statSync(path).size / 2 ** 20,
      sketchCells: sketched.nCells,
      phases,
      macroF1: scores.macroF1,
      accuracy: scores.accuracy,
      perPhase,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Each size in a child process of its own (a clean peak RSS), then the tables. */
async function benchScale(sizes: number[], o: Omit<ScaleSettings, "cells">) {
  const results: ScaleResult[] = [];
  for (const cells of sizes) {
    const args = [
      "run",
      "-A",
      fileURLToPath(import.meta.url),
      "scale",
      "--json",
      ...Object.entries({ ...o, cells }).flatMap(([key, v]) =>
        v === undefined ? [] : [`--${key}`, String(v)]
      ),
    ];
    const child = await new Deno.Command(Deno.execPath(), { args, stderr: "inherit" }).output();
    const out = new TextDecoder().decode(child.stdout).trim().split("\n").pop() ?? "";
    if (!child.success) throw new Error(`the ${cells}-cell run failed (exit ${child.code})`);
    results.push(JSON.parse(out));
  }
  const mib = (v: number) => v.toFixed(0);
  const n = (v: number) => v.toLocaleString("en");
  console.log(
    `\nscale benchmark: ${n(o.genes)} genes, sketch ${n(o.sketch)} cells (cell-type-balanced), ` +
      `${n(o.candidates)} candidates, YOTO k = ${o.k}${o.epochs ? `, ${o.epochs} epochs` : ""}; ` +
      `record batches of ${n(SCALE_CHUNK)} cells\n`,
  );
  console.log(markdownTable(
    ["cells", "phase", "seconds", "peak RSS (MiB)"],
    results.flatMap((r) =>
      r.phases.map((p) => [n(r.cells), p.phase, p.seconds.toFixed(1), mib(p.peakMiB)])
    ),
  ));
  const base = Math.max(...results[0].phases.map((p) => p.peakMiB));
  console.log("");
  console.log(markdownTable(
    [
      "cells",
      ".arrow MiB",
      "sketch cells",
      "total seconds",
      "process peak RSS (MiB)",
      "vs first size",
      "macro-F1 outside the sketch",
      "accuracy",
    ],
    results.map((r) => {
      const peak = Math.max(...r.phases.map((p) => p.peakMiB));
      return [
        n(r.cells),
        mib(r.fileMiB),
        n(r.sketchCells),
        r.phases.reduce((s, p) => s + p.seconds, 0).toFixed(1),
        mib(peak),
        `${(peak / base).toFixed(2)}x`,
        r.macroF1.toFixed(3),
        r.accuracy.toFixed(3),
      ];
    }),
  ));
  if (results.some((r) => !r.perPhase)) {
    console.log("\nnote: peak RSS could not be reset per phase here: each is the peak so far");
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
    sketch: { type: "string" },
    candidates: { type: "string" },
    epochs: { type: "string" },
    json: { type: "boolean" },
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
  if (positionals[0] === "step") {
    const names = YOTO_RUNS.map((r) => r.name);
    return await benchStep(
      listFlag(values.runs, "ifnb1k-annotations,ctrl12k", "runs", names),
      numberFlag(values.repeats, "repeats", 5, { integer: true, min: 1 }),
      shared,
    );
  }
  if (positionals[0] === "scale") {
    const sizes = listFlag(values.cells, "100000,300000,1000000", "cells")
      .map((x) => numberFlag(x, "cells", 100_000, { integer: true, min: 1 }));
    const settings = {
      genes: numberFlag(values.genes, "genes", 20_000, { integer: true, min: 1 }),
      k: numberFlag(values.k, "k", 64, { integer: true, min: 1 }),
      sketch: numberFlag(values.sketch, "sketch", 50_000, { integer: true, min: 1 }),
      candidates: numberFlag(values.candidates, "candidates", 2000, { integer: true, min: 1 }),
      epochs: values.epochs === undefined
        ? undefined
        : numberFlag(values.epochs, "epochs", 1, { integer: true, min: 1 }),
    };
    if (!values.json) return await benchScale(sizes, settings);
    if (sizes.length !== 1) {
      throw new OptionError("--json runs one size", { fix: "pass one value to --cells" });
    }
    return console.log(JSON.stringify(await scaleRun({ ...settings, cells: sizes[0] })));
  }
  if (positionals[0] !== "load") {
    throw new OptionError(`unknown benchmark '${positionals[0]}'`, {
      fix: "use: deno task bench load | deno task bench scale | deno task bench step | " +
        `deno task bench METHOD (${SELECTOR_NAMES.join(", ")})`,
    });
  }
  await benchLoad(
    numberFlag(values.cells, "cells", 100_000, { integer: true, min: 1 }),
    numberFlag(values.genes, "genes", 2_000, { integer: true, min: 1 }),
    numberFlag(values.repeats, "repeats", 3, { integer: true, min: 1 }),
    shared,
  );
});
