/**
 * `deno task convert IN OUT`: convert any supported input to a yoto `.arrow` dataset (or to
 * `.h5ad` / `.csv` / `.obs.csv`), optionally restricted to a panel's genes. `.h5ad` to `.h5ad`
 * keeps the input's layers, obsm, varm, obsp, varp, raw and uns. Writes atomically: a failed
 * conversion leaves no output file.
 */
import { isYotoArrow } from "../lib/data/arrow.ts";
import { readGeneList, requireKnown } from "../lib/data/constraints.ts";
import { isYotoH5ad, writeH5ad } from "../lib/data/h5ad.ts";
import {
  detectFormat,
  detectOutputFormat,
  readDataset,
  type ReadOptions,
  writeDataset,
} from "../lib/data/io.ts";
import { parseCli, runCli } from "../lib/runtime/cli.ts";
import { OptionError } from "../lib/runtime/errors.ts";
import { checkOutputFile, OVERWRITE_FLAG, OVERWRITE_HELP } from "../lib/runtime/output.ts";

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
  --genes FILE      keep only these genes, in this order: one gene per line (# comments) or a
                    CSV/TSV with a 'gene' column, e.g. a model's panel.csv; a gene the data
                    lacks is an error
  --make-unique     repeated gene names and cell ids get -1, -2, ... appended to their later
                    copies (as scanpy's var_names_make_unique) instead of being refused
  --overwrite       ${OVERWRITE_HELP}
  --quiet           no progress output
  -h, --help        this help

.h5ad to .h5ad keeps the input's layers, obsm, varm, obsp, varp, raw and uns, subset with
the genes (layers, varm, varp) and cells; raw keeps all its genes, uns is copied as it is. What
cannot be copied is named on stderr: records (rec-arrays) with text fields, such as scanpy's
rank_genes_groups 'names', and elements yoto cannot subset (neither arrays, sparse matrices
nor dataframes). The .h5ad written opens in anndata 0.8 and later (scanpy.read_h5ad).

An existing OUT is replaced only when yoto wrote it (an .arrow or .h5ad written by yoto; a
.csv/.tsv carries no mark of its writer, so an existing one needs --overwrite).

Examples:
  deno task convert ../shared/data/kang_ifnb1k/kang_ifnb1k.h5ad kang_ifnb1k.arrow
  deno task convert data.h5ad data_panel.h5ad --genes model/panel.csv
`;

await runCli(async () => {
  const { values, positionals } = parseCli(Deno.args, {
    format: { type: "string" },
    orientation: { type: "string" },
    obs: { type: "string" },
    layer: { type: "string" },
    raw: { type: "boolean" },
    genes: { type: "string" },
    "make-unique": { type: "boolean" },
    ...OVERWRITE_FLAG,
    quiet: { type: "boolean" },
  }, { name: "deno task convert", help: HELP });
  if (positionals.length !== 2) {
    throw new OptionError(`expected IN and OUT, got ${positionals.length} path(s)`, {
      fix: "deno task convert IN OUT (see --help)",
    });
  }
  const [input] = positionals;
  // Only .arrow and .h5ad carry a mark of their writer; an unknown format is reported after
  // OUT's own checks (a folder is "a folder", not "an unknown format").
  const marked = /\.(arrow|h5ad)\/*$/i.exec(positionals[1])?.[1].toLowerCase();
  const output = await checkOutputFile(positionals[1], {
    flag: "OUT",
    inputs: [input, values.obs, values.genes],
    command: "deno task convert",
    isOurs: marked === "arrow" ? isYotoArrow : marked === "h5ad" ? isYotoH5ad : undefined,
    overwrite: values.overwrite ?? false,
  });
  const format = detectOutputFormat(output);
  const panel = values.genes === undefined ? undefined : await readGeneList(values.genes);
  const start = performance.now();
  let ds = await readDataset(input, {
    ...values as ReadOptions,
    makeUnique: values["make-unique"],
  });
  let genes: Int32Array | undefined;
  if (panel) {
    requireKnown(ds, panel, "--genes");
    genes = ds.geneIndices(panel);
    ds = ds.selectGenes(panel);
  }
  if (format === "h5ad" && (values.format ?? detectFormat(input)) === "h5ad") {
    await writeH5ad(ds, output, {
      carry: { from: input, genes, raw: values.raw },
      quiet: values.quiet,
    });
  } else await writeDataset(ds, output, format);
  if (!values.quiet) {
    console.error(`${ds} -> ${output} (${((performance.now() - start) / 1000).toFixed(2)} s)`);
  }
});
