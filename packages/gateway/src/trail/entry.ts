/**
 * The entries of the gateway's audit trail: one per state change. This module is the one
 * place the format is defined.
 *
 * An entry is a JSON object in OLPC canonical form (keys sorted, no white space, the form
 * TUF signs), at most {@link MAX_TRAIL_ENTRY_SIZE} bytes:
 *
 *     {"action":"release.approved","actor":{"id":"alice@example.org","kind":"user"},
 *      "details":{"soakHours":48},"subject":{"id":"acme/app@1.2.0","kind":"release"},
 *      "time":"2026-12-07T23:00:00.000Z","type":"bulwark.dev/gateway-trail@v1"}
 *
 * - `type`: {@link TRAIL_ENTRY_TYPE}; a new field or action is a new version of the type;
 * - `actor`: who made the change: a person (`user`), an API token (`token`), or the gateway
 *   itself (`system`: a poll, a scan, a policy deadline);
 * - `action`: one of {@link TRAIL_ACTIONS};
 * - `subject`: what changed: its kind (`release`, `source`, `policy`, `token`, …) and its id;
 * - `time`: when, RFC 3339 in UTC with milliseconds (the gateway's clock: the log's order,
 *   not the time, is what the trail proves);
 * - `details`: a JSON object of what else the change needs to be understood (a scan verdict,
 *   a policy digest); integers only, no floats, as canonical JSON requires.
 *
 * The bytes must be exactly the canonical form of what they parse to, so one change has one
 * entry and one leaf hash. Unknown fields are refused: this version cannot vouch for them.
 */
import {
  CanonicalJsonError,
  canonicalize,
  FormatError,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  parseJson,
} from "@bulwark/tuf";
import { TRAIL_ERRORS, TrailError, usageError } from "./errors.js";

/** The `type` of a trail entry. */
export const TRAIL_ENTRY_TYPE = "bulwark.dev/gateway-trail@v1";
/** The largest entry: well below the 65,535 bytes a tlog-tiles entry may hold. */
export const MAX_TRAIL_ENTRY_SIZE = 16 * 1024;
/** The longest actor or subject id, in UTF-16 code units. */
export const MAX_TRAIL_ID_LENGTH = 512;

/** Every state change the gateway records. */
export const TRAIL_ACTIONS = [
  "source.added",
  "source.changed",
  "source.removed",
  "release.fetched",
  "release.verified",
  "release.quarantined",
  "release.scanned",
  "release.approved",
  "release.rejected",
  "release.blocked",
  "release.published",
  "release.frozen",
  "release.unfrozen",
  "policy.changed",
  "token.issued",
  "token.revoked",
] as const;

/** One of {@link TRAIL_ACTIONS}. */
export type TrailAction = (typeof TRAIL_ACTIONS)[number];

/** The kinds of actor. */
export const TRAIL_ACTOR_KINDS = ["user", "token", "system"] as const;

/** Who made a change. */
export interface TrailActor {
  readonly kind: (typeof TRAIL_ACTOR_KINDS)[number];
  /** The user's name, the token's id, or the gateway component (`poller`, `scanner`). */
  readonly id: string;
}

/** What a change applies to. */
export interface TrailSubject {
  /** Lowercase letters, digits and `-`: `release`, `source`, `policy`, `token`. */
  readonly kind: string;
  readonly id: string;
}

/** One state change of the gateway. */
export interface TrailEntry {
  readonly actor: TrailActor;
  readonly action: TrailAction;
  readonly subject: TrailSubject;
  /** When the change was made (millisecond precision). */
  readonly time: Date;
  /** More about the change (a JSON object; no floats). */
  readonly details: Readonly<JsonObject>;
}

const ACTIONS: ReadonlySet<string> = new Set(TRAIL_ACTIONS);
const ACTOR_KINDS: ReadonlySet<string> = new Set(TRAIL_ACTOR_KINDS);
const SUBJECT_KIND = /^[a-z][a-z0-9-]{0,31}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// C0 and C1 controls and DEL: never in an id shown to an admin.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const KNOWN = ["action", "actor", "details", "subject", "time", "type"];

function bad(message: string, cause?: unknown): TrailError {
  return new TrailError(TRAIL_ERRORS.BAD_ENTRY, `trail entry: ${message}`, cause === undefined ? {} : { cause });
}

function idProblem(field: string, id: unknown): string | undefined {
  if (typeof id !== "string" || id === "") return `${field} must be a non-empty string`;
  if (id.length > MAX_TRAIL_ID_LENGTH) return `${field} is longer than ${MAX_TRAIL_ID_LENGTH}`;
  if (CONTROL.test(id) || !id.isWellFormed()) return `${field} holds a control character or a lone surrogate`;
  return undefined;
}

