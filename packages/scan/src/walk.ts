/**
 * Walking a release one file at a time: a folder, a single file, or an archive (tar, tar.gz,
 * zip, Electron asar), descending into archives nested inside it up to a depth. Only one
 * file's bytes (and the archive holding it, when nested) are in memory at a time, so memory
 * is bounded by the largest file, not the release.
 */
import { type Dirent, promises as fs } from "node:fs";
import path from "node:path";
import { Budget, parseEntryPath } from "@bulwark/client";
import { StorageError } from "@bulwark/tuf";
import {
  type ArchiveKind,
  archiveEntries,
  type ResolvedLimits,
  resolveScanLimits,
  type ScanLimits,
  SNIFF_BYTES,
  sniffArchive,
  translateArchiveError,
} from "./archive/index.js";
import { ScanFormatError, ScanLimitError } from "./errors.js";

/** One file of a release, with its bytes. */
export interface ReleaseFile {
  readonly kind: "file";
  /** `/`-separated; through a nested archive with `!/` (`resources/app.asar!/index.js`). */
  readonly path: string;
  /**
   * The file's bytes, valid until the walk moves on: the walk reads each file into a buffer
   * it reuses (one per nesting level), so memory follows the largest file, not the count.
   */
  readonly bytes: Buffer;
  /** An execute bit in the archived or on-disk mode. */
  readonly executable: boolean;
  /** The archive format of this file when it is one (its entries follow it in the walk). */
  readonly archive: ArchiveKind | undefined;
}

/** A file whose bytes are not in the release: an asar entry kept in `app.asar.unpacked/`. */
export interface UnpackedFile {
  readonly kind: "unpacked";
  readonly path: string;
  readonly size: number;
}

/** A nested archive the scan could not read: the walk goes on past it. */
export interface UnreadableArchive {
  readonly kind: "unreadable";
  readonly path: string;
  readonly error: ScanFormatError;
}

/** What {@link walkRelease} yields. */
export type WalkItem = ReleaseFile | UnpackedFile | UnreadableArchive;

/** Options of {@link walkRelease}. */
export interface WalkOptions {
  readonly limits?: ScanLimits;
  /** Called after each file with the bytes of file content walked so far. */
  readonly onProgress?: (bytes: number) => void;
  /**
   * The name a release that is one file (not an archive or folder) gets; default its file
   * name. The diff names both releases' single file alike (`MyApp-Setup.exe` against
   * `MyApp-Setup-1.9.exe` compares the two binaries, not an added and a removed file).
   */
  readonly singleFileName?: string;
}

function cannotRead(file: string, cause: unknown): StorageError {
  return new StorageError(`cannot read ${file}: ${(cause as Error).message}`, { cause });
}

class Walker {
  readonly budget: Budget;
  private walked = 0;
  /** One reusable buffer per nesting level: a file's bytes, and the archives holding it. */
  private readonly scratch: Buffer[] = [];

  constructor(
    readonly limits: ResolvedLimits,
    private readonly onProgress: ((bytes: number) => void) | undefined,
  ) {
    this.budget = new Budget(limits.archive);
  }

  /** A file and, when it is an archive and not too deep, everything inside it. */
  async *visit(file: string, bytes: Buffer, executable: boolean, depth: number): AsyncGenerator<WalkItem> {
    const archive = sniffArchive(bytes.subarray(0, SNIFF_BYTES));
    yield { kind: "file", path: file, bytes, executable, archive };
    this.walked += bytes.length;
    this.onProgress?.(this.walked);
    if (archive === undefined || depth >= this.limits.maxDepth) return;
    try {
      yield* this.entries(archive, { bytes }, file, depth + 1);
    } catch (error) {
      // A nested archive that cannot be read is a finding about that file, not the end of the scan.
      if (error instanceof ScanFormatError) yield { kind: "unreadable", path: file, error };
      else throw error;
    }
  }

  /** The files of an archive, each read into memory on its own and visited. */
  async *entries(
    kind: ArchiveKind,
    source: Parameters<typeof archiveEntries>[1],
    where: string,
    depth: number,
  ): AsyncGenerator<WalkItem> {
    try {
      for await (const entry of archiveEntries(kind, source, this.budget, where)) {
        const inner = `${where}!/${parseEntryPath(entry.path, this.limits.archive.maxPathLength).join("/")}`;
        this.budget.addEntry(inner);
        if (entry.type !== "file") continue;
        if (entry.unpacked === true) {
          yield { kind: "unpacked", path: inner, size: entry.size };
          continue;
        }
        const bytes = await this.read(entry.data(), entry.size, inner, kind, where, depth);
        yield* this.visit(inner, bytes, entry.executable, depth);
      }
    } catch (error) {
      // The readers' refusals (reading an entry's data, a bound, a name) become the scan's errors;
      // a nested archive's are translated already and pass through.
      throw translateArchiveError(error, kind, where, this.budget);
    }
  }

