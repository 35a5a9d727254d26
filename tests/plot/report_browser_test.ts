// report.html of `yoto train` and `yoto evaluate` opened in a real browser (headless Chromium,
// driven over the DevTools protocol): no script error, no console error, no request beyond the
// file itself, every figure decoded and of nonzero size; a full-page screenshot is taken.
// Skipped, with a note, where Chromium is absent (Debian: apt-get install chromium).
import { assertEquals } from "../_assert.ts";
import { writeArrow } from "../../lib/data/arrow.ts";
import { simulate } from "../../lib/data/simulate.ts";
import { runScript, tempDir } from "../_shared.ts";

const CHROMIUM = ["chromium", "chromium-browser", "google-chrome"].find((name) => {
  try {
    return new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
});
if (!CHROMIUM) console.log("note: chromium absent; the report.html browser test is skipped");

/** Seconds any one browser step may take before the test fails. */
const STEP_SECONDS = 60;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${STEP_SECONDS} s`)),
      STEP_SECONDS * 1000,
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A DevTools protocol connection: commands answered by id, events kept and awaited. */
class Cdp {
  #next = 0;
  #pending = new Map<number, { resolve: (r: CdpMessage) => void }>();
  #waiters: { method: string; resolve: (m: CdpMessage) => void }[] = [];
  events: CdpMessage[] = [];

  /** Settles when the socket closes, whoever closes it (Browser.close closes it from Chromium). */
  #closed: Promise<unknown>;

  private constructor(private ws: WebSocket) {
    this.#closed = new Promise((resolve) => (ws.onclose = resolve));
    ws.onmessage = (e) => {
      const m: CdpMessage = JSON.parse(e.data);
      if (m.id !== undefined) {
        this.#pending.get(m.id)?.resolve(m);
        this.#pending.delete(m.id);
        return;
      }
      this.events.push(m);
      this.#waiters = this.#waiters.filter((w) => w.method !== m.method || (w.resolve(m), false));
    };
  }

  static async open(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await within(
      new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
      }),
      "DevTools connection",
    );
    return new Cdp(ws);
  }

  async send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = ++this.#next;
    const answer = new Promise<CdpMessage>((resolve) => this.#pending.set(id, { resolve }));
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    const m = await within(answer, method);
    if (m.error) throw new Error(`${method}: ${m.error.message}`);
    return m.result!;
  }

  /** The next event `method` (registered before the command that causes it). */
  next(method: string): Promise<CdpMessage> {
    return within(new Promise((resolve) => this.#waiters.push({ method, resolve })), method);
  }

  async close(): Promise<void> {
    this.ws.close();
    await within(this.#closed, "DevTools close");
  }
}

/** What the page tells about itself once loaded. */
interface PageFacts {
  sections: string[];
  scripts: number;
  figures: { id: string; width: number; height: number; naturalWidth: number }[];
}

const FACTS = `JSON.stringify({
  sections: [...document.querySelectorAll("h2")].map((h) => h.textContent),
  scripts: document.scripts.length,
  figures: [...document.querySelectorAll("figure")].map((f) => {
    const img = f.querySelector("img"), box = img.getBoundingClientRect();
    return { id: f.id, width: box.width, height: box.height, naturalWidth: img.naturalWidth };
  }),
})`;

/**
 * Open `file` in headless Chromium; the page's facts, the problems seen while it loaded
 * (exceptions, console and log errors, requests other than the file and data: URLs), and a
 * full-page screenshot written to `png`.
 */
async function openInBrowser(
  file: string,
  png: string,
): Promise<{ facts: PageFacts; problems: string[] }> {
  const profile = await tempDir();
  const browser = new Deno.Command(CHROMIUM!, {
    args: [
      "--headless",
      "--no-sandbox", // as root (CI), Chromium refuses to start sandboxed
      "--disable-gpu",
      "--hide-scrollbars",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let cdp: Cdp | undefined;
  try {
    // Chromium names its DevTools address on stderr.
    let text = "";
    const decoder = new TextDecoder();
    const reader = browser.stderr.getReader();
    let url: string | undefined;
    while (!url) {
      const { value, done } = await within(reader.read(), "Chromium start");
      if (done) throw new Error(`Chromium exited: ${text}`);
      text += decoder.decode(value);
      url = /DevTools listening on (ws:\/\/\S+)/.exec(text)?.[1];
    }
    reader.releaseLock();
    browser.stderr.pipeTo(new WritableStream()); // drain, or Chromium blocks on a full pipe
    cdp = await Cdp.open(url);
    const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
    const s = sessionId as string;
    for (const domain of ["Page", "Runtime", "Log", "Network"]) {
      await cdp.send(`${domain}.enable`, {}, s);
    }
    await cdp.send("Emulation.setDeviceMetricsOverride", {
      width: 1300,
      height: 900,
      deviceScaleFactor: 1,
      mobile: false,
    }, s);
    const href = new URL(`file://${file}`).href;
    const loaded = cdp.next("Page.loadEventFired");
    await cdp.send("Page.navigate", { url: href }, s);
    await loaded;
    const evaluated = await cdp.send(
      "Runtime.evaluate",
      { expression: FACTS, returnByValue: true },
      s,
    );
    const facts: PageFacts = JSON.parse((evaluated.result as { value: string }).value);
    const metrics = await cdp.send("Page.getLayoutMetrics", {}, s);
    const size = metrics.cssContentSize as { width: number; height: number };
    const shot = await cdp.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 },
    }, s);
    await Deno.writeFile(png, Uint8Array.from(atob(shot.data as string), (c) => c.charCodeAt(0)));
    const problems: string[] = [];
    for (const e of cdp.events) {
      const p = e.params ?? {};
      if (e.method === "Runtime.exceptionThrown") problems.push(`exception: ${JSON.stringify(p)}`);
      if (e.method === "Runtime.consoleAPICalled" && p.type === "error") {
        problems.push(`console: ${JSON.stringify(p.args)}`);
      }
      const entry = p.entry as { level?: string; text?: string } | undefined;
      if (e.method === "Log.entryAdded" && entry?.level === "error") {
        problems.push(`log: ${entry.text}`);
      }
      const request = (p.request as { url?: string } | undefined)?.url;
      if (
        e.method === "Network.requestWillBeSent" && request !== href &&
        !request?.startsWith("data:")
      ) {
        problems.push(`request: ${request}`);
      }
    }
    await cdp.send("Browser.close").catch(() => {});
    return { facts, problems };
  } finally {
    await cdp?.close();
    try {
      browser.kill();
    } catch { /* already gone */ }
    await browser.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Asserts a loaded report: its sections, no problem, every figure drawn with a size. */
function assertReport(
  what: string,
  opened: { facts: PageFacts; problems: string[] },
  sections: string[],
  figures: number,
): void {
  const { facts, problems } = opened;
  assertEquals(problems, [], `${what}: ${problems.join("\n")}`);
  assertEquals(facts.scripts, 0, what);
  for (const s of sections) assertEquals(facts.sections.includes(s), true, `${what}: ${s}`);
  assertEquals(facts.figures.length, figures, `${what}: ${JSON.stringify(facts.figures)}`);
  for (const f of facts.figures) {
    assertEquals(f.naturalWidth > 0 && f.width > 50 && f.height > 50, true, JSON.stringify(f));
  }
}

Deno.test({
  name: "report.html of yoto train and yoto evaluate: rendered in Chromium, clean, figures sized",
  ignore: !CHROMIUM,
  fn: async () => {
    const dir = await tempDir();
    const sim = simulate({ nCells: 300, nGenes: 80, seed: 4 });
    const { codes, categories } = sim.dataset.categorical("cell_type");
    // Class names with markup characters: escaped in the tables, drawn in the SVG figures.
    const odd = categories.map((c, i) => (i === 0 ? `${c} <naive & "memory">` : c));
    const ds = sim.dataset.withObs("cell_type", { kind: "categorical", codes, categories: odd });
    await writeArrow(ds, `${dir}/sim.arrow`);
    const markers = Object.values(sim.truth.markers).flat();
    await Deno.writeTextFile(`${dir}/markers.txt`, markers.join("\n") + "\n");
    const data = ["--data", `${dir}/sim.arrow`, "--label", "cell_type"];
    const fast = ["--candidates", "60", "--backend", "wasm", "--quiet"];
    const trained = await runScript(
      "scripts/yoto.ts",
      "train",
      ...data,
      "--k",
      "5",
      "--epochs",
      "3",
      "--out",
      `${dir}/model`,
      ...fast,
    );
    assertEquals(trained.code, 0, trained.stderr);
    const evaluated = await runScript(
      "scripts/yoto.ts",
      "evaluate",
      "--panel",
      `${dir}/markers.txt`,
      "--model",
      `${dir}/model`,
      ...data,
      "--out",
      `${dir}/eval`,
      ...fast,
    );
    assertEquals(evaluated.code, 0, evaluated.stderr);

    const train = await openInBrowser(`${dir}/model/report.html`, `${dir}/train.png`);
    // confusion matrix, dot plot, gene scores, training curves
    assertReport("train", train, ["Panel: 5 genes", "Per-class metrics: cell_type", "Dot plot"], 4);
    const evaluation = await openInBrowser(`${dir}/eval/report.html`, `${dir}/evaluate.png`);
    // metric bars; per-class F1 of lr, knn and own; 2 confusion matrices; 2 dot plots; training
    assertReport("evaluate", evaluation, ["Panels side by side", "Panel genes"], 9);
    for (const png of ["train.png", "evaluate.png"]) {
      const bytes = await Deno.readFile(`${dir}/${png}`);
      assertEquals(bytes.length > 10_000 && bytes[1] === 0x50 && bytes[2] === 0x4e, true, png);
      console.log(`note: screenshot ${dir}/${png}`);
    }
  },
});
