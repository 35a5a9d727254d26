/**
 * Fingerprints for resumable runs: a short hash of the settings and the data a result depends
 * on, stored with each result so a rerun can tell a finished unit from one computed under other
 * settings. Also the sha256 of files (downloads are checked with it).
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { join } from "node:path";

/**
 * The sha256 of a file as lower-case hex, read in chunks (node:crypto hashes incrementally;
 * crypto.subtle would need the whole file in memory).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256File } from "./fingerprint.ts";
 * const path = `${await Deno.makeTempDir()}/abc.txt`;
 * await Deno.writeTextFile(path, "abc");
 * assert.ok((await sha256File(path)).startsWith("ba7816bf"));
 * ```
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  const f = await Deno.open(path);
  for await (const chunk of f.readable) hash.update(chunk); // the stream closes the file
  return hash.digest("hex");
}

/**
 * The sha256 of a file's bytes, or of a folder's files (10x folders): every file below it, by
 * sorted relative path, each hashed with its path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentHash } from "./fingerprint.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "abc");
 * const before = await contentHash(dir);
 * await Deno.writeTextFile(`${dir}/b.txt`, "");
 * assert.notEqual(await contentHash(dir), before);
 * ```
 */
export async function contentHash(path: string): Promise<string> {
  if (!(await Deno.stat(path)).isDirectory) return sha256File(path);
  const files: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(join(path, rel))) {
      const sub = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(sub);
      else files.push(sub);
    }
  };
  await walk("");
  const hash = createHash("sha256");
  for (const f of files.sort()) hash.update(`${f}\0${await sha256File(join(path, f))}\n`);
  return hash.digest("hex");
}

/** Feed `value` to `hash` unambiguously: keys sorted, typed arrays as tagged bytes. */
function feed(hash: Hash, value: unknown): void {
  if (ArrayBuffer.isView(value)) {
    hash.update(`<${value.constructor.name}:${value.byteLength}>`);
    hash.update(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  } else if (Array.isArray(value)) {
    hash.update("[");
    for (const v of value) {
      feed(hash, v);
      hash.update(",");
    }
    hash.update("]");
  } else if (typeof value === "object" && value !== null) {
    hash.update("{");
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined) continue;
      hash.update(JSON.stringify(key) + ":");
      feed(hash, v);
      hash.update(",");
    }
    hash.update("}");
  } else {
    // NaN and Infinity are not JSON: spell them out so they differ from null.
    hash.update(
      typeof value === "number" && !Number.isFinite(value)
        ? `${value}`
        : JSON.stringify(value) ?? "undefined",
    );
  }
}

/**
 * A 16-hex-digit fingerprint of a JSON-like value: objects by sorted keys (undefined values left
 * out, as JSON does), typed arrays by their bytes. Equal settings give equal fingerprints
 * whatever the key order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fingerprint } from "./fingerprint.ts";
 * assert.equal(fingerprint({ k: 8, tasks: ["a"] }), fingerprint({ tasks: ["a"], k: 8 }));
 * assert.notEqual(fingerprint({ k: 8 }), fingerprint({ k: 16 }));
 * assert.notEqual(fingerprint(Float32Array.of(1)), fingerprint(Float32Array.of(2)));
 * ```
 */
export function fingerprint(value: unknown): string {
  const hash = createHash("sha256");
  feed(hash, value);
  return hash.digest("hex").slice(0, 16);
}

/**
 * The top-level keys whose values differ between two settings objects (for messages that say
 * what changed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { changedKeys } from "./fingerprint.ts";
 * assert.deepEqual(changedKeys({ k: 8, seed: 0 }, { k: 16, seed: 0, epochs: 3 }), ["k", "epochs"]);
 * ```
 */
export function changedKeys(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.filter((k) => fingerprint(before[k]) !== fingerprint(after[k]));
}
