/**
 * `deno task kernel`: install the "Deno (yoto)" Jupyter kernelspec into the project-local
 * Jupyter data dir `.jupyter/` (git-ignored), pointing at the Deno binary running this task, so
 * notebooks run on the same Deno version as `deno task test`. `--global` installs it into the
 * user's Jupyter data dir instead (through `deno jupyter --install`).
 *
 * Jupyter starts a kernel in the notebook's directory; Deno finds the project's deno.json by
 * walking up from there, so `import ... from "../mod.ts"` and the npm imports resolve.
 * @module
 */
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../lib/runtime/atomic.ts";
import { parseCli, runCli } from "../lib/runtime/cli.ts";
import { OptionError, YotoError } from "../lib/runtime/errors.ts";
import { checkOutputFile } from "../lib/runtime/output.ts";

/** The kernelspec's name (the folder under `kernels/`). */
export const KERNEL_NAME = "deno-yoto";
/** What Jupyter front ends show in their kernel pickers. */
export const KERNEL_DISPLAY_NAME = "Deno (yoto)";
/** The project-local Jupyter data dir; put it on JUPYTER_PATH. */
export const JUPYTER_DIR = fileURLToPath(new URL("../.jupyter", import.meta.url));

/** The kernel.json for the Deno binary `deno` (default: the one running this process). */
export function kernelSpec(deno: string = Deno.execPath()): Record<string, unknown> {
  return {
    argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    metadata: { deno_version: Deno.version.deno },
  };
}

/** True when `file` is a kernel.json this task wrote (its display name and Deno kernel argv). */
async function isOurKernelSpec(file: string): Promise<boolean> {
  const spec = JSON.parse(await Deno.readTextFile(file));
  return spec?.display_name === KERNEL_DISPLAY_NAME && spec.argv?.[1] === "jupyter" &&
    spec.argv[2] === "--kernel";
}

/**
 * Write `<dataDir>/kernels/deno-yoto/kernel.json` (atomically; unchanged content is not
 * rewritten; a kernel.json this task did not write is an OptionError, kept) and return the
 * kernel's folder.
 */
export async function installKernel(dataDir: string = JUPYTER_DIR): Promise<string> {
  const dir = `${dataDir}/kernels/${KERNEL_NAME}`;
  const text = JSON.stringify(kernelSpec(), null, 2) + "\n";
  const old = await Deno.readTextFile(`${dir}/kernel.json`).catch(() => null);
  if (old !== text) {
    const file = await checkOutputFile(`${dir}/kernel.json`, {
      flag: "kernelspec",
      command: "deno task kernel",
      isOurs: isOurKernelSpec,
      fix: "move it away, or use `deno task kernel --global`",
    });
    await writeFileAtomic(file, text);
  }
  return dir;
}

const HELP = `Install the "${KERNEL_DISPLAY_NAME}" Jupyter kernel (Deno ${Deno.version.deno}).

Usage: deno task kernel [--global]

  (default)   write .jupyter/kernels/${KERNEL_NAME}/kernel.json in the project; point Jupyter
              at it with JUPYTER_PATH=$PWD/.jupyter
  --global    install into your Jupyter data dir (deno jupyter --install), visible to every
              Jupyter front end without JUPYTER_PATH
  -h, --help  this help
`;

if (import.meta.main) {
  await runCli(async () => {
    const { values, positionals } = parseCli(Deno.args, {
      global: { type: "boolean" },
    }, { name: "deno task kernel", help: HELP });
    if (positionals.length) {
      throw new OptionError(`unexpected argument '${positionals[0]}'`, {
        fix: "see `deno task kernel --help`",
      });
    }
    const deno = Deno.execPath();
    if (values.global) {
      const args = ["jupyter", "--install", "--force", "--name", KERNEL_NAME];
      const r = await new Deno.Command(deno, {
        args: [...args, "--display", KERNEL_DISPLAY_NAME],
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (!r.success) {
        throw new YotoError(`deno jupyter --install failed (exit ${r.code})`, {
          fix: "run `deno jupyter --install` yourself to see why",
        });
      }
      console.log(`Select "${KERNEL_DISPLAY_NAME}" in JupyterLab, Notebook or VS Code.`);
      return;
    }
    const dir = await installKernel();
    console.log(`Installed "${KERNEL_DISPLAY_NAME}" (Deno ${Deno.version.deno}, ${deno})
  at ${dir}
Point Jupyter at it, then select "${KERNEL_DISPLAY_NAME}":
  JUPYTER_PATH=${JUPYTER_DIR} jupyter lab notebooks/
  JUPYTER_PATH=${JUPYTER_DIR} jupyter notebook notebooks/
  JUPYTER_PATH=${JUPYTER_DIR} code .      (VS Code with the Jupyter extension)
or run \`deno task kernel --global\` to install it for every Jupyter.`);
  });
}
