import { assertClose, assertEquals, assertRejects } from "../_assert.ts";
import { datasetFromArrowBytes, readArrow, streamArrow, writeArrow } from "../../lib/data/arrow.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { FileFormatError } from "../../lib/runtime/errors.ts";
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
