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

/** Exit code of a long run that finished but some of its units failed (recorded in its output). */
export const EXIT_SOME_FAILED = 3;

type Options = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/** A command's name (for "see `NAME --help`") and the usage text its `-h` / `--help` prints. */
export interface CliCommand {
  name: string;
  help: string;
}

/** Thrown by parseCli once it has printed --help; runCli ends the command there, exit code 0. */
class HelpShown extends Error {}

/**
 * Parse `args` against `options`; unknown flags become an OptionError pointing to --help.
 * Given a CliCommand, `-h` / `--help` is added to the options and prints its help, and runCli
 * then ends the command (exit code 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCli } from "./cli.ts";
 * const { values } = parseCli(["--k", "8"], { k: { type: "string" } }, "yoto");
 * assert.equal(values.k, "8");
 * ```
 */
export function parseCli<O extends Options>(
  args: string[],
  options: O,
  command: string | CliCommand,
): Parsed<O> {
  const { name, help } = typeof command === "string" ? { name: command, help: "" } : command;
  const all: Options = help ? { ...options, help: { type: "boolean", short: "h" } } : options;
  let parsed;
  try {
    parsed = parseArgs({ args, options: all, allowPositionals: true, strict: true });
  } catch (err) {
    throw new OptionError(parseProblem((err as Error).message, args, all), {
      fix: `see \`${name} --help\``,
    });
  }
  if (help && parsed.values.help) {
    console.log(help);
    throw new HelpShown();
  }
  return parsed as Parsed<O>;
}

/**
 * node:util's parse error in one line, in flags: a value starting with a dash (`--seed -1`),
 * which node:util calls ambiguous, gets the form that works (`--seed=-1`).
 */
function parseProblem(message: string, args: string[], options: Options): string {
  const ambiguous = message.match(/^Option '(-[^' ]+)' argument is ambiguous/);
  if (!ambiguous) return message.split(/\n|\. To specify/)[0];
  const given = ambiguous[1];
  const long = given.startsWith("--")
    ? given.slice(2)
    : Object.keys(options).find((k) => options[k].short === given.slice(1)) ?? given;
  const value = args[args.findIndex((a, i) => a === given && args[i + 1]?.startsWith("-")) + 1];
  const isFlag = /^--?([^=]+)/.exec(value)?.[1];
  if (isFlag && (isFlag in options || Object.values(options).some((o) => o.short === isFlag))) {
    return `--${long} needs a value, but is followed by the flag ${value}`;
  }
  return `--${long} is followed by '${value}', which starts with a dash: ` +
    `if that is its value, use --${long}=${value}`;
}

/**
 * Throw an OptionError for the first of `flags` that was not given (or given empty); after it,
 * TypeScript knows they are set.
 */
export function requireFlags<V extends Record<string, unknown>, K extends keyof V & string>(
  values: V,
  flags: readonly K[],
  command: string,
): asserts values is V & { [F in K]-?: NonNullable<V[F]> } {
  for (const flag of flags) {
    if (!values[flag]) {
      throw new OptionError(`--${flag} is required`, { fix: `see ${command} --help` });
    }
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

/**
 * The items of a comma-separated flag (`fallback` when it is absent), trimmed. With `choices`,
 * every item must be one of them: the unknown ones are named in one OptionError.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listFlag } from "./cli.ts";
 * assert.equal(listFlag("8, 16", "32", "k").join(), "8,16");
 * assert.equal(listFlag(undefined, "a,b", "runs", ["a", "b", "c"]).join(), "a,b");
 * ```
 */
export function listFlag(
  value: string | undefined,
  fallback: string,
  flag: string,
  choices?: readonly string[],
): string[] {
  const items = (value ?? fallback).split(",").map((x) => x.trim());
  const unknown = choices ? items.filter((x) => !choices.includes(x)) : [];
  if (unknown.length) {
    throw new OptionError(`unknown ${flag.replace(/s$/, "")}(s): ${unknown.join(", ")}`, {
      field: `--${flag}`,
      fix: `choose among ${choices!.join(", ")}`,
    });
  }
  return items;
}

/**
 * Run a CLI's main function: user errors print one line and exit 2; bugs keep their stack;
 * --help (printed by parseCli) ends it with exit code 0.
 */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof HelpShown) return;
    if (err instanceof YotoError) {
      console.error(`error: ${err.message}`);
      Deno.exit(EXIT_USER_ERROR);
    }
    throw err;
  }
}
