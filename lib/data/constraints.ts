/**
 * Assay constraints on the candidate genes: genes forced into every panel,
 * genes excluded by list, pattern or preset, an allow-list (the genes a probe can be made for),
 * and bounds on a gene's mean raw count per cell (optical assays saturate on very bright genes and
 * miss very dim ones). {@link constrainPool} applies them, in a fixed order, to the pool the
 * candidate step ranks, and reports how many genes each one removed.
 * @module
 */
import type { Dataset } from "./dataset.ts";
import { readObsCsv } from "./csv.ts";
import { readBytes } from "./_text.ts";
import { geneStats } from "./stats.ts";
import { FileFormatError, MissingFieldError, OptionError } from "../runtime/errors.ts";
import { numberFlag } from "../runtime/cli.ts";

/** Named sets of gene-name patterns that {@link CandidateConstraints.excludePresets} takes. */
export type GenePreset = "mito" | "ribo" | "hemoglobin";

/**
 * The presets' patterns (case-sensitive, whole-name; human then mouse spelling):
 * - mito: mitochondrially encoded genes, `MT-` / `mt-` (MT-CO1, mt-Nd1; not the metallothioneins
 *   MT1A, MT2A, nor the nuclear MRPL/MRPS genes).
 * - ribo: cytosolic ribosomal protein genes and their paralogs, RPL/RPS + number + optional
 *   A, AL, L, X or Y + number (RPL10A, RPL36AL, RPS4X, RPS4Y1, RPL7L1), RPLP0-2 and RPSA;
 *   not the kinases RPS6KA1/RPS6KB1, not pseudogenes (RPL13AP5), not the mitochondrial
 *   ribosomal MRPL/MRPS genes nor clone-named lncRNAs (RP11-...: use `--exclude-pattern '^RP\d+-'`).
 * - hemoglobin: HBA1, HBA2, HBB, HBD, HBE1, HBG1, HBG2, HBM, HBQ1, HBZ; mouse Hba-*, Hbb-*,
 *   Hbq1a/b; not HBEGF, HBP1, HBS1L.
 */
export const GENE_PRESETS: Readonly<Record<GenePreset, readonly string[]>> = {
  mito: ["^MT-", "^mt-"],
  ribo: [
    "^(RP[SL]\\d+(A|AL|L|X|Y)?\\d*|RPLP[0-2]|RPSA)$",
    "^(Rp[sl]\\d+(a|al|l|x|y)?\\d*|Rplp[0-2]|Rpsa)$",
  ],
  hemoglobin: ["^HB(A[12]|B|D|E1|G[12]|M|Q1|Z)$", "^(Hb[ab]-.+|Hbq1[ab]?)$"],
};

/** Gene constraints of the candidate step; every one also binds the forced genes. */
export interface CandidateConstraints {
  /** Genes always in the panel (count towards k). A forced gene that fails a constraint is an error. */
  forceInclude?: string[];
  /** Genes never in the panel (names absent from the data are ignored, with a note). */
  exclude?: string[];
  /** The only genes that may be chosen (e.g. those a probe can be made for; names absent from the data are ignored, with a note). */
  allow?: string[];
  /** Regular expressions (JavaScript syntax, case-sensitive); matching genes are excluded. */
  excludePatterns?: string[];
  /** Presets of patterns ({@link GENE_PRESETS}). */
  excludePresets?: GenePreset[];
  /**
   * Bounds on a gene's mean raw count per cell in the group of the first task's label where it is
   * highest (over all cells without a class label).
   */
  minMean?: number;
  maxMean?: number;
}

/** One constraint's effect on the pool. */
export interface ConstraintStep {
  /** The constraint in CLI words ("--exclude-preset mito,ribo"). */
  constraint: string;
  /** Genes it removed from the pool. */
  removed: number;
  /** Genes left after it (forced genes included). */
  left: number;
  /** Anything else a user should know (unknown genes, the grouping of a mean bound). */
  note?: string;
}

/** What {@link constrainPool} did. */
export interface ConstraintReport {
  /** Genes before the first constraint (the data's genes or an explicit candidate list). */
  start: number;
  /** In the order applied: allow, exclude, presets, patterns, min mean, max mean. */
  steps: ConstraintStep[];
  /** Forced genes (always candidates). */
  forced: number;
}

