/**
 * The human forms of an audit report, as strings (the caller prints them): a terminal
 * layout (facts, findings worst first with evidence and the question for the vendor, then
 * the attacker table) and Markdown for a ticket or a wiki page.
 */
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

/** How text for a terminal is styled: ANSI colours, or none. */
export interface TextStyle {
  readonly color: boolean;
}

/** Text styling helpers: `paint(1, …)` bold, 31 red, 32 green, 33 yellow; plain without colour. */
export function painter(style: TextStyle) {
  const paint = (code: number, text: string) => (style.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { paint, ok: (text: string) => paint(32, text), bad: (text: string) => paint(31, text) };
}

/** A table with a header row (bold), columns sized to their content, two spaces apart. */
export function textTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  style: TextStyle,
): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [painter(style).paint(1, fmt(headers)), ...rows.map(fmt)];
}

/** `r` for a terminal, as lines joined by newlines (no trailing newline). */
export function reportText(r: AuditReport, style: TextStyle = { color: false }): string {
  const out = painter(style);
  const paintGrade = (g: string) =>
    g === "A" || g === "B" ? out.ok(g) : g === "F" || g === "D" ? out.bad(g) : out.paint(33, g);
  return [
    heading(r),
    `Grade ${paintGrade(r.grade)}  (${counts(r)})`,
    "",
    ...textTable(
      ["fact", "value"],
      r.feed.facts.map((f) => [f.name, f.value]),
      style,
    ),
    "",
    out.paint(1, "Findings, worst first"),
    ...r.findings.flatMap((f) => findingLines(f, style)),
    "",
    out.paint(1, "An attacker who controls this server can …"),
    ...textTable(
      ["attack", "verdict", "why"],
      r.attacks.map((a) => [attackName(a), a.verdict, a.detail]),
      style,
    ),
    "",
    r.summary,
  ].join("\n");
}

function findingLines(f: Finding, style: TextStyle): string[] {
  const out = painter(style);
  const label = f.severity.toUpperCase().padEnd(8);
  const painted =
    f.severity === "critical" || f.severity === "high"
      ? out.bad(label)
      : f.severity === "medium"
        ? out.paint(33, label)
        : label;
  return [
    `  ${painted} ${f.title}`,
    `           [${f.id}] evidence: ${f.evidence}`,
    ...(f.ask === "" ? [] : [`           ask the vendor: ${f.ask}`]),
  ];
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
