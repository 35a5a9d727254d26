/**
 * Rendering vega-lite specs: SVG through vega's headless renderer, PNG by rasterising that SVG
 * with resvg (WebAssembly) and the DejaVu Sans font from npm, so output is the same on every
 * machine and needs no system fonts.
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
// The JSON import makes Deno install the font package, whose .ttf files are read by path.
import _fontPackage from "dejavu-fonts-ttf/package.json" with { type: "json" };
import type { VegaLiteSpec } from "./specs.ts";

/**
 * Render a vega-lite spec to an SVG string.
 *
 * @example
 * ```ts
 * const svg = await toSvg({ data: { values: [{ x: 1, y: 2 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } });
 * console.assert(svg.startsWith("<svg"));
 * ```
 */
export async function toSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

let fonts: Promise<Uint8Array[]> | null = null;

/** Load resvg's WebAssembly and the fonts once per process. */
function resvgReady(): Promise<Uint8Array[]> {
  fonts ??= (async () => {
    const wasm = new URL(import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm"));
    await initWasm(await Deno.readFile(wasm));
    const pkg = import.meta.resolve("dejavu-fonts-ttf/package.json");
    return await Promise.all(
      ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) => Deno.readFile(new URL(`ttf/${f}`, pkg))),
    );
  })();
  return fonts;
}

/**
 * Render a vega-lite spec to PNG bytes at `scale` times its pixel size (default 2, for print).
 *
 * @example
 * ```ts
 * const png = await toPng({ data: { values: [{ x: 1, y: 2 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" } } });
 * console.assert(png[1] === 0x50 && png[2] === 0x4e && png[3] === 0x47); // "PNG"
 * ```
 */
export async function toPng(spec: VegaLiteSpec, scale = 2): Promise<Uint8Array> {
  const fontBuffers = await resvgReady();
  const svg = await toSvg(spec);
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: {
      fontBuffers,
      loadSystemFonts: false,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  try {
    const image = resvg.render();
    const png = image.asPng();
    image.free();
    return png;
  } finally {
    resvg.free();
  }
}
