import { assertEquals } from "../_assert.ts";
import { writeH5ad } from "../../lib/data/h5ad.ts";
import { tempDir } from "../_shared.ts";
import { bruteDense, tinyCsr } from "./_fixtures.ts";

const PYTHON = "/usr/bin/python3";
const reader = new URL("./fixtures/anndata_read.py", import.meta.url).pathname;

function anndataAvailable(): boolean {
  try {
    const ok =
      new Deno.Command(PYTHON, { args: ["-c", "import anndata"], stderr: "null" }).outputSync()
        .success;
    if (!ok) {
      console.log("note: anndata not installed for /usr/bin/python3; h5ad interop test skipped");
    }
    return ok;
  } catch {
    console.log("note: /usr/bin/python3 absent; h5ad interop test skipped");
    return false;
  }
}

Deno.test({
  name: "anndata reads what writeH5ad writes: matrix, obs with missing values, var, names",
  ignore: !anndataAvailable(),
  fn: async () => {
    const path = `${await tempDir()}/tiny.h5ad`;
    const ds = tinyCsr();
    await writeH5ad(ds, path);
    const out = await new Deno.Command(PYTHON, {
      args: [reader, path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.success, true, new TextDecoder().decode(out.stderr));
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(got.X, bruteDense(ds));
    assertEquals(got.obs_names, ds.cellIds());
    assertEquals(got.var_names, ds.genes);
    assertEquals(got.obs.type, ds.labels("type"));
    assertEquals(got.obs.score, [0.5, null, 2, 3, -1]);
    assertEquals(got.obs.note, ds.labels("note"));
    assertEquals(got.var.chrom, ds.var.chrom);
  },
});
