import { deepStrictEqual, notDeepStrictEqual, ok as assert, throws } from "node:assert/strict";
import {
  simulate,
  simulateChunks,
  type SimulateOptions,
  type SimulationTruth,
} from "../../lib/data/simulate.ts";
import type { Dataset } from "../../lib/data/dataset.ts";
import { OptionError } from "../../lib/runtime/errors.ts";

let cached: { dataset: Dataset; truth: SimulationTruth } | undefined;
/** The default dataset, simulated once for the whole file. */
function defaults() {
  return (cached ??= simulate());
}

function totals(ds: Dataset): Float64Array {
  const out = new Float64Array(ds.nCells);
  for (let i = 0; i < ds.nCells; i++) {
    for (let p = ds.indptr[i]; p < ds.indptr[i + 1]; p++) out[i] += ds.values[p];
  }
  return out;
}

/** Per gene, the mean library-normalised expression (per 10k) over the cells where `inGroup`. */
function meanNormalised(ds: Dataset, inGroup: (cell: number) => boolean): Float64Array {
  const lib = totals(ds), sums = new Float64Array(ds.nGenes);
  let n = 0;
  for (let i = 0; i < ds.nCells; i++) {
    if (!inGroup(i)) continue;
    n++;
    for (let p = ds.indptr[i]; p < ds.indptr[i + 1]; p++) {
      sums[ds.indices[p]] += (ds.values[p] / lib[i]) * 1e4;
    }
  }
  return sums.map((s) => s / n);
}

/** ln(mean in group / mean elsewhere) for every gene. */
function logFolds(ds: Dataset, inGroup: (cell: number) => boolean): Float64Array {
  const inside = meanNormalised(ds, inGroup), outside = meanNormalised(ds, (i) => !inGroup(i));
  return inside.map((m, g) => Math.log(m / outside[g]));
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i] / n, mb + b[i] / n];
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

Deno.test("simulate is bit-identical for a seed and differs across seeds", () => {
  const options: SimulateOptions = { nCells: 200, nGenes: 300, seed: 7, dropout: 0.1 };
  const a = simulate(options).dataset,
    b = simulate(options).dataset,
    c = simulate({ ...options, seed: 8 }).dataset;
  deepStrictEqual(new Uint8Array(a.values.buffer), new Uint8Array(b.values.buffer));
  deepStrictEqual(a.indices, b.indices);
  deepStrictEqual(a.indptr, b.indptr);
  deepStrictEqual(a.categorical("donor").codes, b.categorical("donor").codes);
  notDeepStrictEqual(a.indices, c.indices);
  notDeepStrictEqual(a.categorical("cell_type").codes, c.categorical("cell_type").codes);
});

Deno.test("simulate gives the dimensions, obs and truth asked for", () => {
  const { dataset: ds, truth } = simulate({
    nCells: 123,
    nGenes: 345,
    typeNames: ["A", "B", "C"],
    proportions: [0.5, 0.3, 0.2],
    markersPerType: 5,
    stimGenes: 10,
    nDonors: 3,
    seed: 1,
  });
  deepStrictEqual(ds.nCells, 123);
  deepStrictEqual(ds.nGenes, 345);
  deepStrictEqual(ds.genes[0], "G0001");
  deepStrictEqual(ds.obsIndex, "cell_id");
  deepStrictEqual(new Set(ds.cellIds()).size, 123);
  deepStrictEqual(ds.categorical("cell_type").categories, ["A", "B", "C"]);
  deepStrictEqual(ds.categorical("cell_type").codes, truth.typeOf);
  deepStrictEqual(ds.categorical("condition").categories, ["ctrl", "stim"]);
  deepStrictEqual(ds.categorical("donor").categories, ["donor1", "donor2", "donor3"]);
  deepStrictEqual(ds.categorical("donor").codes, truth.donorOf);
  const program = [...Object.values(truth.markers).flat(), ...truth.stimGenes];
  deepStrictEqual(program.length, 3 * 5 + 10);
  deepStrictEqual(new Set(program).size, program.length, "markers and stim genes are distinct");
  assert(program.every((g) => ds.genes.includes(g)));
  const uns = JSON.parse(JSON.stringify(ds.uns)) as { simulation: Record<string, unknown> };
  deepStrictEqual(uns.simulation.nCells, 123);
  deepStrictEqual(uns.simulation.markerLogFC, 2.5);
  deepStrictEqual(uns.simulation.typeNames, ["A", "B", "C"]);

  const none = simulate({ nCells: 50, nGenes: 100, nConditions: 0, nTypes: 9 });
  assert(!none.dataset.hasObs("condition"));
  deepStrictEqual(none.truth.stimGenes, []);
  deepStrictEqual(none.dataset.categorical("cell_type").categories.slice(6), [
    "DC",
    "Type8",
    "Type9",
  ]);
  const one = simulate({ nCells: 50, nGenes: 100, nConditions: 1 }).dataset.categorical(
    "condition",
  );
  deepStrictEqual(one.categories, ["ctrl"]);
  assert(one.codes.every((c) => c === 0));
});

