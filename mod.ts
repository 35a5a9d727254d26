/**
 * yoto: pick compact gene panels from single-cell RNA-seq data and predict from them.
 * The public API; every line re-exports one module.
 * @module
 */

// Data: the Arrow-backed Dataset, its file formats, preprocessing, the model-input transform,
// splits, simulator, nearest neighbours.
export * from "./lib/data/dataset.ts";
export * from "./lib/data/arrow.ts";
export * from "./lib/data/h5ad.ts";
export * from "./lib/data/mtx.ts";
export * from "./lib/data/csv.ts";
export * from "./lib/data/io.ts";
export * from "./lib/data/stats.ts";
export * from "./lib/data/preprocess.ts";
export * from "./lib/data/twins.ts";
export * from "./lib/data/transform.ts";
export * from "./lib/data/hvg.ts";
export * from "./lib/data/split.ts";
export * from "./lib/data/simulate.ts";
export * from "./lib/data/pca.ts";
export * from "./lib/data/neighbors.ts";
export * from "./lib/data/sampling.ts";

// Metrics: classification, regression, clustering, panel stability (sklearn.metrics role).
export * from "./lib/metrics/classification.ts";
export * from "./lib/metrics/regression.ts";
export * from "./lib/metrics/clustering.ts";
export * from "./lib/metrics/stability.ts";

// Selection: the Panel every selector returns, and YOTO.
export * from "./lib/select/panel.ts";
export * from "./lib/select/random.ts";
export * from "./lib/select/hvg.ts";
export * from "./lib/select/markers.ts";
export * from "./lib/select/l1.ts";
export * from "./lib/select/stg.ts";
export * from "./lib/select/cae.ts";
export * from "./lib/select/persist.ts";
export * from "./lib/select/registry.ts";
export * from "./lib/select/yoto/relax.ts";
export * from "./lib/select/yoto/net.ts";
export * from "./lib/select/yoto/model.ts";
export * from "./lib/select/yoto/train.ts";
export * from "./lib/select/yoto/poisson.ts";
export * from "./lib/select/yoto/save.ts";
export * from "./lib/select/yoto/selector.ts";

// Label-free cell embeddings: a small masked autoencoder (TxFM style).
export * from "./lib/mae/model.ts";
export * from "./lib/mae/train.ts";

// Calibration: artificial null genes, the knockoff filter, recall clustering, calibrated panels.
export * from "./lib/calibrate/nulls.ts";
export * from "./lib/calibrate/knockoff.ts";
export * from "./lib/calibrate/recall.ts";
export * from "./lib/calibrate/calibration.ts";

// Evaluation: downstream classifiers on a panel's genes, the benchmark protocol, reports.
export * from "./lib/eval/score.ts";
export * from "./lib/eval/logistic.ts";
export * from "./lib/eval/knn.ts";
export * from "./lib/eval/mlp.ts";
export * from "./lib/eval/classifiers.ts";
export * from "./lib/eval/downstream.ts";
export * from "./lib/eval/protocol.ts";
export * from "./lib/eval/report.ts";
export * from "./lib/eval/diversity.ts";
export * from "./lib/eval/saturation.ts";
export * from "./lib/eval/zeroshot.ts";

// Figures: vega-lite spec builders and rendering.
export * from "./lib/plot/specs.ts";
export * from "./lib/plot/render.ts";
export * from "./lib/plot/embed.ts";

// Runtime: errors, seeded randomness, compute backend, progress, atomic output.
export * from "./lib/runtime/errors.ts";
export * from "./lib/runtime/rng.ts";
export * from "./lib/runtime/backend.ts";
export * from "./lib/runtime/progress.ts";
export * from "./lib/runtime/atomic.ts";
