/**
 * The threat-intelligence layer: hash lists, STIX 2.1 bundles and MISP events read offline
 * and matched against every file's hashes and the network indicators found in it.
 */
export { listFiles, readBounded } from "./files.js";
export { INTEL_FINDINGS } from "./findings.js";
export { readCsvHashList, readPlainHashList, splitCsvLine } from "./hash-list.js";
export {
  hashKindOf,
  type Indicator,
  type IndicatorKind,
  type IndicatorSource,
  type IntelKind,
  normalizeDomain,
  normalizeIp,
  normalizeUrl,
} from "./indicator.js";
export { DEFAULT_INTEL_LIMITS, type IntelLimits } from "./limits.js";
export { type Intel, type IntelSource, type LoadIntelOptions, loadIntel } from "./load.js";
export { type FileHashes, IndicatorIndex, MAX_EVIDENCE_SOURCES, type NetworkIndicators } from "./match.js";
export { readMispDocument } from "./misp.js";
export { readStixBundle } from "./stix.js";
export { equalityIndicators, type PatternIndicator } from "./stix-indicators.js";
export {
  type ComparisonExpression,
  MAX_STIX_PATTERN_DEPTH,
  MAX_STIX_PATTERN_LENGTH,
  type ObjectPath,
  type ObservationExpression,
  parseStixPattern,
  type StixLiteral,
} from "./stix-pattern.js";
