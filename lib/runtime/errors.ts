/**
 * Typed errors for problems a user can cause (bad file, missing column, bad option).
 * Each names what is wrong, where (file / field) and how to fix it; CLIs print
 * `err.message` (no stack) and exit with code 2.
 * @module
 */

/** Where a problem was found and how to fix it. */
export interface ErrorContext {
  /** The file the problem is in, when there is one. */
  file?: string;
  /** The field, column, dataset path or option at fault. */
  field?: string;
  /** What the user should do about it. */
  fix?: string;
}

/** Base class of every error a user can cause; `kind` tells which class without instanceof. */
export class YotoError extends Error {
  readonly kind: string = "yoto";
  /** The problem alone, without where or the fix (for a message that wraps it). */
  readonly problem: string;
  readonly file?: string;
  readonly field?: string;
  readonly fix?: string;

  /**
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { YotoError } from "yoto";
   * const e = new YotoError("k must be positive", { field: "k", fix: "pass --k 16" });
   * assert.ok(e.message.includes("Fix: pass --k 16"));
   * assert.equal(e.problem, "k must be positive");
   * ```
   */
  constructor(problem: string, context: ErrorContext = {}) {
    const where = [context.file, context.field && `field '${context.field}'`].filter(Boolean)
      .join(", ");
    super(
      (where ? `${where}: ` : "") + problem + (context.fix ? `. Fix: ${context.fix}` : ""),
    );
    this.name = new.target.name;
    this.problem = problem;
    this.file = context.file;
    this.field = context.field;
    this.fix = context.fix;
  }
}

/** A file that is missing, empty, truncated, corrupt or not of the expected format. */
export class FileFormatError extends YotoError {
  override readonly kind = "format";
}

/** Sizes that disagree: matrix vs gene list vs cell list, or a wrong orientation. */
export class ShapeMismatchError extends YotoError {
  override readonly kind = "shape";
}

/** Values that are not allowed where they are: NaN, Inf, negative or non-integer counts. */
export class DataValueError extends YotoError {
  override readonly kind = "value";
}

/** An obs/var column, gene or label that was asked for and is not there. */
export class MissingFieldError extends YotoError {
  override readonly kind = "missing";
}

/** An option out of range or of the wrong type (k <= 0, unknown flavour, ...). */
export class OptionError extends YotoError {
  override readonly kind = "option";
}

/** A compute backend that was asked for and cannot start. */
export class BackendError extends YotoError {
  override readonly kind = "backend";
}

/** A download that failed (network, HTTP status, cut short); running again resumes it. */
export class DownloadError extends YotoError {
  override readonly kind = "download";
}

/**
 * `'name'` for an error message, with control characters (tab, newline) escaped as in JSON so a
 * name read from a file keeps the message on one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoted } from "./errors.ts";
 * assert.equal(quoted("CD3E"), "'CD3E'");
 * assert.equal(quoted("a\tb\nc"), "'a\\tb\\nc'");
 * ```
 */
export function quoted(name: string): string {
  // deno-lint-ignore no-control-regex
  return `'${name.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1))}'`;
}

/** An output the system refused to write (no space, no permission, read-only, busy). */
export class OutputError extends YotoError {
  override readonly kind = "output";
}
