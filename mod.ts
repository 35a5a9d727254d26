/**
 * yoto: pick compact gene panels from single-cell RNA-seq data and predict from them.
 *
 * The public API, grouped like scanpy: io, preprocessing (pp), selection (tl), calibration,
 * evaluation, plotting (pl), runtime. Every name is listed here (no `export *`), so this file is
 * the API; tests/mod_test.ts pins it. Everything else in lib/ is internal.
 * @module
 */

// io: the Arrow-backed Dataset and the files it reads and writes (.arrow, .h5ad, 10x .mtx, CSV).
export {
  concatCells,
  type CsrMatrix,
  Dataset,
  type DatasetParts,
  type DenseMatrix,
  encodeCategorical,
  type ExpressionMatrix,
  type ObsColumn,
  type RowBatch,
  type Uns,
  type VarFields,
} from "./lib/data/dataset.ts";
export {
  type InputFormat,
  makeNamesUnique,
  type OutputFormat,
  readDataset,
  type ReadOptions,
  writeDataset,
} from "./lib/data/io.ts";
export {
  readArrow,
  streamArrow,
  type StreamedBatch,
  writeArrow,
  writeArrowChunks,
} from "./lib/data/arrow.ts";
export {
  type ArrowCandidateOptions,
  type ArrowCandidates,
  arrowCandidates,
  type ArrowScan,
  type ArrowScanOptions,
  type ArrowSketch,
  type ArrowSketchOptions,
  type LabelCounts,
  readArrowCells,
  scanArrow,
  sketchFromArrow,
} from "./lib/data/stream.ts";
export {
  annotateH5ad,
  type AnnotateH5adOptions,
  type H5adCarry,
  listH5adLayers,
  readH5ad,
  type ReadH5adOptions,
  writeH5ad,
  type WriteH5adOptions,
} from "./lib/data/h5ad.ts";
export {
  type MtxOrientation,
  type MtxPaths,
  readMtx,
  type ReadMtxOptions,
} from "./lib/data/mtx.ts";
export {
  joinObs,
  type JoinObsOptions,
  type ObsTable,
  readDelimited,
  type ReadDelimitedOptions,
  readObsCsv,
  type ReadObsCsvOptions,
  writeObsCsv,
} from "./lib/data/csv.ts";

// pp: count checks and statistics, normalisation, HVGs, PCA, the model-input transform,
// train/validation/test splits, downsampling, a simulator with known truth, example datasets.
export {
  cellStats,
  checkCounts,
  type CheckCountsOptions,
  type GeneStats,
  geneStats,
  type GeneStatsOptions,
} from "./lib/data/stats.ts";
export {
  applyPreprocess,
  filterCells,
  type FilterCellsOptions,
  filterGenes,
  type FilterGenesOptions,
  type FilterResult,
  fitPreprocess,
  log1p,
  medianLibrarySize,
  normalizeTotal,
  type NormalizeTotalOptions,
  type PreprocessOptions,
  type PreprocessParams,
  scale,
  type ScaleOptions,
} from "./lib/data/preprocess.ts";
export {
  type DispersionHvgResult,
  highlyVariableGenes,
  type HvgFlavor,
  type HvgOptions,
  type HvgResult,
  type VarianceHvgResult,
} from "./lib/data/hvg.ts";
export { pca, type PcaOptions, type PcaResult } from "./lib/data/pca.ts";
export { umap, type UmapOptions } from "./lib/data/umap.ts";
export {
  type CandidateConstraints,
  constrainPool,
  type ConstraintReport,
  type ConstraintStep,
  GENE_PRESETS,
  type GenePreset,
  maxGroupMeans,
  readGeneList,
} from "./lib/data/constraints.ts";
export {
  applyInput,
  type CandidateOptions,
  type Candidates,
  DEFAULT_NORMALIZATION,
  fitCandidates,
  fitInput,
  type FitInputOptions,
  fitInputTransform,
  type FittedTransform,
  type InputTransform,
  type Normalization,
  NORMALIZATIONS,
  parseNormalization,
} from "./lib/data/transform.ts";
export {
  groupSplit,
  type GroupSplitOptions,
  randomSplit,
  type Split,
  splitDataset,
  type SplitLabels,
  type SplitOptions,
  stratifiedSplit,
} from "./lib/data/split.ts";
export {
  downsample,
  type DownsampleOptions,
  SAMPLING_SCHEMES,
  type SamplingScheme,
  sketchCoordinates,
  type SketchCoordinatesOptions,
  type SketchCoords,
  thinCounts,
} from "./lib/data/sampling.ts";
export {
  type HierarchyLevel,
  simulate,
  simulateChunks,
  type SimulateOptions,
  type SimulationChunks,
  type SimulationParams,
  type SimulationTruth,
} from "./lib/data/simulate.ts";
export {
  type Example,
  EXAMPLE_NAMES,
  type ExampleLabels,
  type ExampleName,
  loadExample,
  type LoadExampleOptions,
} from "./lib/data/datasets.ts";
export {
  type DotPlotData,
  dotPlotData,
  type DotPlotDataOptions,
  type DotPlotRow,
  type GeneSummary,
  type HeatmapData,
  heatmapData,
  type HeatmapDataOptions,
  LOG2FC_PSEUDOCOUNT,
  type PanelSummary,
  panelSummary,
} from "./lib/data/expression.ts";

