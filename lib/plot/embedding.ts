/**
 * 2-D views of cells: PCA of a panel's values, and their scatter plot.
 * @module
 */
import { pcaFloat64 } from "../data/pca.ts";
import { OptionError } from "../runtime/errors.ts";
import { top } from "./_common.ts";
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
    data: { values: points },
    mark: { type: "circle", size: 14, opacity: 0.7 },
    encoding: {
      x: axis("x", options.xTitle ?? "PC1"),
      y: axis("y", options.yTitle ?? "PC2"),
      color: {
        field: "label",
        type: "nominal",
        title: options.labelTitle ?? "label",
        scale: { scheme: nLabels <= 10 ? "tableau10" : "tableau20" },
        legend: { symbolOpacity: 1, symbolSize: 60 },
      },
    },
  };
}
