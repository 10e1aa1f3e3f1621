/**
 * Comparing two audits (`bulwark audit --compare A B`): what changed between two audits of the same vendor's feed:
 * the grade, findings added and removed, findings whose severity changed, and attack
 * verdicts that changed. Findings are matched by ID and subject, never by their wording
 * (evidence such as "364 days left" changes from one day to the next).
 */
import type { AttackVerdict, Finding, Severity, Verdict } from "./finding.js";
import { attackName, painter, type TextStyle } from "./render.js";
import type { AuditReport } from "./report.js";
import { type Grade, worse } from "./rubric.js";

/** The JSON schema identifier of `bulwark audit --compare --json`. */
export const COMPARE_SCHEMA = "bulwark.dev/audit-compare@v1";

/** What changed from `before` to `after`. */
export interface AuditComparison {
  readonly schema: typeof COMPARE_SCHEMA;
  readonly before: { readonly auditedAt: string; readonly grade: Grade; readonly location: string };
  readonly after: { readonly auditedAt: string; readonly grade: Grade; readonly location: string };
  readonly grade: "better" | "worse" | "same";
  readonly added: readonly Finding[];
  readonly removed: readonly Finding[];
  readonly changed: ReadonlyArray<{
    readonly id: string;
    readonly subject?: string;
    readonly before: Severity;
    readonly after: Severity;
  }>;
  readonly attacks: ReadonlyArray<{ readonly attack: string; readonly before: Verdict; readonly after: Verdict }>;
}

function keyed(findings: readonly Finding[]): Map<string, Finding> {
  const map = new Map<string, Finding>();
  for (const f of findings) {
    const base = `${f.id}\u0000${f.subject ?? ""}`;
    let key = base;
    for (let n = 2; map.has(key); n++) key = `${base}\u0000${n}`;
    map.set(key, f);
  }
  return map;
}

/** Compares two reports of the same feed. */
export function compareReports(before: AuditReport, after: AuditReport): AuditComparison {
  const a = keyed(before.findings);
  const b = keyed(after.findings);
  const added = [...b].filter(([k]) => !a.has(k)).map(([, f]) => f);
  const removed = [...a].filter(([k]) => !b.has(k)).map(([, f]) => f);
  const changed = [...b].flatMap(([k, f]) => {
    const old = a.get(k);
    if (old === undefined || old.severity === f.severity) return [];
    return [
      { id: f.id, ...(f.subject === undefined ? {} : { subject: f.subject }), before: old.severity, after: f.severity },
    ];
  });
  const verdicts = new Map<string, AttackVerdict>(before.attacks.map((v) => [v.attack, v]));
  const attacks = after.attacks.flatMap((v) => {
    const old = verdicts.get(v.attack);
    return old === undefined || old.verdict === v.verdict
      ? []
      : [{ attack: v.attack, before: old.verdict, after: v.verdict }];
  });
  const side = (r: AuditReport) => ({ auditedAt: r.auditedAt, grade: r.grade, location: r.source.location });
  return {
    schema: COMPARE_SCHEMA,
    before: side(before),
    after: side(after),
    grade: worse(after.grade, before.grade) ? "worse" : worse(before.grade, after.grade) ? "better" : "same",
    added,
    removed,
    changed,
    attacks,
  };
}

/** A comparison for a terminal, as lines joined by newlines (no trailing newline). */
export function comparisonText(c: AuditComparison, style: TextStyle = { color: false }): string {
  const out = painter(style);
  const arrow = c.grade === "worse" ? out.bad("worse") : c.grade === "better" ? out.ok("better") : "unchanged";
  const lines = [`Grade ${c.before.grade} → ${c.after.grade} (${arrow}), ${c.before.auditedAt} → ${c.after.auditedAt}`];
  if (c.before.location !== c.after.location)
    lines.push(`note: the two audits read different places: ${c.before.location}, ${c.after.location}`);
  const none = c.added.length + c.removed.length + c.changed.length + c.attacks.length === 0;
  if (none) {
    lines.push("No finding or attack verdict changed.");
    return lines.join("\n");
  }
  for (const f of c.added) lines.push(`  ${out.bad("+")} ${f.severity.padEnd(8)} ${f.title} [${f.id}]`);
  for (const f of c.removed) lines.push(`  ${out.ok("-")} ${f.severity.padEnd(8)} ${f.title} [${f.id}]`);
  for (const f of c.changed) lines.push(`  ~ ${f.id}${f.subject ? ` (${f.subject})` : ""}: ${f.before} → ${f.after}`);
  for (const v of c.attacks) {
    const name = attackName({ attack: v.attack as AttackVerdict["attack"], verdict: v.after, detail: "" });
    lines.push(`  ~ ${name}: ${v.before} → ${v.after}`);
  }
  return lines.join("\n");
}
