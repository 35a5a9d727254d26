/**
 * Calibrating a gene panel with artificial null genes (docs/methods.md §3.5): append one null twin
 * per real candidate (nullGenes), run the selector unchanged on the 2G pool with the same k, and
 * count the twins it picks. Under exchangeability an uninformative real gene is picked as often
 * as its twin, so k_null estimates the false picks: FSP^ = k_null / max(1, k - k_null). Library
 * sizes count real genes only (lib/data/transform.ts), so the real genes' input is unchanged.
 * Marginal-only twins measure how often pure noise is picked, not redundancy; no FDR claim.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { meanSd } from "../data/stats.ts";
import { meanJaccard } from "../metrics/stability.ts";
import { OptionError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";
import { positiveInt } from "../select/_nn.ts";
import { fitCandidates, realLibraryTotals } from "../data/transform.ts";
import {
  checkPanelSize,
  type Fitted,
  type Panel,
  type SelectOptions,
  type Selector,
  selectPanel,
} from "../select/panel.ts";
import { checkQ, knockoffSelect } from "./knockoff.ts";
import { nullGenes, type NullGuard } from "./nulls.ts";

/** Options of {@link withNullTwins}; defaults in brackets. */
export interface NullTwinOptions {
  /** Null model: zero-inflated Poisson ["zip"] or negative binomial ("nb"). */
  method?: "zip" | "nb";
  seed?: number;
  /** Which null draw [0]: every draw, and every part of a draw, has its own stream. */
  draw?: number;
  /**
   * Scale each twin's rate by the cell's real library size over the part's mean [true]. Unscaled
   * twins (recall's draws) do not follow sequencing depth, so after library normalisation they
   * track 1/depth, which differs between cell types: on kang_ifnb1k the twins of MALAT1, FTH1
   * and B2M then correlated 0.94-0.96 with 1/depth and were picked as markers.
   */
  libraryMatched?: boolean;
}

/** What {@link withNullTwins} returns. */
export interface NullTwinParts<P> {
  /** Each part with one twin per candidate appended after its genes. */
  parts: P;
  /** The twin of each candidate, in candidate order. */
  twins: string[];
  /** The candidates, then their twins: the pool a selector chooses from. */
  pool: string[];
  /** How often each fit guard fired on the train part's candidates. */
  guards: Record<NullGuard, number>;
}

/**
 * Append to every part of a split (train, val, test: raw counts over all genes) one null twin
 * per candidate gene, drawn from a ZIP or NB fitted to that part's own counts of the gene: no
 * information crosses parts, and each part's twins match their gene's marginal there. The real
 * genes are kept as they are; `uns.nullGenes` marks the twins, so library sizes skip them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate, withNullTwins } from "yoto";
 * const { dataset } = simulate({ nCells: 50, nGenes: 60, seed: 1 });
 * const { parts, pool } = withNullTwins({ train: dataset }, ["G0001", "G0002"], { seed: 3 });
 * assert.equal(parts.train.nGenes, 62);
 * assert.equal(pool.at(-1), "G0002__null");
 * ```
 */
export function withNullTwins<P extends { train: Dataset }>(
  parts: P,
  genes: string[],
  options: NullTwinOptions = {},
): NullTwinParts<P> {
  const method = options.method ?? "zip";
  const streams = new Rng(options.seed ?? 0).fork(`null draw ${options.draw ?? 0}`);
  const out: Record<string, Dataset | undefined> = {};
  let twins: string[] = [], guards = {} as Record<NullGuard, number>;
  for (const [name, ds] of Object.entries(parts) as [string, Dataset | undefined][]) {
    if (!ds) {
      out[name] = ds;
      continue;
    }
    // nullGenes refuses cells that already hold a twin
    const made = nullGenes(ds, {
      genes,
      method,
      seed: streams.fork(name).seed,
      libraryScale: (options.libraryMatched ?? true) ? depthScale(ds) : undefined,
    });
    out[name] = made.dataset;
    twins = made.nullOf;
    if (name === "train") guards = made.guards;
  }
  return { parts: out as unknown as P, twins, pool: [...genes, ...twins], guards };
}

/** Each cell's library size (all its genes, real here) over the mean. */
function depthScale(ds: Dataset): Float64Array {
  const totals = realLibraryTotals(ds);
  const mean = totals.reduce((a, b) => a + b, 0) / Math.max(1, totals.length);
  return totals.map((t) => (mean > 0 ? t / mean : 0));
}

/** The twins in one panel chosen from a pool of candidates and their twins. */
export interface NullCount {
  /** Panel genes that are twins, in panel order. */
  nullGenes: string[];
  /** The other panel genes, in panel order. */
  realGenes: string[];
  kNull: number;
  /** k_null / max(1, k - k_null): estimated false picks per real pick. */
  fsp: number;
  /** (1 + k_null) / max(1, k - k_null). */
  fspConservative: number;
}

