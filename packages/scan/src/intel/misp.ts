/**
 * MISP events: a single event (`{"Event": {...}}`), a REST search result
 * (`{"response": [{"Event": ...}]}`) and the files of a MISP feed (one event per file, a
 * `manifest.json` index beside them). Only attributes flagged `to_ids` and not deleted are
 * indicators, from the event and from its objects.
 */
import { ScanFormatError, ScanLimitError } from "../errors.js";
import {
  hashKindOf,
  type Indicator,
  type IndicatorKind,
  normalizeDomain,
  normalizeIp,
  normalizeUrl,
} from "./indicator.js";
import { field, isRecord, type JsonRecord, optionalArray, optionalString } from "./json.js";
import type { IntelLimits } from "./limits.js";

/** Whether a parsed document is a MISP event or a list of events. */
export function isMispEvent(doc: unknown): doc is JsonRecord {
  return isRecord(doc) && (isRecord(field(doc, "Event")) || Array.isArray(field(doc, "response")));
}

/**
 * Whether a parsed document is a MISP feed `manifest.json`: an object of event uuids to
 * summaries (with `info`); it lists the feed's events and holds no indicator itself.
 */
export function isMispManifest(doc: unknown): boolean {
  if (!isRecord(doc)) return false;
  const entries = Object.entries(doc);
  return (
    entries.length > 0 &&
    entries.every(([k, v]) => /^[0-9a-f-]{36}$/i.test(k) && isRecord(v) && typeof field(v, "info") === "string")
  );
}

function bad(file: string, message: string): never {
  throw new ScanFormatError("SCAN_BAD_MISP", `${file}: ${message}`, { file });
}

// MISP writes booleans, and older exports "0"/"1" or 0/1.
function flag(v: unknown): boolean {
  return v === true || v === 1 || v === "1" || v === "true";
}

/** What a MISP document gave: indicators, and how many `to_ids` attributes the scan cannot match on. */
export interface MispRead {
  readonly indicators: Indicator[];
  readonly skipped: number;
}

/**
 * Reads the indicators of a MISP event document.
 *
 * @throws {ScanFormatError} `SCAN_BAD_MISP` on a malformed event or attribute.
 * @throws {ScanLimitError} `SCAN_LIMIT_INTEL_OBJECTS` when it has too many attributes.
 */
export function readMispDocument(doc: JsonRecord, file: string, limits: IntelLimits): MispRead {
  const events: JsonRecord[] = [];
  const single = field(doc, "Event");
  if (isRecord(single)) events.push(single);
  for (const [i, r] of optionalArray(doc, "response", "document", "SCAN_BAD_MISP", file).entries()) {
    const e = isRecord(r) ? field(r, "Event") : undefined;
    if (!isRecord(e)) bad(file, `response[${i}] has no Event`);
    events.push(e);
  }
  const state = { indicators: [] as Indicator[], skipped: 0, seen: 0 };
  for (const event of events) {
    if (flag(field(event, "deleted"))) continue;
    const info = optionalString(event, "info", "Event", "SCAN_BAD_MISP", file);
    const eventId = optionalString(event, "uuid", "Event", "SCAN_BAD_MISP", file);
    readAttributes(
      optionalArray(event, "Attribute", "Event", "SCAN_BAD_MISP", file),
      file,
      info,
      eventId,
      limits,
      state,
    );
    for (const [i, o] of optionalArray(event, "Object", "Event", "SCAN_BAD_MISP", file).entries()) {
      if (!isRecord(o)) bad(file, `Event.Object[${i}] is not an object`);
      if (flag(field(o, "deleted"))) continue;
      const attributes = optionalArray(o, "Attribute", `Event.Object[${i}]`, "SCAN_BAD_MISP", file);
      readAttributes(attributes, file, info, eventId, limits, state);
    }
  }
  return { indicators: state.indicators, skipped: state.skipped };
}

function readAttributes(
  attributes: readonly unknown[],
  file: string,
  info: string | undefined,
  eventId: string | undefined,
  limits: IntelLimits,
  state: { indicators: Indicator[]; skipped: number; seen: number },
): void {
  for (const a of attributes) {
    if (++state.seen > limits.maxObjectsPerFile) {
      throw new ScanLimitError(
        "SCAN_LIMIT_INTEL_OBJECTS",
        `${file} has more than ${limits.maxObjectsPerFile} MISP attributes`,
        limits.maxObjectsPerFile,
      );
    }
    if (!isRecord(a)) bad(file, "an Attribute is not an object");
    const type = optionalString(a, "type", "Attribute", "SCAN_BAD_MISP", file);
    const value = optionalString(a, "value", "Attribute", "SCAN_BAD_MISP", file);
    if (type === undefined || value === undefined) bad(file, "an Attribute has no type or value");
    if (!flag(field(a, "to_ids")) || flag(field(a, "deleted"))) continue;
    const id = optionalString(a, "uuid", "Attribute", "SCAN_BAD_MISP", file) ?? eventId;
    const found = attributeIndicator(type, value);
    // A type the scan does not match, or a value that cannot match anything (a defanged URL,
    // a digest of the wrong length): counted, as STIX patterns outside the subset are.
    if (found === undefined) {
      state.skipped++;
      continue;
    }
    const comment = optionalString(a, "comment", "Attribute", "SCAN_BAD_MISP", file);
    state.indicators.push({
      ...found,
      source: { file, kind: "misp", id, name: found.name ?? (comment || undefined), context: info },
    });
  }
}

/** The indicator of one attribute; undefined for a type the scan does not match or a value it cannot use. */
function attributeIndicator(
  type: string,
  value: string,
): { kind: IndicatorKind; value: string; name?: string } | undefined {
  let name: string | undefined;
  let v = value;
  let t = type;
  if (type.startsWith("filename|")) {
    const bar = value.lastIndexOf("|");
    if (bar === -1) return undefined;
    name = value.slice(0, bar);
    v = value.slice(bar + 1);
    t = type.slice("filename|".length);
  }
  switch (t) {
    case "sha256":
    case "sha1":
    case "md5": {
      if (hashKindOf(v) !== t) return undefined;
      return name === undefined ? { kind: t, value: v.toLowerCase() } : { kind: t, value: v.toLowerCase(), name };
    }
    case "domain":
    case "hostname": {
      const d = normalizeDomain(v);
      return d === undefined ? undefined : { kind: "domain", value: d };
    }
    case "url": {
      const u = normalizeUrl(v);
      return u === undefined ? undefined : { kind: "url", value: u };
    }
    case "ip-dst":
    case "ip-src": {
      const ip = normalizeIp(v);
      return ip === undefined ? undefined : { kind: "ip", value: ip };
    }
    case "ip-dst|port":
    case "ip-src|port": {
      const ip = normalizeIp(v.slice(0, Math.max(v.lastIndexOf("|"), 0)));
      return ip === undefined ? undefined : { kind: "ip", value: ip };
    }
    default:
      return undefined;
  }
}