/** The problem with an entry's fields, or undefined when they are valid. */
function fieldProblem(entry: TrailEntry): string | undefined {
  const { actor, subject } = entry;
  if (typeof actor !== "object" || actor === null) return "actor must be an object";
  if (!ACTOR_KINDS.has(actor.kind)) return `actor.kind must be one of ${TRAIL_ACTOR_KINDS.join(", ")}`;
  const problem = idProblem("actor.id", actor.id);
  if (problem !== undefined) return problem;
  if (!ACTIONS.has(entry.action)) return `action ${JSON.stringify(entry.action)} is not a trail action`;
  if (typeof subject !== "object" || subject === null) return "subject must be an object";
  if (typeof subject.kind !== "string" || !SUBJECT_KIND.test(subject.kind)) {
    return "subject.kind must be lowercase letters, digits and '-' (at most 32)";
  }
  const subjectProblem = idProblem("subject.id", subject.id);
  if (subjectProblem !== undefined) return subjectProblem;
  if (!(entry.time instanceof Date) || Number.isNaN(entry.time.getTime()) || !TIME.test(entry.time.toISOString())) {
    return "time must be a valid date between the years 0000 and 9999";
  }
  if (!isJsonObject(entry.details as JsonValue)) return "details must be a JSON object";
  return undefined;
}

function toJson(entry: TrailEntry): JsonObject {
  return {
    type: TRAIL_ENTRY_TYPE,
    actor: { kind: entry.actor.kind, id: entry.actor.id },
    action: entry.action,
    subject: { kind: entry.subject.kind, id: entry.subject.id },
    time: entry.time.toISOString(),
    details: entry.details as JsonObject,
  };
}

/**
 * The canonical bytes of a trail entry: what is appended to the trail.
 * @throws {UsageError} TRAIL_USAGE for a field that is missing or invalid, details with no
 *   canonical JSON form (a float), or an entry over {@link MAX_TRAIL_ENTRY_SIZE} bytes.
 */
export function formatTrailEntry(entry: TrailEntry): Uint8Array {
  const problem = fieldProblem(entry);
  if (problem !== undefined) throw usageError(`trail entry: ${problem}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(canonicalize(toJson(entry)));
  } catch (cause) {
    throw usageError("trail entry: details have no canonical JSON form (floats are not allowed)", cause);
  }
  if (bytes.length > MAX_TRAIL_ENTRY_SIZE) {
    throw usageError(`trail entry: ${bytes.length} bytes, more than ${MAX_TRAIL_ENTRY_SIZE}`);
  }
  return bytes;
}

function field(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function exactKeys(object: JsonObject, keys: readonly string[], what: string): void {
  const extra = Object.keys(object).filter((k) => !keys.includes(k));
  if (extra.length > 0) throw bad(`${what} has unknown field ${JSON.stringify(extra[0])}`);
}

/**
 * Parses the bytes of a trail entry: the canonical JSON of a valid entry of type
 * {@link TRAIL_ENTRY_TYPE}, at most {@link MAX_TRAIL_ENTRY_SIZE} bytes.
 * @throws {TrailError} TRAIL_BAD_ENTRY naming the field at fault.
 */
export function parseTrailEntry(bytes: Uint8Array): TrailEntry {
  if (bytes.length > MAX_TRAIL_ENTRY_SIZE) throw bad(`more than ${MAX_TRAIL_ENTRY_SIZE} bytes`);
  let value: JsonValue;
  try {
    value = parseJson(bytes);
  } catch (cause) {
    if (cause instanceof FormatError) throw bad("not JSON", cause);
    throw cause;
  }
  if (!isJsonObject(value)) throw bad("not a JSON object");
  exactKeys(value, KNOWN, "the entry");
  if (field(value, "type") !== TRAIL_ENTRY_TYPE) throw bad(`type is not ${JSON.stringify(TRAIL_ENTRY_TYPE)}`);
  const actor = field(value, "actor");
  const subject = field(value, "subject");
  if (!isJsonObject(actor)) throw bad("actor must be an object");
  if (!isJsonObject(subject)) throw bad("subject must be an object");
  exactKeys(actor, ["kind", "id"], "actor");
  exactKeys(subject, ["kind", "id"], "subject");
  const time = field(value, "time");
  if (typeof time !== "string" || !TIME.test(time)) throw bad("time must be YYYY-MM-DDTHH:MM:SS.sssZ");
  const instant = new Date(time);
  if (Number.isNaN(instant.getTime()) || instant.toISOString() !== time) throw bad("time is not a valid date");
  const entry = {
    actor: { kind: field(actor, "kind"), id: field(actor, "id") },
    action: field(value, "action"),
    subject: { kind: field(subject, "kind"), id: field(subject, "id") },
    time: instant,
    details: field(value, "details"),
  } as unknown as TrailEntry;
  const problem = fieldProblem(entry);
  if (problem !== undefined) throw bad(problem);
  let canonical: Uint8Array;
  try {
    canonical = canonicalize(toJson(entry));
  } catch (cause) {
    if (cause instanceof CanonicalJsonError) throw bad("details have no canonical JSON form", cause);
    throw cause;
  }
  if (Buffer.compare(canonical, bytes) !== 0) throw bad("not in canonical JSON form");
  return entry;
}
