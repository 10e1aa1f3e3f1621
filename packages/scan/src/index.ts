/**
 * @bulwark/scan: layered scanning of a release before it is published or installed.
 * See docs/scan.md.
 */
export {
  type ArchiveKind,
  DEFAULT_MAX_COMPRESSION_RATIO,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
  MAX_ASAR_HEADER_BYTES,
  type ScanLimits,
  sniffArchive,
} from "./archive/index.js";
export {
  analyzeBinary,
  BINARY_FINDINGS,
  BINARY_LIMITS,
  type BinaryFormat,
  type BinaryInfo,
  COMPARE_THRESHOLDS,
  checkSignature,
  compareBinaries,
  entropy,
  readBinary,
  type SectionInfo,
  type SignatureInfo,
  sniffBinary,
} from "./binary/index.js";
export { extractNetworkIndicators, isPublicIpv4, MAX_INDICATORS_PER_FILE, SEARCH_CHUNK } from "./diff/network.js";
export { type DiffOptions, diffReleases, ENTROPY_JUMP, HIGH_ENTROPY } from "./diff/release-diff.js";
export { ScanFormatError, ScanLimitError } from "./errors.js";
export {
  compareSeverity,
  type Evidence,
  type Finding,
  type Layer,
  SCAN_SCHEMA,
  type ScanVerdict,
  SEVERITIES,
  type Severity,
} from "./finding.js";
export { CORE_FINDINGS, findingHelp } from "./findings-help.js";
export { type Inspected, inspectFile } from "./inspect.js";
export {
  DEFAULT_INTEL_LIMITS,
  type FileHashes,
  INTEL_FINDINGS,
  type Intel,
  type IntelLimits,
  type IntelSource,
  type LoadIntelOptions,
  loadIntel,
  type NetworkIndicators,
} from "./intel/index.js";
export type { FileRecord, Inventory } from "./inventory.js";
export { renderJson } from "./render/json.js";
export { fileUri, renderSarif, SARIF_LEVEL, SARIF_VERSION } from "./render/sarif.js";
export { renderText } from "./render/text.js";
export { countFindings, type LayersRun, type ReleaseSummary, type ScanReport, sortFindings } from "./report.js";
export {
  type Advisories,
  type Component,
  CYCLONEDX_SPEC_VERSION,
  cycloneDx,
  type LoadOsvOptions,
  loadOsv,
  purlOf,
  SBOM_FINDINGS,
  type SbomSubject,
} from "./sbom/index.js";
export { type ScanOptions, type ScanProgress, type ScanResult, scanRelease } from "./scan.js";
export { threeCxShape, verdictOf } from "./verdict.js";
export { type ReleaseFile, type WalkItem, type WalkOptions, walkRelease } from "./walk.js";
export {
  DEFAULT_YARA_LIMITS,
  loadYaraRules,
  YARA_FINDING_HELP,
  type YaraLimits,
  type YaraRules,
} from "./yara/index.js";
