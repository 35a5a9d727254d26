/**
 * The embedded default dataset: simulated PBMC-like UMI counts with known truth (marker genes
 * per cell type, a stimulation program, donor batch effects), for demos and tests.
 *
 * Model, per cell c of type t, condition k, donor d and gene g:
 *   count ~ NegativeBinomial(L_c * f_{t,k,d}(g), theta_g), then zeroed with probability `dropout`,
 * where L_c is a log-normal library size and f the gene fractions of a profile:
 *   f ∝ base_g * exp(type_t(g) + stim_{t}(g) [k = stim] + donor_d(g)), summing to 1,
 * with base log-normal (heavy-tailed means), type_t = small noise plus `markerLogFC` on the type's
 * markers, stim_t = the type's response on the shared stim genes, donor_d ~ N(0, donorEffectSd).
 * @module
 */
import { type CsrMatrix, Dataset, type ObsColumn } from "./dataset.ts";
import { apportion } from "./split.ts";
import { OptionError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";

/** Everything that can be changed about the simulation; omitted fields take the defaults. */
export interface SimulateOptions {
  /** Number of cells (default 3000). */
  nCells?: number;
  /** Number of genes (default 2000). */
  nGenes?: number;
  /** Number of cell types (default 7, or the length of `typeNames` / `proportions`). */
  nTypes?: number;
  /**
   * Cell type names (default "CD4 T", "CD8 T", "NK", "B", "CD14 Mono", "FCGR3A Mono", "DC",
   * then "Type8", ...).
   */
  typeNames?: string[];
  /**
   * Fraction of cells per type, summing to 1 (default PBMC-like
   * 0.35/0.15/0.1/0.12/0.15/0.08/0.05; equal for custom names).
   */
  proportions?: number[];
  /** Marker genes per type (default 4). */
  markersPerType?: number;
  /** Typical ln fold change of a marker in its own type (default 2.5; each marker 0.75-1.25 x). */
  markerLogFC?: number;
  /** Sd of the small ln differences between types on every gene (default 0.1). */
  typeEffectSd?: number;
  /** 0 = no condition column, 1 = all "ctrl", 2 = "ctrl"/"stim" with a stim program (default 2). */
  nConditions?: number;
  /** Number of genes up-regulated in stim cells (default 30). */
  stimGenes?: number;
  /** Typical ln fold change of a stim gene (default 1.5; per gene 0.5-1.5 x, varying by type). */
  stimLogFC?: number;
  /** Number of donors "donor1", ... (default 4). */
  nDonors?: number;
  /** Sd of the per-donor per-gene ln expression factors (default 0.15). */
  donorEffectSd?: number;
  /** Sd of the ln library size across cells (default 0.35). */
  librarySizeSd?: number;
  /** Mean expected total counts per cell, before dropout (default 3000). */
  meanLibrarySize?: number;
  /** Median negative-binomial theta (inverse dispersion); genes vary around it (default 5). */
  dispersion?: number;
  /** Extra probability that a non-zero count is zeroed (default 0). */
  dropout?: number;
  /** Seed of the random stream (default 0). */
  seed?: number;
}

/** The options with every default filled in (stored as `uns.simulation`). */
export type SimulationParams = Required<SimulateOptions>;

/** What the simulation put in, to check methods against. */
export interface SimulationTruth {
  typeNames: string[];
  /** Marker gene names per type. */
  markers: Record<string, string[]>;
  /** The ln fold change of each marker in its own type (same order as `markers`). */
  markerLogFC: Record<string, number[]>;
  /** Genes of the stimulation program (empty unless nConditions = 2). */
  stimGenes: string[];
  /** Per type, the ln fold change of each stim gene in stim cells (0 = no response). */
  stimLogFC: Record<string, number[]>;
  /** Per cell: type code (= `cell_type` codes). */
  typeOf: Int32Array;
  /** Per cell: 0 = ctrl, 1 = stim. */
  conditionOf: Int32Array;
  /** Per cell: donor code (= `donor` codes). */
  donorOf: Int32Array;
  /** Per cell: expected total counts before dropout. */
  librarySize: Float64Array;
  /** Per gene: baseline mean count of a cell of `meanLibrarySize`. */
  geneMean: Float64Array;
  /** Per gene: negative-binomial theta. */
  theta: Float64Array;
  /** nDonors x nGenes row-major: ln expression factor of each donor on each gene. */
  donorLogEffect: Float64Array;
}

const PBMC_TYPES = ["CD4 T", "CD8 T", "NK", "B", "CD14 Mono", "FCGR3A Mono", "DC"];
const PBMC_PROPORTIONS = [0.35, 0.15, 0.1, 0.12, 0.15, 0.08, 0.05];
/** Weight of each type beyond the seven PBMC ones, before renormalising. */
const EXTRA_TYPE_PROPORTION = 0.05;
/** Sd of ln baseline gene means: means span ~0.01..50 counts for 2000 genes and 3000 UMIs. */
const GENE_MEAN_SD = 1.8;
/** Sd of ln theta around `dispersion` across genes. */
const THETA_SD = 0.5;
/** Markers and stim genes come from this quantile band of gene means: often seen, not always. */
const PROGRAM_GENE_QUANTILES = [0.2, 0.8];
/** Chance that a type does not respond to a given stim gene, and sd of ln response across types. */
const STIM_NONRESPONSE = 0.2;
const STIM_TYPE_SD = 0.3;
/** Above this mean the gamma-Poisson draw is cheaper than walking the CDF. */
const INVERSE_CDF_MAX_MEAN = 40;
/** Entries buffered before they are copied out to a CSR chunk. */
const CHUNK_ENTRIES = 1 << 20;

const DEFAULTS: Omit<SimulationParams, "nTypes" | "typeNames" | "proportions"> = {
  nCells: 3000,
  nGenes: 2000,
  markersPerType: 4,
  markerLogFC: 2.5,
  typeEffectSd: 0.1,
  nConditions: 2,
  stimGenes: 30,
  stimLogFC: 1.5,
  nDonors: 4,
  donorEffectSd: 0.15,
  librarySizeSd: 0.35,
  meanLibrarySize: 3000,
  dispersion: 5,
  dropout: 0,
  seed: 0,
};

function fail(field: string, problem: string, fix?: string): never {
  throw new OptionError(problem, { field, fix });
}

function checkInt(field: string, value: number, min: number): void {
  if (!(Number.isInteger(value) && value >= min)) {
    fail(field, `must be an integer >= ${min}, got ${value}`);
  }
}

function checkNumber(field: string, value: number, min: number, max = Infinity): void {
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    fail(field, `must be a finite number in [${min}, ${max}], got ${value}`);
  }
}

