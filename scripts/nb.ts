/**
 * `deno task nb [NOTEBOOK ...]`: execute notebooks (default: every notebooks/*.ipynb) on the
 * real Deno kernel and fail on any cell error, timeout, or figure cell without a figure.
 * The kernel work is done by scripts/nbrun.py (jupyter_client); this side installs the
 * project-local kernelspec for the running Deno and checks that Jupyter is there.
 * @module
 */
import { basename, delimiter } from "node:path";
import { fileURLToPath } from "node:url";
import { numberFlag, parseCli, runCli } from "../lib/runtime/cli.ts";
import { OptionError, YotoError } from "../lib/runtime/errors.ts";
import { claimResultsFolder } from "../lib/runtime/output.ts";
import { Progress } from "../lib/runtime/progress.ts";
import { installKernel, JUPYTER_DIR, KERNEL_NAME } from "./kernel.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The Python with jupyter_client (override: YOTO_PYTHON). */
export const PYTHON: string = Deno.env.get("YOTO_PYTHON") ?? "/usr/bin/python3";

/** How to get jupyter_client, for messages. */
export const JUPYTER_INSTALL =
  "apt-get install jupyter-client (Debian/Ubuntu), or pip install jupyter_client and set YOTO_PYTHON";

/** True when PYTHON can import jupyter_client. */
export async function haveJupyter(): Promise<boolean> {
  try {
    const r = await new Deno.Command(PYTHON, {
      args: ["-c", "import jupyter_client"],
      stdout: "null",
      stderr: "null",
    }).output();
    return r.success;
  } catch {
    return false; // no such interpreter
  }
}

/** The committed notebooks: notebooks/*.ipynb, sorted, as absolute paths. */
export function projectNotebooks(): string[] {
  const dir = `${ROOT}notebooks`;
  return [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ipynb"))
    .map((e) => `${dir}/${e.name}`).sort();
}

const HELP = `Run notebooks on the Deno kernel; exit 1 if any cell fails.

Usage: deno task nb [NOTEBOOK ...] [options]

NOTEBOOK         .ipynb files (default: every notebooks/*.ipynb)

Options:
  --timeout S    seconds per cell (default 600)
  --grace S      after a cell reports idle, wait until its outputs have been quiet this long:
                 Deno's kernel can send outputs after idle (default 0.5)
  --out DIR      write executed copies (with outputs) to DIR, a new or empty folder or one an
                 earlier \`deno task nb --out\` wrote; never over the inputs
  --quiet        no progress lines (a line per cell as it finishes, on stderr)
  -h, --help     this help

A cell fails when it throws, runs past --timeout, or is tagged "figure" (cell metadata tags)
and shows no image/svg+xml, image/png or application/vnd.vegalite.* output. Failures print the
cell's number (1-based, counting every cell), its first lines and the traceback.
Needs ${PYTHON} with jupyter_client (${JUPYTER_INSTALL}).
`;

/** What scripts/nbrun.py --events puts before each progress event on its stdout. */
const EVENT_PREFIX = "@yoto-nb ";

/**
 * nbrun.py's stdout: its progress events as lines on stderr, one as each notebook starts and
 * ends and one per cell as it finishes; everything else (the summary table) goes on to stdout.
 */
async function showProgress(stdout: ReadableStream<Uint8Array>): Promise<void> {
  let progress: Progress | undefined, rest = "";
  const handle = (line: string) => {
    if (!line.startsWith(EVENT_PREFIX)) return console.log(line);
    const e = JSON.parse(line.slice(EVENT_PREFIX.length));
    if (e.event === "start") {
      // A line per cell (notebooks hold tens of cells, each worth seeing); the ETA counts the
      // cells' own seconds, not the kernel's start.
      progress = new Progress(basename(e.notebook), e.cells, { lineEverySeconds: 0 });
      progress.log(`${e.notebook}: ${e.cells} code cells`);
    } else if (e.event === "cell") {
      progress?.tick(1, `cell ${e.cell} took ${e.seconds.toFixed(1)}s`, e.seconds);
    } else if (e.event === "end") {
      progress?.log(
        `${e.notebook}: ${e.failure ? `FAILED ${e.failure}` : "ok"} ` +
          `(${e.done}/${e.cells} code cells, ${e.seconds.toFixed(1)}s)`,
      );
    }
  };
  for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    lines.forEach(handle);
  }
  if (rest) handle(rest);
}

if (import.meta.main) {
  await runCli(async () => {
    const { values, positionals } = parseCli(Deno.args, {
      timeout: { type: "string" },
      grace: { type: "string" },
      out: { type: "string" },
      quiet: { type: "boolean" },
    }, { name: "deno task nb", help: HELP });
    const timeout = numberFlag(values.timeout, "timeout", 600, { min: 1 });
    const grace = numberFlag(values.grace, "grace", 0.5, { min: 0 });
    const notebooks = positionals.length ? positionals : projectNotebooks();
    if (!notebooks.length) return console.log("no notebooks in notebooks/");
    for (const nb of notebooks) {
      if (!nb.endsWith(".ipynb") || !(await Deno.stat(nb).catch(() => null))?.isFile) {
        throw new OptionError(`not a notebook file: ${nb}`, { fix: "pass .ipynb paths" });
      }
    }
    const copies = notebooks.map((nb) => basename(nb));
    const twice = copies.find((name, i) => copies.indexOf(name) !== i);
    if (values.out && twice) {
      throw new OptionError(`two notebooks are named ${twice}: their copies in --out would clash`, {
        field: "--out",
        fix: "run them in separate commands, each with its own --out folder",
      });
    }
    // No `files`: a folder of bare notebook copies cannot be told from a user's notebooks, so
    // only a folder marked by an earlier run is reused.
    const out = values.out && await claimResultsFolder(values.out, {
      flag: "--out",
      command: "deno task nb",
      files: [],
      inputs: notebooks,
    });
    if (!(await haveJupyter())) {
      throw new YotoError(`Jupyter is missing: ${PYTHON} cannot import jupyter_client`, {
        fix: JUPYTER_INSTALL,
      });
    }
    await installKernel();
    const path = [JUPYTER_DIR, Deno.env.get("JUPYTER_PATH")].filter(Boolean).join(delimiter);
    const args = [`${ROOT}scripts/nbrun.py`, "--kernel", KERNEL_NAME, ...notebooks];
    args.push("--timeout", String(timeout), "--grace", String(grace));
    if (out) args.push("--out", out);
    if (!values.quiet) args.push("--events");
    const child = new Deno.Command(PYTHON, {
      args,
      env: { JUPYTER_PATH: path },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    await showProgress(child.stdout);
    const r = await child.status;
    if (r.code !== 0) Deno.exit(r.code);
  });
}
