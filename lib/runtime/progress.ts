/**
 * Progress reporting for long work, to stderr. On a terminal a bar redrawn in place; elsewhere
 * (logs, notebooks) a plain line at most every few seconds; nothing at all with `quiet`.
 * @module
 */

/** Options shared by everything that reports progress. */
export interface ProgressOptions {
  /** Print nothing. */
  quiet?: boolean;
  /** Seconds between plain lines when stderr is not a terminal (default 5). */
  lineEverySeconds?: number;
}

const encoder = new TextEncoder();

function stderrIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - 60 * m)).padStart(2, "0")}s`;
}

/** A progress counter over `total` units of work. */
export class Progress {
  #done = 0;
  /** Seconds of work the ticks reported; null while none did. */
  #workSeconds: number | null = null;
  readonly #start = performance.now();
  #lastDraw = this.#start;
  /** Units done at the last line drawn; -1 before any. */
  #drawnAt = -1;
  readonly #tty = stderrIsTerminal();

  constructor(
    readonly label: string,
    readonly total: number,
    readonly options: ProgressOptions = {},
  ) {}

  /** Units done so far. */
  get done(): number {
    return this.#done;
  }

  /**
   * Record `n` more units done; redraws at most every 100 ms (terminal) or few seconds. Given
   * `seconds`, the time these units' own work took, the ETA extrapolates from those seconds
   * alone, so that set-up outside the units (loading, preparing) does not count as their work.
   */
  tick(n = 1, note = "", seconds?: number): void {
    this.#done = Math.min(this.total, this.#done + n);
    if (seconds !== undefined) this.#workSeconds = (this.#workSeconds ?? 0) + seconds;
    const now = performance.now();
    const every = this.#tty ? 100 : 1000 * (this.options.lineEverySeconds ?? 5);
    // Reaching 100% redraws a bar at once; off a terminal finish() prints the last line.
    if ((this.#done < this.total || !this.#tty) && now - this.#lastDraw < every) return;
    this.#lastDraw = now;
    this.#draw(note);
  }

  /** Print a line of its own (e.g. one per epoch), above the bar on a terminal. */
  log(line: string): void {
    if (this.options.quiet) return;
    write((this.#tty ? "\r\x1b[K" : "") + line + "\n");
  }

  /** Finish: complete the bar and end its line. */
  finish(note = ""): void {
    this.#done = this.total;
    // Off a terminal, work that ended before its first line was due stays silent, and a last
    // line already at 100% is not printed twice.
    if (!this.#tty && (this.#drawnAt < 0 || this.#drawnAt === this.total)) return;
    this.#draw(note);
    if (this.#tty && !this.options.quiet) write("\n");
  }

  #draw(note: string): void {
    if (this.options.quiet) return;
    this.#drawnAt = this.#done;
    const elapsed = (performance.now() - this.#start) / 1000;
    const frac = this.total > 0 ? this.#done / this.total : 1;
    const eta = frac > 0 ? (this.#workSeconds ?? elapsed) * (1 - frac) / frac : Infinity;
    const pct = `${(100 * frac).toFixed(0).padStart(3)}%`;
    const times = `${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)}`;
    if (this.#tty) {
      const width = 24, filled = Math.round(width * frac);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      write(`\r\x1b[K${this.label} [${bar}] ${pct} ${times}${note ? " " + note : ""}`);
    } else {
      write(
        `${this.label}: ${this.#done}/${this.total} (${pct.trim()}) ${times}${
          note ? " " + note : ""
        }\n`,
      );
    }
  }
}

function write(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}
