/** Small hand-made datasets and helpers shared by data tests. */
import { runCommand } from "../_shared.ts";
import assert from "node:assert/strict";
import { Dataset, type ObsColumn } from "../../lib/data/dataset.ts";
import { simulate } from "../../lib/data/simulate.ts";
import type { YotoError } from "../../lib/runtime/errors.ts";

/** A 5 x 4 CSR dataset with an empty row and every obs column kind, missing values included. */
export function tinyCsr(): Dataset {
  const obs: Record<string, ObsColumn> = {
    cell_id: { kind: "string", values: ["c0", "c1", "c2", "c3", "c4"] },
    type: { kind: "categorical", codes: Int32Array.from([0, 1, -1, 0, 1]), categories: ["B", "T"] },
    score: { kind: "numeric", values: Float64Array.from([0.5, NaN, 2, 3, -1]) },
    note: { kind: "string", values: ["a", null, "c,d", "é", ""] },
  };
  return new Dataset({
    X: {
      kind: "csr",
      nRows: 5,
      nCols: 4,
      indptr: Int32Array.from([0, 2, 3, 3, 5, 6]),
      indices: Int32Array.from([0, 3, 1, 0, 2, 3]),
      values: Float32Array.from([1, 2, 3, 4, 5, 6]),
    },
    var: { gene: ["G0", "G1", "G2", "G3"], chrom: ["1", "2", "X", "1"] },
    obs,
    obsIndex: "cell_id",
    uns: { origin: "test" },
  });
}

/** Dense copy of a dataset's matrix, row-major, by brute force from its CSR or dense arrays. */
export function bruteDense(ds: Dataset): number[][] {
  const out = Array.from({ length: ds.nCells }, () => new Array<number>(ds.nGenes).fill(0));
  if (ds.X.kind === "dense") {
    for (let i = 0; i < ds.nCells; i++) {
      for (let j = 0; j < ds.nGenes; j++) out[i][j] = ds.X.data[i * ds.nGenes + j];
    }
    return out;
  }
  for (let i = 0; i < ds.nCells; i++) {
    for (let p = ds.X.indptr[i]; p < ds.X.indptr[i + 1]; p++) {
      out[i][ds.X.indices[p]] += ds.X.values[p];
    }
  }
  return out;
}

/** CSR dataset of a dense row-major cells x genes array (explicit zeros left out). */
export function csrFromDense(
  data: ArrayLike<number>,
  nCells: number,
  nGenes: number,
  genes: string[],
  obs: Record<string, ObsColumn> = {},
): Dataset {
  const indptr = [0], indices: number[] = [], values: number[] = [];
  for (let i = 0; i < nCells; i++) {
    for (let j = 0; j < nGenes; j++) {
      if (data[i * nGenes + j] !== 0) {
        indices.push(j);
        values.push(data[i * nGenes + j]);
      }
    }
    indptr.push(indices.length);
  }
  return Dataset.fromCSR(
    Int32Array.from(indptr),
    Int32Array.from(indices),
    Float32Array.from(values),
    nGenes,
    genes,
    obs,
  );
}

/** A CSR dataset with no cells and genes a, b, c. */
export function zeroCells(): Dataset {
  return Dataset.fromCSR(new Int32Array(1), new Int32Array(0), new Float32Array(0), 3, [
    "a",
    "b",
    "c",
  ]);
}

/** gzip-compressed bytes of a text. */
export async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Rejects with `cls` and a message naming `file` (and matching `also`, when given). */
export async function rejectsNaming(
  fn: () => Promise<unknown>,
  cls: new (...args: never[]) => YotoError,
  file: string,
  also?: RegExp,
): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err}`);
    assert.ok(err.message.includes(file), `message does not name ${file}: ${err.message}`);
    if (also) assert.match(err.message, also);
    return true;
  });
}

/** The Python that reference and interop tests run. */
export const PYTHON = "/usr/bin/python3";

/**
 * Whether PYTHON runs `code` (e.g. "import anndata"); otherwise prints a one-line note that
 * `test` is skipped, naming `missing` as what is not installed.
 */
export function pythonCan(code: string, missing: string, test: string): boolean {
  try {
    const ok = new Deno.Command(PYTHON, { args: ["-c", code], stderr: "null" }).outputSync()
      .success;
    if (!ok) console.log(`note: ${missing} not installed for ${PYTHON}; ${test} skipped`);
    return ok;
  } catch {
    console.log(`note: ${PYTHON} absent; ${test} skipped`);
    return false;
  }
}

/** Run a Python script with PYTHON; its exit status and its stdout and stderr as text. */
export async function runPython(
  script: string,
  ...args: string[]
): Promise<{ success: boolean; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runCommand(PYTHON, [script, ...args]);
  return { success: code === 0, stdout, stderr };
}

/**
 * A simulated dataset with `nDonors` donors (`donor`) and `nConditions` conditions
 * (`condition`): confounded, each donor is in one condition (nDonors / nConditions donors per
 * condition); otherwise every donor has cells of every condition.
 */
export function donorDesign(
  o: { nDonors: number; nConditions: number; confounded: boolean; nCells?: number; seed?: number },
): Dataset {
  const { dataset } = simulate({
    nCells: o.nCells ?? 360,
    nGenes: 150,
    nDonors: o.nDonors,
    seed: o.seed ?? 0,
  });
  const donors = dataset.categorical("donor").codes;
  const perCondition = o.nDonors / o.nConditions;
  const codes = Int32Array.from(
    donors,
    (d, i) => (o.confounded ? Math.floor(d / perCondition) : i % o.nConditions),
  );
  const categories = Array.from({ length: o.nConditions }, (_, c) => `cond${c + 1}`);
  return dataset.withObs("condition", { kind: "categorical", codes, categories });
}
