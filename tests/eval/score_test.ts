import { assertEquals } from "../_assert.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { predictionConfusion, scorePrediction, UNSEEN_CLASS } from "../../lib/eval/score.ts";

/** Cells labelled `truth` (categories in first-seen order) and one dummy gene. */
function labelled(truth: string[]): Dataset {
  const categories = [...new Set(truth)];
  return Dataset.fromDense(new Float32Array(truth.length), truth.length, 1, ["g"], {
    t: {
      kind: "categorical",
      codes: Int32Array.from(truth, (c) => categories.indexOf(c)),
      categories,
    },
  });
}

Deno.test("predictionConfusion drops the unseen-label class only when no test cell has it", () => {
  const pred = {
    task: "t",
    kind: "classification" as const,
    classes: ["a", "b"],
    labels: ["a", "b", "b", "a"],
  };
  const seen = scorePrediction(pred, labelled(["a", "b", "a", "a"]));
  assertEquals(seen.perClass.map((c) => c.name), ["a", "b", UNSEEN_CLASS]);
  const plain = predictionConfusion(seen);
  assertEquals(plain.classes, ["a", "b"]);
  // true a: predicted a, b, a; true b: predicted b
  assertEquals(plain.confusion.map((r) => Array.from(r)), [[2, 1], [0, 1]]);

  const withNew = scorePrediction(pred, labelled(["a", "b", "new", "a"]));
  const kept = predictionConfusion(withNew);
  assertEquals(kept.classes, ["a", "b", UNSEEN_CLASS]);
  assertEquals(kept.confusion.map((r) => Array.from(r)), [[2, 0, 0], [0, 1, 0], [0, 1, 0]]);
  assertEquals(withNew.accuracy, 0.75);
});
