import { deepStrictEqual, notDeepStrictEqual, ok as assert, throws } from "node:assert/strict";
import {
  apportion,
  groupSplit,
  protocolSplit,
  randomSplit,
  type Split,
  splitDataset,
  splitFromJSON,
  splitToJSON,
  stratifiedSplit,
} from "../../lib/data/split.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { type Dataset, encodeCategorical } from "../../lib/data/dataset.ts";
import { donorDesign } from "./_fixtures.ts";
import {
  FileFormatError,
  MissingFieldError,
  OptionError,
  ShapeMismatchError,
} from "../../lib/runtime/errors.ts";
import { Rng } from "../../lib/runtime/rng.ts";

/** Labels with the given number of cells per class ("c0", "c1", ...), in shuffled order. */
function labelsOfSizes(
  sizes: number[],
  missing = 0,
  seed = 0,
): { codes: Int32Array; categories: string[] } {
  const codes = sizes.flatMap((n, c) => Array<number>(n).fill(c));
  codes.push(...Array<number>(missing).fill(-1));
  return {
    codes: new Rng(seed).shuffle(Int32Array.from(codes)),
    categories: sizes.map((_, c) => `c${c}`),
  };
}

/** Asserts the parts are sorted, disjoint and together cover 0..nCells-1. */
function assertPartition(split: Split): void {
  const seen = new Uint8Array(split.nCells);
  for (const part of [split.train, split.val, split.test]) {
    for (let k = 0; k < part.length; k++) {
      if (k > 0) assert(part[k - 1] < part[k], "sorted");
      assert(!seen[part[k]]++, `cell ${part[k]} in two parts`);
    }
  }
  assert(seen.every((v) => v === 1), "every cell in a part");
}

function countIn(part: Int32Array, codes: Int32Array, code: number): number {
  return part.reduce((n, i) => n + (codes[i] === code ? 1 : 0), 0);
}

const isOptionError = (field?: string) => (e: unknown) =>
  e instanceof OptionError && (!field || e.field === field);

Deno.test("apportion sums to the total and breaks ties without favouring a part", () => {
  deepStrictEqual(apportion(10, [0.7, 0.15, 0.15]).reduce((s, c) => s + c, 0), 10);
  deepStrictEqual(Array.from(apportion(100, [0.7, 0.15, 0.15])), [70, 15, 15]);
  const rng = new Rng(1);
  let valWins = 0;
  for (let k = 0; k < 200; k++) valWins += apportion(10, [0.7, 0.15, 0.15], rng)[1] === 2 ? 1 : 0;
  assert(valWins > 60 && valWins < 140, `val won ${valWins} of 200 ties`);
});

Deno.test("stratifiedSplit respects fractions per class and partitions all cells", () => {
  const sizes = [500, 137, 40, 11, 5, 4];
  const labels = labelsOfSizes(sizes);
  const split = stratifiedSplit(labels, { seed: 3 });
  assertPartition(split);
  deepStrictEqual(split.kind, "stratified");
  deepStrictEqual(split.notes, []);
  sizes.forEach((n, c) => {
    [[split.train, 0.7], [split.val, 0.15], [split.test, 0.15]].forEach(([part, f]) => {
      const got = countIn(part as Int32Array, labels.codes, c);
      assert(
        Math.abs(got - (f as number) * n) <= 1,
        `class c${c} (${n} cells): ${got} vs ${(f as number) * n}`,
      );
    });
  });
  const custom = stratifiedSplit(labels, { train: 0.5, val: 0, test: 0.5, seed: 3 });
  assertPartition(custom);
  deepStrictEqual(custom.val.length, 0);
  assert(Math.abs(custom.train.length - custom.test.length) <= sizes.length);
});

Deno.test("stratifiedSplit over many small classes is unbiased overall", () => {
  const split = stratifiedSplit(labelsOfSizes(Array(200).fill(10)), { seed: 0 });
  assert(
    Math.abs(split.val.length - 300) < 30 && Math.abs(split.test.length - 300) < 30,
    `${split.val.length}/${split.test.length}`,
  );
});

