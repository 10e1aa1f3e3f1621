/** Archives inside a release: detection, bounded streaming readers, and the scan's limits. */
export { type AsarEntry, hasAsarMagic, readAsarEntries } from "./asar.js";
export {
  DEFAULT_MAX_COMPRESSION_RATIO,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
  MAX_ASAR_HEADER_BYTES,
  type ResolvedLimits,
  resolveScanLimits,
  type ScanLimits,
} from "./limits.js";
export {
  type ArchiveKind,
  type ArchiveSource,
  archiveEntries,
  SNIFF_BYTES,
  sniffArchive,
  translateArchiveError,
} from "./open.js";
