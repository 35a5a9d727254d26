/**
 * Rendering vega-lite specs: SVG through vega's headless renderer.
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
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
