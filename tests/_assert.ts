/** Re-exports node:assert/strict under the names the tests use, with typed throws helpers. */
import assert from "node:assert/strict";

export const assertEquals = <T>(actual: T, expected: T, message?: string): void =>
  assert.deepStrictEqual(actual, expected, message);

/** Assert `fn` throws an instance of `ErrorClass` and return the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  ErrorClass: new (...a: never[]) => E,
): E {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err}`);
    return err as E;
  }
  throw new assert.AssertionError({ message: `expected ${ErrorClass.name} to be thrown` });
}

/** Async version of assertThrows. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  ErrorClass: new (...a: never[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err}`);
    return err as E;
  }
  throw new assert.AssertionError({ message: `expected ${ErrorClass.name} to be thrown` });
}

/** |actual - expected| <= tol. */
export function assertClose(actual: number, expected: number, tol: number, message = ""): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${message} ${actual} is not within ${tol} of ${expected}`,
  );
}
