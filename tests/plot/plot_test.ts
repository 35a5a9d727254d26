import { assertClose, assertEquals } from "../_assert.ts";
import * as vega from "vega";
import { mimeBundle, show, toPng, toSvg, VEGALITE_MIME } from "../../lib/plot/render.ts";
import { confusionMatrixSpec } from "../../lib/plot/confusion.ts";
import { saturationSpec } from "../../lib/plot/saturation.ts";
import { trainingCurveSpec } from "../../lib/plot/training.ts";
import type { EpochRecord } from "../../lib/select/yoto/model.ts";

const history: EpochRecord[] = [1, 2, 3].map((epoch) => ({
  epoch,
  steps: epoch * 10,
  tau: 1 / epoch,
  loss: { cell_type: 1 / epoch, condition: 0.5 / epoch },
  val: { cell_type: 0.3 * epoch, condition: 0.2 + 0.2 * epoch },
  monitor: 0.3 * epoch,
  valLoss: 1 / epoch,
  maskMass: 0.25 * epoch,
  seconds: 1,
}));

Deno.test("training-curve spec holds one point per epoch and series, values untouched", () => {
  const spec = trainingCurveSpec(history);
  const values =
    (spec.data as { values: { epoch: number; series: string; value: number }[] }).values;
  assertEquals(values.length, 9);
  assertEquals(
    new Set(values.map((v) => v.series)),
    new Set(["validation cell_type", "validation condition", "mask mass on panel"]),
  );
  assertEquals(
    values.find((v) => v.epoch === 2 && v.series === "validation condition")!.value,
    0.6000000000000001,
  );
});

Deno.test("toSvg renders the training curves with axis titles and full legend labels", async () => {
  const svg = await toSvg(trainingCurveSpec(history, "demo"));
  assertEquals(svg.startsWith("<svg"), true);
  for (
    const text of [
      "epoch",
      "validation cell_type",
      "validation condition",
      "mask mass on panel",
      "demo",
    ]
  ) {
    assertEquals(svg.includes(text), true, text);
  }
});

Deno.test("toPng rasterises the SVG at twice its size, with text drawn (font loaded)", async () => {
  const spec = trainingCurveSpec(history);
  const svg = await toSvg(spec);
  const [w, h] = ["width", "height"].map((a) => Number(svg.match(new RegExp(`${a}="(\\d+)"`))![1]));
  const png = await toPng(spec);
  assertEquals(Array.from(png.subarray(1, 4)), [0x50, 0x4e, 0x47]);
  const view = new DataView(png.buffer, png.byteOffset);
  assertEquals([view.getUint32(16), view.getUint32(20)], [2 * w, 2 * h]);
  // Text alone vs no text on the same canvas: without a usable font both would be blank.
  const text = (t: string) => ({
    width: 200,
    height: 50,
    data: { values: [{ t }] },
    mark: { type: "text", fontSize: 30 },
    encoding: { text: { field: "t" } },
  });
  const [withText, empty] = await Promise.all([toPng(text("CD3E")), toPng(text(""))]);
  assertEquals(withText.length > empty.length + 200, true);
});

Deno.test("text is measured with DejaVu Sans advance widths, so long labels are not cut", async () => {
  await toSvg(trainingCurveSpec(history)); // installs the measurement
  const width = (vega as unknown as {
    textMetrics: { width: (item: Record<string, unknown>, text: string) => number };
  }).textMetrics.width;
  // DejaVu Sans: digits 1303/2048 em, space 651/2048 em; bold digits are wider
  assertClose(width({ fontSize: 10 }, "0000"), 40 * 1303 / 2048, 1e-4);
  assertClose(width({ fontSize: 20 }, " 0 "), 20 * 1303 / 2048, 1e-4); // trimmed, as vega does
  assertEquals(
    width({ fontSize: 10, fontWeight: "bold" }, "0000") > width({ fontSize: 10 }, "0000"),
    true,
  );
  assertEquals(width({ fontSize: 10, limit: 20 }, "0000"), 20);
  // Drawn in full (vega's 0.8 em guess would cut it at 400 px); beyond the limit, cut with "…".
  const name = "CD14+ classical monocytes, interferon-stimulated, donor 4";
  const long = "x".repeat(120);
  const svg = await toSvg(
    confusionMatrixSpec([Int32Array.of(1, 0), Int32Array.of(0, 1)], [name, long]),
  );
  assertEquals(svg.includes(`>${name}<`), true);
  assertEquals(svg.includes(`>${long}<`), false);
  assertEquals(svg.includes(`>${"x".repeat(50)}`) && svg.includes("x…<"), true);
});

