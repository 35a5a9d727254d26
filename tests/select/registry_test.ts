import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { simulate } from "../../lib/data/simulate.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { OptionError } from "../../lib/runtime/errors.ts";
import {
  DEFAULT_METHOD,
  loadSelector,
  SELECTOR_NAMES,
  selectorEntry,
  SELECTORS,
} from "../../lib/select/registry.ts";

await initBackend("wasm");

Deno.test("registry: every method loads under its own name; YOTO is one of them", async () => {
  assert.deepEqual(SELECTOR_NAMES.slice(0, 2), ["yoto", "yoto_multitask"]);
  assert.ok(SELECTOR_NAMES.includes(DEFAULT_METHOD));
  for (const name of SELECTOR_NAMES) {
    const selector = await loadSelector(name);
    assert.equal(selector.name, name);
    assert.equal(typeof selector.fit, "function");
  }
  assert.deepEqual(
    SELECTOR_NAMES.filter((m) => SELECTORS[m].tasks === "all"),
    ["yoto_multitask"],
  );
  assert.deepEqual(
    SELECTOR_NAMES.filter((m) => SELECTORS[m].predicts),
    ["yoto", "yoto_multitask"],
  );
});

Deno.test("registry: unknown names and misplaced YOTO options are one-line OptionErrors", async () => {
  assert.throws(() => selectorEntry("lasso"), OptionError);
  assert.throws(() => loadSelector("lasso"), /no panel method 'lasso'.*/);
  assert.throws(() => loadSelector("hvg", { epochs: 3 }), OptionError);
  assert.equal((await loadSelector("yoto", { epochs: 3 })).needs, "labels");
});

Deno.test("registry: `predicts` says which fits have their own heads", async () => {
  const { dataset } = simulate({ nCells: 200, nGenes: 60, seed: 2 });
  const options = { k: 4, tasks: ["cell_type"], candidates: 40, seed: 0, quiet: true };
  const before = tf.memory().numTensors;
  for (const name of ["yoto", "random", "markers"]) {
    const selector = await loadSelector(
      name,
      SELECTORS[name].yotoOptions ? { epochs: 2, hidden: [8] } : undefined,
    );
    const fitted = await selector.fit(dataset, options);
    try {
      assert.equal(fitted.panel.genes.length, 4);
      assert.equal(fitted.predict !== undefined, SELECTORS[name].predicts, name);
      if (fitted.predict) {
        const [pred] = fitted.predict(dataset);
        assert.equal(pred.task, "cell_type");
        assert.equal(pred.labels!.length, dataset.nCells);
        assert.ok(fitted.training!.epochs >= 1 && typeof fitted.save === "function");
      }
    } finally {
      fitted.dispose();
    }
  }
  // dispose frees the model's tensors
  assert.equal(tf.memory().numTensors, before);
});