Deno.test("stratifiedSplit handles tiny classes and missing labels, and says so", () => {
  const labels = labelsOfSizes([50, 3, 2, 1], 7);
  const split = stratifiedSplit(labels, { seed: 1 });
  assertPartition(split);
  for (const part of [split.train, split.val, split.test]) {
    deepStrictEqual(countIn(part, labels.codes, 1), 1);
  }
  deepStrictEqual(countIn(split.train, labels.codes, 2), 2);
  deepStrictEqual(countIn(split.train, labels.codes, 3), 1);
  assert(split.notes.some((n) => n.includes("'c2'") && n.includes("train")));
  assert(split.notes.some((n) => n.includes("'c3'")));
  assert(split.notes.some((n) => n.includes("missing label")));
  for (const part of [split.train, split.val, split.test]) {
    assert(countIn(part, labels.codes, -1) >= 1);
  }
  // With one non-empty part nothing is too small.
  deepStrictEqual(stratifiedSplit(labels, { train: 1, val: 0, test: 0 }).notes.length, 1);
});

Deno.test("splits are deterministic per seed and accept bare codes", () => {
  const labels = labelsOfSizes([60, 30, 10]);
  deepStrictEqual(stratifiedSplit(labels, { seed: 5 }), stratifiedSplit(labels, { seed: 5 }));
  notDeepStrictEqual(
    stratifiedSplit(labels, { seed: 5 }).train,
    stratifiedSplit(labels, { seed: 6 }).train,
  );
  deepStrictEqual(
    stratifiedSplit(labels.codes, { seed: 5 }).train,
    stratifiedSplit(labels, { seed: 5 }).train,
  );
  deepStrictEqual(randomSplit(100, { seed: 2 }), randomSplit(100, { seed: 2 }));
  notDeepStrictEqual(randomSplit(100, { seed: 2 }).test, randomSplit(100, { seed: 3 }).test);
});

Deno.test("randomSplit gives the asked sizes", () => {
  const split = randomSplit(100, { train: 0.8, val: 0.1, test: 0.1, seed: 4 });
  assertPartition(split);
  deepStrictEqual([split.train.length, split.val.length, split.test.length], [80, 10, 10]);
  deepStrictEqual(split.kind, "random");
  assertPartition(randomSplit(0));
});

Deno.test("bad fractions and sizes raise OptionError", () => {
  const labels = labelsOfSizes([10]);
  throws(() => stratifiedSplit(labels, { train: 0.8 }), isOptionError("train/val/test"));
  throws(
    () => stratifiedSplit(labels, { train: 1.2, val: -0.1, test: -0.1 }),
    isOptionError("train"),
  );
  throws(() => stratifiedSplit(labels, { val: Number.NaN }), isOptionError("val"));
  throws(() => randomSplit(-1), isOptionError("n"));
  throws(() => randomSplit(10, { seed: Infinity }), isOptionError("seed"));
});

Deno.test("groupSplit keeps every group in one part", () => {
  const { dataset } = simulate({ nCells: 400, nGenes: 100, nDonors: 5, seed: 2 });
  const donors = dataset.categorical("donor");
  for (let seed = 0; seed < 5; seed++) {
    const split = groupSplit(donors, { seed });
    assertPartition(split);
    deepStrictEqual(split.kind, "group");
    deepStrictEqual([
      split.groups!.val.length,
      split.groups!.test.length,
      split.groups!.train.length,
    ], [1, 1, 3]);
    const parts = [split.train, split.val, split.test];
    donors.categories.forEach((_, g) => {
      const containing = parts.filter((part) => countIn(part, donors.codes, g) > 0).length;
      deepStrictEqual(containing, 1, `donor${g + 1} in ${containing} parts`);
    });
  }
  const named = groupSplit(donors, { test: ["donor2", "donor4"], val: 0 });
  deepStrictEqual(named.groups, {
    train: ["donor1", "donor3", "donor5"],
    val: [],
    test: ["donor2", "donor4"],
  });
  deepStrictEqual(
    named.test.length,
    countIn(named.test, donors.codes, 1) + countIn(named.test, donors.codes, 3),
  );
  deepStrictEqual(groupSplit(donors, { seed: 9 }), groupSplit(donors, { seed: 9 }));
});