Deno.test("gene-level truth depends on the seed, not on the number of cells", () => {
  const small = simulate({ nCells: 100, seed: 3 }).truth,
    large = simulate({ nCells: 400, seed: 3 }).truth;
  deepStrictEqual(small.markers, large.markers);
  deepStrictEqual(small.stimGenes, large.stimGenes);
  deepStrictEqual(small.geneMean, large.geneMean);
});

Deno.test("default types have PBMC-like proportions; donors and conditions balanced", () => {
  const { dataset: ds } = defaults();
  const params = ds.uns.simulation as { proportions: number[] };
  const { codes, categories } = ds.categorical("cell_type");
  deepStrictEqual(categories, ["CD4 T", "CD8 T", "NK", "B", "CD14 Mono", "FCGR3A Mono", "DC"]);
  categories.forEach((name, t) => {
    const n = codes.filter((c) => c === t).length;
    assert(Math.abs(n - params.proportions[t] * ds.nCells) <= 1, `${name}: ${n} cells`);
  });
  for (const [column, levels] of [["condition", 2], ["donor", 4]] as const) {
    const col = ds.categorical(column);
    for (let k = 0; k < levels; k++) {
      const share = col.codes.filter((c) => c === k).length / ds.nCells;
      assert(Math.abs(share - 1 / levels) < 0.04, `${column} ${col.categories[k]}: ${share}`);
    }
  }
});

Deno.test("counts are non-negative integers in sorted CSR rows without explicit zeros", () => {
  const { dataset: ds } = defaults();
  assert(ds.values.every((v) => v > 0 && Number.isInteger(v)));
  for (let i = 0; i < ds.nCells; i++) {
    for (let p = ds.indptr[i] + 1; p < ds.indptr[i + 1]; p++) {
      assert(ds.indices[p - 1] < ds.indices[p]);
    }
  }
  assert(ds.indices.every((g) => g >= 0 && g < ds.nGenes));
  const density = ds.values.length / (ds.nCells * ds.nGenes);
  assert(density > 0.05 && density < 0.6, `density ${density}`);
});

Deno.test("library sizes are in the intended range and follow the simulated size factors", () => {
  const { dataset: ds, truth } = defaults();
  const lib = totals(ds);
  const sorted = [...lib].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  assert(median > 2000 && median < 4000, `median total ${median}`);
  assert(
    sorted[Math.floor(0.05 * sorted.length)] > 1000 &&
      sorted[Math.floor(0.95 * sorted.length)] < 8000,
  );
  assert(correlation(lib, truth.librarySize) > 0.9);
  const small = totals(simulate({ nCells: 1000, meanLibrarySize: 1000 }).dataset);
  const mean = small.reduce((s, v) => s + v, 0) / small.length;
  assert(Math.abs(mean - 1000) < 40, `mean total ${mean}`);
});

