/**
 * The directory an archive is extracted into: a fresh sibling `<dest>.partial-<random>` that
 * becomes `dest` by one rename once every entry is written and synced, or is removed.
 *
 * An in-memory tree of what has been written decides every entry before the file system
 * sees it: duplicates, a path under a file or a symbolic link, and link targets that leave
 * the root are refused. Symbolic links are created last, after every file and directory,
 * so no write can ever pass through one, whatever the archive's order or the file system's
 * case rules; files are opened with `O_EXCL | O_NOFOLLOW` as a second line of defence.
 */
import { randomBytes } from "node:crypto";
import { constants, promises as fs } from "node:fs";
import path from "node:path";
import { StorageError, syncDirectory, UsageError } from "@bulwark/tuf";
import type { ArchiveEntry } from "./entry.js";
import { checkLinkTarget, parseEntryPath, unsafe } from "./entry-path.js";
import { ARCHIVE_ERRORS, ArchiveError, entryLabel } from "./errors.js";
import { Budget, type ExtractLimits, type ExtractProgress } from "./limits.js";
import { EntryTree, type TreeNode, treeNode } from "./tree.js";

/** The formats {@link extractArchive} recognises. */
export type ArchiveFormat = "tar" | "tar.gz" | "zip";

/** What an extraction produced. */
export interface ExtractResult {
  readonly format: ArchiveFormat;
  /** Regular files written. */
  readonly files: number;
  /** Directory entries in the archive (parents created implicitly are not counted). */
  readonly directories: number;
  readonly symlinks: number;
  /** Bytes of file content written. */
  readonly totalBytes: number;
  /** Every entry's path relative to `dest`, `/`-separated, in archive order. */
  readonly paths: readonly string[];
}

/** Code of the {@link UsageError} thrown when the destination already exists. */
export const DEST_EXISTS = "ARCHIVE_DEST_EXISTS";

interface PendingLink {
  readonly name: string;
  readonly segments: string[];
  readonly target: string;
}

