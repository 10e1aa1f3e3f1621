/**
 * A progress bar on stderr for work that can take seconds (hashing, copying). Only drawn
 * on a terminal and never with `--json`; redrawn at most every 100 ms.
 */
export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly enabled: boolean;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly label: string,
    private readonly total: number,
    enabled = true,
  ) {
    this.enabled = enabled && stream.isTTY === true && total > 0;
  }

  /** Adds `n` units of work done. */
  tick(n: number): void {
    this.done += n;
    const now = Date.now();
    if (this.enabled && now - this.lastDraw >= 100) {
      this.lastDraw = now;
      this.draw();
    }
  }

  private draw(): void {
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - this.label.length - 30));
    const ratio = Math.min(1, this.done / this.total);
    const filled = Math.round(ratio * width);
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? this.done / secs / 2 ** 20 : 0;
    this.stream.write(
      `\r${this.label} [${"█".repeat(filled)}${"░".repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${rate.toFixed(1)} MiB/s`,
    );
  }

  /** Clears the bar. */
  finish(): void {
    if (this.enabled) this.stream.write(`\r${" ".repeat(Math.max(0, (this.stream.columns ?? 80) - 1))}\r`);
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
