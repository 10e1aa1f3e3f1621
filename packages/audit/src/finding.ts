/**
 * What an audit says about a feed: findings (severity, evidence, what to ask the vendor)
 * and, for each attack of the TUF threat model and the 3CX build-machine case, whether an
 * attacker who controls the update server could carry it out.
 */
import type { FindingId } from "./finding-ids.js";

/** The JSON schema identifier of `bulwark audit --json`; bumped on any incompatible change. */
export const AUDIT_SCHEMA = "bulwark.dev/audit@v1";

/** How bad a finding is, from the point of view of an organisation installing the vendor's updates. */
export type Severity = "critical" | "high" | "medium" | "low" | "info";

/** Severities from worst to least. */
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

/** One thing the audit found. */
export interface Finding {
  /** Stable identifier, such as `tuf.root.single-key`: the same problem keeps its ID across versions. */
  readonly id: string;
  readonly severity: Severity;
  /** One sentence: what is wrong (or, for `info`, what is so). */
  readonly title: string;
  /** The exact field, line or attribute the finding rests on. */
  readonly evidence: string;
  /** What to ask the vendor; empty for purely informational findings. */
  readonly ask: string;
  /** What the finding is about when one feed can have several of them (a role, an enclosure URL). */
  readonly subject?: string;
}

/** The feed types an audit recognises. */
export type FeedType = "tuf" | "bulwark" | "electron-updater" | "sparkle" | "squirrel-windows" | "unknown";

/** The attacks of the TUF threat model, and the 3CX case. */
export const ATTACKS = {
  "arbitrary-install": "arbitrary install: make clients install code of the attacker's choice",
  rollback: "rollback: make clients install an older, known-vulnerable release",
  freeze: "freeze: keep clients on what they have, hiding new (security) releases",
  "mix-and-match": "mix-and-match: serve a combination of files that never existed together",
  "endless-data": "endless data: exhaust clients' disk or memory with an endless download",
  "targeted-release": "targeted release: serve a malicious release to chosen victims only, unseen by others",
  "build-machine": "build machine (3CX): a trojan built on the vendor's compromised build machine, validly signed",
} as const;

/** One of {@link ATTACKS}. */
export type Attack = keyof typeof ATTACKS;

/**
 * Whether the attack works: `possible` for an attacker who controls the server (or, for
 * `build-machine`, the vendor's build machine); `limited` when bounded (in time, or to
 * what the vendor already signed); `prevented` when the feed's design stops it;
 * `unknown` when the feed does not tell.
 */
export type Verdict = "possible" | "limited" | "prevented" | "unknown";

/** The verdict on one attack, with the reason in plain words. */
export interface AttackVerdict {
  readonly attack: Attack;
  readonly verdict: Verdict;
  readonly detail: string;
}

/** What one feed-type auditor produces. */
export interface FeedAudit {
  readonly type: FeedType;
  /** A few facts about the feed for the report (platform, versions, key types ...), as strings. */
  readonly facts: ReadonlyArray<readonly [string, string]>;
  readonly findings: readonly Finding[];
  readonly attacks: readonly AttackVerdict[];
}

/** A finding, with empty `ask` for `info` unless given; `id` must be one the docs list ({@link FindingId}). */
export function finding(
  id: FindingId,
  severity: Severity,
  title: string,
  evidence: string,
  ask = "",
  subject?: string,
): Finding {
  return subject === undefined
    ? { id, severity, title, evidence, ask }
    : { id, severity, title, evidence, ask, subject };
}

/** Every attack judged `unknown` (a feed that could not be read). */
export function allUnknown(detail: string): AttackVerdict[] {
  return (Object.keys(ATTACKS) as Attack[]).map((attack) => ({ attack, verdict: "unknown", detail }));
}

/** Sorts findings worst first, keeping the auditor's order within a severity. */
export function bySeverity(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
}
