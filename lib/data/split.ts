/**
 * Train / validation / test splits of cells: stratified by label, plain random, or by whole
 * groups (donors, samples) so that no group leaks between parts. Splits are sorted index arrays
 * that serialise to JSON, with notes on anything that could not be honoured exactly.
 * @module
 */
import type { Dataset } from "./dataset.ts";
import {
  FileFormatError,
  MissingFieldError,
  OptionError,
  ShapeMismatchError,
} from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";

/** Cell labels: a categorical (code -1 = missing) or bare integer codes. */
export type SplitLabels = { codes: Int32Array; categories: string[] } | Int32Array;

/** Which cells go to each part (sorted, disjoint, together covering all `nCells`). */
export interface Split {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  kind: "stratified" | "random" | "group";
  seed: number;
  /** Number of cells the split was made for. */
  nCells: number;
  /** What could not be done exactly (tiny classes, missing labels, classes absent from a part). */
  notes: string[];
  /** Group split only: the groups in each part. */
  groups?: { train: string[]; val: string[]; test: string[] };
}

/** Fractions of cells per part (each >= 0, summing to 1) and the seed. */
export interface SplitOptions {
  /** Default 0.7. */
  train?: number;
  /** Default 0.15. */
  val?: number;
  /** Default 0.15. */
  test?: number;
  /** Default 0. */
  seed?: number;
}

/** Options of `groupSplit`. */
export interface GroupSplitOptions {
  /** Groups held out for validation: how many to draw at random, or their names. Default 1. */
  val?: number | string[];
  /** Groups held out for test: a number of groups drawn at random, or their names. Default 1. */
  test?: number | string[];
  /** Default 0. */
  seed?: number;
  /**
   * Cell labels: one column, or several by name (the tasks of a multi-task model). Classes
   * absent from a part are reported in `notes`, per column.
   */
  stratifyBy?: SplitLabels | Record<string, SplitLabels>;
  /**
   * Draw the random held-out groups so that train keeps every class of every column, then test
   * and val contain them, where possible (needs `stratifyBy`).
   */
  oneGroupPerClass?: boolean;
}

/** Plain-JSON form of a Split (index lists as number arrays). */
export interface SplitJSON {
  kind: Split["kind"];
  seed: number;
  nCells: number;
  train: number[];
  val: number[];
  test: number[];
  notes: string[];
  groups?: { train: string[]; val: string[]; test: string[] };
}

const PARTS = ["train", "val", "test"] as const;
/** Random candidate hold-outs scored when `oneGroupPerClass` asks for class coverage. */
const COVERAGE_CANDIDATES = 2000;

/**
 * Split `total` items into integer counts proportional to `fractions` (largest remainder;
 * ties broken at random when an rng is given, so that no part is favoured systematically).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apportion } from "./split.ts";
 * const counts = apportion(10, [0.7, 0.15, 0.15]);
 * assert.equal(counts.join(), "7,2,1");
 * ```
 */
export function apportion(total: number, fractions: readonly number[], rng?: Rng): Int32Array {
  const counts = new Int32Array(fractions.length);
  const remainders = fractions.map((f, i) => {
    const quota = f * total;
    counts[i] = Math.floor(quota + 1e-9);
    return quota - counts[i];
  });
  const tieBreak = fractions.map(() => (rng ? rng.uniform() : 0));
  const order = fractions.map((_, i) => i).sort((a, b) =>
    Math.abs(remainders[a] - remainders[b]) > 1e-9
      ? remainders[b] - remainders[a]
      : tieBreak[a] - tieBreak[b]
  );
  let left = total - counts.reduce((s, c) => s + c, 0);
  for (let r = 0; left > 0; r = (r + 1) % order.length, left--) counts[order[r]]++;
  return counts;
}