/**
 * k_null and FSP^ of a panel, given the twins' names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countNulls } from "./calibration.ts";
 * const c = countNulls(["A", "B__null", "C", "D"], ["A__null", "B__null"]);
 * assert.equal(c.kNull, 1);
 * assert.equal(c.fsp, 1 / 3);
 * assert.equal(c.fspConservative, 2 / 3);
 * ```
 */
export function countNulls(panelGenes: string[], twins: string[]): NullCount {
  const twinSet = new Set(twins);
  const nullGenes = panelGenes.filter((g) => twinSet.has(g));
  const k = panelGenes.length, kNull = nullGenes.length, real = Math.max(1, k - kNull);
  return {
    nullGenes,
    realGenes: panelGenes.filter((g) => !twinSet.has(g)),
    kNull,
    fsp: kNull / real,
    fspConservative: (1 + kNull) / real,
  };
}

/** One panel chosen from the pool, its twins counted and contrasted with their real genes. */
export interface NullDraw extends NullCount {
  panel: Panel;
  /**
   * Knockoff+ at q on W_j = score(real_j) - score(twin_j) over the candidates, and the panel's
   * real genes that pass (W_j >= threshold); null when the panel does not score every candidate.
   */
  knockoff: { threshold: number; passing: string[] } | null;
}

/**
 * {@link countNulls} for a panel chosen from `genes` and their `twins`, plus knockoff+ at q on
 * its candidate scores when it has them. Non-finite scores (unranked genes) count as the lowest
 * finite one (+Infinity as the highest).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scoreNullDraw } from "./calibration.ts";
 * const genes = ["A", "B", "C"], twins = ["A__null", "B__null", "C__null"];
 * const candidateScores = { A: 3, B: 1, C: 2, A__null: 0, B__null: 2, C__null: 0 };
 * const panel = { method: "x", k: 2, genes: ["A", "B__null"], scores: [3, 2], params: {},
 *   fitSeconds: 0, notes: [], candidateScores };
 * const d = scoreNullDraw(panel, genes, twins, 0.5); // W = [3, -1, 2]: T = 2 at q = 0.5
 * assert.equal(d.kNull, 1);
 * assert.equal(d.knockoff!.threshold, 2);
 * assert.equal(d.knockoff!.passing[0], "A");
 * ```
 */
export function scoreNullDraw(
  panel: Panel,
  genes: string[],
  twins: string[],
  q: number,
): NullDraw {
  return { ...countNulls(panel.genes, twins), panel, knockoff: knockoffOf(panel, genes, twins, q) };
}

function knockoffOf(
  panel: Panel,
  genes: string[],
  twins: string[],
  q: number,
): NullDraw["knockoff"] {
  const scores = panel.candidateScores;
  if (!scores || [...genes, ...twins].some((g) => !(g in scores))) return null;
  const finite = [...genes, ...twins].map((g) => scores[g]).filter(Number.isFinite);
  const low = finite.length ? Math.min(...finite) : 0,
    high = finite.length ? Math.max(...finite) : 0;
  const score = (g: string) => {
    const s = scores[g];
    return Number.isFinite(s) ? s : s === Infinity ? high : low;
  };
  const W = Float64Array.from(genes, (g, j) => score(g) - score(twins[j]));
  const { threshold, selected } = knockoffSelect(W, q);
  const passed = new Set(Array.from(selected, (j) => genes[j]));
  return { threshold, passing: panel.genes.filter((g) => passed.has(g)) };
}

/** Mean and range of a quantity over null draws. */
export interface Spread {
  mean: number;
  min: number;
  max: number;
}

function spread(values: number[]): Spread {
  return { mean: meanSd(values).mean, min: Math.min(...values), max: Math.max(...values) };
}

/** Mean and range over draws of k_null, the null fraction, both FSP^ and knockoff+ passes. */
export interface NullSummary {
  kNull: Spread;
  /** k_null / k. */
  nullFraction: Spread;
  fsp: Spread;
  fspConservative: Spread;
  /** Panel genes passing knockoff+; null unless every draw had candidate scores. */
  knockoffPassing: Spread | null;
}

/**
 * Mean and range over draws (one or more).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeNullDraws } from "./calibration.ts";
 * const draw = (kNull: number) => ({ kNull, fsp: kNull / (4 - kNull), fspConservative: 0,
 *   knockoff: null, nullGenes: [], panel: { genes: ["A", "B", "C", "D"] } }) as never;
 * const s = summarizeNullDraws([draw(0), draw(2)]);
 * assert.equal(s.kNull.mean, 1);
 * assert.equal(s.nullFraction.max, 0.5);
 * assert.equal(s.fsp.max, 1);
 * ```
 */
export function summarizeNullDraws(draws: NullDraw[]): NullSummary {
  if (draws.length === 0) {
    throw new OptionError("no null draw to summarise", { field: "draws", fix: "run a draw" });
  }
  const knockoffs = draws.map((d) => d.knockoff);
  return {
    kNull: spread(draws.map((d) => d.kNull)),
    nullFraction: spread(draws.map((d) => d.kNull / d.panel.genes.length)),
    fsp: spread(draws.map((d) => d.fsp)),
    fspConservative: spread(draws.map((d) => d.fspConservative)),
    knockoffPassing: knockoffs.every((k) => k !== null)
      ? spread(knockoffs.map((k) => k!.passing.length))
      : null,
  };
}

