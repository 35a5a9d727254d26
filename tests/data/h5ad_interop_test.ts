/**
 * The scanpy round trip, checked by the system's anndata (Debian/Ubuntu ship 0.8): what yoto
 * writes opens there, and a subset or an annotated copy of a scanpy-like file equals what
 * anndata itself makes of the input (tests/data/fixtures/anndata_roundtrip.py).
 */
import { assertEquals } from "../_assert.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { annotateH5ad, readH5ad, writeH5ad } from "../../lib/data/h5ad.ts";
import { tempDir } from "../_shared.ts";
import { bruteDense, pythonCan, runPython, tinyCsr } from "./_fixtures.ts";

const fixtures = new URL("./fixtures/", import.meta.url).pathname;
const reader = `${fixtures}anndata_read.py`;
const roundTrip = `${fixtures}anndata_roundtrip.py`;
const haveAnndata = pythonCan("import anndata, scipy", "anndata", "h5ad interop tests");

/** A scanpy-like .h5ad written by anndata itself (layers, obsm, varm, obsp, uns, raw). */
async function scanpyFile(dir: string): Promise<string> {
  const path = `${dir}/scanpy.h5ad`;
  const made = await runPython(roundTrip, "make", path);
  assertEquals(made.success, true, made.stderr);
  return path;
}

Deno.test({
  name: "anndata reads what writeH5ad writes: matrix, ordered categoricals, missing values, var",
  ignore: !haveAnndata,
  fn: async () => {
    const path = `${await tempDir()}/tiny.h5ad`;
    const tiny = tinyCsr();
    const ds = new Dataset({
      X: tiny.X,
      var: { ...tiny.var, hvg: [true, false, false, true] },
      obs: {
        ...tiny.obsColumns,
        stage: {
          kind: "categorical",
          codes: Int32Array.from([0, 2, 1, -1, 0]),
          categories: ["early", "mid", "late"],
          ordered: true,
        },
      },
      obsIndex: tiny.obsIndex,
    });
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
    assertEquals(got.obs.stage, ["early", "late", "mid", null, "early"]);
    assertEquals(got.ordered, { type: false, note: false, stage: true });
    assertEquals(got.var.chrom, ds.var.chrom);
    assertEquals(got.var.hvg, [1, 0, 0, 1]);
    assertEquals(got.var_dtypes.hvg, "bool");
  },
});

Deno.test({
  name:
    "a gene subset keeps X, obs (ordered too), var, layers, obsm, varm, obsp, uns, raw as anndata subsets them",
  ignore: !haveAnndata,
  fn: async () => {
    const dir = await tempDir();
    const input = await scanpyFile(dir);
    const ds = await readH5ad(input);
    assertEquals((ds.obs("stage") as { ordered?: boolean }).ordered, true);
    const panel = ["G7", "G2", "G10"];
    const genes = ds.geneIndices(panel);
    await writeH5ad(ds.selectGenes(panel), `${dir}/panel.h5ad`, { carry: { from: input, genes } });
    const out = await runPython(roundTrip, "subset", input, `${dir}/panel.h5ad`, panel.join());
    assertEquals(out.success, true, out.stderr);
    const report = JSON.parse(out.stdout);
    assertEquals(report.ordered, true);
    assertEquals(report.checked.sort(), [
      "X",
      "layers/counts",
      "layers/dense",
      "obs",
      "obsm/X_pca",
      "obsm/X_umap",
      "obsp/distances",
      "raw",
      "uns",
      "var",
      "varm/PCs",
    ]);
  },
});

Deno.test({
  name: "an annotated copy is the input, types and all, plus yoto_panel (bool) and yoto_rank",
  ignore: !haveAnndata,
  fn: async () => {
    const dir = await tempDir();
    const input = await scanpyFile(dir);
    const k = 4;
    await annotateH5ad(input, `${dir}/annotated.h5ad`, (genes) => {
      const panel = genes.slice(0, k).reverse(); // rank 1 = the k-th gene
      return {
        yoto_panel: genes.map((g) => panel.includes(g)),
        yoto_rank: Float64Array.from(genes, (g) => panel.includes(g) ? panel.indexOf(g) + 1 : NaN),
      };
    });
    const out = await runPython(roundTrip, "annotate", input, `${dir}/annotated.h5ad`, String(k));
    assertEquals(out.success, true, out.stderr);
    assertEquals(JSON.parse(out.stdout).panel, ["G3", "G2", "G1", "G0"]);
  },
});