function resolveFractions(options: SplitOptions): [number, number, number] {
  const fractions: [number, number, number] = [
    options.train ?? 0.7,
    options.val ?? 0.15,
    options.test ?? 0.15,
  ];
  fractions.forEach((f, i) => {
    if (!(f >= 0 && f <= 1)) {
      throw new OptionError(`fraction must be in [0, 1], got ${f}`, { field: PARTS[i] });
    }
  });
  const sum = fractions[0] + fractions[1] + fractions[2];
  if (Math.abs(sum - 1) > 1e-6) {
    throw new OptionError(`train + val + test fractions must sum to 1, got ${sum}`, {
      field: "train/val/test",
      fix: "give all three, e.g. { train: 0.8, val: 0, test: 0.2 }",
    });
  }
  // Exact sum 1, so rounded counts never exceed the number of cells.
  return fractions.map((f) => f / sum) as [number, number, number];
}

function asCategorical(labels: SplitLabels): { codes: Int32Array; categories: string[] } {
  if (!(labels instanceof Int32Array)) return labels;
  let max = -1;
  for (const c of labels) max = Math.max(max, c);
  return { codes: labels, categories: Array.from({ length: max + 1 }, (_, i) => String(i)) };
}

/** A label column of a split, with its name when there are several. */
interface LabelColumn {
  name?: string;
  codes: Int32Array;
  categories: string[];
}

function labelColumns(labels: GroupSplitOptions["stratifyBy"]): LabelColumn[] {
  if (labels === undefined) return [];
  if (labels instanceof Int32Array || (labels as { codes?: unknown }).codes instanceof Int32Array) {
    return [asCategorical(labels as SplitLabels)];
  }
  return Object.entries(labels as Record<string, SplitLabels>).map(([name, l]) => ({
    name,
    ...asCategorical(l),
  }));
}

/** Per part (train, val, test): the classes of `column` with cells, but none in that part. */
function absentClasses(parts: ArrayLike<number>[], column: LabelColumn): string[][] {
  const inPart = parts.map((cells) => {
    const seen = new Set<number>();
    for (let k = 0; k < cells.length; k++) seen.add(column.codes[cells[k]]);
    return seen;
  });
  const present = new Set(inPart.flatMap((s) => [...s]));
  return parts.map((cells, p) =>
    cells.length ? column.categories.filter((_, c) => present.has(c) && !inPart[p].has(c)) : []
  );
}

/** What each part's missing classes mean for the model. */
const ABSENT_MEANS = [" (never seen in training)", "", " (test scores the other classes only)"];

/** One note per column and part that lacks some of the column's classes. */
function coverageNotes(parts: ArrayLike<number>[], columns: LabelColumn[]): string[] {
  return columns.flatMap((column) =>
    absentClasses(parts, column).flatMap((absent, p) =>
      absent.length
        ? [
          `${column.name === undefined ? "" : `'${column.name}': `}class(es) absent from ${
            PARTS[p]
          }: ${absent.join(", ")}${ABSENT_MEANS[p]}`,
        ]
        : []
    )
  );
}

function sorted(indices: ArrayLike<number>): Int32Array {
  return Int32Array.from(indices).sort();
}

/** A Split from the cells of each part (train, val, test), sorted. */
function makeSplit(
  parts: ArrayLike<number>[],
  base: Pick<Split, "kind" | "seed" | "nCells" | "notes" | "groups">,
): Split {
  return { train: sorted(parts[0]), val: sorted(parts[1]), test: sorted(parts[2]), ...base };
}

function checkSeed(seed: number): number {
  if (!Number.isFinite(seed)) {
    throw new OptionError(`seed must be a finite number, got ${seed}`, { field: "seed" });
  }
  return seed;
}

/**
 * Stratified split: each class is shuffled and divided by the fractions (largest remainder),
 * so every class with at least one cell per non-empty part appears in each part. Smaller classes
 * go whole to the largest part (train by default); cells with a missing label (-1) are split like
 * one more class. Both are reported in `notes`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stratifiedSplit } from "yoto";
 * const codes = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1, 2]);
 * const split = stratifiedSplit({ codes, categories: ["a", "b", "c"] }, { seed: 1 });
 * assert.equal(split.val.length, 2);
 * assert.ok(split.notes[0].includes("'c'"));
 * ```
 */
