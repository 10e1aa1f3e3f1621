/**
 * Bulwark's release-change entries: the log entry that records a change to a released
 * artifact after its release, the kill switch (a revocation) or a staged-rollout change. The
 * vendor logs one per changed file, so using the kill switch, or hiding it (re-signing the
 * targets metadata without the revocation), is visible to whoever reads the log: the log has
 * the revocation, the repository no longer does.
 *
 * An entry is a JSON object in OLPC canonical form, at most {@link MAX_RELEASE_ENTRY_SIZE}
 * bytes: the fields of a release entry (release-entry.ts) naming the changed file, with
 * `targets` naming the targets metadata file that carries the change, plus the change:
 *
 *     {"change":"revoke","length":1234,"name":"app","path":"app/app-1.2.0.tar.gz",
 *      "revoked":{"at":"2025-01-02T03:04:05Z","reason":"CVE-2025-1"},"sha256":"<64 hex>",
 *      "targets":{"role":"targets","sha256":"<64 hex>","version":9},
 *      "type":"bulwark.dev/release-change@v1","version":"1.2.0"}
 *
 *     {"change":"rollout","length":1234,...,"rollout":{"percent":50},...}
 *
 * - `change`: `revoke` (then `revoked` is `{"at", "reason"?}`, what `custom.bulwark.revoked`
 *   of the target says) or `rollout` (then `rollout` is `{"percent"}`, 0 to 100, what
 *   `custom.bulwark.rollout` says);
 * - the rest as in a release entry.
 *
 * Unknown fields are kept and are part of the canonical bytes; the bytes must be exactly the
 * canonical form of what they parse to.
 */
import { canonicalize, isJsonObject, type JsonValue } from "@bulwark/tuf";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import {
  fieldProblem,
  formatReleaseEntry,
  hasControl,
  MAX_RELEASE_ENTRY_SIZE,
  MAX_RELEASE_FIELD_LENGTH,
  RELEASE_ENTRY_TYPE,
  type ReleaseEntry,
  readEntryJson,
  releaseEntryFromJson,
  releaseEntryFromParsed,
  requireCanonical,
  unknownFields,
} from "./release-entry.js";

/** The `type` of a release-change entry. */
export const RELEASE_CHANGE_ENTRY_TYPE = "bulwark.dev/release-change@v1";

/** What changed: the release was revoked, or its rollout percentage set. */
export type ReleaseChange =
  | { readonly kind: "revoke"; readonly at: string; readonly reason?: string }
  | { readonly kind: "rollout"; readonly percent: number };

/** A change to a released artifact, as the log records it. */
export interface ReleaseChangeEntry extends ReleaseEntry {
  readonly change: ReleaseChange;
}

/** Any entry of a Bulwark release log. */
export type LogEntry =
  | { readonly kind: "release"; readonly entry: ReleaseEntry }
  | { readonly kind: "change"; readonly entry: ReleaseChangeEntry };

const CHANGE_FIELDS = new Set(["change", "revoked", "rollout"]);

function bad(message: string, cause?: unknown): TlogError {
  return new TlogError(TLOG_ERRORS.BAD_ENTRY, `release-change entry: ${message}`, cause === undefined ? {} : { cause });
}

function changeProblem(change: ReleaseChange | undefined): string | undefined {
  if (typeof change !== "object" || change === null) return "change must be revoke or rollout";
  if (change.kind === "revoke") {
    if (typeof change.at !== "string" || change.at === "" || change.at.length > 64 || hasControl(change.at)) {
      return "revoked.at must be a short timestamp";
    }
    const { reason } = change;
    if (reason !== undefined && (typeof reason !== "string" || reason.length > MAX_RELEASE_FIELD_LENGTH)) {
      return `revoked.reason must be a string of at most ${MAX_RELEASE_FIELD_LENGTH}`;
    }
    if (reason !== undefined && (hasControl(reason) || !reason.isWellFormed()))
      return "revoked.reason holds a control character";
    return undefined;
  }
  if (change.kind === "rollout") {
    const { percent } = change;
    return typeof percent === "number" && percent >= 0 && percent <= 100
      ? undefined
      : "rollout.percent must be a number from 0 to 100";
  }
  return "change must be revoke or rollout";
}

