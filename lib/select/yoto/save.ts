/**
 * Saving and loading YOTO models. A model is a directory: `model.json` (spec, panel, tasks and
 * classes, input transform learned on train, backend, seed, versions, weight manifest with a
 * SHA-256), `weights.bin` (float32), `panel.csv`, `metrics.json` (snake_case keys) and
 * `history.json` (one record per epoch).
 *
 * Saving replaces only a model directory (or an empty one): it writes and flushes `DIR.tmp-TAG`,
 * moves the old model to `DIR.old-TAG`, renames the new one in, then removes the old one. A save
 * killed between the renames leaves no `DIR`: the next load or save puts the newest complete
 * model back. Loading treats the directory as untrusted: `model.json` is checked field by field,
 * and the weights file must lie inside the directory and have the manifest's size and checksum.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import { syncPath, writeError } from "../../runtime/atomic.ts";
import { FileFormatError } from "../../runtime/errors.ts";
import { checkOutputFolder } from "../../runtime/output.ts";
import { Rng } from "../../runtime/rng.ts";
import { type Panel, panelToCsv } from "../panel.ts";
import {
  type EpochRecord,
  NO_METRICS,
  type YotoMetrics,
  YotoModel,
  type YotoSpec,
} from "./model.ts";
import { type TaskSpec, YotoNet } from "./net.ts";
import { NORMALIZATIONS } from "../../data/transform.ts";

/** Format tag written to and required in model.json. */
export const MODEL_FORMAT = "yoto.model/1";

/**
 * The files of a model directory; a directory with anything else is not replaced. `yoto train`
 * adds report.html after the save.
 */
const MODEL_FILES = [
  "model.json",
  "weights.bin",
  "panel.csv",
  "metrics.json",
  "history.json",
  "report.html",
];

/** metrics.json's names of the camelCase fields of YotoMetrics; other keys are stored as given. */
const METRIC_NAMES: Record<string, string> = {
  bestEpoch: "best_epoch",
  trainSeconds: "train_seconds",
  nTrain: "n_train",
  nVal: "n_val",
};

/** history.json's names of the camelCase fields of EpochRecord. */
const EPOCH_NAMES: Record<string, string> = {
  valLoss: "val_loss",
  maskMass: "mask_mass",
  stepSeconds: "step_seconds",
};

/** `record` with its keys renamed by `names` (keys not in it kept). */
function renamed(record: object, names: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [names[k] ?? k, v]));
}

/** The inverse of a renaming. */
const inverse = (names: Record<string, string>) =>
  Object.fromEntries(Object.entries(names).map(([a, b]) => [b, a]));

/** model.json is small (a few MB for thousands of candidates); more is not a model. */
const MAX_JSON_BYTES = 256 * 2 ** 20;

