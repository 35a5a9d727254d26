import { assertEquals, assertRejects } from "../_assert.ts";
import { haveShared, SHARED_DATA, tempDir } from "../_shared.ts";
import { loadExample } from "../../lib/data/datasets.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { OptionError, YotoError } from "../../lib/runtime/errors.ts";

const small = { nCells: 200, nGenes: 150, seed: 3 };

Deno.test("loadExample falls back to the simulator, with a note naming the missing file", async () => {
  const empty = await tempDir();
  const ex = await loadExample("kang_ifnb1k", { dir: empty, simulate: small });
  assertEquals(ex.name, "simulated");
  assertEquals(ex.path, undefined);
  assertEquals(
    ex.note,
    `the shared kang_ifnb1k data is absent: no kang_ifnb1k/kang_ifnb1k.h5ad in ${empty}`,
  );
  // The same cells as simulate() with those settings, and its true markers.
  const { dataset, truth } = simulate(small);
  assertEquals(ex.dataset.nCells, 200);
  assertEquals(ex.dataset.genes, dataset.genes);
  assertEquals(ex.dataset.labels("cell_type"), dataset.labels("cell_type"));
  assertEquals(ex.markers, Object.values(truth.markers).flat());
  assertEquals(ex.labels, { cellType: "cell_type", condition: "condition", donor: "donor" });
  for (const column of Object.values(ex.labels)) assertEquals(ex.dataset.hasObs(column), true);
  assertEquals(
    ex.description,
    "simulated PBMC-like counts (simulate(): 200 cells, 150 genes, seed 3)",
  );
});

Deno.test("loadExample('simulated') simulates without a note; no condition column, no condition label", async () => {
  const ex = await loadExample("simulated", { simulate: { ...small, nConditions: 0 } });
  assertEquals(ex.note, undefined);
  assertEquals(ex.labels, { cellType: "cell_type", donor: "donor" });
});

Deno.test("loadExample finds shared/data in a folder above the working directory, or in YOTO_SHARED_DATA", async () => {
  const root = await tempDir();
  await Deno.mkdir(`${root}/shared/data/kang_ctrl12k`, { recursive: true });
  await Deno.mkdir(`${root}/project/notebooks`, { recursive: true });
  // An unreadable stand-in: finding it shows the search, reading it fails with a typed error.
  await Deno.writeTextFile(`${root}/shared/data/kang_ctrl12k/kang_ctrl12k.h5ad`, "not hdf5");
  const cwd = Deno.cwd();
  const env = Deno.env.get("YOTO_SHARED_DATA");
  Deno.chdir(`${root}/project/notebooks`);
  Deno.env.delete("YOTO_SHARED_DATA");
  try {
    const err = await assertRejects(() => loadExample("kang_ctrl12k"), YotoError);
    assertEquals(err.message.includes(`${root}/shared/data/kang_ctrl12k/kang_ctrl12k.h5ad`), true);
    // YOTO_SHARED_DATA, when set, is the one place looked in.
    Deno.env.set("YOTO_SHARED_DATA", `${root}/project`);
    const ex = await loadExample("kang_ctrl12k", { simulate: small });
    assertEquals(ex.note?.endsWith(`no kang_ctrl12k/kang_ctrl12k.h5ad in ${root}/project`), true);
  } finally {
    Deno.chdir(cwd);
    if (env !== undefined) Deno.env.set("YOTO_SHARED_DATA", env);
    else Deno.env.delete("YOTO_SHARED_DATA");
  }
});

Deno.test("loadExample names the examples when asked for an unknown one", async () => {
  // deno-lint-ignore no-explicit-any
  const err = await assertRejects(() => loadExample("pbmc3k" as any), OptionError);
  assertEquals(err.message.includes("no example dataset 'pbmc3k'"), true);
});

Deno.test("loadExample reads the shared kang_ifnb1k file when it is there", async () => {
  if (!haveShared("kang_ifnb1k/kang_ifnb1k.h5ad")) return;
  const ex = await loadExample("kang_ifnb1k", { dir: SHARED_DATA });
  assertEquals(ex.name, "kang_ifnb1k");
  assertEquals(ex.note, undefined);
  assertEquals([ex.dataset.nCells, ex.dataset.nGenes], [832, 14053]);
  for (const column of Object.values(ex.labels)) assertEquals(ex.dataset.hasObs(column), true);
  assertEquals(ex.dataset.categoryCounts("stim").categories, ["CTRL", "STIM"]);
  assertEquals(
    ex.markers.length > 0 && ex.markers.every((g) => ex.dataset.genes.includes(g)),
    true,
  );
});

Deno.test("loadExample reads the shared kang_ctrl12k file when it is there", async () => {
  if (!haveShared("kang_ctrl12k/kang_ctrl12k.h5ad")) return;
  const ex = await loadExample("kang_ctrl12k", { dir: SHARED_DATA });
  assertEquals(ex.name, "kang_ctrl12k");
  assertEquals(ex.dataset.nCells, 12261);
  assertEquals(ex.dataset.categoryCounts(ex.labels.cellType).categories.length, 8);
  assertEquals(ex.dataset.categoryCounts(ex.labels.donor!).categories.length, 8);
});
