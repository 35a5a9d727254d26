import { assertEquals } from "../_assert.ts";
import { highlyVariableGenes } from "../../lib/data/hvg.ts";
import { readMtx } from "../../lib/data/mtx.ts";
import { haveShared, sharedPath } from "../_shared.ts";

const PYTHON = "/usr/bin/python3";
const reference = new URL("./fixtures/seurat_v3_skmisc.py", import.meta.url).pathname;

function skmiscAvailable(): boolean {
  try {
    const ok =
      new Deno.Command(PYTHON, { args: ["-c", "import skmisc.loess, scipy"], stderr: "null" })
        .outputSync().success;
    if (!ok) {
      console.log(
        "note: scikit-misc not installed for /usr/bin/python3; seurat_v3 parity test skipped",
      );
    }
    return ok;
  } catch {
    console.log("note: /usr/bin/python3 absent; seurat_v3 parity test skipped");
    return false;
  }
}

Deno.test({
  name: "seurat_v3 top 2000 on kang_ifnb1k overlaps scikit-misc loess (scanpy's) by >= 0.98",
  ignore: !haveShared("kang_ifnb1k/counts.mtx.gz") || !skmiscAvailable(),
  fn: async () => {
    const matrix = sharedPath("kang_ifnb1k/counts.mtx.gz");
    const out = await new Deno.Command(PYTHON, {
      args: [reference, matrix, "2000"],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assertEquals(out.success, true, new TextDecoder().decode(out.stderr));
    const expected: number[] = JSON.parse(new TextDecoder().decode(out.stdout));
    const ds = await readMtx(sharedPath("kang_ifnb1k"), { quiet: true });
    const ours = highlyVariableGenes(ds, { flavor: "seurat_v3", nTopGenes: 2000 });
    const chosen = new Set(Array.from(ours.order.subarray(0, 2000)));
    const overlap = expected.filter((j) => chosen.has(j)).length / 2000;
    console.log(`seurat_v3 top-2000 overlap with scikit-misc loess: ${overlap.toFixed(4)}`);
    assertEquals(overlap >= 0.98, true, `overlap ${overlap}`);
  },
});