function resolveTypes(o: SimulateOptions): { typeNames: string[]; proportions: number[] } {
  const n = o.typeNames?.length ?? o.proportions?.length ?? o.nTypes ?? PBMC_TYPES.length;
  checkInt("nTypes", n, 1);
  const counts = {
    nTypes: o.nTypes,
    typeNames: o.typeNames?.length,
    proportions: o.proportions?.length,
  };
  for (const [field, given] of Object.entries(counts)) {
    if (given !== undefined && given !== n) {
      fail(
        field,
        `gives ${given} types where the other type options give ${n}`,
        "give matching nTypes, typeNames and proportions",
      );
    }
  }
  const typeNames = o.typeNames ??
    Array.from({ length: n }, (_, t) => PBMC_TYPES[t] ?? `Type${t + 1}`);
  if (new Set(typeNames).size !== n || typeNames.some((name) => !name)) {
    fail("typeNames", "type names must be distinct and non-empty");
  }
  let proportions = o.proportions;
  if (!proportions) {
    const weights = o.typeNames
      ? typeNames.map(() => 1)
      : typeNames.map((_, t) => PBMC_PROPORTIONS[t] ?? EXTRA_TYPE_PROPORTION);
    const total = weights.reduce((s, w) => s + w, 0);
    proportions = weights.map((w) => w / total);
  }
  if (
    proportions.some((p) => !(p >= 0)) ||
    Math.abs(proportions.reduce((s, p) => s + p, 0) - 1) > 1e-6
  ) {
    fail("proportions", `must be >= 0 and sum to 1, got ${proportions.join(", ")}`);
  }
  return { typeNames: [...typeNames], proportions: [...proportions] };
}