export function stratifiedSplit(labels: SplitLabels, options: SplitOptions = {}): Split {
  const fractions = resolveFractions(options);
  const seed = checkSeed(options.seed ?? 0);
  const { codes, categories } = asCategorical(labels);
  const rng = new Rng(seed);
  const members = new Map<number, number[]>();
  codes.forEach((c, i) => {
    const list = members.get(c);
    if (list) list.push(i);
    else members.set(c, [i]);
  });
  const nonEmptyParts = fractions.filter((f) => f > 0).length;
  const largestPart = fractions.indexOf(Math.max(...fractions));
  const parts: number[][] = [[], [], []];
  const notes: string[] = [];
  for (const code of [...members.keys()].sort((a, b) => a - b)) {
    const cells = rng.shuffle(members.get(code)!);
    const name = code < 0 ? "(missing)" : categories[code];
    if (code < 0) {
      notes.push(`${cells.length} cell(s) with a missing label were split like one more class`);
    }
    if (cells.length < nonEmptyParts) {
      parts[largestPart].push(...cells);
      notes.push(
        `class '${name}' has ${cells.length} cell(s), too few to stratify: all put in ${
          PARTS[largestPart]
        }`,
      );
      continue;
    }
    const counts = apportion(cells.length, fractions, rng);
    // Each non-empty part gets at least one cell of the class, taken from the biggest share.
    for (let p = 0; p < 3; p++) {
      if (fractions[p] > 0 && counts[p] === 0) {
        counts[counts.indexOf(Math.max(...counts))]--;
        counts[p]++;
      }
    }
    let start = 0;
    for (let p = 0; p < 3; p++) {
      parts[p].push(...cells.slice(start, start + counts[p]));
      start += counts[p];
    }
  }
  return makeSplit(parts, { kind: "stratified", seed, nCells: codes.length, notes });
}

/**
 * Random split of `n` cells by the fractions, ignoring labels.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomSplit } from "yoto";
 * const split = randomSplit(100, { train: 0.8, val: 0.1, test: 0.1, seed: 3 });
 * assert.equal(split.train.length, 80);
 * ```
 */
export function randomSplit(n: number, options: SplitOptions = {}): Split {
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new OptionError(`number of cells must be an integer >= 0, got ${n}`, { field: "n" });
  }
  const fractions = resolveFractions(options);
  const seed = checkSeed(options.seed ?? 0);
  const rng = new Rng(seed);
  const order = rng.permutation(n);
  const [a, b] = apportion(n, fractions, rng);
  const parts = [order.subarray(0, a), order.subarray(a, a + b), order.subarray(a + b)];
  return makeSplit(parts, { kind: "random", seed, nCells: n, notes: [] });
}

/** Resolve the named groups of one part; the number of further groups to draw at random. */
function namedGroups(
  spec: number | string[],
  part: "val" | "test",
  categories: string[],
): { named: number[]; draw: number } {
  if (typeof spec === "number") {
    if (!(Number.isInteger(spec) && spec >= 0)) {
      throw new OptionError(`number of ${part} groups must be an integer >= 0, got ${spec}`, {
        field: part,
      });
    }
    return { named: [], draw: spec };
  }
  const unknown = spec.filter((name) => !categories.includes(name));
  if (unknown.length) {
    throw new MissingFieldError(`unknown group(s): ${unknown.join(", ")}`, {
      field: part,
      fix: `use group names among: ${categories.join(", ")}`,
    });
  }
  return { named: [...new Set(spec)].map((name) => categories.indexOf(name)), draw: 0 };
}

/**
 * Group split: whole groups (donors, samples) are held out for val and test, so no group is
 * in two parts. Groups are chosen by name or drawn at random by count; with
 * `oneGroupPerClass` the draw prefers hold-outs that keep every class (of every `stratifyBy`
 * column) in train, then in test, then in val. Cells with a missing group stay in train. Classes absent from a part
 * (given `stratifyBy`) are listed in `notes`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupSplit } from "yoto";
 * const codes = Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]);
 * const donors = { codes, categories: ["d1", "d2", "d3", "d4"] };
 * const split = groupSplit(donors, { test: ["d4"], val: 1 });
 * assert.equal(split.groups!.test[0], "d4");
 * assert.equal(split.groups!.train.length, 2);
 * ```
 */
