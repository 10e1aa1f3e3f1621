/**
 * Bulwark's release entries: the bytes of each log entry that records a released artifact.
 * This module is the one place the format is defined.
 *
 * An entry is a JSON object in OLPC canonical form (keys sorted, no white space, the form
 * TUF signs), at most {@link MAX_RELEASE_ENTRY_SIZE} bytes:
 *
 *     {"length":1234,"name":"app","path":"app/app-1.2.0.tar.gz",
 *      "sha256":"<64 hex>","targets":{"role":"targets","sha256":"<64 hex>","version":7},
 *      "type":"bulwark.dev/release@v1","version":"1.2.0"}
 *
 * - `type`: {@link RELEASE_ENTRY_TYPE}, so other kinds of entries can share a log;
 * - `name`, `version`: the product and its release version;
 * - `path`: the TUF target path of the artifact; `length` and `sha256` its size and digest,
 *   exactly as the targets metadata lists them;
 * - `targets`: the targets metadata file that lists the artifact when it is released: the
 *   role's name, its version, and the SHA-256 of the file's bytes. With consistent
 *   snapshots, `metadata/<version>.<role>.json` is that file, so anyone can fetch it later
 *   and check that the vendor signed this artifact under that role.
 *
 * Fields this version does not know are kept (lossless round trip) and are part of the
 * canonical bytes. The bytes must be exactly the canonical form of what they parse to, so
 * one release has one entry and one leaf hash.
 *
 * A log may also hold release-change entries (release-change-entry.ts: a revocation or a
 * rollout change of a logged release); {@link parseLogEntry} reads either kind. Release
 * entries are unchanged by them: the same fields, the same bytes.
 */
import { createHash } from "node:crypto";
import { CanonicalJsonError, canonicalize, FormatError, isJsonObject, type JsonValue, parseJson } from "@bulwark/tuf";
import { bytesEqual } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";

/** The `type` of a release entry. */
export const RELEASE_ENTRY_TYPE = "bulwark.dev/release@v1";
/** The largest entry accepted: well below the 65,535 bytes a tlog-tiles entry may hold. */
export const MAX_RELEASE_ENTRY_SIZE = 16 * 1024;
/** The longest `name`, `version` or `path`, in UTF-16 code units. */
export const MAX_RELEASE_FIELD_LENGTH = 1024;

/** The targets metadata file that lists a released artifact. */
export interface ReleaseTargetsMetadata {
  /** The targets role's name (`targets`, or a delegated role). */
  readonly role: string;
  /** The role's version that lists the artifact. */
  readonly version: number;
  /** SHA-256 of the role's metadata file bytes, lowercase hex. */
  readonly sha256: string;
  /** Fields this version does not know, kept for the round trip. */
  readonly unrecognized?: Readonly<Record<string, JsonValue>>;
}