Deno.test("groupSplit puts cells without a group in train and notes it", () => {
  const groups = encodeCategorical(["a", "b", "c", null, "a", "b", "c", null]);
  const split = groupSplit(groups, { seed: 0 });
  assertPartition(split);
  assert(split.train.includes(3) && split.train.includes(7));
  assert(split.notes.some((n) => n.includes("2 cell(s) with a missing group")));
});

Deno.test("oneGroupPerClass holds out groups so test has the classes train has", () => {
  // Six donors; "rare" cells only in donor1 and donor2;
  // one must stay in train, the other go to test.
  const donorNames: string[] = [], types: string[] = [];
  for (let d = 1; d <= 6; d++) {
    for (let k = 0; k < 20; k++) {
      donorNames.push(`donor${d}`);
      types.push(d <= 2 && k < 5 ? "rare" : k % 2 ? "common1" : "common2");
    }
  }
  const donors = encodeCategorical(donorNames), labels = encodeCategorical(types);
  const rare = labels.categories.indexOf("rare");
  let plainMisses = 0;
  for (let seed = 0; seed < 12; seed++) {
    const split = groupSplit(donors, { seed, stratifyBy: labels, oneGroupPerClass: true });
    assertPartition(split);
    assert(countIn(split.train, labels.codes, rare) > 0, `seed ${seed}: rare lost from train`);
    assert(countIn(split.test, labels.codes, rare) > 0, `seed ${seed}: rare absent from test`);
    assert(
      split.notes.some((n) => n === "class(es) absent from val: rare"),
      split.notes.join("; "),
    );
    const plain = groupSplit(donors, { seed, stratifyBy: labels });
    if (countIn(plain.test, labels.codes, rare) === 0) {
      plainMisses++;
      assert(plain.notes.some((n) => n.includes("absent from test: rare")), plain.notes.join("; "));
    }
  }
  assert(plainMisses > 0, "without oneGroupPerClass some seed leaves rare out of test");
});

Deno.test("groupSplit errors name the problem", () => {
  const two = encodeCategorical(["a", "b", "a", "b"]);
  throws(
    () => groupSplit(two),
    (e: unknown) => e instanceof OptionError && e.message.includes("needs 3"),
  );
  deepStrictEqual(groupSplit(two, { val: 0 }).groups!.test.length, 1);
  const three = encodeCategorical(["a", "b", "c"]);
  throws(
    () => groupSplit(three, { test: ["zz"] }),
    (e: unknown) => e instanceof MissingFieldError && e.field === "test",
  );
  throws(() => groupSplit(three, { test: ["a"], val: ["a"] }), isOptionError("val/test"));
  throws(() => groupSplit(three, { test: 1.5 }), isOptionError("test"));
  throws(() => groupSplit(three, { oneGroupPerClass: true }), isOptionError("stratifyBy"));
  throws(
    () => groupSplit(three, { stratifyBy: new Int32Array(2) }),
    (e: unknown) => e instanceof ShapeMismatchError,
  );
});

Deno.test("splitDataset selects each part's cells", () => {
  const { dataset } = simulate({ nCells: 300, nGenes: 80, seed: 4 });
  const split = stratifiedSplit(dataset.categorical("cell_type"), { seed: 1 });
  const parts = splitDataset(dataset, split);
  deepStrictEqual(parts.train.nCells + parts.val.nCells + parts.test.nCells, 300);
  const ids = dataset.cellIds();
  deepStrictEqual(parts.test.cellIds(), Array.from(split.test, (i) => ids[i]));
  deepStrictEqual(parts.val.denseRows(0, 1), dataset.denseRows(split.val[0], split.val[0] + 1));
  throws(
    () => splitDataset(dataset, randomSplit(10)),
    (e: unknown) => e instanceof ShapeMismatchError,
  );
});

