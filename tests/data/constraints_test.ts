import assert from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import {
  constrainPool,
  GENE_PRESETS,
  type GenePreset,
  maxGroupMeans,
  readGeneList,
} from "../../lib/data/constraints.ts";
import { fitCandidates } from "../../lib/data/transform.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { selectPanel } from "../../lib/select/panel.ts";
import { loadSelector } from "../../lib/select/registry.ts";
import { tempDir } from "../_shared.ts";

/** Simulated counts with `names` as the first gene names. */
function named(names: string[], nGenes = 80) {
  const { dataset } = simulate({ nCells: 240, nGenes, nTypes: 3, seed: 3 });
  const genes = dataset.genes.map((g, j) => names[j] ?? g);
  return Dataset.fromDense(dataset.toDense(), dataset.nCells, dataset.nGenes, genes, {
    cell_type: dataset.obs("cell_type"),
  });
}

const HUMAN = {
  mito: ["MT-CO1", "MT-ND1", "MT-ATP6"],
  ribo: ["RPL3", "RPL10A", "RPL36AL", "RPS4X", "RPS4Y1", "RPL7L1", "RPLP0", "RPSA", "RPS27A"],
  hemoglobin: ["HBA1", "HBA2", "HBB", "HBD", "HBG2", "HBZ", "HBQ1"],
};
const MOUSE = {
  mito: ["mt-Co1", "mt-Nd1"],
  ribo: ["Rpl3", "Rpl10a", "Rps4x", "Rplp1", "Rpsa", "Rpl36al"],
  hemoglobin: ["Hba-a1", "Hbb-bs", "Hbb-bt", "Hbq1a"],
};
// Look-alikes no preset may catch.
const LOOKALIKES = [
  "MT1A",
  "MT2A",
  "MTRNR2L12",
  "MRPL13",
  "MRPS12",
  "RPS6KA1",
  "RPS6KB1",
  "Rps6ka1",
  "RP11-34P13.7",
  "HBEGF",
  "HBP1",
  "HBS1L",
  "Hbegf",
  "Mt1",
  "CD3E",
];

Deno.test("presets catch human and mouse names and no look-alike", () => {
  for (const preset of Object.keys(GENE_PRESETS) as GenePreset[]) {
    const res = GENE_PRESETS[preset].map((p) => new RegExp(p));
    const hit = (g: string) => res.some((r) => r.test(g));
    for (const g of [...HUMAN[preset], ...MOUSE[preset]]) assert.ok(hit(g), `${preset}: ${g}`);
    for (const g of LOOKALIKES) assert.ok(!hit(g), `${preset} caught ${g}`);
  }
});

Deno.test("each constraint removes exactly its genes, in order, with counts", () => {
  const names = [...HUMAN.mito, ...HUMAN.ribo, ...HUMAN.hemoglobin, ...LOOKALIKES];
  const ds = named(names);
  const allow = ds.genes.slice(0, 70), exclude = ["CD3E", "HBEGF", "NOT_A_GENE"];
  const { genes, report } = constrainPool(ds, ds.genes, {
    allow,
    exclude,
    excludePresets: ["mito", "ribo"],
    excludePatterns: ["^HB"],
  });
  // brute force, same order
  let want = ds.genes.filter((g) => allow.includes(g));
  const counts = [ds.genes.length - want.length];
  let next = want.filter((g) => !exclude.includes(g));
  counts.push(want.length - next.length), want = next;
  next = want.filter((g) => !HUMAN.mito.includes(g) && !HUMAN.ribo.includes(g));
  counts.push(want.length - next.length), want = next;
  next = want.filter((g) => !g.startsWith("HB"));
  counts.push(want.length - next.length), want = next;
  assert.deepEqual(genes, want);
  assert.deepEqual(report.steps.map((s) => s.removed), counts);
  assert.deepEqual(
    report.steps.map((s) => s.constraint),
    ["--allow", "--exclude", "--exclude-preset mito,ribo", "--exclude-pattern ^HB"],
  );
  assert.match(report.steps[1].note!, /1 listed gene/);
});

Deno.test("min/max mean bound the highest per-group mean of raw counts", () => {
  const ds = named([]);
  const dense = ds.toDense(), { codes, categories } = ds.categorical("cell_type");
  const brute = ds.genes.map((_, j) =>
    Math.max(
      ...categories.map((_, c) => {
        let sum = 0, n = 0;
        for (let i = 0; i < ds.nCells; i++) {
          if (codes[i] === c) sum += dense[i * ds.nGenes + j], n++;
        }
        return sum / n;
      }),
    )
  );
  const got = maxGroupMeans(ds, "cell_type").means;
  brute.forEach((m, j) => assert.ok(Math.abs(got[j] - m) < 1e-9, ds.genes[j]));
  const sorted = [...brute].sort((a, b) => a - b);
  const lo = sorted[10], hi = sorted[60];
  const { genes, report } = constrainPool(ds, ds.genes, { minMean: lo, maxMean: hi }, "cell_type");
  assert.deepEqual(genes, ds.genes.filter((_, j) => brute[j] >= lo && brute[j] <= hi));
  assert.equal(report.steps[0].removed, brute.filter((m) => m < lo).length);
  // without a label: the overall mean
  const overall = ds.genes.map((_, j) => {
    let s = 0;
    for (let i = 0; i < ds.nCells; i++) s += dense[i * ds.nGenes + j];
    return s / ds.nCells;
  });
  const { genes: g2 } = constrainPool(ds, ds.genes, { maxMean: hi });
  assert.deepEqual(g2, ds.genes.filter((_, j) => overall[j] <= hi));
});

