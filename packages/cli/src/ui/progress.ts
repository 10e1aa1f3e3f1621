/**
 * Progress on stderr for work that can take seconds (hashing, copying): bytes done, per
 * cent and rate. On a terminal a bar redrawn in place at most every 100 ms; forced where
 * stderr is not a terminal (`--progress`, BULWARK_PROGRESS=1: CI logs, scripts, tests), one
 * line at the start, at most one a second, and one at the end. See {@link progressMode}.
 */

/** How progress is shown: a bar redrawn in place, plain lines, or not at all. */
export type ProgressMode = "bar" | "lines" | "off";

/** Lines mode writes at most one line this often (a bar redraws every 100 ms). */
const LINE_EVERY_MS = 1000;
const BAR_EVERY_MS = 100;

/**
 * The progress mode of one run: forced (`--progress` or BULWARK_PROGRESS=1) shows progress
 * even with `--json` or `--quiet` (stdout stays the JSON document: progress is on stderr);
 * otherwise only on a terminal, and never with `--json` or `--quiet`.
 */
export function progressMode(
  stderr: { isTTY?: boolean },
  options: { forced: boolean; json: boolean; quiet: boolean },
): ProgressMode {
  const tty = stderr.isTTY === true;
  if (options.forced) return tty ? "bar" : "lines";
  return tty && !options.json && !options.quiet ? "bar" : "off";
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** One file's (or one step's) progress. */
export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly mode: ProgressMode;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly label: string,
    private readonly total: number,
    mode: ProgressMode,
  ) {
    this.mode = total > 0 ? mode : "off";
    if (this.mode === "lines") this.writeLine();
  }

  /** Adds `n` units of work done. */
  tick(n: number): void {
    this.done += n;
    const now = Date.now();
    if (this.mode === "bar" && now - this.lastDraw >= BAR_EVERY_MS) {
      this.lastDraw = now;
      this.drawBar();
    } else if (this.mode === "lines" && now - this.lastDraw >= LINE_EVERY_MS) {
      this.writeLine();
    }
  }

  private status(): string {
    const ratio = Math.min(1, this.done / this.total);
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    return `${(ratio * 100).toFixed(0).padStart(3)}% ${mib(this.done)} of ${mib(this.total)}, ${mib(rate)}/s`;
  }

  private writeLine(): void {
    this.lastDraw = Date.now();
    this.stream.write(`${this.label}: ${this.status()}\n`);
  }

  private drawBar(): void {
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - this.label.length - 50));
    const filled = Math.round(Math.min(1, this.done / this.total) * width);
    this.stream.write(`\r${this.label} [${"█".repeat(filled)}${"░".repeat(width - filled)}] ${this.status()}`);
  }

  /** Clears the bar, or writes the last line. */
  finish(): void {
    if (this.mode === "bar") this.stream.write(`\r${" ".repeat(Math.max(0, (this.stream.columns ?? 80) - 1))}\r`);
    else if (this.mode === "lines") this.writeLine();
  }
}

/**
 * A running count on stderr for work whose total is not known ahead (files inside nested
 * archives): `label: 1,204 files, 310.2 MiB`. Only drawn on a terminal; at most every 100 ms.
 */
export class Counter {
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    enabled = true,
  ) {
    this.enabled = enabled && stream.isTTY === true;
  }

  /** Shows `label` with the counts so far. */
  update(label: string, files: number, bytes: number): void {
    const now = Date.now();
    if (!this.enabled || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.stream.write(`\r${label}: ${files.toLocaleString("en")} files, ${(bytes / 2 ** 20).toFixed(1)} MiB   `);
  }

  /** Clears the line. */
  finish(): void {
    if (this.enabled) this.stream.write(`\r${" ".repeat(Math.max(0, (this.stream.columns ?? 80) - 1))}\r`);
  }
}
