import { fileURLToPath } from "node:url";
import { assertEquals } from "../_assert.ts";
import { importCircles, importGraph, layerOf, upwardImports } from "../../scripts/layers.ts";
import { tempDir } from "../_shared.ts";

Deno.test("layers: static, type, re-export and lazy imports are read; doc examples are not", async () => {
  const root = await tempDir();
  await Deno.mkdir(`${root}/lib/data`, { recursive: true });
  await Deno.mkdir(`${root}/lib/eval`, { recursive: true });
  await Deno.writeTextFile(
    `${root}/lib/data/a.ts`,
    '/** @example\n * import { z } from "../eval/c.ts";\n */\nimport { b } from "./b.ts";\n' +
      'export const a = async () => (await import("../eval/c.ts")).c;\n',
  );
  await Deno.writeTextFile(
    `${root}/lib/data/b.ts`,
    'import type {\n  A,\n} from "./a.ts";\nexport const b = 1;\n',
  );
  await Deno.writeTextFile(
    `${root}/lib/eval/c.ts`,
    'export { b } from "../data/b.ts";\nexport const c = 1;\n',
  );
  const graph = await importGraph(root, ["lib"]);
  assertEquals(graph.get("lib/data/a.ts"), ["lib/data/b.ts", "lib/eval/c.ts"]);
  assertEquals(graph.get("lib/data/b.ts"), ["lib/data/a.ts"]);
  assertEquals(graph.get("lib/eval/c.ts"), ["lib/data/b.ts"]);
  // a -> c -> b -> a is one circle of three files; a -> c points up (data below eval).
  assertEquals(importCircles(graph), [["lib/data/a.ts", "lib/data/b.ts", "lib/eval/c.ts"]]);
  assertEquals(upwardImports(graph), [["lib/data/a.ts", "lib/eval/c.ts"]]);
});

Deno.test("layers: circles match a brute-force reachability check on random graphs", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let trial = 0; trial < 30; trial++) {
    const n = 2 + Math.floor(rand() * 8);
    const names = Array.from({ length: n }, (_, i) => `f${i}`);
    const graph = new Map(names.map((v) => [v, names.filter((w) => w !== v && rand() < 0.25)]));
    const reach = (from: string) => {
      const seen = new Set<string>(), todo = [from];
      while (todo.length) {
        for (const w of graph.get(todo.pop()!)!) if (!seen.has(w)) seen.add(w), todo.push(w);
      }
      return seen;
    };
    const r = new Map(names.map((v) => [v, reach(v)]));
    const expected = new Set<string>();
    for (const v of names) {
      const scc = names.filter((w) => w === v || (r.get(v)!.has(w) && r.get(w)!.has(v)));
      if (scc.length > 1) expected.add(scc.sort().join());
    }
    assertEquals(new Set(importCircles(graph).map((c) => c.join())), expected);
  }
});

Deno.test("layers: floors and rooms", () => {
  assertEquals(layerOf("lib/runtime/rng.ts"), { floor: 0, room: "lib/runtime" });
  assertEquals(layerOf("lib/select/yoto/train.ts")?.room, "lib/select");
  assertEquals(layerOf("scripts/yoto.ts"), undefined);
  assertEquals(layerOf("lib/database/x.ts"), undefined);
  // Two folders of one floor may not import each other.
  assertEquals(upwardImports(new Map([["lib/mae/a.ts", ["lib/calibrate/b.ts"]]])).length, 1);
});

Deno.test("layers: the repository's lib/ and mod.ts have no import circle and no upward import", async () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const graph = await importGraph(root, ["lib", "mod.ts"]);
  assertEquals(graph.has("lib/data/transform.ts") && graph.has("mod.ts"), true);
  assertEquals(importCircles(graph), []);
  assertEquals(upwardImports(graph), []);
});
