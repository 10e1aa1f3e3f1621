/** The result of a scan, as the renderers print it and `--format json` writes it. */
import {
  compareSeverity,
  type Finding,
  type SCAN_SCHEMA,
  type ScanVerdict,
  SEVERITIES,
  type Severity,
} from "./finding.js";

/** A release as the report names it. */
export interface ReleaseSummary {
  /** The path given on the command line. */
  readonly path: string;
  /** sha256 of the file (absent for a folder). */
  readonly sha256?: string;
  /** Files inside, nested archives' files included. */
  readonly files: number;
  /** Bytes of file content walked. */
  readonly bytes: number;
}

/** What ran: each layer that was configured, and what it had to work with. */
export interface LayersRun {
  readonly diff: boolean;
  readonly signature: boolean;
  readonly intel?: { readonly sources: number; readonly indicators: number };
  readonly yara?: { readonly rules: number };
  readonly sbom?: { readonly components: number; readonly advisories?: number };
}

/** One scan's result. */
export interface ScanReport {
  readonly schema: typeof SCAN_SCHEMA;
  readonly verdict: ScanVerdict;
  readonly release: ReleaseSummary;
  readonly previous?: ReleaseSummary;
  readonly layers: LayersRun;
  /** Findings per severity. */
  readonly counts: Readonly<Record<Severity, number>>;
  /** Worst first, then by id and file. */
  readonly findings: readonly Finding[];
  readonly durationMs: number;
}

/** Findings worst first, then by id, then by file: a stable order for output and diffs of output. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      compareSeverity(a.severity, b.severity) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0),
  );
}

/** How many findings of each severity. */
export function countFindings(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}
