/** Input checks shared by the metrics. */
import { ShapeMismatchError } from "../runtime/errors.ts";

/** ShapeMismatchError unless there is one prediction per target. */
export function checkSameLength(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length) {
    throw new ShapeMismatchError(
      `yTrue has ${yTrue.length} entries but yPred has ${yPred.length}`,
      { field: "yPred", fix: "pass one prediction per cell, in the same order as yTrue" },
    );
  }
}