Deno.test("show: a Jupyter display object whose bundle holds vega-lite 5, SVG, PNG and text", async () => {
  const spec = trainingCurveSpec(history, "demo");
  const shown = show(spec);
  const bundle = await shown[Symbol.for("Jupyter.display")]();
  assertEquals(
    Object.keys(bundle).sort(),
    ["image/png", "image/svg+xml", VEGALITE_MIME, "text/plain"].sort(),
  );
  assertEquals(VEGALITE_MIME, "application/vnd.vegalite.v5+json");
  const vl = bundle[VEGALITE_MIME] as Record<string, unknown>;
  assertEquals(vl.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  assertEquals(vl.data, spec.data);
  assertEquals(spec.$schema, "https://vega.github.io/schema/vega-lite/v6.json"); // not mutated
  const svg = bundle["image/svg+xml"] as string;
  assertEquals(svg, await toSvg(spec));
  const png = Uint8Array.from(atob(bundle["image/png"] as string), (c) => c.charCodeAt(0));
  assertEquals(Array.from(png.subarray(1, 4)), [0x50, 0x4e, 0x47]);
  const view = new DataView(png.buffer);
  const w = Number(svg.match(/width="(\d+)"/)![1]);
  assertEquals(view.getUint32(16), 2 * w); // 2x by default: sharp on high-density screens
  assertEquals(bundle["text/plain"], "[figure: demo]");
  const small = await mimeBundle(spec, { png: false });
  assertEquals("image/png" in small, false);
  const one = await mimeBundle(spec, { pngScale: 1 });
  const onePng = Uint8Array.from(atob(one["image/png"] as string), (c) => c.charCodeAt(0));
  assertEquals(new DataView(onePng.buffer).getUint32(16), w);
});

Deno.test("saturation spec: one band and line per scheme, a rule, ring and label per saturation point", async () => {
  const points = ["random", "geosketch"].flatMap((scheme, j) =>
    [0.01, 0.1, 1].map((fraction) => ({ scheme, fraction, mean: 0.5 + fraction / 3, sd: 0.02 * j }))
  );
  const spec = saturationSpec(
    points,
    [
      { scheme: "random", fraction: 0.1 },
      { scheme: "geosketch", fraction: null },
    ],
    "micro-F1",
    "study",
    0.9,
  );
  const layers = spec.layer as {
    data?: { values: Record<string, unknown>[] };
    mark: { type: string };
  }[];
  assertEquals(layers.map((l) => l.mark.type), ["area", "line", "rule", "point", "text", "text"]);
  const values = (spec.data as { values: { lo: number; hi: number; mean: number }[] }).values;
  assertEquals(values.length, 6);
  assertClose(values[4].hi - values[4].lo, 0.04, 1e-12);
  // Only the scheme that saturates gets a rule, a ring at its curve's mean and a label.
  assertEquals(layers[2].data!.values.map((v) => [v.scheme, v.fraction]), [["random", 0.1]]);
  assertClose(layers[3].data!.values[0].mean as number, 0.5 + 0.1 / 3, 1e-12);
  assertEquals(layers[4].data!.values.map((v) => v.label), ["random: 10%"]);
  assertEquals(layers[5].data!.values, []);
  const svg = await toSvg(spec);
  for (
    const text of [
      "random: 10%",
      "100%",
      "geosketch",
      "exceeds 90% of the best run (none for geosketch)",
    ]
  ) {
    assertEquals(svg.includes(text), true, text);
  }
});
