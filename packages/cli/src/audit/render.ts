/**
 * The human forms of an audit report: a terminal layout (facts, findings worst first with
 * evidence and the question for the vendor, then the attacker table) and Markdown for a
 * ticket or a wiki page.
 */
import type { Output } from "../ui/output.js";
import { ATTACKS, type AttackVerdict, type Finding, SEVERITIES } from "./finding.js";
import type { AuditReport } from "./report.js";

const TYPE_NAMES: Readonly<Record<string, string>> = {
  tuf: "TUF repository",
  bulwark: "Bulwark repository",
  "electron-updater": "electron-updater feed",
  sparkle: "Sparkle appcast",
  "squirrel-windows": "Squirrel.Windows RELEASES",
  unknown: "unknown feed",
};

/** The attack's short name, as the table shows it. */
export function attackName(a: AttackVerdict): string {
  return ATTACKS[a.attack].split(":")[0] as string;
}

function heading(r: AuditReport): string {
  return `${r.vendor ? `${r.vendor}: ` : ""}${TYPE_NAMES[r.feed.type] ?? r.feed.type} at ${r.source.input}`;
}

function counts(r: AuditReport): string {
  return SEVERITIES.map((s) => `${r.counts[s]} ${s}`).join(", ");
}

/** Prints `r` for a terminal. */
export function printReport(r: AuditReport, out: Output): void {
  const paintGrade = (g: string) =>
    g === "A" || g === "B" ? out.ok(g) : g === "F" || g === "D" ? out.bad(g) : out.paint(33, g);
  out.line(heading(r));
  out.line(`Grade ${paintGrade(r.grade)}  (${counts(r)})`);
  out.line("");
  out.table(
    ["fact", "value"],
    r.feed.facts.map((f) => [f.name, f.value]),
  );
  out.line("");
  out.line(out.paint(1, "Findings, worst first"));
  for (const f of r.findings) printFinding(f, out);
  out.line("");
  out.line(out.paint(1, "An attacker who controls this server can …"));
  out.table(
    ["attack", "verdict", "why"],
    r.attacks.map((a) => [attackName(a), a.verdict, a.detail]),
  );
  out.line("");
  out.line(r.summary);
}

function printFinding(f: Finding, out: Output): void {
  const label = f.severity.toUpperCase().padEnd(8);
  const painted =
    f.severity === "critical" || f.severity === "high"
      ? out.bad(label)
      : f.severity === "medium"
        ? out.paint(33, label)
        : label;
  out.line(`  ${painted} ${f.title}`);
  out.line(`           [${f.id}] evidence: ${f.evidence}`);
  if (f.ask !== "") out.line(`           ask the vendor: ${f.ask}`);
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The report as Markdown. */
export function reportMarkdown(r: AuditReport): string {
  const lines = [
    `# Update feed audit: ${cell(heading(r))}`,
    "",
    `**Grade ${r.grade}** (${counts(r)}), audited ${r.auditedAt} with bulwark ${r.tool.version}.`,
    "",
    "| fact | value |",
    "|---|---|",
    ...r.feed.facts.map((f) => `| ${cell(f.name)} | ${cell(f.value)} |`),
    "",
    "## Findings",
    "",
    "| severity | finding | evidence | ask the vendor |",
    "|---|---|---|---|",
    ...r.findings.map(
      (f) => `| ${f.severity} | ${cell(f.title)} (\`${f.id}\`) | ${cell(f.evidence)} | ${cell(f.ask)} |`,
    ),
    "",
    "## An attacker who controls this server can …",
    "",
    "| attack | verdict | why |",
    "|---|---|---|",
    ...r.attacks.map((a) => `| ${attackName(a)} | ${a.verdict} | ${cell(a.detail)} |`),
    "",
    r.summary,
    "",
  ];
  return lines.join("\n");
}
