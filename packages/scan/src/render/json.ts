/** `--format json`: the report as versioned JSON (`schema` is {@link SCAN_SCHEMA}). */
import type { ScanReport } from "../report.js";

/** The report as pretty-printed JSON, one trailing newline. */
export function renderJson(report: ScanReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