/** Only a two-condition design has a stimulation program. */
function stimGeneCount(p: SimulationParams): number {
  return p.nConditions === 2 ? p.stimGenes : 0;
}

function resolveOptions(options: SimulateOptions): SimulationParams {
  const known = new Set([...Object.keys(DEFAULTS), "nTypes", "typeNames", "proportions"]);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length) {
    fail(unknown[0], "unknown simulate option", `use one of: ${[...known].join(", ")}`);
  }
  // Explicit undefined means "default", as for an omitted field.
  const o: SimulateOptions = Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  );
  const { typeNames, proportions } = resolveTypes(o);
  const p: SimulationParams = {
    ...DEFAULTS,
    ...o,
    nTypes: typeNames.length,
    typeNames,
    proportions,
  };
  checkInt("nCells", p.nCells, 1);
  checkInt("nGenes", p.nGenes, 1);
  checkInt("markersPerType", p.markersPerType, 0);
  checkInt("nConditions", p.nConditions, 0);
  if (p.nConditions > 2) fail("nConditions", `must be 0, 1 or 2, got ${p.nConditions}`);
  checkInt("stimGenes", p.stimGenes, 0);
  checkInt("nDonors", p.nDonors, 1);
  checkNumber("markerLogFC", p.markerLogFC, -20, 20);
  checkNumber("stimLogFC", p.stimLogFC, -20, 20);
  checkNumber("typeEffectSd", p.typeEffectSd, 0, 5);
  checkNumber("donorEffectSd", p.donorEffectSd, 0, 5);
  checkNumber("librarySizeSd", p.librarySizeSd, 0, 5);
  checkNumber("meanLibrarySize", p.meanLibrarySize, Number.MIN_VALUE);
  checkNumber("dispersion", p.dispersion, Number.MIN_VALUE);
  checkNumber("dropout", p.dropout, 0, 1);
  checkNumber("seed", p.seed, -Infinity);
  const stimCount = stimGeneCount(p);
  const programGenes = p.nTypes * p.markersPerType + stimCount;
  if (programGenes > p.nGenes) {
    fail(
      "markersPerType",
      `${p.nTypes} types x ${p.markersPerType} markers + ${stimCount} stim genes ` +
        `need ${programGenes} distinct genes, only ${p.nGenes} simulated`,
      "raise nGenes or lower markersPerType / stimGenes",
    );
  }
  return p;
}

/**
 * Negative-binomial draw. Walking the CDF from one uniform is exact and ~3x faster than
 * gamma-Poisson for the small means that dominate UMI data; large means use rng.negativeBinomial.
 */
function drawCount(rng: Rng, mean: number, theta: number): number {
  if (mean > INVERSE_CDF_MAX_MEAN) return rng.negativeBinomial(mean, theta);
  const u = rng.uniform();
  // P(0) = (1 + mean/theta)^-theta >= exp(-mean) >= 1 - mean: most zeros need no pow().
  if (u < 1 - mean) return 0;
  const q = mean / (mean + theta);
  let p = Math.pow(theta / (mean + theta), theta);
  let cdf = p, k = 0;
  while (u >= cdf) {
    p *= ((k + theta) / (k + 1)) * q;
    k++;
    // Rounding can leave the summed CDF just below u; stop once the tail adds nothing.
    if (cdf + p === cdf) break;
    cdf += p;
  }
  return k;
}

