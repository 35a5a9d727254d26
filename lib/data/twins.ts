/**
 * How null twins are named: a twin is its real gene's name plus a suffix ("__null" by default).
 * calibrate/nulls.ts appends twins; the model-input transform leaves them out of library sizes.
 * @module
 */

/** The default suffix naming a gene's null twin. */
export const NULL_SUFFIX = "__null";

/**
 * Whether a gene name is a null twin's (ends with the suffix).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isNullGene } from "yoto";
 * assert.ok(isNullGene("CD3E__null"));
 * assert.ok(!isNullGene("CD3E"));
 * ```
 */
export function isNullGene(name: string, suffix: string = NULL_SUFFIX): boolean {
  return name.endsWith(suffix);
}
