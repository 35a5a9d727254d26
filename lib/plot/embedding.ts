/**
 * 2-D views of cells: PCA of a panel's values, UMAPs on a panel and on all genes, and their
 * scatter plots.
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { pca, pcaFloat64 } from "../data/pca.ts";
import { sketchCoordinates } from "../data/sampling.ts";
import { fitInput, type Normalization } from "../data/transform.ts";
import { umap, type UmapOptions } from "../data/umap.ts";
import { OptionError } from "../runtime/errors.ts";
import { Rng } from "../runtime/rng.ts";
import { classColours, top } from "./_common.ts";
import type { VegaLiteSpec } from "./render.ts";

/** Result of {@link pcaEmbedding}. */
export interface Pca {
  /** [n x dims] row-major: each cell's coordinates on the principal components. */
  coords: Float64Array;
  /** [dims x d] row-major: unit loading vectors, largest-|loading| entry of each positive. */
  components: Float64Array;
  /** Variance along each component (n - 1 divisor). */
  variance: number[];
  /** Each component's share of the total variance. */
  explainedVarianceRatio: number[];
}

/**
 * PCA of the rows of `x` ([n x d] row-major, e.g. the z-scored panel genes from `applyInput`):
 * columns are centred (not scaled: pass standardised values for a correlation PCA); exact for
 * panels (see `pca` in lib/data/pca.ts, which this wraps), each component's largest-|loading|
 * entry positive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // points on the line y = 2x: PC1 is (1, 2)/sqrt(5) and carries all the variance
 * const pca = pcaEmbedding(Float32Array.of(0, 0, 1, 2, 2, 4, 3, 6), 4, 2);
 * assert.ok(Math.abs(pca.components[1] - 2 / Math.sqrt(5)) < 1e-9);
 * assert.ok(Math.abs(pca.explainedVarianceRatio[0] - 1) < 1e-9);
 * ```
 */
export function pcaEmbedding(x: ArrayLike<number>, n: number, d: number, dims = 2): Pca {
  if (!Number.isInteger(dims) || dims < 1 || (Number.isInteger(d) && dims > d)) {
    throw new OptionError(`dims must be an integer in [1, ${d}], got ${dims}`, { field: "dims" });
  }
  const r = pcaFloat64(x, n, d, { nComponents: dims });
  return {
    coords: r.coords,
    components: r.components,
    variance: Array.from(r.variance),
    explainedVarianceRatio: Array.from(r.explainedVarianceRatio),
  };
}
/** A point of a 2-D embedding. */
export interface EmbeddingPoint {
  x: number;
  y: number;
  label: string;
}

/** Options of {@link embeddingSpec}. */
export interface EmbeddingOptions {
  title?: string;
  /** Axis titles (default "PC1", "PC2"). */
  xTitle?: string;
  yTitle?: string;
  /** Legend title (default "label"). */
  labelTitle?: string;
}

/**
 * Scatter plot of a 2-D embedding (e.g. `pcaEmbedding` of the panel genes), one colour
 * per label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const spec = embeddingSpec([{ x: 0, y: 1, label: "B" }, { x: 1, y: 0, label: "NK" }]);
 * assert.equal((spec.data as { values: unknown[] }).values.length, 2);
 * ```
 */
export function embeddingSpec(
  points: EmbeddingPoint[],
  options: EmbeddingOptions = {},
): VegaLiteSpec {
  const nLabels = new Set(points.map((p) => p.label)).size;
  const axis = (field: string, title: string) => ({
    field,
    type: "quantitative",
    title,
    scale: { zero: false },
  });
  return {
    ...top(options.title ?? ""),
    width: 360,
    height: 360,
    ...scatter(points, {
      x: axis("x", options.xTitle ?? "PC1"),
      y: axis("y", options.yTitle ?? "PC2"),
      color: {
        field: "label",
        type: "nominal",
        title: options.labelTitle ?? "label",
        scale: { scheme: nLabels <= 10 ? "tableau10" : "tableau20" },
        legend: { symbolOpacity: 1, symbolSize: 60 },
      },
    }),
  };
}

/** Points, mark and encoding of a scatter plot of cells. */
function scatter(points: EmbeddingPoint[], encoding: Record<string, unknown>): VegaLiteSpec {
  return {
    data: { values: points },
    // aria off: an ARIA label per cell would make most of the SVG
    mark: { type: "circle", size: 14, opacity: 0.7, aria: false },
    encoding,
  };
}

/** Two UMAPs of the same cells: on a panel's genes and on all genes. */
export interface UmapPair {
  /** The label column colouring the cells, and its classes (with cells) in category order. */
  label: string;
  classes: string[];
  /** The panel's genes. */
  genes: string[];
  /** UMAP of the cells on the panel genes (their model input: normalised, log1p, z-scored). */
  panel: EmbeddingPoint[];
  /** UMAP of the same cells on the top principal components of the highly variable genes. */
  all: EmbeddingPoint[];
  /** Highly variable genes and principal components behind `all`. */
  nHvg: number;
  nPcs: number;
  /** Labelled cells in the data (the drawn ones are `panel.length`). */
  labelled: number;
}