Deno.test("gene means are heavy-tailed: most genes rare, a few abundant", () => {
  const { truth } = defaults();
  const means = [...truth.geneMean].sort((a, b) => a - b);
  assert(means[Math.floor(0.05 * means.length)] < 0.05);
  assert(means[Math.floor(0.99 * means.length)] > 10);
});

Deno.test("markers are much higher in their own type than in the others", () => {
  const { dataset: ds, truth } = defaults();
  const typeOf = ds.categorical("cell_type").codes;
  const folds = truth.typeNames.flatMap((name, t) => {
    const fold = logFolds(ds, (i) => typeOf[i] === t);
    return Array.from(ds.geneIndices(truth.markers[name]), (g) => fold[g]);
  });
  deepStrictEqual(folds.length, 28);
  const strong = folds.filter((f) => f > 1).length;
  assert(strong >= 0.9 * folds.length, `only ${strong}/${folds.length} markers with ln fold > 1`);
});

Deno.test("stim genes are higher in stim cells; other genes are not", () => {
  const { dataset: ds, truth } = defaults();
  const cond = ds.categorical("condition").codes;
  const fold = logFolds(ds, (i) => cond[i] === 1);
  const stimFolds = Array.from(ds.geneIndices(truth.stimGenes), (g) => fold[g]);
  deepStrictEqual(stimFolds.length, 30);
  assert(
    stimFolds.filter((f) => f > 0.3).length >= 27,
    `stim folds ${stimFolds.map((f) => f.toFixed(2))}`,
  );
  const program = new Set([...Object.values(truth.markers).flat(), ...truth.stimGenes]);
  const others = ds.genes.map((_, g) => g).filter((g) =>
    !program.has(ds.genes[g]) && truth.geneMean[g] > 1
  )
    .map((g) => fold[g]);
  assert(others.length > 100);
  assert(
    others.every((f) => Math.abs(f) < 0.3),
    `non-program folds ${others.map((f) => f.toFixed(2))}`,
  );
});

Deno.test("donor effects shift gene expression per donor as simulated", () => {
  const { dataset: ds, truth } = defaults();
  const donorOf = ds.categorical("donor").codes;
  const genes = ds.genes.map((_, j) => j).filter((j) => truth.geneMean[j] > 3);
  assert(genes.length > 50);
  for (let d = 0; d < 4; d++) {
    const fold = logFolds(ds, (i) => donorOf[i] === d);
    const observed = genes.map((j) => fold[j]);
    const simulated = genes.map((j) => truth.donorLogEffect[d * ds.nGenes + j]);
    const r = correlation(observed, simulated);
    assert(r > 0.5, `donor${d + 1}: correlation ${r.toFixed(2)}`);
  }
});

Deno.test("counts follow the negative binomial: mean and variance per gene", () => {
  // One type, no effects, fixed library size: every cell draws from the same per-gene NB.
  const { dataset: ds, truth } = simulate({
    nCells: 2000,
    nGenes: 200,
    nTypes: 1,
    markersPerType: 0,
    typeEffectSd: 0,
    nConditions: 0,
    donorEffectSd: 0,
    librarySizeSd: 0,
    seed: 5,
  });
  const X = ds.toDense(), n = ds.nCells, G = ds.nGenes;
  const varianceRatios: number[] = [];
  let largeMeans = 0;
  for (let g = 0; g < G; g++) {
    let sum = 0, sumSq = 0;
    for (let i = 0; i < n; i++) [sum, sumSq] = [sum + X[i * G + g], sumSq + X[i * G + g] ** 2];
    const mean = sum / n, variance = sumSq / n - mean * mean;
    const mu = truth.geneMean[g], expectedVariance = mu + (mu * mu) / truth.theta[g];
    assert(
      Math.abs(mean - mu) < 5 * Math.sqrt(expectedVariance / n) + 1e-3,
      `gene ${g}: mean ${mean} vs ${mu}`,
    );
    if (mu > 1) varianceRatios.push(variance / expectedVariance);
    if (mu > 50) largeMeans++;
  }
  assert(largeMeans > 0, "some genes use the gamma-Poisson branch");
  varianceRatios.sort((a, b) => a - b);
  const median = varianceRatios[varianceRatios.length >> 1];
  assert(median > 0.93 && median < 1.07, `median variance ratio ${median}`);
  assert(
    varianceRatios[0] > 0.7 && varianceRatios[varianceRatios.length - 1] < 1.3,
    `${varianceRatios}`,
  );
});

