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
 *
 * With `hierarchy` (types per level, coarse to fine) the types form a tree: each type of a level
 * splits one type of the level above, every type has its own marker program, and a finest type's
 * type_t adds the programs of all its ancestors to its own, so subtypes of one parent share the
 * parent's markers and differ by their own (weaker at finer levels by default).
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
  /**
   * Types per level of a type hierarchy, coarse to fine, each at least the one before (e.g.
   * [5, 25, 98]); sets the types, so `typeNames` and `proportions` are not given with it. Every
   * type of a level is split among the types of the next (at least one child each, the others
   * spread at random, so splits are uneven). Types are named by their path ("T3", "T3.2",
   * "T3.2.1"); a cell's type at each coarser level is in obs `level1`, `level2`, ..., the finest
   * in `cell_type`. Proportions are uneven: each finest type's is a log-normal weight (ln sd
   * 0.75; a few types are ~5x rarer than the median one), a coarser type's is the sum of its
   * subtypes'. Default: no hierarchy.
   */
  hierarchy?: number[];
  /** With `hierarchy`: marker genes per type at each level (default `markersPerType` at each). */
  levelMarkers?: number[];
  /**
   * With `hierarchy`: typical ln fold change of each level's markers (default `markerLogFC` x
   * 0.7^level: 2.5, 1.75, 1.23 for three levels).
   */
  levelLogFC?: number[];
}

/** The options that only a type hierarchy has. */
type HierarchyKey = "hierarchy" | "levelMarkers" | "levelLogFC";

/**
 * The options with every default filled in (stored as `uns.simulation`); the hierarchy options
 * only when `hierarchy` is given, and then `typeNames` and `proportions` are its finest types.
 */
export type SimulationParams =
  & Required<Omit<SimulateOptions, HierarchyKey>>
  & Pick<SimulateOptions, HierarchyKey>;

/** One level of a simulated type hierarchy (coarse to fine), as recorded in the truth. */
export interface HierarchyLevel {
  /** The obs column of this level's labels ("level1", ..., "cell_type" for the finest). */
  column: string;
  typeNames: string[];
  /** Per type, the index of its parent in the level above (-1 at the top level). */
  parent: number[];
  /** Per type, the marker genes of this level's own program (its ancestors' not included). */
  markers: Record<string, string[]>;
  /** Per type, the ln fold change of each of those markers. */
  markerLogFC: Record<string, number[]>;
}

