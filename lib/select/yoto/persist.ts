/**
 * Saving and loading YOTO models. A model is a directory: `model.json` (spec, panel, tasks and
 * classes, input transform learned on train, backend, seed, versions, weight manifest with a
 * SHA-256), `weights.bin` (float32), `panel.csv` and `metrics.json`. Saving writes a temporary
 * directory and renames it into place, so a crash never leaves a loadable half model; loading
 * checks the weights' size and checksum.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { dirname } from "node:path";
import { FileFormatError, OptionError } from "../../runtime/errors.ts";
import { Rng } from "../../runtime/rng.ts";
import { type Panel, panelToCsv } from "../panel.ts";
import { NO_METRICS, type YotoMetrics, YotoModel, type YotoSpec } from "./model.ts";
import { YotoNet } from "./net.ts";

/** Format tag written to and required in model.json. */
export const MODEL_FORMAT = "yoto.model/1";

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

/**
 * Save a model to `dir` (created or replaced as a whole).
 *
 * @example
 * ```ts
 * import { simulate } from "../../data/simulate.ts";
 * import { fitYoto } from "./train.ts";
 * const { dataset } = simulate({ nCells: 200, nGenes: 60, seed: 1 });
 * const model = await fitYoto(dataset, { k: 4, tasks: ["cell_type"], candidates: 60, epochs: 2, quiet: true });
 * const dir = `${await Deno.makeTempDir()}/model`;
 * await saveYoto(model, dir);
 * const back = await loadYoto(dir);
 * console.assert(back.panel.genes.join() === model.panel.genes.join());
 * model.dispose();
 * back.dispose();
 * ```
 */
export async function saveYoto(model: YotoModel, dir: string): Promise<void> {
  const parentIsDir = await Deno.stat(dirname(dir)).then((st) => st.isDirectory, () => false);
  if (!parentIsDir) {
    throw new OptionError(`cannot save: the parent folder of '${dir}' does not exist`, {
      field: "out",
      fix: "create the parent folder first",
    });
  }
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
  const tag = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const tmp = `${dir}.tmp-${tag}`, old = `${dir}.old-${tag}`;
  try {
    await Deno.mkdir(tmp);
    await Deno.writeFile(`${tmp}/weights.bin`, bytes);
    await Deno.writeTextFile(`${tmp}/panel.csv`, panelToCsv(model.panel));
    await Deno.writeTextFile(`${tmp}/metrics.json`, JSON.stringify(model.metrics, null, 1) + "\n");
    await Deno.writeTextFile(`${tmp}/model.json`, JSON.stringify(json, null, 1) + "\n");
    const exists = await Deno.stat(dir).then(() => true, () => false);
    if (exists) await Deno.rename(dir, old);
    await Deno.rename(tmp, dir);
    if (exists) await Deno.remove(old, { recursive: true });
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw err;
  }
}

/** Load a model saved by {@link saveYoto}; FileFormatError for anything missing or damaged. */
export async function loadYoto(dir: string): Promise<YotoModel> {
  await tf.ready(); // a backend must be up; initBackend() chooses one, else tfjs's default
  let json: ModelJson;
  try {
    json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  } catch (err) {
    throw new FileFormatError(`no readable model.json (${(err as Error).message})`, {
      file: dir,
      fix: "pass a directory written by `yoto train` or saveYoto",
    });
  }
  if (json.format !== MODEL_FORMAT) {
    throw new FileFormatError(
      `model format '${json.format}', this version reads '${MODEL_FORMAT}'`,
      {
        file: `${dir}/model.json`,
        fix: "retrain the model with this version",
      },
    );
  }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(`${dir}/${json.weights.file}`);
  } catch (err) {
    throw new FileFormatError(`weights missing (${(err as Error).message})`, {
      file: dir,
      fix: "save the model again",
    });
  }
  if (bytes.byteLength !== json.weights.bytes || (await sha256(bytes)) !== json.weights.sha256) {
    throw new FileFormatError(
      "weights.bin does not match model.json (size or checksum): the model is damaged",
      {
        file: `${dir}/weights.bin`,
        fix: "save or train the model again",
      },
    );
  }
  const weights = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const net = new YotoNet(json.spec.net, new Rng(json.seed));
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
  let metrics: YotoMetrics = { ...NO_METRICS, history: [] };
  try {
    metrics = { ...metrics, ...JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`)) };
  } catch { /* metrics are informative only */ }
  return new YotoModel(json.spec, net, scores, panel, metrics);
}
