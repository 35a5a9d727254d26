import { assertEquals } from "./_assert.ts";
import * as yoto from "../mod.ts";

// The public API, every name mod.ts exports (values and types), in mod.ts's groups. Adding or
// removing an export means updating this list: the API changes only on purpose.
const PUBLIC_API = [
  // io
  "CsrMatrix",
  "Dataset",
  "DatasetParts",
  "DenseMatrix",
  "encodeCategorical",
  "ExpressionMatrix",
  "ObsColumn",
  "RowBatch",
  "Uns",
  "VarFields",
  "InputFormat",
  "makeNamesUnique",
  "OutputFormat",
  "readDataset",
  "ReadOptions",
  "writeDataset",
  "readArrow",
  "streamArrow",
  "StreamedBatch",
  "writeArrow",
  "listH5adLayers",
  "readH5ad",
  "ReadH5adOptions",
  "writeH5ad",
  "WriteH5adOptions",
  "MtxOrientation",
  "MtxPaths",
  "readMtx",
  "ReadMtxOptions",
  "joinObs",
  "JoinObsOptions",
  "ObsTable",
  "readDelimited",
  "ReadDelimitedOptions",
  "readObsCsv",
  "ReadObsCsvOptions",
  "writeObsCsv",
  // pp
  "cellStats",
  "checkCounts",
  "CheckCountsOptions",
  "GeneStats",
  "geneStats",
  "GeneStatsOptions",
  "applyPreprocess",
  "filterCells",
  "FilterCellsOptions",
  "filterGenes",
  "FilterGenesOptions",
  "FilterResult",
  "fitPreprocess",
  "log1p",
  "medianLibrarySize",
  "normalizeTotal",
  "NormalizeTotalOptions",
  "PreprocessOptions",
  "PreprocessParams",
  "scale",
  "ScaleOptions",
  "DispersionHvgResult",
  "highlyVariableGenes",
  "HvgFlavor",
  "HvgOptions",
  "HvgResult",
  "VarianceHvgResult",
  "pca",
  "PcaOptions",
  "PcaResult",
  "applyInput",
  "CandidateOptions",
  "fitInput",
  "InputTransform",
  "groupSplit",
  "GroupSplitOptions",
  "randomSplit",
  "Split",
  "splitDataset",
  "SplitLabels",
  "SplitOptions",
  "stratifiedSplit",
  "downsample",
  "DownsampleOptions",
  "SAMPLING_SCHEMES",
  "SamplingScheme",
  "sketchCoordinates",
  "SketchCoordinatesOptions",
  "SketchCoords",
  "simulate",
  "SimulateOptions",
  "SimulationParams",
  "SimulationTruth",
  "Example",
  "ExampleLabels",
  "ExampleName",
  "EXAMPLE_NAMES",
  "loadExample",
  "LoadExampleOptions",
  // tl (selection)
  "Panel",
  "panelToCsv",
  "SelectOptions",
  "Selector",
  "Fitted",
  "panelSelector",
  "selectPanel",
  "TrainingSummary",
  "DEFAULT_METHOD",
  "selectorEntry",
  "SelectorEntry",
  "randomSelector",
  "hvgSelector",
  "MarkerMethod",
  "MarkerOptions",
  "markersSelector",
  "l1Selector",
  "stgSelector",
  "caeSelector",
  "persistSelector",
  "yotoSelector",
  "loadSelector",
  "SELECTOR_NAMES",
  "fitYoto",
  "YotoOptions",
  "EpochRecord",
  "PredictOptions",
  "TaskPrediction",
  "YotoMetrics",
  "YotoModel",
  "YotoSpec",
  "Activation",
  "NetConfig",
  "TaskSpec",
  "Relaxation",
  "loadYoto",
  "saveYoto",
  "MaeConfig",
  "MaeEncoder",
  "MaeEpoch",
  "MaeModel",
  "MaeTokens",
  "fitMae",
  "MaeOptions",
  // calibration
  "isNullGene",
  "CalibrateOptions",
  "calibratePanel",
  "CalibrationDraw",
  "NullCount",
  "NullDraw",
  "NullSummary",
  "NullTwinOptions",
  "NullTwinParts",
  "PanelCalibration",
  "Spread",
  "withNullTwins",
  "nullGenes",
  "NullGenesOptions",
  "NullGenesResult",
  "NullGuard",
  "knockoffSelect",
  "knockoffThreshold",
  "pairKnockoff",
  "PairKnockoffOptions",
  "PairKnockoffResult",
  "ClusteringOptions",
  "ClusteringResult",
  "plainClustering",
  "PlainClusteringOptions",
  "recallClustering",
  "RecallOptions",
  "RecallResult",
  "RecallRound",
  // evaluation
  "ClassificationMetrics",
  "classificationReport",
  "ClassMetrics",
  "confusionMatrix",
  "macroF1",
  "RegressionMetrics",
  "regressionReport",
  "adjustedRandIndex",
  "GeneFrequency",
  "meanJaccard",
  "selectionFrequency",
  "predictionConfusion",
  "scorePrediction",
  "Classifier",
  "CLASSIFIER_KINDS",
  "ClassifierKind",
  "ClassifierOptions",
  "fitClassifier",
  "LogisticOptions",
  "KnnOptions",
  "LabelledRows",
  "MlpOptions",
  "DownstreamResult",
  "evaluatePanel",
  "EvaluatePanelOptions",
  "evaluateReconstruction",
  "PanelEvaluation",
  "PanelSplit",
  "ReconstructionMetrics",
  "ReconstructionOptions",
  "BenchmarkConfig",
  "BenchmarkDataset",
  "BenchmarkRun",
  "parseBenchmarkConfig",
  "readBenchmarkConfig",
  "readResultRows",
  "ResultRow",
  "runBenchmark",
  "RunBenchmarkOptions",
  "UnitFailure",
  "UnitRecord",
  "failuresMarkdown",
  "markdownTable",
  "MetricPoint",
  "metricPoints",
  "reportGroups",
  "selectionSeconds",
  "summaryMarkdown",
  "DiversityLabels",
  "DiversityOptions",
  "DiversityReport",
  "diversityReport",
  "readSaturationRows",
  "runSaturationStudy",
  "SaturationCurvePoint",
  "saturationCurves",
  "SaturationMark",
  "SaturationMetric",
  "SaturationResult",
  "SaturationRow",
  "SaturationStudyOptions",
  "saturationSummary",
  "BaselineEmbeddingOptions",
  "CellEmbedding",
  "embeddingPca",
  "EmbeddingPcaOptions",
  "zeroShotHvg",
  "zeroShotKnn",
  "ZeroShotMetrics",
  "zeroShotPca",
  "zeroShotSplit",
  // pl
  "confusionMatrixSpec",
  "DotPlotData",
  "dotPlotData",
  "DotPlotDataOptions",
  "DotPlotRow",
  "dotPlotSpec",
  "EmbeddingOptions",
  "EmbeddingPoint",
  "embeddingSpec",
  "metricVsKSpec",
  "saturationSpec",
  "ScoreRankingOptions",
  "scoreRankingSpec",
  "secondsSpec",
  "stabilitySpec",
  "trainingCurveSpec",
  "TrainingPanelsOptions",
  "trainingPanelsSpec",
  "VegaLiteSpec",
  "Displayable",
  "show",
  "showMarkdown",
  "ShowOptions",
  "toPng",
  "toSvg",
  "Pca",
  "pcaEmbedding",
  // runtime
  "BackendInfo",
  "BackendName",
  "initBackend",
  "Rng",
  "BackendError",
  "DataValueError",
  "DownloadError",
  "ErrorContext",
  "FileFormatError",
  "MissingFieldError",
  "OptionError",
  "OutputError",
  "ShapeMismatchError",
  "YotoError",
];

