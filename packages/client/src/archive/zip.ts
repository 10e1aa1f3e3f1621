/**
 * A zip reader driven by the central directory: entries come out in directory order, each
 * one's data read from its checked range, inflated when deflated, and verified while it
 * streams against the directory's size (never more bytes than declared are passed on) and,
 * at its end, against the CRC-32 and the exact compressed length.
 */
import { pipeline, Readable } from "node:stream";
import zlib from "node:zlib";
import { crc32 } from "./crc32.js";
import { type ArchiveEntry, noData } from "./entry.js";
import { ARCHIVE_ERRORS, ArchiveError, entryLabel } from "./errors.js";
import type { ExtractLimits } from "./limits.js";
import {
  type RandomAccessReader,
  readAt,
  readZipDirectory,
  type ZipReadOptions,
  type ZipRecord,
} from "./zip-directory.js";

const READ_CHUNK = 64 * 1024;

/** True for an error raised by zlib on corrupt compressed data. */
export function isZlibError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && code.startsWith("Z_");
}

/** The compressed bytes of `record`, read in chunks. */
async function* readRange(file: RandomAccessReader, record: ZipRecord): AsyncGenerator<Buffer> {
  for (let done = 0; done < record.compressedSize; ) {
    const length = Math.min(READ_CHUNK, record.compressedSize - done);
    yield await readAt(file, record.dataStart + done, length, `the data of ${entryLabel(record.name)}`);
    done += length;
  }
}

/** The expanded bytes of `record`, verified as described above. */
async function* entryData(file: RandomAccessReader, record: ZipRecord): AsyncGenerator<Buffer> {
  const label = entryLabel(record.name);
  let inflater: zlib.InflateRaw | undefined;
  let expanded: AsyncIterable<Buffer> = readRange(file, record);
  if (record.method === 8) {
    const source = Readable.from(expanded, { objectMode: false });
    inflater = zlib.createInflateRaw();
    expanded = pipeline(source, inflater, () => undefined);
  }
  let size = 0;
  let crc = 0;
  try {
    for await (const chunk of expanded) {
      size += chunk.length;
      if (size > record.size) {
        throw new ArchiveError(
          ARCHIVE_ERRORS.MALFORMED,
          `${label} expands to more than the ${record.size} bytes its central directory declares`,
        );
      }
      crc = crc32(chunk, crc);
      yield chunk;
    }
  } catch (error) {
    if (isZlibError(error)) {
      throw new ArchiveError(ARCHIVE_ERRORS.MALFORMED, `${label} has corrupt deflate data: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    inflater?.destroy();
  }
  if (size !== record.size) {
    throw new ArchiveError(
      ARCHIVE_ERRORS.MALFORMED,
      `${label} expands to ${size} bytes, not the ${record.size} declared`,
    );
  }
  if (inflater !== undefined && inflater.bytesWritten !== record.compressedSize) {
    throw new ArchiveError(ARCHIVE_ERRORS.MALFORMED, `${label} has data after the end of its deflate stream`);
  }
  if (crc !== record.crc) throw new ArchiveError(ARCHIVE_ERRORS.MALFORMED, `${label} fails its CRC-32 check`);
}

/** A symbolic link's target: its data, bounded by `maxPathLength` and verified like any other. */
async function linkTarget(file: RandomAccessReader, record: ZipRecord, limits: ExtractLimits): Promise<string> {
  if (record.size > limits.maxPathLength) {
    throw new ArchiveError(
      ARCHIVE_ERRORS.TOO_LARGE,
      `${entryLabel(record.name)} has a link target longer than maxPathLength (${limits.maxPathLength} bytes)`,
    );
  }
  const parts: Buffer[] = [];
  for await (const chunk of entryData(file, record)) parts.push(chunk);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(parts));
  } catch (cause) {
    throw new ArchiveError(
      ARCHIVE_ERRORS.UNSUPPORTED,
      `${entryLabel(record.name)} has a link target that is not UTF-8`,
      {
        cause,
      },
    );
  }
}

/**
 * The entries of the zip archive open as `file`, after its whole directory has been checked.
 * @throws {ArchiveError} `ARCHIVE_MALFORMED`, `ARCHIVE_UNSUPPORTED`, `ARCHIVE_TOO_LARGE`.
 */
export async function* readZipEntries(
  file: RandomAccessReader,
  fileSize: number,
  limits: ExtractLimits,
  options: ZipReadOptions = {},
): AsyncGenerator<ArchiveEntry> {
  for (const record of await readZipDirectory(file, fileSize, limits, options)) {
    yield {
      path: record.name,
      type: record.type,
      size: record.type === "file" ? record.size : 0,
      executable: record.executable,
      mtime: record.mtime,
      linkTarget: record.type === "symlink" ? await linkTarget(file, record, limits) : undefined,
      data: record.type === "file" ? () => entryData(file, record) : noData,
    };
  }
}
