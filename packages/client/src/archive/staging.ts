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
import { checkLinkTarget, parseEntryPath, resolveLinkTarget } from "./entry-path.js";
import { ARCHIVE_ERRORS, ArchiveError, entryLabel } from "./errors.js";
import { Budget, type ExtractLimits, type ExtractProgress, MAX_SYMLINK_HOPS } from "./limits.js";

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

interface TreeNode {
  kind: "directory" | "file" | "symlink";
  explicit: boolean;
  mtime: Date | undefined;
  /** A symbolic link's target. */
  target?: string;
}

interface PendingLink {
  readonly name: string;
  readonly segments: string[];
  readonly target: string;
}

// O_NOFOLLOW does not exist on Windows; there the tree and O_EXCL are the defence.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** Case- and normalization-folded form of a path, as case-insensitive file systems compare names. */
function fold(p: string): string {
  return p.normalize("NFC").toLowerCase();
}

function unsafe(name: string, why: string): ArchiveError {
  return new ArchiveError(ARCHIVE_ERRORS.UNSAFE_PATH, `${entryLabel(name)} ${why}`);
}

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
  private readonly nodes = new Map<string, TreeNode>();
  private readonly foldedLinks = new Set<string>();
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
    const segments = parseEntryPath(entry.path, this.limits.maxPathLength);
    if (segments.length === 0 && entry.type !== "directory") throw unsafe(entry.path, "names the destination itself");
    return segments;
  }

  /** Refuses a path taken already, or one under a file or a symbolic link; creates missing parents. */
  private async claim(name: string, segments: readonly string[]): Promise<void> {
    const key = segments.join("/");
    if (this.nodes.has(key)) throw unsafe(name, "is a duplicate of an earlier entry");
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join("/");
      const node = this.nodes.get(parent);
      if (node?.kind === "symlink")
        throw unsafe(name, `would be written through the symbolic link ${JSON.stringify(parent)}`);
      if (node?.kind === "file") throw unsafe(name, `would be written inside the file ${JSON.stringify(parent)}`);
      if (node === undefined) {
        const dir = this.abs(segments.slice(0, i));
        await onDisk(name, () => fs.mkdir(dir));
        await onDisk(name, () => fs.chmod(dir, 0o755));
        this.nodes.set(parent, { kind: "directory", explicit: false, mtime: undefined });
      }
    }
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
      case "hardlink": {
        this.segmentsOf(entry);
        const target = entry.linkTarget ?? "";
        checkLinkTarget(entry.path, target, this.limits.maxPathLength);
        parseEntryPath(target, this.limits.maxPathLength);
        // Even inside the archive a hard link can alias a file written later; none are extracted.
        throw new ArchiveError(
          ARCHIVE_ERRORS.UNSUPPORTED_ENTRY,
          `${entryLabel(entry.path)} is a hard link, which is not extracted`,
        );
      }
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
    const key = segments.join("/");
    const existing = this.nodes.get(key);
    if (existing?.kind === "directory" && !existing.explicit) {
      // Created earlier as the parent of another entry.
      existing.explicit = true;
    } else {
      await this.claim(entry.path, segments);
      const dir = this.abs(segments);
      await onDisk(entry.path, () => fs.mkdir(dir));
      await onDisk(entry.path, () => fs.chmod(dir, 0o755));
      this.nodes.set(key, { kind: "directory", explicit: true, mtime: undefined });
    }
    const node = this.nodes.get(key);
    if (node !== undefined) node.mtime = entry.mtime;
    this.directories += 1;
    this.paths.push(key);
  }

  private async addFile(entry: ArchiveEntry): Promise<void> {
    const segments = this.segmentsOf(entry);
    this.budget.reserve(entry.path, entry.size);
    await this.claim(entry.path, segments);
    const key = segments.join("/");
    this.nodes.set(key, { kind: "file", explicit: true, mtime: entry.mtime });
    const file = this.abs(segments);
    const handle = await onDisk(entry.path, () => fs.open(file, CREATE_FLAGS, 0o600));
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
        await onDisk(entry.path, () => handle.write(chunk, 0, chunk.length));
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
    this.paths.push(key);
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
    checkLinkTarget(entry.path, target, this.limits.maxPathLength);
    // A lexical check now, for an early and clear refusal; the full one, through the other links, at commit.
    resolveLinkTarget(entry.path, segments, target, () => undefined, MAX_SYMLINK_HOPS);
    await this.claim(entry.path, segments);
    const key = segments.join("/");
    this.nodes.set(key, { kind: "symlink", explicit: true, mtime: undefined, target });
    this.foldedLinks.add(fold(key));
    this.links.push({ name: entry.path, segments, target });
    this.paths.push(key);
  }

  /** Resolves one link through the finished tree; an ambiguous case-folded match is refused. */
  private resolve(link: PendingLink): string[] {
    return resolveLinkTarget(
      link.name,
      link.segments,
      link.target,
      (p) => {
        const node = this.nodes.get(p);
        if (node?.target !== undefined) return { target: node.target };
        // On a case-insensitive file system this name would be the link, not a missing path.
        if (!this.nodes.has(p) && this.foldedLinks.has(fold(p))) {
          throw unsafe(link.name, `has a link target that differs only in case from the link ${JSON.stringify(p)}`);
        }
        return undefined;
      },
      MAX_SYMLINK_HOPS,
    );
  }

  /**
   * Creates the symbolic links, syncs every directory, and renames the root to `dest`.
   * @throws {ArchiveError} `ARCHIVE_UNSAFE_PATH` for a link that resolves outside;
   * {@link UsageError} `ARCHIVE_DEST_EXISTS` if `dest` appeared meanwhile; {@link StorageError}.
   */
  async commit(format: ArchiveFormat): Promise<ExtractResult> {
    for (const link of this.links) {
      const resolved = this.resolve(link).join("/");
      const type = resolved === "" || this.nodes.get(resolved)?.kind === "directory" ? "dir" : "file";
      await onDisk(link.name, () => fs.symlink(link.target, this.abs(link.segments), type));
    }
    const directories = [...this.nodes].filter(([, n]) => n.kind === "directory");
    directories.sort(([a], [b]) => b.split("/").length - a.split("/").length);
    for (const [key, node] of directories) {
      const dir = this.abs(key.split("/"));
      if (this.limits.preserveMtimes && node.mtime !== undefined) {
        const mtime = node.mtime;
        await onDisk(key, () => fs.utimes(dir, mtime, mtime));
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
