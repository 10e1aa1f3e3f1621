/**
 * OSV advisories (the OSV schema, ossf.github.io/osv-schema): records are parsed into
 * types at load time, then matched against an SBOM's components. npm components match
 * `npm` advisories (`SEMVER` and `ECOSYSTEM` ranges evaluated with npm's `semver`, plus the
 * explicit `versions` list); native libraries match by name on `versions` lists and
 * `SEMVER` ranges only, since other ecosystems order versions their own way.
 */
import semver from "semver";
import { ScanFormatError } from "../errors.js";
import type { Finding, Severity } from "../finding.js";
import { field, isRecord, type JsonRecord, optionalArray, optionalString } from "../intel/json.js";
import type { Component } from "./component.js";
import { cvss3BaseScore, severityOfScore } from "./cvss.js";

/** One `ranges[].events[]` entry. */
export type OsvEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly lastAffected: string }
  | { readonly limit: string };

/** One `affected[]` entry, reduced to what matching needs. */
export interface OsvAffected {
  readonly ecosystem: string;
  readonly name: string;
  readonly ranges: readonly { readonly type: string; readonly events: readonly OsvEvent[] }[];
  readonly versions: ReadonlySet<string>;
  readonly severity: Severity | undefined;
}

/** An OSV record. */
export interface OsvAdvisory {
  readonly id: string;
  readonly modified: string;
  readonly aliases: readonly string[];
  readonly summary: string | undefined;
  readonly severity: Severity | undefined;
  readonly affected: readonly OsvAffected[];
  /** The file (or zip entry) it was read from. */
  readonly source: string;
}

/** Whether a parsed document looks like an OSV record (an `id` and `affected` or `modified`). */
export function isOsvRecord(doc: unknown): doc is JsonRecord {
  return (
    isRecord(doc) &&
    typeof field(doc, "id") === "string" &&
    typeof field(doc, "modified") === "string" &&
    (Array.isArray(field(doc, "affected")) || field(doc, "schema_version") !== undefined)
  );
}

function bad(file: string, message: string): never {
  throw new ScanFormatError("SCAN_BAD_OSV", `${file}: ${message}`, { file });
}

const GHSA_SEVERITY: Readonly<Record<string, Severity>> = {
  CRITICAL: "critical",
  HIGH: "high",
  MODERATE: "medium",
  MEDIUM: "medium",
  LOW: "low",
};

/** `database_specific.severity` (GitHub's words) first, then the worst CVSS v3 base score. */
function severityOf(obj: JsonRecord, where: string, file: string): Severity | undefined {
  const db = field(obj, "database_specific");
  const word = isRecord(db) ? field(db, "severity") : undefined;
  if (typeof word === "string" && GHSA_SEVERITY[word.toUpperCase()] !== undefined) {
    return GHSA_SEVERITY[word.toUpperCase()];
  }
  let worst: number | undefined;
  for (const s of optionalArray(obj, "severity", where, "SCAN_BAD_OSV", file)) {
    if (!isRecord(s)) bad(file, `${where}.severity holds a non-object`);
    const score = field(s, "score");
    if (typeof score !== "string") continue;
    const value = cvss3BaseScore(score);
    if (value !== undefined) worst = Math.max(worst ?? 0, value);
  }
  return worst === undefined ? undefined : severityOfScore(worst);
}

function parseEvent(e: unknown, where: string, file: string): OsvEvent {
  if (!isRecord(e)) bad(file, `${where} is not an object`);
  const keys = Object.keys(e);
  const [key] = keys;
  const value = key === undefined ? undefined : field(e, key);
  if (keys.length !== 1 || typeof value !== "string") bad(file, `${where} must have exactly one string field`);
  switch (key) {
    case "introduced":
      return { introduced: value };
    case "fixed":
      return { fixed: value };
    case "last_affected":
      return { lastAffected: value };
    case "limit":
      return { limit: value };
    default:
      return bad(file, `${where} has an unknown event ${key}`);
  }
}

