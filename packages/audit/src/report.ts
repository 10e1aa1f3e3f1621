/**
 * The audit report: the versioned JSON document `bulwark audit --json` prints (schema
 * `bulwark.dev/audit@v1`, documented in docs/audit.md), and its strict reader for
 * `bulwark audit --compare`.
 */
import { isJsonObject, type JsonValue, parseJson } from "@bulwark/tuf";
import { AuditInputError, INPUT_ERRORS } from "./errors.js";
import {
  ATTACKS,
  type Attack,
  type AttackVerdict,
  AUDIT_SCHEMA,
  bySeverity,
  type FeedAudit,
  type FeedType,
  type Finding,
  SEVERITIES,
  type Severity,
  type Verdict,
} from "./finding.js";
import { countBySeverity, GRADES, type Grade, grade } from "./rubric.js";

/** Where the audited bytes came from. */
export interface ReportSource {
  /** The argument as given. */
  readonly input: string;
  /** The URL or path finally read (after same-host redirects; a metadata folder for a repository). */
  readonly location: string;
  readonly redirects: readonly string[];
  /** SHA-256 of the feed document; null for a repository (many files). */
  readonly sha256: string | null;
}

/** `bulwark audit --json`, schema {@link AUDIT_SCHEMA}. */
export interface AuditReport {
  readonly schema: typeof AUDIT_SCHEMA;
  readonly tool: { readonly name: "bulwark"; readonly version: string };
  readonly auditedAt: string;
  readonly vendor: string | null;
  readonly source: ReportSource;
  readonly feed: {
    readonly type: FeedType;
    readonly facts: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  };
  readonly grade: Grade;
  readonly counts: Record<Severity, number>;
  readonly findings: readonly Finding[];
  readonly attacks: readonly AttackVerdict[];
  /** "An attacker who controls this server can …", in one paragraph. */
  readonly summary: string;
}

/** Assembles the report of one audit. */
export function buildReport(
  audit: FeedAudit,
  source: ReportSource,
  options: { vendor?: string | undefined; now: number; toolVersion: string },
): AuditReport {
  const findings = bySeverity(audit.findings);
  return {
    schema: AUDIT_SCHEMA,
    tool: { name: "bulwark", version: options.toolVersion },
    auditedAt: new Date(options.now).toISOString(),
    vendor: options.vendor ?? null,
    source,
    feed: { type: audit.type, facts: audit.facts.map(([name, value]) => ({ name, value })) },
    grade: grade(findings),
    counts: countBySeverity(findings),
    findings,
    attacks: audit.attacks,
    summary: summarise(audit.attacks),
  };
}

/** The attacker summary: what is possible, what is bounded, what is prevented; then the 3CX case. */
export function summarise(attacks: readonly AttackVerdict[]): string {
  const server = attacks.filter((a) => a.attack !== "build-machine");
  const names = (v: Verdict) => server.filter((a) => a.verdict === v).map((a) => a.attack.replaceAll("-", " "));
  const possible = names("possible");
  const limited = names("limited");
  const prevented = names("prevented");
  const unknown = names("unknown");
  const parts: string[] = [];
  if (possible.length > 0) parts.push(`An attacker who controls this server can carry out: ${possible.join(", ")}.`);
  else if (unknown.length < server.length)
    parts.push("An attacker who controls this server can carry out none of these attacks outright.");
  else parts.push("What an attacker who controls this server can do cannot be told from the feed.");
  if (limited.length > 0) parts.push(`Within limits: ${limited.join(", ")}.`);
  if (prevented.length > 0) parts.push(`Prevented: ${prevented.join(", ")}.`);
  if (unknown.length > 0 && unknown.length < server.length)
    parts.push(`Cannot be told from the feed: ${unknown.join(", ")}.`);
  const build = attacks.find((a) => a.attack === "build-machine");
  if (build !== undefined) {
    const verdict =
      build.verdict === "possible"
        ? "ships to every client"
        : build.verdict === "prevented"
          ? "is refused"
          : build.verdict === "limited"
            ? "is limited"
            : "cannot be judged";
    parts.push(`A trojan from the vendor's compromised build machine (3CX) ${verdict}: ${build.detail}.`);
  }
  return parts.join(" ");
}

