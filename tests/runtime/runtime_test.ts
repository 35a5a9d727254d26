import { assertEquals, assertRejects } from "../_assert.ts";
import { withAtomicFile, writeFileAtomic } from "../../lib/runtime/atomic.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { BackendError, FileFormatError, OptionError, YotoError } from "../../lib/runtime/errors.ts";
import { tempDir } from "../_shared.ts";
import * as tf from "@tensorflow/tfjs";

Deno.test("writeFileAtomic replaces the target and leaves nothing else", async () => {
  const dir = await tempDir();
  await writeFileAtomic(`${dir}/a.txt`, "one");
  await writeFileAtomic(`${dir}/a.txt`, new TextEncoder().encode("two"));
  assertEquals(await Deno.readTextFile(`${dir}/a.txt`), "two");
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["a.txt"]);
});

Deno.test("a writer that fails midway keeps the old file and removes its temp file", async () => {
  const dir = await tempDir();
  await writeFileAtomic(`${dir}/a.txt`, "old");
  await assertRejects(() =>
    withAtomicFile(`${dir}/a.txt`, async (tmp) => {
      await Deno.writeTextFile(tmp, "half");
      throw new Error("disk full");
    }), Error);
  assertEquals(await Deno.readTextFile(`${dir}/a.txt`), "old");
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["a.txt"]);
});

Deno.test("errors carry file, field and fix in the message", () => {
  const e = new FileFormatError("truncated", {
    file: "x.h5ad",
    field: "X/data",
    fix: "re-download it",
  });
  assertEquals(e instanceof YotoError, true);
  assertEquals(e.kind, "format");
  assertEquals(e.message, "x.h5ad, field 'X/data': truncated. Fix: re-download it");
});

Deno.test("requested backends start or fail loudly; what runs is reported", async () => {
  const cpu = await initBackend("cpu");
  assertEquals([cpu.backend, tf.getBackend()], ["cpu", "cpu"]);
  const wasm = await initBackend("wasm");
  assertEquals(wasm.backend, "wasm");
  assertEquals(tf.getBackend(), "wasm");
  assertEquals(tf.tensor([1, 2, 3]).square().dataSync(), Float32Array.from([1, 4, 9]));
  await assertRejects(() => initBackend("nope" as "cpu"), OptionError);
  let tfjsNode = true;
  try {
    await import("@tensorflow/tfjs-node" as string);
  } catch {
    tfjsNode = false;
  }
  if (!tfjsNode) await assertRejects(() => initBackend("tensorflow"), BackendError);
});

Deno.test("webgpu runs where it can read back and names its adapter; elsewhere a BackendError", async () => {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (!adapter) {
    await assertRejects(() => initBackend("webgpu"), BackendError);
    return;
  }
  // An adapter is not enough: training reads tensors synchronously, which tfjs-webgpu cannot do
  // in every runtime (Deno has no 2D canvas); then starting it is refused, pointing to wasm.
  let info;
  try {
    info = await initBackend("webgpu");
  } catch (err) {
    assertEquals(err instanceof BackendError && err.message.includes("--backend wasm"), true);
    await initBackend("cpu");
    return;
  }
  assertEquals(info.backend, "webgpu");
  assertEquals(tf.tidy(() => tf.ones([4096]).sum().dataSync()[0]), 4096);
  assertEquals(info.description.startsWith("webgpu ("), true, info.description);
  assertEquals(Array.from(await tf.tensor([1, 2, 3]).square().data()), [1, 4, 9]);
  await initBackend("cpu");
});

async function progressOutput(options: string): Promise<string> {
  const url = new URL("../../lib/runtime/progress.ts", import.meta.url).href;
  const code = `import { Progress } from "${url}";
const p = new Progress("work", 4, ${options});
for (let i = 0; i < 4; i++) p.tick();
p.log("epoch line");
p.finish();`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stderr: "piped",
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stderr);
}

Deno.test("progress ETA: from the units' own seconds when ticks give them", async () => {
  const url = new URL("../../lib/runtime/progress.ts", import.meta.url).href;
  // 0.6 s of set-up, then 1 of 4 units done in a reported 0.2 s (or unreported)
  const eta = async (seconds: string) => {
    const code = `import { Progress } from "${url}";
const p = new Progress("work", 4, { lineEverySeconds: 0 });
await new Promise((r) => setTimeout(r, 600));
p.tick(1, "", ${seconds});`;
    const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code], stderr: "piped" })
      .output();
    const line = new TextDecoder().decode(out.stderr);
    return Number(/ETA ([\d.]+)s/.exec(line)?.[1]);
  };
  assertEquals(await eta("0.2"), 0.6); // 3 units left x 0.2 s
  assertEquals((await eta("undefined")) >= 1.8, true); // 3 x the 0.6 s elapsed
});

Deno.test("progress off a terminal: lines when due, silent when quiet or instant", async () => {
  const lines = await progressOutput("{ lineEverySeconds: 0 }");
  assertEquals(lines.includes("work: 4/4 (100%)"), true, lines);
  assertEquals(lines.includes("epoch line"), true, lines);
  assertEquals(await progressOutput("{ quiet: true }"), "");
  assertEquals(await progressOutput("{}"), "epoch line\n");
});
