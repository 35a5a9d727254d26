import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import { fitCandidates } from "../../lib/data/transform.ts";
import { randomPanel, randomSelector } from "../../lib/select/random.ts";
import { checkPanelSize, selectPanel } from "../../lib/select/panel.ts";

const { dataset } = simulate({ nCells: 300, nGenes: 200, seed: 4 });
const options = { k: 12, candidates: 100 };

Deno.test("random panel: exactly k distinct candidates, the same for a seed, another for another seed", async () => {
  const { genes: candidates } = fitCandidates(dataset, options);
  const a = await selectPanel(randomSelector(), dataset, { ...options, seed: 3 });
  const b = await selectPanel(randomSelector(), dataset, { ...options, seed: 3 });
  const c = await selectPanel(randomSelector(), dataset, { ...options, seed: 4 });
  assertEquals(a.genes.length, 12);
  assertEquals(new Set(a.genes).size, 12);
  assertEquals(a.genes.every((g) => candidates.includes(g)), true);
  assertEquals(a.genes, b.genes);
  assertEquals(a.genes.join() === c.genes.join(), false);
  assertEquals(a.scores, new Array(12).fill(0));
  assertEquals([a.method, a.k, a.params.candidates, a.params.seed], ["random", 12, 100, 3]);
  assertEquals(randomSelector().needs, "data");
});

Deno.test("random panel: every candidate equally likely (3 of 10 over 3000 seeds)", () => {
  const hits = new Array(10).fill(0);
  for (let seed = 0; seed < 3000; seed++) for (const j of randomPanel(10, 3, seed)) hits[j]++;
  // each count ~ Binomial(3000, 0.3): mean 900, sd 25
  for (const h of hits) assertEquals(Math.abs(h - 900) < 125, true, `count ${h}`);
});

Deno.test("random panel: k must be a whole number in (0, candidates)", async () => {
  for (const k of [0, -1, 2.5, 10, 11]) assertThrows(() => checkPanelSize(k, 10), OptionError);
  checkPanelSize(9, 10);
  await assertRejects(
    () => selectPanel(randomSelector(), dataset, { k: 100, candidates: 100 }),
    OptionError,
  );
});