Deno.test("splits round-trip through JSON and bad JSON is rejected", () => {
  const donors = encodeCategorical(["a", "b", "c", "d", "a", "b", "c", "d"]);
  for (
    const split of [
      stratifiedSplit(labelsOfSizes([20, 2]), { seed: 3 }),
      groupSplit(donors, { seed: 1 }),
    ]
  ) {
    const text = JSON.stringify(splitToJSON(split));
    assert(text.includes('"train":['));
    deepStrictEqual(splitFromJSON(text), split);
    deepStrictEqual(splitFromJSON(JSON.parse(text)), split);
  }
  const good = splitToJSON(randomSplit(5, { seed: 0 }));
  const bad: [unknown, string][] = [
    [{ ...good, kind: "other" }, "kind"],
    [{ ...good, train: [...good.train, 9] }, "train"],
    [{ ...good, val: [...good.val, good.train[0]] }, "val"],
    [{ ...good, test: [] }, "train/val/test"],
    [{ ...good, groups: { train: [1] } }, "groups"],
  ];
  for (const [json, field] of bad) {
    throws(
      () => splitFromJSON(JSON.stringify(json)),
      (e: unknown) => e instanceof FileFormatError && e.field === field,
    );
  }
  throws(() => splitFromJSON("{not json"), (e: unknown) => e instanceof FileFormatError);
});

/** Classes of `column` with cells in `part`. */
function classesIn(ds: Dataset, column: string, part: Int32Array): string[] {
  const { codes, categories } = ds.categorical(column);
  return [...new Set(Array.from(part, (i) => codes[i]).filter((c) => c >= 0))]
    .map((c) => categories[c]).sort();
}

const LIBRARY_WORDS = /stratifiedSplit|groupSplit|stratifyBy|oneGroupPerClass|protocolSplit/;

Deno.test("protocolSplit by donor keeps every class of every label in train", () => {
  // 6 donors x 3 conditions (2 donors each) and 4 donors ctrl/stim (2 + 2), confounded or not.
  for (const [nDonors, nConditions] of [[6, 3], [4, 2]]) {
    for (const confounded of [true, false]) {
      const ds = donorDesign({ nDonors, nConditions, confounded });
      const every = Int32Array.from({ length: ds.nCells }, (_, i) => i);
      const all = classesIn(ds, "condition", every), types = classesIn(ds, "cell_type", every);
      for (let seed = 0; seed < 8; seed++) {
        const split = protocolSplit(ds, {
          labels: ["cell_type", "condition"],
          groupBy: "donor",
          seed,
        });
        const what = `${nDonors}x${nConditions} confounded=${confounded} seed ${seed}`;
        assertPartition(split);
        deepStrictEqual(classesIn(ds, "condition", split.train), all, what);
        deepStrictEqual(classesIn(ds, "cell_type", split.train), types, what);
        const inTest = classesIn(ds, "condition", split.test);
        const absent = all.filter((c) => !inTest.includes(c));
        const note = split.notes.find((n) =>
          n.startsWith("'condition': class(es) absent from test")
        );
        deepStrictEqual(note !== undefined, absent.length > 0, `${what}: ${split.notes}`);
        if (note) {
          assert(note.endsWith(`${absent.join(", ")} (test scores the other classes only)`));
        }
      }
    }
  }
});

Deno.test("protocolSplit stops in one line when a label is confounded beyond repair", () => {
  // 3 donors, one condition each: holding out 1 + 1 donors always loses a condition from train.
  const ds = donorDesign({ nDonors: 3, nConditions: 3, confounded: true });
  throws(
    () => protocolSplit(ds, { labels: ["cell_type", "condition"], groupBy: "donor" }),
    (e: unknown) =>
      e instanceof OptionError && !e.message.includes("\n") && /--split-by/.test(e.message) &&
      /'condition' cond\d/.test(e.message) && !LIBRARY_WORDS.test(e.message),
  );
});

