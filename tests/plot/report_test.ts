import { assertEquals } from "../_assert.ts";
import { Buffer } from "node:buffer";
import { simulate } from "../../lib/data/simulate.ts";
import { splitDataset, stratifiedSplit } from "../../lib/data/split.ts";
import { escapeHtml, type Report, reportHtml, trainReport } from "../../lib/plot/report.ts";
import { initBackend } from "../../lib/runtime/backend.ts";
import { yotoSelector } from "../../lib/select/yoto/selector.ts";

const NASTY = `<script>alert("x")</script> & 'q'`;

/** The SVG texts of the page's data: images, decoded. */
function images(html: string): string[] {
  return [...html.matchAll(/<img alt="[^"]*" src="data:image\/svg\+xml;base64,([^"]+)">/g)]
    .map((m) => Buffer.from(m[1], "base64").toString("utf8"));
}

Deno.test("reportHtml: every text escaped, sections, tables and figures laid out", () => {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>${
    escapeHtml(NASTY)
  }</text></svg>`;
  const report: Report = {
    title: `panel ${NASTY}`,
    facts: [[`data ${NASTY}`, `/tmp/${NASTY}.h5ad`]],
    sections: [
      {
        title: `Panel ${NASTY}`,
        notes: [`note ${NASTY}`],
        tables: [{ title: NASTY, header: ["gene", "score"], rows: [[NASTY, "0.5"], ["A", "–"]] }],
      },
      { title: "Figures", figures: [{ name: "dot_a", title: `dots ${NASTY}`, svg }] },
    ],
  };
  const html = reportHtml(report);
  // The one tag-like thing a user text can become is its escaped form.
  assertEquals(html.includes("<script"), false);
  assertEquals(html.includes(`"x"`), false);
  assertEquals(html.includes("'q'"), false);
  const escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;";
  // title, h1, fact name and value, section title and its nav link, note, caption, cell,
  // figure caption and alt text
  assertEquals(html.split(escaped).length - 1, 11);
  assertEquals(html.includes(`<section id="s1"><h2>Panel ${escaped}</h2>`), true);
  assertEquals(html.includes(`<section id="s2"><h2>Figures</h2>`), true);
  assertEquals(html.includes(`<a href="#s2">Figures</a>`), true);
  assertEquals(html.includes(`<td class="n">0.5</td>`), true, "numbers right-aligned");
  assertEquals(html.includes(`<td class="n">–</td>`), true);
  assertEquals(html.includes(`<figure id="fig-dot_a">`), true);
  assertEquals(images(html), [svg], "the SVG travels intact");
  assertEquals(html.includes("Content-Security-Policy"), true);
  assertEquals(/(?:src|href)="(?!data:|#)/.test(html), false, "nothing to fetch");
});

Deno.test("trainReport: a YOTO fit's panel, metrics, per-class table and figures", async () => {
  await initBackend("wasm");
  const sim = simulate({ nCells: 300, nGenes: 60, seed: 3 }).dataset;
  const { codes, categories } = sim.categorical("cell_type");
  // A class name that must be escaped everywhere it is shown.
  const odd = categories.map((c, i) => (i === 0 ? `${c} <naive & "memory">` : c));
  const ds = sim.withObs("cell_type", { kind: "categorical", codes, categories: odd })
    .withObs("depth", { kind: "numeric", values: Float64Array.from(codes, (c) => 2 * c + 1) });
  const parts = splitDataset(ds, stratifiedSplit(ds.categorical("cell_type").codes, { seed: 0 }));
  const fitted = await yotoSelector({ epochs: 2, hidden: [8] }).fit(parts.train, {
    k: 4,
    tasks: ["cell_type", "condition", "depth"],
    candidates: 40,
    quiet: true,
    validation: parts.val,
  });
  try {
    const report = await trainReport({
      fitted,
      test: parts.test,
      predictions: fitted.predict!(parts.test),
      data: "sim.arrow",
      parts,
    });
    assertEquals(report.sections.map((s) => s.title), [
      "Panel: 4 genes",
      "Test metrics per task",
      "Per-class metrics: cell_type",
      "Per-class metrics: condition",
      "Dot plot",
      "Gene scores",
      "Training",
    ]);
    const [panel, metrics, perClass] = report.sections;
    assertEquals(panel.tables![0].rows.map((r) => r[0]), fitted.panel.genes);
    assertEquals(metrics.tables![0].rows.map((r) => r[0]), ["cell_type", "condition", "depth"]);
    const [, , depth] = metrics.tables![0].rows;
    assertEquals(depth.slice(1, 5), ["regression", "–", "–", "–"]);
    assertEquals(Number.isFinite(Number(depth[5])) && Number(depth[6]) > 0, true, depth.join());
    assertEquals(perClass.tables![0].rows.map((r) => r[0]), odd, "every class, none unseen");
    const figures = report.sections.flatMap((s) => s.figures ?? []).map((f) => f.name);
    assertEquals(figures, [
      "confusion_cell_type",
      "confusion_condition",
      "dotplot_cell_type",
      "dotplot_condition",
      "scores",
      "training",
    ]);
    const html = reportHtml(report);
    assertEquals(html.includes(odd[0]), false);
    assertEquals(html.includes(escapeHtml(odd[0])), true);
    const svgs = images(html);
    assertEquals(svgs.length, figures.length);
    for (const svg of svgs) assertEquals(svg.startsWith("<svg"), true);
  } finally {
    fitted.dispose();
  }
});
