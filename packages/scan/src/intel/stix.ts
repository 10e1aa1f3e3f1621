/**
 * STIX 2.1 bundles: `indicator` objects whose `pattern_type` is `stix`, and `observed-data`
 * whose `object_refs` name file, domain-name, url and IP-address SCOs in the same bundle.
 * Revoked indicators and those past `valid_until` are left out.
 */
import { ScanFormatError, ScanLimitError } from "../errors.js";
import { hashKindOf, type Indicator, normalizeDomain, normalizeIp, normalizeUrl } from "./indicator.js";
import { field, isRecord, type JsonRecord, optionalArray, optionalString } from "./json.js";
import type { IntelLimits } from "./limits.js";
import { equalityIndicators } from "./stix-indicators.js";
import { parseStixPattern } from "./stix-pattern.js";

/** What a bundle gave: indicators, and how many indicator objects the scan could not use. */
export interface StixRead {
  readonly indicators: Indicator[];
  /** Indicators skipped: revoked, expired, another pattern language, or a pattern outside the matched subset. */
  readonly skipped: number;
}

/** Whether a parsed JSON document is a STIX bundle. */
export function isStixBundle(doc: unknown): doc is JsonRecord {
  return isRecord(doc) && field(doc, "type") === "bundle" && Array.isArray(field(doc, "objects"));
}

function bad(file: string, message: string): never {
  throw new ScanFormatError("SCAN_BAD_STIX", `${file}: ${message}`, { file });
}

function instant(value: string | undefined, file: string, where: string): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  // An unparseable date is an error, never "still valid".
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t)) bad(file, `${where} is not an RFC 3339 timestamp`);
  return t;
}

/**
 * Reads the indicators of a STIX 2.1 bundle.
 *
 * @throws {ScanFormatError} `SCAN_BAD_STIX` on a malformed object or pattern (naming the object id).
 * @throws {ScanLimitError} `SCAN_LIMIT_INTEL_OBJECTS` when the bundle has too many objects.
 */
export function readStixBundle(bundle: JsonRecord, file: string, now: Date, limits: IntelLimits): StixRead {
  const objects = optionalArray(bundle, "objects", "bundle", "SCAN_BAD_STIX", file);
  if (objects.length > limits.maxObjectsPerFile) {
    throw new ScanLimitError(
      "SCAN_LIMIT_INTEL_OBJECTS",
      `${file} has ${objects.length} STIX objects, more than ${limits.maxObjectsPerFile}`,
      limits.maxObjectsPerFile,
    );
  }
  const byId = new Map<string, JsonRecord>();
  for (const [i, o] of objects.entries()) {
    if (!isRecord(o) || typeof field(o, "type") !== "string") bad(file, `objects[${i}] is not a STIX object`);
    const id = field(o, "id");
    if (typeof id !== "string") {
      if (field(o, "type") === "indicator" || field(o, "type") === "observed-data")
        bad(file, `objects[${i}] has no id`);
      continue;
    }
    // Several versions of one object share its id: the latest `modified` wins.
    const previous = byId.get(id);
    if (previous === undefined || String(field(previous, "modified") ?? "") <= String(field(o, "modified") ?? "")) {
      byId.set(id, o);
    }
  }
  const indicators: Indicator[] = [];
  let skipped = 0;
  for (const o of byId.values()) {
    const type = field(o, "type");
    if (type !== "indicator" && type !== "observed-data") continue;
    const id = optionalString(o, "id", type, "SCAN_BAD_STIX", file) as string;
    if (field(o, "revoked") === true) {
      skipped++;
      continue;
    }
    const validUntil = instant(optionalString(o, "valid_until", id, "SCAN_BAD_STIX", file), file, `${id}.valid_until`);
    if (validUntil !== undefined && validUntil <= now.getTime()) {
      skipped++;
      continue;
    }
    const name = optionalString(o, "name", id, "SCAN_BAD_STIX", file);
    const context = optionalString(o, "description", id, "SCAN_BAD_STIX", file);
    const source = { file, kind: "stix" as const, id, name, context };
    const found = type === "indicator" ? fromIndicator(o, id, file) : fromObservedData(o, id, byId, file);
    if (found.length === 0) skipped++;
    for (const f of found) indicators.push({ ...f, source });
  }
  return { indicators, skipped };
}

function fromIndicator(o: JsonRecord, id: string, file: string): { kind: Indicator["kind"]; value: string }[] {
  const patternType = optionalString(o, "pattern_type", id, "SCAN_BAD_STIX", file);
  const pattern = optionalString(o, "pattern", id, "SCAN_BAD_STIX", file);
  if (pattern === undefined) bad(file, `${id} has no pattern`);
  // STIX 2.0 indicators have no pattern_type: their patterns are STIX patterns.
  if (patternType !== "stix" && patternType !== undefined) return []; // Sigma, YARA, Snort...: another tool's language
  try {
    return equalityIndicators(parseStixPattern(pattern));
  } catch (e) {
    if (e instanceof ScanFormatError) {
      throw new ScanFormatError("SCAN_BAD_STIX", `${file}: ${id}: ${e.message}`, { cause: e, file, offset: e.offset });
    }
    if (e instanceof ScanLimitError)
      throw new ScanLimitError("SCAN_LIMIT_STIX_PATTERN", `${file}: ${id}: ${e.message}`, e.limit);
    throw e;
  }
}

function fromObservedData(
  o: JsonRecord,
  id: string,
  byId: ReadonlyMap<string, JsonRecord>,
  file: string,
): { kind: Indicator["kind"]; value: string }[] {
  const out: { kind: Indicator["kind"]; value: string }[] = [];
  for (const ref of optionalArray(o, "object_refs", id, "SCAN_BAD_STIX", file)) {
    if (typeof ref !== "string") bad(file, `${id}.object_refs holds a non-string`);
    const sco = byId.get(ref);
    if (sco === undefined) continue; // a reference outside this bundle
    const type = field(sco, "type");
    const value = field(sco, "value");
    if (type === "file") {
      const hashes = field(sco, "hashes");
      if (!isRecord(hashes)) continue;
      for (const [algorithm, digest] of Object.entries(hashes)) {
        const wanted = { "SHA-256": "sha256", "SHA-1": "sha1", MD5: "md5" }[algorithm.toUpperCase()];
        const kind = typeof digest === "string" ? hashKindOf(digest) : undefined;
        if (wanted === undefined || kind === undefined) continue;
        if (kind !== wanted) bad(file, `${ref}.hashes.${algorithm} is not a ${algorithm} digest`);
        out.push({ kind, value: (digest as string).toLowerCase() });
      }
    } else if (typeof value === "string") {
      const normal =
        type === "domain-name"
          ? normalizeDomain(value)
          : type === "url"
            ? normalizeUrl(value)
            : type === "ipv4-addr" || type === "ipv6-addr"
              ? normalizeIp(value)
              : undefined;
      const kind = type === "domain-name" ? "domain" : type === "url" ? "url" : "ip";
      if (normal !== undefined) out.push({ kind, value: normal });
    }
  }
  return out;
}
