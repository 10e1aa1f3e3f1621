/**
 * Everything the CLI prints goes through here: results on stdout (a table, lines, or one
 * JSON document with `--json`), progress and notes on stderr, colour only on a terminal.
 */
import { painter, textTable } from "@bulwark/audit";
import type { ProgressMode } from "./progress.js";

export interface OutputStreams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export class Output {
  readonly json: boolean;
  readonly color: boolean;

  constructor(
    readonly streams: OutputStreams,
    options: { json: boolean; color?: boolean; quiet?: boolean; progress?: ProgressMode },
  ) {
    this.json = options.json;
    this.color = options.color ?? (streams.stdout.isTTY === true && !("NO_COLOR" in process.env));
    this.quiet = options.quiet ?? false;
    this.progress = options.progress ?? "off";
  }

  readonly quiet: boolean;
  /** How progress is shown on stderr this run (see ui/progress.ts). */
  readonly progress: ProgressMode;

  /** A line of the human-readable result (suppressed with `--json`). */
  line(text = ""): void {
    if (!this.json) this.streams.stdout.write(`${text}\n`);
  }

  /** A note on stderr: progress, warnings, hints. */
  note(text: string): void {
    if (!this.quiet) this.streams.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.streams.stderr.write(`${this.paint(33, "warning:")} ${text}\n`);
  }

  /** The one JSON document of a `--json` run. */
  result(data: unknown): void {
    if (this.json) this.streams.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  }

  /** A table with a header row; columns sized to their content (the audit report's own layout). */
  table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
    if (this.json) return;
    for (const line of textTable(headers, rows, { color: this.color })) this.line(line);
  }

  /** `text` in ANSI style `code` (1 bold, 31 red, 32 green, 33 yellow) on a colour terminal. */
  paint(code: number, text: string): string {
    return painter(this).paint(code, text);
  }

  ok(text: string): string {
    return painter(this).ok(text);
  }

  bad(text: string): string {
    return painter(this).bad(text);
  }
}