export function groupSplit(groups: SplitLabels, options: GroupSplitOptions = {}): Split {
  const { codes, categories } = asCategorical(groups);
  const seed = checkSeed(options.seed ?? 0);
  const val = namedGroups(options.val ?? 1, "val", categories);
  const test = namedGroups(options.test ?? 1, "test", categories);
  const clash = val.named.filter((g) => test.named.includes(g));
  if (clash.length) {
    const names = clash.map((g) => categories[g]).join(", ");
    throw new OptionError(`group(s) named for both val and test: ${names}`, { field: "val/test" });
  }
  const present = [...new Set(codes)].filter((g) => g >= 0).sort((a, b) => a - b);
  const heldOut = val.named.length + val.draw + test.named.length + test.draw;
  if (present.length < heldOut + 1) {
    const names = present.map((g) => categories[g]).join(", ");
    throw new OptionError(
      `only ${present.length} group(s) with cells (${names}); ` +
        `holding out ${heldOut} and keeping one for train needs ${heldOut + 1}`,
      { field: "groups", fix: "split by cells instead, or hold out fewer groups (val: 0)" },
    );
  }
  for (const g of [...val.named, ...test.named]) {
    if (!present.includes(g)) {
      throw new OptionError(`group '${categories[g]}' has no cells`, { field: "val/test" });
    }
  }
  const columns = labelColumns(options.stratifyBy);
  for (const column of columns) {
    if (column.codes.length !== codes.length) {
      const problem = `${column.codes.length} class labels for ${codes.length} cells` +
        (column.name === undefined ? "" : ` in '${column.name}'`);
      throw new ShapeMismatchError(problem, { field: "stratifyBy" });
    }
  }
  if (options.oneGroupPerClass && !columns.length) {
    throw new OptionError("holding out groups per class needs class labels", {
      field: "stratifyBy",
      fix: "pass the cells' labels too",
    });
  }

  // classesOf[g]: the classes with cells in group g (missing-group cells count as train); the
  // classes of all columns are numbered one after the other.
  const nClasses = columns.reduce((n, column) => n + column.categories.length, 0);
  const classesOf = new Map<number, Set<number>>(present.map((g) => [g, new Set<number>()]));
  const ungroupedClasses = new Set<number>();
  let offset = 0;
  for (const column of columns) {
    codes.forEach((g, i) => {
      const c = column.codes[i];
      if (c >= 0) (g >= 0 ? classesOf.get(g)! : ungroupedClasses).add(offset + c);
    });
    offset += column.categories.length;
  }
  const pool = present.filter((g) => !val.named.includes(g) && !test.named.includes(g));
  const rng = new Rng(seed);
  const draw = (): { val: number[]; test: number[] } => {
    const order = rng.shuffle([...pool]);
    return {
      test: [...test.named, ...order.slice(0, test.draw)],
      val: [...val.named, ...order.slice(test.draw, test.draw + val.draw)],
    };
  };
  const partOf = (choice: { val: number[]; test: number[] }) => (g: number) =>
    choice.test.includes(g) ? 2 : choice.val.includes(g) ? 1 : 0;
  const classCoverage = (choice: { val: number[]; test: number[] }): Set<number>[] => {
    const covered = [new Set(ungroupedClasses), new Set<number>(), new Set<number>()];
    const part = partOf(choice);
    for (const g of present) for (const c of classesOf.get(g)!) covered[part(g)].add(c);
    return covered;
  };
  let choice = draw();
  if (options.oneGroupPerClass && val.draw + test.draw > 0) {
    // Lexicographic cost: classes lost from train, then absent from test, then from val.
    const cost = (candidate: { val: number[]; test: number[] }): number => {
      const [tr, va, te] = classCoverage(candidate);
      let missingTest = 0, missingVal = 0;
      for (const c of tr) {
        if (!te.has(c)) missingTest++;
        if (!va.has(c)) missingVal++;
      }
      return (nClasses - tr.size) * (nClasses + 1) ** 2 + missingTest * (nClasses + 1) + missingVal;
    };
    let best = cost(choice);
    for (let k = 1; k < COVERAGE_CANDIDATES && best > 0; k++) {
      const candidate = draw();
      const c = cost(candidate);
      if (c < best) [choice, best] = [candidate, c];
    }
  }

  const part = partOf(choice);
  const parts: number[][] = [[], [], []];
  codes.forEach((g, i) => parts[g >= 0 ? part(g) : 0].push(i));
  const names = (p: number) => present.filter((g) => part(g) === p).map((g) => categories[g]);
  const notes: string[] = [];
  const ungrouped = codes.filter((g) => g < 0).length;
  if (ungrouped) notes.push(`${ungrouped} cell(s) with a missing group were put in train`);
  notes.push(...coverageNotes(parts, columns));
  return makeSplit(parts, {
    kind: "group",
    seed,
    nCells: codes.length,
    notes,
    groups: { train: names(0), val: names(1), test: names(2) },
  });
}

