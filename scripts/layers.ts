/**
 * `deno task layers`: the import graph of lib/ and mod.ts against the floors in LAYERS (each
 * folder builds only on the ones below it): import circles, and imports that point up (or
 * sideways between two folders of one floor). Exit code 1 when there is any;
 * tests/scripts/layers_test.ts holds the repository to none.
 */
import { dirname, join, relative, resolve } from "node:path";
import { markdownTable } from "../lib/eval/report.ts";
import { parseCli, runCli } from "../lib/runtime/cli.ts";

/** Floors from the bottom up: a file may import from its own folder and from lower floors. */
export const LAYERS: readonly (readonly string[])[] = [
  ["lib/runtime"],
  ["lib/data"],
  ["lib/metrics", "lib/nn"],
  ["lib/select"],
  ["lib/calibrate", "lib/mae"],
  ["lib/eval"],
  ["lib/plot"],
  ["mod.ts"],
];

/** The floor and folder of a repository-relative path (undefined: not in a layer). */
export function layerOf(path: string): { floor: number; room: string } | undefined {
  for (let floor = 0; floor < LAYERS.length; floor++) {
    for (const room of LAYERS[floor]) {
      if (path === room || path.startsWith(room + "/")) return { floor, room };
    }
  }
  return undefined;
}

// Static imports and re-exports, and import() of a string literal (lazy imports count: they
// are how circles hide).
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Relative imports of each .ts file under `dirs` (repository-relative paths), doc comments aside. */
export async function importGraph(root: string, dirs: string[]): Promise<Map<string, string[]>> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(join(root, dir))) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts")) files.push(path);
    }
  };
  for (const d of dirs) {
    if (d.endsWith(".ts")) files.push(d);
    else await walk(d);
  }
  const graph = new Map<string, string[]>();
  for (const file of files.sort()) {
    // Examples in doc comments import too, but they are not the module's dependencies.
    const code = (await Deno.readTextFile(join(root, file))).replace(/\/\*\*[\s\S]*?\*\//g, "");
    const targets = new Set<string>();
    for (const m of code.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith(".")) continue;
      targets.add(relative(root, resolve(root, dirname(file), spec)));
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan), each sorted. */
export function importCircles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), circles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) circles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}

/** Imports from a file to one on a higher floor, or to another folder of the same floor. */
export function upwardImports(graph: Map<string, string[]>): [string, string][] {
  const up: [string, string][] = [];
  for (const [from, targets] of graph) {
    const a = layerOf(from);
    if (!a) continue;
    for (const to of targets) {
      const b = layerOf(to);
      if (b && (b.floor > a.floor || (b.floor === a.floor && b.room !== a.room))) {
        up.push([from, to]);
      }
    }
  }
  return up;
}

if (import.meta.main) {
  await runCli(async () => {
    parseCli(Deno.args, {}, {
      name: "deno task layers",
      help: "Usage: deno task layers\n\nImport circles and upward imports in lib/ and mod.ts " +
        `(floors from the bottom: ${LAYERS.map((f) => f.join(" + ")).join(" -> ")}).`,
    });
    const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
    const graph = await importGraph(root, ["lib", "mod.ts"]);
    const circles = importCircles(graph), up = upwardImports(graph);
    const edges = [...graph.values()].reduce((n, t) => n + t.length, 0);
    console.log(
      `${graph.size} files, ${edges} imports, ${circles.length} circle(s), ` +
        `${up.length} upward import(s)`,
    );
    circles.forEach((c, i) => console.log(`circle ${i + 1} (${c.length} files): ${c.join(", ")}`));
    if (up.length) {
      console.log(markdownTable(["from", "imports (higher floor)"], up.map(([a, b]) => [a, b])));
    }
    if (circles.length || up.length) Deno.exit(1);
  });
}