Deno.test("dropout removes about that fraction of non-zeros", () => {
  const base = simulate({ nCells: 200, nGenes: 500, seed: 2 }).dataset.values.length;
  const dropped =
    simulate({ nCells: 200, nGenes: 500, seed: 2, dropout: 0.5 }).dataset.values.length;
  const ratio = dropped / base;
  assert(ratio > 0.45 && ratio < 0.55, `kept ${ratio}`);
});

Deno.test("bad simulate options raise OptionError naming the option", () => {
  const cases: [SimulateOptions, string][] = [
    [{ nCells: 0 }, "nCells"],
    [{ nCells: 1.5 }, "nCells"],
    [{ nGenes: 20 }, "markersPerType"],
    [{ proportions: [0.5, 0.4] }, "proportions"],
    [{ typeNames: ["A", "B"], proportions: [0.2, 0.3, 0.5] }, "proportions"],
    [{ typeNames: ["A", "A"] }, "typeNames"],
    [{ nTypes: 3, typeNames: ["A", "B"] }, "nTypes"],
    [{ nConditions: 3 }, "nConditions"],
    [{ dispersion: 0 }, "dispersion"],
    [{ dropout: 1.5 }, "dropout"],
    [{ librarySizeSd: -1 }, "librarySizeSd"],
    [{ nCells: 10, typo: 1 } as SimulateOptions, "typo"],
    [{ hierarchy: [] }, "hierarchy"],
    [{ hierarchy: [5, 3] }, "hierarchy"],
    [{ hierarchy: [2, 4.5] }, "hierarchy"],
    [{ hierarchy: [2, 4], typeNames: ["A", "B", "C", "D"] }, "typeNames"],
    [{ hierarchy: [2, 4], proportions: [0.25, 0.25, 0.25, 0.25] }, "proportions"],
    [{ hierarchy: [2, 4], nTypes: 3 }, "nTypes"],
    [{ levelMarkers: [4] }, "levelMarkers"],
    [{ levelLogFC: [1] }, "levelLogFC"],
    [{ hierarchy: [2, 4], levelMarkers: [4] }, "levelMarkers"],
    [{ hierarchy: [2, 4], levelMarkers: [4, -1] }, "levelMarkers"],
    [{ hierarchy: [2, 4], levelLogFC: [1, NaN] }, "levelLogFC"],
    [{ hierarchy: [5, 25, 98], nGenes: 300 }, "levelMarkers"],
  ];
  for (const [options, field] of cases) {
    throws(
      () => simulate(options),
      (e: unknown) => e instanceof OptionError && e.field === field,
      JSON.stringify(options),
    );
  }
});