/**
 * The three parts of a dataset (via `selectCells`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset, randomSplit, splitDataset } from "yoto";
 * const ds = Dataset.fromDense(new Float32Array(20), 10, 2, ["A", "B"]);
 * const { train, test } = splitDataset(ds, randomSplit(ds.nCells));
 * assert.equal(train.nCells, 7);
 * assert.equal(test.nGenes, 2);
 * ```
 */
export function splitDataset(
  ds: Dataset,
  split: Split,
): { train: Dataset; val: Dataset; test: Dataset } {
  if (ds.nCells !== split.nCells) {
    throw new ShapeMismatchError(
      `split was made for ${split.nCells} cells, dataset has ${ds.nCells}`,
      {
        fix: "make the split from this dataset's labels",
      },
    );
  }
  return {
    train: ds.selectCells(split.train),
    val: ds.selectCells(split.val),
    test: ds.selectCells(split.test),
  };
}

/**
 * A split as plain JSON (index lists as number arrays).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomSplit } from "yoto";
 * import { splitFromJSON, splitToJSON } from "./split.ts";
 * const text = JSON.stringify(splitToJSON(randomSplit(10)));
 * assert.equal(splitFromJSON(text).train.length, 7);
 * ```
 */
export function splitToJSON(split: Split): SplitJSON {
  return {
    kind: split.kind,
    seed: split.seed,
    nCells: split.nCells,
    train: Array.from(split.train),
    val: Array.from(split.val),
    test: Array.from(split.test),
    notes: [...split.notes],
    ...(split.groups ? { groups: structuredClone(split.groups) } : {}),
  };
}

/**
 * A split from JSON text or its parsed object, checked: FileFormatError when fields are missing,
 * indices are out of range, repeated, or the parts do not cover all cells.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitFromJSON } from "./split.ts";
 * const text = '{"kind":"random","seed":0,"nCells":3,"train":[0,2],"val":[],"test":[1]}';
 * const split = splitFromJSON(text);
 * assert.equal(split.test[0], 1);
 * ```
 */
export function splitFromJSON(json: string | SplitJSON): Split {
  let obj: unknown = json;
  if (typeof json === "string") {
    try {
      obj = JSON.parse(json);
    } catch (e) {
      throw new FileFormatError(`split is not valid JSON (${(e as Error).message})`);
    }
  }
  const o = obj as Partial<SplitJSON> | null;
  if (typeof o !== "object" || o === null) throw new FileFormatError("split JSON is not an object");
  if (o.kind !== "stratified" && o.kind !== "random" && o.kind !== "group") {
    throw new FileFormatError(`unknown split kind ${JSON.stringify(o.kind)}`, { field: "kind" });
  }
  const nCells = o.nCells;
  if (!(typeof nCells === "number" && Number.isInteger(nCells) && nCells >= 0)) {
    throw new FileFormatError("nCells must be an integer >= 0", { field: "nCells" });
  }
  const seen = new Uint8Array(nCells);
  const parts = PARTS.map((name) => {
    const list = o[name];
    if (!Array.isArray(list)) throw new FileFormatError("missing index list", { field: name });
    for (const i of list) {
      if (!(Number.isInteger(i) && i >= 0 && i < nCells)) {
        throw new FileFormatError(`cell index ${i} out of range [0, ${nCells})`, { field: name });
      }
      if (seen[i]++) throw new FileFormatError(`cell ${i} appears twice`, { field: name });
    }
    return Int32Array.from(list).sort();
  });
  const covered = seen.reduce((s, v) => s + v, 0);
  if (covered !== nCells) {
    throw new FileFormatError(`parts cover ${covered} of ${nCells} cells`, {
      field: "train/val/test",
    });
  }
  return {
    train: parts[0],
    val: parts[1],
    test: parts[2],
    kind: o.kind,
    seed: typeof o.seed === "number" ? o.seed : 0,
    nCells,
    notes: Array.isArray(o.notes) ? o.notes.map(String) : [],
    ...(o.groups === undefined ? {} : { groups: checkGroups(o.groups) }),
  };
}