// tl (selection): the Panel and Selector shapes, every selector and the registry by name, YOTO
// (fit, predict, save, load), and the masked autoencoder for label-free cell embeddings.
export {
  type Fitted,
  type Panel,
  panelSelector,
  type PanelTable,
  panelTable,
  panelToCsv,
  type SelectOptions,
  type Selector,
  selectPanel,
  type TaskPrediction,
  type TrainingSummary,
} from "./lib/select/panel.ts";
export { randomSelector } from "./lib/select/random.ts";
export { hvgSelector } from "./lib/select/hvg.ts";
export { type MarkerMethod, type MarkerOptions, markersSelector } from "./lib/select/markers.ts";
export { l1Selector } from "./lib/select/l1.ts";
export { stgSelector } from "./lib/select/stg.ts";
export { caeSelector } from "./lib/select/cae.ts";
export { persistSelector } from "./lib/select/persist.ts";
export { yotoSelector } from "./lib/select/yoto/selector.ts";
export {
  DEFAULT_METHOD,
  loadSelector,
  SELECTOR_NAMES,
  type SelectorEntry,
  selectorEntry,
} from "./lib/select/registry.ts";
export { fitYoto, type YotoOptions } from "./lib/select/yoto/train.ts";
export {
  type EpochRecord,
  type PredictOptions,
  type YotoMetrics,
  YotoModel,
  type YotoSpec,
} from "./lib/select/yoto/model.ts";
export type { Activation, NetConfig, TaskSpec } from "./lib/select/yoto/net.ts";
export type { Relaxation } from "./lib/nn/relax.ts";
export { loadYoto, saveYoto } from "./lib/select/yoto/save.ts";
export {
  type MaeConfig,
  type MaeEncoder,
  type MaeEpoch,
  MaeModel,
  type MaeTokens,
} from "./lib/mae/model.ts";
export { fitMae, type MaeOptions } from "./lib/mae/train.ts";

// Calibration: null twins (artificial genes a panel should not pick) and calibrated panels, null
// genes and the knockoff filter, recall clustering (clusters that survive their null twins).
export { isNullGene } from "./lib/data/twins.ts";
export {
  type CalibrateOptions,
  calibratePanel,
  type CalibrationDraw,
  type NullCount,
  type NullDraw,
  type NullSummary,
  type NullTwinOptions,
  type NullTwinParts,
  type PanelCalibration,
  type Spread,
  withNullTwins,
} from "./lib/calibrate/calibration.ts";
export {
  nullGenes,
  type NullGenesOptions,
  type NullGenesResult,
  type NullGuard,
} from "./lib/calibrate/nulls.ts";
export {
  knockoffSelect,
  knockoffThreshold,
  pairKnockoff,
  type PairKnockoffOptions,
  type PairKnockoffResult,
} from "./lib/calibrate/knockoff.ts";
export {
  type ClusteringOptions,
  type ClusteringResult,
  plainClustering,
  type PlainClusteringOptions,
  recallClustering,
  type RecallOptions,
  type RecallResult,
  type RecallRound,
} from "./lib/calibrate/recall.ts";

