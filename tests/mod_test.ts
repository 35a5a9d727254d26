import { assertEquals } from "./_assert.ts";
import * as yoto from "../mod.ts";

Deno.test("mod.ts exposes the public API with no name lost to a clash", () => {
  const expected = [
    "Dataset",
    "readDataset",
    "writeDataset",
    "readArrow",
    "writeArrow",
    "streamArrow",
    "readH5ad",
    "writeH5ad",
    "readMtx",
    "readDelimited",
    "writeObsCsv",
    "normalizeTotal",
    "log1p",
    "scale",
    "filterGenes",
    "filterCells",
    "geneStats",
    "checkCounts",
    "highlyVariableGenes",
    "fitPreprocess",
    "applyPreprocess",
    "stratifiedSplit",
    "groupSplit",
    "randomSplit",
    "splitDataset",
    "simulate",
    "Rng",
    "initBackend",
    "Progress",
    "writeFileAtomic",
    "YotoError",
    "FileFormatError",
  ];
  assertEquals(expected.filter((name) => !(name in yoto)), []);
});

Deno.test("the README's example runs on simulated data through mod.ts", () => {
  const { dataset } = yoto.simulate({ nCells: 300, nGenes: 200, seed: 1 });
  const logged = yoto.log1p(yoto.normalizeTotal(dataset));
  const hvg = yoto.highlyVariableGenes(logged, { flavor: "seurat", nTopGenes: 50 });
  assertEquals(hvg.genes.length >= 50, true);
  assertEquals(new Set(hvg.genes).size, hvg.genes.length);
});