/** Options of {@link calibratePanel}: the selector's options plus the calibration's. */
export interface CalibrateOptions extends SelectOptions {
  /** Null draws [5]. */
  draws?: number;
  /** Target rate of the knockoff+ filter [0.1]. */
  q?: number;
  /** Null model ["zip"]. */
  nullMethod?: "zip" | "nb";
  /** Twins follow each cell's sequencing depth [true]; see {@link NullTwinOptions}. */
  libraryMatched?: boolean;
  /**
   * Select the production panel on the real candidates alone, and each draw's Jaccard index to
   * it [true]; false saves that fit when only the draws are wanted.
   */
  production?: boolean;
  /** Keep the first draw's fit (e.g. its model, to save or score) as `first` [false]. */
  keepFirst?: boolean;
  /** Cells that get each draw's twins too, returned in `first` to score the kept fit on. */
  test?: Dataset;
  /** Called after each draw (progress lines). */
  onDraw?: (draw: CalibrationDraw) => void;
}

/** One draw of {@link calibratePanel}. */
export interface CalibrationDraw extends NullDraw {
  draw: number;
  /** Jaccard index between this panel's real genes and the production panel (none: null). */
  jaccard: number | null;
  /** Fit guards fired on the training cells' candidates. */
  guards: Record<NullGuard, number>;
}

/** What {@link calibratePanel} returns. */
export interface PanelCalibration extends NullSummary {
  method: string;
  k: number;
  q: number;
  nullMethod: "zip" | "nb";
  /** The real candidates (the pool holds them and one twin each). */
  candidates: string[];
  /** The selector on the real candidates alone (null with `production: false`). */
  production: Panel | null;
  draws: CalibrationDraw[];
  /** Over draws; null without a production panel. */
  jaccard: Spread | null;
  /** With `keepFirst`: the first draw's fit (the caller disposes it) and `test` with its twins. */
  first?: { fitted: Fitted; test?: Dataset };
}

/**
 * Calibrate `selector`'s panel with null twins (docs/methods.md §3.5): candidates chosen on train
 * (options.candidates), the production panel on them alone, then per draw one twin per
 * candidate appended to train (and to options.validation) and the selector rerun unchanged on
 * the 2G pool with the same k and seed. Reports k_null, FSP^, knockoff+ passes and the Jaccard
 * index to the production panel per draw, with mean and range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calibratePanel, markersSelector, simulate } from "yoto";
 * const { dataset } = simulate({ nCells: 300, nGenes: 60, seed: 1 });
 * const c = await calibratePanel(dataset, markersSelector(), {
 *   k: 4, tasks: ["cell_type"], candidates: 40, draws: 2,
 * });
 * assert.equal(c.draws.length, 2);
 * assert.ok(c.fsp.mean >= 0);
 * assert.equal(c.draws[0].panel.genes.length, 4);
 * ```
 */
export async function calibratePanel(
  train: Dataset,
  selector: Selector,
  options: CalibrateOptions,
): Promise<PanelCalibration> {
  const {
    draws: drawsOption,
    q = 0.1,
    nullMethod = "zip",
    libraryMatched,
    production: withProduction = true,
    keepFirst = false,
    test,
    onDraw,
    ...select
  } = options;
  const nDraws = positiveInt(drawsOption, 5, "draws");
  checkQ(q);
  const { genes: candidates } = fitCandidates(train, select);
  checkPanelSize(select.k, candidates.length);
  const production = withProduction
    ? await selectPanel(selector, train, { ...select, candidates })
    : null;
  const draws: CalibrationDraw[] = [];
  let first: PanelCalibration["first"];
  try {
    for (let draw = 0; draw < nDraws; draw++) {
      const { parts, twins, pool, guards } = withNullTwins(
        { train, val: select.validation, test },
        candidates,
        { method: nullMethod, seed: select.seed, draw, libraryMatched },
      );
      const fitted = await selector.fit(parts.train, {
        ...select,
        candidates: pool,
        validation: parts.val,
      });
      if (keepFirst && draw === 0) first = { fitted, test: parts.test };
      else fitted.dispose();
      const scored = scoreNullDraw(fitted.panel, candidates, twins, q);
      const jaccard = production ? meanJaccard([scored.realGenes, production.genes]) : null;
      draws.push({ ...scored, draw, jaccard, guards });
      onDraw?.(draws[draw]);
    }
  } catch (err) {
    first?.fitted.dispose();
    throw err;
  }
  return {
    method: selector.name,
    k: select.k,
    q,
    nullMethod,
    candidates,
    production,
    draws,
    ...summarizeNullDraws(draws),
    jaccard: production ? spread(draws.map((d) => d.jaccard!)) : null,
    ...(first ? { first } : {}),
  };
}
