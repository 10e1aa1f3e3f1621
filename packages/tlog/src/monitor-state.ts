/**
 * What a log monitor remembers between runs: the latest checkpoint it verified (signed, so
 * it is evidence if the log later shows a different history), how many entries it has
 * checked against the vendor's repository, and the entries that were not listed there yet
 * (checked again on every run), and the release each logged digest was first logged as (so a
 * digest logged again under another name or version, a relabelled release, is caught even
 * when the first entry was checked in an earlier run), and the revocations logged (checked
 * against the repository on every run, so a revocation hidden later is caught). Stored as JSON, written atomically by
 * the caller. A state written before `releases` existed still reads (the monitor then
 * checks every entry again, once, to learn them).
 */
import { StorageError } from "@bulwark/tuf";
import { parseUint64 } from "./encoding.js";

/** The release a digest was first logged as. */
export interface LoggedRelease {
  readonly name: string;
  readonly version: string;
  /** The index of the entry that logged it first. */
  readonly index: bigint;
}

/** A logged revocation, remembered so every later run checks the repository still carries it. */
export interface LoggedRevocation {
  /** The revoked file's target path. */
  readonly path: string;
  /** Its SHA-256, lowercase hex. */
  readonly sha256: string;
  readonly name: string;
  readonly version: string;
  /** The index of the entry that logged the revocation. */
  readonly index: bigint;
}

/** The monitor's memory of one log. */
export interface MonitorState {
  /** The log's origin. */
  readonly origin: string;
  /** The latest verified checkpoint note. */
  readonly checkpoint: string;
  /** Entries [0, checkedSize) have been checked against the repository. */
  readonly checkedSize: bigint;
  /** Indexes below `checkedSize` whose entries were not (or not yet) in the repository. */
  readonly unlisted: readonly bigint[];
  /**
   * For entries [0, checkedSize): each logged SHA-256 (lowercase hex) and the release it was
   * first logged as; at most {@link MAX_REMEMBERED_RELEASES}. Absent in older states.
   */
  readonly releases?: ReadonlyMap<string, LoggedRelease>;
  /** The revocations logged in [0, checkedSize), by target path. Absent in older states. */
  readonly revocations?: ReadonlyMap<string, LoggedRevocation>;
}

/** The state's current format version. */
export const MONITOR_STATE_VERSION = 1;
/** At most this many unlisted entries are remembered (each is a problem already reported). */
export const MAX_REMEMBERED_UNLISTED = 10_000;
/** At most this many logged digests are remembered (about 15 MB of state). */
export const MAX_REMEMBERED_RELEASES = 100_000;
/** At most this many logged revocations are remembered. */
export const MAX_REMEMBERED_REVOCATIONS = 10_000;

/** The JSON text of a state. */
export function formatMonitorState(state: MonitorState): string {
  return `${JSON.stringify(
    {
      version: MONITOR_STATE_VERSION,
      origin: state.origin,
      checkpoint: state.checkpoint,
      checkedSize: state.checkedSize.toString(),
      unlisted: state.unlisted.slice(0, MAX_REMEMBERED_UNLISTED).map(String),
      ...(state.releases === undefined
        ? {}
        : {
            releases: Object.fromEntries(
              [...state.releases].map(([sha256, r]) => [sha256, [r.name, r.version, r.index.toString()]]),
            ),
          }),
      ...(state.revocations === undefined || state.revocations.size === 0
        ? {}
        : {
            revocations: [...state.revocations.values()].map((r) => [
              r.path,
              r.sha256,
              r.name,
              r.version,
              r.index.toString(),
            ]),
          }),
    },
    null,
    2,
  )}\n`;
}

function bad(message: string): StorageError {
  return new StorageError(`monitor state: ${message}`);
}

/**
 * Parses a state file. The checkpoint in it is verified by the monitor, not here.
 * @throws {StorageError} naming the field at fault.
 */
export function parseMonitorState(text: string): MonitorState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad("not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("not a JSON object");
  const o = value as Record<string, unknown>;
  if (o.version !== MONITOR_STATE_VERSION) throw bad(`version is not ${MONITOR_STATE_VERSION}`);
  if (typeof o.origin !== "string" || o.origin === "") throw bad("origin must be a non-empty string");
  if (typeof o.checkpoint !== "string") throw bad("checkpoint must be a string");
  const checkedSize = typeof o.checkedSize === "string" ? parseUint64(o.checkedSize) : undefined;
  if (checkedSize === undefined) throw bad("checkedSize must be a decimal string");
  if (!Array.isArray(o.unlisted)) throw bad("unlisted must be an array");
  const unlisted = o.unlisted.map((i) => (typeof i === "string" ? parseUint64(i) : undefined));
  if (unlisted.some((i) => i === undefined || i >= checkedSize)) throw bad("unlisted holds a bad index");
  const state = { origin: o.origin, checkpoint: o.checkpoint, checkedSize, unlisted: unlisted as bigint[] };
  const revocations = o.revocations === undefined ? undefined : parseRevocations(o.revocations, checkedSize);
  if (o.releases === undefined) return { ...state, ...(revocations ? { revocations } : {}) };
  return { ...state, releases: parseReleases(o.releases, checkedSize), ...(revocations ? { revocations } : {}) };
}

function parseRevocations(value: unknown, checkedSize: bigint): Map<string, LoggedRevocation> {
  if (!Array.isArray(value)) throw bad("revocations must be an array");
  const out = new Map<string, LoggedRevocation>();
  for (const r of value) {
    if (!Array.isArray(r) || r.length !== 5 || !r.every((x) => typeof x === "string")) {
      throw bad("revocations must hold [path, sha256, name, version, index]");
    }
    const [path, sha256, name, version, at] = r as [string, string, string, string, string];
    const index = parseUint64(at);
    if (!SHA256_HEX.test(sha256) || index === undefined || index >= checkedSize) {
      throw bad(`revocations holds a bad entry for ${JSON.stringify(path)}`);
    }
    out.set(path, { path, sha256, name, version, index });
  }
  return out;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function parseReleases(value: unknown, checkedSize: bigint): Map<string, LoggedRelease> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("releases must be an object");
  const out = new Map<string, LoggedRelease>();
  for (const [sha256, r] of Object.entries(value)) {
    if (!SHA256_HEX.test(sha256)) throw bad("releases holds a key that is not a SHA-256");
    if (!Array.isArray(r) || r.length !== 3 || !r.every((x) => typeof x === "string")) {
      throw bad(`releases.${sha256} must be [name, version, index]`);
    }
    const [name, version, at] = r as [string, string, string];
    const index = parseUint64(at);
    if (index === undefined || index >= checkedSize) throw bad(`releases.${sha256} holds a bad index`);
    out.set(sha256, { name, version, index });
  }
  return out;
}