Deno.test("hierarchy: a tree of types, coarse labels a function of the fine ones, nested marker programs", () => {
  const options: SimulateOptions = {
    nCells: 3000,
    nGenes: 1500,
    hierarchy: [3, 7, 15],
    levelMarkers: [6, 4, 3],
    nConditions: 0,
    seed: 4,
  };
  const { dataset: ds, truth } = simulate(options);
  const levels = truth.hierarchy!;
  deepStrictEqual(levels.map((l) => l.column), ["level1", "level2", "cell_type"]);
  deepStrictEqual(levels.map((l) => l.typeNames.length), [3, 7, 15]);
  deepStrictEqual(ds.obsNames, ["cell_id", "level1", "level2", "cell_type", "donor"]);
  deepStrictEqual(truth.typeNames, levels[2].typeNames);
  levels.forEach((level, l) => {
    const column = ds.categorical(level.column);
    deepStrictEqual(column.categories, level.typeNames);
    if (l === 0) {
      deepStrictEqual(level.parent, [-1, -1, -1]);
      return;
    }
    const above = levels[l - 1];
    // every type has exactly one parent, in the level above, and carries its name as a prefix
    level.parent.forEach((q, j) => {
      assert(q >= 0 && q < above.typeNames.length);
      assert(level.typeNames[j].startsWith(`${above.typeNames[q]}.`), level.typeNames[j]);
    });
    // every type of the level above is split (at least one child)
    deepStrictEqual(new Set(level.parent).size, above.typeNames.length);
    // a cell's label at the level above is its label's parent: a function of the finer label
    const coarse = ds.categorical(above.column).codes;
    const seen = new Map<number, Set<number>>();
    column.codes.forEach((code, i) => {
      seen.set(code, (seen.get(code) ?? new Set()).add(coarse[i]));
      deepStrictEqual(coarse[i], level.parent[code]);
    });
    assert([...seen.values()].every((parents) => parents.size === 1));
  });

  // Markers: each level's own programs are distinct genes; a fine type's include its ancestors'.
  const own = levels.flatMap((level) => Object.values(level.markers).flat());
  deepStrictEqual(own.length, 3 * 6 + 7 * 4 + 15 * 3);
  deepStrictEqual(new Set(own).size, own.length);
  levels[2].typeNames.forEach((name, t) => {
    const q = levels[2].parent[t], c = levels[1].parent[q];
    deepStrictEqual(truth.markers[name], [
      ...levels[0].markers[levels[0].typeNames[c]],
      ...levels[1].markers[levels[1].typeNames[q]],
      ...levels[2].markers[name],
    ]);
  });
  // Default fold changes shrink by level; each marker's is 0.75-1.25 x its level's.
  const params = ds.uns.simulation as { levelLogFC: number[] };
  deepStrictEqual(params.levelLogFC.map((v) => +v.toFixed(6)), [2.5, 1.75, 1.225]);
  levels.forEach((level, l) => {
    const lfc = Object.values(level.markerLogFC).flat();
    assert(lfc.every((v) => v >= 0.75 * params.levelLogFC[l] && v <= 1.25 * params.levelLogFC[l]));
  });

  // In the counts: a type's own markers are up against its siblings (same parent) for fine
  // types, against all other cells for the top level; subtypes share their parent's markers.
  levels.forEach((level, l) => {
    const codes = ds.categorical(level.column).codes;
    const parentOf = l ? ds.categorical(levels[l - 1].column).codes : null;
    const folds = level.typeNames.flatMap((name, j) => {
      const siblings = level.parent.filter((q) => q === level.parent[j]).length;
      if (l && siblings < 2) return [];
      const inside = meanNormalised(ds, (i) => codes[i] === j);
      const outside = meanNormalised(
        ds,
        (i) => codes[i] !== j && (!parentOf || parentOf[i] === level.parent[j]),
      );
      return Array.from(
        ds.geneIndices(level.markers[name]),
        (g) => Math.log(inside[g] / outside[g]),
      );
    });
    assert(folds.length > 0);
    const up = folds.filter((f) => f > 0.4).length;
    assert(up >= 0.9 * folds.length, `${level.column}: ${up}/${folds.length} markers up`);
  });
  const typeOf = ds.categorical("cell_type").codes, classOf = ds.categorical("level1").codes;
  levels[0].typeNames.forEach((name, c) => {
    const subtypes = levels[2].typeNames.map((_, t) => t).filter((t) =>
      levels[1].parent[levels[2].parent[t]] === c
    );
    const outside = meanNormalised(ds, (i) => classOf[i] !== c);
    for (const t of subtypes) {
      const inside = meanNormalised(ds, (i) => typeOf[i] === t);
      const folds = Array.from(
        ds.geneIndices(levels[0].markers[name]),
        (g) => Math.log(inside[g] / outside[g]),
      );
      assert(
        folds.filter((f) => f > 1).length >= folds.length - 1,
        `${name} in subtype ${t}: ${folds}`,
      );
    }
  });

  // Uneven proportions (log-normal), met exactly by the cell counts; same seed, same tree.
  const { proportions } = ds.uns.simulation as { proportions: number[] };
  assert(Math.abs(proportions.reduce((s, v) => s + v, 0) - 1) < 1e-9);
  assert(Math.max(...proportions) > 2 * Math.min(...proportions), `${proportions}`);
  proportions.forEach((share, t) => {
    const n = typeOf.filter((c) => c === t).length;
    assert(Math.abs(n - share * ds.nCells) <= 1, `type ${t}: ${n} cells`);
  });
  // One level is a flat design with path names; a matching nTypes is accepted.
  const flat = simulate({ nCells: 50, nGenes: 100, hierarchy: [4], nTypes: 4, nConditions: 0 });
  deepStrictEqual(flat.dataset.obsNames, ["cell_id", "cell_type", "donor"]);
  deepStrictEqual(flat.truth.typeNames, ["T1", "T2", "T3", "T4"]);
  deepStrictEqual(flat.truth.hierarchy!.map((l) => l.column), ["cell_type"]);
  deepStrictEqual(simulate({ ...options, nCells: 100 }).truth.hierarchy, levels);
  notDeepStrictEqual(simulate({ ...options, nCells: 100, seed: 5 }).truth.hierarchy, levels);
});

