import { assertEquals } from "../_assert.ts";
import type { Dataset } from "../../lib/data/dataset.ts";
import { readDataset } from "../../lib/data/io.ts";
import { splitDataset, stratifiedSplit } from "../../lib/data/split.ts";
import { scorePrediction } from "../../lib/eval/score.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { Rng } from "../../lib/runtime/rng.ts";
import type { YotoModel } from "../../lib/select/yoto/model.ts";
import { fitYoto } from "../../lib/select/yoto/train.ts";
import { haveShared, sharedPath } from "../_shared.ts";

const TASKS = ["seurat_annotations", "stim"];

function testF1(model: YotoModel, test: Dataset): Record<string, number> {
  return Object.fromEntries(
    model.predict(test).map((p) => [p.task, scorePrediction(p, test).macroF1]),
  );
}

Deno.test({
  name:
    "kang_ifnb1k: one multi-task panel beats a random panel on both tasks; half the stim labels hidden costs little",
  ignore: !haveShared("kang_ifnb1k/kang_ifnb1k.h5ad"),
  fn: async () => {
    await initBackend("wasm");
    const ds = await readDataset(sharedPath("kang_ifnb1k/kang_ifnb1k.h5ad"), { quiet: true });
    const { train, val, test } = splitDataset(
      ds,
      stratifiedSplit(ds.categorical(TASKS[0]), { seed: 0 }),
    );
    const opts = { k: 16, tasks: TASKS, validation: val, epochs: 120, quiet: true };
    const yoto = await fitYoto(train, opts);
    const random = new Rng(0).sampleWithoutReplacement(train.nGenes, 17);
    const rand = await fitYoto(train, {
      ...opts,
      candidates: Array.from(random, (j) => train.genes[j]),
    });
    const stim = train.obs("stim") as {
      kind: "categorical";
      codes: Int32Array;
      categories: string[];
    };
    const hidden = Int32Array.from(stim.codes, (c, i) => (i % 2 === 0 ? -1 : c));
    const partial = await fitYoto(train.withObs("stim", { ...stim, codes: hidden }), opts);
    const [fy, fr, fp] = [testF1(yoto, test), testF1(rand, test), testF1(partial, test)];
    console.log(
      `test macro-F1 yoto ${JSON.stringify(fy)} random ${JSON.stringify(fr)} half stim labels ${
        JSON.stringify(fp)
      }`,
    );
    for (const t of TASKS) {
      assertEquals(fy[t] > fr[t], true, `${t}: yoto ${fy[t]} vs random ${fr[t]}`);
    }
    assertEquals(
      fp.stim >= fy.stim - 0.05,
      true,
      `stim with half the labels ${fp.stim} vs ${fy.stim}`,
    );
    for (const m of [yoto, rand, partial]) m.dispose();
  },
});
