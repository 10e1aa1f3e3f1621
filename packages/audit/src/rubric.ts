/**
 * The grading rubric of `bulwark audit` (documented in docs/audit.md). A grade says how far
 * an attacker who controls the vendor's update server, or one of its machines, gets:
 *
 * | grade | rule |
 * |---|---|
 * | F | any critical finding (the server can make clients install code of its choice), or a feed that cannot be read, was refused at a bound, or is not recognised |
 * | D | three or more high findings, or two high and at least one medium |
 * | C | two high findings, or one high with at least one medium |
 * | B | one high finding alone, or medium findings only |
 * | A | low and info findings only |
 */
import type { Finding, Severity } from "./finding.js";

/** A letter grade, best first. */
export type Grade = "A" | "B" | "C" | "D" | "F";

/** Grades from best to worst. */
export const GRADES: readonly Grade[] = ["A", "B", "C", "D", "F"];

/** The finding IDs of a feed that could not be read at all: graded F, as nothing in it can be vouched for. */
export const UNREADABLE = "feed.unreadable";
/** A feed whose XML declares a DTD or entities: refused, never expanded. */
export const ENTITY_REFUSED = "feed.entity-expansion-refused";
/** A feed refused at one of the reader's bounds (size, nesting, nodes, aliases): never read further. */
export const LIMIT_EXCEEDED = "feed.limit-exceeded";
/** A feed of no type the audit knows. */
export const UNRECOGNISED = "feed.unrecognised";
const NOTHING_VOUCHED_FOR: ReadonlySet<string> = new Set([UNREADABLE, ENTITY_REFUSED, LIMIT_EXCEEDED, UNRECOGNISED]);

/** How many findings there are of each severity. */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** The grade of a list of findings, by the rubric above. */
export function grade(findings: readonly Finding[]): Grade {
  const n = countBySeverity(findings);
  if (n.critical > 0 || findings.some((f) => NOTHING_VOUCHED_FOR.has(f.id))) return "F";
  if (n.high >= 3 || (n.high === 2 && n.medium >= 1)) return "D";
  if (n.high === 2 || (n.high === 1 && n.medium >= 1)) return "C";
  if (n.high === 1 || n.medium > 0) return "B";
  return "A";
}

/** True when grade `a` is worse than `b`. */
export function worse(a: Grade, b: Grade): boolean {
  return GRADES.indexOf(a) > GRADES.indexOf(b);
}
