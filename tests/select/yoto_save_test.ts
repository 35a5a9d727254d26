import { assertEquals, assertRejects } from "../_assert.ts";
import assert from "node:assert/strict";
import { simulate } from "../../lib/data/simulate.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { FileFormatError, OptionError } from "../../lib/runtime/errors.ts";
import { loadYoto, saveYoto } from "../../lib/select/yoto/save.ts";
import { fitYoto } from "../../lib/select/yoto/train.ts";
import { fitInput } from "../../lib/data/transform.ts";
import { fitLogistic } from "../../lib/nn/logistic.ts";
import { tempDir } from "../_shared.ts";

await initBackend("wasm");
const { dataset } = simulate({ nCells: 300, nGenes: 120, seed: 9 });
const model = await fitYoto(dataset, {
  k: 6,
  tasks: ["cell_type", "condition"],
  forceInclude: [dataset.genes[3]],
  candidates: 120,
  epochs: 3,
  quiet: true,
});

Deno.test("save then load gives the same panel, spec and identical predictions", async () => {
  const dir = `${await tempDir()}/m`;
  await saveYoto(model, dir);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "history.json",
    "metrics.json",
    "model.json",
    "panel.csv",
    "weights.bin",
  ]);
  const back = await loadYoto(dir);
  assertEquals(back.panel, model.panel);
  assertEquals(back.spec, JSON.parse(JSON.stringify(model.spec)));
  const a = model.predict(dataset), b = back.predict(dataset);
  assertEquals(
    b.map((p) => Array.from(p.probabilities!)),
    a.map((p) => Array.from(p.probabilities!)),
  );
  const csv = await Deno.readTextFile(`${dir}/panel.csv`);
  // the forced gene ranks first with score Infinity, then its statistics on the training cells
  assert.ok(csv.split("\n")[1].startsWith(`${model.panel.genes[0]},1,Infinity,`), csv);
  back.dispose();
});

Deno.test("metrics.json holds snake_case keys, history.json the epochs; both load back", async () => {
  const dir = `${await tempDir()}/m`;
  await saveYoto(model, dir);
  const metrics = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
  const { history, bestEpoch, trainSeconds, nTrain, nVal } = model.metrics;
  assertEquals(metrics, {
    n_train: nTrain,
    n_val: nVal,
    best_epoch: bestEpoch,
    train_seconds: trainSeconds,
    epochs: 3,
  });
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/history.json`));
  assertEquals(saved.length, 3);
  assertEquals(Object.keys(saved[0]), [
    "epoch",
    "steps",
    "tau",
    "loss",
    "val",
    "monitor",
    "val_loss",
    "mask_mass",
    "seconds",
    "step_seconds",
  ]);
  assertEquals(saved[2].val_loss, history[2].valLoss);
  const back = await loadYoto(dir);
  assertEquals(back.metrics, JSON.parse(JSON.stringify(model.metrics)));
  back.dispose();
});

Deno.test("a model saved before history.json (history and camelCase keys in metrics.json) loads", async () => {
  const dir = `${await tempDir()}/m`;
  await saveYoto(model, dir);
  await Deno.remove(`${dir}/history.json`);
  const { history, bestEpoch, trainSeconds, nTrain, nVal } = model.metrics;
  const older = { history, bestEpoch, trainSeconds, nTrain, nVal, train_seconds: trainSeconds };
  await Deno.writeTextFile(`${dir}/metrics.json`, JSON.stringify(older));
  const back = await loadYoto(dir);
  assertEquals(back.metrics, JSON.parse(JSON.stringify(model.metrics)));
  // saved again, it takes the new layout
  await saveYoto(back, `${dir}2`);
  assertEquals("history" in JSON.parse(await Deno.readTextFile(`${dir}2/metrics.json`)), false);
  assertEquals(JSON.parse(await Deno.readTextFile(`${dir}2/history.json`)).length, history.length);
  back.dispose();
});

Deno.test("saving over a model replaces it whole and leaves no temporary folders", async () => {
  const root = await tempDir();
  await saveYoto(model, `${root}/m`);
  await saveYoto(model, `${root}/m`);
  assertEquals([...Deno.readDirSync(root)].map((e) => e.name), ["m"]);
  (await loadYoto(`${root}/m`)).dispose();
});

Deno.test("damaged or missing models are FileFormatErrors; a failed save leaves nothing", async () => {
  const root = await tempDir();
  await saveYoto(model, `${root}/m`);
  const weights = await Deno.readFile(`${root}/m/weights.bin`);
  await Deno.writeFile(`${root}/m/weights.bin`, weights.subarray(0, weights.length - 8));
  await assertRejects(() => loadYoto(`${root}/m`), FileFormatError);
  weights[0] ^= 0xff;
  await Deno.writeFile(`${root}/m/weights.bin`, weights);
  await assertRejects(() => loadYoto(`${root}/m`), FileFormatError);
  await assertRejects(() => loadYoto(`${root}/nothing`), FileFormatError);
  await assertRejects(() => saveYoto(model, `${root}/m/weights.bin`), OptionError);
  assertEquals([...Deno.readDirSync(root)].map((e) => e.name), ["m"]);
});

Deno.test("logistic heads: predict = logistic regression refitted on the panel; saved and checked on load", async () => {
  const withHeads = await fitYoto(dataset, {
    k: 6,
    tasks: ["cell_type", "condition"],
    candidates: 120,
    epochs: 3,
    heads: "logistic",
    quiet: true,
  });
  // independently: the LR evaluator's input and model on the same panel and training cells
  const { x } = fitInput(dataset, withHeads.panel.genes, { normalize: "panel" });
  const predicted = withHeads.predict(dataset);
  withHeads.tasks.forEach((task, t) => {
    const y = dataset.codesIn(task.name, task.classes!);
    const lr = fitLogistic(x, dataset.nCells, 6, y, task.classes!.length);
    assertEquals(
      Array.from(predicted[t].probabilities!),
      Array.from(lr.predictProba(x, dataset.nCells)),
    );
  });
  const dir = `${await tempDir()}/m`;
  await saveYoto(withHeads, dir);
  const back = await loadYoto(dir);
  assertEquals(
    back.predict(dataset).map((p) => Array.from(p.probabilities!)),
    predicted.map((p) => Array.from(p.probabilities!)),
  );
  back.dispose();
  const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  json.spec.linearHeads.params.condition.pop();
  await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(json));
  const err = await assertRejects(() => loadYoto(dir), FileFormatError);
  assert.match(err.message, /spec\.linearHeads\.params\.condition/);
  withHeads.dispose();
});