// O_NOFOLLOW does not exist on Windows; there the tree and O_EXCL are the defence.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && "syscall" in error ? code : undefined;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return false;
    throw new StorageError(`cannot check ${p}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Runs a file-system call for entry `name`. A collision the tree did not predict (a
 * case-insensitive file system) is an unsafe path; anything else is a storage failure.
 */
async function onDisk<T>(name: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const code = errnoOf(error);
    if (code === undefined) throw error;
    if (code === "EEXIST" || code === "ENOTDIR" || code === "EISDIR" || code === "ELOOP") {
      throw new ArchiveError(
        ARCHIVE_ERRORS.UNSAFE_PATH,
        `${entryLabel(name)} collides with another entry on this file system (${code})`,
        { cause: error },
      );
    }
    throw new StorageError(`cannot extract ${entryLabel(name)}: ${(error as Error).message}`, { cause: error });
  }
}

/** The temporary extraction root and the tree written into it so far. */
export class StagingDirectory {
  readonly budget: Budget;
  private readonly tree = new EntryTree();
  private readonly links: PendingLink[] = [];
  private readonly paths: string[] = [];
  private rootSeen = false;
  private files = 0;
  private directories = 0;

  private constructor(
    readonly dest: string,
    readonly root: string,
    private readonly limits: ExtractLimits,
    private readonly onProgress: ((progress: ExtractProgress) => void) | undefined,
  ) {
    this.budget = new Budget(limits);
  }

  /**
   * Creates the temporary root next to `dest`, which must not exist.
   * @throws {UsageError} `ARCHIVE_DEST_EXISTS`; {@link StorageError} when the root cannot be made.
   */
  static async create(
    dest: string,
    limits: ExtractLimits,
    onProgress?: (progress: ExtractProgress) => void,
  ): Promise<StagingDirectory> {
    const target = path.resolve(dest);
    if (await exists(target)) throw new UsageError(`the destination ${target} already exists`, { code: DEST_EXISTS });
    const root = `${target}.partial-${randomBytes(8).toString("hex")}`;
    try {
      // Private while it fills; opened up just before the rename.
      await fs.mkdir(root, { mode: 0o700 });
    } catch (cause) {
      throw new StorageError(`cannot create ${root}: ${(cause as Error).message}`, { cause });
    }
    return new StagingDirectory(target, root, limits, onProgress);
  }

  private abs(segments: readonly string[]): string {
    return path.join(this.root, ...segments);
  }

  private progress(): void {
    this.onProgress?.({ entries: this.budget.entries, bytes: this.budget.contentBytes });
  }

  /** The entry's path segments; `[]` (the root itself) only for a directory. */
  private segmentsOf(entry: ArchiveEntry): string[] {
    if (entry.type !== "directory" && entry.path.endsWith("/")) {
      // Old tars marked directories so; taking it either way would be a guess.
      throw new ArchiveError(ARCHIVE_ERRORS.MALFORMED, `${entryLabel(entry.path)} ends with / but is a ${entry.type}`);
    }
    const segments = parseEntryPath(entry.path, this.limits.maxPathLength);
    if (segments.length === 0 && entry.type !== "directory") throw unsafe(entry.path, "names the destination itself");
    return segments;
  }

  /** Makes a directory with mode 0o755 whatever the umask. */
  private async mkdir(name: string, segments: readonly string[]): Promise<void> {
    const dir = this.abs(segments);
    await onDisk(name, () => fs.mkdir(dir));
    await onDisk(name, () => fs.chmod(dir, 0o755));
  }

  /**
   * The parent node of a new entry at `segments`: refuses a duplicate, or a path under a file
   * or a symbolic link; creates missing parents (each counted as an entry).
   */
  private async claim(name: string, segments: readonly string[]): Promise<TreeNode> {
    const parent = await this.tree.parentOf(name, segments, async (depth) => {
      this.budget.addEntry(name);
      await this.mkdir(name, segments.slice(0, depth));
    });
    if (parent.children?.has(segments[segments.length - 1] as string)) {
      throw unsafe(name, "is a duplicate of an earlier entry");
    }
    return parent;
  }

  /**
   * Writes one entry, or refuses it.
   * @throws {ArchiveError} `ARCHIVE_UNSAFE_PATH`, `ARCHIVE_UNSUPPORTED_ENTRY`, `ARCHIVE_TOO_LARGE`,
   * `ARCHIVE_MALFORMED`; {@link StorageError}.
   */
  async add(entry: ArchiveEntry): Promise<void> {
    this.budget.addEntry(entry.path);
    switch (entry.type) {
      case "directory":
        await this.addDirectory(entry);
        break;
      case "file":
        await this.addFile(entry);
        break;
      case "symlink":
        await this.addSymlink(entry);
        break;
      case "hardlink":
        this.segmentsOf(entry);
        // A tar hard link's target is relative to the archive root.
        checkLinkTarget(entry.path, entry.linkTarget ?? "", 0, this.limits.maxPathLength);
        // Even inside the archive a hard link can alias a file written later; none are extracted.
        throw new ArchiveError(
          ARCHIVE_ERRORS.UNSUPPORTED_ENTRY,
          `${entryLabel(entry.path)} is a hard link, which is not extracted`,
        );
      default:
        this.segmentsOf(entry);
        throw new ArchiveError(
          ARCHIVE_ERRORS.UNSUPPORTED_ENTRY,
          `${entryLabel(entry.path)} is a ${entry.type}, which is not extracted`,
        );
    }
    this.progress();
  }

  private async addDirectory(entry: ArchiveEntry): Promise<void> {
    const segments = this.segmentsOf(entry);
    if (segments.length === 0) {
      if (this.rootSeen) throw unsafe(entry.path, "is a duplicate of an earlier entry");
      this.rootSeen = true;
      return;
    }
    const existing = this.tree.get(segments);
    if (existing?.kind === "directory" && !existing.explicit) {
      // Created earlier as the parent of another entry.
      existing.explicit = true;
      existing.mtime = entry.mtime;
    } else {
      const parent = await this.claim(entry.path, segments);
      await this.mkdir(entry.path, segments);
      this.tree.add(parent, segments[segments.length - 1] as string, treeNode("directory", true, entry.mtime));
    }
    this.directories += 1;
    this.paths.push(segments.join("/"));
  }

  private async addFile(entry: ArchiveEntry): Promise<void> {
    const segments = this.segmentsOf(entry);
    this.budget.reserve(entry.path, entry.size);
    const parent = await this.claim(entry.path, segments);
    this.tree.add(parent, segments[segments.length - 1] as string, treeNode("file", true, entry.mtime));
    const handle = await onDisk(entry.path, () => fs.open(this.abs(segments), CREATE_FLAGS, 0o600));
    try {
      let written = 0;
      for await (const chunk of entry.data()) {
        written += chunk.length;
        if (written > entry.size) {
          throw new ArchiveError(
            ARCHIVE_ERRORS.MALFORMED,
            `${entryLabel(entry.path)} has more than its ${entry.size} bytes`,
          );
        }
        // Counted before it is written, so a bomb stops at the bound, not past it.
        this.budget.addContent(entry.path, chunk.length);
        for (let done = 0; done < chunk.length; ) {
          const { bytesWritten } = await onDisk(entry.path, () => handle.write(chunk, done, chunk.length - done));
          done += bytesWritten;
        }
        this.progress();
      }
      if (written !== entry.size) {
        throw new ArchiveError(
          ARCHIVE_ERRORS.MALFORMED,
          `${entryLabel(entry.path)} has ${written} of its ${entry.size} bytes`,
        );
      }
      // Only the execute bit is kept from the archive: no setuid, no world-writable files.
      await onDisk(entry.path, () => handle.chmod(entry.executable ? 0o755 : 0o644));
      if (this.limits.preserveMtimes && entry.mtime !== undefined) {
        const mtime = entry.mtime;
        await onDisk(entry.path, () => handle.utimes(mtime, mtime));
      }
      await onDisk(entry.path, () => handle.sync());
    } finally {
      await handle.close();
    }
    this.files += 1;
    this.paths.push(segments.join("/"));
  }

  private async addSymlink(entry: ArchiveEntry): Promise<void> {
    if (!this.limits.allowSymlinks) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.UNSUPPORTED_ENTRY,
        `${entryLabel(entry.path)} is a symbolic link, and allowSymlinks is false`,
      );
    }
    const segments = this.segmentsOf(entry);
    const target = entry.linkTarget ?? "";
    // A lexical check now, for an early and clear refusal; the full one, through the other links, at commit.
    checkLinkTarget(entry.path, target, segments.length - 1, this.limits.maxPathLength);
    const parent = await this.claim(entry.path, segments);
    this.tree.add(parent, segments[segments.length - 1] as string, treeNode("symlink", true, undefined, target));
    this.links.push({ name: entry.path, segments, target });
    this.paths.push(segments.join("/"));
  }

  /**
   * Creates the symbolic links, syncs every directory, and renames the root to `dest`.
   * @throws {ArchiveError} `ARCHIVE_UNSAFE_PATH` for a link that resolves outside;
   * {@link UsageError} `ARCHIVE_DEST_EXISTS` if `dest` appeared meanwhile; {@link StorageError}.
   */
  async commit(format: ArchiveFormat): Promise<ExtractResult> {
    // Every link is resolved through the finished tree before any is created.
    const types = this.links.map((link) => {
      const resolved = this.tree.resolveLink(link.name, link.segments.slice(0, -1), link.target);
      return resolved?.kind === "directory" ? "dir" : "file";
    });
    for (const [i, link] of this.links.entries()) {
      // The type matters only on Windows, where a link to a directory must say so.
      await onDisk(link.name, () => fs.symlink(link.target, this.abs(link.segments), types[i]));
    }
    // Children before parents: a directory's time is set after its contents are written.
    for (const { segments, node } of this.tree.directories()) {
      const dir = this.abs(segments);
      if (this.limits.preserveMtimes && node.mtime !== undefined) {
        const mtime = node.mtime;
        await onDisk(segments.join("/"), () => fs.utimes(dir, mtime, mtime));
      }
      await syncDirectory(dir);
    }
    await syncDirectory(this.root);
    await onDisk(".", () => fs.chmod(this.root, 0o755));
    if (await exists(this.dest))
      throw new UsageError(`the destination ${this.dest} already exists`, { code: DEST_EXISTS });
    try {
      await fs.rename(this.root, this.dest);
    } catch (cause) {
      throw new StorageError(`cannot rename ${this.root} to ${this.dest}: ${(cause as Error).message}`, { cause });
    }
    await syncDirectory(path.dirname(this.dest));
    return {
      format,
      files: this.files,
      directories: this.directories,
      symlinks: this.links.length,
      totalBytes: this.budget.contentBytes,
      paths: this.paths,
    };
  }

  /** Removes the temporary root and everything in it (links are removed, never followed). */
  async discard(): Promise<void> {
    await fs.rm(this.root, { recursive: true, force: true }).catch(() => undefined);
  }
}