/** Cells of `parts` stacked in order, as one CSR matrix and per-column obs. */
function stack(parts: Dataset[]) {
  const indptr = [0], indices: number[] = [], values: number[] = [];
  for (const d of parts) {
    for (let i = 0; i < d.nCells; i++) {
      indptr.push(indptr[indptr.length - 1] + d.indptr[i + 1] - d.indptr[i]);
    }
    indices.push(...d.indices.subarray(d.indptr[0], d.indptr[d.nCells]));
    values.push(...d.values.subarray(d.indptr[0], d.indptr[d.nCells]));
  }
  const obs = Object.fromEntries(
    parts[0].obsNames.map((name) => [name, parts.flatMap((d) => d.labels(name))]),
  );
  return { indptr, indices, values, obs };
}

Deno.test("simulateChunks: the chunks concatenated are simulate's dataset, parameters shared", () => {
  for (
    const options of [
      { nCells: 230, nGenes: 150, seed: 4, dropout: 0.2 },
      { nCells: 101, nGenes: 200, seed: 5, hierarchy: [2, 5], markersPerType: 3 },
    ] as SimulateOptions[]
  ) {
    const whole = simulate(options);
    const { truth, chunks } = simulateChunks(options, 64);
    const parts = [...chunks];
    const sizes: number[] = [];
    for (let a = 0; a < options.nCells!; a += 64) sizes.push(Math.min(64, options.nCells! - a));
    deepStrictEqual(parts.map((d) => d.nCells), sizes);
    for (const d of parts) {
      // every chunk carries the same gene names, categories and simulation parameters
      deepStrictEqual(d.genes, whole.dataset.genes);
      deepStrictEqual(d.uns, whole.dataset.uns);
      for (const name of whole.dataset.obsNames.filter((n) => n !== "cell_id")) {
        deepStrictEqual(d.categorical(name).categories, whole.dataset.categorical(name).categories);
      }
    }
    deepStrictEqual(truth, whole.truth);
    const got = stack(parts), want = stack([whole.dataset]);
    deepStrictEqual(got.indptr, want.indptr);
    deepStrictEqual(got.indices, want.indices);
    deepStrictEqual(got.values, want.values);
    deepStrictEqual(got.obs, want.obs);
  }
});

Deno.test("simulateChunks: a chunk size of 0 is an OptionError", () => {
  throws(() => simulateChunks({ nCells: 10 }, 0), OptionError);
});