function checkGroups(groups: unknown): NonNullable<Split["groups"]> {
  const g = groups as Record<string, unknown> | null;
  const ok = typeof g === "object" && g !== null &&
    PARTS.every((p) =>
      Array.isArray(g[p]) && (g[p] as unknown[]).every((x) => typeof x === "string")
    );
  if (!ok) {
    throw new FileFormatError("groups must hold train, val and test name lists", {
      field: "groups",
    });
  }
  return g as NonNullable<Split["groups"]>;
}

/** Fractions of the validation cells taken from the training group when only two exist. */
const VAL_FROM_TRAIN = { train: 0.85, val: 0.15, test: 0 };

/**
 * The split the CLIs and benchmarks use. `labels` are the tasks' label columns (numeric ones are
 * ignored); every class of each keeps training cells, and a class absent from test is noted.
 * - `groupBy`: whole groups held out (15% of the groups, at least one, for each of validation
 *   and test; chosen so that train keeps every class, then test and validation get them). With
 *   two groups, one is held out for test and validation is 15% of the other's cells. An
 *   OptionError when there are fewer, or when no hold-out keeps every class in train (a label
 *   confounded with the groups).
 * - else a 70/15/15 split (or `fractions`) stratified on the first categorical label (a class of
 *   another label left without training cells has its cells moved to train), or a seeded random
 *   one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "yoto";
 * import { protocolSplit } from "./split.ts";
 * const { dataset } = simulate({ nCells: 200, nGenes: 100, seed: 1 });
 * const split = protocolSplit(dataset, { labels: ["cell_type"], groupBy: "donor", seed: 0 });
 * assert.equal(split.kind, "group");
 * assert.equal(protocolSplit(dataset, { labels: [] }).kind, "random");
 * ```
 */
export function protocolSplit(
  ds: Dataset,
  options: {
    labels?: readonly string[];
    groupBy?: string;
    seed?: number;
    fractions?: { train: number; val: number; test: number };
  },
): Split {
  const seed = options.seed ?? 0;
  const fractions = options.fractions ?? { train: 0.7, val: 0.15, test: 0.15 };
  const names = [...new Set(options.labels ?? [])].filter((l) => ds.obs(l).kind !== "numeric");
  const columns: LabelColumn[] = names.map((name) => ({ name, ...ds.categorical(name) }));
  if (options.groupBy) return protocolGroupSplit(ds, options.groupBy, columns, seed);
  if (!columns.length) {
    const split = randomSplit(ds.nCells, { ...fractions, seed });
    const percents = [fractions.train, fractions.val, fractions.test].map((f) =>
      Math.round(100 * f)
    );
    split.notes.push(
      `no categorical label to stratify on: a random ${
        percents.join("/")
      } split of the cells (seed ${seed})`,
    );
    return split;
  }
  const split = stratifiedSplit(columns[0], { ...fractions, seed });
  // Stratifying on the first label keeps its classes in train; another label's rare class
  // could land wholly in val/test, so its cells join train.
  const others = columns.slice(1);
  const parts = [Array.from(split.train), Array.from(split.val), Array.from(split.test)];
  for (const column of others) {
    const lost = new Set(absentClasses(parts, column)[0]);
    if (!lost.size) continue;
    const isLost = (i: number) => lost.has(column.categories[column.codes[i]]);
    const moved = [...parts[1].filter(isLost), ...parts[2].filter(isLost)];
    parts[0].push(...moved);
    parts[1] = parts[1].filter((i) => !isLost(i));
    parts[2] = parts[2].filter((i) => !isLost(i));
    split.notes.push(
      `'${column.name}': class(es) ${[...lost].join(", ")} had no training cells: ` +
        `their ${moved.length} cell(s) were moved to train`,
    );
  }
  const notes = [...split.notes, ...coverageNotes(parts, others)];
  return makeSplit(parts, { kind: split.kind, seed, nCells: ds.nCells, notes });
}

