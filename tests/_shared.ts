/**
 * Where the optional real datasets live (../shared/data beside the project) and how tests skip
 * cleanly when they are absent (a user's fresh clone).
 * @module
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Absolute path of ../shared/data relative to the project root (override: YOTO_SHARED_DATA). */
export const SHARED_DATA: string = Deno.env.get("YOTO_SHARED_DATA") ??
  fileURLToPath(new URL("../../shared/data/", import.meta.url));

/** Absolute path of a file under the shared data folder. */
export function sharedPath(relative: string): string {
  return `${SHARED_DATA.replace(/\/$/, "")}/${relative}`;
}

const noted = new Set<string>();

/** True when the shared file exists; otherwise prints a one-line note (once) and returns false. */
export function haveShared(relative: string): boolean {
  const ok = existsSync(sharedPath(relative));
  if (!ok && !noted.has(relative)) {
    noted.add(relative);
    console.log(`note: ${sharedPath(relative)} absent; tests that need it are skipped`);
  }
  return ok;
}

/** A fresh temporary directory for a test's output files. */
export function tempDir(): Promise<string> {
  return Deno.makeTempDir({ prefix: "yoto-test-" });
}

/** What a script run as a subprocess left: exit code and decoded output. */
export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a project script (path relative to the project root) as a subprocess; capture its output. */
export function runScript(script: string, ...args: string[]): Promise<ScriptResult> {
  return runScriptWithEnv({}, script, ...args);
}

/** runScript with extra environment variables for the subprocess. */
export function runScriptWithEnv(
  env: Record<string, string>,
  script: string,
  ...args: string[]
): Promise<ScriptResult> {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  return runCommand(Deno.execPath(), ["run", "-A", path, ...args], env);
}

/** Run a program as a subprocess; its exit code and decoded output. */
export async function runCommand(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ScriptResult> {
  const out = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Naive kNN: every distance, a full sort by (distance, index). */
export function naiveNeighbors(
  train: Float32Array,
  nTrain: number,
  query: Float32Array,
  q: number,
  d: number,
) {
  const all = Array.from({ length: nTrain }, (_, t) => {
    let dist = 0;
    for (let j = 0; j < d; j++) dist += (query[q * d + j] - train[t * d + j]) ** 2;
    return { t, dist };
  });
  return all.sort((a, b) => a.dist - b.dist || a.t - b.t);
}