/** Options of {@link umapPair}. */
export interface UmapPairOptions extends UmapOptions {
  /** At most this many labelled cells, drawn uniformly without replacement [3000]. */
  maxCells?: number;
  /** Principal components of the all-genes view [50]. */
  nPcs?: number;
  /** How the panel genes are normalised [the models' default, as `fitInput`]. */
  normalize?: Normalization;
}

/**
 * UMAPs of the labelled cells of `ds` (raw counts) on the panel `genes` and on all genes, to
 * see whether the panel keeps the structure that the whole transcriptome shows. Panel: the
 * genes as a model reads them (`fitInput`: normalised, log1p, z-scored; their top `nPcs`
 * principal components when the panel is larger). All genes: scanpy's standard route, the
 * coordinates of `sketchCoordinates` (seurat HVGs, scaled, top `nPcs` principal components).
 * Both layouts use the same cells and seed; more than `maxCells` labelled cells are subsampled
 * first (seeded).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "../data/simulate.ts";
 * const { dataset, truth } = simulate({ nCells: 120, nGenes: 60, seed: 1 });
 * const genes = Object.values(truth.markers).flat().slice(0, 6);
 * const pair = umapPair(dataset, genes, "cell_type", { maxCells: 80, nEpochs: 30, nPcs: 10 });
 * assert.equal(pair.panel.length, 80);
 * assert.equal(pair.all.length, 80);
 * ```
 */
export function umapPair(
  ds: Dataset,
  genes: string[],
  label: string,
  options: UmapPairOptions = {},
): UmapPair {
  const maxCells = options.maxCells ?? 3000;
  if (!(Number.isInteger(maxCells) && maxCells >= 3)) {
    throw new OptionError(`maxCells must be an integer >= 3, got ${maxCells}`, {
      field: "maxCells",
      fix: "pass e.g. maxCells: 3000",
    });
  }
  const nPcs = options.nPcs ?? 50;
  const seed = options.seed ?? 0;
  const { codes, categories } = ds.categorical(label);
  const labelled = Int32Array.from(codes.keys()).filter((i) => codes[i] >= 0);
  const cells = labelled.length > maxCells
    ? Int32Array.from(
      new Rng(seed).fork("cells").sampleWithoutReplacement(labelled.length, maxCells).sort(),
      (k) => labelled[k],
    )
    : labelled;
  const sub = ds.selectCells(cells);
  const n = cells.length;
  const { x } = fitInput(sub, genes, { normalize: options.normalize });
  const panel = genes.length > nPcs
    ? { data: pca(x, n, genes.length, { nComponents: nPcs, seed }).coords, dims: nPcs }
    : { data: x, dims: genes.length };
  const all = sketchCoordinates(sub, { nPcs, seed });
  const names = Array.from(cells, (i) => categories[codes[i]]);
  const points = (xy: Float32Array) =>
    names.map((name, i) => ({ x: xy[2 * i], y: xy[2 * i + 1], label: name }));
  return {
    label,
    classes: categories.filter((name) => names.includes(name)),
    genes: [...genes],
    panel: points(umap(panel.data, n, panel.dims, options)),
    all: points(umap(all.data, n, all.dims, options)),
    nHvg: all.genes.length,
    nPcs: all.dims,
    labelled: labelled.length,
  };
}

/**
 * The two UMAPs of {@link umapPair} side by side, cells coloured by class (one legend, the
 * colours of the heatmap's class bands), axes without ticks as UMAP coordinates have no unit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = [{ x: 0, y: 1, label: "B" }, { x: 1, y: 0, label: "NK" }];
 * const spec = umapPairSpec({ label: "t", classes: ["B", "NK"], genes: ["G1"], panel: p, all: p, nHvg: 9, nPcs: 5, labelled: 2 });
 * assert.equal((spec.hconcat as unknown[]).length, 2);
 * ```
 */
export function umapPairSpec(
  pair: UmapPair,
  title = "UMAP: panel genes against all genes",
): VegaLiteSpec {
  const axis = (field: string, name: string) => ({
    field,
    type: "quantitative",
    title: name,
    scale: { zero: false },
    axis: { ticks: false, labels: false, grid: false },
  });
  const color = {
    field: "label",
    type: "nominal",
    title: pair.label,
    scale: classColours(pair.classes),
    legend: { symbolOpacity: 1, symbolSize: 60 },
  };
  // 3 decimals on a layout some 20 units wide: the spec's JSON stays short
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const view = (points: EmbeddingPoint[], name: string) => ({
    title: name,
    width: 300,
    height: 300,
    ...scatter(
      points.map((p) => ({ ...p, x: round(p.x), y: round(p.y) })),
      { x: axis("x", "UMAP1"), y: axis("y", "UMAP2"), color },
    ),
  });
  const drawn = pair.panel.length < pair.labelled
    ? `${pair.panel.length} of ${pair.labelled} cells`
    : `${pair.panel.length} cells`;
  const k = pair.genes.length;
  return {
    ...top({ text: title, subtitle: drawn }),
    hconcat: [
      view(pair.panel, `panel genes (${k} gene${k === 1 ? "" : "s"})`),
      view(pair.all, `all genes (${pair.nHvg} HVGs, ${pair.nPcs} PCs)`),
    ],
    spacing: 24,
  };
}
