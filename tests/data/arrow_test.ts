import { assertClose, assertEquals, assertRejects } from "../_assert.ts";
import {
  datasetFromArrowBytes,
  readArrow,
  streamArrow,
  writeArrow,
  writeArrowChunks,
} from "../../lib/data/arrow.ts";
import { simulate, simulateChunks } from "../../lib/data/simulate.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { FileFormatError, OptionError, ShapeMismatchError } from "../../lib/runtime/errors.ts";
import { tempDir } from "../_shared.ts";
import { bruteDense, tinyCsr, zeroCells } from "./_fixtures.ts";

function sameDataset(a: Dataset, b: Dataset): void {
  assertEquals(bruteDense(a), bruteDense(b));
  assertEquals(a.var, b.var);
  assertEquals(a.obsNames, b.obsNames);
  for (const name of a.obsNames) {
    const x = a.obs(name), y = b.obs(name);
    assertEquals(x.kind, y.kind, name);
    if (x.kind === "numeric" && y.kind === "numeric") {
      assertEquals(Array.from(x.values).map(String), Array.from(y.values).map(String), name);
    } else assertEquals(a.labels(name), b.labels(name), name);
  }
  assertEquals(a.obsIndex, b.obsIndex);
  assertEquals(a.uns, b.uns);
}

Deno.test("arrow round trip keeps matrix, obs (missing values too), var and uns", async () => {
  const path = `${await tempDir()}/tiny.arrow`;
  const ds = tinyCsr();
  await writeArrow(ds, path);
  const back = await readArrow(path);
  sameDataset(back, ds);
  assertEquals(back.isSparse, true);
});

Deno.test("an ordered categorical stays ordered (Arrow's dictionary flag)", async () => {
  const path = `${await tempDir()}/ordered.arrow`;
  const stage = {
    kind: "categorical" as const,
    codes: Int32Array.from([1, 0, -1, 2, 0]),
    categories: ["early", "mid", "late"],
  };
  await writeArrow(tinyCsr().withObs("stage", { ...stage, ordered: true }), path);
  assertEquals((await readArrow(path)).obs("stage"), { ...stage, ordered: true });
  await writeArrow(tinyCsr().withObs("stage", stage), path);
  assertEquals((await readArrow(path)).obs("stage"), stage);
});

Deno.test("dense datasets round trip as FixedSizeList", async () => {
  const path = `${await tempDir()}/dense.arrow`;
  const ds = Dataset.fromDense(Float32Array.from([1.5, -2, 0, 3, 4, 5]), 3, 2, ["A", "B"]);
  await writeArrow(ds, path);
  const back = await readArrow(path);
  assertEquals(back.isSparse, false);
  sameDataset(back, ds);
});

Deno.test("CSR arrays of a one-batch file are views of the file bytes (no copy)", async () => {
  const path = `${await tempDir()}/tiny.arrow`;
  await writeArrow(tinyCsr(), path);
  const bytes = await Deno.readFile(path);
  const ds = datasetFromArrowBytes(bytes, path);
  assertEquals(ds.values.buffer === bytes.buffer, true);
  assertEquals(ds.indices.buffer === bytes.buffer, true);
  assertEquals(ds.indptr.buffer === bytes.buffer, true);
  // a write through the view shows in the file bytes: same memory
  const p = ds.values.byteOffset;
  ds.values[0] = 42;
  assertEquals(new Float32Array(bytes.buffer.slice(p, p + 4))[0], 42);
});

Deno.test("files written in several record batches read back identical", async () => {
  const dir = await tempDir();
  const ds = tinyCsr();
  await writeArrow(ds, `${dir}/b2.arrow`, { batchSize: 2 });
  sameDataset(await readArrow(`${dir}/b2.arrow`), ds);
});

Deno.test("streamArrow yields each record batch with its offset, zero-copy within the batch", async () => {
  const path = `${await tempDir()}/b2.arrow`;
  const ds = tinyCsr();
  await writeArrow(ds, path, { batchSize: 2 });
  const starts: number[] = [];
  const rows: number[][] = [];
  for await (const { start, dataset } of streamArrow(path)) {
    starts.push(start);
    rows.push(...bruteDense(dataset));
    assertEquals(dataset.labels("type"), ds.labels("type").slice(start, start + dataset.nCells));
  }
  assertEquals(starts, [0, 2, 4]);
  assertEquals(rows, bruteDense(ds));
});

Deno.test("a dataset with zero cells round trips", async () => {
  const path = `${await tempDir()}/empty.arrow`;
  await writeArrow(zeroCells(), path);
  const back = await readArrow(path);
  assertEquals([back.nCells, back.nGenes], [0, 3]);
});

Deno.test("bad Arrow files raise FileFormatError naming the file", async () => {
  const dir = await tempDir();
  const good = `${dir}/good.arrow`;
  await writeArrow(tinyCsr(), good);
  const bytes = await Deno.readFile(good);
  const cases: Record<string, Uint8Array> = {
    "empty.arrow": new Uint8Array(0),
    "truncated.arrow": bytes.subarray(0, Math.floor(bytes.length / 2)),
    "text.arrow": new TextEncoder().encode("cell,gene\n1,2\n"),
  };
  for (const [name, content] of Object.entries(cases)) {
    await Deno.writeFile(`${dir}/${name}`, content);
    const err = await assertRejects(() => readArrow(`${dir}/${name}`), FileFormatError);
    assertEquals(err.message.includes(name), true, err.message);
  }
  await assertRejects(() => readArrow(`${dir}/missing.arrow`), FileFormatError);
});