interface ModelJson {
  format: string;
  created: string;
  versions: { tfjs: string; deno: string };
  backend: string;
  seed: number;
  spec: YotoSpec;
  panel: Omit<Panel, "scores"> & { scores: (number | null)[]; rank: number[] };
  weights: { file: string; bytes: number; sha256: string; shapes: number[][]; scores: number };
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Test hook: YOTO_TEST_SAVE_EXIT=<step> ends the process at that step of a save, as a kill would
// (tests/robustness/model_dir_test.ts); read once, and only where env access is granted.
const EXIT_AT = (() => {
  try {
    return Deno.env.get("YOTO_TEST_SAVE_EXIT");
  } catch {
    return undefined;
  }
})();

function killPoint(step: "written" | "aside" | "switched"): void {
  if (EXIT_AT === step) Deno.exit(86);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** True when every entry of `dir` is a model file (so it is ours to remove or replace). */
async function onlyModelFiles(dir: string): Promise<boolean> {
  for await (const entry of Deno.readDir(dir)) if (!MODEL_FILES.includes(entry.name)) return false;
  return true;
}

/**
 * True when `dir` is a model directory written by {@link saveYoto} (its model.json carries a
 * yoto model format tag) holding nothing else, so that saving may replace it.
 */
export async function isModelDir(dir: string): Promise<boolean> {
  try {
    const json = JSON.parse(new TextDecoder().decode(
      await readRegularFile(join(dir, "model.json"), MAX_JSON_BYTES),
    ));
    return String(json?.format).startsWith("yoto.model/") && await onlyModelFiles(dir);
  } catch {
    return false;
  }
}

/** The leftovers of interrupted saves of `dir`: `DIR.tmp-TAG` and `DIR.old-TAG` beside it. */
async function leftovers(dir: string): Promise<{ path: string; kind: string; tag: string }[]> {
  const found = [];
  const pattern = /^\.(tmp|old)-([0-9a-z]+)$/;
  for await (const entry of Deno.readDir(dirname(dir))) {
    const m = entry.name.startsWith(basename(dir)) && entry.isDirectory &&
      pattern.exec(entry.name.slice(basename(dir).length));
    if (m) found.push({ path: join(dirname(dir), entry.name), kind: m[1], tag: m[2] });
  }
  return found;
}

/**
 * After a save killed between its renames, `dir` is missing: put back the newest complete model
 * (the new one when the old was already moved aside, else the old one). Returns whether it did.
 */
async function recoverModelDir(dir: string): Promise<boolean> {
  if (await exists(dir) || !(await exists(dirname(dir)))) return false;
  const found = await leftovers(dir);
  const paired = (l: { kind: string; tag: string }) =>
    l.kind === "tmp" && found.some((o) => o.kind === "old" && o.tag === l.tag);
  const order = [...found.filter(paired), ...found.filter((l) => l.kind === "old")];
  for (const { path } of order) {
    if (!(await isModelDir(path))) continue;
    try {
      await Deno.rename(path, dir);
    } catch (err) {
      throw writeError(err, dir);
    }
    console.error(`note: put back the model at '${dir}' from an interrupted save (${path})`);
    return true;
  }
  return false;
}

/**
 * Save a model to `dir`: created, or replaced as a whole when it is a model directory (or empty).
 * Anything else at `dir` is an OptionError; an operating-system refusal (no space, permission,
 * read-only) an OutputError, with the previous model left in place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitYoto, loadYoto, saveYoto, simulate } from "yoto";
 * const { dataset } = simulate({ nCells: 200, nGenes: 60, seed: 1 });
 * const model = await fitYoto(dataset, { k: 4, tasks: ["cell_type"], candidates: 60, epochs: 2, quiet: true });
 * const dir = `${await Deno.makeTempDir()}/model`;
 * await saveYoto(model, dir);
 * const back = await loadYoto(dir);
 * assert.deepEqual(back.panel.genes, model.panel.genes);
 * model.dispose();
 * back.dispose();
 * ```
 */
export async function saveYoto(model: YotoModel, given: string): Promise<void> {
  const dir = await checkOutputFolder(given, { flag: "--out", isOurs: isModelDir });
  await recoverModelDir(dir);
  const vars = model.net.all();
  const parts = [...vars.map((v) => v.dataSync() as Float32Array), model.scores];
  const weights = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    weights.set(p, offset);
    offset += p.length;
  }
  const bytes = new Uint8Array(weights.buffer);
  const json: ModelJson = {
    format: MODEL_FORMAT,
    created: new Date().toISOString(),
    versions: { tfjs: tf.version.tfjs, deno: Deno.version.deno },
    backend: tf.getBackend(),
    seed: model.spec.seed,
    spec: model.spec,
    panel: {
      ...model.panel,
      scores: model.panel.scores.map((s) => (Number.isFinite(s) ? s : null)),
      rank: model.panel.genes.map((_, i) => i + 1),
    },
    weights: {
      file: "weights.bin",
      bytes: bytes.byteLength,
      sha256: await sha256(bytes),
      shapes: vars.map((v) => v.shape),
      scores: model.scores.length,
    },
  };
  const { history } = model.metrics;
  const files: [string, Uint8Array | string][] = [
    ["weights.bin", bytes],
    ["panel.csv", panelToCsv(model.panel)],
    ["metrics.json", metricsJson(model.metrics)],
    // one epoch per line: valid JSON that stays readable at hundreds of epochs
    [
      "history.json",
      `[\n${history.map((r) => JSON.stringify(renamed(r, EPOCH_NAMES))).join(",\n")}\n]\n`,
    ],
    ["model.json", JSON.stringify(json, null, 1) + "\n"], // last: its presence marks completeness
  ];
  const tag = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const tmp = `${dir}.tmp-${tag}`, old = `${dir}.old-${tag}`;
  try {
    await Deno.mkdir(tmp);
    for (const [name, data] of files) {
      const path = join(tmp, name);
      await (typeof data === "string"
        ? Deno.writeTextFile(path, data)
        : Deno.writeFile(path, data));
      await syncPath(path);
    }
    await syncPath(tmp);
    killPoint("written");
    if (await exists(dir)) {
      await Deno.rename(dir, old);
      killPoint("aside");
    }
    await Deno.rename(tmp, dir);
    await syncPath(dirname(dir));
    killPoint("switched");
  } catch (err) {
    if (!(await exists(dir)) && await exists(old)) await Deno.rename(old, dir).catch(() => {});
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw writeError(err, dir);
  }
  for (const { path } of await leftovers(dir)) {
    if (await onlyModelFiles(path)) await Deno.remove(path, { recursive: true }).catch(() => {});
  }
}

function damaged(file: string, problem: string, field?: string): FileFormatError {
  return new FileFormatError(problem, {
    file,
    field,
    fix: "save or train the model again (a model directory is written by `yoto train`)",
  });
}

/**
 * The bytes of the regular file at `path`, refusing a device, pipe or folder and anything over
 * `maxBytes` (checked before reading, and while reading, should the file grow).
 */
async function readRegularFile(path: string, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  // stat before open: opening a pipe would wait for a writer
  if (!(await Deno.stat(path)).isFile) throw damaged(path, "not a regular file");
  const file = await Deno.open(path, { read: true });
  try {
    const info = await file.stat();
    if (!info.isFile) throw damaged(path, "not a regular file");
    if (info.size > maxBytes) {
      throw damaged(path, `${info.size} bytes, more than the ${maxBytes} expected`);
    }
    const bytes = new Uint8Array(info.size);
    let n = 0;
    while (n < bytes.length) {
      const read = await file.read(bytes.subarray(n));
      if (read === null) break;
      n += read;
    }
    if (n !== info.size) throw damaged(path, "the file changed while it was read");
    return bytes;
  } finally {
    file.close();
  }
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);
const isCount = (x: unknown, min = 0): x is number => Number.isInteger(x) && (x as number) >= min;
const isNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const isStrings = (x: unknown): x is string[] =>
  Array.isArray(x) && x.every((s) => typeof s === "string");

/** The first duplicated string of `xs`, or undefined. */
function firstDuplicate(xs: string[]): string | undefined {
  const seen = new Set<string>();
  return xs.find((x) => seen.has(x) || !seen.add(x));
}

/**
 * model.json checked field by field (types, format tag, the network's tasks and classes, the
 * input transform, the panel, the weight manifest); the first problem is a FileFormatError
 * naming the field.
 */
function checkModelJson(raw: unknown, file: string): ModelJson {
  const fail = (field: string, problem: string): never => {
    throw damaged(file, problem, field);
  };
  if (!isObject(raw)) fail("(top level)", "not a JSON object");
  const json = raw as Record<string, unknown>;
  if (json.format !== MODEL_FORMAT) {
    throw new FileFormatError(
      `model format '${json.format}', this version reads '${MODEL_FORMAT}'`,
      { file, fix: "retrain the model with this version" },
    );
  }
  if (!isNumber(json.seed)) fail("seed", "must be a number");
  const spec = json.spec as Record<string, unknown>;
  if (!isObject(spec)) fail("spec", "must be an object");
  const net = spec.net as Record<string, unknown>;
  if (!isObject(net)) fail("spec.net", "must be an object");
  if (!isCount(net.nGenes, 1)) fail("spec.net.nGenes", "must be a positive integer");
  const nGenes = net.nGenes as number;
  if (!Array.isArray(net.hidden) || !net.hidden.every((h) => isCount(h, 1))) {
    fail("spec.net.hidden", "must be a list of positive integers");
  }
  if (!["relu", "elu", "tanh", "gelu"].includes(net.activation as string)) {
    fail("spec.net.activation", "must be relu, elu, tanh or gelu");
  }
  if (!isNumber(net.dropout) || typeof net.batchNorm !== "boolean") {
    fail("spec.net", "dropout must be a number and batchNorm true or false");
  }
  if (!Array.isArray(net.tasks) || !net.tasks.length) fail("spec.net.tasks", "must be a list");
  (net.tasks as unknown[]).forEach((t, i) => {
    const task = t as Record<string, unknown>;
    const at = `spec.net.tasks[${i}]`;
    if (!isObject(task) || typeof task.name !== "string" || !isNumber(task.weight)) {
      fail(at, "needs a name and a weight");
    }
    if (task.kind === "classification") {
      if (!isStrings(task.classes) || task.classes.length < 1) {
        fail(`${at}.classes`, "must be a list of class names");
      }
      const dup = firstDuplicate(task.classes as string[]);
      if (dup !== undefined) fail(`${at}.classes`, `class '${dup}' is listed twice`);
    } else if (task.kind === "regression") {
      if (!isNumber(task.mean) || !isNumber(task.sd)) fail(at, "needs a numeric mean and sd");
    } else if (task.kind !== "reconstruction") {
      fail(`${at}.kind`, "must be classification, regression or reconstruction");
    } else if (task.ceiling !== undefined && !(isNumber(task.ceiling) && task.ceiling > 0)) {
      fail(`${at}.ceiling`, "must be a number > 0");
    }
  });
  const transform = spec.transform as Record<string, unknown>;
  checkTransform(transform, "spec.transform", nGenes, "(spec.net.nGenes)", fail);
  if (!isCount(spec.k, 1)) fail("spec.k", "must be a positive integer");
  if (!isCount(spec.nFree) || !isCount(spec.nForced)) {
    fail("spec.nFree", "nFree and nForced must be integers >= 0");
  }
  if ((spec.nFree as number) + (spec.nForced as number) > nGenes) {
    fail("spec.nFree", `nFree + nForced exceed the ${nGenes} candidates`);
  }
  const panel = json.panel as Record<string, unknown>;
  if (!isObject(panel)) fail("panel", "must be an object");
  if (!isStrings(panel.genes)) fail("panel.genes", "must be a list of gene names");
  const genes = panel.genes as string[];
  const dupPanel = firstDuplicate(genes);
  if (dupPanel !== undefined) fail("panel.genes", `gene '${dupPanel}' is listed twice`);
  const candidates = new Set(transform.genes as string[]);
  const stranger = genes.find((g) => !candidates.has(g));
  if (stranger !== undefined) {
    fail("panel.genes", `'${stranger}' is not one of the candidates (spec.transform.genes)`);
  }
  if (
    !Array.isArray(panel.scores) || panel.scores.length !== genes.length ||
    !panel.scores.every((s) => s === null || isNumber(s))
  ) {
    fail("panel.scores", `must be a list of ${genes.length} numbers (null for forced genes)`);
  }
  if (!Array.isArray(panel.notes) || !isObject(panel.params)) {
    fail("panel", "needs notes (a list) and params (an object)");
  }
  if (panel.summary !== undefined) checkSummary(panel.summary, genes, fail);
  if (spec.linearHeads !== undefined) {
    checkLinearHeads(spec.linearHeads, net.tasks as TaskSpec[], genes, fail);
  }
  const w = json.weights as Record<string, unknown>;
  if (!isObject(w)) fail("weights", "must be an object");
  if (typeof w.file !== "string" || !w.file) fail("weights.file", "must be a file name");
  if (typeof w.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(w.sha256)) {
    fail("weights.sha256", "must be a SHA-256 in hex");
  }
  if (!Array.isArray(w.shapes) || !w.shapes.every((s) => Array.isArray(s) && s.every(isCount))) {
    fail("weights.shapes", "must be a list of shapes (lists of integers)");
  }
  if (!isCount(w.scores) || w.scores !== spec.nFree) {
    fail("weights.scores", `must equal spec.nFree (${spec.nFree})`);
  }
  const values = (w.shapes as number[][]).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  if (w.bytes !== 4 * (values + (w.scores as number))) {
    fail("weights.bytes", `must be 4 x (the shapes' ${values} values + ${w.scores} scores)`);
  }
  return json as unknown as ModelJson;
}

/** An input transform at `at` over `nGenes` genes (`which` says where that count comes from). */
function checkTransform(
  transform: Record<string, unknown>,
  at: string,
  nGenes: number,
  which: string,
  fail: (field: string, problem: string) => never,
): void {
  if (!isObject(transform)) fail(at, "must be an object");
  if (!isStrings(transform.genes) || transform.genes.length !== nGenes) {
    fail(`${at}.genes`, `must be a list of ${nGenes} gene names ${which}`);
  }
  const dupGene = firstDuplicate(transform.genes as string[]);
  if (dupGene !== undefined) fail(`${at}.genes`, `gene '${dupGene}' is listed twice`);
  for (const key of ["means", "sds"]) {
    const v = transform[key];
    if (!Array.isArray(v) || v.length !== nGenes || !v.every(isNumber)) {
      fail(`${at}.${key}`, `must be a list of ${nGenes} numbers`);
    }
  }
  if (transform.targetSum !== null && !isNumber(transform.targetSum)) {
    fail(`${at}.targetSum`, "must be a number or null");
  }
  if (typeof transform.log1p !== "boolean") fail(`${at}.log1p`, "must be true or false");
  if (transform.normalize !== undefined && !NORMALIZATIONS.includes(transform.normalize as never)) {
    fail(`${at}.normalize`, `must be one of ${NORMALIZATIONS.join(", ")}`);
  }
}

/**
 * spec.linearHeads (optional): an input transform over the panel genes, and per classification
 * task (panel genes + 1) x classes numbers.
 */
function checkLinearHeads(
  raw: unknown,
  tasks: TaskSpec[],
  genes: string[],
  fail: (field: string, problem: string) => never,
): void {
  const heads = raw as Record<string, unknown>;
  if (!isObject(heads) || !isObject(heads.params)) {
    fail("spec.linearHeads", "must be an object with input and params");
  }
  const input = heads.input as Record<string, unknown>;
  checkTransform(input, "spec.linearHeads.input", genes.length, "(the panel)", fail);
  if ((input.genes as string[]).some((g, i) => g !== genes[i])) {
    fail("spec.linearHeads.input.genes", "must be the panel genes in panel order");
  }
  for (const [name, params] of Object.entries(heads.params as Record<string, unknown>)) {
    const task = tasks.find((t) => t.name === name && t.kind === "classification");
    if (!task) fail(`spec.linearHeads.params.${name}`, "is not a classification task");
    const size = (genes.length + 1) * task!.classes!.length;
    if (!Array.isArray(params) || params.length !== size || !params.every(isNumber)) {
      fail(`spec.linearHeads.params.${name}`, `must be a list of ${size} numbers`);
    }
  }
}

/** panel.summary (optional: older models have none): one entry per panel gene, in order. */
function checkSummary(
  raw: unknown,
  genes: string[],
  fail: (field: string, problem: string) => never,
): void {
  const summary = raw as Record<string, unknown>;
  if (!isObject(summary) || !(summary.label === null || typeof summary.label === "string")) {
    fail("panel.summary", "must be an object with a label (text or null)");
  }
  if (!Array.isArray(summary.genes) || summary.genes.length !== genes.length) {
    fail("panel.summary.genes", `must list the ${genes.length} panel genes`);
  }
  const orNull = <T>(x: unknown, ok: (x: unknown) => x is T) => x === null || ok(x);
  const isText = (x: unknown): x is string => typeof x === "string";
  (summary.genes as unknown[]).forEach((entry, i) => {
    const e = entry as Record<string, unknown>;
    const ok = isObject(e) && e.gene === genes[i] && orNull(e.topGroup, isText) &&
      orNull(e.log2fcTop, isNumber) && isNumber(e.meanCount) && e.meanCount >= 0 &&
      isNumber(e.fracDetected) && e.fracDetected >= 0 && e.fracDetected <= 1;
    if (!ok) {
      fail(
        `panel.summary.genes[${i}]`,
        `must describe '${genes[i]}': topGroup, log2fcTop, meanCount >= 0, fracDetected in [0, 1]`,
      );
    }
  });
}

/**
 * The path of the weights file named in model.json, which must lie inside the model directory
 * (no absolute path, no `..`, no symbolic link leading out).
 */
async function weightsPath(dir: string, name: string, file: string): Promise<string> {
  const outside = () =>
    damaged(file, `'${name}' is not a file inside the model directory`, "weights.file");
  if (isAbsolute(name) || name.split(/[\\/]/).includes("..")) throw outside();
  const path = join(dir, name);
  let real: string, realDir: string;
  try {
    [real, realDir] = await Promise.all([Deno.realPath(path), Deno.realPath(dir)]);
  } catch (err) {
    throw damaged(file, `weights missing (${(err as Error).message})`, "weights.file");
  }
  const rel = relative(realDir, real);
  if (!rel || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw outside();
  return path;
}

/** Load a model saved by {@link saveYoto}; FileFormatError for anything missing or damaged. */
export async function loadYoto(given: string): Promise<YotoModel> {
  await tf.ready(); // a backend must be up; initBackend() chooses one, else tfjs's default
  const dir = given.length > 1 ? given.replace(/\/+$/, "") : given;
  await recoverModelDir(dir);
  const file = join(dir, "model.json");
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(await readRegularFile(file, MAX_JSON_BYTES)));
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    throw new FileFormatError(`no readable model.json (${(err as Error).message})`, {
      file: dir,
      fix: "pass a directory written by `yoto train` or saveYoto",
    });
  }
  const json = checkModelJson(raw, file);
  const path = await weightsPath(dir, json.weights.file, file);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readRegularFile(path, json.weights.bytes);
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    throw damaged(path, `weights unreadable (${(err as Error).message})`);
  }
  if (bytes.byteLength !== json.weights.bytes || (await sha256(bytes)) !== json.weights.sha256) {
    throw damaged(
      path,
      "weights.bin does not match model.json (size or checksum): the model is damaged",
    );
  }
  const weights = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const net = new YotoNet(json.spec.net, new Rng(json.seed));
  const shapes = net.all().map((v) => v.shape.join("x")).join(",");
  if (shapes !== json.weights.shapes.map((s) => s.join("x")).join(",")) {
    net.dispose();
    throw damaged(file, `shapes do not fit the network of spec.net (${shapes})`, "weights.shapes");
  }
  let offset = 0;
  tf.tidy(() => {
    net.all().forEach((v, i) => {
      const size = json.weights.shapes[i].reduce((a, b) => a * b, 1);
      v.assign(tf.tensor(weights.slice(offset, offset + size), json.weights.shapes[i]));
      offset += size;
    });
  });
  const scores = weights.slice(offset, offset + json.weights.scores);
  const { rank: _rank, ...panelJson } = json.panel;
  const panel: Panel = { ...panelJson, scores: panelJson.scores.map((s) => s ?? Infinity) };
  return new YotoModel(json.spec, net, scores, panel, await readMetrics(dir));
}

