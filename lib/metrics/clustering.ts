/**
 * Agreement of two clusterings (scikit-learn's `adjusted_rand_score` and
 * `normalized_mutual_info_score`).
 * @module
 */
import { OptionError, ShapeMismatchError } from "../runtime/errors.ts";

/** Cells per (a, b) code pair, per a code and per b code, over cells coded in both. */
function contingency(a: ArrayLike<number>, b: ArrayLike<number>): {
  joint: Map<string, number>;
  rows: Map<number, number>;
  cols: Map<number, number>;
  n: number;
} {
  if (a.length !== b.length) {
    throw new ShapeMismatchError(`a has ${a.length} labels but b has ${b.length}`, {
      field: "b",
      fix: "pass one cluster code per cell in both clusterings, in the same cell order",
    });
  }
  const joint = new Map<string, number>(), rows = new Map<number, number>();
  const cols = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (!Number.isInteger(x) || !Number.isInteger(y)) {
      throw new OptionError(`cell ${i} has codes ${x}, ${y}; cluster codes must be integers`, {
        field: Number.isInteger(x) ? "b" : "a",
        fix: "pass integer cluster codes (negative = leave the cell out)",
      });
    }
    if (x < 0 || y < 0) continue;
    n++;
    const key = `${x},${y}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    rows.set(x, (rows.get(x) ?? 0) + 1);
    cols.set(y, (cols.get(y) ?? 0) + 1);
  }
  return { joint, rows, cols, n };
}

/**
 * Adjusted Rand index of two clusterings (sklearn's `adjusted_rand_score`, pair-counting form):
 * 1 for identical partitions up to renaming, about 0 for independent ones, negative below
 * chance; 1 when neither partition separates any pair differently (e.g. both one cluster). Codes
 * are any integers; cells with a negative code in either clustering are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adjustedRandIndex } from "yoto";
 * assert.equal(adjustedRandIndex([0, 0, 1, 1], [5, 5, 2, 2]), 1);
 * assert.ok(Math.abs(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) - 8 / 33) < 1e-15);
 * ```
 * @throws ShapeMismatchError when a and b differ in length.
 * @throws OptionError when a code is not an integer.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { joint, rows, cols, n } = contingency(a, b);
  const pairs = (counts: Iterable<number>) => {
    let s = 0;
    for (const c of counts) s += c * (c - 1) / 2;
    return s;
  };
  const same = pairs(joint.values()), sameA = pairs(rows.values()), sameB = pairs(cols.values());
  const total = n * (n - 1) / 2;
  // pair confusion: tp = together in both, fp / fn = together in one only, tn = apart in both
  const tp = same, fp = sameB - same, fn = sameA - same, tn = total - sameA - sameB + same;
  if (fp === 0 && fn === 0) return 1;
  return 2 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

/**
 * Normalised mutual information of two clusterings (sklearn's `normalized_mutual_info_score`,
 * arithmetic mean): I(a; b) / ((H(a) + H(b)) / 2), in [0, 1], 1 for identical partitions up to
 * renaming; 1 when both are a single cluster, 0 when only one is. Cells with a negative code in
 * either clustering are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizedMutualInfo } from "./clustering.ts";
 * assert.equal(normalizedMutualInfo([0, 0, 1, 1], [5, 5, 2, 2]), 1);
 * assert.equal(normalizedMutualInfo([0, 0, 1, 1], [0, 1, 0, 1]), 0);
 * ```
 * @throws ShapeMismatchError when a and b differ in length.
 * @throws OptionError when a code is not an integer.
 */
export function normalizedMutualInfo(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { joint, rows, cols, n } = contingency(a, b);
  if (rows.size <= 1 && cols.size <= 1) return 1;
  const entropy = (counts: Iterable<number>) => {
    let h = 0;
    for (const c of counts) h -= (c / n) * Math.log(c / n);
    return h;
  };
  let mi = 0;
  for (const [key, c] of joint) {
    const [x, y] = key.split(",").map(Number);
    mi += (c / n) * Math.log((c * n) / (rows.get(x)! * cols.get(y)!));
  }
  const mean = (entropy(rows.values()) + entropy(cols.values())) / 2;
  // rounding can leave mi a hair above the mean entropy, or below 0
  return mean > 0 ? Math.min(1, Math.max(0, mi / mean)) : 0;
}
