/**
 * h5py booleans written through h5wasm (lib/data/_h5ad_bool.ts): the placeholder types become
 * HDF5's enum {FALSE, TRUE} wherever the object headers put them, the checksums HDF5 verifies
 * on reading stay right, and a placeholder the patch cannot reach is an error.
 */
import h5wasm from "h5wasm/node";
import { assertEquals, assertRejects } from "../_assert.ts";
import { BoolWriter, lookup3 } from "../../lib/data/_h5ad_bool.ts";
import { openForWrite } from "../../lib/data/_h5ad_hdf5.ts";
import { tempDir } from "../_shared.ts";

type Md = { type: number; enum_type?: { members: Record<string, number> } };
const isH5pyBool = (md: Md) =>
  md.type === 8 && JSON.stringify(md.enum_type?.members) === '{"FALSE":0,"TRUE":1}';

Deno.test("lookup3 matches the published vectors of hashlittle", () => {
  const text = new TextEncoder().encode("Four score and seven years ago");
  assertEquals(lookup3(new Uint8Array(0)), 0xdeadbeef);
  assertEquals(lookup3(text), 0x17770551);
});

Deno.test("booleans in 60 groups (headers continued in later chunks) and a scalar read back as h5py's", async () => {
  const path = `${await tempDir()}/bools.h5`;
  const f = await openForWrite(path);
  const bools = new BoolWriter();
  for (let i = 0; i < 60; i++) {
    const g = f.create_group(`g${i}`);
    g.create_attribute("note", "x".repeat(i)); // headers of growing size, continued as they fill
    bools.attribute(g, "ordered", i % 3 === 0);
    bools.dataset(g, "flags", Int8Array.of(i % 2, 1, 0, 1), [2, 2], true);
  }
  bools.dataset(f, "scalar", Int8Array.of(1), [], false);
  f.close();
  await bools.finish(path);
  const back = new h5wasm.File(path, "r");
  try {
    for (let i = 0; i < 60; i++) {
      const g = back.get(`g${i}`) as InstanceType<typeof h5wasm.Group>;
      assertEquals(isH5pyBool(g.attrs["ordered"].metadata), true, `g${i}`);
      assertEquals(g.attrs["ordered"].value, i % 3 === 0 ? 1 : 0);
      const flags = g.get("flags") as InstanceType<typeof h5wasm.Dataset>;
      assertEquals(isH5pyBool(flags.metadata), true);
      assertEquals(Array.from(flags.value as Int8Array), [i % 2, 1, 0, 1]);
    }
    const scalar = back.get("scalar") as InstanceType<typeof h5wasm.Dataset>;
    assertEquals([isH5pyBool(scalar.metadata), scalar.value], [true, 1]);
  } finally {
    back.close();
  }
});

Deno.test("a boolean attribute HDF5 moved out of the object header is an error, not a wrong type", async () => {
  const path = `${await tempDir()}/dense.h5`;
  const f = await openForWrite(path);
  const bools = new BoolWriter();
  const g = f.create_group("many");
  bools.attribute(g, "ordered", true);
  for (let i = 0; i < 9; i++) g.create_attribute(`a${i}`, "x"); // more than 8: dense storage
  f.close();
  const err = await assertRejects(() => bools.finish(path), Error);
  assertEquals(err.message.includes("0 of 1 placeholder types found"), true, err.message);
});
