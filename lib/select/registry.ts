/**
 * Every panel method by name, YOTO included, loaded lazily (each pulls in its own dependencies).
 * The benchmark, the saturation and label-free studies loop over this table; what differs between
 * methods is data on their entries, never a test of their names.
 * @module
 */
import { OptionError } from "../runtime/errors.ts";
import type { Selector } from "./panel.ts";
import type { YotoOptions } from "./yoto/train.ts";

/** One method of the registry. */
export interface SelectorEntry {
  /**
   * Which label columns one fit of a label-learning method reads: "each" = one fit per task;
   * "all" = one fit on every label column at once (with a single label that is the "each" fit,
   * so studies skip it there). Methods that learn from the data alone ignore it.
   */
  tasks: "each" | "all";
  /** Its fits predict the tasks ({@link Fitted.predict}): tables name that classifier "own". */
  predicts: boolean;
  /**
   * It trains with YOTO's options: the benchmark config's `yoto`, the saturation study's epochs,
   * and `reconstruct: true` to select without labels.
   */
  yotoOptions: boolean;
  /** The selector, with YOTO's options when it takes them. */
  load(options?: Partial<YotoOptions>): Promise<Selector>;
}

const baseline = (load: () => Promise<Selector>): SelectorEntry => ({
  tasks: "each",
  predicts: false,
  yotoOptions: false,
  load,
});

const yoto = (tasks: SelectorEntry["tasks"], name: string): SelectorEntry => ({
  tasks,
  predicts: true,
  yotoOptions: true,
  load: async (options) => ({
    ...(await import("./yoto/selector.ts")).yotoSelector(options),
    name,
  }),
});

/** The methods by name, in table order: YOTO first, then the baselines. */
export const SELECTORS: Readonly<Record<string, SelectorEntry>> = {
  // YOTO per task, and YOTO with every label of the dataset in one model (one shared panel).
  yoto: yoto("each", "yoto"),
  yoto_multitask: yoto("all", "yoto_multitask"),
  random: baseline(async () => (await import("./random.ts")).randomSelector()),
  hvg: baseline(async () => (await import("./hvg.ts")).hvgSelector("seurat")),
  hvg_cell_ranger: baseline(async () => (await import("./hvg.ts")).hvgSelector("cell_ranger")),
  hvg_seurat_v3: baseline(async () => (await import("./hvg.ts")).hvgSelector("seurat_v3")),
  markers: baseline(async () => (await import("./markers.ts")).markersSelector()),
  markers_wilcoxon: baseline(async () =>
    (await import("./markers.ts")).markersSelector({ method: "wilcoxon" })
  ),
  l1: baseline(async () => (await import("./l1.ts")).l1Selector()),
  l1_balanced: baseline(async () =>
    (await import("./l1.ts")).l1Selector({ classWeight: "balanced" })
  ),
  stg: baseline(async () => (await import("./stg.ts")).stgSelector()),
  cae: baseline(async () => (await import("./cae.ts")).caeSelector()),
  cae_sup: baseline(async () => (await import("./cae.ts")).caeSelector({ supervised: true })),
  persist: baseline(async () => (await import("./persist.ts")).persistSelector()),
  persist_recon: baseline(async () =>
    (await import("./persist.ts")).persistSelector({ supervised: false })
  ),
};

/** Every method name a config or CLI may use. */
export const SELECTOR_NAMES: string[] = Object.keys(SELECTORS);

/** The method a study runs when none is named: the product's own. */
export const DEFAULT_METHOD = "yoto";

/**
 * The registry entry of a method name; OptionError naming the choices for any other name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(selectorEntry("yoto_multitask").tasks, "all");
 * assert.throws(() => selectorEntry("nope"), /no panel method 'nope'/);
 * ```
 */
export function selectorEntry(name: string): SelectorEntry {
  if (!Object.hasOwn(SELECTORS, name)) {
    throw new OptionError(`no panel method '${name}'`, {
      field: "method",
      fix: `choose among ${SELECTOR_NAMES.join(", ")}`,
    });
  }
  return SELECTORS[name];
}

/**
 * The selector of a method name, loaded on first use, with YOTO's options for the methods that
 * take them ({@link SelectorEntry.yotoOptions}; OptionError when given to another method).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal((await loadSelector("hvg")).needs, "data");
 * assert.equal((await loadSelector("yoto_multitask", { epochs: 3 })).name, "yoto_multitask");
 * ```
 */
export function loadSelector(name: string, options?: Partial<YotoOptions>): Promise<Selector> {
  const entry = selectorEntry(name);
  if (options && !entry.yotoOptions) {
    throw new OptionError(`method '${name}' takes no YOTO training options`, {
      field: "method",
      fix: "pass YOTO options only with a YOTO method",
    });
  }
  return entry.load(options);
}
