/**
 * The client's persistent journal: which version is installed, which one was good before
 * it, and, while an install or a rollback is under way, exactly which step it reached.
 * Every transition is written atomically (temp file, fsync, rename, fsync of the folder),
 * so after a crash or `kill -9` the next start knows what to finish or undo.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { readFileIfExists, writeFileAtomic } from "@bulwark/tuf";

/** A version in the journal. */
export interface JournalVersion {
  /** The release version. */
  readonly version: string;
  /** The verified release file it was installed from (kept for re-installs). */
  readonly sha256?: string;
  /** That file's name in the download folder. */
  readonly fileName?: string;
}

/**
 * A release version the client saw revoked. It is never installed again, whatever later
 * metadata says: metadata re-signed without the revocation (with the online keys alone)
 * does not bring it back.
 */
export interface RevokedVersion {
  readonly version: string;
  /** The vendor's reason, cut to `MAX_REVOCATION_REASON_LENGTH` characters. */
  readonly reason?: string;
  /** When the vendor says it revoked it (`custom.bulwark.revoked.at`). */
  readonly at?: string;
  /** When this client first saw the revocation. */
  readonly seenAt: string;
}

/**
 * Why a version was set aside: failed (its health check, a rollback from it, or repeated
 * crashes of its install) or refused (a security check: build quorum, log proof, revocation,
 * a hostile or oversized archive, bytes that are not the signed ones).
 */
export interface SetAsideVersion {
  readonly version: string;
  /** The error code when there is one, e.g. `CLIENT_HEALTH_CHECK_FAILED`, `CLIENT_NO_BUILD_QUORUM`, `ARCHIVE_TOO_LARGE`. */
  readonly code?: string;
  /** Why, in words. */
  readonly reason: string;
  /** When (ISO 8601). */
  readonly at: string;
}

/** What is in progress, if anything. */
export type Operation =
  | {
      readonly kind: "install";
      readonly to: JournalVersion;
      readonly from?: JournalVersion;
      /** prepared: files unpacked and complete; switched: now current; checking: health check running. */
      readonly step: "preparing" | "prepared" | "switched" | "checking";
    }
  | {
      readonly kind: "rollback";
      readonly from: JournalVersion;
      readonly to?: JournalVersion;
      readonly reason: string;
      readonly step: "started" | "switched";
    };

/** The journal file's content. */
export interface JournalState {
  /** The journal format; 1. */
  readonly formatVersion: 1;
  /** The version installed now, when the client installed one. */
  readonly current?: JournalVersion;
  /** Versions installed before, newest first: rollback targets. */
  readonly previous: readonly JournalVersion[];
  /** Versions that failed their health check or were rolled back; never retried automatically. */
  readonly failed: readonly string[];
  /** Why each version in `failed` failed, when known (journals before issue 13 lack it). */
  readonly failures?: readonly SetAsideVersion[];
  /**
   * Versions a security check refused at their last try, newest refusal last. They are
   * checked again at every cycle (the repository may fix what was missing, e.g. a log proof).
   */
  readonly refused?: readonly SetAsideVersion[];
  /** Versions seen revoked, oldest first: never installed, even if the revocation disappears. */
  readonly revoked?: readonly RevokedVersion[];
  /** Installs of a version cut short by a crash, counted: a version that keeps crashing the
   * install (a boot loop) is given up on after {@link MAX_INTERRUPTED_INSTALLS}. */
  readonly interrupted?: Readonly<Record<string, number>>;
  /** The install or rollback under way; set while one is, so a crash can be finished or undone. */
  readonly operation?: Operation;
  /** When the journal was last written (ISO 8601). */
  readonly updatedAt: string;
}

/** Interrupted installs of one version after which it counts as failed. */
export const MAX_INTERRUPTED_INSTALLS = 3;

const EMPTY: JournalState = { formatVersion: 1, previous: [], failed: [], updatedAt: new Date(0).toISOString() };

/** `list` with `entry` in place of any earlier entry for the same version. */
export function setAside(list: readonly SetAsideVersion[] | undefined, entry: SetAsideVersion): SetAsideVersion[] {
  return [...(list ?? []).filter((e) => e.version !== entry.version), entry];
}

/** The journal file of one data directory: every write is durable before it returns. */
export class Journal {
  private state: JournalState = EMPTY;

  /** @param file the journal's path (`<dataDir>/journal.json` for a client). */
  constructor(readonly file: string) {}

  /**
   * Loads the journal (an absent file is an empty journal).
   * @throws {SyntaxError} when the file is not JSON.
   */
  async load(): Promise<JournalState> {
    const bytes = await readFileIfExists(this.file);
    this.state = bytes === undefined ? EMPTY : { ...EMPTY, ...(JSON.parse(bytes.toString("utf8")) as JournalState) };
    return this.state;
  }

  /** The state last loaded or written. */
  get current(): JournalState {
    return this.state;
  }

  /** Writes a new state durably before returning. */
  async write(next: Omit<JournalState, "formatVersion" | "updatedAt">): Promise<JournalState> {
    const state: JournalState = { ...next, formatVersion: 1, updatedAt: new Date().toISOString() };
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, Buffer.from(`${JSON.stringify(state, null, 2)}\n`));
    this.state = state;
    return state;
  }

  /**
   * Puts back the journal file exactly as it was (`undefined`: there was none), for an
   * operation that turned out to change nothing.
   */
  async restore(bytes: Buffer | undefined): Promise<void> {
    if (bytes === undefined) await fs.rm(this.file, { force: true });
    else await writeFileAtomic(this.file, bytes);
    await this.load();
  }

  /**
   * Clears `version` from the failed and refused lists, so the next cycle may try it again.
   * A revocation is not cleared: a revoked version is never installed. Returns what was cleared.
   */
  async retry(version: string): Promise<{ failed: boolean; refused: boolean }> {
    const state = await this.load();
    const cleared = {
      failed: state.failed.includes(version),
      refused: (state.refused ?? []).some((r) => r.version === version),
    };
    if (!cleared.failed && !cleared.refused) return cleared;
    const { interrupted, failures, refused, ...rest } = state;
    const { [version]: _gone, ...stillInterrupted } = interrupted ?? {};
    const keep = (list: readonly SetAsideVersion[] | undefined) => (list ?? []).filter((e) => e.version !== version);
    const { formatVersion: _f, updatedAt: _u, ...kept } = rest;
    await this.write({
      ...kept,
      failed: state.failed.filter((v) => v !== version),
      ...(keep(failures).length > 0 ? { failures: keep(failures) } : {}),
      ...(keep(refused).length > 0 ? { refused: keep(refused) } : {}),
      ...(Object.keys(stillInterrupted).length > 0 ? { interrupted: stillInterrupted } : {}),
    });
    return cleared;
  }

  /** Updates the state with `patch`, durably. */
  async update(patch: Partial<Omit<JournalState, "formatVersion" | "updatedAt">>): Promise<JournalState> {
    const { formatVersion: _f, updatedAt: _u, ...rest } = this.state;
    return this.write({ ...rest, ...patch });
  }
}