// Evaluation: metrics (sklearn.metrics role), downstream classifiers on a panel's genes, the
// benchmark runner and its reports, the training-size saturation study, zero-shot embeddings.
export {
  type ClassificationMetrics,
  classificationReport,
  type ClassMetrics,
  confusionMatrix,
  macroF1,
} from "./lib/metrics/classification.ts";
export { type RegressionMetrics, regressionReport } from "./lib/metrics/regression.ts";
export { adjustedRandIndex, normalizedMutualInfo } from "./lib/metrics/clustering.ts";
export { type GeneFrequency, meanJaccard, selectionFrequency } from "./lib/metrics/stability.ts";
export { predictionConfusion, scorePrediction } from "./lib/eval/score.ts";
export {
  type Classifier,
  CLASSIFIER_KINDS,
  type ClassifierKind,
  type ClassifierOptions,
  fitClassifier,
} from "./lib/eval/classifiers.ts";
export type { LogisticOptions } from "./lib/nn/logistic.ts";
export type { KnnOptions } from "./lib/eval/knn.ts";
export type { LabelledRows, MlpOptions } from "./lib/eval/mlp.ts";
export {
  type DownstreamResult,
  evaluatePanel,
  type EvaluatePanelOptions,
  evaluateReconstruction,
  type PanelEvaluation,
  type PanelSplit,
  type ReconstructionMetrics,
  type ReconstructionOptions,
} from "./lib/eval/downstream.ts";
export {
  type ClassifierReport,
  evaluateSuite,
  type PanelMetrics,
  panelMetrics,
  type PanelMetricsOptions,
  type PanelReport,
  type ResolvedSuiteOptions,
  SUITE_METRICS,
  type SuiteMetric,
  type SuiteOptions,
  type SuitePanel,
  type SuiteReference,
  suiteReference,
  suiteSummary,
} from "./lib/eval/suite.ts";
export {
  type BenchmarkConfig,
  type BenchmarkDataset,
  type BenchmarkRun,
  parseBenchmarkConfig,
  readBenchmarkConfig,
  readResultRows,
  type ResultRow,
  runBenchmark,
  type RunBenchmarkOptions,
  type UnitFailure,
  type UnitRecord,
} from "./lib/eval/protocol.ts";
export {
  failuresMarkdown,
  markdownTable,
  type MetricPoint,
  metricPoints,
  reportGroups,
  selectionSeconds,
  summaryMarkdown,
} from "./lib/eval/report.ts";
export {
  type DiversityLabels,
  type DiversityOptions,
  type DiversityReport,
  diversityReport,
} from "./lib/eval/diversity.ts";
export {
  readSaturationRows,
  runSaturationStudy,
  type SaturationCurvePoint,
  saturationCurves,
  type SaturationMark,
  type SaturationMetric,
  type SaturationResult,
  type SaturationRow,
  type SaturationStudyOptions,
  saturationSummary,
} from "./lib/eval/saturation.ts";
export {
  type BaselineEmbeddingOptions,
  type CellEmbedding,
  embeddingPca,
  type EmbeddingPcaOptions,
  zeroShotHvg,
  zeroShotKnn,
  type ZeroShotMetrics,
  zeroShotPca,
  zeroShotSplit,
} from "./lib/eval/zeroshot.ts";

// pl: vega-lite spec builders per figure, rendering to SVG/PNG, and display in a notebook.
export { confusionMatrixSpec } from "./lib/plot/confusion.ts";
export { metricVsKSpec, secondsSpec } from "./lib/plot/benchmark.ts";
export {
  type DotPlotOptions,
  dotPlotSpec,
  type HeatmapOptions,
  heatmapSpec,
  type ScoreRankingOptions,
  scoreRankingSpec,
  stabilitySpec,
} from "./lib/plot/genes.ts";
export {
  type EmbeddingOptions,
  type EmbeddingPoint,
  embeddingSpec,
  type Pca,
  pcaEmbedding,
  type UmapPair,
  umapPair,
  type UmapPairOptions,
  umapPairSpec,
} from "./lib/plot/embedding.ts";
export { saturationSpec } from "./lib/plot/saturation.ts";
export {
  trainingCurveSpec,
  type TrainingPanelsOptions,
  trainingPanelsSpec,
} from "./lib/plot/training.ts";
export {
  type Displayable,
  show,
  showMarkdown,
  type ShowOptions,
  toPng,
  toSvg,
  type VegaLiteSpec,
} from "./lib/plot/render.ts";

// Runtime: the compute backend, seeded randomness, and the typed errors every bad input raises.
import { initBackend } from "./lib/runtime/backend.ts";
export { type BackendInfo, type BackendName, initBackend } from "./lib/runtime/backend.ts";
// Importing yoto starts the default backend, so a notebook's first call (a PCA, a UMAP) works
// without an `await initBackend()`; calling initBackend(name) later switches backends.
await initBackend();
export { Rng } from "./lib/runtime/rng.ts";
export {
  BackendError,
  DataValueError,
  DownloadError,
  type ErrorContext,
  FileFormatError,
  MissingFieldError,
  OptionError,
  OutputError,
  ShapeMismatchError,
  YotoError,
} from "./lib/runtime/errors.ts";
