/**
 * The bounds of one extraction. Every bound is a named default, and every one is enforced
 * while the archive streams, before the bytes that would exceed it are written: a
 * decompression bomb stops at the bound, not after it has filled the disk.
 */
import { UsageError } from "@bulwark/tuf";
import { ARCHIVE_ERRORS, ArchiveError, entryLabel } from "./errors.js";

/** Most bytes of expanded content (file data, plus tar headers) one archive may produce: 2 GiB. */
export const DEFAULT_MAX_TOTAL_BYTES = 2 * 1024 ** 3;
/** Most bytes one entry may expand to: 1 GiB. */
export const DEFAULT_MAX_ENTRY_BYTES = 1024 ** 3;
/** Most entries (files, directories and links) in one archive. */
export const DEFAULT_MAX_ENTRIES = 100_000;
/** Longest entry path or link target, in UTF-8 bytes (Linux `PATH_MAX`). */
export const DEFAULT_MAX_PATH_LENGTH = 4096;
/** Longest single path segment, in UTF-8 bytes (`NAME_MAX` of common file systems). */
export const MAX_SEGMENT_LENGTH = 255;
/** Largest tar pax extended header read into memory. */
export const MAX_PAX_HEADER_BYTES = 1024 * 1024;
/** Most zero bytes accepted after a tar's end-of-archive marker (record padding). */
export const MAX_TAR_TRAILING_BYTES = 1024 * 1024;
/** Largest zip central directory read into memory. */
export const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
/** Expanded size below which `maxCompressionRatio` is not applied (small files compress well). */
export const COMPRESSION_RATIO_MIN_BYTES = 1024 * 1024;
/** Most symbolic links followed while resolving one link target (Linux `MAXSYMLINKS`). */
export const MAX_SYMLINK_HOPS = 40;
/** Most path components walked resolving all of one archive's links (bounds the CPU spent on them). */
export const MAX_LINK_RESOLUTION_STEPS = 10_000_000;

/** How far an extraction has got; `bytes` counts file content written so far. */
export interface ExtractProgress {
  readonly entries: number;
  readonly bytes: number;
}

/** Options of {@link extractArchive}; every bound has a named default. */
export interface ExtractOptions {
  /** Most bytes of expanded content; default {@link DEFAULT_MAX_TOTAL_BYTES}. */
  readonly maxTotalBytes?: number;
  /**
   * Most bytes of file content alone (tar headers and padding not counted); no bound beyond
   * `maxTotalBytes` when absent. A release's signed unpacked size sets it (see {@link limitsForRelease}).
   */
  readonly maxContentBytes?: number;
  /** Most bytes of one entry; default {@link DEFAULT_MAX_ENTRY_BYTES}. */
  readonly maxEntryBytes?: number;
  /** Most entries, parent directories created implicitly included; default {@link DEFAULT_MAX_ENTRIES}. */
  readonly maxEntries?: number;
  /** Longest path or link target in UTF-8 bytes; default {@link DEFAULT_MAX_PATH_LENGTH}. */
  readonly maxPathLength?: number;
  /**
   * Most expanded bytes per compressed byte, checked per zip entry and over a whole tar.gz
   * once past {@link COMPRESSION_RATIO_MIN_BYTES}; no bound when absent.
   */
  readonly maxCompressionRatio?: number;
  /** Extract symbolic links whose target stays inside the destination; default true. */
  readonly allowSymlinks?: boolean;
  /** Set file and directory modification times from the archive; default false (now). */
  readonly preserveMtimes?: boolean;
  /**
   * Called as entries and bytes are written (for a progress bar). Whatever it throws stops
   * the extraction (nothing is left at `dest`) and is rethrown as it is.
   */
  readonly onProgress?: (progress: ExtractProgress) => void;
}

/** {@link ExtractOptions} with every default filled in. */
export interface ExtractLimits {
  readonly maxTotalBytes: number;
  readonly maxContentBytes: number | undefined;
  readonly maxEntryBytes: number;
  readonly maxEntries: number;
  readonly maxPathLength: number;
  readonly maxCompressionRatio: number | undefined;
  readonly allowSymlinks: boolean;
  readonly preserveMtimes: boolean;
}

function bound(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new UsageError(`${name} must be a non-negative integer, not ${String(value)}`);
  }
  return value;
}

/**
 * Fills in the defaults of `options`.
 * @throws {UsageError} for a bound that is not a non-negative integer.
 */
export function resolveLimits(options: ExtractOptions): ExtractLimits {
  const ratio = options.maxCompressionRatio;
  if (ratio !== undefined && !(ratio > 0)) {
    throw new UsageError(`maxCompressionRatio must be a positive number, not ${String(ratio)}`);
  }
  return {
    maxTotalBytes: bound("maxTotalBytes", options.maxTotalBytes, DEFAULT_MAX_TOTAL_BYTES),
    maxContentBytes:
      options.maxContentBytes === undefined ? undefined : bound("maxContentBytes", options.maxContentBytes, 0),
    maxEntryBytes: bound("maxEntryBytes", options.maxEntryBytes, DEFAULT_MAX_ENTRY_BYTES),
    maxEntries: bound("maxEntries", options.maxEntries, DEFAULT_MAX_ENTRIES),
    maxPathLength: bound("maxPathLength", options.maxPathLength, DEFAULT_MAX_PATH_LENGTH),
    maxCompressionRatio: ratio,
    allowSymlinks: options.allowSymlinks ?? true,
    preserveMtimes: options.preserveMtimes ?? false,
  };
}

