/**
 * `deno task convert IN OUT`: convert any supported input to a yoto `.arrow` dataset (or to
 * `.h5ad` / `.csv` / `.obs.csv`). Writes atomically: a failed conversion leaves no output file.
 */
import { readDataset, type ReadOptions, writeDataset } from "../lib/data/io.ts";
import { parseCli, runCli } from "../lib/runtime/cli.ts";
import { OptionError } from "../lib/runtime/errors.ts";
import { checkOutputFile } from "../lib/runtime/output.ts";

const HELP = `Convert single-cell data to a yoto dataset.

Usage: deno task convert IN OUT [options]

IN   .h5ad | .arrow | 10x/MatrixMarket directory | .mtx(.gz) | .csv/.tsv/.txt(.gz)
OUT  .arrow (default target) | .h5ad | .csv | .tsv | .obs.csv (obs table only)

Options:
  --format F        input format: arrow, h5ad, mtx, csv (default: from the path)
  --orientation O   mtx/csv layout: auto, cells-by-genes, genes-by-cells (default auto;
                    10x files are genes-by-cells)
  --obs FILE        csv input: obs table (CSV, first column = cell id) to join
  --layer NAME      h5ad input: read layers/NAME instead of X
  --raw             h5ad input: read raw/X (and raw/var) instead of X
  --make-unique     repeated gene names and cell ids get -1, -2, ... appended to their later
                    copies (as scanpy's var_names_make_unique) instead of being refused
  --quiet           no progress output
  -h, --help        this help

Example:
  deno task convert ../shared/data/kang_ifnb1k/kang_ifnb1k.h5ad kang_ifnb1k.arrow
`;

await runCli(async () => {
  const { values, positionals } = parseCli(Deno.args, {
    format: { type: "string" },
    orientation: { type: "string" },
    obs: { type: "string" },
    layer: { type: "string" },
    raw: { type: "boolean" },
    "make-unique": { type: "boolean" },
    quiet: { type: "boolean" },
  }, { name: "deno task convert", help: HELP });
  if (positionals.length !== 2) {
    throw new OptionError(`expected IN and OUT, got ${positionals.length} path(s)`, {
      fix: "deno task convert IN OUT (see --help)",
    });
  }
  const [input] = positionals;
  const output = await checkOutputFile(positionals[1], {
    flag: "OUT",
    inputs: [input, values.obs],
  });
  const start = performance.now();
  const ds = await readDataset(input, {
    ...values as ReadOptions,
    makeUnique: values["make-unique"],
  });
  await writeDataset(ds, output);
  if (!values.quiet) {
    console.error(`${ds} -> ${output} (${((performance.now() - start) / 1000).toFixed(2)} s)`);
  }
});
