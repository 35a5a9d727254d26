/**
 * Example datasets for notebooks and trials: the shared real data when it is there (Kang et al.
 * 2018 PBMCs, in a `shared/data` folder beside the project), the simulator otherwise, with the
 * label columns and known marker genes of whichever was loaded.
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Dataset } from "./dataset.ts";
import { readDataset } from "./io.ts";
import { simulate, type SimulateOptions } from "./simulate.ts";
import { OptionError } from "../runtime/errors.ts";

/** The example datasets: two shared real ones and the simulator. */
export const EXAMPLE_NAMES = ["kang_ifnb1k", "kang_ctrl12k", "simulated"] as const;

/** Name of an example dataset. */
export type ExampleName = typeof EXAMPLE_NAMES[number];

/** The label columns of an example. */
export interface ExampleLabels {
  /** Cell type. */
  cellType: string;
  /** Stimulation or condition, when the dataset has more than one. */
  condition?: string;
  /** Donor or sample. */
  donor?: string;
}

/** What {@link loadExample} loaded. */
export interface Example {
  /** The dataset loaded: "simulated" when the asked-for file was absent. */
  name: ExampleName;
  dataset: Dataset;
  labels: ExampleLabels;
  /** Known marker genes of its cell types that the dataset has (candidates to force in). */
  markers: string[];
  /** The file read; absent for simulated data. */
  path?: string;
  /** One line: what was loaded. */
  description: string;
  /** One line, only when the simulator stood in: which file was missing and where it was looked for. */
  note?: string;
}

/** Options of {@link loadExample}. */
export interface LoadExampleOptions {
  /**
   * The shared data folder (default: the YOTO_SHARED_DATA environment variable, else the first
   * `shared/data` holding the dataset in the working directory or a folder above it).
   */
  dir?: string;
  /** The simulator's settings (default 1500 cells, 500 genes, seed 0). */
  simulate?: SimulateOptions;
}

/** Classic PBMC markers (T, B, NK, monocytes, CD8 and naive/memory T cells). */
const PBMC_MARKERS = ["CD3E", "MS4A1", "CD79A", "NKG7", "LYZ", "CD14", "CD8A", "IL7R"];

const SHARED: Record<Exclude<ExampleName, "simulated">, { labels: ExampleLabels; about: string }> =
  {
    kang_ifnb1k: {
      labels: { cellType: "seurat_annotations", condition: "stim", donor: "orig.ident" },
      about: "Kang et al. 2018, IFN-β stimulated and control PBMCs",
    },
    kang_ctrl12k: {
      labels: { cellType: "cluster_id", donor: "sample_id" },
      about: "Kang et al. 2018, control PBMCs of 8 donors",
    },
  };

/**
 * Load an example dataset (default kang_ifnb1k) from the shared data folder, or simulate PBMC-like
 * counts when its file is absent (a fresh clone), saying so in `note`. "simulated" always
 * simulates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ex = await loadExample("simulated", { simulate: { nCells: 300, nGenes: 200, seed: 1 } });
 * assert.equal(ex.dataset.nCells, 300);
 * assert.equal(ex.labels.cellType, "cell_type");
 * assert.ok(ex.markers.every((g) => ex.dataset.genes.includes(g)));
 * ```
 */
export async function loadExample(
  name: ExampleName = "kang_ifnb1k",
  options: LoadExampleOptions = {},
): Promise<Example> {
  if (!(EXAMPLE_NAMES as readonly string[]).includes(name)) {
    throw new OptionError(`no example dataset '${name}'`, {
      fix: `use one of ${EXAMPLE_NAMES.join(", ")}`,
    });
  }
  let note: string | undefined;
  if (name !== "simulated") {
    const file = join(name, `${name}.h5ad`);
    const given = options.dir ?? sharedDirEnv();
    const dirs = given !== undefined
      ? [given]
      : ancestors(Deno.cwd()).map((d) => join(d, "shared", "data"));
    const found = dirs.map((d) => resolve(d, file)).find((p) => existsSync(p));
    if (found) {
      const dataset = await readDataset(found, { quiet: true });
      const { labels, about } = SHARED[name];
      const markers = PBMC_MARKERS.filter((g) => dataset.genes.includes(g));
      return { name, dataset, labels, markers, path: found, description: `${name} (${about})` };
    }
    note = `the shared ${name} data is absent: no ${file} in ` +
      (dirs.length === 1
        ? dirs[0]
        : `shared/data of ${Deno.cwd()} or a folder above it (set YOTO_SHARED_DATA to the folder)`);
  }
  const settings = { nCells: 1500, nGenes: 500, seed: 0, ...options.simulate };
  const { dataset, truth } = simulate(settings);
  return {
    name: "simulated",
    dataset,
    labels: {
      cellType: "cell_type",
      ...(dataset.hasObs("condition") ? { condition: "condition" } : {}),
      donor: "donor",
    },
    markers: Object.values(truth.markers).flat(),
    description: `simulated PBMC-like counts (simulate(): ${dataset.nCells} cells, ` +
      `${dataset.nGenes} genes, seed ${settings.seed})`,
    ...(note ? { note } : {}),
  };
}

/** YOTO_SHARED_DATA, when set and readable (no env permission reads as unset). */
function sharedDirEnv(): string | undefined {
  try {
    return Deno.env.get("YOTO_SHARED_DATA") || undefined;
  } catch {
    return undefined;
  }
}

/** `dir` and every folder above it, nearest first. */
function ancestors(dir: string): string[] {
  const out = [resolve(dir)];
  while (dirname(out.at(-1)!) !== out.at(-1)) out.push(dirname(out.at(-1)!));
  return out;
}
