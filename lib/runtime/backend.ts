/**
 * TensorFlow.js backend choice. `auto` takes `tensorflow` (tfjs-node) when it is installed and
 * loads, else `wasm` (SIMD; Deno's wasm threads do not start, so they are switched off).
 * `webgpu` runs only when asked for and an adapter exists; `cpu` is the plain-JS fallback.
 * A backend that was asked for and cannot start is a BackendError, never a silent fallback.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { BackendError, OptionError } from "./errors.ts";

/** The backends a user can ask for. */
export type BackendName = "auto" | "wasm" | "webgpu" | "cpu" | "tensorflow";

/** What actually runs, for logs and saved models. */
export interface BackendInfo {
  /** The tfjs backend in use, as `tf.getBackend()` reports it. */
  backend: string;
  /** What was asked for. */
  requested: BackendName;
  /** wasm only: whether the SIMD build runs. */
  simd?: boolean;
  /** Human-readable one-liner, e.g. "wasm (SIMD, 1 thread)". */
  description: string;
}

const BACKENDS: readonly BackendName[] = ["auto", "wasm", "webgpu", "cpu", "tensorflow"];

// tfjs-node is optional: its install script downloads libtensorflow, which many machines cannot.
const TFJS_NODE = "@tensorflow/tfjs-node";

async function tryLoadTfjsNode(): Promise<boolean> {
  try {
    await import(TFJS_NODE);
    return tf.findBackend("tensorflow") !== null || tf.engine().registryFactory["tensorflow"] !==
        undefined;
  } catch {
    return false;
  }
}

interface AdapterInfo {
  description?: string;
  isFallbackAdapter?: boolean;
}

/** The WebGPU adapter's description, or null when there is none. */
async function webgpuAdapter(): Promise<AdapterInfo | null> {
  const gpu = (globalThis.navigator as {
    gpu?: { requestAdapter(): Promise<{ info?: AdapterInfo } | null> };
  })?.gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? (adapter.info ?? {}) : null;
  } catch {
    return null;
  }
}

const RETRY = { field: "backend", fix: "choose another backend (--backend wasm or cpu)" };

async function start(name: string): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (err) {
    throw new BackendError(`backend '${name}' failed to start: ${(err as Error).message}`, RETRY);
  }
  if (!ok || tf.getBackend() !== name) {
    throw new BackendError(
      `backend '${name}' did not start (tfjs is on '${tf.getBackend()}')`,
      RETRY,
    );
  }
}

/**
 * BackendError unless the started backend can read a tensor back synchronously: training reads
 * its losses and gates that way, and tfjs-webgpu does it through a 2D canvas, which some
 * runtimes (Deno) lack; it would crash at the first read, after the data is loaded.
 */
function checkSyncRead(name: string): void {
  // Above tfjs-webgpu's size threshold (1000 values), so the add runs on the GPU, not the CPU.
  const probe = tf.tidy(() => tf.add(tf.ones([4096]), 1));
  const warn = console.warn;
  console.warn = () => {}; // tfjs-webgpu warns, once, that synchronous reads are slow
  try {
    probe.dataSync();
  } catch (err) {
    throw new BackendError(
      `backend '${name}' cannot read results back synchronously in this runtime, which ` +
        `training needs (${(err as Error).message})`,
      { field: "backend", fix: "use --backend wasm" },
    );
  } finally {
    console.warn = warn;
    probe.dispose();
  }
}

/**
 * A `--backend` flag's value (default auto) as a BackendName; an OptionError listing the
 * backends when it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBackend } from "./backend.ts";
 * assert.equal(parseBackend(undefined), "auto");
 * assert.equal(parseBackend("wasm"), "wasm");
 * ```
 */
export function parseBackend(value = "auto"): BackendName {
  if (!(BACKENDS as readonly string[]).includes(value)) {
    throw new OptionError(`unknown backend '${value}'`, {
      field: "backend",
      fix: `use one of ${BACKENDS.join(", ")}`,
    });
  }
  return value as BackendName;
}

/**
 * Select and start a tfjs backend; returns what actually runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "yoto";
 * const info = await initBackend("cpu");
 * assert.equal(info.backend, "cpu");
 * ```
 */
export async function initBackend(requested: BackendName = "auto"): Promise<BackendInfo> {
  parseBackend(requested); // callers without types (notebooks, JS) can pass anything
  let name: string = requested;
  if (requested === "auto") name = (await tryLoadTfjsNode()) ? "tensorflow" : "wasm";
  else if (requested === "tensorflow" && !(await tryLoadTfjsNode())) {
    throw new BackendError(
      "backend 'tensorflow' needs @tensorflow/tfjs-node, which is not installed or does not load",
      {
        field: "backend",
        fix: "install @tensorflow/tfjs-node into the import map, or use --backend wasm",
      },
    );
  }
  let adapter: AdapterInfo | null = null;
  if (requested === "webgpu") {
    adapter = await webgpuAdapter();
    if (!adapter) {
      throw new BackendError("backend 'webgpu' needs a GPU adapter and none was found", {
        field: "backend",
        fix: "use --backend wasm",
      });
    }
    await import("@tensorflow/tfjs-backend-webgpu");
  }
  if (name === "wasm") tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  // Prod mode: no per-op debug checks, and no "install tfjs-node" banner on the cpu backend.
  tf.enableProdMode();
  await start(name);
  if (name === "webgpu") checkSyncRead(name);
  const info: BackendInfo = { backend: tf.getBackend(), requested, description: name };
  if (adapter) {
    // A fallback adapter (e.g. llvmpipe) emulates the GPU on the CPU: say so, it is slow.
    const what = adapter.description || "unnamed adapter";
    info.description = `webgpu (${what}${
      adapter.isFallbackAdapter ? ", software fallback: no real GPU" : ""
    })`;
  }
  if (name === "wasm") {
    info.simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    info.description = `wasm (${info.simd ? "SIMD" : "no SIMD"}, 1 thread)`;
  }
  return info;
}
