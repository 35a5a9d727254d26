/**
 * `deno task nb` on the real Deno kernel: the smoke notebook (a display-object figure and a
 * figure published after idle), failing cells reported by number, and every notebooks/*.ipynb.
 * Without Jupyter these tests are ignored after one line saying so.
 */
import { fileURLToPath } from "node:url";
import { assertEquals } from "../_assert.ts";
import { runScript, runScriptWithEnv, tempDir } from "../_shared.ts";
import { haveJupyter, JUPYTER_INSTALL, projectNotebooks, PYTHON } from "../../scripts/nb.ts";

const SMOKE = fileURLToPath(new URL("../data/fixtures/smoke.ipynb", import.meta.url));
const jupyter = await haveJupyter();
if (!jupyter) {
  console.log(
    `note: notebook tests skipped: Jupyter is missing (${PYTHON} cannot import jupyter_client); install: ${JUPYTER_INSTALL}`,
  );
}

interface Output {
  output_type: string;
  name?: string;
  data?: Record<string, string>;
  text?: string;
}
interface Notebook {
  cells: { cell_type: string; source: string | string[]; outputs?: Output[] }[];
}

/** A one-cell-per-source code notebook; `figure` marks cells tagged "figure". */
function notebook(cells: { source: string; figure?: boolean }[]): string {
  return JSON.stringify({
    cells: cells.map(({ source, figure }) => ({
      cell_type: "code",
      execution_count: null,
      metadata: figure ? { tags: ["figure"] } : {},
      outputs: [],
      source,
    })),
    metadata: { kernelspec: { name: "deno-yoto", display_name: "Deno (yoto)" } },
    nbformat: 4,
    nbformat_minor: 4,
  });
}

Deno.test({
  name: "nb runs the smoke notebook and keeps outputs published after idle",
  ignore: !jupyter,
  fn: async () => {
    const out = await tempDir();
    const r = await runScript("scripts/nb.ts", SMOKE, "--out", out);
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertEquals(/smoke\.ipynb\s+4\/4\s+[\d.]+\s+ok/.test(r.stdout), true, r.stdout);
    // Progress on stderr as it goes: the start, a line per code cell, the end.
    const progress = r.stderr.split("\n").filter((l) => l.includes("smoke.ipynb: "));
    assertEquals(progress[0], `${SMOKE}: 4 code cells`);
    assertEquals(
      progress.slice(1, 5).map((l) =>
        /^smoke\.ipynb: (\d\/4) .* cell (\d) took [\d.]+s$/.exec(l)?.slice(1)
      ),
      [["1/4", "2"], ["2/4", "3"], ["3/4", "4"], ["4/4", "5"]],
    );
    assertEquals(
      /^.*smoke\.ipynb: ok \(4\/4 code cells, [\d.]+s\)$/.test(progress[5]),
      true,
      r.stderr,
    );
    assertEquals(progress.length, 6, r.stderr);
    const nb: Notebook = JSON.parse(await Deno.readTextFile(`${out}/smoke.ipynb`));
    const outputs = nb.cells.map((c) => c.outputs ?? []);
    // The kernel is the Deno running the tests (the same npx-installed binary).
    assertEquals(outputs[1].map((o) => o.data?.["text/plain"]), [`"${Deno.version.deno}"`]);
    // The display object's async [Symbol.for("Jupyter.display")]() bundle: a vega SVG.
    assertEquals(outputs[2].length, 1);
    assertEquals(outputs[2][0].output_type, "execute_result");
    assertEquals(outputs[2][0].data?.["image/svg+xml"].startsWith("<svg"), true);
    // The late display lands in its own cell, not the next one.
    assertEquals(
      outputs[3].map((o) => [o.output_type, o.data?.["image/svg+xml"].includes("late")]),
      [
        ["display_data", true],
      ],
    );
    assertEquals(outputs[4], [{ output_type: "stream", name: "stdout", text: "after\n" }]);
    // The committed fixture is untouched.
    const committed: Notebook = JSON.parse(await Deno.readTextFile(SMOKE));
    assertEquals(committed.cells.every((c) => (c.outputs ?? []).length === 0), true);
  },
});

Deno.test({
  name: "nb without the grace period misses the late figure (cell 4); --quiet prints no progress",
  ignore: !jupyter,
  fn: async () => {
    const r = await runScript("scripts/nb.ts", SMOKE, "--grace", "0", "--quiet");
    assertEquals(r.code, 1, r.stdout + r.stderr);
    assertEquals(r.stderr.includes(`FAILED ${SMOKE} cell 4: tagged "figure"`), true, r.stderr);
    assertEquals(r.stderr.includes("smoke.ipynb: "), false, r.stderr); // --quiet: no progress
  },
});

Deno.test({
  name: "nb reports a throwing cell, a figure cell without a figure and a hung cell by number",
  ignore: !jupyter,
  fn: async () => {
    const dir = await tempDir();
    const files = {
      throws: notebook([{ source: "1" }, { source: 'throw new Error("boom")' }, { source: "2" }]),
      nofig: notebook([{ source: '"not a figure"', figure: true }]),
      hangs: notebook([{ source: "await new Promise((r) => setTimeout(r, 60_000));" }]),
    };
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}.ipynb`, text);
    }
    const paths = Object.keys(files).map((name) => `${dir}/${name}.ipynb`);
    const r = await runScript("scripts/nb.ts", ...paths, "--timeout", "2", "--out", `${dir}/out`);
    assertEquals(r.code, 1, r.stdout + r.stderr);
    const failed = r.stderr.split("\n").filter((l) => l.startsWith("FAILED "));
    assertEquals(failed, [
      `FAILED ${paths[0]} cell 2: Error: boom`,
      `FAILED ${paths[1]} cell 1: tagged "figure" but no image/svg+xml, image/png or ` +
      "application/vnd.vegalite.* output",
      `FAILED ${paths[2]} cell 1: timed out: did not finish within 2 s`,
    ]);
    assertEquals(r.stderr.includes('  source:\n    throw new Error("boom")\n'), true, r.stderr);
    assertEquals(/traceback:\n\s+Error: boom/.test(r.stderr), true, r.stderr);
    const rows = r.stdout.split("\n").filter((l) => l.includes(`${dir}/`) && l.includes("FAILED"));
    assertEquals(rows.map((l) => l.split(/\s+/).slice(1, 2)), [["1/3"], ["0/1"], ["0/1"]]);
    // The executed copy keeps the failing cell's error output.
    const copy: Notebook = JSON.parse(await Deno.readTextFile(`${dir}/out/throws.ipynb`));
    assertEquals(copy.cells.map((c) => (c.outputs ?? []).map((o) => o.output_type)), [
      ["execute_result"],
      ["error"],
      [],
    ]);
  },
});

Deno.test("nb without Jupyter exits 2 with one line saying how to install it", async () => {
  const r = await runScriptWithEnv({ YOTO_PYTHON: "/nonexistent/python3" }, "scripts/nb.ts", SMOKE);
  const stderr = r.stderr.trim();
  assertEquals(r.code, 2, stderr);
  assertEquals(stderr.split("\n").length, 1, stderr);
  assertEquals(stderr.startsWith("error: Jupyter is missing"), true, stderr);
  assertEquals(stderr.includes("apt-get install jupyter-client"), true, stderr);
});

for (const path of projectNotebooks()) {
  Deno.test({
    name: `notebook ${path.split("/").pop()} runs on the Deno kernel`,
    ignore: !jupyter,
    fn: async () => {
      const r = await runScript("scripts/nb.ts", path);
      assertEquals(r.code, 0, r.stdout + r.stderr);
    },
  });
}
