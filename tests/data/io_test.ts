import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { detectFormat, detectOutputFormat, readDataset, writeDataset } from "../../lib/data/io.ts";
import { FileFormatError, OptionError } from "../../lib/runtime/errors.ts";
import { haveShared, sharedPath, tempDir } from "../_shared.ts";
import { bruteDense, tinyCsr } from "./_fixtures.ts";

Deno.test({
  name: "kang_ifnb1k read from .h5ad and from the mtx folder gives identical data",
  ignore: !haveShared("kang_ifnb1k/kang_ifnb1k.h5ad") || !haveShared("kang_ifnb1k/counts.mtx.gz"),
  fn: async () => {
    const h5 = await readDataset(sharedPath("kang_ifnb1k/kang_ifnb1k.h5ad"), { quiet: true });
    const mtx = await readDataset(sharedPath("kang_ifnb1k"), { quiet: true });
    assertEquals([mtx.nCells, mtx.nGenes], [h5.nCells, h5.nGenes]);
    assertEquals(mtx.genes, h5.genes);
    assertEquals(mtx.cellIds(), h5.cellIds());
    assertEquals(Array.from(mtx.indptr), Array.from(h5.indptr));
    assertEquals(Array.from(mtx.indices), Array.from(h5.indices));
    assertEquals(Array.from(mtx.values), Array.from(h5.values));
    for (const label of ["stim", "seurat_annotations"]) {
      assertEquals(mtx.labels(label), h5.labels(label));
    }
  },
});

Deno.test("formats are detected from paths, unknown ones are refused with the fix", async () => {
  const dir = await tempDir();
  for (const name of ["a.arrow", "a.h5ad", "a.mtx.gz", "a.csv", "a.tsv.gz", "a.txt"]) {
    await Deno.writeTextFile(`${dir}/${name}`, "");
  }
  assertEquals(
    ["a.arrow", "a.h5ad", "a.mtx.gz", "a.csv", "a.tsv.gz", "a.txt"].map((n) =>
      detectFormat(`${dir}/${n}`)
    ),
    ["arrow", "h5ad", "mtx", "csv", "csv", "csv"],
  );
  assertEquals(detectFormat(dir), "mtx");
  await Deno.writeTextFile(`${dir}/a.xlsx`, "");
  assertThrows(() => detectFormat(`${dir}/a.xlsx`), FileFormatError);
  assertThrows(() => detectFormat(`${dir}/missing.h5ad`), FileFormatError);
  assertEquals(detectOutputFormat("x.obs.csv"), "obs-csv");
  assertThrows(() => detectOutputFormat("x.parquet"), OptionError);
});

Deno.test("writeDataset and readDataset agree through every writable matrix format", async () => {
  const dir = await tempDir();
  const ds = tinyCsr();
  for (const name of ["t.arrow", "t.h5ad", "t.csv", "t.tsv"]) {
    await writeDataset(ds, `${dir}/${name}`);
    const back = await readDataset(`${dir}/${name}`, { quiet: true });
    assertEquals(bruteDense(back), bruteDense(ds), name);
    assertEquals(back.genes, ds.genes, name);
  }
  await assertRejects(() => readDataset(`${dir}/nothing.arrow`), FileFormatError);
});
