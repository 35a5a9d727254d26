/**
 * Rendering vega-lite specs: SVG through vega's headless renderer, with text measured in DejaVu
 * Sans; PNG by rasterising that SVG with resvg (WebAssembly) and the same font from npm, so
 * output is the same on every machine and needs no system fonts. Notebook display: `show`.
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
// The JSON import makes Deno install the font package, whose .ttf files are read by path.
import _fontPackage from "dejavu-fonts-ttf/package.json" with { type: "json" };

/** A vega-lite specification (top-level JSON object), as the figure builders return it. */
export type VegaLiteSpec = Record<string, unknown>;

/**
 * Render a vega-lite spec to an SVG string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toSvg } from "yoto";
 * const svg = await toSvg({ data: { values: [{ x: 1, y: 2 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } });
 * assert.ok(svg.startsWith("<svg"));
 * ```
 */
export async function toSvg(spec: VegaLiteSpec): Promise<string> {
  await fontsReady();
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

let fonts: Promise<Uint8Array[]> | null = null;
let resvg: Promise<void> | null = null;

/**
 * Read DejaVu Sans (regular, bold) once per process and make vega measure text with its advance
 * widths: without a canvas vega guesses 0.8 em per character, which cuts long labels short and
 * pads layouts. vega's `textMetrics.width` is the hook meant for this (vl-convert uses it).
 */
function fontsReady(): Promise<Uint8Array[]> {
  fonts ??= (async () => {
    const pkg = import.meta.resolve("dejavu-fonts-ttf/package.json");
    const buffers = await Promise.all(
      ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) => Deno.readFile(new URL(`ttf/${f}`, pkg))),
    );
    const [regular, bold] = buffers.map(advanceWidths);
    // Typed out: vega's type declarations leave textMetrics out.
    const metrics = (vega as unknown as { textMetrics: { width: TextWidth } }).textMetrics;
    metrics.width = (item, text) => {
      const size = item.fontSize != null ? +item.fontSize || 0 : 11;
      const table = isBold(item.fontWeight) ? bold : regular;
      let em = 0;
      for (const ch of text == null ? "" : String(text).trim()) {
        const c = ch.codePointAt(0)!;
        em += c < table.length ? table[c] : 1;
      }
      // vega truncates text longer than `limit`: its width is then at most the limit.
      return item.limit! > 0 ? Math.min(em * size, item.limit!) : em * size;
    };
    return buffers;
  })();
  return fonts;
}

/** Width in pixels of `text` drawn as vega text `item` (the fields it depends on). */
type TextWidth = (
  item: { fontSize?: number | string; fontWeight?: number | string; limit?: number },
  text: unknown,
) => number;

function isBold(weight: number | string | undefined): boolean {
  return weight === "bold" || weight === "bolder" || Number(weight) >= 600;
}

/**
 * Advance width in em of each Basic Multilingual Plane code point of a TrueType font, from its
 * `head`, `hhea`, `hmtx` and format-4 `cmap` tables (characters the font lacks get the width of
 * its missing-glyph box, as drawn).
 */
function advanceWidths(ttf: Uint8Array): Float32Array {
  const view = new DataView(ttf.buffer, ttf.byteOffset, ttf.byteLength);
  const tables = new Map<string, number>();
  for (let i = 0, n = view.getUint16(4); i < n; i++) {
    const at = 12 + 16 * i;
    tables.set(String.fromCharCode(...ttf.subarray(at, at + 4)), view.getUint32(at + 8));
  }
  const em = view.getUint16(tables.get("head")! + 18);
  const nMetrics = view.getUint16(tables.get("hhea")! + 34);
  const hmtx = tables.get("hmtx")!;
  const advance = (glyph: number) => view.getUint16(hmtx + 4 * Math.min(glyph, nMetrics - 1)) / em;
  const widths = new Float32Array(0x10000).fill(advance(0));
  const cmap = tables.get("cmap")!;
  let sub = -1;
  for (let i = 0, n = view.getUint16(cmap + 2); i < n; i++) {
    const platform = view.getUint16(cmap + 4 + 8 * i), encoding = view.getUint16(cmap + 6 + 8 * i);
    const at = cmap + view.getUint32(cmap + 8 + 8 * i);
    const unicode = (platform === 3 && encoding === 1) || platform === 0;
    if (unicode && view.getUint16(at) === 4) sub = at;
  }
  if (sub < 0) return widths;
  const segments = view.getUint16(sub + 6) / 2;
  const ends = sub + 14, starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments, rangeOffsets = deltas + 2 * segments;
  for (let s = 0; s < segments; s++) {
    const start = view.getUint16(starts + 2 * s), end = view.getUint16(ends + 2 * s);
    const delta = view.getUint16(deltas + 2 * s), range = view.getUint16(rangeOffsets + 2 * s);
    for (let c = start; c <= end && c < 0xffff; c++) {
      let glyph = 0;
      if (range === 0) glyph = (c + delta) & 0xffff;
      else {
        const g = view.getUint16(rangeOffsets + 2 * s + range + 2 * (c - start));
        if (g !== 0) glyph = (g + delta) & 0xffff;
      }
      widths[c] = advance(glyph);
    }
  }
  return widths;
}