/** What the simulation put in, to check methods against. */
export interface SimulationTruth {
  typeNames: string[];
  /**
   * Marker gene names per type; with a hierarchy, per finest type: its ancestors' programs
   * (coarse first), then its own.
   */
  markers: Record<string, string[]>;
  /** The ln fold change of each marker in its own type (same order as `markers`). */
  markerLogFC: Record<string, number[]>;
  /** With `hierarchy`: the levels, coarse to fine (the last is `cell_type`). */
  hierarchy?: HierarchyLevel[];
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
/** Sd of the ln weight of a finest hierarchy type: uneven proportions, some rare types. */
const HIERARCHY_SHARE_SD = 0.75;
/** Default ratio of a hierarchy level's marker fold change to the level above's. */
const HIERARCHY_LOGFC_RATIO = 0.7;
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

/** One level of the type tree, coarse to fine: its types, their parents and marker program. */
interface TypeLevel {
  names: string[];
  /** Index of each type's parent in the level above (-1 at the top). */
  parent: Int32Array;
  /** Marker genes per type and their typical ln fold change. */
  markers: number;
  logFC: number;
}

/** A list option of the hierarchy: one value per level, each passing `check`. */
function levelList(field: string, value: unknown, levels: number, check: (v: number) => void) {
  if (!Array.isArray(value) || value.length !== levels) {
    fail(field, `must list one value per hierarchy level (${levels}), got ${value}`);
  }
  value.forEach((v) => check(v));
  return [...value] as number[];
}

/**
 * The type tree of `hierarchy`, drawn from its own fork of the seed: each type of a level gets
 * one child, the remaining children go to random parents; the finest types' proportions are
 * log-normal weights, normalised.
 */
function resolveHierarchy(o: SimulateOptions, base: typeof DEFAULTS) {
  const given = o.hierarchy!;
  if (!Array.isArray(given) || given.length === 0) {
    fail(
      "hierarchy",
      `must list the types per level, coarse to fine, got ${given}`,
      "e.g. [5, 25, 98]",
    );
  }
  given.forEach((n, l) => {
    const min = l ? given[l - 1] : 1;
    if (!(Number.isInteger(n) && n >= min)) {
      fail(
        "hierarchy",
        `level ${l + 1} has ${n} types, needs an integer count >= ${min} (the level above's)`,
        "list types per level coarse to fine, e.g. [5, 25, 98]",
      );
    }
  });
  for (const field of ["typeNames", "proportions"] as const) {
    if (o[field] !== undefined) {
      fail(
        field,
        "cannot be given with hierarchy, which names its types and sets their shares",
        `leave ${field} out`,
      );
    }
  }
  const nTypes = given[given.length - 1];
  if (o.nTypes !== undefined && o.nTypes !== nTypes) {
    fail(
      "nTypes",
      `is ${o.nTypes} but the finest hierarchy level has ${nTypes} types`,
      "leave nTypes out",
    );
  }
  const levelMarkers = o.levelMarkers === undefined
    ? given.map(() => base.markersPerType)
    : levelList(
      "levelMarkers",
      o.levelMarkers,
      given.length,
      (v) => checkInt("levelMarkers", v, 0),
    );
  const levelLogFC = o.levelLogFC === undefined
    ? given.map((_, l) => base.markerLogFC * HIERARCHY_LOGFC_RATIO ** l)
    : levelList(
      "levelLogFC",
      o.levelLogFC,
      given.length,
      (v) => checkNumber("levelLogFC", v, -20, 20),
    );
  const rng = new Rng(base.seed).fork("hierarchy");
  const levels: TypeLevel[] = [];
  let above = [""];
  given.forEach((n, l) => {
    const children = new Int32Array(above.length).fill(1);
    for (let extra = above.length; extra < n; extra++) children[rng.int(children.length)]++;
    const names: string[] = [], parent: number[] = [];
    children.forEach((count, q) => {
      for (let c = 0; c < count; c++) {
        names.push(l ? `${above[q]}.${c + 1}` : `T${c + 1}`);
        parent.push(l ? q : -1);
      }
    });
    levels.push({
      names,
      parent: Int32Array.from(parent),
      markers: levelMarkers[l],
      logFC: levelLogFC[l],
    });
    above = names;
  });
  const weights = above.map(() => Math.exp(rng.normal(0, HIERARCHY_SHARE_SD)));
  const total = weights.reduce((s, w) => s + w, 0);
  return {
    levels,
    typeNames: above,
    proportions: weights.map((w) => w / total),
    params: { hierarchy: [...given], levelMarkers, levelLogFC },
  };
}

/** Only a two-condition design has a stimulation program. */
function stimGeneCount(p: SimulationParams): number {
  return p.nConditions === 2 ? p.stimGenes : 0;
}

const HIERARCHY_KEYS: HierarchyKey[] = ["hierarchy", "levelMarkers", "levelLogFC"];

function resolveOptions(options: SimulateOptions): { p: SimulationParams; levels: TypeLevel[] } {
  const known = new Set([
    ...Object.keys(DEFAULTS),
    "nTypes",
    "typeNames",
    "proportions",
    ...HIERARCHY_KEYS,
  ]);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length) {
    fail(unknown[0], "unknown simulate option", `use one of: ${[...known].join(", ")}`);
  }
  // Explicit undefined means "default", as for an omitted field.
  const o: SimulateOptions = Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  );
  if (o.hierarchy === undefined) {
    for (const field of HIERARCHY_KEYS.slice(1)) {
      if (o[field] !== undefined) {
        fail(field, "needs hierarchy", "give hierarchy, e.g. [5, 25, 98]");
      }
    }
  }
  const tree = o.hierarchy === undefined ? null : resolveHierarchy(o, { ...DEFAULTS, ...o });
  const { typeNames, proportions } = tree ?? resolveTypes(o);
  const p: SimulationParams = {
    ...DEFAULTS,
    ...o,
    nTypes: typeNames.length,
    typeNames,
    proportions,
    ...tree?.params,
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
  const levels = tree?.levels ?? [{
    names: typeNames,
    parent: new Int32Array(typeNames.length).fill(-1),
    markers: p.markersPerType,
    logFC: p.markerLogFC,
  }];
  const stimCount = stimGeneCount(p);
  const markerCount = levels.reduce((s, level) => s + level.names.length * level.markers, 0);
  if (markerCount + stimCount > p.nGenes) {
    const [field, what] = tree
      ? [
        "levelMarkers",
        `hierarchy ${p.hierarchy!.join("/")} x levelMarkers ${p.levelMarkers!.join("/")}`,
      ]
      : ["markersPerType", `${p.nTypes} types x ${p.markersPerType} markers`];
    fail(
      field,
      `${what} + ${stimCount} stim genes need ${markerCount + stimCount} distinct genes, ` +
        `only ${p.nGenes} simulated`,
      `raise nGenes or lower ${field} / stimGenes`,
    );
  }
  return { p, levels };
}