Deno.test("an Arrow file without yoto metadata is refused with the fix", async () => {
  const { tableToIPC, tableFromArrays } = await import("apache-arrow");
  const path = `${await tempDir()}/plain.arrow`;
  await Deno.writeFile(path, tableToIPC(tableFromArrays({ a: Float64Array.from([1, 2]) }), "file"));
  const err = await assertRejects(() => readArrow(path), FileFormatError);
  assertEquals(err.message.includes("deno task convert"), true);
});

Deno.test("a failed write leaves no file and no temp file behind", async () => {
  const dir = await tempDir();
  const bad = new Dataset({
    X: tinyCsr().X,
    var: tinyCsr().var,
    obs: { X: { kind: "numeric", values: new Float64Array(5) } },
  });
  await assertRejects(() => writeArrow(bad, `${dir}/out.arrow`), Error);
  assertEquals([...Deno.readDirSync(dir)].length, 0);
});

Deno.test("float values survive exactly", async () => {
  const path = `${await tempDir()}/f.arrow`;
  const ds = Dataset.fromDense(Float32Array.from([Math.PI, 1e-30, 3e38, -0.1]), 2, 2, ["a", "b"]);
  await writeArrow(ds, path);
  const back = await readArrow(path);
  ds.toDense().forEach((v, i) => assertClose(back.toDense()[i], v, 0));
});

Deno.test("writeArrowChunks: a simulation written chunk by chunk reads back as the whole", async () => {
  const dir = await tempDir();
  const options = { nCells: 300, nGenes: 120, seed: 2 };
  const { chunks } = simulateChunks(options, 70);
  // chunks of 70 in record batches of at most 32: 70 = 32 + 32 + 6, the last chunk 20 = 20
  const written = await writeArrowChunks(`${dir}/sim.arrow`, chunks, { batchSize: 32 });
  assertEquals(written, { nCells: 300, batches: 4 * 3 + 1 });
  const whole = simulate(options).dataset;
  sameDataset(await readArrow(`${dir}/sim.arrow`), whole);
  const sizes: number[] = [];
  const rows: number[][] = [];
  for await (const { dataset } of streamArrow(`${dir}/sim.arrow`)) {
    sizes.push(dataset.nCells);
    rows.push(...bruteDense(dataset));
  }
  assertEquals(sizes, [32, 32, 6, 32, 32, 6, 32, 32, 6, 32, 32, 6, 20]);
  assertEquals(rows, bruteDense(whole));
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["sim.arrow"]);
});

Deno.test("writeArrowChunks writes each chunk to disk before asking for the next", async () => {
  const dir = await tempDir();
  const sizes: number[] = [];
  const tempSize = () => {
    const tmp = [...Deno.readDirSync(dir)].find((e) => e.name.startsWith(".s.arrow.tmp-"));
    return tmp ? Deno.statSync(`${dir}/${tmp.name}`).size : -1;
  };
  async function* chunks() {
    for (let c = 0; c < 3; c++) {
      sizes.push(tempSize());
      yield await Promise.resolve(tinyCsr());
    }
    sizes.push(tempSize());
  }
  await writeArrowChunks(`${dir}/s.arrow`, chunks());
  // the temporary file exists from the start and grows with every chunk written
  assertEquals(
    sizes[0] >= 0 && sizes.every((n, i) => i === 0 || n > sizes[i - 1]),
    true,
    String(sizes),
  );
  const back = await readArrow(`${dir}/s.arrow`);
  assertEquals(back.nCells, 3 * tinyCsr().nCells);
  assertEquals(bruteDense(back), [
    ...bruteDense(tinyCsr()),
    ...bruteDense(tinyCsr()),
    ...bruteDense(tinyCsr()),
  ]);
});

Deno.test("writeArrowChunks refuses mismatched chunks and leaves nothing behind", async () => {
  const dir = await tempDir();
  const a = simulate({ nCells: 20, nGenes: 80, seed: 1 }).dataset;
  const otherGenes = simulate({ nCells: 20, nGenes: 81, seed: 1 }).dataset;
  const otherTypes = simulate({ nCells: 20, nGenes: 80, seed: 1, nTypes: 3 }).dataset;
  const path = `${dir}/x.arrow`;
  let err = await assertRejects(() => writeArrowChunks(path, [a, otherGenes]), ShapeMismatchError);
  assertEquals(err.message.includes("chunk 2 has other genes"), true, err.message);
  err = await assertRejects(() => writeArrowChunks(path, [a, a, otherTypes]), ShapeMismatchError);
  assertEquals(err.message.includes("chunk 3"), true, err.message);
  await assertRejects(() => writeArrowChunks(path, []), OptionError);
  assertEquals([...Deno.readDirSync(dir)].length, 0);
  // empty chunks add nothing; only empty chunks still give a readable empty file
  await writeArrowChunks(path, [zeroCells(), zeroCells()]);
  assertEquals((await readArrow(path)).nCells, 0);
});