function toJson(entry: ReleaseChangeEntry): Record<string, JsonValue> {
  const { unrecognized = {}, targets, change } = entry;
  return {
    ...unrecognized,
    type: RELEASE_CHANGE_ENTRY_TYPE,
    name: entry.name,
    version: entry.version,
    path: entry.path,
    sha256: entry.sha256,
    length: entry.length,
    targets: { ...(targets.unrecognized ?? {}), role: targets.role, version: targets.version, sha256: targets.sha256 },
    change: change.kind,
    ...(change.kind === "revoke"
      ? { revoked: { at: change.at, ...(change.reason === undefined ? {} : { reason: change.reason }) } }
      : { rollout: { percent: change.percent } }),
  };
}

/**
 * The canonical bytes of a release-change entry: what is appended to the log.
 * @throws {UsageError} for a field that is missing or invalid, or an entry over
 *   {@link MAX_RELEASE_ENTRY_SIZE} bytes.
 */
export function formatReleaseChangeEntry(entry: ReleaseChangeEntry): Uint8Array {
  const problem = fieldProblem(entry) ?? changeProblem(entry.change);
  if (problem !== undefined) throw usageError(`release-change entry: ${problem}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(canonicalize(toJson(entry)));
  } catch (cause) {
    throw usageError("release-change entry: an unrecognized field has no canonical JSON form", cause);
  }
  if (bytes.length > MAX_RELEASE_ENTRY_SIZE) {
    throw usageError(`release-change entry: ${bytes.length} bytes, more than ${MAX_RELEASE_ENTRY_SIZE}`);
  }
  return bytes;
}

/**
 * Where the proof of a release file's change is published: beside the file, as
 * `<path>.revoked.tlog-proof` or `<path>.rollout.tlog-proof` (the latest rollout change).
 */
export function changeProofPath(artifactPath: string, change: ReleaseChange["kind"]): string {
  return `${artifactPath}.${change === "revoke" ? "revoked" : "rollout"}.tlog-proof`;
}

/** The bytes of a release entry or, when it carries a `change`, of a release-change entry. */
export function entryBytes(entry: ReleaseEntry | ReleaseChangeEntry): Uint8Array {
  return "change" in entry ? formatReleaseChangeEntry(entry) : formatReleaseEntry(entry);
}

/** The bytes of any log entry. */
export function formatLogEntry(entry: LogEntry): Uint8Array {
  return entry.kind === "change" ? formatReleaseChangeEntry(entry.entry) : formatReleaseEntry(entry.entry);
}

/** A release-change entry from a parsed JSON object of type {@link RELEASE_CHANGE_ENTRY_TYPE}. */
function changeEntryFromJson(value: Record<string, JsonValue>): ReleaseChangeEntry {
  const get = (o: Record<string, JsonValue>, k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);
  const kind = get(value, "change");
  const revoked = get(value, "revoked");
  const rollout = get(value, "rollout");
  let change: ReleaseChange;
  if (kind === "revoke" && isJsonObject(revoked) && rollout === undefined) {
    const extra = unknownFields(revoked, new Set(["at", "reason"]));
    if (Object.keys(extra).length > 0) throw bad("revoked holds an unknown field");
    const reason = get(revoked, "reason");
    change = {
      kind,
      at: get(revoked, "at") as string,
      ...(reason === undefined ? {} : { reason: reason as string }),
    };
  } else if (kind === "rollout" && isJsonObject(rollout) && revoked === undefined) {
    if (Object.keys(rollout).length !== 1) throw bad("rollout must be {percent}");
    change = { kind, percent: get(rollout, "percent") as number };
  } else {
    throw bad('change must be "revoke" with revoked, or "rollout" with rollout');
  }
  const problem = changeProblem(change);
  if (problem !== undefined) throw bad(problem);
  const rest: Record<string, JsonValue> = unknownFields(value, CHANGE_FIELDS);
  rest.type = RELEASE_ENTRY_TYPE;
  const release = releaseEntryFromJson(rest);
  return { ...release, change };
}

/**
 * Parses the bytes of any entry of a Bulwark release log: a release entry or a
 * release-change entry, each in canonical form.
 * @throws {TlogError} TLOG_BAD_ENTRY
 */
export function parseLogEntry(bytes: Uint8Array): LogEntry {
  const value = readEntryJson(bytes, bad);
  if (!isJsonObject(value) || value.type !== RELEASE_CHANGE_ENTRY_TYPE) {
    return { kind: "release", entry: releaseEntryFromParsed(bytes, value) };
  }
  const entry = changeEntryFromJson(value);
  requireCanonical(bytes, toJson(entry), bad);
  return { kind: "change", entry };
}
