/**
 * Safe extraction of release archives (tar, tar.gz, zip) into a new directory, fail-closed:
 * either every entry is written and the directory appears at `dest` in one rename, or an
 * error is thrown and nothing exists at `dest`.
 */
import { createReadStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { pipeline } from "node:stream";
import zlib from "node:zlib";
import { BulwarkError, StorageError } from "@bulwark/tuf";
import type { ArchiveEntry } from "./entry.js";
import { ARCHIVE_ERRORS, ArchiveError } from "./errors.js";
import {
  type Budget,
  checkCompressionRatio,
  type ExtractLimits,
  type ExtractOptions,
  resolveLimits,
} from "./limits.js";
import { type ArchiveFormat, type ExtractResult, StagingDirectory } from "./staging.js";
import { readTarEntries } from "./tar.js";
import { hasTarMagic } from "./tar-header.js";
import { isZlibError, readZipEntries } from "./zip.js";

const READ_CHUNK = 64 * 1024;

function cannotRead(file: string, cause: unknown): StorageError {
  return new StorageError(`cannot read the archive ${file}: ${(cause as Error).message}`, { cause });
}

async function openArchive(file: string): Promise<FileHandle> {
  try {
    return await open(file, "r");
  } catch (cause) {
    throw cannotRead(file, cause);
  }
}

/**
 * The format of the archive `file`, from its magic bytes: gzip (`1f 8b`, taken as tar.gz),
 * zip (`PK\3\4`, or `PK\5\6` for an empty one), or tar (`ustar` at offset 257).
 * @throws {ArchiveError} `ARCHIVE_UNSUPPORTED` for anything else; {@link StorageError}.
 */
export async function detectArchiveFormat(file: string): Promise<ArchiveFormat> {
  const handle = await openArchive(file);
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } catch (cause) {
    throw cannotRead(file, cause);
  } finally {
    await handle.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return "tar.gz";
  if (head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) {
    return "zip";
  }
  if (hasTarMagic(head)) return "tar";
  throw new ArchiveError(ARCHIVE_ERRORS.UNSUPPORTED, `${file} is not a tar, tar.gz or zip archive`);
}

/** The bytes of `file`, gunzipped when `gzip`, with the compression ratio watched. */
async function* tarStream(file: string, gzip: boolean, limits: ExtractLimits): AsyncGenerator<Buffer> {
  const input = createReadStream(file, { highWaterMark: READ_CHUNK });
  const gunzip = gzip ? zlib.createGunzip() : undefined;
  const stream: AsyncIterable<Buffer> = gunzip === undefined ? input : pipeline(input, gunzip, () => undefined);
  let expanded = 0;
  try {
    for await (const chunk of stream) {
      expanded += chunk.length;
      if (gzip) checkCompressionRatio(limits, expanded, input.bytesRead, "the archive");
      yield chunk;
    }
  } catch (error) {
    if (isZlibError(error)) {
      throw new ArchiveError(ARCHIVE_ERRORS.MALFORMED, `the gzip stream is corrupt: ${error.message}`, {
        cause: error,
      });
    }
    if (error instanceof BulwarkError) throw error;
    throw cannotRead(file, error);
  } finally {
    input.destroy();
    gunzip?.destroy();
  }
}

async function fileSize(handle: FileHandle, file: string): Promise<number> {
  try {
    return (await handle.stat()).size;
  } catch (cause) {
    throw cannotRead(file, cause);
  }
}

/**
 * Runs `walk` over the entries of the archive `file`, read with the format's reader within
 * `budget` (tar headers are charged to it); the archive is closed afterwards.
 */
export async function withEntries<T>(
  format: ArchiveFormat,
  file: string,
  budget: Budget,
  walk: (entries: AsyncIterable<ArchiveEntry>) => Promise<T>,
): Promise<T> {
  if (format !== "zip") return walk(readTarEntries(tarStream(file, format === "tar.gz", budget.limits), budget));
  const handle = await openArchive(file);
  try {
    return await walk(readZipEntries(handle, await fileSize(handle, file), budget.limits));
  } finally {
    await handle.close();
  }
}

async function extractAs(
  format: ArchiveFormat,
  file: string,
  dest: string,
  options: ExtractOptions,
): Promise<ExtractResult> {
  const limits = resolveLimits(options);
  const staging = await StagingDirectory.create(dest, limits, options.onProgress);
  try {
    return await withEntries(format, file, staging.budget, async (entries) => {
      for await (const entry of entries) await staging.add(entry);
      return staging.commit(format);
    });
  } catch (error) {
    await staging.discard();
    throw error;
  }
}

/**
 * Extracts the archive `file` into the new directory `dest`, detecting its format from its
 * magic bytes. The archive is written into a sibling `<dest>.partial-<random>` directory,
 * files and directories are fsynced, and that directory is renamed to `dest` only when every
 * entry succeeded; on any error it is removed and nothing exists at `dest`.
 *
 * Refused, with `ARCHIVE_UNSAFE_PATH`: absolute paths, `..` segments, backslashes, colons,
 * control characters, empty paths or segments, duplicates, paths under a file or a symbolic
 * link, and symbolic links whose target leaves `dest` (resolved through the archive's other
 * links). Hard links, devices, FIFOs and sockets are never extracted (`ARCHIVE_UNSUPPORTED_ENTRY`).
 * Only the execute bit of a file's mode is kept (0o755 or 0o644); owners are ignored.
 *
 * @param options bounds (each with a named default) and switches; see {@link ExtractOptions}.
 * @throws {ArchiveError} for an archive that is refused, with a code from {@link ARCHIVE_ERRORS}.
 * @throws {UsageError} `ARCHIVE_DEST_EXISTS` when `dest` exists; `USAGE` for a bad option.
 * @throws {StorageError} when the archive cannot be read or the destination written.
 */
export async function extractArchive(file: string, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  resolveLimits(options);
  return extractAs(await detectArchiveFormat(file), file, dest, options);
}

/** {@link extractArchive} for a gzip-compressed tar, whatever its first bytes. @throws as {@link extractArchive} */
export function extractTarGz(file: string, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  return extractAs("tar.gz", file, dest, options);
}

/** {@link extractArchive} for an uncompressed tar. @throws as {@link extractArchive} */
export function extractTar(file: string, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  return extractAs("tar", file, dest, options);
}

/** {@link extractArchive} for a zip archive (stored and deflate entries, no zip64). @throws as {@link extractArchive} */
export function extractZip(file: string, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  return extractAs("zip", file, dest, options);
}
