import { assertClose, assertEquals, assertThrows } from "../_assert.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { dotPlotData } from "../../lib/data/expression.ts";
import { MissingFieldError, OptionError } from "../../lib/runtime/errors.ts";

Deno.test("dotPlotData: per-class mean log1p expression and fraction > 0, by hand", () => {
  // Library sizes count gene B too; cell 3 is unlabelled; class z has no cells.
  const ds = Dataset.fromDense(
    new Float32Array([1, 3, 0, 0, 2, 2, 5, 0, 5, 2, 2, 0]),
    4,
    3,
    ["A", "B", "C"],
    { t: { kind: "categorical", codes: Int32Array.of(0, 0, 1, -1), categories: ["x", "y", "z"] } },
  );
  const d = dotPlotData(ds, ["C", "A"], "t", { targetSum: 4 });
  assertEquals(d.classes, ["x", "y"]);
  assertEquals(d.cells, [2, 1]);
  assertEquals(d.genes, ["C", "A"]);
  const got = d.rows.map((r) => [r.class, r.gene, r.mean, r.fraction]);
  const expected = [
    ["x", "C", Math.log(3) / 2, 0.5], // cells 0, 1: C = 0, 2 (totals 4, 4)
    ["x", "A", Math.log(2) / 2, 0.5], // A = 1, 0
    ["y", "C", Math.log(3), 1], // cell 2: C = 5 * 4 / 10 = 2
    ["y", "A", Math.log(3), 1], // A = 5 * 4 / 10 = 2
  ];
  got.forEach((row, i) => {
    assertEquals(row.slice(0, 2), expected[i].slice(0, 2));
    assertClose(row[2] as number, expected[i][2] as number, 1e-6);
    assertEquals(row[3], expected[i][3]);
  });
  // Default target: the median total (4, 4, 4, 10 -> 4); raw counts without log1p or scaling.
  assertEquals(dotPlotData(ds, ["C", "A"], "t").rows.map((r) => r.mean), d.rows.map((r) => r.mean));
  assertEquals(
    dotPlotData(ds, ["A"], "t", { targetSum: null, log1p: false }).rows.map((r) => r.mean),
    [0.5, 5],
  );
  assertThrows(() => dotPlotData(ds, ["A", "Q"], "t"), MissingFieldError);
  assertThrows(() => dotPlotData(ds, ["A", "A"], "t"), OptionError);
});
