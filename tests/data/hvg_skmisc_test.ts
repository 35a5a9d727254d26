import { assertEquals } from "../_assert.ts";
import { highlyVariableGenes } from "../../lib/data/hvg.ts";
import { readMtx } from "../../lib/data/mtx.ts";
import { haveShared, sharedPath } from "../_shared.ts";
import { pythonCan, runPython } from "./_fixtures.ts";

const reference = new URL("./fixtures/seurat_v3_skmisc.py", import.meta.url).pathname;

Deno.test({
  name: "seurat_v3 top 2000 on kang_ifnb1k overlaps scikit-misc loess (scanpy's) by >= 0.98",
  ignore: !haveShared("kang_ifnb1k/counts.mtx.gz") ||
    !pythonCan("import skmisc.loess, scipy", "scikit-misc", "seurat_v3 parity test"),
  fn: async () => {
    const matrix = sharedPath("kang_ifnb1k/counts.mtx.gz");
    const out = await runPython(reference, matrix, "2000");
    assertEquals(out.success, true, out.stderr);
    const expected: number[] = JSON.parse(out.stdout);
    const ds = await readMtx(sharedPath("kang_ifnb1k"), { quiet: true });
    const ours = highlyVariableGenes(ds, { flavor: "seurat_v3", nTopGenes: 2000 });
    const chosen = new Set(Array.from(ours.order.subarray(0, 2000)));
    const overlap = expected.filter((j) => chosen.has(j)).length / 2000;
    console.log(`seurat_v3 top-2000 overlap with scikit-misc loess: ${overlap.toFixed(4)}`);
    assertEquals(overlap >= 0.98, true, `overlap ${overlap}`);
  },
});
