import { assertEquals } from "../_assert.ts";
import { toPng, toSvg } from "../../lib/plot/render.ts";
import { trainingCurveSpec } from "../../lib/plot/specs.ts";
import type { EpochRecord } from "../../lib/select/yoto/train.ts";

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