/**
 * metrics.json's text: what the caller stored (the CLI's test scores) first, then the training
 * record in snake_case and the epochs run; the history goes to history.json.
 */
function metricsJson({ history, bestEpoch, trainSeconds, nTrain, nVal, ...given }: YotoMetrics) {
  const training = renamed({ nTrain, nVal, bestEpoch, trainSeconds }, METRIC_NAMES);
  return JSON.stringify({ ...given, ...training, epochs: history.length }, null, 1) + "\n";
}

/**
 * A model directory's metrics.json and history.json as YotoMetrics. They are informative only:
 * missing or unreadable, they count as unrecorded. A model saved before history.json existed
 * keeps its history (and camelCase keys) in metrics.json.
 */
async function readMetrics(dir: string): Promise<YotoMetrics> {
  const read = async (name: string) => {
    try {
      const bytes = await readRegularFile(join(dir, name), MAX_JSON_BYTES);
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
  };
  const json = await read("metrics.json");
  const { history: older, epochs: _epochs, ...stored } = isObject(json) ? json : {};
  const history = (await read("history.json")) ?? older;
  return {
    ...NO_METRICS,
    ...renamed(stored, inverse(METRIC_NAMES)),
    history: Array.isArray(history)
      ? history.map((r) => renamed(r, inverse(EPOCH_NAMES)) as unknown as EpochRecord)
      : [],
  };
}
