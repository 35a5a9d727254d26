import { assertEquals, assertThrows } from "../_assert.ts";
import { concatCells, Dataset } from "../../lib/data/dataset.ts";
import { MissingFieldError, OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
import { bruteDense, tinyCsr } from "./_fixtures.ts";

Deno.test("rows() densifies only the requested rows and matches brute force", () => {
  const ds = tinyCsr();
  const dense = bruteDense(ds);
  const seen: number[][] = [];
  for (const b of ds.rows(2)) {
    for (let i = b.start; i < b.end; i++) {
      seen.push(Array.from(b.data.subarray((i - b.start) * 4, (i - b.start + 1) * 4)));
    }
  }
  assertEquals(seen, dense);
});

Deno.test("selectGenes by name and index reorders columns like brute force", () => {
  const ds = tinyCsr();
  const sub = ds.selectGenes(["G3", "G0"]);
  const dense = bruteDense(ds);
  assertEquals(bruteDense(sub), dense.map((r) => [r[3], r[0]]));
  assertEquals(sub.genes, ["G3", "G0"]);
  assertEquals(sub.var.chrom, ["1", "1"]);
  assertEquals(bruteDense(ds.selectGenes([2])), dense.map((r) => [r[2]]));
  // rows stay sorted by gene index after reordering
  for (let i = 0; i < sub.nCells; i++) {
    for (let p = sub.indptr[i] + 1; p < sub.indptr[i + 1]; p++) {
      assertEquals(sub.indices[p - 1] < sub.indices[p], true);
    }
  }
});

Deno.test("selectGenes errors name the missing genes", () => {
  const err = assertThrows(() => tinyCsr().selectGenes(["G0", "NOPE"]), MissingFieldError);
  assertEquals(err.message.includes("NOPE"), true);
});

Deno.test("selectCells gathers rows and obs without touching the source", () => {
  const ds = tinyCsr();
  const before = Float32Array.from(ds.values);
  const sub = ds.selectCells([4, 0, 2]);
  const dense = bruteDense(ds);
  assertEquals(bruteDense(sub), [dense[4], dense[0], dense[2]]);
  assertEquals(sub.labels("type"), ["T", "B", null]);
  assertEquals(sub.cellIds(), ["c4", "c0", "c2"]);
  assertEquals(Array.from(ds.values), Array.from(before));
  assertThrows(() => ds.selectCells([5]), OptionError);
});

Deno.test("dense and CSR datasets agree on every operation", () => {
  const csr = tinyCsr();
  const dense = new Dataset({
    X: { kind: "dense", nRows: 5, nCols: 4, data: csr.toDense() },
    var: csr.var,
    obs: { ...csr.obsColumns },
    obsIndex: "cell_id",
  });
  assertEquals(
    bruteDense(dense.selectGenes(["G2", "G1"]).selectCells([3, 1])),
    bruteDense(csr.selectGenes(["G2", "G1"]).selectCells([3, 1])),
  );
});

Deno.test("constructor rejects mismatched shapes and obs lengths", () => {
  assertThrows(() => Dataset.fromDense(new Float32Array(4), 2, 2, ["A"]), ShapeMismatchError);
  assertThrows(
    () =>
      Dataset.fromDense(new Float32Array(4), 2, 2, ["A", "B"], {
        x: { kind: "numeric", values: new Float64Array(3) },
      }),
    ShapeMismatchError,
  );
  assertThrows(
    () =>
      Dataset.fromCSR(Int32Array.from([0, 5]), new Int32Array(2), new Float32Array(2), 2, [
        "A",
        "B",
      ]),
    ShapeMismatchError,
  );
});

Deno.test("obs() on a missing column lists the columns that exist", () => {
  const err = assertThrows(() => tinyCsr().obs("cluster"), MissingFieldError);
  assertEquals(err.message.includes("type"), true);
});

Deno.test("categorical() encodes string columns and refuses numeric ones", () => {
  const ds = tinyCsr();
  const c = ds.categorical("note");
  assertEquals(c.categories, ["", "a", "c,d", "é"]);
  assertEquals(Array.from(c.codes), [1, -1, 2, 3, 0]);
  assertThrows(() => ds.categorical("score"), OptionError);
});

Deno.test("concatCells stacks CSR cells and obs of every kind, merging categories by name", () => {
  const ds = tinyCsr();
  const parts = [[0, 1], [2], [3, 4]].map((rows) => ds.selectCells(rows));
  // the last part's categories in another order: codes are remapped by name
  const last = parts[2].obs("type") as { codes: Int32Array; categories: string[] };
  parts[2] = parts[2].withObs("type", {
    kind: "categorical",
    codes: last.codes.map((c) => (c < 0 ? -1 : 1 - c)),
    categories: ["T", "B"],
  });
  const back = concatCells(parts);
  assertEquals(bruteDense(back), bruteDense(ds));
  for (const name of ds.obsNames) assertEquals(back.labels(name), ds.labels(name), name);
  assertEquals(back.obs("score").kind, "numeric");
  assertEquals(
    Array.from((back.obs("score") as { values: Float64Array }).values).map(String),
    Array.from((ds.obs("score") as { values: Float64Array }).values).map(String),
  );
  assertThrows(() => concatCells([ds, ds.selectGenes(["G0", "G1"])]), ShapeMismatchError);
  assertThrows(() => concatCells([]), OptionError);
});
