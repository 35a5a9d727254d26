/** Small hand-made datasets shared by data tests. */
import { Dataset, type ObsColumn } from "../../lib/data/dataset.ts";

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