/** Whether `options` holds any constraint beyond forced genes (those never shrink the pool). */
export function hasPoolConstraints(options: CandidateConstraints): boolean {
  return Boolean(
    options.exclude?.length || options.allow || options.excludePatterns?.length ||
      options.excludePresets?.length || options.minMean !== undefined ||
      options.maxMean !== undefined,
  );
}

/** The constraint options with every constraint removed (for a pool already constrained). */
export function withoutConstraints<T extends CandidateConstraints>(options: T): T {
  const {
    forceInclude: _f,
    exclude: _e,
    allow: _a,
    excludePatterns: _p,
    excludePresets: _s,
    minMean: _lo,
    maxMean: _hi,
    ...rest
  } = options;
  return rest as T;
}

function compile(pattern: string, flag: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (e) {
    throw new OptionError(
      `${flag} '${pattern}' is not a valid regular expression: ${(e as Error).message}`,
      { field: "excludePatterns", fix: "fix the pattern (JavaScript syntax, e.g. '^MT-')" },
    );
  }
}

function presetPatterns(presets: readonly string[]): string[] {
  return presets.flatMap((p) => {
    if (!Object.hasOwn(GENE_PRESETS, p)) {
      throw new OptionError(`no gene preset '${p}'`, {
        field: "excludePresets",
        fix: `--exclude-preset takes ${Object.keys(GENE_PRESETS).join(", ")}`,
      });
    }
    return GENE_PRESETS[p as GenePreset];
  });
}

function checkBound(v: number | undefined, flag: string): void {
  if (v !== undefined && !(v >= 0 && v < Infinity)) {
    throw new OptionError(`${flag} must be a non-negative number, got ${v}`, {
      field: flag,
      fix: `pass e.g. ${flag} 0.5`,
    });
  }
}

function listNames(genes: readonly string[], n = 5): string {
  const shown = genes.slice(0, n).map((g) => `'${g}'`).join(", ");
  return genes.length > n ? `${shown} and ${genes.length - n} more` : shown;
}

/**
 * MissingFieldError naming the genes of a list (`flag`: where it came from, e.g. "--genes
 * panel.csv") that the data does not hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array(2), 1, 2, ["CD3E", "MS4A1"]);
 * requireKnown(ds, ["MS4A1"], "--genes panel.csv");
 * assert.throws(() => requireKnown(ds, ["NKG7"], "--genes panel.csv"), /'NKG7'/);
 * ```
 */
export function requireKnown(ds: Dataset, genes: readonly string[], flag: string): void {
  const known = new Set(ds.genes);
  const unknown = genes.filter((g) => !known.has(g));
  if (unknown.length) {
    throw new MissingFieldError(
      `${flag}: ${unknown.length} gene(s) not in the data: ${listNames(unknown)}`,
      {
        field: flag,
        fix: `drop them from ${flag}, or check the gene names (symbols vs ids, casing)`,
      },
    );
  }
}

/**
 * Per gene of `ds`, the highest mean raw count per cell over the groups of obs column `by`
 * (cells with no label left out), or the mean over all cells when `by` is undefined or numeric.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array([4, 1, 0, 1, 0, 3]), 3, 2, ["A", "B"], {
 *   t: { kind: "categorical", codes: Int32Array.from([0, 1, 1]), categories: ["x", "y"] },
 * });
 * assert.deepEqual([...maxGroupMeans(ds, "t").means], [4, 2]);
 * assert.deepEqual([...maxGroupMeans(ds).means], [4 / 3, 5 / 3]);
 * ```
 */
export function maxGroupMeans(ds: Dataset, by?: string): { means: Float64Array; grouping: string } {
  const col = by === undefined ? null : ds.obs(by);
  if (!col || col.kind === "numeric") {
    const grouping = col ? `overall mean: '${by}' is numeric` : "overall mean";
    return { means: geneStats(ds).means, grouping };
  }
  const { codes, categories } = ds.categorical(by!);
  const members: number[][] = categories.map(() => []);
  codes.forEach((c, i) => c >= 0 && members[c].push(i));
  const means = new Float64Array(ds.nGenes);
  for (const cells of members.filter((m) => m.length)) {
    const m = geneStats(ds, { cells }).means;
    for (let j = 0; j < m.length; j++) means[j] = Math.max(means[j], m[j]);
  }
  return { means, grouping: `highest mean over the '${by}' groups` };
}

