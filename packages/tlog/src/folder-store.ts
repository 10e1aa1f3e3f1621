/**
 * A {@link WritableLogStore} on a local folder, laid out exactly as the log is served:
 * `bulwark serve` or any static web server can serve the folder as the log's prefix.
 *
 * Each put writes a temporary file in the target directory, fsyncs it and renames it over
 * the target, so readers never see a torn file. Directories touched by renames are fsynced
 * once per {@link FolderStore.sync}, which the writer calls once per batch, before and after
 * the checkpoint: no per-entry fsync.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { StorageError, writeFileAtomic } from "@bulwark/tuf";
import { usageError } from "./errors.js";
import type { WritableLogStore } from "./store.js";

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** A log store in a folder. */
export class FolderStore implements WritableLogStore {
  /** Directories whose entries changed since the last sync. */
  readonly #dirty = new Set<string>();
  /** Directories known to exist. */
  readonly #made = new Set<string>();

  constructor(readonly root: string) {}

  /** The file of a key; keys are relative paths of plain segments (no `.`, `..` or empty ones). */
  pathOf(key: string): string {
    const segments = key.split("/");
    if (segments.some((s) => !SEGMENT.test(s) || s === "." || s === "..")) {
      throw usageError(`${JSON.stringify(key)} is not a log resource key`);
    }
    return path.join(this.root, ...segments);
  }

  /**
   * @throws {StorageError} when the file exists but cannot be read.
   */
  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await fs.readFile(this.pathOf(key)));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw new StorageError(`cannot read ${key}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * @throws {StorageError}
   */
  async put(key: string, data: Uint8Array): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    try {
      await this.#mkdir(dir);
    } catch (cause) {
      throw new StorageError(`cannot write ${key}: ${(cause as Error).message}`, { cause });
    }
    // The folder is fsynced once, by sync(), for a whole batch of tiles.
    await writeFileAtomic(file, data, { syncDirectory: false });
    this.#dirty.add(dir);
  }

  /**
   * fsyncs every directory changed since the last sync.
   * @throws {StorageError}
   */
  async sync(): Promise<void> {
    const dirs = [...this.#dirty];
    this.#dirty.clear();
    await Promise.all(dirs.map((dir) => syncDirectory(dir)));
  }

  async #mkdir(dir: string): Promise<void> {
    if (this.#made.has(dir)) return;
    const first = await fs.mkdir(dir, { recursive: true });
    if (first !== undefined) {
      // New directories are entries of their parents: those must be synced too.
      for (let d = dir; d.length >= first.length; d = path.dirname(d)) this.#dirty.add(path.dirname(d));
    }
    this.#made.add(dir);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Some file systems cannot fsync a directory; the renames are still atomic.
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EPERM") {
      throw new StorageError(`cannot sync ${dir}: ${(error as Error).message}`, { cause: error });
    }
  } finally {
    await handle?.close();
  }
}