/** protocolSplit by whole groups of `groupBy`. */
function protocolGroupSplit(
  ds: Dataset,
  groupBy: string,
  columns: LabelColumn[],
  seed: number,
): Split {
  const groups = ds.categorical(groupBy);
  const n = new Set(Array.from(groups.codes).filter((c) => c >= 0)).size;
  const flag = `the --split-by column '${groupBy}'`;
  if (n < 2) {
    throw new OptionError(
      `${flag} has ${n} group(s) with cells; holding out whole groups needs at least 2 ` +
        "(one to train on, one to test on; 3 for separate validation and test groups)",
      { fix: "split by cells (leave out --split-by), or split by a column with more groups" },
    );
  }
  const held = Math.max(1, Math.round(0.15 * n));
  const split = groupSplit(groups, {
    val: n === 2 ? 0 : held,
    test: held,
    seed,
    stratifyBy: Object.fromEntries(columns.map((c) => [c.name!, c])),
    oneGroupPerClass: columns.length > 0,
  });
  const parts = [split.train, split.val, split.test];
  const lost = columns.flatMap((c) => {
    const absent = absentClasses(parts, c)[0];
    return absent.length ? [`'${c.name}' ${absent.join(", ")}`] : [];
  });
  if (lost.length) {
    throw new OptionError(
      `holding out ${held} test${n === 2 ? "" : ` and ${held} validation`} group(s) of ` +
        `${flag} (${n} groups) leaves class(es) with no training cells in every hold-out tried: ` +
        `${lost.join("; ")} (the label is confounded with the groups; the model could never ` +
        "predict those classes)",
      { fix: "split by cells (leave out --split-by), or leave that label out of the tasks" },
    );
  }
  if (n > 2) return split;
  // Two groups: validation cells come from the training group (same group, so say so).
  const first = columns[0];
  const inner = first
    ? stratifiedSplit(
      { codes: Int32Array.from(split.train, (i) => first.codes[i]), categories: first.categories },
      { ...VAL_FROM_TRAIN, seed },
    )
    : randomSplit(split.train.length, { ...VAL_FROM_TRAIN, seed });
  const from = (local: Int32Array) => Int32Array.from(local, (j) => split.train[j]);
  return makeSplit([from(inner.train), from(inner.val), split.test], {
    kind: "group",
    seed,
    nCells: split.nCells,
    notes: [
      ...split.notes,
      `${flag} has only 2 groups: ${split.groups!.test.join(", ")} is held out for test and ` +
      `validation is ${100 * VAL_FROM_TRAIN.val}% of the cells of ` +
      `${split.groups!.train.join(", ")}, which also trains`,
    ],
    groups: split.groups,
  });
}

/**
 * The fitting and validation cells of a model with early stopping: `options.validation` when
 * given, else 15% of `train` held out (stratified on the label column `stratifyOn` when given,
 * random otherwise) with `options.seed`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "yoto";
 * import { validationSplit } from "./split.ts";
 * const { dataset } = simulate({ nCells: 200, nGenes: 80, seed: 1 });
 * const { fit, val } = validationSplit(dataset, { seed: 0 }, "cell_type");
 * assert.equal(fit.nCells + val.nCells, 200);
 * assert.equal(val.nCells, 30);
 * ```
 */
export function validationSplit(
  train: Dataset,
  options: { validation?: Dataset; seed?: number },
  stratifyOn?: string,
): { fit: Dataset; val: Dataset } {
  if (options.validation) return { fit: train, val: options.validation };
  const fractions = { train: 0.85, val: 0.15, test: 0, seed: options.seed ?? 0 };
  const split = stratifyOn
    ? stratifiedSplit(train.categorical(stratifyOn), fractions)
    : randomSplit(train.nCells, fractions);
  const { train: fit, val } = splitDataset(train, split);
  return { fit, val };
}
