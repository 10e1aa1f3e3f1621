/**
 * Where the trail lives: a tlog-tiles store (checkpoint, tiles, entry bundles) that one
 * appender at a time may write. {@link FolderTrailStore} is the real one, a folder laid out
 * exactly as tlog's {@link FolderStore} writes a log (servable as it is); a database-backed
 * store implements {@link TrailStore} the same way, with the database's lock.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { acquireLock, PUBLISHER_ERRORS, PublisherError } from "@bulwark/publisher";
import { FolderStore, type WritableLogStore } from "@bulwark/tlog";
import { usageError } from "./errors.js";

/** A log store that serialises appenders. */
export interface TrailStore extends WritableLogStore {
  /**
   * Waits until this caller is the trail's only appender (in this process and in any other
   * sharing the store) and resolves with the function that lets the next one in.
   * @throws {UsageError} TRAIL_USAGE when the lock is not free within the store's timeout.
   */
  lock(): Promise<() => Promise<void>>;
}

/** Defaults of {@link FolderTrailStore}. */
export const FOLDER_TRAIL_DEFAULTS = {
  /** How long an appender waits for another process's lock before giving up. */
  lockTimeoutMs: 30_000,
  /** How often it looks again. */
  lockRetryMs: 20,
} as const;

/** The lock file, beside the log's resources (not a tlog-tiles path, so never served as one). */
export const TRAIL_LOCK_FILE = ".trail.lock";

/** Appenders in this process, per folder: a chain each new appender waits at the end of. */
const queues = new Map<string, Promise<void>>();

/** The trail in a folder: tlog-tiles files, written atomically, plus a lock file. */
export class FolderTrailStore extends FolderStore implements TrailStore {
  constructor(
    root: string,
    readonly limits: { readonly lockTimeoutMs?: number; readonly lockRetryMs?: number } = {},
  ) {
    super(root);
  }

  async lock(): Promise<() => Promise<void>> {
    await fs.mkdir(this.root, { recursive: true });
    const key = await fs.realpath(this.root);
    // In this process: wait for the appenders that came first.
    const before = queues.get(key) ?? Promise.resolve();
    let leave = (): void => {};
    const mine = new Promise<void>((resolve) => {
      leave = resolve;
    });
    const tail = before.then(() => mine);
    queues.set(key, tail);
    await before;
    let releaseFile: () => Promise<void>;
    try {
      releaseFile = await this.#lockFile(path.join(key, TRAIL_LOCK_FILE));
    } catch (error) {
      leave();
      throw error;
    }
    return async () => {
      try {
        await releaseFile();
      } finally {
        if (queues.get(key) === tail) queues.delete(key);
        leave();
      }
    };
  }

  /** Across processes: the publisher's lock file (pid inside, stale locks taken over), retried. */
  async #lockFile(file: string): Promise<() => Promise<void>> {
    const timeout = this.limits.lockTimeoutMs ?? FOLDER_TRAIL_DEFAULTS.lockTimeoutMs;
    const retry = this.limits.lockRetryMs ?? FOLDER_TRAIL_DEFAULTS.lockRetryMs;
    const deadline = Date.now() + timeout;
    for (;;) {
      try {
        return await acquireLock(file);
      } catch (error) {
        if (!(error instanceof PublisherError && error.code === PUBLISHER_ERRORS.LOCKED)) throw error;
        if (Date.now() >= deadline) {
          throw usageError(`the trail in ${this.root} stayed locked for ${timeout} ms: ${error.message}`, error);
        }
        await sleep(retry);
      }
    }
  }
}