  private async read(
    data: AsyncIterable<Buffer>,
    size: number,
    name: string,
    kind: ArchiveKind,
    where: string,
    depth: number,
  ): Promise<Buffer> {
    this.budget.reserve(name, size);
    const bytes = this.buffer(depth, size);
    let at = 0;
    for await (const chunk of data) {
      if (at + chunk.length > size) {
        throw new ScanFormatError(kind === "zip" ? "SCAN_BAD_ZIP" : "SCAN_BAD_TAR", `${name} is longer than declared`, {
          file: where,
        });
      }
      this.budget.addContent(name, chunk.length);
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return at === size ? bytes : bytes.subarray(0, at);
  }

  /** The reusable buffer of nesting level `depth`, grown to hold `size` bytes; its first `size` bytes. */
  private buffer(depth: number, size: number): Buffer {
    let buffer = this.scratch[depth];
    if (buffer === undefined || buffer.length < size) {
      buffer = Buffer.allocUnsafe(Math.max(size, 64 * 1024));
      this.scratch[depth] = buffer;
    }
    return buffer.subarray(0, size);
  }

  /** A file on disk, bounded by the per-file limit before it is read. */
  async readFile(file: string, size: number, name: string): Promise<Buffer> {
    if (size > this.limits.archive.maxEntryBytes) {
      throw new ScanLimitError(
        "SCAN_LIMIT_FILE_BYTES",
        `${name} is ${size} bytes, over the per-file limit (${this.limits.archive.maxEntryBytes})`,
        this.limits.archive.maxEntryBytes,
      );
    }
    const bytes = this.buffer(0, size);
    try {
      const handle = await fs.open(file, "r");
      try {
        let at = 0;
        while (at < size) {
          const { bytesRead } = await handle.read(bytes, at, size - at, at);
          if (bytesRead === 0) break;
          at += bytesRead;
        }
        return bytes.subarray(0, at);
      } finally {
        await handle.close();
      }
    } catch (cause) {
      throw cannotRead(file, cause);
    }
  }
}

async function headOf(handle: fs.FileHandle, file: string): Promise<Buffer> {
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } catch (cause) {
    throw cannotRead(file, cause);
  }
}

/** Every regular file under `dir`, sorted, as `/`-separated relative paths; links are not followed. */
async function* folderFiles(dir: string, rel = ""): AsyncGenerator<{ rel: string; abs: string }> {
  let children: Dirent[];
  try {
    children = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
  } catch (cause) {
    throw cannotRead(path.join(dir, rel), cause);
  }
  children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const child of children) {
    const childRel = rel === "" ? child.name : `${rel}/${child.name}`;
    if (child.isDirectory()) yield* folderFiles(dir, childRel);
    else if (child.isFile()) yield { rel: childRel, abs: path.join(dir, childRel) };
  }
}

/**
 * The files of the release at `target` (a folder, an archive, or a single file such as an
 * `.exe`), nested archives opened. An archive at the top is streamed, never read whole; the
 * files inside it are named by their paths in it.
 * @throws {ScanFormatError} for a top-level archive that cannot be read; {@link ScanLimitError}
 *   past a bound; {@link StorageError} when `target` cannot be read.
 */
export async function* walkRelease(target: string, options: WalkOptions = {}): AsyncGenerator<WalkItem> {
  const walker = new Walker(resolveScanLimits(options.limits), options.onProgress);
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(target);
  } catch (cause) {
    throw cannotRead(target, cause);
  }
  if (stat.isDirectory()) {
    for await (const { rel, abs } of folderFiles(target)) {
      const st = await fs.stat(abs);
      walker.budget.addEntry(rel);
      const bytes = await walker.readFile(abs, st.size, rel);
      walker.budget.addContent(rel, bytes.length);
      yield* walker.visit(rel, bytes, (st.mode & 0o111) !== 0, 0);
    }
    return;
  }
  const name = path.basename(target);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(target, "r");
  } catch (cause) {
    throw cannotRead(target, cause);
  }
  try {
    const kind = sniffArchive(await headOf(handle, target));
    if (kind === undefined) {
      const single = options.singleFileName ?? name;
      yield* walker.visit(single, await walker.readFile(target, stat.size, name), (stat.mode & 0o111) !== 0, 0);
      return;
    }
    // The top-level archive's entries are named as in the archive, not through its file name.
    for await (const item of walker.entries(kind, { file: target, handle, size: stat.size }, name, 1)) {
      yield { ...item, path: item.path.slice(name.length + 2) } as WalkItem;
    }
  } finally {
    await handle.close();
  }
}
