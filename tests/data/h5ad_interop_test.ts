import { assertEquals } from "../_assert.ts";
import { writeH5ad } from "../../lib/data/h5ad.ts";
import { tempDir } from "../_shared.ts";
import { bruteDense, pythonCan, runPython, tinyCsr } from "./_fixtures.ts";

const reader = new URL("./fixtures/anndata_read.py", import.meta.url).pathname;

Deno.test({
  name: "anndata reads what writeH5ad writes: matrix, obs with missing values, var, names",
  ignore: !pythonCan("import anndata", "anndata", "h5ad interop test"),
  fn: async () => {
    const path = `${await tempDir()}/tiny.h5ad`;
    const ds = tinyCsr();
    await writeH5ad(ds, path);
    const out = await runPython(reader, path);
    assertEquals(out.success, true, out.stderr);
    const got = JSON.parse(out.stdout);
    assertEquals(got.X, bruteDense(ds));
    assertEquals(got.obs_names, ds.cellIds());
    assertEquals(got.var_names, ds.genes);
    assertEquals(got.obs.type, ds.labels("type"));
    assertEquals(got.obs.score, [0.5, null, 2, 3, -1]);
    assertEquals(got.obs.note, ds.labels("note"));
    assertEquals(got.var.chrom, ds.var.chrom);
  },
});