Deno.test("protocolSplit with 2 groups: one for test, validation from the other's cells", () => {
  const ds = donorDesign({ nDonors: 2, nConditions: 2, confounded: false });
  const split = protocolSplit(ds, { labels: ["cell_type"], groupBy: "donor", seed: 1 });
  assertPartition(split);
  deepStrictEqual(split.groups!.test.length, 1);
  const donors = ds.categorical("donor");
  const donorOf = (i: number) => donors.categories[donors.codes[i]];
  assert(split.val.length > 0 && split.val.every((i) => donorOf(i) === split.groups!.train[0]));
  assert(split.test.every((i) => donorOf(i) === split.groups!.test[0]));
  assert(split.notes.some((n) => n.includes("only 2 groups")), split.notes.join("; "));
  const one = ds.withObs("batch", {
    kind: "categorical",
    codes: new Int32Array(ds.nCells),
    categories: ["b1"],
  });
  throws(
    () => protocolSplit(one, { labels: ["cell_type"], groupBy: "batch" }),
    (e: unknown) =>
      e instanceof OptionError && /--split-by column 'batch' has 1 group/.test(e.message) &&
      e.message.includes("at least 2") && !LIBRARY_WORDS.test(e.message),
  );
});

Deno.test("protocolSplit without a class label is a seeded random split, said in a note", () => {
  const { dataset } = simulate({ nCells: 200, nGenes: 80, seed: 3 });
  const ds = dataset.withObs("score", {
    kind: "numeric",
    values: Float64Array.from({ length: 200 }, (_, i) => i / 7),
  });
  for (const labels of [[], ["score"]]) {
    const split = protocolSplit(ds, { labels, seed: 5 });
    deepStrictEqual(split.kind, "random");
    deepStrictEqual([split.train.length, split.val.length, split.test.length], [140, 30, 30]);
    deepStrictEqual(split.train, protocolSplit(ds, { labels, seed: 5 }).train);
    assert(split.notes.some((n) => n.includes("random 70/15/15")), split.notes.join("; "));
  }
});

Deno.test("protocolSplit fractions: a train/validation split with no test part", () => {
  const { dataset } = simulate({ nCells: 200, nGenes: 80, seed: 3 });
  const fractions = { train: 0.85, val: 0.15, test: 0 };
  const split = protocolSplit(dataset, { labels: ["cell_type"], seed: 5, fractions });
  deepStrictEqual([split.kind, split.train.length + split.val.length, split.test.length], [
    "stratified",
    200,
    0,
  ]);
  deepStrictEqual(
    split.val,
    stratifiedSplit(dataset.categorical("cell_type"), {
      ...fractions,
      seed: 5,
    }).val,
  );
  const random = protocolSplit(dataset, { labels: [], seed: 5, fractions });
  deepStrictEqual([random.train.length, random.val.length, random.test.length], [170, 30, 0]);
  assert(random.notes.some((n) => n.includes("random 85/15/0")), random.notes.join("; "));
});

Deno.test("protocolSplit by cells moves a second label's class that missed train into it", () => {
  const { dataset } = simulate({ nCells: 300, nGenes: 80, seed: 2 });
  const first = dataset.categorical("cell_type");
  // A 2-cell class of a second label; find a seed whose cell_type split leaves both out of train.
  let seed = 0, pair: number[] = [];
  for (; seed < 200; seed++) {
    const plain = stratifiedSplit(first, { seed });
    pair = [...plain.val.slice(0, 1), ...plain.test.slice(0, 1)];
    if (pair.length === 2) break;
  }
  const codes = Int32Array.from({ length: 300 }, (_, i) => (pair.includes(i) ? 1 : 0));
  const ds = dataset.withObs("rare", {
    kind: "categorical",
    codes,
    categories: ["common", "rare"],
  });
  const split = protocolSplit(ds, { labels: ["cell_type", "rare"], seed });
  assertPartition(split);
  assert(pair.every((i) => split.train.includes(i)), "rare cells in train");
  assert(split.notes.some((n) => n.startsWith("'rare': class(es) rare had no training cells")));
});

Deno.test("groupSplit covers several named label columns and names them in notes", () => {
  const ds = donorDesign({ nDonors: 6, nConditions: 3, confounded: true });
  const split = groupSplit(ds.categorical("donor"), {
    seed: 0,
    stratifyBy: { cell_type: ds.categorical("cell_type"), condition: ds.categorical("condition") },
    oneGroupPerClass: true,
  });
  deepStrictEqual(classesIn(ds, "condition", split.train), ["cond1", "cond2", "cond3"]);
  assert(split.notes.every((n) => n.startsWith("'")), split.notes.join("; "));
});
