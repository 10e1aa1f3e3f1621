/**
 * Safe extraction of release archives: tar, tar.gz and zip readers written for untrusted
 * input, bounded while streaming, extracting into a fresh directory that appears atomically.
 */

// The readers themselves, for tools that look inside an archive without extracting it (the scan).
export type { ArchiveEntry, EntryType } from "./entry.js";
export { parseEntryPath } from "./entry-path.js";
export { ARCHIVE_ERRORS, ArchiveError, type ArchiveErrorCode } from "./errors.js";
export { detectArchiveFormat, extractArchive, extractTar, extractTarGz, extractZip } from "./extract.js";
export {
  Budget,
  COMPRESSION_RATIO_MIN_BYTES,
  checkCompressionRatio,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_ENTRY_BYTES,
  DEFAULT_MAX_PATH_LENGTH,
  DEFAULT_MAX_TOTAL_BYTES,
  type ExtractLimits,
  type ExtractOptions,
  type ExtractProgress,
  limitsForRelease,
  MAX_CENTRAL_DIRECTORY_BYTES,
  MAX_LINK_RESOLUTION_STEPS,
  MAX_PAX_HEADER_BYTES,
  MAX_SEGMENT_LENGTH,
  MAX_SYMLINK_HOPS,
  MAX_TAR_TRAILING_BYTES,
  resolveLimits,
  type UnpackedSize,
} from "./limits.js";
export { type ArchiveMeasure, measureArchive } from "./measure.js";
export { type ArchiveFormat, DEST_EXISTS, type ExtractResult } from "./staging.js";
export { readTarEntries } from "./tar.js";
export { hasTarMagic } from "./tar-header.js";
export { isZlibError, readZipEntries } from "./zip.js";
export { bytesReader, type RandomAccessReader, type ZipReadOptions } from "./zip-directory.js";
