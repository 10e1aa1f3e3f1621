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

  /** Updates the state with `patch`, durably. */
  async update(patch: Partial<Omit<JournalState, "formatVersion" | "updatedAt">>): Promise<JournalState> {
    const { formatVersion: _f, updatedAt: _u, ...rest } = this.state;
    return this.write({ ...rest, ...patch });
  }
}