/** The names mod.ts exports, values and types alike, as `deno doc` lists them. */
async function exportedNames(): Promise<string[]> {
  const mod = new URL("../mod.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", mod.pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  return doc.nodes[mod.href].symbols.map((s: { name: string }) => s.name);
}

Deno.test("mod.ts exports exactly the listed public API", async () => {
  const exported = new Set(await exportedNames());
  const listed = new Set(PUBLIC_API);
  assertEquals(PUBLIC_API.length, listed.size, "a name is listed twice");
  assertEquals({
    added: [...exported].filter((n) => !listed.has(n)).sort(),
    removed: PUBLIC_API.filter((n) => !exported.has(n)),
  }, { added: [], removed: [] });
});

Deno.test("every runtime value of the public API resolves (no name lost to a clash)", () => {
  for (const name of Object.keys(yoto)) assertEquals(PUBLIC_API.includes(name), true, name);
  assertEquals(Object.values(yoto).filter((v) => v === undefined).length, 0);
});

Deno.test("notebooks and the README import only public names", async () => {
  const root = new URL("../", import.meta.url);
  const sources: [string, string][] = [];
  for await (const e of Deno.readDir(new URL("notebooks/", root))) {
    if (!e.name.endsWith(".ipynb")) continue;
    const nb = JSON.parse(await Deno.readTextFile(new URL(`notebooks/${e.name}`, root)));
    const code = nb.cells
      .filter((c: { cell_type: string }) => c.cell_type === "code")
      .map((c: { source: string[] | string }) => [c.source].flat().join(""));
    sources.push([e.name, code.join("\n")]);
  }
  sources.push(["README.md", await Deno.readTextFile(new URL("README.md", root))]);
  const imports = /import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*"(?:\.\.?\/)?mod\.ts"/g;
  let seen = 0;
  for (const [file, text] of sources) {
    for (const m of text.matchAll(imports)) {
      for (const item of m[1].split(",")) {
        const name = item.replace(/^\s*type\s+/, "").split(/\s+as\s+/)[0].trim();
        if (!name) continue;
        seen++;
        assertEquals(PUBLIC_API.includes(name), true, `${file} imports ${name}`);
      }
    }
  }
  assertEquals(seen > 50, true, "the notebooks' imports were not found");
});

Deno.test("the README's example runs on simulated data through mod.ts", () => {
  const { dataset } = yoto.simulate({ nCells: 300, nGenes: 200, seed: 1 });
  const logged = yoto.log1p(yoto.normalizeTotal(dataset));
  const hvg = yoto.highlyVariableGenes(logged, { flavor: "seurat", nTopGenes: 50 });
  assertEquals(hvg.genes.length >= 50, true);
  assertEquals(new Set(hvg.genes).size, hvg.genes.length);
});