/** Throws when `expanded` bytes from `compressed` bytes exceed the ratio bound. */
export function checkCompressionRatio(limits: ExtractLimits, expanded: number, compressed: number, what: string): void {
  const ratio = limits.maxCompressionRatio;
  if (ratio === undefined || expanded <= COMPRESSION_RATIO_MIN_BYTES) return;
  if (expanded > ratio * Math.max(compressed, 1)) {
    throw new ArchiveError(
      ARCHIVE_ERRORS.TOO_LARGE,
      `${what} expands ${compressed} compressed bytes to ${expanded} and more, over maxCompressionRatio ${ratio}`,
    );
  }
}

/**
 * The running totals of one extraction, checked against its limits as bytes arrive.
 * Content is file data; overhead is everything else a format spends bytes on (tar headers,
 * padding, pax records), counted so that an archive of only headers is bounded too.
 */
export class Budget {
  entries = 0;
  contentBytes = 0;
  private overheadBytes = 0;

  constructor(readonly limits: ExtractLimits) {}

  /** Counts one more entry. @throws {ArchiveError} `ARCHIVE_TOO_LARGE` */
  addEntry(name: string): void {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.TOO_LARGE,
        `${entryLabel(name)} is over maxEntries (${this.limits.maxEntries} entries)`,
      );
    }
  }

  /** Refuses an entry whose declared size cannot fit, before any of it is written. */
  reserve(name: string, size: number): void {
    if (size > this.limits.maxEntryBytes) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.TOO_LARGE,
        `${entryLabel(name)} declares ${size} bytes, over maxEntryBytes (${this.limits.maxEntryBytes})`,
      );
    }
    if (this.total() + size > this.limits.maxTotalBytes) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.TOO_LARGE,
        `${entryLabel(name)} declares ${size} bytes, which would take the archive over maxTotalBytes (${this.limits.maxTotalBytes}); ${this.written(0)}`,
      );
    }
    const content = this.limits.maxContentBytes;
    if (content !== undefined && this.contentBytes + size > content) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.TOO_LARGE,
        `${entryLabel(name)} declares ${size} bytes, which would take the archive over maxContentBytes (${content}); ${this.written(0)}`,
      );
    }
  }

  /** Counts the content of entry `name` before it is written: `bytes` more is refused past a bound. */
  addContent(name: string, bytes: number): void {
    this.contentBytes += bytes;
    const content = this.limits.maxContentBytes;
    if (content !== undefined && this.contentBytes > content) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.TOO_LARGE,
        `the archive expands past maxContentBytes (${content}) at ${entryLabel(name)}; ${this.written(bytes)}`,
      );
    }
    this.check(entryLabel(name), bytes);
  }

  /** Counts format overhead as it is read; `where` says what it is, for the message. */
  addOverhead(where: string, bytes: number): void {
    this.overheadBytes += bytes;
    this.check(where, 0);
  }

  private total(): number {
    return this.contentBytes + this.overheadBytes;
  }

  /** What was written before a refusal: the content counted, less the `pending` bytes refused. */
  private written(pending: number): string {
    return `${this.contentBytes - pending} bytes of file content were written before the refusal`;
  }

  private check(where: string, pending: number): void {
    if (this.total() > this.limits.maxTotalBytes) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.TOO_LARGE,
        `the archive expands past maxTotalBytes (${this.limits.maxTotalBytes}) at ${where}; ${this.written(pending)}`,
      );
    }
  }
}

/**
 * What a release archive unpacks to, as `bulwark release add` measured it and the vendor
 * signed it (`custom.bulwark.unpacked`): bytes of file content, and entries as
 * `maxEntries` counts them (files, directories and links, parents created implicitly included).
 */
export interface UnpackedSize {
  readonly bytes: number;
  readonly entries: number;
}

/**
 * The bounds to unpack a release with: the configured ones, tightened to the release's
 * signed unpacked size when it has one (the smaller of each), so a decompression bomb
 * stops at what was signed, not at the configured default.
 */
export function limitsForRelease(options: ExtractOptions, unpacked: UnpackedSize | undefined): ExtractOptions {
  if (unpacked === undefined) return options;
  const { maxContentBytes, maxTotalBytes, maxEntries } = options;
  return {
    ...options,
    maxContentBytes: Math.min(unpacked.bytes, maxContentBytes ?? maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES),
    maxEntries: Math.min(unpacked.entries, maxEntries ?? DEFAULT_MAX_ENTRIES),
  };
}