/** A released artifact, as the log records it. */
export interface ReleaseEntry {
  readonly name: string;
  readonly version: string;
  /** The TUF target path. */
  readonly path: string;
  /** SHA-256 of the artifact, lowercase hex. */
  readonly sha256: string;
  /** The artifact's length in bytes. */
  readonly length: number;
  readonly targets: ReleaseTargetsMetadata;
  /** Fields of the entry this version does not know, kept for the round trip. */
  readonly unrecognized?: Readonly<Record<string, JsonValue>>;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** Whether `s` holds a C0 control, DEL or a C1 control: never in a name, version or path. */
export function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
const KNOWN = new Set(["type", "name", "version", "path", "sha256", "length", "targets"]);
const KNOWN_TARGETS = new Set(["role", "version", "sha256"]);

function bad(message: string, cause?: unknown): TlogError {
  return new TlogError(TLOG_ERRORS.BAD_ENTRY, `release entry: ${message}`, cause === undefined ? {} : { cause });
}

/** The problem with a release entry's fields, or undefined when they are valid. */
export function fieldProblem(entry: ReleaseEntry): string | undefined {
  for (const field of ["name", "version", "path"] as const) {
    const value = entry[field];
    if (typeof value !== "string" || value === "") return `${field} must be a non-empty string`;
    if (value.length > MAX_RELEASE_FIELD_LENGTH) return `${field} is longer than ${MAX_RELEASE_FIELD_LENGTH}`;
    if (hasControl(value) || !value.isWellFormed()) return `${field} holds a control character`;
  }
  if (typeof entry.sha256 !== "string" || !HEX64.test(entry.sha256)) return "sha256 must be 64 lowercase hex digits";
  if (!Number.isSafeInteger(entry.length) || entry.length < 0) return "length must be a non-negative integer";
  const t = entry.targets as ReleaseTargetsMetadata | undefined;
  if (typeof t !== "object" || t === null) return "targets must be an object";
  if (typeof t.role !== "string" || t.role === "" || t.role.length > MAX_RELEASE_FIELD_LENGTH || hasControl(t.role)) {
    return "targets.role must be a non-empty role name";
  }
  if (!Number.isSafeInteger(t.version) || t.version < 1) return "targets.version must be a positive integer";
  if (typeof t.sha256 !== "string" || !HEX64.test(t.sha256)) return "targets.sha256 must be 64 lowercase hex digits";
  return undefined;
}

/** The JSON object of an entry, unknown fields included. */
function toJson(entry: ReleaseEntry): Record<string, JsonValue> {
  const { unrecognized = {}, targets } = entry;
  const targetsExtra = targets.unrecognized ?? {};
  return {
    ...unrecognized,
    type: RELEASE_ENTRY_TYPE,
    name: entry.name,
    version: entry.version,
    path: entry.path,
    sha256: entry.sha256,
    length: entry.length,
    targets: { ...targetsExtra, role: targets.role, version: targets.version, sha256: targets.sha256 },
  };
}

/**
 * The canonical bytes of a release entry: what is appended to the log.
 * @throws {UsageError} for a field that is missing or invalid, or an entry over
 *   {@link MAX_RELEASE_ENTRY_SIZE} bytes.
 */
export function formatReleaseEntry(entry: ReleaseEntry): Uint8Array {
  const problem = fieldProblem(entry);
  if (problem !== undefined) throw usageError(`release entry: ${problem}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(canonicalize(toJson(entry)));
  } catch (cause) {
    throw usageError("release entry: an unrecognized field has no canonical JSON form", cause);
  }
  if (bytes.length > MAX_RELEASE_ENTRY_SIZE) {
    throw usageError(`release entry: ${bytes.length} bytes, more than ${MAX_RELEASE_ENTRY_SIZE}`);
  }
  return bytes;
}

/** The fields of `object` that are not in `known`. */
export function unknownFields(
  object: Record<string, JsonValue>,
  known: ReadonlySet<string>,
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(object)) {
    // defineProperty: a `__proto__` key stays a plain field.
    if (!known.has(key)) Object.defineProperty(out, key, { value: object[key], enumerable: true, writable: true });
  }
  return out;
}

/**
 * A release entry from a parsed JSON value (for instance a file a release engineer wrote);
 * `type` may be left out. Use {@link parseReleaseEntry} for log entries.
 * @throws {TlogError} TLOG_BAD_ENTRY naming the field at fault.
 */
export function releaseEntryFromJson(value: JsonValue): ReleaseEntry {
  if (!isJsonObject(value)) throw bad("not a JSON object");
  const get = (o: Record<string, JsonValue>, k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);
  const type = get(value, "type");
  if (type !== undefined && type !== RELEASE_ENTRY_TYPE) throw bad(`type is not ${JSON.stringify(RELEASE_ENTRY_TYPE)}`);
  const targets = get(value, "targets");
  if (!isJsonObject(targets)) throw bad("targets must be an object");
  const extra = unknownFields(value, KNOWN);
  const targetsExtra = unknownFields(targets, KNOWN_TARGETS);
  const entry = {
    name: get(value, "name"),
    version: get(value, "version"),
    path: get(value, "path"),
    sha256: get(value, "sha256"),
    length: get(value, "length"),
    targets: {
      role: get(targets, "role"),
      version: get(targets, "version"),
      sha256: get(targets, "sha256"),
      ...(Object.keys(targetsExtra).length > 0 ? { unrecognized: targetsExtra } : {}),
    },
    ...(Object.keys(extra).length > 0 ? { unrecognized: extra } : {}),
  } as unknown as ReleaseEntry;
  const problem = fieldProblem(entry);
  if (problem !== undefined) throw bad(problem);
  return entry;
}

/**
 * The bytes of a log entry, bounded by {@link MAX_RELEASE_ENTRY_SIZE} and parsed as JSON;
 * `fail` makes the error (its message names the kind of entry).
 * @throws {TlogError} TLOG_BAD_ENTRY
 */
export function readEntryJson(bytes: Uint8Array, fail: (message: string, cause?: unknown) => TlogError): JsonValue {
  if (bytes.length > MAX_RELEASE_ENTRY_SIZE) throw fail(`more than ${MAX_RELEASE_ENTRY_SIZE} bytes`);
  try {
    return parseJson(bytes);
  } catch (cause) {
    if (cause instanceof FormatError) throw fail("not JSON", cause);
    throw cause;
  }
}

/**
 * Refuses an entry whose bytes are not exactly the canonical JSON of what was read from them.
 * @throws {TlogError} TLOG_BAD_ENTRY
 */
export function requireCanonical(
  bytes: Uint8Array,
  json: JsonValue,
  fail: (message: string, cause?: unknown) => TlogError,
): void {
  let canonical: Uint8Array;
  try {
    canonical = canonicalize(json);
  } catch (cause) {
    if (cause instanceof CanonicalJsonError) throw fail("a field has no canonical JSON form", cause);
    throw cause;
  }
  if (!bytesEqual(canonical, bytes)) throw fail("not in canonical JSON form");
}

/**
 * A release entry from `value`, the JSON its `bytes` parsed to (see {@link parseReleaseEntry}).
 * @throws {TlogError} TLOG_BAD_ENTRY
 */
export function releaseEntryFromParsed(bytes: Uint8Array, value: JsonValue): ReleaseEntry {
  if (!isJsonObject(value) || !Object.hasOwn(value, "type")) throw bad("not a typed JSON object");
  const entry = releaseEntryFromJson(value);
  requireCanonical(bytes, toJson(entry), bad);
  return entry;
}

/**
 * Parses the bytes of a log entry. They must be the canonical JSON of a release entry of
 * type {@link RELEASE_ENTRY_TYPE}.
 * @throws {TlogError} TLOG_BAD_ENTRY
 */
export function parseReleaseEntry(bytes: Uint8Array): ReleaseEntry {
  return releaseEntryFromParsed(bytes, readEntryJson(bytes, bad));
}

/** What a client knows of a target from TUF metadata: its path, length and SHA-256. */
export interface TargetDescription {
  readonly path: string;
  readonly length: number;
  readonly sha256: string;
}

/**
 * Checks that a (verified) release entry describes `target`: same path, length and SHA-256.
 * @throws {TlogError} TLOG_BAD_ENTRY naming the first field that differs.
 */
export function assertEntryDescribes(entry: ReleaseEntry, target: TargetDescription): void {
  if (entry.path !== target.path)
    throw bad(`logged for ${JSON.stringify(entry.path)}, not ${JSON.stringify(target.path)}`);
  if (entry.length !== target.length) throw bad(`logged length ${entry.length}, the target has ${target.length}`);
  if (entry.sha256 !== target.sha256.toLowerCase()) throw bad("logged SHA-256 differs from the target's");
}

/**
 * The entry of a release target at publish time: `target` as the targets role lists it,
 * and that role's signed metadata file (`metadata`, the exact bytes published).
 * @throws {UsageError} when a field is invalid (see {@link formatReleaseEntry}).
 */
export function releaseEntryFor(
  release: { readonly name: string; readonly version: string },
  target: TargetDescription,
  targets: { readonly role: string; readonly version: number; readonly metadata: Uint8Array },
): ReleaseEntry {
  const entry: ReleaseEntry = {
    name: release.name,
    version: release.version,
    path: target.path,
    sha256: target.sha256.toLowerCase(),
    length: target.length,
    targets: {
      role: targets.role,
      version: targets.version,
      sha256: createHash("sha256").update(targets.metadata).digest("hex"),
    },
  };
  formatReleaseEntry(entry);
  return entry;
}
