/**
 * Convert recipes: turn a dataset's downloaded files (an `.h5ad`, or a CSV matrix with gene
 * names and obs tables to join) into one yoto `.arrow` file.
 * @module
 */
import { basename, join } from "node:path";
import { Dataset, encodeCategorical } from "../dataset.ts";
import { joinObs, type ObsTable, readDelimited, readObsCsv } from "../csv.ts";
import { isYotoArrow } from "../arrow.ts";
import { readH5ad } from "../h5ad.ts";
import { writeDataset } from "../io.ts";
import { checkUniqueIds } from "../_text.ts";
import { DataValueError, MissingFieldError } from "../../runtime/errors.ts";
import { checkOutputFile } from "../../runtime/output.ts";
import { type FetchOptions, isFresh, logger } from "./_common.ts";
import type { ConvertRecipe, CsvMatrixRecipe, GeneNames, ObsJoin } from "./manifest.ts";

/** The files a recipe reads, relative to the data folder. */
function recipeInputs(recipe: ConvertRecipe): string[] {
  if (recipe.kind === "h5ad") return [recipe.input];
  return [
    recipe.input,
    ...(recipe.genes ? [recipe.genes.file] : []),
    ...(recipe.obs ?? []).map((j) => j.file),
  ];
}

/**
 * Run a convert recipe in `dir` (paths in the recipe are relative to it) and write the `.arrow`
 * output atomically; skipped when the output is newer than every input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeH5ad } from "../h5ad.ts";
 * import { Dataset } from "../dataset.ts";
 * const dir = await Deno.makeTempDir();
 * await writeH5ad(Dataset.fromDense(new Float32Array([1, 0, 0, 2]), 2, 2, ["A", "B"]), `${dir}/d.h5ad`);
 * const r = await convertDataset({ kind: "h5ad", input: "d.h5ad", output: "d.arrow" }, dir, { quiet: true });
 * assert.ok(r.converted);
 * assert.ok(r.output.endsWith("d.arrow"));
 * ```
 */
export async function convertDataset(
  recipe: ConvertRecipe,
  dir: string,
  options: FetchOptions = {},
): Promise<{ output: string; converted: boolean }> {
  const at = (p: string) => join(dir, p);
  const output = at(recipe.output);
  const inputs = recipeInputs(recipe).map(at);
  if (await isFresh(output, inputs)) return { output, converted: false };
  await checkOutputFile(output, {
    flag: "--dir",
    command: "deno task fetch-data",
    isOurs: isYotoArrow,
    inputs,
  });
  const ds = recipe.kind === "h5ad"
    ? await readH5ad(at(recipe.input), {
      layer: recipe.layer,
      raw: recipe.raw,
      quiet: options.quiet,
    })
    : await readCsvMatrix(recipe, at, options);
  await writeDataset(ds.withUns({ convert: recipe }), output);
  logger(options)(`${output}: written (${ds})`);
  return { output, converted: true };
}

async function readCsvMatrix(
  r: CsvMatrixRecipe,
  at: (p: string) => string,
  options: FetchOptions,
): Promise<Dataset> {
  // The small tables first, so that a wrong column name fails before the long matrix read.
  const { genes, obs = [] } = r;
  const geneTable = genes && await readTable(at(genes.file), genes.key, [genes.name]);
  const tables: ObsTable[] = [];
  for (const j of obs) tables.push(await readTable(at(j.file), j.key, j.columns ?? []));
  let ds = await readDelimited(at(r.input), { orientation: r.orientation, quiet: options.quiet });
  if (genes && geneTable) ds = renameGenes(ds, geneTable, genes, at(genes.file));
  obs.forEach((j, i) => ds = joinTable(ds, tables[i], j, at(j.file), logger(options)));
  return ds;
}

async function readTable(path: string, key: string, columns: string[]): Promise<ObsTable> {
  const table = await readObsCsv(path, { idColumn: key });
  const missing = columns.filter((c) => !(c in table.columns));
  if (missing.length) {
    throw new MissingFieldError(`no column(s) ${missing.join(", ")}`, {
      file: path,
      fix: `use some of: ${Object.keys(table.columns).join(", ")}`,
    });
  }
  return table;
}

function renameGenes(ds: Dataset, table: ObsTable, spec: GeneNames, file: string): Dataset {
  // The table's rows in matrix gene order, read as text through a gene-less Dataset.
  const obs = joinObs(table, ds.genes, { indexName: spec.key, file, quiet: true });
  const X = { kind: "dense" as const, nRows: ds.nGenes, nCols: 0, data: new Float32Array(0) };
  const names = new Dataset({ X, var: { gene: [] }, obs }).labels(spec.name);
  const lost = names.findIndex((n) => !n);
  if (lost >= 0) {
    throw new DataValueError(`matrix gene '${ds.genes[lost]}' has no ${spec.name} here`, {
      file,
      field: spec.key,
      fix: "use the gene table that belongs to the matrix",
    });
  }
  checkUniqueIds(names as string[], spec.name, file);
  return new Dataset({
    X: ds.X,
    var: { ...ds.var, gene: names as string[], [spec.key]: ds.genes },
    obs: ds.obsColumns,
    obsIndex: ds.obsIndex,
    uns: ds.uns,
  });
}

function joinTable(
  ds: Dataset,
  table: ObsTable,
  j: ObsJoin,
  file: string,
  log: (line: string) => void,
): Dataset {
  const keys = j.on === undefined ? ds.cellIds() : ds.labels(j.on).map((v) => v ?? "");
  const rows = new Set(table.ids);
  const matched = keys.flatMap((k, i) => (rows.has(k) ? [i] : []));
  log(`${basename(file)}: ${matched.length} of ${ds.nCells} cells have a row`);
  const cols = joinObs(table, keys, { indexName: j.key, file, quiet: true });
  let out = ds;
  for (const name of j.columns ?? Object.keys(table.columns)) {
    if (out.hasObs(name)) {
      throw new DataValueError(`column '${name}' is already an obs column`, {
        file,
        field: name,
        fix: 'list the columns to take in this join\'s "columns"',
      });
    }
    out = out.withObs(name, cols[name]);
  }
  if (j.keep !== "matched") return out;
  out = out.selectCells(Int32Array.from(matched));
  // Re-encode categoricals so that categories of the dropped cells do not linger.
  for (const name of out.obsNames) {
    if (out.obs(name).kind === "categorical") {
      out = out.withObs(name, encodeCategorical(out.labels(name)));
    }
  }
  return out;
}