/**
 * Parses one OSV record.
 *
 * @throws {ScanFormatError} `SCAN_BAD_OSV` naming the bad field.
 */
export function parseOsvRecord(doc: unknown, file: string): OsvAdvisory {
  if (!isRecord(doc)) bad(file, "an OSV record must be a JSON object");
  const id = optionalString(doc, "id", "record", "SCAN_BAD_OSV", file);
  const modified = optionalString(doc, "modified", "record", "SCAN_BAD_OSV", file);
  if (id === undefined || modified === undefined) bad(file, "an OSV record needs id and modified");
  const aliases = optionalArray(doc, "aliases", id, "SCAN_BAD_OSV", file).map((a) => {
    if (typeof a !== "string") bad(file, `${id}.aliases holds a non-string`);
    return a;
  });
  const affected = optionalArray(doc, "affected", id, "SCAN_BAD_OSV", file).map((a, i): OsvAffected => {
    const where = `${id}.affected[${i}]`;
    if (!isRecord(a)) bad(file, `${where} is not an object`);
    const pkg = field(a, "package");
    if (!isRecord(pkg)) bad(file, `${where}.package is missing`);
    const ecosystem = optionalString(pkg, "ecosystem", `${where}.package`, "SCAN_BAD_OSV", file);
    const name = optionalString(pkg, "name", `${where}.package`, "SCAN_BAD_OSV", file);
    if (ecosystem === undefined || name === undefined) bad(file, `${where}.package needs ecosystem and name`);
    const ranges = optionalArray(a, "ranges", where, "SCAN_BAD_OSV", file).map((r, j) => {
      if (!isRecord(r)) bad(file, `${where}.ranges[${j}] is not an object`);
      const type = optionalString(r, "type", `${where}.ranges[${j}]`, "SCAN_BAD_OSV", file);
      if (type === undefined) bad(file, `${where}.ranges[${j}].type is missing`);
      const events = optionalArray(r, "events", `${where}.ranges[${j}]`, "SCAN_BAD_OSV", file).map((e, k) =>
        parseEvent(e, `${where}.ranges[${j}].events[${k}]`, file),
      );
      return { type, events };
    });
    const versions = new Set(
      optionalArray(a, "versions", where, "SCAN_BAD_OSV", file).map((v) => {
        if (typeof v !== "string") bad(file, `${where}.versions holds a non-string`);
        return v;
      }),
    );
    return { ecosystem, name, ranges, versions, severity: severityOf(a, where, file) };
  });
  const summary = optionalString(doc, "summary", id, "SCAN_BAD_OSV", file);
  // A withdrawn advisory is kept out by the caller (see isWithdrawn).
  return { id, modified, aliases, summary, severity: severityOf(doc, id, file), affected, source: file };
}

/** Whether the record says it was withdrawn (a `withdrawn` timestamp). */
export function isWithdrawn(doc: JsonRecord): boolean {
  return typeof field(doc, "withdrawn") === "string";
}

/**
 * Whether `version` falls in a range's events, per the OSV schema's evaluation: events in
 * version order, `introduced` opens, `fixed` closes at the version, `last_affected` after it.
 * Returns the `fixed` versions of the interval that holds it, or undefined when not affected.
 */
export function affectedBySemverRange(version: string, events: readonly OsvEvent[]): string[] | undefined {
  const v = semver.parse(version);
  if (v === null) return undefined;
  const at = (e: OsvEvent): string =>
    "introduced" in e ? e.introduced : "fixed" in e ? e.fixed : "lastAffected" in e ? e.lastAffected : e.limit;
  const usable = events.filter((e) => !("limit" in e) && (at(e) === "0" || semver.valid(at(e)) !== null));
  // "0" sorts before everything; at one version, introduced comes before fixed.
  const sorted = [...usable].sort((a, b) => {
    if (at(a) === "0" || at(b) === "0") return at(a) === "0" ? (at(b) === "0" ? 0 : -1) : 1;
    return semver.compare(at(a), at(b)) || ("introduced" in a ? -1 : "introduced" in b ? 1 : 0);
  });
  let affected = false;
  for (const e of sorted) {
    if ("introduced" in e) {
      if (e.introduced === "0" || semver.gte(v, e.introduced)) affected = true;
    } else if ("fixed" in e) {
      if (semver.gte(v, e.fixed)) affected = false;
      else if (affected) return [e.fixed];
    } else if ("lastAffected" in e) {
      if (semver.gt(v, e.lastAffected)) affected = false;
      else if (affected) return [];
    }
  }
  return affected ? [] : undefined;
}