/** resvg's WebAssembly and the fonts, once per process. */
async function resvgReady(): Promise<Uint8Array[]> {
  resvg ??= (async () => {
    const wasm = new URL(import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm"));
    await initWasm(await Deno.readFile(wasm));
  })();
  await resvg;
  return fontsReady();
}

/**
 * Render a vega-lite spec to PNG bytes at `scale` times its pixel size (default 2, for print).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toPng } from "yoto";
 * const png = await toPng({ data: { values: [{ x: 1, y: 2 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" } } });
 * assert.equal(png[1], 0x50);
 * assert.equal(png[2], 0x4e);
 * assert.equal(png[3], 0x47); // "PNG"
 * ```
 */
export async function toPng(spec: VegaLiteSpec, scale = 2): Promise<Uint8Array> {
  return svgToPng(await toSvg(spec), scale);
}

/** PNG bytes of an SVG from {@link toSvg} drawn at `scale` times its size (when both are wanted). */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const fontBuffers = await resvgReady();
  const renderer = new Resvg(svg, {
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
    const image = renderer.render();
    const png = image.asPng();
    image.free();
    return png;
  } finally {
    renderer.free();
  }
}

/**
 * MIME type of the interactive figure in notebooks. JupyterLab 4 (its vega5 extension) and VS
 * Code render vega-lite 5 and ignore MIME types they do not know, so the spec is offered as
 * vega-lite 5 (its `$schema` rewritten): the builders in lib/plot/ use nothing that vega-lite 6
 * added.
 */
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";
const VEGALITE5_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** Options of {@link mimeBundle} and {@link show}. */
export interface ShowOptions {
  /** Add a PNG (default true): for viewers without SVG or vega, e.g. PDF export. */
  png?: boolean;
  /**
   * PNG pixels per SVG pixel (default 2: sharp on high-density screens and in print; a viewer
   * that shows the PNG at its pixel size shows it twice as large, as Deno's kernel sends no
   * display size with a figure).
   */
  pngScale?: number;
}

/**
 * A Jupyter MIME bundle of a spec: the vega-lite spec (interactive where the frontend renders
 * vega-lite), SVG and base64 PNG fallbacks (classic notebook, nbconvert, GitHub), plain text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mimeBundle } from "./render.ts";
 * const bundle = await mimeBundle({ title: "t", data: { values: [{ x: 1 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" } } }, { png: false });
 * assert.ok((bundle["image/svg+xml"] as string).startsWith("<svg"));
 * assert.ok(!("image/png" in bundle));
 * ```
 */
export async function mimeBundle(
  spec: VegaLiteSpec,
  options: ShowOptions = {},
): Promise<Record<string, unknown>> {
  const svg = await toSvg(spec);
  const title = typeof spec.title === "string"
    ? spec.title
    : (spec.title as { text?: string } | undefined)?.text;
  const bundle: Record<string, unknown> = {
    [VEGALITE_MIME]: { ...spec, $schema: VEGALITE5_SCHEMA },
    "image/svg+xml": svg,
    "text/plain": `[figure${title ? `: ${title}` : ""}]`,
  };
  if (options.png ?? true) {
    bundle["image/png"] = base64(await svgToPng(svg, options.pngScale ?? 2));
  }
  return bundle;
}

/** Base64 text of bytes (chunked: String.fromCharCode takes a bounded argument list). */
function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** What the Deno Jupyter kernel displays: an object with a `Symbol.for("Jupyter.display")` method. */
export interface Displayable {
  [key: symbol]: () => Promise<Record<string, unknown>>;
}

/**
 * Show a spec in a Deno Jupyter notebook: make it the last expression of a cell (`show(spec)`),
 * or pass it to `Deno.jupyter.display`. Rendering happens when the kernel asks for the bundle
 * (see {@link mimeBundle}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { show } from "yoto";
 * const shown = show({ data: { values: [{ x: 1 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" } } });
 * const bundle = await shown[Symbol.for("Jupyter.display")]();
 * assert.ok("application/vnd.vegalite.v5+json" in bundle);
 * assert.ok("image/png" in bundle);
 * ```
 */
export function show(spec: VegaLiteSpec, options: ShowOptions = {}): Displayable {
  return { [Symbol.for("Jupyter.display")]: () => mimeBundle(spec, options) };
}

/**
 * Show Markdown text (e.g. a `markdownTable`) in a Deno Jupyter notebook: the last expression of
 * a cell, like {@link show}. Outside Jupyter the text is plain to read as well.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { showMarkdown } from "yoto";
 * const shown = showMarkdown("| a |\n|---|\n| 1 |");
 * const bundle = await shown[Symbol.for("Jupyter.display")]();
 * assert.equal(bundle["text/markdown"], "| a |\n|---|\n| 1 |");
 * ```
 */
export function showMarkdown(text: string): Displayable {
  return {
    [Symbol.for("Jupyter.display")]: () =>
      Promise.resolve({ "text/markdown": text, "text/plain": text }),
  };
}
