/**
 * `--format sarif`: the report as SARIF 2.1.0 (OASIS), what code-scanning tools read. One
 * run; one rule per finding id (`runs[0].tool.driver.rules`), one result per finding with
 * its rule, level, message and location (the file inside the release as a relative URI).
 * The scan's own severity and evidence ride along in each result's `properties`, and the
 * verdict in the run's.
 */
import type { Finding, Severity } from "../finding.js";
import { findingHelp } from "../findings-help.js";
import type { ScanReport } from "../report.js";

/** The SARIF version written. */
export const SARIF_VERSION = "2.1.0";
/** The schema `$schema` points at. */
export const SARIF_SCHEMA_URI =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/** SARIF `level` of each severity. */
export const SARIF_LEVEL: Readonly<Record<Severity, "error" | "warning" | "note" | "none">> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "none",
};

/** A path inside the release as a relative URI reference: each segment percent-encoded, `/` and `!` kept. */
export function fileUri(file: string): string {
  return file
    .split("/")
    .map((segment) => encodeURIComponent(segment).replaceAll("%21", "!"))
    .join("/");
}

function rule(f: Finding) {
  return {
    id: f.id,
    name: f.id.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase()),
    shortDescription: { text: f.why },
    help: { text: findingHelp(f.id) ?? f.why },
    defaultConfiguration: { level: SARIF_LEVEL[f.severity] },
    properties: { layer: f.layer, tags: ["security", `bulwark-${f.layer}`] },
  };
}

/** The report as a SARIF 2.1.0 log (JSON text, one trailing newline). */
export function renderSarif(report: ScanReport, tool: { name: string; version: string }): string {
  const rules: ReturnType<typeof rule>[] = [];
  const index = new Map<string, number>();
  for (const f of report.findings) {
    if (index.has(f.id)) continue;
    index.set(f.id, rules.length);
    rules.push(rule(f));
  }
  const results = report.findings.map((f) => ({
    ruleId: f.id,
    ruleIndex: index.get(f.id) as number,
    level: SARIF_LEVEL[f.severity],
    message: { text: f.why },
    locations: [{ physicalLocation: { artifactLocation: { uri: fileUri(f.file), uriBaseId: "RELEASE" } } }],
    properties: { severity: f.severity, layer: f.layer, evidence: f.evidence },
  }));
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: SARIF_VERSION,
    runs: [
      {
        tool: { driver: { name: tool.name, version: tool.version, rules } },
        originalUriBaseIds: { RELEASE: { description: { text: `the files inside ${report.release.path}` } } },
        results,
        properties: { verdict: report.verdict, schema: report.schema },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