/**
 * Apply the constraints to `pool` (genes of `train`; forced genes are added when absent) in the
 * order allow, exclude, presets, patterns, min mean, max mean. Names in `skip` (null twins) pass
 * untouched. Returns the genes left (in pool order, then forced genes not in the pool) and what
 * each constraint removed. OptionError when a forced gene fails a constraint or is excluded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array(4).fill(1), 1, 4, ["MT-CO1", "RPL3", "CD3E", "HBEGF"]);
 * const { genes, report } = constrainPool(ds, ds.genes, { excludePresets: ["mito", "ribo", "hemoglobin"] });
 * assert.equal(genes.join(), "CD3E,HBEGF");
 * assert.equal(report.steps[0].removed, 2);
 * ```
 */
export function constrainPool(
  train: Dataset,
  pool: readonly string[],
  options: CandidateConstraints,
  meanBy?: string,
  skip: (gene: string) => boolean = () => false,
): { genes: string[]; report: ConstraintReport } {
  const forced = [...new Set(options.forceInclude ?? [])];
  requireKnown(train, forced, "--force");
  checkBound(options.minMean, "--min-mean");
  checkBound(options.maxMean, "--max-mean");
  const forcedSet = new Set(forced);
  let genes = [...pool, ...forced.filter((g) => !pool.includes(g))];
  const report: ConstraintReport = { start: pool.length, steps: [], forced: forced.length };
  const step = (constraint: string, keep: (g: string) => boolean, note?: string) => {
    const failing = forced.filter((g) => !keep(g));
    if (failing.length) {
      throw new OptionError(`forced gene(s) ${listNames(failing)} fail ${constraint}`, {
        field: "forceInclude",
        fix: `drop them from --force, or relax ${constraint}`,
      });
    }
    const before = genes.length;
    genes = genes.filter((g) => skip(g) || forcedSet.has(g) || keep(g));
    report.steps.push({
      constraint,
      removed: before - genes.length,
      left: genes.length,
      ...(note ? { note } : {}),
    });
  };
  const known = new Set(train.genes);
  const absent = (list: string[]) => {
    const n = list.filter((g) => !known.has(g)).length;
    return n ? `${n} listed gene(s) are not in the data` : undefined;
  };
  if (options.allow) {
    const allowed = new Set(options.allow);
    step("--allow", (g) => allowed.has(g), absent(options.allow));
  }
  if (options.exclude?.length) {
    const excluded = new Set(options.exclude);
    step("--exclude", (g) => !excluded.has(g), absent(options.exclude));
  }
  if (options.excludePresets?.length) {
    const res = presetPatterns(options.excludePresets).map((p) => compile(p, "--exclude-preset"));
    step(
      `--exclude-preset ${options.excludePresets.join(",")}`,
      (g) => !res.some((r) => r.test(g)),
    );
  }
  for (const p of options.excludePatterns ?? []) {
    const re = compile(p, "--exclude-pattern");
    step(`--exclude-pattern ${p}`, (g) => !re.test(g));
  }
  if (options.minMean !== undefined || options.maxMean !== undefined) {
    const { means, grouping } = maxGroupMeans(train, meanBy);
    const index = new Map(train.genes.map((g, j) => [g, j]));
    const mean = (g: string) => means[index.get(g)!];
    const lo = options.minMean, hi = options.maxMean;
    if (lo !== undefined) step(`--min-mean ${lo}`, (g) => mean(g) >= lo, grouping);
    if (hi !== undefined) step(`--max-mean ${hi}`, (g) => mean(g) <= hi, grouping);
  }
  return { genes, report };
}

