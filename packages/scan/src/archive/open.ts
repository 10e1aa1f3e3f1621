/**
 * Looking inside the archives a release is made of, one entry at a time: tar and tar.gz
 * stream; zip and asar are read by offset, from the file or from bytes in memory (an archive
 * nested in another). The readers are the client's, written for untrusted input (ADR 0006);
 * their refusals become the scan's typed errors here, once.
 */
import { createReadStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { pipeline, Readable } from "node:stream";
import zlib from "node:zlib";
import {
  type ArchiveEntry,
  ArchiveError,
  type Budget,
  bytesReader,
  checkCompressionRatio,
  hasTarMagic,
  isZlibError,
  type RandomAccessReader,
  readTarEntries,
  readZipEntries,
} from "@bulwark/client";
import { ScanFormatError, ScanLimitError } from "../errors.js";
import { hasAsarMagic, readAsarEntries } from "./asar.js";

/** The archive formats the scan opens. */
export type ArchiveKind = "tar" | "tar.gz" | "zip" | "asar";

/** How many leading bytes {@link sniffArchive} wants. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * The archive format of a file from its first bytes, or undefined when it is none: gzip
 * counts only when what it expands to starts as a tar (a gzipped log is just a file).
 */
export function sniffArchive(head: Uint8Array): ArchiveKind | undefined {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b) {
    if ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6)) return "zip";
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      const start = zlib.gunzipSync(head.subarray(0, SNIFF_BYTES), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      return start.length >= 512 && hasTarMagic(start) ? "tar.gz" : undefined;
    } catch {
      return undefined;
    }
  }
  if (head.length >= 512 && hasTarMagic(head)) return "tar";
  if (hasAsarMagic(head)) return "asar";
  return undefined;
}

/** Where an archive's bytes are: an open file, or memory. */
export type ArchiveSource =
  | { readonly file: string; readonly handle: FileHandle; readonly size: number }
  | { readonly bytes: Uint8Array };

const FORMAT_CODE = {
  tar: "SCAN_BAD_TAR",
  "tar.gz": "SCAN_BAD_TAR",
  zip: "SCAN_BAD_ZIP",
  asar: "SCAN_BAD_ASAR",
} as const;

/**
 * The client's bounds, named in its messages, mapped to the scan's limit codes. The message
 * is the only place an {@link ArchiveError} names the bound it hit.
 */
const LIMIT_CODES: ReadonlyArray<[string, `SCAN_LIMIT_${string}`, keyof Budget["limits"]]> = [
  ["maxEntries", "SCAN_LIMIT_ENTRIES", "maxEntries"],
  ["maxEntryBytes", "SCAN_LIMIT_FILE_BYTES", "maxEntryBytes"],
  ["maxTotalBytes", "SCAN_LIMIT_TOTAL_BYTES", "maxTotalBytes"],
  ["maxCompressionRatio", "SCAN_LIMIT_COMPRESSION_RATIO", "maxCompressionRatio"],
  ["maxPathLength", "SCAN_LIMIT_PATH_LENGTH", "maxPathLength"],
];

/** The scan's error for a refusal by the archive readers (or zlib) of an archive of `kind`. */
export function translateArchiveError(error: unknown, kind: ArchiveKind, where: string, budget: Budget): unknown {
  if (isZlibError(error)) {
    return new ScanFormatError(FORMAT_CODE[kind], `${where}: the gzip stream is corrupt: ${error.message}`, {
      cause: error,
      file: where,
    });
  }
  if (!(error instanceof ArchiveError)) return error;
  if (error.code === "ARCHIVE_TOO_LARGE") {
    const hit = LIMIT_CODES.find(([name]) => error.message.includes(name));
    const code = hit?.[1] ?? "SCAN_LIMIT_ARCHIVE";
    const limit = hit === undefined ? 0 : Number(budget.limits[hit[2]] ?? 0);
    return new ScanLimitError(code, `${where}: ${error.message}`, limit);
  }
  const code = error.code === "ARCHIVE_UNSAFE_PATH" ? "SCAN_BAD_ARCHIVE_PATH" : FORMAT_CODE[kind];
  return new ScanFormatError(code, `${where}: ${error.message}`, { cause: error, file: where });
}

/** A tar stream from an open file or from memory, gunzipped for tar.gz with its ratio watched. */
async function* tarChunks(source: ArchiveSource, gzip: boolean, budget: Budget): AsyncGenerator<Buffer> {
  const input =
    "bytes" in source
      ? Readable.from([Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength)])
      : createReadStream(source.file, { highWaterMark: 256 * 1024 });
  // A large output buffer lets zlib (on libuv's thread pool) run ahead while the scan works.
  const gunzip = gzip
    ? zlib.createGunzip({ chunkSize: 256 * 1024, highWaterMark: 4 * 1024 * 1024 } as zlib.ZlibOptions)
    : undefined;
  const stream: AsyncIterable<Buffer> = gunzip === undefined ? input : pipeline(input, gunzip, () => undefined);
  const compressed = "bytes" in source ? source.bytes.length : source.size;
  let expanded = 0;
  try {
    for await (const chunk of stream) {
      expanded += chunk.length;
      if (gzip) checkCompressionRatio(budget.limits, expanded, compressed, "the tar.gz stream");
      yield chunk;
    }
  } finally {
    gunzip?.destroy();
    input.destroy();
  }
}

function readerOf(source: ArchiveSource): { reader: RandomAccessReader; size: number } {
  return "bytes" in source
    ? { reader: bytesReader(source.bytes), size: source.bytes.length }
    : { reader: source.handle, size: source.size };
}

/**
 * The entries of an archive of `kind`, each counted against `budget`, with its path checked.
 * Read an entry's data (or not) before asking for the next; errors raised while reading it
 * come from the client's readers and are translated by {@link translateArchiveError}.
 * @throws {ScanFormatError} `SCAN_BAD_TAR`, `SCAN_BAD_ZIP`, `SCAN_BAD_ASAR`, `SCAN_BAD_ARCHIVE_PATH`;
 *   {@link ScanLimitError} `SCAN_LIMIT_*` past a bound.
 */
export async function* archiveEntries(
  kind: ArchiveKind,
  source: ArchiveSource,
  budget: Budget,
  where: string,
): AsyncGenerator<ArchiveEntry & { readonly unpacked?: boolean }> {
  try {
    if (kind === "tar" || kind === "tar.gz") {
      yield* readTarEntries(tarChunks(source, kind === "tar.gz", budget), budget);
    } else if (kind === "zip") {
      const { reader, size } = readerOf(source);
      yield* readZipEntries(reader, size, budget.limits, { zip64: true });
    } else {
      const { reader, size } = readerOf(source);
      yield* readAsarEntries(reader, size, budget);
    }
  } catch (error) {
    throw translateArchiveError(error, kind, where, budget);
  }
}