function bad(file: string, what: string): never {
  throw new AuditInputError(
    INPUT_ERRORS.BAD_REPORT,
    `${file} is not a ${AUDIT_SCHEMA} report: ${what}`,
    "give two files written by `bulwark audit --format json` (or --json)",
  );
}

function text(o: Record<string, JsonValue>, key: string, file: string, where: string): string {
  const v = o[key];
  if (typeof v !== "string") bad(file, `${where}.${key} must be a string`);
  return v;
}

/**
 * Reads a report written by `bulwark audit --json`, strictly.
 * @throws {AuditInputError} `AUDIT_BAD_REPORT` naming the bad field.
 */
export function parseReport(bytes: Uint8Array, file: string): AuditReport {
  let json: JsonValue;
  try {
    json = parseJson(bytes);
  } catch (error) {
    return bad(file, (error as Error).message);
  }
  if (!isJsonObject(json)) return bad(file, "the top level must be an object");
  if (json.schema !== AUDIT_SCHEMA) return bad(file, `schema is ${JSON.stringify(json.schema ?? null)}`);
  const g = json.grade;
  if (typeof g !== "string" || !(GRADES as readonly string[]).includes(g)) bad(file, "grade must be A, B, C, D or F");
  const source = json.source;
  const feed = json.feed;
  if (!isJsonObject(source) || !isJsonObject(feed)) return bad(file, "source and feed must be objects");
  if (!Array.isArray(json.findings) || !Array.isArray(json.attacks))
    return bad(file, "findings and attacks must be arrays");
  const findings = json.findings.map((f, i): Finding => {
    const where = `findings[${i}]`;
    if (!isJsonObject(f)) return bad(file, `${where} must be an object`);
    const severity = text(f, "severity", file, where);
    if (!(SEVERITIES as readonly string[]).includes(severity)) bad(file, `${where}.severity is not a severity`);
    const subject = f.subject;
    return {
      id: text(f, "id", file, where),
      severity: severity as Severity,
      title: text(f, "title", file, where),
      evidence: text(f, "evidence", file, where),
      ask: text(f, "ask", file, where),
      ...(typeof subject === "string" ? { subject } : {}),
    };
  });
  const attacks = json.attacks.map((a, i): AttackVerdict => {
    const where = `attacks[${i}]`;
    if (!isJsonObject(a)) return bad(file, `${where} must be an object`);
    const attack = text(a, "attack", file, where);
    const verdict = text(a, "verdict", file, where);
    if (!Object.hasOwn(ATTACKS, attack)) bad(file, `${where}.attack ${JSON.stringify(attack)} is unknown`);
    if (!["possible", "limited", "prevented", "unknown"].includes(verdict)) bad(file, `${where}.verdict is unknown`);
    return { attack: attack as Attack, verdict: verdict as Verdict, detail: text(a, "detail", file, where) };
  });
  const facts = Array.isArray(feed.facts) ? feed.facts : [];
  return {
    schema: AUDIT_SCHEMA,
    tool: {
      name: "bulwark",
      version: isJsonObject(json.tool) && typeof json.tool.version === "string" ? json.tool.version : "?",
    },
    auditedAt: text(json, "auditedAt", file, "report"),
    vendor: typeof json.vendor === "string" ? json.vendor : null,
    source: {
      input: text(source, "input", file, "source"),
      location: text(source, "location", file, "source"),
      redirects: Array.isArray(source.redirects)
        ? source.redirects.filter((r): r is string => typeof r === "string")
        : [],
      sha256: typeof source.sha256 === "string" ? source.sha256 : null,
    },
    feed: {
      type: text(feed, "type", file, "feed") as FeedType,
      facts: facts.flatMap((f) =>
        isJsonObject(f) && typeof f.name === "string" && typeof f.value === "string"
          ? [{ name: f.name, value: f.value }]
          : [],
      ),
    },
    grade: g as Grade,
    counts: countBySeverity(findings),
    findings,
    attacks,
    summary: typeof json.summary === "string" ? json.summary : summarise(attacks),
  };
}