/**
 * The simulation's parameters with every default filled in, as {@link simulate} stores them in
 * `uns.simulation`, without simulating; bad options throw the same OptionError.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulationParams } from "./simulate.ts";
 * const p = simulationParams({ hierarchy: [2, 5], seed: 1 });
 * assert.equal(p.typeNames.length, 5);
 * assert.equal(p.nCells, 3000);
 * ```
 */
export function simulationParams(options: SimulateOptions = {}): SimulationParams {
  return resolveOptions(options).p;
}

/** Per level (coarse to fine), each finest type's ancestor at that level. */
function ancestors(levels: TypeLevel[]): Int32Array[] {
  const out: Int32Array[] = [];
  const nTypes = levels[levels.length - 1].names.length;
  out[levels.length - 1] = Int32Array.from({ length: nTypes }, (_, t) => t);
  for (let l = levels.length - 2; l >= 0; l--) {
    out[l] = out[l + 1].map((child) => levels[l + 1].parent[child]);
  }
  return out;
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
function designGenes(p: SimulationParams, levels: TypeLevel[], rng: Rng, geneNames: string[]) {
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
  const markerCount = levels.reduce((s, level) => s + level.names.length * level.markers, 0);
  const markerGenes = candidates.slice(0, markerCount);
  const stimGenes = candidates.slice(markerCount, markerCount + stimGeneCount(p));

  const typeLog = Float64Array.from({ length: T * G }, () => rng.normal(0, p.typeEffectSd));
  // Each type's own program, level by level; a finest type expresses its ancestors' programs too.
  const programs: HierarchyLevel[] = [];
  const ancestorOf = ancestors(levels);
  let next = 0;
  levels.forEach((level, l) => {
    const markers: Record<string, string[]> = {}, markerLogFC: Record<string, number[]> = {};
    level.names.forEach((name, j) => {
      const genes = markerGenes.slice(next, next += level.markers);
      markers[name] = genes.map((g) => geneNames[g]);
      markerLogFC[name] = genes.map((g) => {
        const lfc = level.logFC * (0.75 + 0.5 * rng.uniform());
        for (let t = 0; t < T; t++) if (ancestorOf[l][t] === j) typeLog[t * G + g] += lfc;
        return lfc;
      });
    });
    const column = l === levels.length - 1 ? "cell_type" : `level${l + 1}`;
    programs.push({
      column,
      typeNames: [...level.names],
      parent: [...level.parent],
      markers,
      markerLogFC,
    });
  });
  const markers: Record<string, string[]> = {}, markerLogFC: Record<string, number[]> = {};
  p.typeNames.forEach((name, t) => {
    const path = programs.map((level, l) => level.typeNames[ancestorOf[l][t]]);
    markers[name] = path.flatMap((node, l) => programs[l].markers[node]);
    markerLogFC[name] = path.flatMap((node, l) => programs[l].markerLogFC[node]);
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
    programs,
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

/**
 * The counts of cells [start, end), row by row, straight into CSR (memory ~ their non-zeros, not
 * cells x genes). `rng` is one stream over the cells in order: drawing [0, a) then [a, b) gives
 * the same counts as [0, b).
 */
function drawCounts(
  p: SimulationParams,
  genes: ReturnType<typeof designGenes>,
  cells: ReturnType<typeof designCells>,
  rng: Rng,
  start: number,
  end: number,
): CsrMatrix {
  const G = p.nGenes, K = Math.max(1, p.nConditions), D = p.nDonors;
  const indptr = new Int32Array(end - start + 1);
  const chunks: { indices: Int32Array; values: Float32Array }[] = [];
  const bufIdx = new Int32Array(Math.max(CHUNK_ENTRIES, G)),
    bufVal = new Float32Array(bufIdx.length);
  let fill = 0, nnz = 0;
  const flush = () => {
    chunks.push({ indices: bufIdx.slice(0, fill), values: bufVal.slice(0, fill) });
    fill = 0;
  };
  for (let c = start; c < end; c++) {
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
    indptr[c - start + 1] = nnz;
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
  return { kind: "csr", nRows: end - start, nCols: G, indptr, indices, values };
}

/** Everything drawn before the counts: the gene and cell designs, and the counts' random stream. */
interface SimulationPlan {
  p: SimulationParams;
  levels: TypeLevel[];
  geneNames: string[];
  genes: ReturnType<typeof designGenes>;
  cells: ReturnType<typeof designCells>;
  counts: Rng;
}

function plan(options: SimulateOptions): SimulationPlan {
  const { p, levels } = resolveOptions(options);
  const G = p.nGenes;
  const root = new Rng(p.seed);
  const width = Math.max(4, String(G).length);
  const geneNames = Array.from({ length: G }, (_, g) => `G${String(g + 1).padStart(width, "0")}`);
  const genes = designGenes(p, levels, root.fork("genes"), geneNames);
  const cells = designCells(p, root.fork("cells"));
  return { p, levels, geneNames, genes, cells, counts: root.fork("counts") };
}

/** Cells [start, end) of the simulation as a Dataset; chunks must be drawn in order. */
function cellRange(s: SimulationPlan, start: number, end: number): Dataset {
  const { p, levels, genes, cells } = s;
  const X = drawCounts(p, genes, cells, s.counts, start, end);
  const idWidth = Math.max(4, String(p.nCells).length);
  const obs: Record<string, ObsColumn> = {
    cell_id: {
      kind: "string",
      values: Array.from(
        { length: end - start },
        (_, c) => `cell${String(start + c + 1).padStart(idWidth, "0")}`,
      ),
    },
  };
  const typeOf = cells.typeOf.slice(start, end);
  // Coarser hierarchy levels first, as the finest type's ancestors (none without a hierarchy).
  const ancestorOf = ancestors(levels);
  genes.programs.slice(0, -1).forEach((level, l) => {
    obs[level.column] = {
      kind: "categorical",
      codes: typeOf.map((t) => ancestorOf[l][t]),
      categories: [...level.typeNames],
    };
  });
  obs.cell_type = { kind: "categorical", codes: typeOf, categories: [...p.typeNames] };
  if (p.nConditions > 0) {
    obs.condition = {
      kind: "categorical",
      codes: cells.conditionOf.slice(start, end),
      categories: ["ctrl", "stim"].slice(0, p.nConditions),
    };
  }
  obs.donor = {
    kind: "categorical",
    codes: cells.donorOf.slice(start, end),
    categories: Array.from({ length: p.nDonors }, (_, d) => `donor${d + 1}`),
  };
  return new Dataset({
    X,
    var: { gene: s.geneNames },
    obs,
    obsIndex: "cell_id",
    uns: { simulation: p },
  });
}

function truthOf(s: SimulationPlan): SimulationTruth {
  const { p, genes, cells } = s;
  return {
    typeNames: [...p.typeNames],
    markers: genes.markers,
    markerLogFC: genes.markerLogFC,
    ...(p.hierarchy ? { hierarchy: genes.programs } : {}),
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
}

/**
 * Simulate a PBMC-like UMI count dataset (CSR) with obs `cell_type` (after `level1`, ... with a
 * `hierarchy`), `condition` (unless nConditions = 0), `donor` and the `cell_id` index, plus the
 * truth it was made from.
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
  const s = plan(options);
  return { dataset: cellRange(s, 0, s.p.nCells), truth: truthOf(s) };
}

/** What {@link simulateChunks} returns. */
export interface SimulationChunks {
  /** The truth of the whole simulation, as {@link simulate} gives it. */
  truth: SimulationTruth;
  /** The cells in order, `chunkCells` at a time (the last chunk holds the rest); one pass only. */
  chunks: Generator<Dataset, void, undefined>;
}

/**
 * The simulation of {@link simulate}, drawn `chunkCells` cells at a time for data larger than
 * memory: the gene, type and donor parameters are drawn once, and the chunks concatenated are
 * exactly `simulate(options).dataset` (same counts, obs, cell ids and uns). Memory is one chunk's
 * non-zeros plus the per-cell design (type, condition, donor, library size: 20 bytes a cell).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate, simulateChunks } from "./simulate.ts";
 * const { chunks } = simulateChunks({ nCells: 50, nGenes: 80, seed: 3 }, 20);
 * const parts = [...chunks];
 * assert.deepEqual(parts.map((d) => d.nCells), [20, 20, 10]);
 * const whole = simulate({ nCells: 50, nGenes: 80, seed: 3 }).dataset;
 * assert.deepEqual(parts[2].values, whole.values.subarray(whole.indptr[40]));
 * ```
 */
export function simulateChunks(options: SimulateOptions, chunkCells: number): SimulationChunks {
  checkInt("chunkCells", chunkCells, 1);
  const s = plan(options);
  function* chunks() {
    for (let start = 0; start < s.p.nCells; start += chunkCells) {
      yield cellRange(s, start, Math.min(s.p.nCells, start + chunkCells));
    }
  }
  return { truth: truthOf(s), chunks: chunks() };
}