/** Gene-level design: means, dispersions, programs and the (type, condition, donor) profiles. */
function designGenes(p: SimulationParams, rng: Rng, geneNames: string[]) {
  const G = p.nGenes, T = p.nTypes, K = Math.max(1, p.nConditions), D = p.nDonors;
  const logBase = Float64Array.from({ length: G }, () => rng.normal(0, GENE_MEAN_SD));
  const baseSum = logBase.reduce((s, v) => s + Math.exp(v), 0);
  const geneMean = logBase.map((v) => (p.meanLibrarySize * Math.exp(v)) / baseSum);
  const theta = Float64Array.from(
    { length: G },
    () => p.dispersion * Math.exp(rng.normal(0, THETA_SD)),
  );

  // Program genes: preferably from the middle band of baseline means, then any other gene.
  const byMean = Array.from({ length: G }, (_, g) => g).sort((a, b) => geneMean[a] - geneMean[b]);
  const [lo, hi] = PROGRAM_GENE_QUANTILES.map((q) => Math.floor(q * G));
  const candidates = [
    ...rng.shuffle(byMean.slice(lo, hi)),
    ...rng.shuffle([...byMean.slice(0, lo), ...byMean.slice(hi)]),
  ];
  const markerGenes = candidates.slice(0, T * p.markersPerType);
  const stimGenes = candidates.slice(markerGenes.length, markerGenes.length + stimGeneCount(p));

  const typeLog = Float64Array.from({ length: T * G }, () => rng.normal(0, p.typeEffectSd));
  const markers: Record<string, string[]> = {}, markerLogFC: Record<string, number[]> = {};
  p.typeNames.forEach((name, t) => {
    const genes = markerGenes.slice(t * p.markersPerType, (t + 1) * p.markersPerType);
    markers[name] = genes.map((g) => geneNames[g]);
    markerLogFC[name] = genes.map((g) => {
      const lfc = p.markerLogFC * (0.75 + 0.5 * rng.uniform());
      typeLog[t * G + g] += lfc;
      return lfc;
    });
  });
  const stimBase = stimGenes.map(() => p.stimLogFC * (0.5 + rng.uniform()));
  const stimLogFC: Record<string, number[]> = {};
  for (const name of p.typeNames) {
    stimLogFC[name] = stimBase.map((b) =>
      rng.uniform() < STIM_NONRESPONSE ? 0 : b * Math.exp(rng.normal(0, STIM_TYPE_SD))
    );
  }
  const donorLogEffect = Float64Array.from({ length: D * G }, () => rng.normal(0, p.donorEffectSd));

  // profiles[((t * K + k) * D + d) * G + g]: gene fractions summing to 1 for that cell group.
  const profiles = new Float64Array(T * K * D * G);
  const logMean = new Float64Array(G);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < K; k++) {
      for (let d = 0; d < D; d++) {
        for (let g = 0; g < G; g++) {
          logMean[g] = logBase[g] + typeLog[t * G + g] + donorLogEffect[d * G + g];
        }
        if (k === 1) stimGenes.forEach((g, s) => (logMean[g] += stimLogFC[p.typeNames[t]][s]));
        const off = ((t * K + k) * D + d) * G;
        let sum = 0;
        for (let g = 0; g < G; g++) sum += profiles[off + g] = Math.exp(logMean[g]);
        for (let g = 0; g < G; g++) profiles[off + g] /= sum;
      }
    }
  }
  return {
    geneMean,
    theta,
    markers,
    markerLogFC,
    stimGenes: stimGenes.map((g) => geneNames[g]),
    stimLogFC,
    donorLogEffect,
    profiles,
  };
}

/** Cell-level design: type (exact proportions, shuffled), condition, donor and library size. */
function designCells(p: SimulationParams, rng: Rng) {
  const n = p.nCells;
  const typeOf = new Int32Array(n);
  let start = 0;
  apportion(n, p.proportions, rng).forEach((count, t) => {
    typeOf.fill(t, start, start + count);
    start += count;
  });
  rng.shuffle(typeOf);
  const conditionOf = Int32Array.from({ length: n }, () => (p.nConditions === 2 ? rng.int(2) : 0));
  const donorOf = Int32Array.from({ length: n }, () => rng.int(p.nDonors));
  const sd = p.librarySizeSd;
  const librarySize = Float64Array.from(
    { length: n },
    () => p.meanLibrarySize * Math.exp(rng.normal(-sd * sd / 2, sd)),
  );
  return { typeOf, conditionOf, donorOf, librarySize };
}

