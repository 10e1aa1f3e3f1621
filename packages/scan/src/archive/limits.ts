/**
 * The bounds of one scan. Each is a named default, enforced while the release streams: a
 * zip bomb, an archive of a million entries or a nest of archives stops at the bound with a
 * {@link ScanLimitError}, in bounded time and memory.
 */
import { type ExtractLimits, resolveLimits } from "@bulwark/client";

/** Most bytes of expanded content in one release, nested archives included: 4 GiB. */
export const DEFAULT_MAX_TOTAL_BYTES = 4 * 1024 ** 3;
/** Most bytes of one file; the scan holds one file's bytes in memory at a time: 1 GiB. */
export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;
/** Most entries (files, folders, links) in one release, nested archives included. */
export const DEFAULT_MAX_ENTRIES = 200_000;
/** Most expanded bytes per compressed byte in a zip entry or a tar.gz (past 1 MiB expanded). */
export const DEFAULT_MAX_COMPRESSION_RATIO = 200;
/** How deep archives inside archives are opened: `release.tar.gz!/app.asar!/x.zip!/y` is depth 3. */
export const DEFAULT_MAX_DEPTH = 4;
/** Largest Electron asar header (its JSON table of contents) read into memory. */
export const MAX_ASAR_HEADER_BYTES = 64 * 1024 * 1024;

/** The scan's bounds; every one has a named default above. */
export interface ScanLimits {
  readonly maxTotalBytes?: number;
  readonly maxFileBytes?: number;
  readonly maxEntries?: number;
  readonly maxCompressionRatio?: number;
  readonly maxDepth?: number;
}

/** {@link ScanLimits} resolved: the archive readers' limits, plus the nesting depth. */
export interface ResolvedLimits {
  readonly archive: ExtractLimits;
  readonly maxDepth: number;
}

/**
 * Fills in the defaults of `limits`.
 * @throws {UsageError} for a bound that is not a non-negative integer.
 */
export function resolveScanLimits(limits: ScanLimits = {}): ResolvedLimits {
  return {
    archive: resolveLimits({
      maxTotalBytes: limits.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
      maxEntryBytes: limits.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      maxEntries: limits.maxEntries ?? DEFAULT_MAX_ENTRIES,
      maxCompressionRatio: limits.maxCompressionRatio ?? DEFAULT_MAX_COMPRESSION_RATIO,
    }),
    maxDepth: limits.maxDepth ?? DEFAULT_MAX_DEPTH,
  };
}
