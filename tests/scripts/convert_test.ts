import { assertEquals } from "../_assert.ts";
import { readArrow } from "../../lib/data/arrow.ts";
import { writeDataset } from "../../lib/data/io.ts";
import { haveShared, runScript, sharedPath, tempDir } from "../_shared.ts";
import { bruteDense, tinyCsr } from "../data/_fixtures.ts";

function convert(...args: string[]) {
  return runScript("scripts/convert.ts", ...args);
}

Deno.test("convert --help prints usage and exits 0", async () => {
  const r = await convert("--help");
  assertEquals(r.code, 0);
  assertEquals(r.stdout.includes("Usage: deno task convert IN OUT"), true);
});

Deno.test("convert turns an h5ad into an .arrow dataset with the same content", async () => {
  const dir = await tempDir();
  await writeDataset(tinyCsr(), `${dir}/in.h5ad`);
  const r = await convert(`${dir}/in.h5ad`, `${dir}/out.arrow`, "--quiet");
  assertEquals(r.code, 0, r.stderr);
  const back = await readArrow(`${dir}/out.arrow`);
  assertEquals(bruteDense(back), bruteDense(tinyCsr()));
  assertEquals(back.labels("type"), tinyCsr().labels("type"));
});

Deno.test("bad input: one-line error, exit 2, no stack trace, no output file", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/broken.h5ad`, "this is not HDF5");
  await Deno.writeFile(`${dir}/empty.arrow`, new Uint8Array(0));
  await Deno.writeTextFile(`${dir}/nan.csv`, "cell,A,B\nc1,1,NaN\n");
  const cases: string[][] = [
    [`${dir}/broken.h5ad`, `${dir}/o1.arrow`],
    [`${dir}/empty.arrow`, `${dir}/o2.arrow`],
    [`${dir}/nan.csv`, `${dir}/o3.arrow`],
    [`${dir}/missing.h5ad`, `${dir}/o4.arrow`],
    [`${dir}/broken.h5ad`],
    ["--bogus-flag", `${dir}/broken.h5ad`, `${dir}/o5.arrow`],
  ];
  for (const args of cases) {
    const r = await convert(...args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 1, r.stderr);
    assertEquals(lines[0].startsWith("error: "), true, r.stderr);
    assertEquals(/\n\s+at /.test(r.stderr), false, r.stderr);
  }
  const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assertEquals(left, ["broken.h5ad", "empty.arrow", "nan.csv"]);
});

Deno.test({
  name: "convert reads the shared 10x-style folder",
  ignore: !haveShared("kang_ifnb1k/counts.mtx.gz"),
  fn: async () => {
    const dir = await tempDir();
    const r = await convert(sharedPath("kang_ifnb1k"), `${dir}/k.arrow`, "--quiet");
    assertEquals(r.code, 0, r.stderr);
    const ds = await readArrow(`${dir}/k.arrow`);
    assertEquals([ds.nCells, ds.nGenes, ds.indptr[ds.nCells]], [832, 14053, 570350]);
  },
});

Deno.test("each bad-input class exits 2 with the file named and leaves no output", async () => {
  const root = await tempDir();
  const mtx = (entries: string, size = "3 2 2") =>
    `%%MatrixMarket matrix coordinate real general\n${size}\n${entries}`;
  const cases: Record<string, { files: Record<string, string>; args?: string[] }> = {
    "wrong-orientation": {
      files: {
        "matrix.mtx": mtx("1 1 1\n3 2 4\n"),
        "genes.txt": "A\nB\n",
        "obs.csv": "id\nc1\nc2\nc3\n",
      },
      args: ["--orientation", "genes-by-cells"],
    },
    "size-mismatch": {
      files: {
        "matrix.mtx": mtx("1 1 1\n3 2 4\n"),
        "genes.txt": "A\nB\nC\nD\n",
        "obs.csv": "id\nc1\nc2\nc3\n",
      },
    },
    "negative-count": {
      files: {
        "matrix.mtx": mtx("1 1 1\n3 2 -4\n"),
        "genes.txt": "A\nB\n",
        "obs.csv": "id\nc1\nc2\nc3\n",
      },
    },
    "infinite-count": {
      files: {
        "matrix.mtx": mtx("1 1 inf\n3 2 4\n"),
        "genes.txt": "A\nB\n",
        "obs.csv": "id\nc1\nc2\nc3\n",
      },
    },
    "truncated": {
      files: {
        "matrix.mtx": mtx("1 1 1\n", "3 2 5"),
        "genes.txt": "A\nB\n",
        "obs.csv": "id\nc1\nc2\nc3\n",
      },
    },
    "empty": { files: { "matrix.mtx": "", "genes.txt": "A\nB\n" } },
  };
  for (const [name, { files, args = [] }] of Object.entries(cases)) {
    const dir = `${root}/${name}`;
    await Deno.mkdir(dir);
    for (const [file, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${file}`, text);
    }
    const r = await convert(dir, `${root}/${name}.arrow`, "--quiet", ...args);
    assertEquals(r.code, 2, `${name}: ${r.stderr}`);
    assertEquals(r.stderr.trim().split("\n").length, 1, `${name}: ${r.stderr}`);
    assertEquals(r.stderr.includes(dir), true, `${name} names no file: ${r.stderr}`);
  }
  assertEquals([...Deno.readDirSync(root)].filter((e) => e.isFile).length, 0);
});