/**
 * The `n` best genes of `allowed` (what {@link constrainPool} left) by `ranked` (every gene, best
 * first) and every forced gene, in `allowed` order; a `--candidates n` step joins `report` when it
 * removed genes or `asked` (the user gave n).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const report: ConstraintReport = { start: 4, steps: [], forced: 1 };
 * const genes = topAllowed(["A", "B", "C"], report, ["D", "C", "B", "A"], 1, ["A"], false);
 * assert.deepEqual(genes, ["A", "C"]);
 * assert.equal(report.steps[0].removed, 1);
 * ```
 */
export function topAllowed(
  allowed: readonly string[],
  report: ConstraintReport,
  ranked: readonly string[],
  n: number,
  forced: readonly string[],
  asked: boolean,
): string[] {
  const keep = new Set(allowed), isForced = new Set(forced);
  const top = new Set(ranked.filter((g) => keep.has(g)).slice(0, n));
  const genes = allowed.filter((g) => top.has(g) || isForced.has(g));
  if (asked || genes.length < allowed.length) {
    report.steps.push({
      constraint: `--candidates ${n}`,
      removed: allowed.length - genes.length,
      left: genes.length,
    });
  }
  return genes;
}

/**
 * OptionError naming the first constraint after which fewer than `need` genes were left (the
 * constraint that left too few candidates for the panel); nothing when the pool is large enough.
 */
export function checkPoolSize(
  report: ConstraintReport,
  left: number,
  need: number,
  k: number,
): void {
  if (left >= need) return;
  const culprit = report.steps.find((s) => s.left < need);
  const by = culprit ? `after ${culprit.constraint}` : "after the constraints";
  throw new OptionError(
    `${by} only ${left} candidate gene(s) are left (${report.forced} forced); --k ${k} needs at least ${need}`,
    {
      field: "k",
      fix: `relax ${culprit?.constraint ?? "the constraints"} or lower --k`,
    },
  );
}

/**
 * Read a gene list: a plain list (one gene per line; blank lines and `#` comments ignored) or a
 * CSV/TSV with a `gene` column (a panel.csv works). Duplicates are dropped, first kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "# base panel\nCD3E\n\nMS4A1  # B cells\nCD3E\n");
 * assert.deepEqual(await readGeneList(`${dir}/a.txt`), ["CD3E", "MS4A1"]);
 * await Deno.writeTextFile(`${dir}/panel.csv`, "gene,rank,score\nCD3E,1,2.5\nNKG7,2,1\n");
 * assert.deepEqual(await readGeneList(`${dir}/panel.csv`), ["CD3E", "NKG7"]);
 * ```
 */
