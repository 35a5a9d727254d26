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
  /** Cell labels; classes absent from val or test are reported in `notes`. */
  stratifyBy?: SplitLabels;
  /**
   * Draw the random held-out groups so that val and test contain every class of train where
   * possible (needs `stratifyBy`).
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
 * const counts = apportion(10, [0.7, 0.15, 0.15]);
 * console.assert(counts.join() === "7,2,1");
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
 * const codes = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1, 2]);
 * const split = stratifiedSplit({ codes, categories: ["a", "b", "c"] }, { seed: 1 });
 * console.assert(split.val.length === 2 && split.notes[0].includes("'c'"));
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
 * const split = randomSplit(100, { train: 0.8, val: 0.1, test: 0.1, seed: 3 });
 * console.assert(split.train.length === 80);
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
 * `oneGroupPerClass` the draw prefers hold-outs that keep every class in train, then in
 * test, then in val. Cells with a missing group stay in train. Classes absent from a part
 * (given `stratifyBy`) are listed in `notes`.
 * @example
 * ```ts
 * const codes = Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]);
 * const donors = { codes, categories: ["d1", "d2", "d3", "d4"] };
 * const split = groupSplit(donors, { test: ["d4"], val: 1 });
 * console.assert(split.groups!.test[0] === "d4" && split.groups!.train.length === 2);
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
      { field: "groups", fix: "use stratifiedSplit for fewer groups, or hold out fewer (val: 0)" },
    );
  }
  for (const g of [...val.named, ...test.named]) {
    if (!present.includes(g)) {
      throw new OptionError(`group '${categories[g]}' has no cells`, { field: "val/test" });
    }
  }
  const classes = options.stratifyBy ? asCategorical(options.stratifyBy) : undefined;
  if (classes && classes.codes.length !== codes.length) {
    const problem = `stratifyBy has ${classes.codes.length} labels for ${codes.length} cells`;
    throw new ShapeMismatchError(problem, { field: "stratifyBy" });
  }
  if (options.oneGroupPerClass && !classes) {
    throw new OptionError("oneGroupPerClass needs class labels", {
      field: "stratifyBy",
      fix: "pass stratifyBy: ds.categorical('cell_type')",
    });
  }

  // classesOf[g]: the classes with cells in group g (missing-group cells count as train).
  const nClasses = classes?.categories.length ?? 0;
  const classesOf = new Map<number, Set<number>>(present.map((g) => [g, new Set<number>()]));
  const ungroupedClasses = new Set<number>();
  if (classes) {
    codes.forEach((g, i) => {
      const c = classes.codes[i];
      if (c >= 0) (g >= 0 ? classesOf.get(g)! : ungroupedClasses).add(c);
    });
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
  if (classes) {
    const covered = classCoverage(choice);
    for (let p = 0; p < 3; p++) {
      if (!parts[p].length) continue;
      const absent = classes.categories.filter((_, c) =>
        !covered[p].has(c) && covered.some((s) => s.has(c))
      );
      if (absent.length) notes.push(`class(es) absent from ${PARTS[p]}: ${absent.join(", ")}`);
    }
  }
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
 * import { Dataset } from "./dataset.ts";
 * const ds = Dataset.fromDense(new Float32Array(20), 10, 2, ["A", "B"]);
 * const { train, test } = splitDataset(ds, randomSplit(ds.nCells));
 * console.assert(train.nCells === 7 && test.nGenes === 2);
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
 * const text = JSON.stringify(splitToJSON(randomSplit(10)));
 * console.assert(splitFromJSON(text).train.length === 7);
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
 * const text = '{"kind":"random","seed":0,"nCells":3,"train":[0,2],"val":[],"test":[1]}';
 * const split = splitFromJSON(text);
 * console.assert(split.test[0] === 1);
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

/**
 * The split the CLIs and benchmarks use: whole groups of `groupBy` held out (15% of the groups,
 * at least one, for each of validation and test; one group per class where possible), or else
 * stratified 70/15/15 on `stratifyOn`.
 *
 * @example
 * ```ts
 * import { simulate } from "./simulate.ts";
 * const { dataset } = simulate({ nCells: 200, nGenes: 100, seed: 1 });
 * const split = protocolSplit(dataset, { stratifyOn: "cell_type", groupBy: "donor", seed: 0 });
 * console.assert(split.kind === "group");
 * ```
 */
export function protocolSplit(
  ds: Dataset,
  options: { stratifyOn?: string; groupBy?: string; seed?: number },
): Split {
  const seed = options.seed ?? 0;
  const labels = options.stratifyOn ? ds.categorical(options.stratifyOn) : undefined;
  if (options.groupBy) {
    const groups = ds.categorical(options.groupBy);
    const n = new Set(Array.from(groups.codes).filter((c) => c >= 0)).size;
    const held = Math.max(1, Math.round(0.15 * n));
    return groupSplit(groups, {
      val: held,
      test: held,
      seed,
      stratifyBy: labels,
      oneGroupPerClass: labels !== undefined,
    });
  }
  if (labels) return stratifiedSplit(labels, { seed });
  throw new OptionError("no label to stratify on and no group column", {
    fix: "pass a label, or a group column (--split-by COL)",
  });
}

/**
 * The fitting and validation cells of a model with early stopping: `options.validation` when
 * given, else 15% of `train` held out (stratified on the label column `stratifyOn` when given,
 * random otherwise) with `options.seed`.
 *
 * @example
 * ```ts
 * import { simulate } from "./simulate.ts";
 * const { dataset } = simulate({ nCells: 200, nGenes: 80, seed: 1 });
 * const { fit, val } = validationSplit(dataset, { seed: 0 }, "cell_type");
 * console.assert(fit.nCells + val.nCells === 200 && val.nCells === 30);
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
