/**
 * What a scan says about a release: findings with a stable id, a severity, the file, the
 * evidence and a one-line why; and a verdict (`clean`, `review`, `block`).
 *
 * This module is the contract between the scan layers (release diff, code signatures,
 * threat intelligence, YARA, SBOM): each layer returns {@link Finding}s and nothing else.
 */

/** The JSON schema identifier of `bulwark scan --format json`; bumped on any incompatible change. */
export const SCAN_SCHEMA = "bulwark.dev/scan@v1";

/** How bad a finding is. */
export type Severity = "critical" | "high" | "medium" | "low" | "info";

/** Severities from worst to least. */
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

/** The layer that produced a finding. */
export type Layer = "diff" | "signature" | "intel" | "yara" | "sbom" | "format";

/**
 * Evidence: the exact facts a finding rests on, as a flat record a person can read and a
 * tool can match (offsets as numbers, hashes as lowercase hex, an indicator as found).
 */
export type Evidence = Readonly<Record<string, string | number | boolean | readonly string[]>>;

/** One thing a scan found. */
export interface Finding {
  /** Stable identifier, such as `signature.pe.cert-table-appended-data`: the same problem keeps its id. */
  readonly id: string;
  readonly severity: Severity;
  readonly layer: Layer;
  /**
   * The file inside the release, `/`-separated; a file inside a nested archive is named
   * through it with `!/` (`resources/app.asar!/node_modules/x/index.js`).
   */
  readonly file: string;
  /** One line: why this matters. */
  readonly why: string;
  readonly evidence: Evidence;
}

/** The scan's overall conclusion. */
export type ScanVerdict = "clean" | "review" | "block";

/** Compares severities: negative when `a` is worse than `b`. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b);
}