/** Every cell's counts, row by row, straight into CSR (memory ~ non-zeros, not cells x genes). */
function drawCounts(
  p: SimulationParams,
  genes: ReturnType<typeof designGenes>,
  cells: ReturnType<typeof designCells>,
  rng: Rng,
): CsrMatrix {
  const G = p.nGenes, K = Math.max(1, p.nConditions), D = p.nDonors;
  const indptr = new Int32Array(p.nCells + 1);
  const chunks: { indices: Int32Array; values: Float32Array }[] = [];
  const bufIdx = new Int32Array(Math.max(CHUNK_ENTRIES, G)),
    bufVal = new Float32Array(bufIdx.length);
  let fill = 0, nnz = 0;
  const flush = () => {
    chunks.push({ indices: bufIdx.slice(0, fill), values: bufVal.slice(0, fill) });
    fill = 0;
  };
  for (let c = 0; c < p.nCells; c++) {
    if (fill + G > bufIdx.length) flush();
    const off = ((cells.typeOf[c] * K + cells.conditionOf[c]) * D + cells.donorOf[c]) * G;
    const size = cells.librarySize[c];
    const before = fill;
    for (let g = 0; g < G; g++) {
      const count = drawCount(rng, size * genes.profiles[off + g], genes.theta[g]);
      if (count > 0 && !(p.dropout > 0 && rng.uniform() < p.dropout)) {
        bufIdx[fill] = g;
        bufVal[fill++] = count;
      }
    }
    nnz += fill - before;
    indptr[c + 1] = nnz;
  }
  flush();
  const indices = new Int32Array(nnz), values = new Float32Array(nnz);
  let at = 0;
  // shift() lets each copied chunk be collected: peak memory stays near 2 x nnz.
  for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
    indices.set(chunk.indices, at);
    values.set(chunk.values, at);
    at += chunk.indices.length;
  }
  return { kind: "csr", nRows: p.nCells, nCols: G, indptr, indices, values };
}

/**
 * Simulate a PBMC-like UMI count dataset (CSR) with obs `cell_type`, `condition` (unless
 * nConditions = 0), `donor` and the `cell_id` index, plus the truth it was made from.
 * Bit-identical for the same options; gene-level truth depends only on the seed and gene/type
 * options, not on nCells. Memory is proportional to the non-zeros.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "yoto";
 * const { dataset, truth } = simulate({ nCells: 500, seed: 1 });
 * assert.equal(dataset.nCells, 500);
 * assert.equal(truth.markers["B"].length, 4);
 * ```
 */
export function simulate(
  options: SimulateOptions = {},
): { dataset: Dataset; truth: SimulationTruth } {
  const p = resolveOptions(options);
  const G = p.nGenes, D = p.nDonors;
  const root = new Rng(p.seed);
  const width = Math.max(4, String(G).length);
  const geneNames = Array.from({ length: G }, (_, g) => `G${String(g + 1).padStart(width, "0")}`);
  const genes = designGenes(p, root.fork("genes"), geneNames);
  const cells = designCells(p, root.fork("cells"));

  const X = drawCounts(p, genes, cells, root.fork("counts"));

  const idWidth = Math.max(4, String(p.nCells).length);
  const obs: Record<string, ObsColumn> = {
    cell_id: {
      kind: "string",
      values: Array.from(
        { length: p.nCells },
        (_, c) => `cell${String(c + 1).padStart(idWidth, "0")}`,
      ),
    },
    cell_type: { kind: "categorical", codes: cells.typeOf, categories: [...p.typeNames] },
  };
  if (p.nConditions > 0) {
    obs.condition = {
      kind: "categorical",
      codes: cells.conditionOf,
      categories: ["ctrl", "stim"].slice(0, p.nConditions),
    };
  }
  obs.donor = {
    kind: "categorical",
    codes: cells.donorOf,
    categories: Array.from({ length: D }, (_, d) => `donor${d + 1}`),
  };
  const dataset = new Dataset({
    X,
    var: { gene: geneNames },
    obs,
    obsIndex: "cell_id",
    uns: { simulation: p },
  });
  const truth: SimulationTruth = {
    typeNames: [...p.typeNames],
    markers: genes.markers,
    markerLogFC: genes.markerLogFC,
    stimGenes: genes.stimGenes,
    stimLogFC: genes.stimLogFC,
    typeOf: cells.typeOf.slice(),
    conditionOf: cells.conditionOf.slice(),
    donorOf: cells.donorOf.slice(),
    librarySize: cells.librarySize,
    geneMean: genes.geneMean,
    theta: genes.theta,
    donorLogEffect: genes.donorLogEffect,
  };
  return { dataset, truth };
}
