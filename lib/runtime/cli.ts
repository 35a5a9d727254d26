/**
 * The shell of every CLI: parse flags with node:util, print `--help`, and turn errors a user
 * can cause into one line on stderr with exit code 2 (no stack trace). Other errors are bugs:
 * they keep their stack and exit 1.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { OptionError, YotoError } from "./errors.ts";

/** Exit code for errors the user can fix (bad input, bad options). */
export const EXIT_USER_ERROR = 2;

/**
 * Parse `args` against `options`; unknown flags become an OptionError pointing to --help.
 *
 * @example
 * ```ts
 * const { values } = parseCli(["--k", "8"], { k: { type: "string" } }, "yoto");
 * console.assert(values.k === "8");
 * ```
 */
export function parseCli<O extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: O,
  command: string,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new OptionError((err as Error).message.replace(/\. To specify.*$/s, ""), {
      fix: `see \`${command} --help\``,
    });
  }
}

/** Parse a numeric flag, with an OptionError naming the flag when it is not a number in range. */
export function numberFlag(
  value: string | undefined,
  flag: string,
  fallback: number,
  { integer = false, min = -Infinity }: { integer?: boolean; min?: number } = {},
): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (!Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min) {
    throw new OptionError(
      `--${flag} must be ${integer ? "an integer" : "a number"}${
        min > -Infinity ? ` >= ${min}` : ""
      }, got '${value}'`,
      {
        field: `--${flag}`,
      },
    );
  }
  return x;
}

/** Run a CLI's main function: user errors print one line and exit 2; bugs keep their stack. */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof YotoError) {
      console.error(`error: ${err.message}`);
      Deno.exit(EXIT_USER_ERROR);
    }
    throw err;
  }
}