export async function readGeneList(path: string): Promise<string[]> {
  const text = new TextDecoder().decode(await readBytes(path));
  const lines = text.split(/\r?\n/).map((l) => l.replace(/#.*/, "").trim()).filter(Boolean);
  if (!lines.length) {
    throw new FileFormatError("lists no genes", {
      file: path,
      fix: "give one gene per line, or a CSV with a 'gene' column",
    });
  }
  const header = lines[0].split(/[,\t]/).map((f) => f.trim().replace(/^"(.*)"$/, "$1"));
  let genes: string[];
  if (header.length > 1 || header[0] === "gene") {
    if (!header.includes("gene")) {
      throw new MissingFieldError(`the header has no 'gene' column (${listNames(header)})`, {
        file: path,
        fix: "name the gene column 'gene', or give a plain list (one gene per line)",
      });
    }
    const table = await readObsCsv(path, { idColumn: "gene" });
    genes = table.ids;
  } else {
    genes = lines;
  }
  return [...new Set(genes)];
}

/**
 * Constraint settings as a CLI or config gives them: gene lists as a file path or the genes
 * themselves, presets as comma-separated text or a list.
 */
export interface ConstraintSources {
  force?: string | string[];
  exclude?: string | string[];
  allow?: string | string[];
  excludePatterns?: string[];
  /** Preset names ("mito,ribo" or ["mito", "ribo"]). */
  excludePresets?: string | string[];
  minMean?: number;
  maxMean?: number;
}

/**
 * The {@link CandidateConstraints} of `sources`: gene-list files read ({@link readGeneList}),
 * presets split and checked, patterns compiled once to check them. Lists keep their first
 * occurrence of each gene.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = await readConstraints({ excludePresets: "mito, ribo", maxMean: 50 });
 * assert.deepEqual(c, { excludePresets: ["mito", "ribo"], maxMean: 50 });
 * ```
 */
export async function readConstraints(sources: ConstraintSources): Promise<CandidateConstraints> {
  const out: CandidateConstraints = {};
  const list = async (v: string | string[]) =>
    typeof v === "string" ? await readGeneList(v) : [...new Set(v)];
  if (sources.force) out.forceInclude = await list(sources.force);
  if (sources.exclude) out.exclude = await list(sources.exclude);
  if (sources.allow) out.allow = await list(sources.allow);
  if (sources.excludePatterns?.length) {
    sources.excludePatterns.forEach((p) => compile(p, "--exclude-pattern"));
    out.excludePatterns = sources.excludePatterns;
  }
  if (sources.excludePresets) {
    const given = sources.excludePresets;
    const presets = (typeof given === "string" ? given.split(",") : given)
      .map((p) => p.trim()).filter(Boolean);
    presetPatterns(presets);
    out.excludePresets = presets as GenePreset[];
  }
  checkBound(sources.minMean, "--min-mean");
  checkBound(sources.maxMean, "--max-mean");
  if (sources.minMean !== undefined) out.minMean = sources.minMean;
  if (sources.maxMean !== undefined) out.maxMean = sources.maxMean;
  return out;
}

/** The keys of a {@link ConstraintSources} object (a config's `constraints`). */
export const CONSTRAINT_KEYS = [
  "force",
  "exclude",
  "allow",
  "excludePatterns",
  "excludePresets",
  "minMean",
  "maxMean",
] as const;

/**
 * `raw` checked as {@link ConstraintSources} (a config's or a study's `constraints` object): known
 * keys, gene lists as a file (resolved with `at`) or a list of genes, patterns and presets as
 * lists, bounds as numbers >= 0. `fail(problem, fix)` throws the caller's error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fail = (problem: string): never => { throw new Error(problem); };
 * assert.deepEqual(checkConstraintSources({ excludePresets: ["mito"] }, fail), { excludePresets: ["mito"] });
 * assert.throws(() => checkConstraintSources({ excludePreset: ["mito"] }, fail), /unknown/);
 * ```
 */
export function checkConstraintSources(
  raw: unknown,
  fail: (problem: string, fix: string) => never,
  at: (path: string) => string = (path) => path,
): ConstraintSources {
  const example = '{"excludePresets": ["mito", "ribo"], "maxMean": 50, "force": "base.csv"}';
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    fail("'constraints' must be an object", example);
  }
  const c = raw as Record<string, unknown>;
  const keys: readonly string[] = CONSTRAINT_KEYS;
  const extra = Object.keys(c).filter((key) => !keys.includes(key));
  if (extra.length) fail(`unknown 'constraints' key(s) ${extra.join(", ")}`, `use ${keys}`);
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  const out: ConstraintSources = {};
  for (const key of ["force", "exclude", "allow"] as const) {
    const v = c[key];
    if (v === undefined) continue;
    if (typeof v === "string") out[key] = at(v);
    else if (strings(v)) out[key] = v as string[];
    else fail(`'constraints.${key}' must be a gene list file or a list of genes`, example);
  }
  for (const key of ["excludePatterns", "excludePresets"] as const) {
    if (c[key] !== undefined && !strings(c[key])) {
      fail(`'constraints.${key}' must be a list of strings`, example);
    }
  }
  if (c.excludePatterns) out.excludePatterns = c.excludePatterns as string[];
  if (c.excludePresets) out.excludePresets = c.excludePresets as string[];
  for (const key of ["minMean", "maxMean"] as const) {
    const v = c[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !(v >= 0)) {
      fail(`'constraints.${key}' must be a number >= 0`, example);
    }
    out[key] = v as number;
  }
  return out;
}

/**
 * The parseCli flags of the candidate step, the same in every command that selects panels
 * (`yoto train`, `deno task saturation`): {@link readCandidateFlags} reads their values.
 */
export const CANDIDATE_FLAGS = {
  candidates: { type: "string" },
  force: { type: "string" },
  exclude: { type: "string" },
  allow: { type: "string" },
  "exclude-pattern": { type: "string", multiple: true },
  "exclude-preset": { type: "string" },
  "min-mean": { type: "string" },
  "max-mean": { type: "string" },
} as const;

/** Values of {@link CANDIDATE_FLAGS}. */
export interface CandidateFlags {
  candidates?: string;
  force?: string;
  exclude?: string;
  allow?: string;
  "exclude-pattern"?: string[];
  "exclude-preset"?: string;
  "min-mean"?: string;
  "max-mean"?: string;
}

/** The help of {@link CANDIDATE_FLAGS}, a section of each command's --help. */
export const CANDIDATE_HELP =
  `Candidates and assay constraints (the constraints apply before the HVG ranking; the output
says how many genes each removed; FILE: one gene per line, # comments, or a CSV/TSV with a
'gene' column such as a panel.csv):
  --candidates N|FILE  top-N HVGs (seurat flavour, fitted on the training cells) to choose from
                     (default 2000), or a gene list FILE to choose from instead
  --force FILE       genes always in the panel, counted in --k (extend a base panel of 100 by 50:
                     --force base.csv --k 150); a forced gene another constraint removes is an error
  --exclude FILE     genes never in the panel
  --allow FILE       only these genes may be chosen (e.g. the genes a probe can be made for)
  --exclude-pattern REGEX  exclude genes whose name matches (JavaScript, case-sensitive; repeatable)
  --exclude-preset LIST  comma-separated: mito (MT-, mt-), ribo (RPL/RPS genes and paralogs,
                     RPLP0-2, RPSA; not RPS6K kinases, MRPL/MRPS), hemoglobin (HBA1/2, HBB, HBD,
                     HBE1, HBG1/2, HBM, HBQ1, HBZ; mouse Hba-*, Hbb-*, Hbq1a/b; not HBEGF, HBP1)
  --min-mean X       keep genes whose mean raw count per cell reaches X in some class of the
                     first --label (over all cells without one); e.g. detectable on the assay
  --max-mean Y       keep genes whose mean raw count per cell stays at most Y in every class
                     (optical assays saturate on very bright genes)
`;

/**
 * The values of {@link CANDIDATE_FLAGS}: `candidates` (a count, a list read from a FILE, or
 * undefined for the default), the constraints as given (`sources`: file paths as passed) and
 * read (`constraints`: files read, presets and patterns checked).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = await readCandidateFlags({ candidates: "500", "exclude-preset": "mito", "max-mean": "50" });
 * assert.equal(r.candidates, 500);
 * assert.deepEqual(r.constraints, { excludePresets: ["mito"], maxMean: 50 });
 * ```
 */
export async function readCandidateFlags(values: CandidateFlags): Promise<{
  candidates: number | string[] | undefined;
  sources: ConstraintSources;
  constraints: CandidateConstraints;
}> {
  const given = values.candidates;
  const candidates = given === undefined
    ? undefined
    : given.trim() !== "" && Number.isFinite(Number(given))
    ? numberFlag(given, "candidates", 2000, { integer: true, min: 2 })
    : await readGeneList(given);
  const mean = (flag: "min-mean" | "max-mean") =>
    values[flag] === undefined ? undefined : numberFlag(values[flag], flag, 0, { min: 0 });
  const sources: ConstraintSources = {
    force: values.force,
    exclude: values.exclude,
    allow: values.allow,
    excludePatterns: values["exclude-pattern"],
    excludePresets: values["exclude-preset"]?.split(","),
    minMean: mean("min-mean"),
    maxMean: mean("max-mean"),
  };
  return { candidates, sources, constraints: await readConstraints(sources) };
}

/**
 * One line per constraint ("--exclude-preset mito,ribo: 212 genes removed, 31800 left").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const lines = constraintLines({ start: 10, forced: 0, steps: [{ constraint: "--exclude", removed: 2, left: 8 }] });
 * assert.deepEqual(lines, ["--exclude: 2 genes removed, 8 left"]);
 * ```
 */
export function constraintLines(report: ConstraintReport): string[] {
  return report.steps.map((s) =>
    `${s.constraint}: ${s.removed} genes removed, ${s.left} left${s.note ? ` (${s.note})` : ""}`
  );
}