Deno.test("HVG candidates are ranked among the allowed genes; forced genes always kept", () => {
  const ds = named([]);
  const plain = fitCandidates(ds, { candidates: 20 }).genes;
  const c = fitCandidates(ds, { candidates: 20, exclude: plain.slice(0, 4) });
  assert.equal(c.genes.length, 20);
  assert.ok(plain.slice(4).every((g) => c.genes.includes(g)));
  assert.ok(plain.slice(0, 4).every((g) => !c.genes.includes(g)));
  const low = ds.genes.find((g) => !plain.includes(g))!;
  const f = fitCandidates(ds, { candidates: 20, forceInclude: [low], exclude: [plain[0]] });
  assert.ok(f.genes.includes(low));
  // explicit lists are constrained too
  const e = fitCandidates(ds, { candidates: plain, excludePatterns: [`^${plain[1]}$`] });
  assert.deepEqual(e.genes, plain.filter((_, i) => i !== 1));
});

Deno.test("a forced gene failing a constraint and too few candidates are errors naming it", () => {
  const ds = named(["MT-CO1", "RPL3"]);
  assert.throws(
    () => fitCandidates(ds, { forceInclude: ["MT-CO1"], excludePresets: ["mito"] }),
    (e: Error) => e instanceof OptionError && /'MT-CO1' fail --exclude-preset mito/.test(e.message),
  );
  assert.throws(
    () => fitCandidates(ds, { forceInclude: ["NOPE"] }),
    /--force: 1 gene\(s\) not in the data: 'NOPE'/,
  );
  assert.throws(
    () => fitCandidates(ds, { k: 16, allow: ds.genes.slice(0, 30), maxMean: 0.2 }),
    (e: Error) =>
      e instanceof OptionError && /after --max-mean 0.2 only \d+ candidate/.test(e.message),
  );
  assert.throws(() => fitCandidates(ds, { excludePatterns: ["(["] }), /not a valid regular/);
  assert.throws(
    () => fitCandidates(ds, { excludePresets: ["bogus" as GenePreset] }),
    /no gene preset 'bogus'/,
  );
});

for (const method of ["yoto", "markers", "l1", "hvg"]) {
  Deno.test(`${method}: forced genes are in the panel and count towards k`, async () => {
    const ds = named([]);
    const top = fitCandidates(ds, { candidates: 30 }).genes;
    const forced = ds.genes.filter((g) => !top.includes(g)).slice(0, 2);
    const selector = await loadSelector(method, method === "yoto" ? { epochs: 2 } : undefined);
    const panel = await selectPanel(selector, ds, {
      k: 6,
      tasks: ["cell_type"],
      candidates: 30,
      forceInclude: forced,
      exclude: [top[0]],
      quiet: true,
    });
    assert.equal(panel.genes.length, 6);
    assert.deepEqual(panel.genes.slice(0, 2), forced);
    assert.ok(!panel.genes.includes(top[0]));
    assert.equal(new Set(panel.genes).size, 6);
    assert.equal(panel.constraints!.steps[0].constraint, "--exclude");
  });
}

Deno.test("gene lists: plain, CSV/TSV with a gene column, panel.csv; bad headers refused", async () => {
  const dir = await tempDir();
  const write = async (name: string, text: string) => {
    await Deno.writeTextFile(`${dir}/${name}`, text);
    return `${dir}/${name}`;
  };
  assert.deepEqual(
    await readGeneList(await write("a.txt", "# comment\nCD3E\r\n\n  NKG7 # nk\nCD3E\n")),
    ["CD3E", "NKG7"],
  );
  assert.deepEqual(await readGeneList(await write("b.tsv", "id\tgene\n1\tMS4A1\n2\tLYZ\n")), [
    "MS4A1",
    "LYZ",
  ]);
  assert.deepEqual(
    await readGeneList(await write("panel.csv", "gene,rank,score\nCD3E,1,Infinity\nLYZ,2,0.5\n")),
    ["CD3E", "LYZ"],
  );
  assert.deepEqual(await readGeneList(await write("c.csv", "gene\nA\nB\n")), ["A", "B"]);
  await assert.rejects(() => readGeneList(`${dir}/none.txt`));
  await assert.rejects(
    async () => readGeneList(await write("d.csv", "symbol,rank\nA,1\n")),
    /no 'gene' column/,
  );
  await assert.rejects(
    async () => readGeneList(await write("e.txt", "# only\n\n")),
    /lists no genes/,
  );
});