/** The OSV ecosystem npm components are matched in. */
const NPM = "npm";

/** Advisories loaded from an OSV export, indexed by package. */
export class AdvisoryIndex {
  private readonly byPackage = new Map<string, { advisory: OsvAdvisory; affected: OsvAffected }[]>();
  private readonly ids = new Map<string, OsvAdvisory>();

  /** How many advisories are loaded. */
  get count(): number {
    return this.ids.size;
  }

  /** Adds an advisory; of two with one id, the later `modified` is kept. */
  add(advisory: OsvAdvisory): void {
    const previous = this.ids.get(advisory.id);
    if (previous !== undefined) {
      if (previous.modified >= advisory.modified) return;
      for (const list of this.byPackage.values()) {
        const k = list.findIndex((e) => e.advisory === previous);
        if (k !== -1) list.splice(k, 1);
      }
    }
    this.ids.set(advisory.id, advisory);
    for (const affected of advisory.affected) {
      const key = affected.ecosystem === NPM ? `npm:${affected.name}` : `library:${affected.name.toLowerCase()}`;
      const list = this.byPackage.get(key);
      if (list === undefined) this.byPackage.set(key, [{ advisory, affected }]);
      else list.push({ advisory, affected });
    }
  }

  /** Findings for every component a loaded advisory affects. */
  match(components: readonly Component[]): Finding[] {
    const out: Finding[] = [];
    for (const c of components) {
      if (c.version === undefined) continue;
      const key = c.type === "npm" ? `npm:${c.name}` : `library:${c.name.toLowerCase()}`;
      const seen = new Set<string>();
      for (const { advisory, affected } of this.byPackage.get(key) ?? []) {
        if (seen.has(advisory.id)) continue;
        const fixed = affectedFixes(c, affected);
        if (fixed === undefined) continue;
        seen.add(advisory.id);
        out.push(finding(c, advisory, affected, fixed));
      }
    }
    return out;
  }
}

/** The fixed versions when `c` is affected, undefined when it is not. */
function affectedFixes(c: Component, affected: OsvAffected): string[] | undefined {
  const version = c.version as string;
  const fixes: string[] = [];
  let hit = affected.versions.has(version);
  for (const range of affected.ranges) {
    const semverRange = range.type === "SEMVER" || (range.type === "ECOSYSTEM" && c.type === "npm");
    if (!semverRange) continue;
    const f = affectedBySemverRange(version, range.events);
    if (f === undefined) continue;
    hit = true;
    fixes.push(...f);
  }
  return hit ? [...new Set(fixes)] : undefined;
}

function finding(c: Component, advisory: OsvAdvisory, affected: OsvAffected, fixed: readonly string[]): Finding {
  const severity = affected.severity ?? advisory.severity ?? "medium";
  const names = [advisory.id, ...advisory.aliases].slice(0, 4).join(", ");
  const summary = advisory.summary === undefined ? "" : `: ${advisory.summary}`;
  return {
    id: "sbom.vulnerable-component",
    severity,
    layer: "sbom",
    file: c.file,
    why: `${c.type === "npm" ? "npm package" : "library"} ${c.name}@${c.version} is affected by ${names}${summary}`.slice(
      0,
      300,
    ),
    evidence: {
      advisory: advisory.id,
      aliases: advisory.aliases.slice(0, 20),
      package: c.name,
      ecosystem: affected.ecosystem,
      version: c.version as string,
      fixed: fixed.length === 0 ? "none" : fixed.join(", "),
      source: advisory.source,
    },
  };
}
