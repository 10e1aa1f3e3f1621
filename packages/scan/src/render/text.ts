/**
 * `--format text`: the report for a person at a terminal. The verdict first, then every
 * finding above info, worst first, each with its file, why and evidence; info findings
 * (files added, changed, removed) are counted by id, not listed.
 */
import type { Evidence, Finding } from "../finding.js";
import type { ReleaseSummary, ScanReport } from "../report.js";

function summary(label: string, r: ReleaseSummary): string {
  const hash = r.sha256 === undefined ? "" : `, sha256 ${r.sha256.slice(0, 16)}…`;
  return `${label} ${r.path}: ${r.files} files, ${r.bytes} bytes${hash}`;
}

function evidenceLines(evidence: Evidence): string[] {
  return Object.entries(evidence).map(([key, value]) => {
    const text = Array.isArray(value) ? value.join(", ") : String(value);
    return `      ${key}: ${text}`;
  });
}

function findingLines(f: Finding): string[] {
  return [`  ${f.severity.toUpperCase().padEnd(8)} ${f.id}  ${f.file}`, `      ${f.why}`, ...evidenceLines(f.evidence)];
}

/** The report as lines of text, one trailing newline. */
export function renderText(report: ScanReport): string {
  const lines: string[] = [];
  lines.push(`verdict: ${report.verdict.toUpperCase()}`);
  lines.push(summary("release", report.release));
  if (report.previous !== undefined) lines.push(summary("previous", report.previous));
  const { layers } = report;
  const ran = [
    ...(layers.diff ? ["diff"] : []),
    ...(layers.signature ? ["signature"] : []),
    ...(layers.intel ? [`intel (${layers.intel.indicators} indicators)`] : []),
    ...(layers.yara ? [`yara (${layers.yara.rules} rules)`] : []),
    ...(layers.sbom ? [`sbom (${layers.sbom.components} components)`] : []),
  ];
  lines.push(`layers: ${ran.join(", ") || "none"}`);
  const counts = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  lines.push(`findings: ${counts.join(", ") || "none"}`);
  const shown = report.findings.filter((f) => f.severity !== "info");
  if (shown.length > 0) lines.push("");
  for (const f of shown) lines.push(...findingLines(f));
  const info = new Map<string, number>();
  for (const f of report.findings) if (f.severity === "info") info.set(f.id, (info.get(f.id) ?? 0) + 1);
  if (info.size > 0) {
    lines.push("", `  info (listed with --format json): ${[...info].map(([id, n]) => `${id} ×${n}`).join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}
